"""The detector's per-frame features (steps 1-3 of ``usvlib.detect``): frames, whitening,
purity, peak and mean frequency, contrast and discontinuity."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field

import numpy as np
import scipy.fft

from usvlib.audio import audio_info, iter_blocks
from usvlib.errors import ConfigError


@dataclass(frozen=True)
class DetectorParams:
    """Detector settings, in physical units (see the module docstring)."""

    frame_s: float = 256 / 300_000
    band_hz: tuple[float, float] = (25_000.0, 145_000.0)
    min_mean_freq_hz: float = 25_000.0
    false_frame_rate: float = 0.01
    extend_frame_rate: float = 0.2
    floor_s: float = 0.5
    excess: float = 3.0
    min_contrast: float = 2.0
    contrast_offset_hz: tuple[float, float] = (3_500.0, 8_000.0)
    median_frames: int = 5
    max_discontinuity: float = 0.8
    continuity_hz: float = 5_000.0
    min_score: float = 1.2
    confident_score: float = 2.0
    window_score: float = 1.4
    short_s: float = 0.008
    min_duration_s: float = 0.005
    max_duration_s: float = 0.500
    merge_gap_s: float = 0.015
    block_s: float = 10.0
    smooth_s: float = 5 * 256 / 300_000

    @property
    def smooth_frames(self) -> int:
        """``smooth_s`` in whole frames (at least 1)."""
        return max(1, round(self.smooth_s / self.frame_s))

    def __post_init__(self):
        if not 0 < self.band_hz[0] < self.band_hz[1]:
            raise ConfigError(f"band_hz must be (low, high) with 0 < low < high, got {self.band_hz}")
        if self.min_duration_s >= self.max_duration_s:
            raise ConfigError("min_duration_s must be below max_duration_s")
        if self.median_frames < 1 or self.median_frames % 2 == 0:
            raise ConfigError(f"median_frames must be odd and >= 1, got {self.median_frames}")
        if self.smooth_s < 0:
            raise ConfigError(f"smooth_s must be >= 0, got {self.smooth_s}")
        if self.continuity_hz <= 0:
            raise ConfigError(f"continuity_hz must be > 0, got {self.continuity_hz}")
        if self.window_score < 0:
            raise ConfigError(f"window_score must be >= 0, got {self.window_score}")
        if self.min_score < 0 or self.short_s < 0:
            raise ConfigError(f"min_score and short_s must be >= 0, got {self.min_score} and {self.short_s}")


@dataclass
class FrameFeatures:
    """Per-frame features of a whole recording (the detector's working data)."""

    rate_hz: int
    frame_samples: int
    purity: np.ndarray
    contrast: np.ndarray
    peak_hz: np.ndarray
    mean_hz: np.ndarray
    discontinuity: np.ndarray
    peak_snr: np.ndarray
    n_bins: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def frame_s(self) -> float:
        return self.frame_samples / self.rate_hz


_FEATURES = ("purity", "contrast", "peak_hz", "mean_hz", "discontinuity", "peak_snr")
"""The per-frame arrays of :class:`FrameFeatures`."""


def _band(params: DetectorParams, rate_hz: int, n: int) -> tuple[np.ndarray, slice]:
    freqs = np.fft.rfftfreq(n, 1.0 / rate_hz)
    hi = min(params.band_hz[1], 0.98 * rate_hz / 2)
    lo_i = int(np.searchsorted(freqs, params.band_hz[0]))
    hi_i = int(np.searchsorted(freqs, hi, side="right"))
    if hi_i - lo_i < 8:
        raise ConfigError(f"the band {params.band_hz} leaves too few frequencies at {rate_hz} Hz")
    return freqs[lo_i:hi_i], slice(lo_i, hi_i)


_Q25_OF_EXPONENTIAL = -np.log(0.75)  # the 25th percentile of an exponential, in units of its mean


def _whiten(power: np.ndarray, seg: int, floor: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Divide each frame's power, in place, by its segment's noise floor (per bin): noise has mean 1.

    The floor of a segment of ``seg`` frames is the 25th percentile per bin (robust to calls that
    fill up to three quarters of a segment), scaled to the mean of exponential noise, and
    smoothed over the neighbouring segments (median of three); it follows non-stationary
    noise, such as low-frequency episodes, at the segment's resolution.
    """
    m = power.shape[0]
    if m < seg and floor is not None:
        power /= floor
        return power, floor
    n_seg = max(1, m // seg)
    bounds = np.linspace(0, m, n_seg + 1).astype(int)
    # every 8th frame is plenty for a percentile, and eight times cheaper; the same number of them
    # from every segment, so that one call takes the percentiles of all (a call per segment cost
    # a sixth of a second per 10 minutes in numpy's overhead alone)
    sampled = np.arange(0, m, 8 if seg >= 8 else 1)  # every segment holds >= seg frames
    seg_of = np.searchsorted(bounds, sampled, side="right") - 1
    k = int(np.bincount(seg_of, minlength=n_seg).min())
    first = np.searchsorted(seg_of, np.arange(n_seg))
    rows = sampled[first[:, None] + np.arange(k)[None, :]]
    floors = np.percentile(power[rows], 25, axis=1)
    floors = (floors / _Q25_OF_EXPONENTIAL + 1e-20).astype(np.float32)
    if n_seg >= 3:
        padded = np.vstack([floors[:1], floors, floors[-1:]])
        floors = np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        power[a:b] /= floors[i]
    return power, floors[-1]


def _neighbourhood_max(values: np.ndarray, rows: np.ndarray, centre: np.ndarray, offsets) -> np.ndarray:
    """For each (row, centre), the maximum of ``values[row, centre + offset]`` (clipped to the row)."""
    width = values.shape[1]
    flat = values.ravel()
    base = rows * width
    out = np.full(len(rows), -np.inf, dtype=values.dtype)
    for k in offsets:
        np.maximum(out, flat[base + np.clip(centre + k, 0, width - 1)], out=out)
    return out


def block_features(
    samples: np.ndarray, rate_hz: int, params: DetectorParams, *, floor: np.ndarray | None = None
) -> tuple[dict, np.ndarray]:
    """Frame features of one block of samples (a whole number of frames); returns (features, floor).

    ``floor`` (the per-bin noise level) is estimated from the block when it has enough frames,
    otherwise the given one (the previous block's) is used. Integer samples are accepted as they
    are (the window converts them), so a file need not be converted to floats first.

    Parameters
    ----------
    samples : ndarray, shape (n,)
        Mono samples on the int16 scale (full scale 32768); samples after the last whole frame are
        ignored.
    rate_hz : int
        Sampling rate in Hz.
    params : DetectorParams
    floor : ndarray, optional
        The noise floor of the previous block, used when this block is shorter than one
        ``floor_s`` segment.

    Returns
    -------
    features : dict of ndarray
        One float32 value per frame for each of ``purity``, ``contrast``, ``peak_hz``, ``mean_hz``,
        ``discontinuity`` and ``peak_snr`` (the whitened peak power).
    floor : ndarray of float32, shape (n_bins,)
        The noise floor of the block's last segment, per frequency bin of the band, for the next
        block.

    Raises
    ------
    ConfigError
        If ``params.band_hz`` leaves fewer than 8 frequency bins at ``rate_hz``.
    """
    n = max(16, round(params.frame_s * rate_hz))
    freqs, band = _band(params, rate_hz, n)
    freqs32 = freqs.astype(np.float32)
    m = len(samples) // n
    frames = samples[: m * n].reshape(m, n) * _hann(n)
    spec = scipy.fft.rfft(frames, axis=1, overwrite_x=True)[:, band]
    power = spec.real**2
    power += spec.imag**2
    white, floor = _whiten(power, max(1, round(params.floor_s / params.frame_s)), floor)
    # the sum and the frequency-weighted sum of every frame in one matrix product
    sums = white @ np.column_stack([np.ones_like(freqs32), freqs32])
    total, weighted = sums[:, 0], sums[:, 1]
    n_bins = white.shape[1]
    bin_hz = freqs[1] - freqs[0]
    near, far = (max(1, round(o / bin_hz)) for o in params.contrast_offset_hz)
    # the peak is looked for where its contrast can be measured on both sides: a harmonic at
    # the band's edge (at 250 kHz the band ends at 122.5 kHz) would otherwise take the peak
    # from its call's fundamental, and its frames would lose their contrast
    inner = slice(far, n_bins - far) if n_bins > 2 * far + 1 else slice(0, n_bins)
    peak_idx = white[:, inner].argmax(axis=1) + inner.start
    peak = white.ravel()[np.arange(m) * n_bins + peak_idx]
    continuity = np.zeros(m, np.float32)
    contrast = np.zeros(m, np.float32)
    # the shape measures matter only where a frame could be voiced: a peak of 6 (7.8 dB) or
    # less cannot reach the purity threshold, so most noise frames are skipped
    cand = np.flatnonzero(peak > 6.0)
    cand_prev = cand[cand > 0]
    # discontinuity (after Holy & Guo 2005, on the spectral peak): does the previous frame hold
    # comparable excess power within continuity_hz of this frame's peak? 0 = the line continues.
    reach = max(1, round(params.continuity_hz / bin_hz))
    excess_peak = np.maximum(peak[cand_prev] - params.excess, 0.0)
    prev_near = _neighbourhood_max(white, cand_prev - 1, peak_idx[cand_prev], range(-reach, reach + 1)) - params.excess
    continuity[cand_prev] = np.where(
        excess_peak > 0, np.clip(prev_near / np.maximum(excess_peak, 1e-12), 0.0, 1.0), 0.0
    )
    # a USV is a spectral peak: it stands above the spectrum 3.5-8 kHz away on both sides
    # (a low-frequency burst leaking into the band is a slope, not a peak)
    pk = peak_idx[cand]
    offsets = [*range(-far, -near + 1), *range(near, far + 1)]
    side_max = _neighbourhood_max(white, cand, pk, offsets)
    inside = (pk - far >= 0) & (pk + far < n_bins)
    contrast[cand] = np.where(inside, peak[cand] / np.maximum(side_max, 1e-12), 0.0)
    has_power = total > 0  # digital silence has none
    safe_total = np.where(has_power, total, 1.0)
    feats = {
        "purity": np.where(has_power, peak / safe_total, 0.0).astype(np.float32),
        "contrast": contrast,
        "peak_hz": freqs32[peak_idx],
        "mean_hz": np.where(has_power, weighted / safe_total, 0.0).astype(np.float32),
        "discontinuity": (1.0 - continuity).astype(np.float32),
        "peak_snr": peak.astype(np.float32),
    }
    return feats, floor


_HANN: dict[int, np.ndarray] = {}


def _hann(n: int) -> np.ndarray:
    if n not in _HANN:
        _HANN[n] = np.hanning(n).astype(np.float32)
    return _HANN[n]


def features_of_blocks(blocks, rate_hz: int, params: DetectorParams) -> FrameFeatures:
    """Per-frame features of consecutive blocks of samples, the noise floor carried from block to block.

    Parameters
    ----------
    blocks : iterable of ndarray
        Consecutive mono blocks, each a whole number of frames as :func:`block_layout` says; the
        last may be shorter. A block shorter than one frame ends the recording.
    rate_hz : int
        Sampling rate in Hz.
    params : DetectorParams

    Returns
    -------
    FrameFeatures
        The frames of all blocks in order; empty arrays when no block holds a whole frame.

    Raises
    ------
    ConfigError
        If ``params.band_hz`` leaves fewer than 8 frequency bins at ``rate_hz``.
    """
    n = max(16, round(params.frame_s * rate_hz))
    parts: dict[str, list] = {k: [] for k in _FEATURES}
    floor = None
    for block in blocks:
        if len(block) < n:
            break
        feats, floor = block_features(block, rate_hz, params, floor=floor)
        for k, v in feats.items():
            parts[k].append(v)
    arrays = {k: (np.concatenate(v) if v else np.zeros(0, np.float32)) for k, v in parts.items()}
    n_bins = len(_band(params, rate_hz, n)[0])
    return FrameFeatures(rate_hz, n, **arrays, n_bins=n_bins)


def block_layout(params: DetectorParams, rate_hz: int) -> tuple[int, int]:
    """(samples per frame, frames per block) at ``rate_hz``.

    Parameters
    ----------
    params : DetectorParams
        Its ``frame_s`` and ``block_s``.
    rate_hz : int
        Sampling rate in Hz.

    Returns
    -------
    frame_samples : int
        ``frame_s`` in samples, rounded, at least 16.
    block_frames : int
        Whole frames in ``block_s`` seconds, at least 1.
    """
    n = max(16, round(params.frame_s * rate_hz))
    return n, max(1, int(params.block_s * rate_hz) // n)


def frame_features(
    path: str | os.PathLike, params: DetectorParams = DetectorParams(), *, channel=None, workers: int = 1
) -> FrameFeatures:
    """Per-frame features of a whole recording, read block by block.

    Parameters
    ----------
    path : path
        A recording (WAV or FLAC, >= 200 kHz).
    params : DetectorParams
    channel : int, optional
        Channel of a multi-channel file.
    workers : int
        Processes that share the file, each taking a stretch of whole blocks (used when every
        stretch gets at least two blocks; the same features as one process: a block's noise
        floor is its own, only a last block shorter than a floor segment borrows its
        predecessor's, which lies in the same stretch).

    Returns
    -------
    FrameFeatures

    Raises
    ------
    AudioError
        If the file cannot be used (named in the message).
    ConfigError
        If ``params.band_hz`` leaves fewer than 8 frequency bins at the file's rate.
    """
    info = audio_info(path)
    n, block_frames = block_layout(params, info.rate_hz)
    block_n = block_frames * n
    n_blocks = -(-info.n_frames // block_n)
    workers = max(1, min(int(workers), n_blocks // 2))
    if workers == 1:
        return _stretch_features((path, info.rate_hz, params, channel, 0, info.n_frames))
    from usvlib._parallel import LOCAL, process_map

    bounds = np.linspace(0, n_blocks, workers + 1).astype(int) * block_n
    jobs = [(path, info.rate_hz, params, channel, int(a), int(b)) for a, b in itertools.pairwise(bounds)]
    parts = list(process_map(_stretch_features, jobs, workers=workers, scheduler=LOCAL))
    joined = {k: np.concatenate([getattr(p, k) for p in parts]) for k in _FEATURES}
    return FrameFeatures(info.rate_hz, n, **joined, n_bins=parts[0].n_bins)


def _stretch_features(job: tuple) -> FrameFeatures:
    """Features of samples ``start`` to ``stop`` of a file (whole blocks from ``start``)."""
    path, rate_hz, params, channel, start, stop = job
    n, block_frames = block_layout(params, rate_hz)
    blocks = iter_blocks(
        path, block_s=block_frames * n / rate_hz, channel=channel, dtype="int16", start_sample=start, stop_sample=stop
    )
    return features_of_blocks((block for _, block in blocks), rate_hz, params)
