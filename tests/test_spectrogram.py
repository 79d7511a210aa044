import numpy as np
import pytest

from usvlib.errors import ConfigError
from usvlib.spectrogram import PAPER_PARAMS, SpectrogramParams, stft_magnitude


def test_paper_resolution_at_300_khz():
    freqs, _ = PAPER_PARAMS.band(300_000)
    assert len(freqs) == 233
    assert freqs[0] == pytest.approx(10_200) and freqs[-1] == pytest.approx(149_400)
    assert PAPER_PARAMS.window_samples(300_000) == 500 and PAPER_PARAMS.hop_samples(300_000) == 250


@pytest.mark.parametrize("rate", [250_000, 300_000, 500_000])
def test_same_physical_resolution_at_any_rate(rate):
    freqs, _ = PAPER_PARAMS.band(rate)
    assert np.median(np.diff(freqs)) == pytest.approx(600, rel=0.01)
    assert freqs[0] >= 10_000 and freqs[-1] <= min(149_500, rate / 2)


@pytest.mark.parametrize("rate", [250_000, 300_000])
def test_pure_tone_peaks_at_its_frequency(rate):
    t = np.arange(int(0.05 * rate)) / rate
    spec, freqs, times = stft_magnitude(np.sin(2 * np.pi * 72_000 * t), rate)
    assert spec.shape == (len(freqs), len(times))
    assert np.all(np.abs(freqs[spec.argmax(axis=0)] - 72_000) <= 300)
    assert times[1] - times[0] == pytest.approx(1 / 1200, rel=0.01)


def test_short_input_and_low_rate():
    spec, _freqs, _times = stft_magnitude(np.zeros(10), 300_000)
    assert spec.shape == (233, 0)
    with pytest.raises(ConfigError, match="Nyquist"):
        SpectrogramParams().band(16_000)
