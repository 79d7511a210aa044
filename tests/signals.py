"""Signals with known answers, shared by the tests."""

from __future__ import annotations

import numpy as np

RATE = 300_000


def noise(seconds: float, *, rms: float = 0.003, seed: int = 0) -> np.ndarray:
    return rms * np.random.default_rng(seed).standard_normal(round(seconds * RATE))


def tone(freq_hz, seconds: float, *, amplitude: float = 0.05, ramp_s: float = 0.002) -> np.ndarray:
    """A tone; ``freq_hz`` a number or a function of time (s) giving the frequency."""
    t = np.arange(round(seconds * RATE)) / RATE
    f = freq_hz(t) if callable(freq_hz) else np.full_like(t, float(freq_hz))
    x = amplitude * np.sin(2 * np.pi * np.cumsum(f) / RATE)
    r = round(ramp_s * RATE)
    env = np.ones_like(t)
    env[:r] = np.linspace(0, 1, r)
    env[-r:] = np.linspace(1, 0, r)
    return x * env


def place(background: np.ndarray, call: np.ndarray, onset_s: float) -> np.ndarray:
    i = round(onset_s * RATE)
    background[i : i + len(call)] += call
    return background
