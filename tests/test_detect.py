import numpy as np
import pandas as pd
import pytest
from signals import RATE, noise, place, tone

from usvlib.audio import write_wav
from usvlib.detect import (
    DetectorParams,
    detect,
    detect_many,
    evaluate,
    evaluate_reference_clips,
    read_intervals,
)
from usvlib.errors import ConfigError
from usvlib.paths import reference_clips_dir


def _write(tmp_path, x, name="rec.wav"):
    return write_wav(tmp_path / name, np.clip(x, -1, 1), RATE)


def test_planted_calls_are_found_with_their_times(tmp_path):
    x = noise(3.0)
    truth = [(0.30, 0.35), (0.80, 0.86), (1.50, 1.62), (2.40, 2.42)]
    for k, (a, b) in enumerate(truth):

        def sweep(t, sign=(-1) ** k):
            return 60_000 + sign * 15_000 * t / t[-1]

        place(x, tone(sweep, b - a, amplitude=0.02), a)
    calls = detect(_write(tmp_path, x))
    assert len(calls) == len(truth)
    np.testing.assert_allclose(calls.onset_s, [a for a, _ in truth], atol=0.003)
    np.testing.assert_allclose(calls.offset_s, [b for _, b in truth], atol=0.003)
    assert (calls.mean_freq_hz.between(45_000, 75_000)).all()  # sweeps 60-75 and 60-45 kHz


def test_recall_on_planted_calls_in_noise(tmp_path):
    rng = np.random.default_rng(1)
    x = noise(10.0, seed=2)
    onsets = np.arange(0.2, 9.6, 0.3)
    truth = []
    for a in onsets:
        d = rng.uniform(0.01, 0.12)
        f0, change = rng.uniform(45_000, 95_000), rng.uniform(-8000, 8000)

        def sweep(t, f0=f0, change=change, d=d):
            return f0 + change * t / d

        place(x, tone(sweep, d, amplitude=rng.uniform(0.005, 0.05)), a)
        truth.append((a, a + d))
    score = evaluate(pd.DataFrame(truth, columns=["onset_s", "offset_s"]), detect(_write(tmp_path, x)))
    assert score.recall >= 0.95 and score.precision >= 0.95


def test_silence_and_noise_give_no_calls(tmp_path):
    assert len(detect(_write(tmp_path, np.zeros(RATE)))) == 0
    assert len(detect(_write(tmp_path, noise(5.0), "noise.wav"))) == 0


def test_clicks_and_low_frequency_noise_are_not_calls(tmp_path):
    x = noise(4.0, seed=3)
    rng = np.random.default_rng(3)
    for a in rng.uniform(0.1, 3.9, 40):  # 0.2 ms clicks, 30 dB over the floor
        i = round(a * RATE)
        x[i : i + 60] += 0.1 * rng.standard_normal(60) * np.exp(-np.arange(60) / 20)
    low = tone(8_000, 1.0, amplitude=0.2)  # a loud 8 kHz hum for a second
    place(x, low, 1.5)
    assert len(detect(_write(tmp_path, x))) == 0


def test_the_15_ms_merge_rule(tmp_path):
    x = noise(1.0)
    place(x, tone(70_000, 0.03, amplitude=0.02), 0.2)
    place(x, tone(72_000, 0.03, amplitude=0.02), 0.24)  # 10 ms gap: one USV
    place(x, tone(70_000, 0.03, amplitude=0.02), 0.5)
    place(x, tone(72_000, 0.03, amplitude=0.02), 0.555)  # 25 ms gap: two USVs
    calls = detect(_write(tmp_path, x))
    assert len(calls) == 3
    assert calls.duration_s.iloc[0] == pytest.approx(0.07, abs=0.004)


def test_other_sampling_rates(tmp_path):
    rate = 250_000
    t = np.arange(int(1.0 * rate)) / rate
    x = 0.003 * np.random.default_rng(0).standard_normal(len(t))
    sel = (t > 0.4) & (t < 0.45)
    x[sel] += 0.02 * np.sin(2 * np.pi * 65_000 * t[sel])
    path = write_wav(tmp_path / "r250.wav", x, rate)
    calls = detect(path)
    assert len(calls) == 1 and calls.onset_s.iloc[0] == pytest.approx(0.4, abs=0.002)


def test_evaluate_one_to_one():
    ref = pd.DataFrame({"onset_s": [0.0, 1.0, 2.0], "offset_s": [0.1, 1.1, 2.1]})
    det = pd.DataFrame({"onset_s": [0.01, 0.05, 1.5, 2.0], "offset_s": [0.04, 0.09, 1.6, 2.12]})
    s = evaluate(ref, det)  # two detections split the first call: only one may match it
    assert (s.n_matched, s.precision, s.recall) == (2, 0.5, pytest.approx(2 / 3))
    assert s.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert evaluate(ref, ref).f1 == 1.0
    empty = evaluate(ref, det.iloc[:0])
    assert empty.f1 == 0.0 and empty.recall == 0.0


def test_read_intervals_with_decimal_commas(tmp_path):
    p = tmp_path / "msa.csv"
    p.write_text('"0,0775","0,0811"\n"0,1773","0,2065"\n')
    assert read_intervals(p).onset_s.tolist() == [0.0775, 0.1773]


def test_batch_reports_unreadable_files_and_goes_on(tmp_path):
    good = _write(tmp_path, place(noise(1.0), tone(70_000, 0.05, amplitude=0.02), 0.3))
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    calls, failures = detect_many([good, bad, tmp_path / "missing.wav"], progress=False)
    assert len(calls) == 1 and set(failures) == {str(bad), str(tmp_path / "missing.wav")}


def test_parameters_are_checked():
    with pytest.raises(ConfigError):
        DetectorParams(band_hz=(100_000, 50_000))
    with pytest.raises(ConfigError):
        DetectorParams(median_frames=4)


def test_real_clips_as_well_as_the_other_tools():
    table = evaluate_reference_clips(reference_clips_dir())
    pooled = table[table.recording == "all"].set_index("detector")
    assert pooled.loc["usvlib", "n_reference"] == 96
    # DeepSqueak, MUPET and VocalMat score 0.97-0.99 on these clips; usvlib must be in that league
    assert pooled.loc["usvlib", "f1"] >= 0.95
    assert {"DeepSqueak", "MUPET", "VocalMat"} <= set(pooled.index)
