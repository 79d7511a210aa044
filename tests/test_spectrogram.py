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


def _canvas_call(n_frames: int, f0_hz: float, f1_hz: float) -> np.ndarray:
    """A call's sparse spectrogram on the canvas rows: a line from f0 to f1 over n_frames."""
    from usvlib.spectrogram import CANVAS_BINS, canvas_rows

    spec = np.zeros((CANVAS_BINS, n_frames), np.float32)
    rows = canvas_rows(np.linspace(f0_hz, f1_hz, n_frames))
    spec[rows, np.arange(n_frames)] = 1.0
    return spec


def test_call_images_show_a_sweep_the_same_whatever_its_duration():
    from usvlib.spectrogram import call_images, usv_image

    hop_s = PAPER_PARAMS.hop_s
    durations = np.array([24, 96]) * hop_s  # 20 ms and 80 ms
    images = np.stack([usv_image(_canvas_call(round(d / hop_s), 60_000, 80_000))[0] for d in durations])
    out = call_images(images, durations, np.full(2, 70_000.0))
    assert out.shape == (2, 48, 32) and out.dtype == np.float32
    assert np.allclose(out.mean(axis=(1, 2)), 0, atol=1e-5)
    short, long = (image.argmax(axis=0)[3:-3] for image in out)
    assert np.all(np.abs(short - long) <= 1)  # the same contour, row for row
    for image in out:
        ridge = image.argmax(axis=0)[5:-5]  # the call's columns, inside the margins
        assert np.all(np.diff(ridge) >= 0) and ridge[-1] - ridge[0] >= 10  # an upsweep of 20 kHz: 14 rows
        assert abs(ridge.mean() - 24) <= 2  # centred on its 70 kHz centre frequency


@pytest.mark.parametrize("freq_hz", [40_000.0, 95_000.0])
def test_call_images_centre_a_tone_in_frequency(freq_hz):
    from usvlib.spectrogram import call_images, usv_image

    image = usv_image(_canvas_call(60, freq_hz, freq_hz))[0][None]
    for centre in (np.array([freq_hz]), np.array([np.nan])):  # given, or found in the image
        out = call_images(image, np.array([60 * PAPER_PARAMS.hop_s]), centre)
        assert abs(int(np.median(out[0].argmax(axis=0)[5:-5])) - 24) <= 1


def test_call_images_explain_mismatched_inputs():
    from usvlib.spectrogram import call_images

    with pytest.raises(ValueError, match="N durations"):
        call_images(np.zeros((3, 100, 100)), np.ones(2) * 0.05, np.ones(3) * 7e4)
