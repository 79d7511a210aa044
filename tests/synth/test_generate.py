import zipfile

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from scipy import stats

from usvlib.audio import read_audio
from usvlib.dataset import load_dataset
from usvlib.errors import ConfigError
from usvlib.spectrogram import stft_magnitude
from usvlib.synth import generate as gen

from conftest import TINY


def test_layout(quick_dataset):
    sex = sorted(p.name for p in (quick_dataset / gen.SEX_DIR).iterdir())
    assert sex == [f"Rfem_Afem{i:02d}.wav" for i in range(1, 11)] + [f"Rmale_Afem{i:02d}.wav" for i in range(1, 9)]
    info = sf.info(quick_dataset / gen.SEX_DIR / "Rfem_Afem01.wav")
    assert (info.samplerate, info.channels, info.subtype) == (300_000, 1, "PCM_16")
    with zipfile.ZipFile(quick_dataset / gen.STRAIN_ZIP) as zf:
        names = zf.namelist()
    assert sum(n.startswith("Cortexless/") for n in names) == 4 and sum(n.startswith("Control/") for n in names) == 4
    for rel in (
        "ground_truth/calls.csv",
        "ground_truth/animals.csv",
        "ground_truth/config.json",
        "ground_truth/oracle.json",
        "MANIFEST.txt",
        "README.txt",
        gen.FEATURES_CSV,
    ):
        assert (quick_dataset / rel).is_file(), rel
    assert "SYNTHETIC" in (quick_dataset / "README.txt").read_text()


def test_quick_scale(quick_dataset):
    ds = load_dataset(quick_dataset)
    assert 1200 <= len(ds.properties) <= 1800  # ≈1 500 USVs from the 17 used mice
    assert ds.properties.animal.nunique() == 17


def test_same_seed_same_bytes(tmp_path):
    a = gen.generate_dataset(tmp_path / "a", TINY.synth, seed=TINY.seed, name=TINY.name, workers=1)
    b = gen.generate_dataset(tmp_path / "b", TINY.synth, seed=TINY.seed, name=TINY.name, workers=2)
    assert (a / "MANIFEST.txt").read_bytes() == (b / "MANIFEST.txt").read_bytes()


def test_refuses_to_overwrite_and_leaves_nothing_half_written(tmp_path, monkeypatch):
    out = tmp_path / "ds"
    out.mkdir()
    with pytest.raises(ConfigError, match="already exists"):
        gen.generate_dataset(out, TINY.synth)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gen, "_write_features_csv", broken)
    with pytest.raises(RuntimeError):
        gen.generate_dataset(tmp_path / "new", TINY.synth, seed=TINY.seed, name=TINY.name, workers=1)
    assert list(tmp_path.iterdir()) == [out]  # no partial dataset, no temporary folder


def test_overwrite_replaces_only_what_usvlib_generated(tmp_path):
    precious = tmp_path / "recordings"
    precious.mkdir()
    (precious / "mouse1.wav").write_bytes(b"RIFF")
    with pytest.raises(ConfigError, match="not a synthetic dataset"):
        gen.generate_dataset(precious, TINY.synth, overwrite=True)
    assert (precious / "mouse1.wav").read_bytes() == b"RIFF"  # untouched
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        gen.generate_dataset(afile, TINY.synth, overwrite=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    ds = gen.generate_dataset(empty, TINY.synth, seed=TINY.seed, name=TINY.name, workers=1, overwrite=True)
    again = gen.generate_dataset(ds, TINY.synth, seed=TINY.seed, name=TINY.name, workers=1, overwrite=True)
    assert (again / "ground_truth" / "config.json").is_file()  # a generated dataset may be replaced


def _wilcoxon(props, column):
    return stats.ranksums(props[column][props.sex == "male"], props[column][props.sex == "female"]).pvalue


def test_the_paper_s_property_differences_hold(quick_dataset):
    """Fig 2: mean frequency and direction do not differ by sex; duration, volume, broadband do."""
    props = load_dataset(quick_dataset).properties
    assert _wilcoxon(props, "mean_freq_hz") > 0.05
    assert _wilcoxon(props, "direction") > 0.05
    for column in ("duration_s", "volume", "broadband"):
        assert _wilcoxon(props, column) < 0.05, column


def test_male_only_call_in_every_male(quick_dataset):
    gt = load_dataset(quick_dataset).calls("sex")
    two_part = gt[gt.family == "two_part"]
    assert set(two_part.sex) == {"male"}
    males = gt[gt.sex == "male"].animal.unique()
    assert set(two_part.animal) == set(males)


def test_oracle_is_recorded(quick_dataset):
    oracle = load_dataset(quick_dataset).oracle
    pop = oracle["sex.across_animals_population"]["balanced_accuracy"]
    assert 0.80 <= pop <= 0.90
    assert oracle["sex.with_animal"]["balanced_accuracy"] > oracle["sex.across_animals"]["balanced_accuracy"]
    assert oracle["sex.across_animals"]["n_animals"] == 17


def test_audio_follows_the_ground_truth(quick_dataset):
    """In plain, loud flat calls the spectrogram's peak sits on the true frequency."""
    ds = load_dataset(quick_dataset)
    gt = ds.calls("sex")
    plain = gt[
        (gt.family == "flat")
        & (gt.level_db > 12)
        & (gt.broadband == 0)
        & (gt.tremolo == 0)
        & (gt.breaks == 0)
        & (gt.harmonic == 0)
    ].head(10)
    assert len(plain) >= 5
    paths = dict(zip(ds.recordings.animal, ds.recordings.path, strict=False))
    for call in plain.itertuples():
        x, rate = read_audio(paths[call.animal], start_s=call.onset_s + 0.003, stop_s=call.offset_s - 0.003)
        spec, freqs, _ = stft_magnitude(x, rate)
        peak = np.median(freqs[spec.argmax(axis=0)])
        assert peak == pytest.approx(call.mean_freq_hz, abs=1_500)
    # and outside calls there is only background: the loudest frame between calls is quieter
    rec = gt[gt.animal == plain.iloc[0].animal]
    assert len(rec) > 3


def test_ground_truth_table_is_complete(quick_dataset):
    gt = pd.read_csv(quick_dataset / "ground_truth/calls.csv", low_memory=False)
    assert gt.call_id.is_unique
    for col in ("onset_s", "offset_s", "family", "mean_freq_hz", "level_dbfs", "human_breaks", "true_breaks"):
        assert gt[col].notna().all(), col
    assert gt.mean_freq_hz.between(30e3, 125e3).all()
