"""Semi-synthetic recordings for judging a detector: real background noise, planted calls.

A detector's thresholds must be chosen on data whose truth is known and that looks like the
recordings it will meet. Real recordings with manual labels are few, and their labels are the
truth of one person. This module builds recordings whose truth is exact:

* **Background**: the call-free stretches of real recordings (located with their manual
  labels, ``margin_s`` kept clear around each labelled call), joined with short cross-fades and
  tiled to the length needed; never the labelled calls themselves.
* **Calls**: rendered by the generator (``usvlib.synth``: the families, contours, breaks,
  harmonics and broadband parts of the synthetic datasets; two-part calls left out, since whether
  their two elements are one call or two is a convention), with durations drawn over 5-300 ms,
  half of them 8-25 ms, the short calls that are the hardest to find.
* **SNR** (``snr_db``): the call's mean power over its duration divided by the background's
  power in the USV band ``SNR_BAND_HZ`` (25-120 kHz, within the Nyquist frequency of 250 kHz
  recordings; Welch density of the background). This is the usual meaning of "a signal planted
  at X dB", and it puts the benchmark's range where real labelled calls are:
  :func:`labelled_call_snr_db` measures the same quantity on the development clips' 96 manually
  labelled calls and finds -4 to 26 dB (median 11 dB). Each call's SNR in one bin of the paper's
  spectrogram (``snr_bin_db``: the background in the window's equivalent noise bandwidth,
  900 Hz, at the call's mean frequency) is kept in the truth too; for white noise it is the band
  SNR plus 10 log10(95 kHz / 900 Hz) = 20.2 dB.
* **Bursts**: a share of the calls (``burst_share``) is overlapped by a broadband burst (noise
  band-passed to ``burst_band_hz``, ``burst_duration_s`` long, ``burst_snr_db`` above the
  background in that band), starting inside the call: scratching and handling noise.
* **Low-frequency noise** (optional, :func:`with_low_frequency_noise`): stationary noise
  low-passed below ``cutoff_hz``, ``level_db`` above the background's broadband power: fans,
  cage movement, mains equipment.

``benchmark_set(backgrounds, ...)`` gives one recording per sampling rate and SNR.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal

from usvlib._seeding import rng_for
from usvlib.spectrogram import stft_magnitude
from usvlib.synth.model import SynthModel
from usvlib.synth.population import sample_animals, sample_calls
from usvlib.synth.render import render_call
from usvlib.synth.scale import SynthScale

ENBW_HZ = 1.5 / (500 / 300_000)
"""Equivalent noise bandwidth of the paper's 1.667 ms Hann window (1.5 bins of 600 Hz)."""

SNR_BAND_HZ = (25_000.0, 120_000.0)
"""The band whose background power a call's ``snr_db`` is measured against."""

DURATION_BANDS_S = (0.005, 0.008, 0.025, 0.1, 0.3)
"""Edges of the duration bands the benchmark reports (5-8, 8-25, 25-100, 100-300 ms)."""


@dataclass(frozen=True)
class PlantingSpec:
    """How the planted calls and bursts of one recording are drawn.

    Attributes
    ----------
    n_calls : int
        Calls per recording.
    short_share : float
        Share of calls with durations log-uniform in ``short_s``; the rest are log-uniform in
        ``duration_s``.
    gap_min_s, gap_median_excess_s, gap_sigma : float
        Time between consecutive calls: ``gap_min_s`` plus a log-normal excess (median
        ``gap_median_excess_s``, log-spread ``gap_sigma``), which follows the 93 gaps between
        the development clips' labelled calls: 5th, 25th, 50th, 75th and 90th percentiles 27,
        38, 53, 78 and 115 ms, against 29, 42, 53, 70 and 142 ms (18 ms at the least). Calls as
        close as real ones are what a merge rule can join.
    burst_share : float
        Share of calls overlapped by a broadband burst.
    burst_band_hz, burst_duration_s : (float, float)
        The bursts' band and length (uniform).
    burst_snr_db : (float, float)
        The bursts' power over the background's in their band (uniform).
    similar_calls : int
        Each call is drawn among the ``similar_calls`` calls of the pool whose own duration is
        nearest the drawn one, then stretched to it, so its sweep rates stay the generator's
        (a 57 ms chevron squeezed into 8 ms would sweep at 40 kHz/ms, which no mouse does).
    """

    n_calls: int = 120
    short_share: float = 0.5
    duration_s: tuple[float, float] = (0.005, 0.3)
    short_s: tuple[float, float] = (0.008, 0.025)
    gap_min_s: float = 0.018
    gap_median_excess_s: float = 0.035
    gap_sigma: float = 0.8
    burst_share: float = 0.2
    burst_band_hz: tuple[float, float] = (15_000.0, 100_000.0)
    burst_duration_s: tuple[float, float] = (0.01, 0.06)
    burst_snr_db: tuple[float, float] = (5.0, 15.0)
    similar_calls: int = 20


@dataclass(frozen=True)
class PlantedRecording:
    """One semi-synthetic recording and its truth."""

    samples: np.ndarray  # float32, full scale 1
    rate_hz: int
    snr_db: float
    truth: pd.DataFrame  # onset_s, offset_s, duration_s, mean_freq_hz, family, snr_db, snr_bin_db, burst


def call_free_background(
    samples: np.ndarray,
    rate_hz: int,
    calls: pd.DataFrame,
    *,
    margin_s: float = 0.03,
    min_stretch_s: float = 0.05,
    fade_s: float = 0.002,
) -> np.ndarray:
    """The stretches of a recording away from its labelled calls, joined with cross-fades.

    Parameters
    ----------
    samples : ndarray (n,)
        A mono recording.
    rate_hz : int
    calls : DataFrame
        ``onset_s``, ``offset_s`` of its labelled calls.
    margin_s : float
        Kept clear before and after each call (labels are not exact, and calls have faint ends).
    min_stretch_s : float
        Shorter stretches are dropped.
    fade_s : float
        Raised-cosine cross-fade where two stretches meet (no click at the seam).

    Returns
    -------
    ndarray of float32
        The joined background.

    Raises
    ------
    ValueError
        If no stretch of ``min_stretch_s`` is free of calls.
    """
    x = np.asarray(samples, dtype=np.float32)
    busy = np.zeros(len(x) + 1, np.int32)
    lo = np.clip(np.floor((calls.onset_s.to_numpy(float) - margin_s) * rate_hz), 0, len(x)).astype(int)
    hi = np.clip(np.ceil((calls.offset_s.to_numpy(float) + margin_s) * rate_hz), 0, len(x)).astype(int)
    np.add.at(busy, lo, 1)
    np.add.at(busy, hi, -1)
    free = np.cumsum(busy[:-1]) == 0
    edges = np.flatnonzero(np.diff(np.concatenate([[False], free, [False]]).astype(np.int8)))
    starts, stops = edges[::2], edges[1::2]
    keep = stops - starts >= round(min_stretch_s * rate_hz)
    stretches = [x[a:b] for a, b in zip(starts[keep], stops[keep], strict=True)]
    if not stretches:
        raise ValueError(f"no call-free stretch of {min_stretch_s * 1e3:.0f} ms in the recording")
    return _join(stretches, round(fade_s * rate_hz))


def _join(parts: list[np.ndarray], fade_n: int) -> np.ndarray:
    """Concatenate with raised-cosine cross-fades of ``fade_n`` samples (power kept for noise)."""
    ramp = np.sin(0.5 * np.pi * (np.arange(fade_n) + 0.5) / fade_n).astype(np.float32)  # sqrt-Hann: power-complementary
    out = parts[0].copy()
    for part in parts[1:]:
        k = min(fade_n, len(out), len(part))
        seam = out[-k:] * ramp[::-1][-k:] + part[:k] * ramp[:k]
        out = np.concatenate([out[:-k], seam, part[k:]])
    return out


def tiled(background: np.ndarray, n: int, rng: np.random.Generator, *, fade_n: int) -> np.ndarray:
    """``n`` samples of ``background`` repeated from random starting points, cross-faded."""
    parts, total = [], 0
    while total < n + fade_n:
        start = int(rng.integers(0, len(background)))
        piece = np.roll(background, -start)
        parts.append(piece)
        total += len(piece) - fade_n
    return _join(parts, fade_n)[:n]


def noise_density(background: np.ndarray, rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """One-sided power spectral density (units² / Hz) of a background, Welch with 4 ms segments."""
    nper = int(2 ** np.ceil(np.log2(0.004 * rate_hz)))
    return signal.welch(background.astype(np.float64), fs=rate_hz, nperseg=nper)


def band_power_of(freqs: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]) -> float:
    """Power of a density ``psd`` (units² / Hz at ``freqs``) within ``band_hz``."""
    inside = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    return float(np.trapezoid(psd[inside], freqs[inside]))


def labelled_call_snr_db(samples: np.ndarray, rate_hz: int, calls: pd.DataFrame, background: np.ndarray) -> np.ndarray:
    """The SNR of labelled calls in a real recording, as the planted calls' ``snr_db`` defines it.

    Within each call's interval the power in ``SNR_BAND_HZ`` is measured on the paper's
    spectrogram (``usvlib.spectrogram.stft_magnitude``); the background's power in the band
    (from ``background``, the recording's call-free stretches) is taken off and the rest divided
    by it. Measured on planted calls it reads their stated SNR (``tests/synth``).

    Parameters
    ----------
    samples : ndarray (n,)
        The recording.
    rate_hz : int
    calls : DataFrame
        ``onset_s``, ``offset_s`` of the labelled calls.
    background : ndarray
        Its call-free background (:func:`call_free_background`).

    Returns
    -------
    ndarray of float (len(calls),)
        SNR in dB; NaN for a call shorter than two spectrogram frames or with no power above the
        background's.
    """

    def band_power_per_frame(x):
        magnitude, freqs, times = stft_magnitude(np.asarray(x, np.float64), rate_hz)
        inside = (freqs >= SNR_BAND_HZ[0]) & (freqs <= SNR_BAND_HZ[1])
        return times, (magnitude[inside].astype(np.float64) ** 2).sum(axis=0)  # units cancel in the ratio

    times, in_band = band_power_per_frame(samples)
    noise = float(band_power_per_frame(background)[1].mean())
    cum = np.concatenate([[0.0], np.cumsum(in_band)])
    lo = np.searchsorted(times, calls.onset_s.to_numpy(float))
    hi = np.searchsorted(times, calls.offset_s.to_numpy(float), side="right")
    frames = hi - lo
    excess = (cum[hi] - cum[lo]) / np.maximum(frames, 1) - noise
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((frames >= 2) & (excess > 0), 10 * np.log10(excess / noise), np.nan)


def similar_duration_picks(
    pool_durations_s: np.ndarray, durations_s: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """For each duration, a random one of the ``k`` pool calls nearest to it in log duration.

    Parameters
    ----------
    pool_durations_s : ndarray (n_pool,)
        The pool's own call durations.
    durations_s : ndarray (n,)
        The durations to plant.
    k : int
        How many nearest calls each pick is drawn from (at least 1, at most the pool).
    rng : Generator

    Returns
    -------
    ndarray of int (n,)
        Row positions in the pool.
    """
    order = np.argsort(pool_durations_s)
    log_pool = np.log(pool_durations_s[order])
    k = int(np.clip(k, 1, len(order)))
    centre = np.searchsorted(log_pool, np.log(durations_s))
    first = np.clip(centre - k // 2, 0, len(order) - k)
    return order[first + rng.integers(0, k, len(durations_s))]


def call_pool(model: SynthModel, seed: int) -> pd.DataFrame:
    """Realised calls of a few synthetic mice of both sexes (two-part calls left out)."""
    scale = SynthScale(sex_recording_s=60.0, calls_per_s=3.27, n_cortexless=0, n_control=0, strain_recording_s=1.0)
    animals = sample_animals(model, scale, seed)
    sex = animals[animals.experiment == "sex"]
    chosen = pd.concat([sex[sex.sex == "female"].head(2), sex[sex.sex == "male"].head(2)])
    calls = pd.concat([sample_calls(model, a, seed, male_freq_shift=0.0) for _, a in chosen.iterrows()])
    return calls[calls.family != "two_part"].reset_index(drop=True)


def planted_recording(
    background: np.ndarray,
    rate_hz: int,
    *,
    snr_db: float,
    spec: PlantingSpec = PlantingSpec(),
    seed: int = 0,
    model: SynthModel | None = None,
    pool: pd.DataFrame | None = None,
) -> PlantedRecording:
    """Calls of the generator planted at ``snr_db`` in tiled real background noise.

    Parameters
    ----------
    background : ndarray
        Call-free background at ``rate_hz`` (:func:`call_free_background`).
    rate_hz : int
    snr_db : float
        Every call's SNR (module docstring).
    spec : PlantingSpec
    seed : int
        Drives the calls, their placement and the bursts.
    model : SynthModel, optional
        The generator (default: the synthetic datasets'); rendered at ``rate_hz``.
    pool : DataFrame, optional
        The calls to draw from (:func:`call_pool` of ``model`` and ``seed``, made here if not
        given; it does not depend on the rate).

    Returns
    -------
    PlantedRecording
    """
    model = dataclasses.replace(model or SynthModel(), rate_hz=rate_hz)
    rng = rng_for(seed, "semisynthetic", rate_hz, f"{snr_db:+g} dB")
    pool = call_pool(model, seed) if pool is None else pool
    n_short = round(spec.short_share * spec.n_calls)
    log_lo, log_hi = np.log(spec.short_s), np.log(spec.duration_s)
    durations = np.exp(
        np.concatenate([rng.uniform(*log_lo, n_short), rng.uniform(log_hi[0], log_hi[1], spec.n_calls - n_short)])
    )
    rng.shuffle(durations)
    excess = spec.gap_median_excess_s * np.exp(spec.gap_sigma * rng.standard_normal(spec.n_calls + 1))
    gaps = spec.gap_min_s + np.minimum(excess, 1.0)  # no silence of more than a second
    onsets = gaps[0] + np.concatenate([[0.0], np.cumsum(durations[:-1] + gaps[1:-1])])
    n = round((onsets[-1] + durations[-1] + gaps[-1]) * rate_hz)
    fade_n = round(0.002 * rate_hz)
    x = tiled(background, n, rng, fade_n=fade_n).astype(np.float64)
    freqs, psd = noise_density(background, rate_hz)
    picks = similar_duration_picks(pool.duration_s.to_numpy(float), durations, spec.similar_calls, rng)
    rows = []
    sos_burst = signal.butter(4, spec.burst_band_hz, btype="bandpass", fs=rate_hz, output="sos")
    band_power = band_power_of(freqs, psd, spec.burst_band_hz)
    usv_band_power = band_power_of(freqs, psd, SNR_BAND_HZ)
    for onset, duration, pick in zip(onsets, durations, picks, strict=True):
        call = pool.iloc[pick].copy()
        call["duration_s"] = duration
        wave, truth = render_call(call, model, rng)
        power = float(np.mean(wave.astype(np.float64) ** 2))
        wave = wave * np.sqrt(10 ** (snr_db / 10) * usv_band_power / max(power, 1e-30))
        noise_in_bin = float(np.interp(truth["mean_freq_hz"], freqs, psd)) * ENBW_HZ
        i0 = round(onset * rate_hz)
        x[i0 : i0 + len(wave)] += wave
        burst = bool(rng.random() < spec.burst_share)
        if burst:
            length = round(rng.uniform(*spec.burst_duration_s) * rate_hz)
            start = i0 + int(rng.integers(0, max(1, len(wave))))
            noise = signal.sosfilt(sos_burst, rng.standard_normal(length))
            level = 10 ** (rng.uniform(*spec.burst_snr_db) / 10) * band_power
            noise *= np.sqrt(level / max(np.mean(noise**2), 1e-30)) * np.hanning(length)
            stop = min(start + length, n)
            x[start:stop] += noise[: stop - start]
        rows.append(
            {
                "onset_s": i0 / rate_hz,
                "offset_s": (i0 + len(wave)) / rate_hz,
                "duration_s": len(wave) / rate_hz,
                "mean_freq_hz": truth["mean_freq_hz"],
                "family": call.family,
                "snr_db": snr_db,
                "snr_bin_db": snr_db + 10 * np.log10(usv_band_power / max(noise_in_bin, 1e-30)),
                "burst": burst,
            }
        )
    return PlantedRecording(_within_full_scale(x), rate_hz, float(snr_db), pd.DataFrame(rows))


def _within_full_scale(x: np.ndarray) -> np.ndarray:
    """``x`` as float32, scaled down if it exceeds full scale (a WAV cannot hold more); the
    ratios that define the SNR are unchanged."""
    peak = float(np.abs(x).max())
    return (x / peak if peak > 1 else x).astype(np.float32)


def benchmark_set(
    backgrounds: dict[int, np.ndarray],
    *,
    snrs_db: tuple[float, ...] = (-5.0, 0.0, 5.0, 10.0, 20.0),
    spec: PlantingSpec = PlantingSpec(),
    seed: int = 0,
) -> list[PlantedRecording]:
    """One planted recording per sampling rate and SNR.

    Parameters
    ----------
    backgrounds : dict
        Sampling rate (Hz) -> call-free background at that rate.
    snrs_db : tuple of float
    spec : PlantingSpec
    seed : int

    Returns
    -------
    list of PlantedRecording
        Rates in the order given, SNRs ascending within each.
    """
    pool = call_pool(SynthModel(), seed)  # drawn once: the rendering, not the draw, depends on the rate
    return [
        planted_recording(background, rate, snr_db=snr, spec=spec, seed=seed, pool=pool)
        for rate, background in backgrounds.items()
        for snr in sorted(snrs_db)
    ]


def with_low_frequency_noise(
    recording: PlantedRecording, *, cutoff_hz: float, level_db: float, seed: int = 0
) -> PlantedRecording:
    """The recording with stationary low-frequency noise added; its truth unchanged.

    Parameters
    ----------
    recording : PlantedRecording
    cutoff_hz : float
        Corner of the noise's low-pass (8th-order Butterworth: 48 dB per octave above it).
    level_db : float
        The noise's power over the recording's broadband power before it is added.
    seed : int
        Drives the noise (one stream per rate and SNR).

    Returns
    -------
    PlantedRecording
        Rescaled to full scale if the sum exceeds it, as :func:`planted_recording` does.
    """
    if not 0 < cutoff_hz < recording.rate_hz / 2:
        raise ValueError(f"cutoff_hz must lie in (0, {recording.rate_hz / 2:g}) Hz, got {cutoff_hz:g}")
    rng = rng_for(seed, "low-frequency noise", recording.rate_hz, f"{recording.snr_db:+g} dB")
    x = recording.samples.astype(np.float64)
    sos = signal.butter(8, cutoff_hz, "low", fs=recording.rate_hz, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal(len(x)))
    x += noise * (x.std() * 10 ** (level_db / 20) / noise.std())
    return dataclasses.replace(recording, samples=_within_full_scale(x))


def duration_band(duration_s) -> pd.Categorical:
    """The reporting band of each duration (``DURATION_BANDS_S``), e.g. "8-25 ms"."""
    edges = np.asarray(DURATION_BANDS_S)
    labels = [f"{1e3 * a:.0f}-{1e3 * b:.0f} ms" for a, b in itertools.pairwise(edges)]
    clipped = np.clip(np.asarray(duration_s, float), edges[0], edges[-1])
    return pd.cut(clipped, edges, labels=labels, include_lowest=True)
