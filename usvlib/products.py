"""Per-USV products of one recording: images, spectral lines, marginals, properties.

``recording_products(path, calls)`` computes, for each call, the paper-resolution spectrogram
(``usvlib.spectrogram``), its background sparsification, the 100 x 100 network image, the
spectral line, the time and frequency marginals and the 24 properties (``usvlib.features``).
The recording is read in blocks (``ExtractParams.block_s``) with an overlap longer than the
longest call, so memory stays bounded whatever its length; every frame of a block's calls goes
through one transform and one frequency resize.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from usvlib.audio import audio_info, iter_blocks
from usvlib.errors import DatasetError
from usvlib.features import PropertyParams, call_properties
from usvlib.properties import EXTENDED_COLUMNS
from usvlib.spectrogram import (
    CANVAS_BINS,
    IMAGE_SHAPE,
    PAPER_PARAMS,
    SEQUENCE_LENGTH,
    SpectrogramParams,
    canvas_rows,
    image_from_rows,
    resample,
    resize_matrix,
    spectral_line_hz,
)


@dataclass(frozen=True)
class ExtractParams:
    """How per-USV products are made (defaults: the paper's)."""

    spectrogram: SpectrogramParams = PAPER_PARAMS
    background_percentile: float = 75.0
    background_frames: int = 150  # sampled per block, away from calls
    long_calls: str = "compress"
    block_s: float = 10.0
    max_call_s: float = 0.5
    properties: PropertyParams = field(default_factory=PropertyParams)


IMAGE_ROW_MAP = resize_matrix(CANVAS_BINS, IMAGE_SHAPE[0])  # the images' frequency resize


OFFSET_TOLERANCE_S = 0.001
"""How far past a recording's end a call's offset may lie (other tools round to the millisecond)."""


def check_calls(calls, path, *, duration_s: float) -> None:
    """Refuse a calls table that would give silent zeros: missing columns, NaN or infinite
    times, an offset not after its onset, a call outside the recording, or rows out of order.

    Parameters
    ----------
    calls : DataFrame
    path : path-like
        The recording (named in the message).
    duration_s : float
        The recording's length.

    Raises
    ------
    DatasetError
        Naming the recording, the rows at fault and what to do.
    """
    if not isinstance(calls, pd.DataFrame) or not {"onset_s", "offset_s"} <= set(calls.columns):
        has = ", ".join(map(str, getattr(calls, "columns", []))) or "nothing"
        raise DatasetError(f"{path}: the calls table needs columns onset_s and offset_s (has: {has})")
    try:
        onset, offset = calls.onset_s.to_numpy(float), calls.offset_s.to_numpy(float)
    except (TypeError, ValueError):
        raise DatasetError(f"{path}: onset_s and offset_s must be numbers (seconds)") from None
    inside = f"the recording (0 to {duration_s:.3f} s)"
    checks = (
        (~np.isfinite(onset) | ~np.isfinite(offset), "onset_s or offset_s is missing, NaN or infinite"),
        (offset <= onset, "offset_s is not after onset_s"),
        ((onset < 0) | (onset >= duration_s), f"the call starts outside {inside}"),
        # other tools round times (to 1 ms at the coarsest): anything later is a call of another file
        (offset > duration_s + OFFSET_TOLERANCE_S, f"the call ends after {inside}"),
    )
    for bad, what in checks:
        if np.any(bad):
            first = int(np.flatnonzero(bad)[0])
            raise DatasetError(
                f"{path}: {int(np.sum(bad))} call(s) of the calls table, the first at "
                f"{onset[first]:.4f}-{offset[first]:.4f} s: {what} - correct or drop them"
            )
    if np.any(np.diff(onset) < 0):
        raise DatasetError(f"{path}: the calls table is not sorted by onset_s - sort it (calls.sort_values('onset_s'))")


def recording_products(
    path: str | os.PathLike,
    calls: pd.DataFrame,
    params: ExtractParams = ExtractParams(),
    *,
    channel=None,
    with_properties: bool = True,
) -> dict:
    """Per-call products of one recording.

    The recording is read in blocks of ``params.block_s`` seconds that overlap by a little more
    than ``2 * params.max_call_s`` (a block is at least twice the overlap), so memory stays
    bounded whatever its length.

    Parameters
    ----------
    path : path or ``"archive.zip::member"``
        The recording.
    calls : DataFrame with ``onset_s``, ``offset_s``
        Sorted by onset. A call is cut off at ``2 * params.max_call_s`` after its onset.
    params : ExtractParams
        Spectrogram, background and property settings (default: the paper's).
    channel : int, optional
        Channel of a multi-channel file.
    with_properties : bool
        Compute the 24 properties; if false, ``properties`` has a row of NaN per call.

    Returns
    -------
    dict
        ``images`` (n, 100, 100) float16 (as cached), ``spectral_line`` (n, 100) Hz,
        ``time_marginal`` (n, 100), ``freq_marginal`` (n, 233), ``did_not_fit`` (n,) bool (the call
        was longer than the 250 ms canvas) and ``properties`` (DataFrame, the 24 columns of
        ``EXTENDED_COLUMNS``), one row per call in the order of ``calls``.

    Raises
    ------
    AudioError
        If the recording or the channel cannot be used.
    DatasetError
        If the calls table is not one (:func:`check_calls`).
    ConfigError
        If the spectrogram band holds no frequency at the recording's rate.

    Examples
    --------
    >>> from usvlib.extract import recording_products
    >>> from usvlib.formats import read_intervals
    >>> calls = read_intervals("tests/fixtures/amvoc/1/gt_1.csv")  # doctest: +SKIP
    >>> products = recording_products("tests/fixtures/amvoc/1/rec_1.wav", calls)  # doctest: +SKIP
    >>> products["images"].shape[1:], products["properties"].shape[1]  # doctest: +SKIP
    ((100, 100), 24)
    """
    info = audio_info(path)
    check_calls(calls, path, duration_s=info.duration_s)
    rate = info.rate_hz
    sp = params.spectrogram
    n, hop = sp.window_samples(rate), sp.hop_samples(rate)
    freqs, band = sp.band(rate)
    rows = canvas_rows(freqs)
    keep_rows = (rows >= 0) & (rows < CANVAS_BINS)
    window = sp.window(rate)  # scaled to the paper's window: the same magnitudes at any rate
    power_to_ms = 2.0 / (n * float(np.sum(window.astype(np.float64) ** 2)))
    window_int16 = window / np.float32(32768.0)  # blocks are read as int16: the window converts
    n_calls = len(calls)
    out = {
        "images": np.zeros((n_calls, *IMAGE_SHAPE), np.float16),  # half the memory of a long recording
        "spectral_line": np.full((n_calls, SEQUENCE_LENGTH), np.nan, np.float32),
        "time_marginal": np.zeros((n_calls, SEQUENCE_LENGTH), np.float32),
        "freq_marginal": np.zeros((n_calls, CANVAS_BINS), np.float32),
        "did_not_fit": np.zeros(n_calls, bool),
    }
    props = [None] * n_calls
    if n_calls == 0:
        out["properties"] = pd.DataFrame(columns=list(EXTENDED_COLUMNS))
        return out
    onsets = calls.onset_s.to_numpy(float)
    offsets = np.minimum(calls.offset_s.to_numpy(float), onsets + params.max_call_s * 2)
    n_call_frames = np.maximum(1, np.rint((offsets - onsets) * rate / hop).astype(np.int64))
    first = np.rint(onsets * rate + 0.5 * hop).astype(np.int64) - n // 2
    last = np.rint(onsets * rate + (n_call_frames - 0.5) * hop).astype(np.int64) - n // 2 + n
    first = np.maximum(first, 0)  # a call at the very start or end of the file: frames outside it are zero
    last = np.minimum(last, info.n_frames)
    overlap_s = 2 * params.max_call_s + 2 * n / rate
    block_s = max(params.block_s, 2 * overlap_s)
    done = np.zeros(n_calls, bool)

    identity_rows = len(rows) == CANVAS_BINS and np.array_equal(rows, np.arange(CANVAS_BINS))

    # frame-major (frames, 233) throughout: every per-frame operation reads contiguous memory
    def stft(block: np.ndarray, starts: np.ndarray) -> np.ndarray:
        frames = sliding_window_view(block, n)[starts] * window_int16
        mag = np.abs(scipy.fft.rfft(frames, axis=1, overwrite_x=True)[:, band])
        if identity_rows:  # 300 kHz: the band is the canvas
            return mag
        canvas = np.zeros((mag.shape[0], CANVAS_BINS), np.float32)
        canvas[:, rows[keep_rows]] = mag[:, keep_rows]
        return canvas

    for s0, block in iter_blocks(path, block_s=block_s, overlap_s=overlap_s, channel=channel, dtype="int16"):
        s1 = s0 + len(block)
        mine = np.flatnonzero(~done & (first >= s0) & (last <= s1))
        if len(mine) == 0:
            continue
        # background: frames spread over the block, away from the calls near it
        cand = np.linspace(0, len(block) - n, num=min(params.background_frames * 2, max(1, (len(block) - n) // hop)))
        cand = cand.astype(np.int64) + s0
        near = np.flatnonzero((last >= s0) & (first <= s1))
        # a candidate frame is busy if it overlaps a call: calls started minus calls ended before it
        started = np.searchsorted(np.sort(first[near]), cand + n, side="left")
        ended = np.searchsorted(np.sort(last[near]), cand, side="right")
        free = started - ended == 0
        bg_starts = cand[free][:: max(1, free.sum() // params.background_frames)]
        if len(bg_starts) < 20:
            bg_starts = cand  # a block full of calls: the percentile of everything
        bg = stft(block, bg_starts - s0)
        background = np.percentile(bg, params.background_percentile, axis=0).astype(np.float32)
        noise_power = np.mean(bg.astype(np.float64) ** 2, axis=0)
        # all frames of this block's calls in one transform, one frequency resize
        lengths = n_call_frames[mine]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        within = np.arange(bounds[-1]) - np.repeat(bounds[:-1], lengths)
        centres = np.rint(np.repeat(onsets[mine] * rate, lengths) + (within + 0.5) * hop).astype(np.int64)
        starts = centres - n // 2 - s0
        valid = (starts >= 0) & (starts + n <= len(block))
        spec_all = stft(block, starts) if valid.all() else np.zeros((len(starts), CANVAS_BINS), np.float32)
        if not valid.all() and valid.any():
            spec_all[valid] = stft(block, starts[valid])
        sparse_all = np.where(spec_all >= background, spec_all, np.float32(0.0))
        line_all = spectral_line_hz(sparse_all.T)
        rows_all = sparse_all @ IMAGE_ROW_MAP.T  # (frames, 100): the frequency resize of every frame
        column_sums = sparse_all.sum(axis=1)
        freq_marginals = np.add.reduceat(sparse_all, bounds[:-1], axis=0)
        for k, i in enumerate(mine):
            a, b = bounds[k], bounds[k + 1]
            out["images"][i], out["did_not_fit"][i] = image_from_rows(rows_all[a:b].T, long_calls=params.long_calls)
            out["spectral_line"][i] = resample(line_all[a:b])
            out["time_marginal"][i] = resample(column_sums[a:b])
            out["freq_marginal"][i] = freq_marginals[k]
            if with_properties:
                props[i] = call_properties(
                    spec_all[a:b].T,
                    background,
                    noise_power,
                    duration_s=offsets[i] - onsets[i],
                    hop_s=hop / rate,
                    power_to_ms=power_to_ms,
                    params=params.properties,
                )
        done[mine] = True
    out["properties"] = pd.DataFrame([p if p is not None else {} for p in props], columns=list(EXTENDED_COLUMNS))
    return out
