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

REFERENCE_RATE_HZ = 300_000
"""The rate of the Donders recordings, at which the paper's window is 500 samples: magnitudes
at any rate are in the units of the window at this rate (:meth:`SpectrogramParams.window`)."""


def _hann(n: int) -> np.ndarray:
    return np.hanning(n + 2)[1:-1]  # Hann without its zero end points (every sample counts)


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

    def window(self, rate_hz: int) -> np.ndarray:
        """The Hann window at ``rate_hz``, in the units of the paper's window.

        A longer window sums more samples, so unscaled magnitudes grow with the sampling rate
        (a tone's peak is proportional to the window's sum). The window is scaled by the ratio of
        its sum to that of the window at :data:`REFERENCE_RATE_HZ` (the authors' 500 samples), so
        a call has the same magnitudes at any rate, and at 300 kHz exactly the authors' values.

        Parameters
        ----------
        rate_hz : int
            Sampling rate in Hz.

        Returns
        -------
        ndarray of float32, shape (window_samples(rate_hz),)
            Hann without its zero end points; unscaled at the reference rate.
        """
        n = self.window_samples(rate_hz)
        window = _hann(n)
        reference = self.window_samples(REFERENCE_RATE_HZ)
        if n == reference:
            return window.astype(np.float32)
        return (window * (_hann(reference).sum() / window.sum())).astype(np.float32)

    def band(self, rate_hz: int) -> tuple[np.ndarray, slice]:
        """Frequencies (Hz) of the kept bins and the slice of the rfft output they are.

        Below 300 kHz the band ends at the Nyquist frequency (250 kHz: 599.5 Hz bins from 10.8 to
        124.7 kHz).

        Parameters
        ----------
        rate_hz : int
            Sampling rate in Hz.

        Returns
        -------
        freqs_hz : ndarray, shape (n_freqs,)
        band : slice
            Of the ``rfft`` of a ``window_samples(rate_hz)`` frame.

        Raises
        ------
        ConfigError
            If no frequency of the band lies below the Nyquist frequency.
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

    Parameters
    ----------
    samples : ndarray, shape (n,)
        Mono samples (any scale: the magnitudes are in the samples' units, windowed by
        ``params.window(rate_hz)``, so a call has the same magnitudes at any rate).
    rate_hz : int
        Sampling rate in Hz; window and hop are ``params``' seconds at this rate.
    params : SpectrogramParams
        Window, hop and band (default: the paper's).

    Returns
    -------
    magnitude : ndarray, shape (n_freqs, n_frames), float32
        Hann-windowed, one frame per hop over the whole windows only; no frames (shape
        ``(n_freqs, 0)``) for samples shorter than one window.
    freqs_hz : ndarray, shape (n_freqs,)
    times_s : ndarray, shape (n_frames,)
        Centre of each frame.

    Raises
    ------
    ConfigError
        If no frequency of the band lies below the Nyquist frequency of ``rate_hz``.

    Examples
    --------
    A 60 kHz tone of 10 ms at 300 kHz: 233 bins of 600 Hz, 11 frames 0.833 ms apart.

    >>> import numpy as np
    >>> from usvlib.spectrogram import stft_magnitude
    >>> rate_hz = 300_000
    >>> t = np.arange(int(0.01 * rate_hz)) / rate_hz
    >>> magnitude, freqs_hz, times_s = stft_magnitude(np.sin(2 * np.pi * 60_000 * t), rate_hz)
    >>> magnitude.shape
    (233, 11)
    >>> float(freqs_hz[magnitude[:, 5].argmax()]), round(float(times_s[1] - times_s[0]) * 1e3, 3)
    (60000.0, 0.833)
    """
    x = np.asarray(samples, dtype=np.float32)
    n = params.window_samples(rate_hz)
    hop = params.hop_samples(rate_hz)
    freqs, band = params.band(rate_hz)
    if len(x) < n:
        return np.zeros((len(freqs), 0), np.float32), freqs, np.zeros(0)
    frames = sliding_window_view(x, n)[::hop]
    spec = np.abs(np.fft.rfft(frames * params.window(rate_hz), axis=1))[:, band].T.astype(np.float32)
    times = (np.arange(frames.shape[0]) * hop + n / 2) / rate_hz
    return spec, freqs, times


# ---------------------------------------------------------------------------------------------
# background sparsification


def background_level(spec: np.ndarray, *, percentile: float = 75.0) -> np.ndarray:
    """Per-frequency level below which a spectrogram counts as background.

    ``spec`` is a spectrogram of background (or mostly background) frames, shape (bins, frames);
    the paper zeroes magnitudes under the 75th percentile of a background patch.

    Parameters
    ----------
    spec : ndarray, shape (bins, frames)
    percentile : float
        Percentile of each bin's magnitudes over the frames, in [0, 100].

    Returns
    -------
    ndarray of float32, shape (bins,)
        Zero for a spectrogram without frames.
    """
    if spec.shape[1] == 0:
        return np.zeros(spec.shape[0], np.float32)
    return np.percentile(spec, percentile, axis=1).astype(np.float32)


def sparsify(spec: np.ndarray, background: np.ndarray) -> np.ndarray:
    """A copy of ``spec`` with every value below its frequency's ``background`` set to 0.

    Parameters
    ----------
    spec : ndarray, shape (bins, frames)
    background : ndarray, shape (bins,)
        Level per frequency (:func:`background_level`).

    Returns
    -------
    ndarray of float32, shape (bins, frames)
    """
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
    """Row of the 233-bin canvas (10.2-149.4 kHz, 600 Hz) of each frequency.

    Parameters
    ----------
    freqs_hz : array-like
        Frequencies in Hz.

    Returns
    -------
    ndarray of int
        The nearest row; outside ``0 ... 232`` for frequencies beyond the canvas (callers drop
        those).
    """
    return np.rint((np.asarray(freqs_hz) - CANVAS_FMIN_HZ) / CANVAS_BIN_HZ).astype(int)


def resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Linear-interpolation matrix (n_out, n_in), antialiased when shrinking.

    The same weights as MATLAB's ``imresize(..., 'bilinear')``: a triangle kernel, widened by
    the shrink factor so that every input sample contributes, rows summing to 1.

    Parameters
    ----------
    n_in, n_out : int
        Lengths before and after the resize.

    Returns
    -------
    ndarray of float32, shape (n_out, n_in)
        ``matrix @ x`` resizes ``x`` (or each column of it) to ``n_out`` points.
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
    """Place the rows of ``spec`` (bins, frames) on the 233 canvas rows (zero where absent).

    Parameters
    ----------
    spec : ndarray, shape (bins, frames)
    freqs_hz : ndarray, shape (bins,)
        Frequency of each row of ``spec`` (:func:`stft_magnitude`); rows beyond the canvas are
        dropped.

    Returns
    -------
    ndarray of float32, shape (233, frames)
    """
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
    canvas_frames : int
        Frames of the canvas (300 hops of 0.833 ms: 250 ms); the USV is centred on it.
    shape : (int, int)
        Rows and columns of the image.
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
    """First half of ``usv_image``: the 233 canvas rows resized to ``height``.

    Any number of frames is accepted, so the frames of many calls can go through one matrix
    product.

    Parameters
    ----------
    canvas_spec : ndarray, shape (233, frames)
    height : int
        Rows of the image.

    Returns
    -------
    ndarray, shape (height, frames)
    """
    return _resize(CANVAS_BINS, height) @ canvas_spec


def image_from_rows(
    rows: np.ndarray, *, canvas_frames: int = CANVAS_FRAMES, width: int = IMAGE_SHAPE[1], long_calls: str = "compress"
) -> tuple[np.ndarray, bool]:
    """Second half of ``usv_image``: place one call's resized rows on the canvas, resize in time.

    Parameters
    ----------
    rows : ndarray, shape (height, frames)
        One call's frames after :func:`image_rows`.
    canvas_frames : int
        Frames of the canvas (300: 250 ms); the call is centred on it.
    width : int
        Columns of the image.
    long_calls : {"compress", "crop"}
        A call longer than the canvas is squeezed in time to fit, or cropped to its central
        ``canvas_frames``.

    Returns
    -------
    image : ndarray, shape (height, width), float32, mean 0
    did_not_fit : bool
        True if the call was longer than the canvas.

    Raises
    ------
    ValueError
        If ``long_calls`` is neither ``"compress"`` nor ``"crop"``.
    """
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
    """A sequence resampled to ``length`` points (antialiased linear; NaNs bridged linearly).

    Parameters
    ----------
    sequence : array-like, shape (n,)
        Such as a call's spectral line, one value per frame.
    length : int
        Points of the result.

    Returns
    -------
    ndarray of float32, shape (length,)
        All NaN for an empty or all-NaN sequence; NaNs at the ends take the nearest value.
    """
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
    """Per frame, the frequency (Hz) of maximal amplitude; NaN where a frame is all zero.

    Parameters
    ----------
    canvas_spec : ndarray, shape (233, frames)
        A (sparsified) spectrogram on the canvas rows.

    Returns
    -------
    ndarray of float64, shape (frames,)
        Frequencies in Hz.
    """
    peak = canvas_spec.argmax(axis=0)
    freqs = CANVAS_FMIN_HZ + CANVAS_BIN_HZ * peak.astype(np.float64)
    return np.where(canvas_spec.max(axis=0) > 0, freqs, np.nan)
