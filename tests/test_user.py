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
        ("path,animal,sex\nREC,a,female\nREC,a,male\n", "is listed on lines 2, 3 - list each recording once"),
        ("path,animal,sex\nREC,a,male\nREC,a,male\nREC,a,male\n", "is listed on lines 2, 3, 4 - list each"),
        ("path,animal,sex\nREC,a,female\nREC2,a,male\n", "more than one sex/group: a - give each animal"),
        ("path,animal,group\nREC,a,KO\nREC2,b,\n", "no group on line"),
        ("path,animal,sex\nREC,a,hermaphrodite\n", "unknown sex"),
        ("path,animal,sex\nREC,,female\n", "no animal on line"),
    ],
)
def test_user_manifest_errors(tiny_dataset, tmp_path, content, message):
    rec = str(Path(tiny_dataset) / "Data/RawRecordings/Sex/Rfem_Afem01.wav")
    rec2 = str(Path(tiny_dataset) / "Data/RawRecordings/Sex/Rmale_Afem01.wav")
    csv = tmp_path / "bad.csv"
    csv.write_text(content.replace("REC2", rec2).replace("REC", rec))
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


def test_recordings_that_share_a_file_name_get_distinct_ids(tiny_dataset, tmp_path):
    import shutil

    wav = Path(tiny_dataset) / "Data/RawRecordings/Sex/Rfem_Afem01.wav"
    for cage in ("cage1", "cage2"):
        (tmp_path / cage).mkdir()
        shutil.copy(wav, tmp_path / cage / "2024-03-01.wav")
    csv = tmp_path / "mine.csv"
    csv.write_text("path,animal,sex\ncage1/2024-03-01.wav,m17,male\ncage2/2024-03-01.wav,f03,female\n")
    ds = load_user_recordings(csv)
    assert ds.recordings.recording.tolist() == ["cage1/2024-03-01", "cage2/2024-03-01"]


def test_a_stereo_recording_is_read_from_the_channel_the_manifest_names(tmp_path):
    import numpy as np
    import soundfile as sf
    from signals import RATE, noise, place, tone

    calls_side = place(noise(2.0, seed=1), tone(70_000, 0.05, amplitude=0.02), 0.5)
    quiet_side = noise(2.0, seed=2)
    stereo = np.stack([quiet_side, calls_side], axis=1)
    sf.write(tmp_path / "stereo.wav", np.clip(stereo, -1, 1), RATE, subtype="PCM_16")
    csv = tmp_path / "mine.csv"
    csv.write_text("path,animal,sex\nstereo.wav,m1,male\n")
    with pytest.raises(DatasetError, match="has 2 channels - add a column channel"):
        load_user_recordings(csv)
    csv.write_text("path,animal,sex,channel\nstereo.wav,m1,male,2\n")
    with pytest.raises(DatasetError, match="has no channel 2"):
        load_user_recordings(csv)
    csv.write_text("path,animal,sex,channel\nstereo.wav,m1,male,one\n")
    with pytest.raises(DatasetError, match="channel on line"):
        load_user_recordings(csv)
    csv.write_text("path,animal,sex,channel\nstereo.wav,m1,male,1\n")
    ds = load_user_recordings(csv)
    found = extract_dataset(ds, calls="detect", workers=1, cache=tmp_path / "cache")
    assert len(found.table) == 1 and abs(found.table.onset_s.iloc[0] - 0.5) < 0.01
    csv.write_text("path,animal,sex,channel\nstereo.wav,m1,male,0\n")
    quiet = extract_dataset(load_user_recordings(csv), calls="detect", workers=1, cache=tmp_path / "cache")
    assert len(quiet.table) == 0  # the other channel: another extraction, no call


def test_another_tool_s_call_table_is_extracted_recording_by_recording(tiny_dataset, tmp_path):
    """``extract_dataset(calls=table)``: each recording takes the rows that name it (path, file
    name or name without suffix); rows naming no listed recording are left out, with a warning."""
    from usvlib import formats
    from usvlib.errors import ConfigError

    sex_dir = tiny_dataset / "Data/RawRecordings/Sex"
    names = ["Rfem_Afem04", "Rmale_Afem02"]
    csv = tmp_path / "mine.csv"
    pd.DataFrame({"path": [str(sex_dir / f"{n}.wav") for n in names], "animal": names, "sex": ["f", "m"]}).to_csv(
        csv, index=False
    )
    ds = load_user_recordings(csv)
    truth = pd.read_csv(tiny_dataset / "ground_truth" / "calls.csv", low_memory=False)
    truth = truth[truth.animal.isin(names)]
    table = pd.DataFrame(
        {  # one recording named by its file name, the other by its stem, as other tools do
            "recording": [Path(r).name if "fem" in r.split("/")[-1][:5] else Path(r).stem for r in truth.recording],
            "onset_s": truth.onset_s,
            "offset_s": truth.offset_s,
        }
    )
    table = pd.concat([table, pd.DataFrame({"recording": ["other.wav"], "onset_s": [0.1], "offset_s": [0.2]})])
    path = formats.write_calls(table, tmp_path / "calls.csv")
    with pytest.warns(UserWarning, match="1 of .* imported calls name no listed recording"):
        found = extract_dataset(ds, calls=formats.read_calls(path), workers=1, cache=tmp_path / "cache")
    assert found.path.name.split("-")[-2] == "imported"
    got = found.table.groupby("recording").size().to_dict()
    assert got == truth.groupby("animal").size().to_dict()
    assert found.table.onset_s.to_numpy() == pytest.approx(truth.sort_values(["animal", "onset_s"]).onset_s.to_numpy())
    with pytest.raises(ConfigError, match="none of the 1 imported calls belongs to a listed recording"):
        extract_dataset(ds, calls=table.tail(1), workers=1, cache=tmp_path / "cache")
