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

import itertools
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
    "recording",
    "onset_s",
    "offset_s",
    "duration_s",
    "min_freq_hz",
    "max_freq_hz",
    "mean_freq_hz",
    "purity",
    "peak_snr_db",
    "score",
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
    # every 8th frame is plenty for a percentile, and eight times cheaper
    floors = np.stack([np.percentile(power[a:b:8], 25, axis=0) for a, b in itertools.pairwise(bounds)])
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
    peak_idx = white.argmax(axis=1)
    peak = white.ravel()[np.arange(m) * white.shape[1] + peak_idx]
    n_bins = white.shape[1]
    continuity = np.zeros(m, np.float32)
    contrast = np.zeros(m, np.float32)
    # the shape measures matter only where a frame could be voiced: a peak of 6 (7.8 dB) or
    # less cannot reach the purity threshold, so most noise frames are skipped
    cand = np.flatnonzero(peak > 6.0)
    cand_prev = cand[cand > 0]
    # discontinuity (after Holy & Guo 2005, on the spectral peak): does the previous frame hold
    # comparable excess power within +-3 bins of this frame's peak? 0 = the line continues.
    excess_peak = np.maximum(peak[cand_prev] - params.excess, 0.0)
    prev_near = _neighbourhood_max(white, cand_prev - 1, peak_idx[cand_prev], range(-3, 4)) - params.excess
    continuity[cand_prev] = np.where(
        excess_peak > 0, np.clip(prev_near / np.maximum(excess_peak, 1e-12), 0.0, 1.0), 0.0
    )
    # a USV is a spectral peak: it stands above the spectrum 3.5-8 kHz away on both sides
    # (a low-frequency burst leaking into the band is a slope, not a peak)
    bin_hz = freqs[1] - freqs[0]
    near, far = (max(1, round(o / bin_hz)) for o in params.contrast_offset_hz)
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


def frame_features(
    path: str | os.PathLike, params: DetectorParams = DetectorParams(), *, channel=None
) -> FrameFeatures:
    """Per-frame features of a whole recording, read block by block."""
    info = audio_info(path)
    n = max(16, round(params.frame_s * info.rate_hz))
    block_frames = max(1, int(params.block_s * info.rate_hz) // n)
    parts: dict[str, list] = {k: [] for k in ("purity", "contrast", "peak_hz", "mean_hz", "discontinuity", "peak_snr")}
    floor = None
    for _, block in iter_blocks(path, block_s=block_frames * n / info.rate_hz, channel=channel, dtype="int16"):
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
    if not hi > 0:  # silence: nothing to threshold
        return 0.0, 1.0
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
    new_event = np.concatenate([[True], runs[1:, 0] - runs[:-1, 1] >= gap_frames])
    first = np.flatnonzero(new_event)
    last = np.concatenate([first[1:], [len(runs)]]) - 1
    runs = np.column_stack([runs[first, 0], runs[last, 1]])
    duration = (runs[:, 1] - runs[:, 0]) * ff.frame_s
    runs = runs[(duration >= params.min_duration_s) & (duration <= params.max_duration_s)]
    if len(runs) == 0:
        return empty
    # per-event statistics with reduceat (no Python loop over events)
    starts, stops = runs[:, 0], runs[:, 1]
    edges = np.column_stack([starts, stops]).ravel()
    voiced = ff.purity > weak_thr

    def per_event(values, ufunc=np.add):
        # one extra element so that an event may end at the last frame; odd segments are gaps
        return ufunc.reduceat(np.append(values, values[-1:]), edges)[::2]

    n_frames = stops - starts
    n_voiced = per_event(voiced.astype(np.int64))
    mean_purity = per_event(ff.purity.astype(np.float64)) / n_frames
    disc_sum = per_event(ff.discontinuity.astype(np.float64)) - ff.discontinuity[starts]
    disc = np.where(n_frames > 1, disc_sum / np.maximum(n_frames - 1, 1), 1.0)
    mean_hz = per_event(np.where(voiced, ff.mean_hz, 0.0)) / np.maximum(n_voiced, 1)
    min_hz = per_event(np.where(voiced, ff.peak_hz, np.inf), np.minimum)
    max_hz = per_event(np.where(voiced, ff.peak_hz, -np.inf), np.maximum)
    peak_snr = per_event(ff.peak_snr, np.maximum)
    keep = (n_voiced > 0) & (disc <= params.max_discontinuity)
    return pd.DataFrame(
        {
            "onset_s": starts * ff.frame_s,
            "offset_s": stops * ff.frame_s,
            "duration_s": n_frames * ff.frame_s,
            "min_freq_hz": min_hz,
            "max_freq_hz": max_hz,
            "mean_freq_hz": mean_hz,
            "purity": mean_purity,
            "peak_snr_db": 10 * np.log10(np.maximum(peak_snr, 1e-12)),
            "score": mean_purity / strong_thr,
        }
    )[keep].reset_index(drop=True)


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


TOOLS = {"deepsqueak": "DeepSqueak", "mupet": "MUPET", "vocalmat": "VocalMat", "msa1": "MSA (1)", "msa2": "MSA (2)"}


def evaluate_recordings(detected: pd.DataFrame, reference: pd.DataFrame, *, key: str = "animal") -> pd.DataFrame:
    """Score detections recording by recording (both tables have ``key``, ``onset_s``, ``offset_s``).

    Returns one row per recording and a last row ``all`` pooling the matches of every recording.
    """
    rows = []
    for name in sorted(set(reference[key]) | set(detected[key])):
        s = evaluate(reference[reference[key] == name], detected[detected[key] == name])
        rows.append({key: name, **s.as_dict()})
    table = pd.DataFrame(rows)
    pooled = pooled_score(table)
    return pd.concat([table, pd.DataFrame([{key: "all", **pooled.as_dict()}])], ignore_index=True)


def pooled_score(per_recording: pd.DataFrame) -> DetectionScore:
    """Precision, recall and F1 of all matches of several recordings together."""
    t = per_recording[per_recording.iloc[:, 0] != "all"]
    n_ref, n_det, k = int(t.n_reference.sum()), int(t.n_detected.sum()), int(t.n_matched.sum())
    p = k / n_det if n_det else 0.0
    r = k / n_ref if n_ref else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    w = t.n_matched.to_numpy(float)
    on = float(np.average(t.median_onset_error_s.fillna(0), weights=w)) if w.sum() else float("nan")
    off = float(np.average(t.median_offset_error_s.fillna(0), weights=w)) if w.sum() else float("nan")
    return DetectionScore(n_ref, n_det, k, p, r, f1, on, off)


def evaluate_reference_clips(folder: str | os.PathLike, params: DetectorParams = DetectorParams()) -> pd.DataFrame:
    """usvlib and the other tools on labelled clips (``k/rec_k.wav``, ``k/gt_k.csv``, ``k/<tool>_k.csv``).

    Returns one row per clip and detector (``usvlib`` and every tool whose file is there), plus
    rows ``all`` pooling each detector's matches over the clips.
    """
    folder = Path(folder)
    rows = []
    for clip in sorted(p for p in folder.iterdir() if p.is_dir() and (p / f"rec_{p.name}.wav").is_file()):
        k = clip.name
        reference = read_intervals(clip / f"gt_{k}.csv")
        found = {"usvlib": detect(clip / f"rec_{k}.wav", params)}
        for tool in TOOLS:
            if (clip / f"{tool}_{k}.csv").is_file():
                found[TOOLS[tool]] = read_intervals(clip / f"{tool}_{k}.csv")
        for name, det in found.items():
            rows.append({"recording": k, "detector": name, **evaluate(reference, det).as_dict()})
    table = pd.DataFrame(rows)
    pooled = []
    for name, part in table.groupby("detector", sort=False):
        pooled.append({"recording": "all", "detector": name, **pooled_score(part.drop(columns="detector")).as_dict()})
    return pd.concat([table, pd.DataFrame(pooled)], ignore_index=True)
