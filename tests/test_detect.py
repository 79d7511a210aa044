import numpy as np
import pandas as pd
import pytest
from signals import RATE, noise, place, tone

from usvlib.audio import write_wav
from usvlib.detect import DetectorParams, detect_file, detect_many, detect_samples
from usvlib.errors import AudioError, ConfigError
from usvlib.metrics import score_detections


def _write(tmp_path, x, name="rec.wav"):
    return write_wav(tmp_path / name, np.clip(x, -1, 1), RATE)


def test_planted_calls_are_found_with_their_times(tmp_path):
    x = noise(3.0)
    truth = [(0.30, 0.35), (0.80, 0.86), (1.50, 1.62), (2.40, 2.42)]
    for k, (a, b) in enumerate(truth):

        def sweep(t, sign=(-1) ** k):
            return 60_000 + sign * 15_000 * t / t[-1]

        place(x, tone(sweep, b - a, amplitude=0.02), a)
    calls = detect_file(_write(tmp_path, x))
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
    score = score_detections(pd.DataFrame(truth, columns=["onset_s", "offset_s"]), detect_file(_write(tmp_path, x)))
    assert score.recall >= 0.95 and score.precision >= 0.95


def test_silence_and_noise_give_no_calls(tmp_path):
    assert len(detect_file(_write(tmp_path, np.zeros(RATE)))) == 0
    assert len(detect_file(_write(tmp_path, noise(5.0), "noise.wav"))) == 0


def test_clicks_and_low_frequency_noise_are_not_calls(tmp_path):
    x = noise(4.0, seed=3)
    rng = np.random.default_rng(3)
    for a in rng.uniform(0.1, 3.9, 40):  # 0.2 ms clicks, 30 dB over the floor
        i = round(a * RATE)
        x[i : i + 60] += 0.1 * rng.standard_normal(60) * np.exp(-np.arange(60) / 20)
    low = tone(8_000, 1.0, amplitude=0.2)  # a loud 8 kHz hum for a second
    place(x, low, 1.5)
    assert len(detect_file(_write(tmp_path, x))) == 0


def test_the_15_ms_merge_rule(tmp_path):
    x = noise(1.0)
    place(x, tone(70_000, 0.03, amplitude=0.02), 0.2)
    place(x, tone(72_000, 0.03, amplitude=0.02), 0.24)  # 10 ms gap: one USV
    place(x, tone(70_000, 0.03, amplitude=0.02), 0.5)
    place(x, tone(72_000, 0.03, amplitude=0.02), 0.555)  # 25 ms gap: two USVs
    calls = detect_file(_write(tmp_path, x))
    assert len(calls) == 3
    assert calls.duration_s.iloc[0] == pytest.approx(0.07, abs=0.004)


def test_short_calls_and_fast_sweeps_are_found(tmp_path):
    x = noise(1.5, seed=4)
    place(x, tone(75_000, 0.006, amplitude=0.02, ramp_s=0.001), 0.2)  # 6 ms: above the 5 ms minimum

    def fast(t):  # 40 -> 100 kHz in 6 ms: 10 kHz/ms, beyond continuity_hz per frame
        return 40_000 + 60_000 * t / t[-1]

    place(x, tone(fast, 0.006, amplitude=0.03, ramp_s=0.001), 1.0)
    truth = pd.DataFrame({"onset_s": [0.2, 1.0], "offset_s": [0.206, 1.006]})
    score = score_detections(truth, detect_file(_write(tmp_path, x)))
    assert score.n_matched == 2 and score.n_detected == 2
    # without the confident-score exemption the continuity rule drops the sweep
    strict = score_detections(truth, detect_file(_write(tmp_path, x), DetectorParams(confident_score=np.inf)))
    assert strict.n_matched == 1 and strict.n_detected == 1


def test_a_short_call_diluted_by_a_faint_tail_is_kept():
    # a 10 ms call whose event a faint 60 ms tail lengthens: the event's mean purity is too low,
    # but its strongest 8 ms stretch is a call on its own (DetectorParams.window_score)
    x = noise(1.0, seed=5)
    place(x, tone(70_000, 0.010, amplitude=0.002, ramp_s=0.001), 0.30)
    place(x, tone(70_000, 0.060, amplitude=0.0008, ramp_s=0.001), 0.312)
    calls = detect_samples(x, rate_hz=RATE)
    assert len(calls) == 1 and calls.onset_s.iloc[0] == pytest.approx(0.30, abs=0.003)
    assert calls.score.iloc[0] < DetectorParams().min_score  # kept by the stretch, not the mean
    assert len(detect_samples(x, rate_hz=RATE, params=DetectorParams(window_score=np.inf))) == 0


def test_other_sampling_rates(tmp_path):
    rate = 250_000
    t = np.arange(int(1.0 * rate)) / rate
    x = 0.003 * np.random.default_rng(0).standard_normal(len(t))
    sel = (t > 0.4) & (t < 0.45)
    x[sel] += 0.02 * np.sin(2 * np.pi * 65_000 * t[sel])
    path = write_wav(tmp_path / "r250.wav", x, rate)
    calls = detect_file(path)
    assert len(calls) == 1 and calls.onset_s.iloc[0] == pytest.approx(0.4, abs=0.002)


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


def test_samples_in_memory_give_the_table_of_the_file(tmp_path):
    """detect_samples on an array finds what detect_file finds in the same samples written as a
    16-bit WAV, float and int16 alike."""
    x = place(place(noise(2.0), tone(70_000, 0.05, amplitude=0.02), 0.3), tone(55_000, 0.1, amplitude=0.02), 1.2)
    path = _write(tmp_path, x)
    from_file = detect_file(path).drop(columns="recording")
    pcm = np.clip(np.rint(np.clip(x, -1, 1) * 32768.0), -32768, 32767).astype(np.int16)
    for samples in (pcm, pcm / 32768.0):
        in_memory = detect_samples(samples, rate_hz=RATE).drop(columns="recording")
        assert len(in_memory) == 2
        pd.testing.assert_frame_equal(in_memory, from_file, check_dtype=False)


def test_samples_in_memory_are_checked():
    with pytest.raises(AudioError, match="mono"):
        detect_samples(np.zeros((2, RATE)), rate_hz=RATE)
    with pytest.raises(AudioError, match="200000 Hz"):
        detect_samples(np.zeros(48_000), rate_hz=48_000)
    bad = np.zeros(RATE)
    bad[10] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        detect_samples(bad, rate_hz=RATE, recording="clip.wav")


@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
def test_a_float_wav_gives_the_calls_of_its_16_bit_copy(tmp_path, subtype):
    import soundfile as sf

    x = place(place(noise(2.0), tone(70_000, 0.05, amplitude=0.02), 0.3), tone(55_000, 0.1, amplitude=0.02), 1.2)
    x16 = np.clip(np.rint(x * 32768), -32768, 32767).astype(np.int16)
    pcm = write_wav(tmp_path / "pcm16.wav", x16, RATE)
    flt = tmp_path / "float.wav"
    sf.write(flt, x16 / 32768.0, RATE, subtype=subtype)  # the same values, stored as floats
    from_pcm, from_float = detect_file(pcm), detect_file(flt)
    assert len(from_pcm) == 2
    pd.testing.assert_frame_equal(from_pcm.drop(columns="recording"), from_float.drop(columns="recording"))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_float_wav_with_nan_or_infinite_samples_is_named(tmp_path, bad):
    import soundfile as sf

    x = noise(1.0).astype(np.float32)
    x[RATE // 2] = bad
    path = tmp_path / "bad.wav"
    sf.write(path, x, RATE, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"bad\.wav: has NaN or infinite samples \(the first at 0\.500 s\)"):
        detect_file(path)


def test_a_float_wav_gives_the_products_of_its_16_bit_copy(tmp_path):
    import soundfile as sf

    from usvlib.products import recording_products

    x = place(noise(1.0), tone(70_000, 0.05, amplitude=0.02), 0.3)
    x16 = np.clip(np.rint(x * 32768), -32768, 32767).astype(np.int16)
    pcm = write_wav(tmp_path / "pcm16.wav", x16, RATE)
    flt = tmp_path / "float.wav"
    sf.write(flt, x16 / 32768.0, RATE, subtype="FLOAT")
    calls = pd.DataFrame({"onset_s": [0.3], "offset_s": [0.35]})
    from_pcm, from_float = recording_products(pcm, calls), recording_products(flt, calls)
    assert np.abs(from_pcm["images"].astype(float)).max() > 1  # a call, not zeros
    for name in ("images", "spectral_line", "time_marginal", "freq_marginal"):
        np.testing.assert_array_equal(from_pcm[name], from_float[name])
    pd.testing.assert_frame_equal(from_pcm["properties"], from_float["properties"])


def test_a_damaged_flac_is_named_and_the_batch_goes_on(tmp_path):
    import soundfile as sf

    x = place(noise(2.0), tone(70_000, 0.05, amplitude=0.02), 0.3)
    good = _write(tmp_path, x)
    flac = tmp_path / "cut.flac"
    sf.write(flac, np.clip(x, -1, 1), RATE, format="FLAC")
    data = flac.read_bytes()
    flac.write_bytes(data[: len(data) // 2])  # truncated in the middle of its frames
    good2 = _write(tmp_path, x, "rec2.wav")
    calls, failures = detect_many([good, flac, good2], progress=False)
    assert list(failures) == [str(flac)] and "cut.flac" in failures[str(flac)]
    assert "\n" not in failures[str(flac)] and calls.recording.nunique() == 2


def test_workers_sharing_one_file_give_the_table_of_one(tmp_path):
    # 1 s blocks: five of them, the last (0.3 s) shorter than a noise-floor segment, so it takes
    # its predecessor's floor, which must lie in the same worker's stretch
    x = noise(4.3, seed=6)
    for k, a in enumerate(np.arange(0.2, 4.1, 0.45)):
        place(x, tone(55_000 + 3_000 * k, 0.03, amplitude=0.01), a)
    path = _write(tmp_path, x)
    params = DetectorParams(block_s=1.0)
    one = detect_file(path, params)
    assert len(one) == 9
    pd.testing.assert_frame_equal(detect_file(path, params, workers=2), one)
    calls, failures = detect_many([path], params, progress=False, workers=2)
    assert not failures
    pd.testing.assert_frame_equal(calls, one)
