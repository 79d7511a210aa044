import numpy as np
import pytest

from usvlib.spectrogram import PAPER_PARAMS


def _canvas_call(n_frames: int, f0_hz: float, f1_hz: float) -> np.ndarray:
    """A call's sparse spectrogram on the canvas rows: a line from f0 to f1 over n_frames."""
    from usvlib.spectrogram import CANVAS_BINS, canvas_rows

    spec = np.zeros((CANVAS_BINS, n_frames), np.float32)
    rows = canvas_rows(np.linspace(f0_hz, f1_hz, n_frames))
    spec[rows, np.arange(n_frames)] = 1.0
    return spec


def test_call_images_show_a_sweep_the_same_whatever_its_duration():
    from usvlib.call_images import call_images
    from usvlib.spectrogram import usv_image

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
    from usvlib.call_images import call_images
    from usvlib.spectrogram import usv_image

    image = usv_image(_canvas_call(60, freq_hz, freq_hz))[0][None]
    for centre in (np.array([freq_hz]), np.array([np.nan])):  # given, or found in the image
        out = call_images(image, np.array([60 * PAPER_PARAMS.hop_s]), centre)
        assert abs(int(np.median(out[0].argmax(axis=0)[5:-5])) - 24) <= 1


@pytest.mark.parametrize("given", [True, False])
def test_call_images_put_the_second_harmonic_on_the_fundamentals_rows(given):
    from usvlib.call_images import call_images
    from usvlib.spectrogram import usv_image

    n = 48
    canvas = _canvas_call(n, 40_000, 60_000)  # an upsweep, and its harmonic at half its level
    canvas = np.maximum(canvas, 0.5 * _canvas_call(n, 80_000, 120_000))
    image = usv_image(canvas)[0][None]
    centre = np.array([50_000.0 if given else np.nan])
    duration = np.array([n * PAPER_PARAMS.hop_s])
    fundamental = call_images(image, duration, centre)[0]
    harmonic = call_images(image, duration, centre, harmonic=2)[0]
    assert harmonic.shape == fundamental.shape
    inside = slice(5, -5)
    ridge, ridge2 = fundamental.argmax(axis=0)[inside], harmonic.argmax(axis=0)[inside]
    assert ridge[-1] - ridge[0] >= 10 and np.all(np.abs(ridge - ridge2) <= 1)  # the same contour
    # the harmonic band keeps the harmonic's level below the fundamental's
    top = np.take_along_axis(fundamental[:, inside], ridge[None], 0)[0] - fundamental.min()
    top2 = np.take_along_axis(harmonic[:, inside], ridge2[None], 0)[0] - harmonic.min()
    assert 0.25 < np.median(top2 / top) < 0.75
    # several bands at once: one channel per band, each the same as cut on its own
    both = call_images(np.repeat(image, 3, axis=0), np.repeat(duration, 3), np.repeat(centre, 3), harmonic=(1, 2))
    assert both.shape == (3, 2, *fundamental.shape)
    assert np.array_equal(both[1, 0], fundamental) and np.array_equal(both[2, 1], harmonic)


def test_call_images_of_a_harmonic_above_the_image_are_empty():
    from usvlib.call_images import call_images
    from usvlib.spectrogram import usv_image

    image = usv_image(_canvas_call(60, 90_000, 90_000))[0][None]  # its harmonic would be at 180 kHz
    out = call_images(image, np.array([60 * PAPER_PARAMS.hop_s]), np.array([90_000.0]), harmonic=2)
    assert np.allclose(out, 0, atol=1e-6)


def test_call_images_explain_mismatched_inputs():
    from usvlib.call_images import call_images

    with pytest.raises(ValueError, match="N durations"):
        call_images(np.zeros((3, 100, 100)), np.ones(2) * 0.05, np.ones(3) * 7e4)
    for bad in (0, 1.5, True, (), (1, 0), [2, 2.5]):
        with pytest.raises(ValueError, match="harmonic must be a whole number"):
            call_images(np.zeros((1, 100, 100)), np.ones(1) * 0.05, np.ones(1) * 7e4, harmonic=bad)
