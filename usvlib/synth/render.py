"""Turn call parameters into sound: frequency contours, envelopes, and whole recordings.

A call's fundamental follows a frequency contour ``f(t)`` (shape by family, plus tremolo and
frequency jumps); its phase is the running integral of ``f``. Amplitudes are relative to the
recording's noise floor (floor RMS = 1) until the recording is scaled to int16 counts. Python
loops run over calls and noise events, never over samples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import signal

from usvlib.synth.model import SynthModel
from usvlib.synth.population import MAX_BREAKS

HARMONIC_CEILING_HZ = 145_000.0  # a second harmonic fades out above this (the 149.4 kHz band edge)


def base_contour_hz(call, u: np.ndarray) -> np.ndarray:
    """Fundamental frequency of the main element at normalised time ``u`` in [0, 1).

    Every shape has time-average ``center_freq_hz``: flat (a small drift), sweep
    (``u**curvature``, up or down by direction), chevron (``peaks`` humps of ``sin**2``, with a
    trend in the call's direction), short (linear), two-part low element (linear).
    """
    fc, bw, d = call.center_freq_hz, call.bandwidth_hz, call.direction
    family = call.family
    if family == "flat":
        return fc + call.drift_sign * bw * (u - 0.5)
    if family == "sweep":
        g = call.curvature
        return fc + d * bw * (u**g - 1.0 / (g + 1.0))
    if family == "chevron":
        n = max(int(call.peaks), 1)
        shape = np.sin(np.pi * n * u**call.skew_exponent) ** 2
        trend = 0.5 * bw * d * (u - 0.5)
        return fc + bw * (shape - shape.mean()) + trend
    # short and the low element of a two-part call
    return fc + d * bw * (u - 0.5)


def _tremolo_hz(call, t: np.ndarray) -> np.ndarray:
    return call.tremolo_depth_hz * np.sin(2 * np.pi * call.tremolo_rate_hz * t + call.tremolo_phase)


def main_element(call, rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """Contour (Hz) and on/off gate of the main element, sample by sample (float32)."""
    n = max(round(call.duration_s * rate_hz), 2)
    t = np.arange(n, dtype=np.float32) / np.float32(rate_hz)
    u = t / np.float32(call.duration_s)
    f = base_contour_hz(call, u).astype(np.float32, copy=False)
    if call.tremolo > 0:
        f += _tremolo_hz(call, t).astype(np.float32, copy=False)
    gate = np.ones(n, dtype=np.float32)
    for j in range(1, MAX_BREAKS + 1):
        if j > call.breaks or call.family == "two_part":
            break
        pos = getattr(call, f"break_pos_{j}")
        f += np.float32(getattr(call, f"jump_hz_{j}")) * (u >= pos)
        gap = getattr(call, f"break_gap_s_{j}")
        gate[(t >= pos * call.duration_s) & (t < pos * call.duration_s + gap)] = 0.0
    if gate.min() < 1:
        # soften the silent gaps (0.4 ms Hann edges): a hard cut would click across all frequencies
        k = np.hanning(max(3, int(0.0004 * rate_hz)) + 2)[1:-1].astype(np.float32)
        gate = np.convolve(gate, k / k.sum(), mode="same").astype(np.float32)
    return f, gate


def analytic_mean_freq_hz(calls: pd.DataFrame) -> np.ndarray:
    """Time-average fundamental frequency of each call, from its parameters (vectorised).

    Matches what ``render_call`` produces up to the contour limits and the short silent gaps at
    frequency jumps; used where audio is not rendered (the mean-frequency balance).
    """
    d = calls.duration_s.to_numpy()
    fc = calls.center_freq_hz.to_numpy()
    w = 2 * np.pi * calls.tremolo_rate_hz.to_numpy()
    ph = calls.tremolo_phase.to_numpy()
    trem = calls.tremolo.to_numpy() > 0
    mean = fc + np.where(trem, calls.tremolo_depth_hz * (np.cos(ph) - np.cos(ph + w * d)) / (w * d), 0.0)
    for j in range(1, MAX_BREAKS + 1):
        active = (calls.breaks.to_numpy() >= j) & (calls.family.to_numpy() != "two_part")
        pos = calls[f"break_pos_{j}"].to_numpy()
        mean = mean + np.where(active, calls[f"jump_hz_{j}"].to_numpy() * (1 - pos), 0.0)
    two = calls.family.to_numpy() == "two_part"
    d2 = calls.high_duration_s.to_numpy()
    f2 = fc + calls.high_jump_hz.to_numpy() + 0.5 * calls.high_slope_hz.to_numpy()
    return np.where(two, (d * mean + d2 * f2) / np.where(two, d + d2, 1.0), mean)


def _ramps(n: int, ramp_n: int) -> np.ndarray:
    env = np.ones(n, dtype=np.float32)
    ramp_n = max(1, min(ramp_n, n // 3))
    r = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp_n) + 0.5) / ramp_n)
    env[:ramp_n] = r
    env[n - ramp_n :] = r[::-1]
    return env


def _sin_of_turns(turns: np.ndarray) -> np.ndarray:
    """sin(2 pi turns) in float32, keeping only the fractional turn in float64 (precision)."""
    frac = (turns - np.floor(turns)).astype(np.float32)
    frac *= np.float32(2 * np.pi)
    return np.sin(frac, out=frac)


def _tone(
    f: np.ndarray, env: np.ndarray, amplitude: float, harmonic: float, rate_hz: int
) -> tuple[np.ndarray, np.ndarray]:
    """A tone following contour ``f`` (and its second harmonic); returns it and its carrier."""
    # the phase is accumulated in float64: a float32 running sum drifts within one call
    turns = np.cumsum(f, dtype=np.float64) / rate_hz
    carrier = _sin_of_turns(turns)
    x = carrier.copy()
    if harmonic > 0:
        fade = np.clip((np.float32(HARMONIC_CEILING_HZ) - 2 * f) / np.float32(5_000.0), 0.0, 1.0)
        x += np.float32(harmonic) * fade * _sin_of_turns(2 * turns)
    x *= env
    x *= np.float32(amplitude)
    return x, carrier


def _narrowband_noise(n: int, width_hz: float, rate_hz: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise low-passed to about ``width_hz``.

    Three moving averages in a row (a near-Gaussian kernel, sidelobes below -39 dB) of white
    noise, so the energy stays close to the contour.
    """
    k = max(1, round(rate_hz / width_hz))
    x = rng.standard_normal(n + 3 * k, dtype=np.float32).astype(np.float64)
    for _ in range(3):
        c = np.cumsum(x)
        x = c[k:] - c[:-k]
    return (x / max(np.sqrt(np.mean(x**2)), 1e-12)).astype(np.float32)


def render_call(call, model: SynthModel, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Waveform of one call (floor RMS = 1) and what it truly is (mean/min/max frequency).

    The broadband part is the fundamental's carrier modulated by noise low-passed to
    ``broadband_width_hz``, so it spreads energy around the contour, at ``broadband_gain x
    degree`` times the fundamental's RMS.
    """
    nz = model.nuisance
    rate = model.rate_hz
    lo, hi = (1e3 * v for v in nz.contour_limits_khz)
    f, gate = main_element(call, rate)
    f = np.clip(f, lo, hi)
    n = len(f)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    rms = 10 ** (max(call.level_db, nz.min_level_db) / 20)
    env = _ramps(n, int(call.ramp_s * rate)) * gate
    am = np.sin(np.float32(2 * np.pi * call.am_rate_hz) * t + np.float32(call.am_phase))
    env *= 1 + np.float32(call.am_depth) * am
    harmonic = call.harmonic_rel_amplitude if call.harmonic > 0 else 0.0
    tone, carrier = _tone(f, env, np.sqrt(2) * rms, harmonic, rate)
    parts, carriers, envs, contours = [tone], [carrier], [env], [f[gate > 0]]
    if call.family == "two_part":
        gap_n = round(call.high_gap_s * rate)
        n2 = max(round(call.high_duration_s * rate), 2)
        u2 = np.arange(n2, dtype=np.float32) / np.float32(n2)
        f2 = np.clip(call.center_freq_hz + call.high_jump_hz + call.high_slope_hz * u2, lo, hi)
        env2 = _ramps(n2, int(call.ramp_s * rate))
        rms2 = rms * 10 ** (call.high_level_db / 20)
        tone2, carrier2 = _tone(f2, env2, np.sqrt(2) * rms2, harmonic, rate)
        silence = np.zeros(gap_n, np.float32)
        parts += [silence, tone2]
        carriers += [silence, carrier2]
        envs += [silence, env2]
        contours.append(f2)
    x = np.concatenate(parts)
    if call.broadband > 0:
        # noise around the contour: a carrier modulated by narrow-band noise, under the envelope
        noise = _narrowband_noise(len(x), call.broadband_width_hz, rate, rng)
        noise *= np.concatenate(carriers) * np.concatenate(envs)
        x += np.float32(np.sqrt(2) * nz.broadband_gain * call.broadband * rms) * noise
    contour = np.concatenate(contours)
    truth = {
        "mean_freq_hz": float(contour.mean()),
        "min_freq_hz": float(contour.min()),
        "max_freq_hz": float(contour.max()),
        "start_freq_hz": float(contours[0][0]),
        "stop_freq_hz": float(contours[-1][-1]),
        "call_rms": float(np.sqrt(np.mean(x**2))),
    }
    return x, truth


def _events(rng: np.random.Generator, rate_per_s: float, duration_s: float) -> np.ndarray:
    return np.sort(rng.uniform(0, duration_s, rng.poisson(rate_per_s * duration_s)))


def add_background_events(x: np.ndarray, model: SynthModel, rng: np.random.Generator) -> None:
    """Add low-frequency episodes, clicks and scratching bursts to ``x`` in place."""
    nm, rate = model.noise, model.rate_hz
    duration_s = len(x) / rate
    for start in _events(rng, nm.lf_rate_per_s, duration_s):
        length = min(int(nm.lf_duration_median_s * np.exp(0.5 * rng.standard_normal()) * rate), len(x))
        i0 = min(int(start * rate), len(x) - length)
        sos = signal.butter(4, rng.uniform(*nm.lf_cutoff_hz), fs=rate, output="sos")
        seg = signal.sosfilt(sos, rng.standard_normal(length))
        seg *= 10 ** (rng.uniform(*nm.lf_level_db) / 20) / max(np.sqrt(np.mean(seg**2)), 1e-12)
        x[i0 : i0 + length] += (seg * _ramps(length, int(0.05 * rate))).astype(np.float32)
    for start in _events(rng, nm.click_rate_per_s, duration_s):
        tau = rng.uniform(*nm.click_duration_s)
        length = min(int(6 * tau * rate) + 1, len(x))
        i0 = min(int(start * rate), len(x) - length)
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (tau * rate))
        x[i0 : i0 + length] += (10 ** (rng.uniform(*nm.click_level_db) / 20) * burst).astype(np.float32)
    sos_band = signal.butter(4, nm.scratch_band_hz, btype="bandpass", fs=rate, output="sos")
    for start in _events(rng, nm.scratch_rate_per_s, duration_s):
        length = min(int(rng.uniform(*nm.scratch_duration_s) * rate), len(x))
        i0 = min(int(start * rate), len(x) - length)
        seg = signal.sosfilt(sos_band, rng.standard_normal(length))
        seg *= 10 ** (rng.uniform(*nm.scratch_level_db) / 20) / max(np.sqrt(np.mean(seg**2)), 1e-12)
        x[i0 : i0 + length] += (seg * _ramps(length, int(0.005 * rate))).astype(np.float32)


def render_recording(
    calls: pd.DataFrame, model: SynthModel, *, duration_s: float, floor_dbfs: float, rng: np.random.Generator
) -> tuple[np.ndarray, pd.DataFrame]:
    """int16 samples of a whole recording, and per-call truth measured on the rendered calls.

    Returns
    -------
    samples : ndarray of int16
    truth : DataFrame
        One row per call (same order as ``calls``): mean/min/max/start/stop frequency (Hz)
        of the fundamental and ``level_dbfs``, the call's RMS re full scale.
    """
    rate = model.rate_hz
    n = round(duration_s * rate)
    x = rng.standard_normal(n, dtype=np.float32)
    add_background_events(x, model, rng)
    rows = []
    floor_counts = 32768.0 * 10 ** (floor_dbfs / 20)
    for call in calls.itertuples(index=False):
        wave, truth = render_call(call, model, rng)
        i0 = round(call.onset_s * rate)
        i1 = min(i0 + len(wave), n)
        x[i0:i1] += wave[: i1 - i0]
        truth["level_dbfs"] = 20 * np.log10(max(truth.pop("call_rms") * floor_counts, 1e-9) / 32768.0)
        rows.append(truth)
    x *= floor_counts
    np.rint(x, out=x)
    np.clip(x, -32768, 32767, out=x)
    return x.astype(np.int16), pd.DataFrame(rows, index=calls.index)
