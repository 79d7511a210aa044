"""Call images: each call seen relative to its own extent, the input of the CPU sex network.

The network image (``spectrogram.usv_image``) keeps a call's absolute duration and frequency;
a call image stretches the call's frames to a fixed width and cuts a band of rows around its
mean frequency (and around its harmonics, one channel each), so that a contour's shape lands
on the same pixels whatever the call's duration and pitch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from usvlib.spectrogram import CANVAS_BIN_HZ, CANVAS_BINS, CANVAS_FMIN_HZ, CANVAS_FRAMES, PAPER_PARAMS

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
    """Each call seen relative to its own extent: its network image stretched to a fixed width, centred in frequency.

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
    shape : (int, int)
        Rows and columns of a call image (default 48 x 32).
    margin_fraction : float
        Share of the call's duration kept before and after it (plus one canvas frame).
    canvas_frames : int
        Frames of the canvas the images were made on (``image_from_rows``).
    chunk : int
        Images processed at once (memory, not results).

    Returns
    -------
    ndarray, float32, each image's (and each band's) mean removed
        Shape (N, *shape) for one ``harmonic``; (N, len(harmonic), *shape) for a sequence.

    Raises
    ------
    ValueError
        If ``images`` is not (N, rows, columns) with N durations and centre frequencies, or if a
        ``harmonic`` is not a whole number >= 1.
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
