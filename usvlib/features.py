"""Per-USV properties from a call's spectrogram: the paper's nine and an extended set of 24.

Input is one call's magnitude spectrogram on the paper's grid (233 rows, 10.2-149.4 kHz in 600 Hz
bins; 0.833 ms hops) with the recording's background level per row. Every property is defined
below with its unit in its name; the automatic estimators of the paper's six *human-labelled*
properties are rules on the spectral line (the frequency of maximal amplitude per frame).

The paper's nine (``usvlib.properties.PROPERTY_COLUMNS``; names, units and kinds of all 24 are
in ``usvlib.properties``):

==============  =========================================================================
duration_s      offset minus onset
mean_freq_hz    mean over voiced frames of the power-weighted mean frequency (paper's avgfreq)
volume_dbfs     the call's RMS level re full scale, from its power above the background
direction       -1/0/+1: the spectral line's change over its main (longest continuous) part,
                last 15 % against first 15 %, flat when under ``direction_min_hz``
peaks           0-3: maxima of the smoothed spectral line with prominence >= ``peak_prominence_hz``
breaks          0-3: jumps of the spectral line of >= ``break_min_hz`` between voiced frames
broadband       [0, 1]: share of the call's excess power farther than ``line_halfwidth_hz``
                from the spectral line and its second harmonic
tremolo         0/1: a periodic 45-120 Hz modulation of the detrended spectral line (RMS
                0.6-3.5 kHz: larger swings are a chevron's peaks)
complex         0/1: a second harmonic, or peaks + breaks >= 2
==============  =========================================================================

The extended set (``usvlib.properties.EXTENDED_COLUMNS``) adds: min/max/start/stop frequency and frequency range
of the spectral line, its slope, curvature, standard deviation, skewness and kurtosis, the
spectral purity, the SNR, the frequency of the loudest point, where in the call the line is
highest, and the level of the second harmonic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from usvlib.properties import EXTENDED_COLUMNS
from usvlib.spectrogram import CANVAS_BIN_HZ, CANVAS_BINS, CANVAS_FMIN_HZ

_FREQS = CANVAS_FMIN_HZ + CANVAS_BIN_HZ * np.arange(CANVAS_BINS)


@dataclass(frozen=True)
class PropertyParams:
    """Thresholds of the property estimators (frequencies in Hz, times in s)."""

    min_freq_hz: float = 20_000.0  # rows below are ignored: low-frequency noise, never a USV
    voiced_snr: float = 15.0  # the loudest bin must be 11.8 dB over its noise (1 % of noise frames pass)
    significant_snr: float = 10.0  # bins counted as part of a call (10 dB over noise)
    min_frame_purity: float = 0.05  # share of a frame's significant power in its loudest bin
    direction_min_hz: float = 3_000.0
    peak_prominence_hz: float = 4_000.0
    break_min_hz: float = 5_000.0
    line_halfwidth_hz: float = 2_400.0
    tremolo_band_hz: tuple[float, float] = (45.0, 120.0)
    tremolo_min_rms_hz: float = 600.0
    tremolo_max_rms_hz: float = 3_500.0  # larger swings are chevron peaks, not a tremolo
    tremolo_min_share: float = 0.5
    tremolo_min_duration_s: float = 0.020
    harmonic_min_snr: float = 4.0
    harmonic_min_share: float = 0.3


def _moments(x: np.ndarray) -> tuple[float, float, float]:
    """Standard deviation, skewness and excess kurtosis (0, 0 for a constant)."""
    if len(x) == 0:
        return float("nan"), float("nan"), float("nan")
    d = x - x.mean()
    m2 = float(np.mean(d**2))
    if m2 <= 0:
        return 0.0, 0.0, 0.0
    return float(np.sqrt(m2)), float(np.mean(d**3) / m2**1.5), float(np.mean(d**4) / m2**2 - 3.0)


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1 or len(x) < n:
        return x
    padded = np.concatenate([np.full(n // 2, x[0]), x, np.full(n - 1 - n // 2, x[-1])])
    c = np.cumsum(np.concatenate([[0.0], padded]))
    return (c[n:] - c[:-n]) / n


def _median3(x: np.ndarray) -> np.ndarray:
    """Running median of three (ends kept): removes single-frame outliers of the line."""
    if len(x) < 3:
        return x
    a, b, c = x[:-2], x[1:-1], x[2:]
    out = x.copy()
    out[1:-1] = a + b + c - np.minimum(np.minimum(a, b), c) - np.maximum(np.maximum(a, b), c)
    return out


def _polyfit(x: np.ndarray, y: np.ndarray, degree: int) -> np.ndarray:
    """Least-squares polynomial coefficients, highest power first (small, fast)."""
    a = np.vander(x, degree + 1)
    return np.linalg.lstsq(a, y, rcond=None)[0]


def call_properties(
    spec: np.ndarray,
    background: np.ndarray,
    noise_power: np.ndarray,
    *,
    duration_s: float,
    hop_s: float,
    power_to_ms: float,
    params: PropertyParams = PropertyParams(),
) -> dict:
    """All 24 properties of one call.

    Parameters
    ----------
    spec : ndarray (233, frames)
        Magnitude spectrogram of the call on the canvas rows (zero above a recording's Nyquist).
    background : ndarray (233,)
        Sparsification level per row (magnitude; the paper's 75th percentile). Unused by the
        estimators, which work on power relative to ``noise_power``; kept for symmetry with the
        image.
    noise_power : ndarray (233,)
        Mean noise power per row.
    duration_s : float
        The call's duration in seconds (offset minus onset), returned as ``duration_s`` and
        deciding whether a tremolo is looked for.
    hop_s : float
        Time between the spectrogram's frames, in seconds.
    power_to_ms : float
        Factor from summed one-sided power of a frame to the mean square of the signal (full
        scale 1), for ``volume_dbfs``.
    params : PropertyParams
        Thresholds of the estimators (frequencies in Hz, times in s).

    Returns
    -------
    dict
        The 24 properties, keyed and ordered as ``usvlib.properties.EXTENDED_COLUMNS`` (units in
        the names). A call with fewer than two voiced frames keeps its duration and volume, has
        0 for the counts and flags and -40 dB for ``harmonic_db``, and NaN elsewhere.

    Notes
    -----
    A frame is *voiced* if its loudest bin is ``voiced_snr`` times its noise power and holds at
    least ``min_frame_purity`` of the frame's significant power (clicks spread theirs). Power
    sums use the excess over the noise, unclipped, so noise adds nothing on average.

    Examples
    --------
    A 40 ms upward sweep from 60 to 75 kHz, 29.5 dB over unit noise:

    >>> import numpy as np
    >>> from usvlib.features import call_properties
    >>> from usvlib.spectrogram import CANVAS_BIN_HZ, CANVAS_BINS, CANVAS_FMIN_HZ
    >>> spec = np.ones((CANVAS_BINS, 48), np.float32)
    >>> rows = np.rint((np.linspace(60_000, 75_000, 48) - CANVAS_FMIN_HZ) / CANVAS_BIN_HZ).astype(int)
    >>> spec[rows, np.arange(48)] = 30.0
    >>> noise = np.ones(CANVAS_BINS)
    >>> props = call_properties(spec, noise, noise, duration_s=0.04, hop_s=250 / 300_000, power_to_ms=1e-6)
    >>> props["direction"], props["breaks"], props["mean_freq_hz"]
    (1, 0, 67500.0)
    """
    p = params
    power = spec.astype(np.float64) ** 2
    power[_FREQS < p.min_freq_hz] = 0.0
    noise = np.maximum(noise_power, 1e-30)[:, None]
    excess = power - noise
    excess[_FREQS < p.min_freq_hz] = 0.0
    n_frames = spec.shape[1]
    cols = np.arange(n_frames)
    peak_row = power.argmax(axis=0)
    peak_power = power[peak_row, cols]
    significant = power > p.significant_snr * noise
    sig_power = np.where(significant, power, 0.0).sum(axis=0)
    voiced = (peak_power > p.voiced_snr * noise[peak_row, 0]) & (peak_power >= p.min_frame_purity * sig_power)
    out = {"duration_s": float(duration_s)}
    call_power = np.where(significant, excess, 0.0).sum(axis=0).mean()
    out["volume_dbfs"] = float(10 * np.log10(max(call_power * power_to_ms, 1e-20)))
    if voiced.sum() < 2:
        nan_props = {k: float("nan") for k in EXTENDED_COLUMNS}
        nan_props.update(out, direction=0, peaks=0, breaks=0, tremolo=0, complex=0, harmonic_db=-40.0)
        return nan_props

    t = cols * hop_s
    tv = t[voiced]
    line = _median3(_FREQS[peak_row[voiced]])
    sig_v = np.where(significant[:, voiced], power[:, voiced], 0.0)
    out["mean_freq_hz"] = float(np.mean((sig_v * _FREQS[:, None]).sum(axis=0) / sig_v.sum(axis=0)))

    # breaks: jumps between consecutive voiced frames (silent gaps included)
    jumps = np.diff(line)
    break_idx = np.flatnonzero(np.abs(jumps) >= p.break_min_hz)
    out["breaks"] = int(min(len(break_idx), 3))
    pieces = np.split(np.arange(len(line)), break_idx + 1)  # continuous parts of the line

    # direction: the end of the main (longest continuous) part against its start; jumps and a
    # second element do not count, as a labeller reads the direction of the main element
    longest = max(pieces, key=len)
    q = max(1, round(0.15 * len(longest)))
    main = line[longest]
    change = float(np.median(main[-q:]) - np.median(main[:q]))
    out["direction"] = 0 if abs(change) < p.direction_min_hz else int(np.sign(change))
    q = max(1, round(0.15 * len(line)))
    start_f, stop_f = float(np.median(line[:q])), float(np.median(line[-q:]))

    # peaks: interior maxima of the lightly smoothed line, within continuous pieces (the ends of
    # a plain sweep are not peaks)
    smooth_n = max(1, round(0.004 / hop_s))
    interior = 0
    for piece in pieces:
        seg = _smooth(line[piece], smooth_n)
        if len(seg) >= 3:
            interior += len(signal.find_peaks(seg, prominence=p.peak_prominence_hz)[0])
    out["peaks"] = int(min(interior, 3))

    # broadband: share of the excess power away from the line and its second harmonic
    half = max(1, round(p.line_halfwidth_hz / CANVAS_BIN_HZ))
    rows = np.arange(CANVAS_BINS)[:, None]
    prow = peak_row[voiced][None, :]
    harmonic_row = 2 * prow + round(CANVAS_FMIN_HZ / CANVAS_BIN_HZ)
    near_line = (np.abs(rows - prow) <= half) | (np.abs(rows - harmonic_row) <= half)
    ex_v = excess[:, voiced]
    total_ex = ex_v.sum()
    out["broadband"] = (
        float(np.clip(np.where(near_line, 0.0, ex_v).sum() / total_ex, 0.0, 1.0)) if total_ex > 0 else 0.0
    )

    # second harmonic: power at twice the line frequency, where that is inside the band
    h_rows = np.rint((2 * _FREQS[peak_row[voiced]] - CANVAS_FMIN_HZ) / CANVAS_BIN_HZ).astype(int)
    has_h = h_rows < CANVAS_BINS - 1
    harmonic = False
    harmonic_db = -40.0
    if has_h.sum() >= 2:
        vcols = np.flatnonzero(voiced)[has_h]
        hr = h_rows[has_h]
        h_power = np.maximum.reduce([power[hr - 1, vcols], power[hr, vcols], power[hr + 1, vcols]])
        h_noise = noise[hr, 0]
        harmonic = bool(np.mean(h_power > p.harmonic_min_snr * h_noise) >= p.harmonic_min_share)
        if harmonic:
            ratio = np.maximum(h_power - h_noise, 1e-30) / np.maximum(peak_power[voiced][has_h], 1e-30)
            harmonic_db = float(10 * np.log10(np.median(ratio)))

    # tremolo: periodic modulation of the detrended line (longest continuous piece)
    tremolo = 0
    if duration_s >= p.tremolo_min_duration_s and len(longest) >= 16:
        x = tv[longest] - tv[longest][0]
        y = line[longest] - np.polyval(_polyfit(x, line[longest], 2), x)
        rms = np.sqrt(np.mean(y**2))
        if p.tremolo_min_rms_hz <= rms <= p.tremolo_max_rms_hz:
            nfft = max(256, len(y))
            pxx = np.abs(np.fft.rfft(y * np.hanning(len(y)), nfft)) ** 2
            freqs = np.fft.rfftfreq(nfft, hop_s)
            band = (freqs >= p.tremolo_band_hz[0]) & (freqs <= p.tremolo_band_hz[1])
            tremolo = int(pxx[band].sum() >= p.tremolo_min_share * pxx[1:].sum())
    out["tremolo"] = tremolo
    out["complex"] = int(harmonic or out["peaks"] + out["breaks"] >= 2)

    # the extended set
    lo_f, hi_f = np.quantile(line, [0.02, 0.98])
    u = (tv - tv[0]) / max(tv[-1] - tv[0], hop_s)
    fit2 = _polyfit(u, line, 2) if len(line) >= 3 else np.zeros(3)
    sd, skew, kurt = _moments(line)
    loudest = np.unravel_index(np.argmax(excess), excess.shape)
    snr = peak_power[voiced] / noise[peak_row[voiced], 0]
    out.update(
        {
            "min_freq_hz": float(lo_f),
            "max_freq_hz": float(hi_f),
            "freq_range_hz": float(hi_f - lo_f),
            "start_freq_hz": start_f,
            "stop_freq_hz": stop_f,
            "slope_hz_per_s": float(_polyfit(tv, line, 1)[0]),
            "curvature_hz": float(fit2[0]),
            "line_sd_hz": sd,
            "line_skewness": skew,
            "line_kurtosis": kurt,
            "purity": float(np.mean(peak_power[voiced] / power[:, voiced].sum(axis=0))),
            "snr_db": float(10 * np.log10(np.median(snr))),
            "peak_freq_hz": float(_FREQS[loudest[0]]),
            "peak_time_frac": float(u[int(np.argmax(_smooth(line, smooth_n)))]),
            "harmonic_db": harmonic_db,
        }
    )
    return {k: out[k] for k in EXTENDED_COLUMNS}
