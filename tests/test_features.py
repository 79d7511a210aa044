import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from signals import RATE, noise, place, tone

from usvlib.audio import write_wav
from usvlib.dataset import load_dataset
from usvlib.extract import extract_dataset, recording_products
from usvlib.properties import EXTENDED_COLUMNS, PROPERTY_COLUMNS


def _properties(tmp_path, call: np.ndarray, *, onset_s: float = 1.0, seconds: float = 2.5) -> pd.Series:
    x = place(noise(seconds, rms=0.002), call, onset_s)
    path = write_wav(tmp_path / "call.wav", x, RATE)
    calls = pd.DataFrame({"onset_s": [onset_s], "offset_s": [onset_s + len(call) / RATE]})
    return recording_products(path, calls)["properties"].iloc[0]


def test_the_sets_of_properties():
    assert len(PROPERTY_COLUMNS) == 9 and len(EXTENDED_COLUMNS) == 24
    assert all(
        any(u in c for u in ("_s", "_hz", "_db", "_frac"))
        or c
        in (
            "direction",
            "peaks",
            "breaks",
            "broadband",
            "tremolo",
            "complex",
            "line_skewness",
            "line_kurtosis",
            "purity",
            "slope_hz_per_s",
        )
        for c in EXTENDED_COLUMNS
    )


def test_pure_tone(tmp_path):
    p = _properties(tmp_path, tone(70_000, 0.05, amplitude=0.02))
    assert p.duration_s == pytest.approx(0.05)
    assert p.mean_freq_hz == pytest.approx(70_000, abs=600)
    assert (p.direction, p.peaks, p.breaks, p.tremolo, p.complex) == (0, 0, 0, 0, 0)
    assert p.freq_range_hz <= 1_200
    # volume: a 0.02-amplitude sine has an RMS of 0.02 / sqrt(2), -37 dBFS
    assert p.volume_dbfs == pytest.approx(20 * np.log10(0.02 / np.sqrt(2)), abs=1.0)
    assert p.broadband < 0.1


def test_linear_chirp_direction_and_slope(tmp_path):
    up = _properties(tmp_path, tone(lambda t: 50_000 + 30_000 * t / 0.06, 0.06, amplitude=0.02))
    assert up.direction == 1 and up.peaks == 0 and up.breaks == 0
    assert up.slope_hz_per_s == pytest.approx(30_000 / 0.06, rel=0.1)
    assert up.start_freq_hz == pytest.approx(52_000, abs=3_000) and up.stop_freq_hz == pytest.approx(78_000, abs=3_000)
    down = _properties(tmp_path, tone(lambda t: 90_000 - 25_000 * t / 0.05, 0.05, amplitude=0.02))
    assert down.direction == -1


def test_frequency_jump_is_a_break(tmp_path):
    jump = tone(lambda t: np.where(t < 0.03, 60_000, 75_000), 0.06, amplitude=0.02)
    p = _properties(tmp_path, jump)
    assert p.breaks == 1


def test_chevron_has_a_peak(tmp_path):
    chevron = tone(lambda t: 60_000 + 15_000 * np.sin(np.pi * t / 0.08), 0.08, amplitude=0.02)
    p = _properties(tmp_path, chevron)
    assert p.peaks == 1 and p.direction == 0
    assert 0.3 < p.peak_time_frac < 0.7


def test_tremolo(tmp_path):
    trem = tone(lambda t: 70_000 + 2_500 * np.sin(2 * np.pi * 70 * t), 0.08, amplitude=0.02)
    assert _properties(tmp_path, trem).tremolo == 1


def test_harmonic_makes_a_call_complex(tmp_path):
    t = np.arange(round(0.05 * RATE)) / RATE
    x = 0.02 * np.sin(2 * np.pi * 55_000 * t) + 0.006 * np.sin(2 * np.pi * 110_000 * t)
    p = _properties(tmp_path, x)
    assert p.complex == 1 and -16 < p.harmonic_db < -6


def test_long_call_is_squeezed_and_counted(tmp_path):
    x = place(noise(1.0, rms=0.002), tone(65_000, 0.35, amplitude=0.02), 0.3)
    path = write_wav(tmp_path / "long.wav", x, RATE)
    out = recording_products(path, pd.DataFrame({"onset_s": [0.3], "offset_s": [0.65]}))
    assert out["did_not_fit"][0]
    img = out["images"][0].astype(np.float32)
    assert img.shape == (100, 100) and abs(img.mean()) < 1e-3
    # squeezed, the call spans the whole width
    assert (img.max(axis=0) > img.mean()).mean() > 0.9


def test_estimators_agree_with_the_synthetic_truth(quick_dataset, tmp_path):
    ds = load_dataset(quick_dataset)
    found = extract_dataset(ds, calls="truth", experiments=("sex",), workers=2, cache=tmp_path)
    t = found.table.merge(ds.ground_truth, left_on="truth_call_id", right_on="call_id", suffixes=("", "_true"))
    assert len(t) == len(found.table)
    accuracy = {p: (t[p] == t[f"true_{p}"]).mean() for p in ("direction", "peaks", "breaks", "tremolo", "complex")}
    assert accuracy["direction"] > 0.7 and accuracy["peaks"] > 0.8 and accuracy["breaks"] > 0.8
    assert accuracy["tremolo"] > 0.85 and accuracy["complex"] > 0.8
    assert spearmanr(t.volume_dbfs, t.level_dbfs).correlation > 0.9
    assert np.median(np.abs(t.mean_freq_hz - t.mean_freq_hz_true)) < 1_000
    ok = t.broadband.notna()
    assert spearmanr(t.broadband[ok], t.true_broadband[ok]).correlation > 0.2
    np.testing.assert_allclose(t.duration_s, t.offset_s - t.onset_s, rtol=1e-6)
