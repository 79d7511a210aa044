from pathlib import Path

import pandas as pd
import pytest

from usvlib.errors import DatasetError
from usvlib.extract import extract_dataset
from usvlib.user import load_user_recordings


def test_user_manifest(tiny_dataset, tmp_path):
    sex_dir = tiny_dataset / "Data/RawRecordings/Sex"
    csv = tmp_path / "mine.csv"
    pd.DataFrame(
        {
            "path": [str(sex_dir / "Rfem_Afem01.wav"), str(sex_dir / "Rmale_Afem01.wav")],
            "animal": ["f1", "m1"],
            "sex": ["F", "male"],
        }
    ).to_csv(csv, index=False)
    ds = load_user_recordings(csv)
    assert ds.kind == "user"
    assert ds.recordings.sex.tolist() == ["female", "male"]
    assert ds.recordings.rate_hz.tolist() == [300_000, 300_000]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("path,animal\nx.wav,a\n", "sex or group"),
        ("path,animal,sex\n", "no recordings"),
        ("path,animal,sex\nmissing.wav,a,female\n", "do not exist"),
        ("path,animal,sex\nREC,a,female\nREC,a,male\n", "more than one sex"),
        ("path,animal,sex\nREC,a,hermaphrodite\n", "unknown sex"),
        ("path,animal,sex\nREC,,female\n", "no animal on line"),
    ],
)
def test_user_manifest_errors(tiny_dataset, tmp_path, content, message):
    rec = str(Path(tiny_dataset) / "Data/RawRecordings/Sex/Rfem_Afem01.wav")
    csv = tmp_path / "bad.csv"
    csv.write_text(content.replace("REC", rec))
    with pytest.raises(DatasetError, match=message):
        load_user_recordings(csv)


def test_every_recording_of_a_user_manifest_is_extracted(tiny_dataset, tmp_path):
    """The user's experiment is not one of the paper's: extraction takes every listed recording."""
    sex_dir = tiny_dataset / "Data/RawRecordings/Sex"
    names = ["Rfem_Afem04", "Rmale_Afem02", "Rmale_Afem03"]  # each with calls in the tiny dataset
    csv = tmp_path / "mine.csv"
    pd.DataFrame(
        {"path": [str(sex_dir / f"{n}.wav") for n in names], "animal": names, "genotype": ["wt", "ko", "ko"]}
    ).rename(columns={"genotype": "group"}).to_csv(csv, index=False)
    ds = load_user_recordings(csv)
    found = extract_dataset(ds, calls="detect", workers=1, cache=tmp_path / "cache")
    assert sorted(found.table.recording.unique()) == names
    assert set(found.table.group) == {"wt", "ko"}
    truth = pd.read_csv(tiny_dataset / "ground_truth" / "calls.csv", low_memory=False)
    # the detector finds about as many calls as each recording has (F1 0.99 on synthetic data)
    per_recording = found.table.groupby("recording").size()
    expected = truth[truth.animal.isin(names)].groupby("animal").size()
    assert (abs(per_recording - expected.reindex(per_recording.index)) <= 2).all()


def test_a_changed_group_in_the_manifest_is_a_new_extraction(tiny_dataset, tmp_path):
    sex_dir = tiny_dataset / "Data/RawRecordings/Sex"
    csv = tmp_path / "mine.csv"

    def extract(groups):
        pd.DataFrame(
            {
                "path": [str(sex_dir / "Rfem_Afem04.wav"), str(sex_dir / "Rmale_Afem02.wav")],
                "animal": ["a", "b"],
                "group": groups,
            }
        ).to_csv(csv, index=False)
        return extract_dataset(load_user_recordings(csv), calls="detect", workers=1, cache=tmp_path / "cache")

    first = extract(["wt", "ko"])
    assert extract(["wt", "ko"]).from_cache
    relabelled = extract(["ko", "wt"])
    assert not relabelled.from_cache and relabelled.path != first.path
    assert relabelled.table.groupby("animal").group.first().to_dict() == {"a": "ko", "b": "wt"}
