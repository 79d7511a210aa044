"""Spectrograms with the paper's resolution, expressed in physical units.

The authors' STFT: a 500-sample Hann window, 50 % overlap, NFFT 500, at 300 kHz, keeping
10.2-149.4 kHz. In seconds and hertz that is a 1.667 ms window, a 0.833 ms hop, 600 Hz bins and
233 kept bins, and the same physical resolution is used at any other rate (250 kHz: a
417-sample window).
"""

from __future__ import annotations

from collections.abc import Sequence
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


CALL_IMAGE_SHAPE = (48, 32)
"""Rows (1.4 kHz each, as the network image) and columns of a call image."""

CALL_IMAGE_HARMONICS = (1, 2)
"""Bands of the call images the CPU sex network reads, one channel each: the fundamental's and
the second harmonic's, whose level relative to the fundamental the fundamental's band alone
would crop away."""


def call_images(
    images: np.ndarray,
    duration_s: np.ndarray,
    centre_hz: np.ndarray,
    *,
    harmonic: int | Sequence[int] = 1,
    hop_s: float = PAPER_PARAMS.hop_s,
    shape: tuple[int, int] = CALL_IMAGE_SHAPE,
    margin_fraction: float = 0.1,
    canvas_frames: int = CANVAS_FRAMES,
    chunk: int = 2048,
) -> np.ndarray:
    """Each call seen relative to its own extent: its network image stretched in time to a fixed
    width and centred in frequency.

    The network image (``usv_image``) keeps the calls' absolute duration and frequency, which
    differ far more between mice than between the sexes, and a 40 ms sweep spans 16 of its 100
    columns. Here the call's frames (plus ``margin_fraction`` of its duration on each side) are
    resampled to ``shape[1]`` columns, so that a contour's shape (a sweep's curvature, where a
    chevron peaks) sits at the same place whatever the call's duration, and ``shape[0]`` rows
    of the image (1.4 kHz each: 48 rows span 67 kHz) are kept around the call's centre frequency.
    Frequency excursion stays in absolute units.

    Parameters
    ----------
    images : ndarray, shape (N, 100, 100)
        Network images as ``usv_image`` makes them (rows: frequency, columns: 2.5 ms of the
        250 ms canvas, each image's mean removed).
    duration_s : ndarray, shape (N,)
        Each call's duration (offset minus onset), which fixes its columns on the canvas.
    centre_hz : ndarray, shape (N,)
        Each call's centre frequency (``features``' ``mean_freq_hz``, the power-weighted mean
        over its voiced frames); where NaN, the median of the image's energy over frequency.
    harmonic : int or sequence of int
        Which band to cut: 1, the rows around the centre frequency; ``k``, the rows around
        ``k`` times it, ``k`` image rows averaged into each output row, so that the contour of
        a ``k``-th harmonic lands on the same rows as the fundamental's. Rows above the image,
        and below ``k - 1/2`` times the centre frequency (where the next lower harmonic would
        show), are empty. A sequence cuts one band per entry from one time stretch (e.g.
        ``CALL_IMAGE_HARMONICS``), one channel each.
    hop_s : float
        Spectrogram hop, seconds (a canvas frame).

    Returns
    -------
    ndarray, float32, each image's (and each band's) mean removed
        Shape (N, *shape) for one ``harmonic``; (N, len(harmonic), *shape) for a sequence.
    """
    images = np.asarray(images, dtype=np.float32)
    duration_s = np.asarray(duration_s, dtype=np.float64).reshape(-1)
    centre_hz = np.asarray(centre_hz, dtype=np.float64).reshape(-1)
    if images.ndim != 3 or not len(images) == len(duration_s) == len(centre_hz):
        raise ValueError(
            f"call_images needs images of shape (N, rows, columns) and N durations and centre "
            f"frequencies, got {images.shape}, {duration_s.shape} and {centre_hz.shape}"
        )
    several = isinstance(harmonic, (tuple, list, np.ndarray))
    bands = tuple(harmonic) if several else (harmonic,)
    if not bands or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in bands):
        raise ValueError(
            f"harmonic must be a whole number >= 1 (1: the fundamental) or a sequence of them, got {harmonic!r}"
        )
    height, width = shape
    n_rows, n_cols = images.shape[1:]
    frames_per_col = canvas_frames / n_cols

    def image_row(freq_hz: np.ndarray) -> np.ndarray:
        """The (fractional) image row of each frequency."""
        return ((freq_hz - CANVAS_FMIN_HZ) / CANVAS_BIN_HZ + 0.5) * n_rows / CANVAS_BINS - 0.5

    def row_hz(row: np.ndarray) -> np.ndarray:
        """The frequency of each (fractional) image row: the inverse of ``image_row``."""
        return CANVAS_FMIN_HZ + ((row + 0.5) * CANVAS_BINS / n_rows - 0.5) * CANVAS_BIN_HZ

    out = np.empty((len(images), len(bands), height, width), np.float32)
    for a in range(0, len(images), chunk):
        img = images[a : a + chunk]
        n = np.clip(np.rint(np.nan_to_num(duration_s[a : a + chunk]) / hop_s), 1, canvas_frames)
        first = (canvas_frames - n) // 2  # as image_from_rows centres the call on the canvas
        margin = margin_fraction * n + 1
        span = n + 2 * margin
        # the centre of each output column, in canvas frames, then in image columns
        t = first[:, None] - margin[:, None] + (np.arange(width)[None] + 0.5) * span[:, None] / width - 0.5
        col = (t + 0.5) / frames_per_col - 0.5
        # linear interpolation, widened to a triangle of the output step where it shrinks
        # (antialiased, like resize_matrix, with a different step for every call)
        step = np.maximum(1.0, span / frames_per_col / width)[:, None, None]
        weights = np.clip(1.0 - np.abs(col[:, :, None] - np.arange(n_cols)[None, None]) / step, 0.0, None)
        weights /= np.maximum(weights.sum(axis=2, keepdims=True), 1e-12)
        stretched = np.einsum("nrk,nwk->nrw", img, weights.astype(np.float32))
        # the image's own zero level (the empty canvas) is its minimum: mean removal made it
        # negative
        floor = img.min(axis=(1, 2))
        energy = ((stretched - floor[:, None, None]) ** 2).sum(axis=2)
        cumulative = np.cumsum(energy, axis=1)
        median_row = (cumulative < cumulative[:, -1:] / 2).sum(axis=1)
        # the centre row: of the fundamental's frequency (given, or found), times each band's
        given = centre_hz[a : a + chunk]
        found_hz = row_hz(median_row)
        fundamental_hz = np.where(np.isfinite(given), given, found_hz)
        for c, k in enumerate(bands):
            band_hz = k * fundamental_hz
            centre = np.rint(image_row(band_hz)).astype(np.int64)
            span_rows = k * height
            rows = centre[:, None] - span_rows // 2 + np.arange(span_rows)[None]
            inside = (rows >= 0) & (rows < n_rows)
            taken = np.take_along_axis(stretched, np.clip(rows, 0, n_rows - 1)[:, :, None], axis=1)
            if k > 1:  # below halfway to the next lower harmonic: not this one's band
                inside &= rows >= np.ceil(image_row(band_hz * (k - 0.5) / k))[:, None]
            crop = np.where(inside[:, :, None], taken, floor[:, None, None])
            if k > 1:
                crop = crop.reshape(len(crop), height, k, width).mean(axis=2)
            out[a : a + chunk, c] = crop - crop.mean(axis=(1, 2), keepdims=True)
    return out if several else out[:, 0]


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
