"""Find the USVs in a recording: one row per call.

A detector in the spirit of the paper's (the authors' ``VocCollector``), with every threshold in
hertz or seconds and its noise estimates taken from the recording itself:

1. **Frames.** The audio is cut into non-overlapping Hann-windowed frames of 0.853 ms (256
   samples at 300 kHz; 1.17 kHz resolution) and their power spectra are kept in the searched
   band (15-145 kHz, capped at the Nyquist frequency). A recording is processed in blocks of
   ``block_s`` seconds, so memory stays bounded whatever its length.
2. **Whitening.** Each block's noise floor is estimated per frequency (the median over its
   frames, scaled to a mean); spectra are divided by it, so white, pink or low-frequency noise
   all look alike: unit-mean noise.
3. **Per frame:** *spectral purity* (the largest whitened power over their sum), the *peak
   frequency*, the *power-weighted mean frequency* and the *spectral discontinuity* (1 minus
   the cosine similarity of this frame's excess-over-noise spectrum with the previous frame's,
   the latter widened by +-2 bins so that sweeps stay continuous; after Holy & Guo 2005).
4. **Adaptive threshold.** Purity is mostly noise: the threshold is the mode of its histogram
   plus ``purity_sd`` noise standard deviations (the paper: mode + 2 SD), the standard deviation
   taken from the noise side of the mode. Frames above it whose mean frequency exceeds 25 kHz
   are *voiced*; a 5-frame median filter removes isolated frames (clicks) and fills single gaps.
5. **Events.** Voiced runs grow (hysteresis) while purity stays above mode + ``extend_sd`` SD,
   runs closer than 15 ms merge, and an event is kept if it lasts 7-500 ms and its mean
   discontinuity is at most 0.8.

``evaluate(reference, detected)`` scores a detection against labelled intervals by one-to-one
matching of overlapping intervals.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.fft
from scipy import ndimage, optimize

from usvlib.audio import audio_info, iter_blocks
from usvlib.errors import ConfigError, UsvlibError

CALL_COLUMNS = [
    "recording", "onset_s", "offset_s", "duration_s", "min_freq_hz", "max_freq_hz",
    "mean_freq_hz", "purity", "peak_snr_db", "score",
]


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
    min_duration_s: float = 0.007
    max_duration_s: float = 0.500
    merge_gap_s: float = 0.015
    block_s: float = 10.0

    def __post_init__(self):
        if not 0 < self.band_hz[0] < self.band_hz[1]:
            raise ConfigError(f"band_hz must be (low, high) with 0 < low < high, got {self.band_hz}")
        if self.min_duration_s >= self.max_duration_s:
            raise ConfigError("min_duration_s must be below max_duration_s")
        if self.median_frames < 1 or self.median_frames % 2 == 0:
            raise ConfigError(f"median_frames must be odd and >= 1, got {self.median_frames}")


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
    """Divide each frame's power by its segment's noise floor (per bin), so noise has mean 1.

    The floor of a segment of ``seg`` frames is the 25th percentile per bin (robust to calls that
    fill up to three quarters of a segment), scaled to the mean of exponential noise, and
    smoothed over the neighbouring segments (median of three); it follows non-stationary
    noise, such as low-frequency episodes, at the segment's resolution.
    """
    m, n_bins = power.shape
    n_seg = max(1, m // seg)
    if m < seg and floor is not None:
        return power / floor, floor
    bounds = np.linspace(0, m, n_seg + 1).astype(int)
    floors = np.stack([np.percentile(power[a:b], 25, axis=0) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    floors = floors / _Q25_OF_EXPONENTIAL + 1e-20
    if n_seg >= 3:
        padded = np.vstack([floors[:1], floors, floors[-1:]])
        floors = np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    seg_of_frame = np.minimum(np.searchsorted(bounds, np.arange(m), side="right") - 1, n_seg - 1)
    return power / floors[seg_of_frame], floors[-1]


def block_features(
    samples: np.ndarray, rate_hz: int, params: DetectorParams, *, floor: np.ndarray | None = None
) -> tuple[dict, np.ndarray]:
    """Frame features of one block of samples (a whole number of frames); returns (features, floor).

    ``floor`` (the per-bin noise level) is estimated from the block when it has enough frames,
    otherwise the given one (the previous block's) is used.
    """
    n = max(16, int(round(params.frame_s * rate_hz)))
    freqs, band = _band(params, rate_hz, n)
    m = len(samples) // n
    frames = samples[: m * n].reshape(m, n) * np.hanning(n).astype(np.float32)
    spec = scipy.fft.rfft(frames, axis=1, overwrite_x=True)[:, band]
    power = spec.real**2 + spec.imag**2
    white, floor = _whiten(power, max(1, int(round(params.floor_s / params.frame_s))), floor)
    total = white.sum(axis=1)
    peak_idx = white.argmax(axis=1)
    peak = white[np.arange(m), peak_idx]
    excess = np.maximum(white - params.excess, 0.0)
    widened = ndimage.maximum_filter1d(excess, size=5, axis=1)
    prev = np.vstack([widened[:1] * 0, widened[:-1]])
    norm = np.sqrt((excess**2).sum(axis=1) * (prev**2).sum(axis=1))
    similarity = np.where(norm > 0, (excess * prev).sum(axis=1) / np.where(norm > 0, norm, 1.0), 0.0)
    # a USV is a spectral peak: it must stand above the spectrum 3.5-8 kHz away on both sides
    # (a low-frequency burst leaking into the band is a slope, not a peak)
    bin_hz = freqs[1] - freqs[0]
    near, far = (max(1, int(round(o / bin_hz))) for o in params.contrast_offset_hz)
    side_max = ndimage.maximum_filter1d(white, size=far - near + 1, axis=1, mode="constant", cval=np.inf)
    n_bins = white.shape[1]
    centre = (near + far) // 2
    rows = np.arange(m)
    lower_i = peak_idx - centre
    upper_i = peak_idx + centre
    inside = (lower_i - (far - near) // 2 >= 0) & (upper_i + (far - near) // 2 < n_bins)
    lower = side_max[rows, np.clip(lower_i, 0, n_bins - 1)]
    upper = side_max[rows, np.clip(upper_i, 0, n_bins - 1)]
    contrast = np.where(inside, peak / np.maximum(np.maximum(lower, upper), 1e-12), 0.0)
    feats = {
        "purity": (peak / total).astype(np.float32),
        "contrast": contrast.astype(np.float32),
        "peak_hz": freqs[peak_idx].astype(np.float32),
        "mean_hz": ((white * freqs).sum(axis=1) / total).astype(np.float32),
        "discontinuity": (1.0 - similarity).astype(np.float32),
        "peak_snr": peak.astype(np.float32),
    }
    return feats, floor


def frame_features(path: str | os.PathLike, params: DetectorParams = DetectorParams(), *, channel=None) -> FrameFeatures:
    """Per-frame features of a whole recording, read block by block."""
    info = audio_info(path)
    n = max(16, int(round(params.frame_s * info.rate_hz)))
    block_frames = max(1, int(params.block_s * info.rate_hz) // n)
    parts: dict[str, list] = {k: [] for k in ("purity", "contrast", "peak_hz", "mean_hz", "discontinuity", "peak_snr")}
    floor = None
    for _, block in iter_blocks(path, block_s=block_frames * n / info.rate_hz, channel=channel):
        if len(block) < n:
            break
        feats, floor = block_features(block, info.rate_hz, params, floor=floor)
        for k, v in feats.items():
            parts[k].append(v)
    arrays = {k: (np.concatenate(v) if v else np.zeros(0, np.float32)) for k, v in parts.items()}
    n_bins = len(_band(params, info.rate_hz, n)[0])
    return FrameFeatures(info.rate_hz, n, **arrays, n_bins=n_bins)


def _mode_and_sd(values: np.ndarray) -> tuple[float, float]:
    """Mode of a (noise-dominated) distribution and the spread of its noise side."""
    hi = np.percentile(values, 99.5)
    counts, edges = np.histogram(values, bins=200, range=(0.0, hi))
    mode = 0.5 * (edges[counts.argmax()] + edges[counts.argmax() + 1])
    below = mode - values[values <= mode]
    sd = np.sqrt(np.mean(below**2)) if below.size > 10 else np.std(values)
    return float(mode), float(max(sd, 1e-6))


_NULL_CACHE: dict[tuple[int, float], float] = {}


def noise_threshold_factor(n_bins: int, false_frame_rate: float) -> float:
    """How many noise-side spreads above the mode a noise frame's purity exceeds with the given rate.

    Under whitened noise every bin is exponential with mean 1, so the null distribution of
    purity depends only on the number of bins; it is simulated once (200 000 frames, fixed
    seed). The threshold ``mode + factor x spread`` is then measured on each recording's own
    purity distribution, so it adapts to noise that is not exactly white.
    """
    key = (int(n_bins), float(false_frame_rate))
    if key not in _NULL_CACHE:
        rng = np.random.default_rng(0)
        w = rng.exponential(size=(200_000, n_bins)).astype(np.float32)
        p = w.max(axis=1) / w.sum(axis=1)
        mode, spread = _mode_and_sd(p)
        _NULL_CACHE[key] = float((np.quantile(p, 1 - false_frame_rate) - mode) / spread)
    return _NULL_CACHE[key]


def thresholds(ff: FrameFeatures, params: DetectorParams) -> tuple[float, float]:
    """(strong, weak) purity thresholds of a recording."""
    mode, spread = _mode_and_sd(ff.purity)
    strong = mode + noise_threshold_factor(ff.n_bins, params.false_frame_rate) * spread
    weak = mode + noise_threshold_factor(ff.n_bins, params.extend_frame_rate) * spread
    return strong, weak


def _runs(mask: np.ndarray) -> np.ndarray:
    """(start, stop) frame indices of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges.reshape(-1, 2)


def events_from_features(ff: FrameFeatures, params: DetectorParams = DetectorParams()) -> pd.DataFrame:
    """Turn per-frame features into calls (steps 4-5 of the module docstring)."""
    empty = pd.DataFrame(columns=CALL_COLUMNS[1:])
    if ff.purity.size == 0:
        return empty
    strong_thr, weak_thr = thresholds(ff, params)
    in_band = (ff.mean_hz >= params.min_mean_freq_hz) & (ff.contrast >= params.min_contrast)
    strong = (ff.purity > strong_thr) & in_band
    if params.median_frames > 1:
        strong = ndimage.median_filter(strong.astype(np.uint8), size=params.median_frames, mode="constant") > 0
    weak = (ff.purity > weak_thr) & in_band
    weak |= strong
    # hysteresis: keep the weak runs that contain a strong frame
    runs = _runs(weak)
    if len(runs) == 0:
        return empty
    strong_cum = np.concatenate([[0], np.cumsum(strong)])
    runs = runs[strong_cum[runs[:, 1]] - strong_cum[runs[:, 0]] > 0]
    if len(runs) == 0:
        return empty
    # merge runs closer than merge_gap_s
    gap_frames = params.merge_gap_s / ff.frame_s
    merged = [list(runs[0])]
    for start, stop in runs[1:]:
        if start - merged[-1][1] < gap_frames:
            merged[-1][1] = stop
        else:
            merged.append([start, stop])
    runs = np.array(merged)
    rows = []
    for start, stop in runs:
        duration = (stop - start) * ff.frame_s
        if not params.min_duration_s <= duration <= params.max_duration_s:
            continue
        sl = slice(start, stop)
        voiced = ff.purity[sl] > weak_thr
        if voiced.sum() == 0:
            continue
        disc = float(np.mean(ff.discontinuity[start + 1:stop])) if stop - start > 1 else 1.0
        if disc > params.max_discontinuity:
            continue
        peaks = ff.peak_hz[sl][voiced]
        rows.append({
            "onset_s": start * ff.frame_s,
            "offset_s": stop * ff.frame_s,
            "duration_s": duration,
            "min_freq_hz": float(peaks.min()),
            "max_freq_hz": float(peaks.max()),
            "mean_freq_hz": float(np.mean(ff.mean_hz[sl][voiced])),
            "purity": float(np.mean(ff.purity[sl])),
            "peak_snr_db": float(10 * np.log10(max(np.max(ff.peak_snr[sl]), 1e-12))),
            "score": float(np.mean(ff.purity[sl]) / strong_thr),
        })
    return pd.DataFrame(rows, columns=CALL_COLUMNS[1:]) if rows else empty


def detect(path: str | os.PathLike, params: DetectorParams = DetectorParams(), *, channel=None) -> pd.DataFrame:
    """Detect the USVs of one recording: one row per call (``CALL_COLUMNS``).

    A recording without calls gives an empty table. Bad files raise an ``AudioError``.
    """
    ff = frame_features(path, params, channel=channel)
    calls = events_from_features(ff, params)
    calls.insert(0, "recording", str(path))
    return calls.reset_index(drop=True)


def detect_many(
    paths: list[str | os.PathLike], params: DetectorParams = DetectorParams(), *, channel=None, progress: bool = True
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Detect in several recordings; a file that cannot be read is reported, the rest go on.

    Returns
    -------
    calls : DataFrame
        All calls of the readable recordings.
    failures : dict
        ``{path: message}`` of the recordings that could not be processed.
    """
    frames, failures = [], {}
    iterator = paths
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(paths, desc="detecting", unit="rec")
    for path in iterator:
        try:
            frames.append(detect(path, params, channel=channel))
        except UsvlibError as exc:
            failures[str(path)] = str(exc)
    calls = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CALL_COLUMNS)
    return calls, failures


# ---------------------------------------------------------------------------------------------
# scoring


def read_intervals(path: str | os.PathLike) -> pd.DataFrame:
    """Read ``onset_s,offset_s`` intervals (no header; decimal points or quoted decimal commas)."""
    path = Path(path)
    text = path.read_text().strip()
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = [f.strip().strip('"') for f in (line.split('","') if '","' in line else line.split(","))]
        try:
            onset, offset = (float(f.replace(",", ".")) for f in fields[:2])
        except ValueError:
            if number == 1:
                continue  # a header row
            raise UsvlibError(f"{path}, line {number}: expected 'onset_s,offset_s', got {line!r}") from None
        rows.append((onset, offset))
    return pd.DataFrame(rows, columns=["onset_s", "offset_s"])


@dataclass(frozen=True)
class DetectionScore:
    """How a detection compares with reference intervals."""

    n_reference: int
    n_detected: int
    n_matched: int
    precision: float
    recall: float
    f1: float
    median_onset_error_s: float
    median_offset_error_s: float

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def evaluate(reference: pd.DataFrame, detected: pd.DataFrame) -> DetectionScore:
    """One-to-one matching of overlapping intervals → precision, recall, F1, timing errors.

    Each reference interval is matched to at most one detected interval and vice versa; pairs
    must overlap, and among the possible matchings the one with the most pairs (ties: the
    largest total overlap) is chosen. Timing errors are detected minus reference, in seconds,
    over the matched pairs (absolute medians).
    """
    ref = reference[["onset_s", "offset_s"]].to_numpy(float)
    det = detected[["onset_s", "offset_s"]].to_numpy(float)
    n_ref, n_det = len(ref), len(det)
    matched_pairs = np.zeros((0, 2), int)
    if n_ref and n_det:
        overlap = np.minimum(ref[:, None, 1], det[None, :, 1]) - np.maximum(ref[:, None, 0], det[None, :, 0])
        valid = overlap > 0
        # maximise the number of pairs first, then overlap (normalised below 1 per pair)
        gain = np.where(valid, 1.0 + overlap / (overlap.max() + 1e-12) * 1e-3, 0.0)
        r, c = optimize.linear_sum_assignment(-gain)
        keep = valid[r, c]
        matched_pairs = np.column_stack([r[keep], c[keep]])
    k = len(matched_pairs)
    precision = k / n_det if n_det else (1.0 if n_ref == 0 else 0.0)
    recall = k / n_ref if n_ref else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    if k:
        on = np.median(np.abs(det[matched_pairs[:, 1], 0] - ref[matched_pairs[:, 0], 0]))
        off = np.median(np.abs(det[matched_pairs[:, 1], 1] - ref[matched_pairs[:, 0], 1]))
    else:
        on = off = float("nan")
    return DetectionScore(n_ref, n_det, k, precision, recall, f1, float(on), float(off))
