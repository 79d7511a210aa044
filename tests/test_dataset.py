import gzip
import os

import numpy as np
import pytest

from usvlib.dataset import FEATURES_DIR, FEATURES_NAME, load_dataset, usv_counts
from usvlib.errors import DatasetError, ManifestError
from usvlib.formats import load_properties
from usvlib.manifest import write_manifest

from conftest import REPO, SHARED

FIXTURE = REPO / "tests" / "fixtures" / "donders_manifest_paths.txt.gz"


def _donders_paths() -> list[str]:
    return [p.decode() for p in gzip.open(FIXTURE).read().split(b"\n") if p]


def test_fixture_matches_the_shared_manifest():
    shared = SHARED / "donders" / "MANIFEST.txt"
    if not shared.is_file():
        pytest.skip("shared/donders absent")
    real = [line[65:].decode() for line in shared.read_bytes().split(b"\n") if line.strip()]
    assert real == _donders_paths()


def _features_rows(header: bool) -> str:
    rows = [
        "0,1,0,0.045,71234.5,0.8,1,0,0,0.1,0,0",
        "1,11,1,0.081,68000,1.2,-1,1,1,0.4,1,1",
        "2,18,1,0.012,75000,0.7,0,0,0,0,0,0",
    ]
    head = "fileid,animalid,sex,duration,avgfreq,avgvol,direction,peaks,breaks,broadband,tremolo,complex\n"
    return (head if header else "") + "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def _skeleton(tmp_path_factory):
    """Every path of the real dataset, as tiny stand-in files (created once: 7 154 files)."""
    root = tmp_path_factory.mktemp("donders") / "DSC_620840_0003_891"
    paths = _donders_paths()
    for folder in sorted({os.path.dirname(rel) for rel in paths}):
        os.makedirs(root / folder, exist_ok=True)
    for rel in paths:
        with open(root / rel, "wb") as fh:
            fh.write(b"" if rel.endswith("Icon\r") else b"stand-in")
    return root


@pytest.fixture(params=[False, True], ids=["no-header", "header"])
def donders_skeleton(_skeleton, request):
    """The skeleton with a small properties table (with or without header) and its manifest."""
    (_skeleton / FEATURES_DIR / FEATURES_NAME).write_text(_features_rows(request.param))
    write_manifest(_skeleton)
    return _skeleton


def test_loader_finds_the_real_layout(donders_skeleton):
    with pytest.warns(UserWarning, match="not a readable zip"):
        ds = load_dataset(donders_skeleton, read_headers=False)
    assert ds.kind == "real"
    sex = ds.recordings[ds.recordings.experiment == "sex"]
    assert len(sex) == 18
    assert (sex.sex == "female").sum() == 10 and (sex.sex == "male").sum() == 8
    assert sex.recording.iloc[0] == "Rfem_Afem01" and sex.recording.iloc[-1] == "Rmale_Afem08"
    assert sex.set_index("recording").loc["Rfem_Afem09", "used"] == False  # noqa: E712
    assert sex.used.sum() == 17
    assert (sex.animal == sex.recording).all()
    props = ds.properties
    assert list(props.columns[:3]) == ["usv_id", "animal_id", "animal"]
    assert props.animal.tolist() == ["Rfem_Afem01", "Rmale_Afem01", "Rmale_Afem08"]
    assert props.sex.tolist() == ["female", "male", "male"]
    assert props.duration_s.iloc[0] == pytest.approx(0.045)
    assert ds.verification.ok


def test_corrupted_real_layout_is_refused(donders_skeleton):
    wav = donders_skeleton / "Data/RawRecordings/Sex/Rmale_Afem03.wav"
    wav.write_bytes(b"damaged")
    try:
        with pytest.raises(ManifestError, match="Rmale_Afem03.wav"):
            load_dataset(donders_skeleton, read_headers=False)
    finally:
        wav.write_bytes(b"stand-in")


def test_not_a_dataset(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        load_dataset(tmp_path / "missing")
    with pytest.raises(DatasetError, match="Rfem_AfemNN.wav"):
        load_dataset(tmp_path)


def test_synthetic_round_trip(tiny_dataset):
    ds = load_dataset(tiny_dataset, verify="all", rehash=True)
    assert ds.is_synthetic and ds.verification.checked > 20
    assert set(ds.recordings.experiment) == {"sex", "strain"}
    assert (ds.recordings.rate_hz == 300_000).all()
    assert ds.recordings.duration_s.iloc[0] == pytest.approx(2.0)
    strain = ds.recordings[ds.recordings.experiment == "strain"]
    assert sorted(strain.group) == ["control", "cortexless"] and (strain.strain == strain.group).all()
    # the properties table is the ground truth of the used sex recordings
    gt = ds.calls("sex")
    props = ds.properties
    assert len(props) == len(gt)
    assert props.usv_id.tolist() == gt.call_id.tolist()
    assert props.animal.tolist() == gt.animal.tolist()
    np.testing.assert_allclose(props.duration_s, gt.offset_s - gt.onset_s, rtol=1e-5)
    np.testing.assert_allclose(props.mean_freq_hz, gt.mean_freq_hz, rtol=1e-5)
    assert (props.broadband.between(0, 1)).all()
    counts = usv_counts(ds)
    assert counts.n_usvs.sum() == len(ds.ground_truth)


def test_corrupted_synthetic_wav(tiny_dataset):
    wav = tiny_dataset / "Data/RawRecordings/Sex/Rmale_Afem02.wav"
    data = bytearray(wav.read_bytes())
    data[5000] ^= 0xFF
    wav.write_bytes(bytes(data))
    with pytest.raises(ManifestError) as exc:
        load_dataset(tiny_dataset, rehash=True)
    message = str(exc.value)
    assert "corrupted Data/RawRecordings/Sex/Rmale_Afem02.wav" in message and "copy" in message
    assert "\n" not in message and "--skip-unreadable" in message
    # asked to, the load goes on without the damaged recording, and says so
    with pytest.warns(UserWarning, match="Rmale_Afem02.wav: missing or corrupted"):
        ds = load_dataset(tiny_dataset, rehash=True, skip_unreadable=True)
    assert len(ds.recordings) == 19 and "Rmale_Afem02" not in " ".join(ds.recordings.path)
    assert any("Rmale_Afem02.wav: missing or corrupted" in note for note in ds.notes)
    # without verification, the damage is invisible to the loader: that is what the manifest is for
    assert len(load_dataset(tiny_dataset, verify="none").recordings) == 20
    # a recording that is gone altogether is left out the same way
    (tiny_dataset / "Data/RawRecordings/Sex/Rfem_Afem01.wav").unlink()
    with pytest.warns(UserWarning) as caught:
        ds = load_dataset(tiny_dataset, rehash=True, skip_unreadable=True)
    assert len(ds.recordings) == 18 and any("Rfem_Afem01.wav: missing" in str(w.message) for w in caught)


def test_truncated_recording_is_named(tiny_dataset):
    wav = tiny_dataset / "Data/RawRecordings/Sex/Rfem_Afem03.wav"
    wav.write_bytes(wav.read_bytes()[:100_000])
    with pytest.raises(DatasetError) as exc:
        load_dataset(tiny_dataset, verify="none")
    message = str(exc.value)
    assert "Rfem_Afem03.wav: truncated" in message and "\n" not in message
    assert "usvlib extract --skip-unreadable, or skip_unreadable=True in Python" in message
    with pytest.warns(UserWarning, match="truncated"):
        ds = load_dataset(tiny_dataset, verify="none", skip_unreadable=True)
    assert "Rfem_Afem03" not in set(ds.recordings.recording)


def test_missing_label_is_reported(tmp_path):
    path = tmp_path / FEATURES_NAME
    text = _features_rows(False).replace("0.4,1,1", "0.4,,1")
    path.write_text(text)
    with pytest.raises(DatasetError) as exc:
        load_properties(path)
    assert "line 2" in str(exc.value) and "tremolo" in str(exc.value)
    table, notes = load_properties(path, on_missing="drop")
    assert len(table) == 2 and "left out" in notes[0]


def test_units_and_sex_strings_are_understood(tmp_path):
    path = tmp_path / FEATURES_NAME
    rows = ["0,1,F,45,71.2,0.8,1,0,0,0.1,0,0", "1,11,m,81,68.0,1.2,-1,1,1,0.4,1,1"]
    path.write_text("\n".join(rows) + "\n")
    table, notes = load_properties(path)
    assert table.sex.tolist() == ["female", "male"]
    assert table.duration_s.tolist() == pytest.approx([0.045, 0.081])
    assert table.mean_freq_hz.tolist() == pytest.approx([71_200, 68_000])
    assert len(notes) == 2


def test_wrong_column_count(tmp_path):
    path = tmp_path / FEATURES_NAME
    path.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DatasetError, match="has 3 columns"):
        load_properties(path)


def test_a_recording_the_manifest_does_not_list_is_refused(tiny_dataset):
    import shutil

    from usvlib.errors import DatasetError

    sex = tiny_dataset / "Data/RawRecordings/Sex"
    shutil.copy(sex / "Rmale_Afem01.wav", sex / "Rfem_Afem11.wav")  # a male's calls as a female's
    with pytest.raises(DatasetError, match=r"Rfem_Afem11\.wav: not in MANIFEST\.txt"):
        load_dataset(tiny_dataset)
    assert len(load_dataset(tiny_dataset, verify="none").recordings) > 0  # unchecked, if asked for
