"""Find the USVs in a recording: one row per call.

A detector in the spirit of the paper's (the authors' ``VocCollector``), with every threshold in
hertz or seconds and its noise estimates taken from the recording itself (``DetectorParams``
holds every setting):

1. **Frames.** The audio is cut into non-overlapping Hann-windowed frames of ``frame_s``
   (0.853 ms: 256 samples at 300 kHz, 1.17 kHz resolution) and their power spectra are kept in
   the searched band ``band_hz`` (25-145 kHz, capped at 98 % of the Nyquist frequency). A
   recording is processed in blocks of ``block_s`` seconds, so memory stays bounded whatever
   its length.
2. **Whitening.** The noise floor is estimated per frequency over segments of ``floor_s`` (the
   25th percentile of the segment's frames, scaled to the mean of exponential noise, smoothed
   over neighbouring segments); spectra are divided by it, so white, pink or low-frequency
   noise all look alike: unit-mean noise.
3. **Per frame:** *spectral purity* (the largest whitened power over their sum; the peak looked
   for at least ``contrast_offset_hz[1]`` inside the band, where its contrast can be measured on
   both sides), the *peak frequency*, the *power-weighted mean frequency*, the *contrast* of the peak against the
   spectrum ``contrast_offset_hz`` away on both sides (a low-frequency burst leaking into the
   band is a slope, not a peak) and the *spectral discontinuity* (after Holy & Guo 2005: 0 when
   the previous frame holds comparable power within ``continuity_hz`` of this frame's peak, so that
   sweeps stay continuous).
4. **Adaptive threshold.** Purity and contrast are averaged over ``smooth_s`` (4.3 ms, five
   frames: half the shortest calls looked for), so that a faint call's frames add up while
   noise's fluctuations average out (chosen on the semi-synthetic benchmark,
   ``benchmarks/detection_benchmark.py``: at 10 dB per-bin SNR, F1 0.15 and 0.10 at 250 and
   300 kHz with single frames, 0.47 and 0.53 with 5; 20 dB calls, the development clips and
   the synthetic data unchanged). Purity is mostly noise: the threshold is the mode of its histogram
   plus a factor times the spread of its noise side (the paper: mode + 2 SD). The factor is
   set so that whitened noise passes with probability ``false_frame_rate`` (1 %), from the
   simulated null distribution of purity (``noise_threshold_factor``). Frames above it whose
   mean frequency exceeds ``min_mean_freq_hz`` and whose contrast reaches ``min_contrast`` are
   *voiced*; a ``median_frames`` median filter removes isolated frames (clicks) and fills
   single gaps.
5. **Events.** Voiced runs grow (hysteresis) while purity stays above the threshold for
   ``extend_frame_rate`` (20 %), runs whose ends (trimmed back over the frames the averaging
   added) are closer than ``merge_gap_s`` (15 ms, the paper's) merge, and an event is
   kept if it lasts ``min_duration_s``-``max_duration_s`` (5-500 ms, the run as found, before
   its ends are trimmed) and:

   * its **score** (mean purity over the strong threshold) reaches ``min_score`` (1.2), times
     sqrt(``short_s`` / duration) for an event shorter than ``short_s`` (8 ms): the mean of noise
     over n frames spreads as 1 / sqrt(n), so a short event needs more evidence. On the
     semi-synthetic benchmark's first version the short events that were not calls scored
     1.1-1.5 (median 1.3) and the short calls 1.7 or more (5th percentile), at every SNR;
   * its mean **discontinuity** is at most ``max_discontinuity`` (0.8), the line continuing
     when the next frame holds power within ``continuity_hz`` (5 kHz per 0.85 ms frame, sweeps
     up to 5.9 kHz/ms) of its peak; an event scoring ``confident_score`` (2) or more is kept
     without this test: loud sweeps faster than that (10-16 kHz/ms on the benchmark's first
     version) were lost to it, while the noise events it is there for score below 1.5;
   * or, whatever its mean, some stretch of ``short_s`` within it averages ``window_score``
     (1.4) times the strong threshold with a mean discontinuity of at most
     ``max_discontinuity``: hysteresis and merging can lengthen a faint short call with noise
     frames that dilute its mean (a 10 ms call at -5 dB inside a 33 ms event scoring 1.1). On
     the benchmark's seed 0 every value from 1.35 to 1.5 recovered 6 or 7 of the 13 calls
     missed at -5 dB and added no false detection; at 1.3 two appeared at 10 dB. 1.4 lies
     inside that range, a step away from where false detections begin.

   Every value was chosen on the semi-synthetic benchmark (``benchmarks/detection_benchmark.py``,
   seed 0) and checked on a second draw of it (seed 1); ``docs/validation.md`` has the tables.

``detect_file(path)`` reads a file, ``detect_samples(samples, rate_hz=...)`` an array already in
memory; both give the same table for the same samples. Scoring a detection against labelled
calls is apart from the algorithm, in ``usvlib.metrics``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from usvlib.audio import MIN_RATE_HZ
from usvlib.detect.events import (
    CALL_COLUMNS,
    event_columns,
    events_from_features,
    noise_threshold_factor,
    thresholds,
)
from usvlib.detect.frames import (
    DetectorParams,
    FrameFeatures,
    block_features,
    block_layout,
    features_of_blocks,
    frame_features,
)
from usvlib.errors import AudioError, UsvlibError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CALL_COLUMNS",
    "DetectorParams",
    "FrameFeatures",
    "block_features",
    "detect_file",
    "detect_many",
    "detect_samples",
    "event_columns",
    "events_from_features",
    "frame_features",
    "noise_threshold_factor",
    "thresholds",
]


def detect_file(
    path: str | os.PathLike, params: DetectorParams = DetectorParams(), *, channel=None, workers: int = 1
) -> pd.DataFrame:
    """Detect the USVs of one recording file: one row per call.

    Parameters
    ----------
    path : path
        A recording (WAV or FLAC, mono or with ``channel``, sampled at >= 200 kHz).
    params : DetectorParams
        Every setting of the detector, in seconds and hertz (the module docstring).
    channel : int, optional
        Channel of a multi-channel file.
    workers : int
        Processes that share a long file, each taking a stretch of it (the same table as one;
        a file shorter than two 10 s blocks per worker uses fewer).

    Returns
    -------
    DataFrame
        ``CALL_COLUMNS``: the recording's path, ``onset_s``, ``offset_s``, ``duration_s``, the
        frequency range and mean frequency, mean purity, peak SNR and a score (mean purity over
        the threshold). A recording without calls gives an empty table.

    Raises
    ------
    AudioError
        If the file cannot be used (wrong rate, truncated, ...), named in the message.
    ConfigError
        If ``params.band_hz`` leaves fewer than 8 frequency bins at the file's rate.

    Examples
    --------
    >>> from usvlib import detect_file
    >>> calls = detect_file("rec1.wav")  # doctest: +SKIP
    >>> calls[["onset_s", "offset_s", "mean_freq_hz"]].head()  # doctest: +SKIP
    """
    return _as_table(_file_columns(path, params, channel, workers))


def _file_columns(path, params: DetectorParams, channel, workers: int = 1) -> dict[str, np.ndarray]:
    """The table of :func:`detect_file` as one array per column (``CALL_COLUMNS``)."""
    return _with_recording(event_columns(frame_features(path, params, channel=channel, workers=workers), params), path)


def _with_recording(columns: dict[str, np.ndarray], recording) -> dict[str, np.ndarray]:
    """``CALL_COLUMNS``: the detector's columns after a ``recording`` column naming ``recording``."""
    return {"recording": np.full(len(columns["onset_s"]), str(recording), dtype=object), **columns}


def _as_table(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    import pandas as pd  # here: the command line's ``usvlib detect`` needs no table library

    return pd.DataFrame(columns, columns=CALL_COLUMNS)


def detect_samples(
    samples: np.ndarray, *, rate_hz: int, params: DetectorParams = DetectorParams(), recording: str = ""
) -> pd.DataFrame:
    """Detect the USVs of samples already in memory: the same table as :func:`detect_file` on a file.

    Parameters
    ----------
    samples : ndarray, shape (n,)
        Mono audio: int16 (full scale 32768) or floats in [-1, 1].
    rate_hz : int
        Sampling rate (>= 200 kHz: USVs reach 100 kHz and more).
    params : DetectorParams
    recording : str
        What the ``recording`` column says.

    Returns
    -------
    DataFrame
        ``CALL_COLUMNS``, one row per call.

    Raises
    ------
    AudioError
        For samples that are not 1-D, not finite, floats beyond [-1, 1], or a rate under 200 kHz.
    ConfigError
        If ``params.band_hz`` leaves fewer than 8 frequency bins at ``rate_hz``.

    Examples
    --------
    >>> import numpy as np
    >>> from usvlib import detect_samples
    >>> rate = 300_000
    >>> t = np.arange(int(0.05 * rate)) / rate
    >>> tone = 0.3 * np.sin(2 * np.pi * 60_000 * t)
    >>> noise = 0.01 * np.random.default_rng(0).standard_normal(rate)
    >>> x = noise.copy(); x[100_000:100_000 + len(tone)] += tone
    >>> calls = detect_samples(x, rate_hz=rate)
    >>> len(calls), round(float(calls.onset_s[0]), 2)
    (1, 0.33)
    """
    x = np.asarray(samples)
    if x.ndim != 1:
        raise AudioError(f"{recording or 'samples'}: expected mono samples (1-D), got shape {x.shape}")
    if rate_hz < MIN_RATE_HZ:
        raise AudioError(
            f"{recording or 'samples'}: sampled at {rate_hz} Hz - USVs need >= {MIN_RATE_HZ} Hz (reach 100 kHz)"
        )
    if np.issubdtype(x.dtype, np.floating):
        if not np.isfinite(x).all():
            raise AudioError(f"{recording or 'samples'}: holds NaN or infinite values - repair the recording")
        peak = float(np.abs(x).max()) if len(x) else 0.0
        if peak > 1.0:
            raise AudioError(
                f"{recording or 'samples'}: float samples reach {peak:.3g}, beyond full scale (1.0) - pass "
                "floats in [-1, 1] or the int16 values"
            )
        x = x.astype(np.float32) * np.float32(32768.0)  # the scale of the int16 a file is read as
    n, block_frames = block_layout(params, int(rate_hz))
    step = block_frames * n
    ff = features_of_blocks((x[i : i + step] for i in range(0, len(x), step)), int(rate_hz), params)
    return _as_table(_with_recording(event_columns(ff, params), recording))


def _detect_or_fail(job: tuple) -> dict[str, np.ndarray] | str:
    """One recording of :func:`detect_many`: its calls' columns, or the message of why it failed."""
    path, params, channel, file_workers = job
    try:
        return _file_columns(path, params, channel, file_workers)
    except UsvlibError as exc:
        return str(exc)


def detect_many(
    paths: list[str | os.PathLike],
    params: DetectorParams = DetectorParams(),
    *,
    channel=None,
    progress: bool = True,
    workers: int = 1,
    scheduler: str | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Detect in several recordings; a file that cannot be read is reported, the rest go on.

    Parameters
    ----------
    paths : list of path
        Recordings, as for :func:`detect_file`.
    params : DetectorParams
        The same settings for every recording.
    channel : int, optional
        Channel of multi-channel files (the same for all).
    progress : bool
        A progress bar over recordings.
    workers : int
        Recordings detected at once, each in a process of its own (the same tables as one at a
        time); a single recording shares them among stretches of itself (:func:`detect_file`).
    scheduler : str, optional
        A Dask scheduler's address (default ``$USVLIB_SCHEDULER``): the recordings are detected on
        that cluster, whose workers must see the files.

    Returns
    -------
    calls : DataFrame
        All calls of the readable recordings (``CALL_COLUMNS``; ``recording`` names each file), in
        the order of ``paths``.
    failures : dict
        ``{path: message}`` of the recordings that could not be processed: every
        :class:`~usvlib.errors.UsvlibError` (a missing, truncated or low-rate file, ...) ends here
        instead of being raised.

    Examples
    --------
    >>> from usvlib import detect_many
    >>> calls, failures = detect_many(["rec1.wav", "rec2.wav"], progress=False)  # doctest: +SKIP
    >>> calls.groupby("recording").size()  # doctest: +SKIP
    >>> for path, message in failures.items():  # doctest: +SKIP
    ...     print(path, message)
    """
    columns, failures = detect_many_columns(
        paths, params, channel=channel, progress=progress, workers=workers, scheduler=scheduler
    )
    return _as_table(columns), failures


def detect_many_columns(
    paths: list[str | os.PathLike],
    params: DetectorParams = DetectorParams(),
    *,
    channel=None,
    progress: bool = True,
    workers: int = 1,
    scheduler: str | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """:func:`detect_many` with the calls as one array per column, for callers without pandas.

    Parameters and failures as for :func:`detect_many`.

    Returns
    -------
    calls : dict of ndarray
        ``CALL_COLUMNS`` in order, the recordings' rows one after another.
    failures : dict
        ``{path: message}``.
    """
    from usvlib._parallel import process_map, scheduler_address

    parts, failures = [], {}
    # one recording on this machine: its stretches share the workers instead
    share_file = len(paths) == 1 and workers > 1 and not scheduler_address(scheduler)
    jobs = [(path, params, channel, int(workers) if share_file else 1) for path in paths]
    results = process_map(
        _detect_or_fail,
        jobs,
        workers=1 if share_file else max(1, min(int(workers), len(jobs))),
        progress=progress,
        scheduler=scheduler,
        desc="detecting",
        unit="rec",
    )
    for path, result in zip(paths, results, strict=True):
        if isinstance(result, str):
            failures[str(path)] = result
        else:
            parts.append(result)
    return _joined(parts), failures


def _joined(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-recording columns one after another (empty columns when there are none)."""
    if not parts:
        parts = [{name: np.zeros(0, dtype=object if name == "recording" else float) for name in CALL_COLUMNS}]
    return {name: np.concatenate([part[name] for part in parts]) for name in CALL_COLUMNS}
