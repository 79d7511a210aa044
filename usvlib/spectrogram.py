"""Spectrograms with the paper's resolution, expressed in physical units.

The authors' STFT: a 500-sample Hann window, 50 % overlap, NFFT 500, at 300 kHz, keeping
10.2-149.4 kHz. In seconds and hertz that is a 1.667 ms window, a 0.833 ms hop, 600 Hz bins and
233 kept bins, and the same physical resolution is used at any other rate (250 kHz: a
417-sample window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from usvlib.errors import ConfigError


@dataclass(frozen=True)
class SpectrogramParams:
    """STFT settings in physical units (defaults: the paper's)."""

    window_s: float = 500 / 300_000
    hop_s: float = 250 / 300_000
    fmin_hz: float = 10_200.0
    fmax_hz: float = 149_400.0

    def window_samples(self, rate_hz: int) -> int:
        return round(self.window_s * rate_hz)

    def hop_samples(self, rate_hz: int) -> int:
        return max(1, round(self.hop_s * rate_hz))

    def band(self, rate_hz: int) -> tuple[np.ndarray, slice]:
        """Frequencies (Hz) of the kept bins and the slice of the rfft output they are.

        Below 300 kHz the band ends at the Nyquist frequency (250 kHz: 10.2-124.8 kHz).
        """
        n = self.window_samples(rate_hz)
        freqs = np.fft.rfftfreq(n, 1.0 / rate_hz)
        tol = 1e-6 * rate_hz / n
        lo = int(np.searchsorted(freqs, self.fmin_hz - tol))
        top = min(self.fmax_hz + tol, rate_hz / 2 - tol)
        hi = int(np.searchsorted(freqs, top, side="right"))
        if hi <= lo:
            raise ConfigError(
                f"no frequencies between {self.fmin_hz:.0f} Hz and the Nyquist frequency of a "
                f"{rate_hz} Hz recording - use an ultrasonic recording (>= 200 kHz)"
            )
        return freqs[lo:hi], slice(lo, hi)


PAPER_PARAMS = SpectrogramParams()


def stft_magnitude(
    samples: np.ndarray, rate_hz: int, *, params: SpectrogramParams = PAPER_PARAMS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Magnitude STFT of ``samples`` restricted to the kept band.

    Returns
    -------
    magnitude : ndarray, shape (n_freqs, n_frames), float32
    freqs_hz : ndarray, shape (n_freqs,)
    times_s : ndarray, shape (n_frames,)
        Centre of each frame.
    """
    x = np.asarray(samples, dtype=np.float32)
    n = params.window_samples(rate_hz)
    hop = params.hop_samples(rate_hz)
    freqs, band = params.band(rate_hz)
    if len(x) < n:
        return np.zeros((len(freqs), 0), np.float32), freqs, np.zeros(0)
    frames = sliding_window_view(x, n)[::hop]
    window = np.hanning(n + 2)[1:-1].astype(np.float32)  # periodic-free Hann without zero ends
    spec = np.abs(np.fft.rfft(frames * window, axis=1))[:, band].T.astype(np.float32)
    times = (np.arange(frames.shape[0]) * hop + n / 2) / rate_hz
    return spec, freqs, times


# ---------------------------------------------------------------------------------------------
# background sparsification


def background_level(spec: np.ndarray, *, percentile: float = 75.0) -> np.ndarray:
    """Per-frequency level below which a spectrogram counts as background.

    ``spec`` is a spectrogram of background (or mostly background) frames, shape (bins, frames);
    the paper zeroes magnitudes under the 75th percentile of a background patch.
    """
    if spec.shape[1] == 0:
        return np.zeros(spec.shape[0], np.float32)
    return np.percentile(spec, percentile, axis=1).astype(np.float32)


def sparsify(spec: np.ndarray, background: np.ndarray) -> np.ndarray:
    """A copy of ``spec`` with every value below its frequency's ``background`` set to 0."""
    return np.where(spec >= background[:, None], spec, 0.0).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# per-USV products: the network image, the spectral line and the marginals

CANVAS_FMIN_HZ = 10_200.0
CANVAS_BIN_HZ = 600.0
CANVAS_BINS = 233  # 10.2-149.4 kHz in 600 Hz bins
CANVAS_FRAMES = 300  # 300 hops of 0.833 ms: 250 ms
IMAGE_SHAPE = (100, 100)
SEQUENCE_LENGTH = 100


def canvas_rows(freqs_hz: np.ndarray) -> np.ndarray:
    """Row of the 233-bin canvas (10.2-149.4 kHz, 600 Hz) of each frequency."""
    return np.rint((np.asarray(freqs_hz) - CANVAS_FMIN_HZ) / CANVAS_BIN_HZ).astype(int)


def resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Linear-interpolation matrix (n_out, n_in), antialiased when shrinking.

    The same weights as MATLAB's ``imresize(..., 'bilinear')``: a triangle kernel, widened by
    the shrink factor so that every input sample contributes, rows summing to 1.
    """
    scale = n_out / n_in
    width = 1.0 if scale >= 1 else 1.0 / scale
    centres = (np.arange(n_out) + 0.5) / scale - 0.5
    dist = np.abs(centres[:, None] - np.arange(n_in)[None, :]) / width
    weights = np.clip(1.0 - dist, 0.0, None)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights.astype(np.float32)


_RESIZE_CACHE: dict[tuple[int, int], np.ndarray] = {}


def _resize(n_in: int, n_out: int) -> np.ndarray:
    key = (n_in, n_out)
    if key not in _RESIZE_CACHE:
        _RESIZE_CACHE[key] = resize_matrix(n_in, n_out)
    return _RESIZE_CACHE[key]


def to_canvas(spec: np.ndarray, freqs_hz: np.ndarray) -> np.ndarray:
    """Place the rows of ``spec`` (bins, frames) on the 233 canvas rows (zero where absent)."""
    out = np.zeros((CANVAS_BINS, spec.shape[1]), np.float32)
    rows = canvas_rows(freqs_hz)
    keep = (rows >= 0) & (rows < CANVAS_BINS)
    out[rows[keep]] = spec[keep]
    return out


def usv_image(
    canvas_spec: np.ndarray,
    *,
    canvas_frames: int = CANVAS_FRAMES,
    shape: tuple[int, int] = IMAGE_SHAPE,
    long_calls: str = "compress",
) -> tuple[np.ndarray, bool]:
    """The network input of one USV: centred on a zero 233 x 300 canvas, resized, mean removed.

    Parameters
    ----------
    canvas_spec : ndarray, shape (233, frames)
        The USV's (sparsified) spectrogram on the canvas rows.
    long_calls : {"compress", "crop"}
        A USV longer than the canvas (250 ms) is squeezed in time to fit, or cropped to its
        central 250 ms.

    Returns
    -------
    image : ndarray, shape ``shape``, float32, mean 0
    did_not_fit : bool
        True if the USV was longer than the canvas.
    """
    return image_from_rows(
        image_rows(canvas_spec, shape[0]), canvas_frames=canvas_frames, width=shape[1], long_calls=long_calls
    )


def image_rows(canvas_spec: np.ndarray, height: int = IMAGE_SHAPE[0]) -> np.ndarray:
    """First half of ``usv_image``: the 233 canvas rows resized to ``height`` (any number of frames,
    so the frames of many calls can go through one matrix product)."""
    return _resize(CANVAS_BINS, height) @ canvas_spec


def image_from_rows(
    rows: np.ndarray, *, canvas_frames: int = CANVAS_FRAMES, width: int = IMAGE_SHAPE[1], long_calls: str = "compress"
) -> tuple[np.ndarray, bool]:
    """Second half of ``usv_image``: place one call's resized rows on the canvas, resize in time."""
    if long_calls not in ("compress", "crop"):
        raise ValueError(f"long_calls must be 'compress' or 'crop', got {long_calls!r}")
    n_frames = rows.shape[1]
    did_not_fit = n_frames > canvas_frames
    time_map = _resize(canvas_frames, width)  # (width, canvas_frames)
    if did_not_fit and long_calls == "compress":
        cols = rows @ _resize(n_frames, canvas_frames).T @ time_map.T
    else:
        if did_not_fit:  # crop to the central canvas_frames
            start = (n_frames - canvas_frames) // 2
            rows = rows[:, start : start + canvas_frames]
            n_frames = canvas_frames
        first = (canvas_frames - n_frames) // 2
        cols = rows @ time_map[:, first : first + n_frames].T
    image = cols.astype(np.float32)
    image -= image.mean()
    return image, bool(did_not_fit)


def resample(sequence: np.ndarray, length: int = SEQUENCE_LENGTH) -> np.ndarray:
    """A sequence resampled to ``length`` points (antialiased linear; NaNs bridged linearly)."""
    seq = np.asarray(sequence, dtype=np.float64)
    if seq.size == 0:
        return np.full(length, np.nan, np.float32)
    bad = np.isnan(seq)
    if bad.all():
        return np.full(length, np.nan, np.float32)
    if bad.any():
        idx = np.arange(len(seq))
        seq = np.interp(idx, idx[~bad], seq[~bad])
    return (_resize(len(seq), length) @ seq.astype(np.float32)).astype(np.float32)


def spectral_line_hz(canvas_spec: np.ndarray) -> np.ndarray:
    """Per frame, the frequency (Hz) of maximal amplitude; NaN where a frame is all zero."""
    peak = canvas_spec.argmax(axis=0)
    freqs = CANVAS_FMIN_HZ + CANVAS_BIN_HZ * peak.astype(np.float64)
    return np.where(canvas_spec.max(axis=0) > 0, freqs, np.nan)
