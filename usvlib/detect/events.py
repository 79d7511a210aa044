"""From per-frame features to calls (steps 4-5 of ``usvlib.detect``): the adaptive purity
threshold, hysteresis, merging, the duration and continuity limits."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from usvlib._io import write_json_atomic
from usvlib.detect.frames import DetectorParams, FrameFeatures

if TYPE_CHECKING:
    import pandas as pd

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


def moving_average(values: np.ndarray, size: int) -> np.ndarray:
    """The centred running mean over ``size`` samples, the ends extended with the end values.

    The same as ``scipy.ndimage.uniform_filter1d(values, size, mode="nearest")`` (for an even
    ``size`` the window reaches one sample further back than ahead), from a cumulative sum in
    float64: importing scipy.ndimage costs a quarter of a second of every ``usvlib detect``.

    Parameters
    ----------
    values : ndarray (N,)
    size : int
        At least 1.

    Returns
    -------
    ndarray (N,), the dtype of ``values``

    Examples
    --------
    >>> moving_average(np.array([0.0, 3.0, 0.0, 0.0]), 3).tolist()
    [1.0, 1.0, 1.0, 0.0]
    """
    values = np.asarray(values)
    if size <= 1 or values.size == 0:
        return values
    left = size // 2
    padded = np.concatenate([np.full(left, values[0]), values, np.full(size - 1 - left, values[-1])])
    sums = np.concatenate([[0.0], np.cumsum(padded, dtype=np.float64)])
    return ((sums[size:] - sums[:-size]) / size).astype(values.dtype, copy=False)


def majority_filter(mask: np.ndarray, size: int) -> np.ndarray:
    """Whether most of the ``size`` samples centred on each sample are True (outside: False).

    For an odd ``size`` this is the median filter of a 0/1 mask with zeros outside
    (``scipy.ndimage.median_filter(mask, size, mode="constant") > 0``): isolated True samples
    go, short gaps in a run are filled.

    Parameters
    ----------
    mask : ndarray of bool (N,)
    size : int
        Odd.

    Returns
    -------
    ndarray of bool (N,)

    Examples
    --------
    >>> majority_filter(np.array([0, 1, 0, 1, 1, 0, 0], bool), 3).astype(int).tolist()
    [0, 0, 1, 1, 1, 0, 0]
    """
    half = size // 2
    padded = np.concatenate([np.zeros(half, np.int64), np.asarray(mask, np.int64), np.zeros(half, np.int64)])
    sums = np.concatenate([[0], np.cumsum(padded)])
    return (sums[size:] - sums[:-size]) > half


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


_NULL_CACHE: dict[tuple[int, float, int], float] = {}
_NULL_PURITY: dict[int, np.ndarray] = {}


def _null_purity(n_bins: int) -> np.ndarray:
    """Purity of 200 000 frames of whitened noise (seeded): one simulation per band width."""
    if n_bins not in _NULL_PURITY:
        w = np.random.default_rng(0).exponential(size=(200_000, n_bins)).astype(np.float32)
        _NULL_PURITY[n_bins] = w.max(axis=1) / w.sum(axis=1)
    return _NULL_PURITY[n_bins]


def _null_file() -> Path:
    from usvlib.paths import cache_dir

    return cache_dir() / "detector-null.json"


def noise_threshold_factor(n_bins: int, false_frame_rate: float, smooth_frames: int = 1) -> float:
    """How many noise-side spreads above the mode a noise frame's purity exceeds with the given rate.

    Under whitened noise every bin is exponential with mean 1, so the null distribution of
    purity depends only on the number of bins; it is simulated once (200 000 frames, fixed
    seed). The threshold ``mode + factor x spread`` is then measured on each recording's own
    purity distribution, so it adapts to noise that is not exactly white.

    Parameters
    ----------
    n_bins : int
        Frequency bins of the searched band (``FrameFeatures.n_bins``).
    false_frame_rate : float
        Share of pure-noise frames that should exceed the threshold, in (0, 1).
    smooth_frames : int
        Frames purity is averaged over (``DetectorParams.smooth_frames``): the null is simulated
        with the same averaging.

    Returns
    -------
    float
        The factor. It is kept for the process and in ``detector-null.json`` of the cache folder
        (a simulation takes a quarter of a second; the file holds the same values, keyed by the
        numpy version whose generator drew them).
    """
    key = (int(n_bins), float(false_frame_rate), int(smooth_frames))
    if key in _NULL_CACHE:
        return _NULL_CACHE[key]
    name = f"{key[0]}/{key[1]!r}/{key[2]}/numpy {np.__version__}"
    stored = _read_null_file()
    if name in stored:
        _NULL_CACHE[key] = float(stored[name])
        return _NULL_CACHE[key]
    p = _null_purity(key[0])
    if smooth_frames > 1:
        p = moving_average(p, smooth_frames)
    mode, spread = _mode_and_sd(p)
    _NULL_CACHE[key] = float((np.quantile(p, 1 - false_frame_rate) - mode) / spread)
    try:
        write_json_atomic(_null_file(), {**_read_null_file(), name: _NULL_CACHE[key]})
    except OSError:
        pass  # a read-only cache folder only costs the simulation next time
    return _NULL_CACHE[key]


def _read_null_file() -> dict:
    try:
        return json.loads(_null_file().read_text())
    except (OSError, ValueError):
        return {}


def thresholds(ff: FrameFeatures, params: DetectorParams) -> tuple[float, float]:
    """(strong, weak) purity thresholds of a recording.

    Both are the mode of the recording's purity plus a factor (:func:`noise_threshold_factor`)
    times the spread of its noise side.

    Parameters
    ----------
    ff : FrameFeatures
        The recording's per-frame features.
    params : DetectorParams
        Its ``false_frame_rate`` sets the strong threshold, ``extend_frame_rate`` the weak one.

    Returns
    -------
    strong, weak : float
        Purity thresholds: a call needs frames above ``strong`` and extends while above ``weak``.
    """
    mode, spread = _mode_and_sd(smoothed_purity(ff, params))
    strong = mode + noise_threshold_factor(ff.n_bins, params.false_frame_rate, params.smooth_frames) * spread
    weak = mode + noise_threshold_factor(ff.n_bins, params.extend_frame_rate, params.smooth_frames) * spread
    return strong, weak


def smoothed_purity(ff: FrameFeatures, params: DetectorParams) -> np.ndarray:
    """Purity averaged over ``params.smooth_s`` (``smooth_frames`` frames): a faint call's frames add up, noise's
    fluctuations average out (the purity of each frame, so a sweep's moving peak loses nothing)."""
    return _averaged(ff.purity, params)


def _averaged(values: np.ndarray, params: DetectorParams) -> np.ndarray:
    """A per-frame feature averaged over ``params.smooth_frames`` frames (itself for one)."""
    if params.smooth_frames <= 1:
        return values
    return moving_average(values, params.smooth_frames)


def _trim_smoothing(runs: np.ndarray, voiced_raw: np.ndarray, half: int) -> np.ndarray:
    """Undo the spread of the averaging at a call's ends: drop up to ``half`` edge frames of each
    run that are not voiced on their own (purity under the single-frame weak threshold, or no
    spectral peak); a loud call's run otherwise starts and ends ``half`` frames early and late."""
    runs = runs.copy()
    for _ in range(half):  # a loop over at most two frames, not over events
        start_quiet = ~voiced_raw[np.minimum(runs[:, 0], len(voiced_raw) - 1)] & (runs[:, 1] - runs[:, 0] > 1)
        runs[start_quiet, 0] += 1
        stop_quiet = ~voiced_raw[np.maximum(runs[:, 1] - 1, 0)] & (runs[:, 1] - runs[:, 0] > 1)
        runs[stop_quiet, 1] -= 1
    return runs


def _runs(mask: np.ndarray) -> np.ndarray:
    """(start, stop) frame indices of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges.reshape(-1, 2)


def events_from_features(ff: FrameFeatures, params: DetectorParams = DetectorParams()) -> pd.DataFrame:
    """Turn per-frame features into calls (steps 4-5 of the module docstring).

    Parameters
    ----------
    ff : FrameFeatures
        Per-frame features of a recording (:func:`~usvlib.detect.frames.frame_features`).
    params : DetectorParams

    Returns
    -------
    DataFrame
        One row per call, in time order, with ``CALL_COLUMNS`` but ``recording``: onset, offset
        and duration in seconds from the first frame, the frequency range (of the voiced frames'
        peaks) and mean frequency in Hz, mean purity, peak SNR in dB and the score (mean purity
        over the strong threshold). Empty when there are no calls.
    """
    import pandas as pd  # here, not at the top: ``usvlib detect`` writes its table without pandas

    return pd.DataFrame(event_columns(ff, params), columns=CALL_COLUMNS[1:])


def event_columns(ff: FrameFeatures, params: DetectorParams = DetectorParams()) -> dict[str, np.ndarray]:
    """The table of :func:`events_from_features` as one array per column (no pandas needed).

    Parameters
    ----------
    ff : FrameFeatures
    params : DetectorParams

    Returns
    -------
    dict of ndarray
        ``CALL_COLUMNS`` but ``recording``, in that order, one value per call; empty arrays when
        there are no calls.
    """
    empty = {name: np.zeros(0) for name in CALL_COLUMNS[1:]}
    if ff.purity.size == 0:
        return empty
    strong_thr, weak_thr = thresholds(ff, params)
    purity = smoothed_purity(ff, params)
    contrast = _averaged(ff.contrast, params)  # a faint call's contrast fluctuates like its purity
    in_band = (ff.mean_hz >= params.min_mean_freq_hz) & (contrast >= params.min_contrast)
    strong = (purity > strong_thr) & in_band
    if params.median_frames > 1:
        strong = majority_filter(strong, params.median_frames)
    weak = (purity > weak_thr) & in_band
    weak |= strong
    # hysteresis: keep the weak runs that contain a strong frame
    runs = _runs(weak)
    if len(runs) == 0:
        return empty
    strong_cum = np.concatenate([[0], np.cumsum(strong)])
    runs = runs[strong_cum[runs[:, 1]] - strong_cum[runs[:, 0]] > 0]
    if len(runs) == 0:
        return empty
    if params.smooth_frames > 1:
        _, weak_raw = thresholds(ff, dataclasses.replace(params, smooth_s=0.0))  # of single frames
        raw_voiced = (ff.purity > weak_raw) & (ff.contrast >= params.min_contrast)
        trimmed = _trim_smoothing(runs, raw_voiced, params.smooth_frames // 2)
    else:
        trimmed = runs
    # merge runs closer than merge_gap_s, the gap measured between their trimmed ends: the
    # averaging widens every run, which would narrow the gap between two calls
    gap_frames = params.merge_gap_s / ff.frame_s
    new_event = np.concatenate([[True], trimmed[1:, 0] - trimmed[:-1, 1] >= gap_frames])
    first = np.flatnonzero(new_event)
    last = np.concatenate([first[1:], [len(runs)]]) - 1
    runs = np.column_stack([runs[first, 0], runs[last, 1]])
    trimmed = np.column_stack([trimmed[first, 0], trimmed[last, 1]])
    # the duration limits judge the run as found; the trimming only refines its ends
    duration = (runs[:, 1] - runs[:, 0]) * ff.frame_s
    in_limits = (duration >= params.min_duration_s) & (duration <= params.max_duration_s)
    runs = trimmed[in_limits]
    if len(runs) == 0:
        return empty
    # per-event statistics with reduceat (no Python loop over events)
    starts, stops = runs[:, 0], runs[:, 1]
    edges = np.column_stack([starts, stops]).ravel()
    voiced = purity > weak_thr

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
    score = mean_purity / strong_thr
    duration_s = n_frames * ff.frame_s
    # noise's mean over n frames spreads as 1 / sqrt(n): a shorter event needs a higher score
    needed = params.min_score * np.sqrt(np.maximum(params.short_s / np.maximum(duration_s, 1e-9), 1.0))
    continuous = (disc <= params.max_discontinuity) | (score >= params.confident_score)
    # hysteresis and merging can lengthen a faint short call with noise frames, which dilute
    # its mean: an event also stands when a stretch of short_s within it is a call on its own
    window = max(1, round(params.short_s / ff.frame_s))
    strong_window = (moving_average(ff.purity, window) >= params.window_score * strong_thr) & (
        moving_average(ff.discontinuity, window) <= params.max_discontinuity
    )
    has_strong_window = per_event(strong_window.astype(np.int64)) > 0
    keep = (n_voiced > 0) & ((continuous & (score >= needed)) | has_strong_window)
    columns = {
        "onset_s": starts * ff.frame_s,
        "offset_s": stops * ff.frame_s,
        "duration_s": n_frames * ff.frame_s,
        "min_freq_hz": min_hz,
        "max_freq_hz": max_hz,
        "mean_freq_hz": mean_hz,
        "purity": mean_purity,
        "peak_snr_db": 10 * np.log10(np.maximum(peak_snr, 1e-12)),
        "score": score,
    }
    return {name: values[keep] for name, values in columns.items()}
