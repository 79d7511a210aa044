"""The semi-synthetic detection set: background without calls, calls at the stated SNR."""

import numpy as np
import pandas as pd
import pytest
from scipy import signal

from usvlib.synth.semisynthetic import (
    ENBW_HZ,
    SNR_BAND_HZ,
    PlantedRecording,
    PlantingSpec,
    call_free_background,
    duration_band,
    labelled_call_snr_db,
    planted_recording,
    with_low_frequency_noise,
)

RATE = 250_000


def test_the_background_leaves_out_the_labelled_calls():
    rng = np.random.default_rng(0)
    x = 0.01 * rng.standard_normal(RATE)  # one second
    t = np.arange(RATE) / RATE
    calls = pd.DataFrame({"onset_s": [0.2, 0.6], "offset_s": [0.3, 0.65]})
    for c in calls.itertuples():
        inside = (t >= c.onset_s) & (t < c.offset_s)
        x[inside] += 0.5 * np.sin(2 * np.pi * 70_000 * t[inside])
    background = call_free_background(x, RATE, calls, margin_s=0.01)
    assert np.abs(background).max() < 0.1  # no tone left (noise peaks stay near 5 sigma)
    assert len(background) == pytest.approx(RATE * (1 - 0.1 - 0.05 - 4 * 0.01), rel=0.01)
    with pytest.raises(ValueError, match="no call-free stretch"):
        call_free_background(x[: RATE // 10], RATE, pd.DataFrame({"onset_s": [0.0], "offset_s": [0.1]}))


def test_planted_calls_have_the_stated_snr_in_white_noise():
    sigma = 0.01
    background = sigma * np.random.default_rng(1).standard_normal(5 * RATE).astype(np.float32)
    spec = PlantingSpec(n_calls=30, burst_share=0.0, duration_s=(0.02, 0.1), short_share=0.0)
    rec = planted_recording(background, RATE, snr_db=0.0, spec=spec, seed=0)
    assert len(rec.truth) == 30 and rec.truth.duration_s.between(0.02, 0.1 + 1e-3).all()
    x = rec.samples.astype(np.float64)
    measured = []
    for c in rec.truth.itertuples():
        seg = x[round(c.onset_s * RATE) : round(c.offset_s * RATE)]
        measured.append(np.mean(seg**2) - sigma**2)  # the call's power, the noise's taken off
    density = 2 * sigma**2 / RATE  # white noise
    expected = 10 ** (0 / 10) * density * (SNR_BAND_HZ[1] - SNR_BAND_HZ[0])
    assert np.median(measured) == pytest.approx(expected, rel=0.1)
    # the SNR in one bin of the paper's spectrogram is the band's plus 10 log10(95 kHz / 900 Hz)
    bin_gain_db = 10 * np.log10((SNR_BAND_HZ[1] - SNR_BAND_HZ[0]) / ENBW_HZ)
    assert rec.truth.snr_bin_db.median() == pytest.approx(bin_gain_db, abs=0.3)


@pytest.mark.parametrize("snr_db", [-5.0, 10.0])
def test_the_snr_of_labelled_calls_is_measured_as_planted(snr_db):
    background = 0.01 * np.random.default_rng(2).standard_normal(5 * RATE).astype(np.float32)
    spec = PlantingSpec(n_calls=20, burst_share=0.0, duration_s=(0.02, 0.1), short_share=0.0)
    rec = planted_recording(background, RATE, snr_db=snr_db, spec=spec, seed=1)
    measured = labelled_call_snr_db(rec.samples, RATE, rec.truth, background)
    assert np.median(measured) == pytest.approx(snr_db, abs=1.0)


def test_duration_bands():
    bands = duration_band([0.005, 0.01, 0.05, 0.2, 0.4]).astype(str)
    assert list(bands) == ["5-8 ms", "8-25 ms", "25-100 ms", "100-300 ms", "100-300 ms"]


def test_low_frequency_noise_has_the_stated_level_and_stays_below_its_cutoff():
    rng = np.random.default_rng(2)
    x = (0.001 * rng.standard_normal(2 * RATE)).astype(np.float32)
    truth = pd.DataFrame({"onset_s": [0.5], "offset_s": [0.6]})
    rec = PlantedRecording(x, RATE, 5.0, truth)
    noisy = with_low_frequency_noise(rec, cutoff_hz=10_000, level_db=30.0, seed=0)
    added = noisy.samples.astype(np.float64) - x
    assert 10 * np.log10(added.var() / x.var()) == pytest.approx(30.0, abs=0.1)
    freqs, psd = signal.welch(added, RATE, nperseg=4096)
    assert psd[freqs > 20_000].sum() < 1e-4 * psd.sum()  # one octave above: 48 dB down
    assert noisy.truth is truth and noisy.rate_hz == RATE
    again = with_low_frequency_noise(rec, cutoff_hz=10_000, level_db=30.0, seed=0)
    assert np.array_equal(again.samples, noisy.samples)  # the seed drives the noise
    loud = with_low_frequency_noise(rec, cutoff_hz=10_000, level_db=80.0, seed=0)
    assert np.abs(loud.samples).max() <= 1.0  # rescaled to full scale
    with pytest.raises(ValueError, match="cutoff_hz"):
        with_low_frequency_noise(rec, cutoff_hz=RATE, level_db=0.0)
