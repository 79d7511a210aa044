"""Spectrograms with the paper's resolution, expressed in physical units.

The authors' STFT: a 500-sample Hann window, 50 % overlap, NFFT 500, at 300 kHz, keeping
10.2-149.4 kHz. In seconds and hertz that is a 1.667 ms window, a 0.833 ms hop, 600 Hz bins and
233 kept bins, and the same physical resolution is used at any other rate (250 kHz: a
417-sample window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from usvlib.errors import ConfigError


@dataclass(frozen=True)
class SpectrogramParams:
    """STFT settings in physical units (defaults: the paper's)."""

    window_s: float = 500 / 300_000
    hop_s: float = 250 / 300_000
    fmin_hz: float = 10_200.0
    fmax_hz: float = 149_400.0

    def window_samples(self, rate_hz: int) -> int:
        return round(self.window_s * rate_hz)

    def hop_samples(self, rate_hz: int) -> int:
        return max(1, round(self.hop_s * rate_hz))

    def band(self, rate_hz: int) -> tuple[np.ndarray, slice]:
        """Frequencies (Hz) of the kept bins and the slice of the rfft output they are.

        Below 300 kHz the band ends at the Nyquist frequency (250 kHz: 10.2-124.8 kHz).
        """
        n = self.window_samples(rate_hz)
        freqs = np.fft.rfftfreq(n, 1.0 / rate_hz)
        tol = 1e-6 * rate_hz / n
        lo = int(np.searchsorted(freqs, self.fmin_hz - tol))
        top = min(self.fmax_hz + tol, rate_hz / 2 - tol)
        hi = int(np.searchsorted(freqs, top, side="right"))
        if hi <= lo:
            raise ConfigError(
                f"no frequencies between {self.fmin_hz:.0f} Hz and the Nyquist frequency of a "
                f"{rate_hz} Hz recording - use an ultrasonic recording (>= 200 kHz)"
            )
        return freqs[lo:hi], slice(lo, hi)


PAPER_PARAMS = SpectrogramParams()


def stft_magnitude(
    samples: np.ndarray, rate_hz: int, *, params: SpectrogramParams = PAPER_PARAMS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Magnitude STFT of ``samples`` restricted to the kept band.

    Returns
    -------
    magnitude : ndarray, shape (n_freqs, n_frames), float32
    freqs_hz : ndarray, shape (n_freqs,)
    times_s : ndarray, shape (n_frames,)
        Centre of each frame.
    """
    x = np.asarray(samples, dtype=np.float32)
    n = params.window_samples(rate_hz)
    hop = params.hop_samples(rate_hz)
    freqs, band = params.band(rate_hz)
    if len(x) < n:
        return np.zeros((len(freqs), 0), np.float32), freqs, np.zeros(0)
    frames = sliding_window_view(x, n)[::hop]
    window = np.hanning(n + 2)[1:-1].astype(np.float32)  # periodic-free Hann without zero ends
    spec = np.abs(np.fft.rfft(frames * window, axis=1))[:, band].T.astype(np.float32)
    times = (np.arange(frames.shape[0]) * hop + n / 2) / rate_hz
    return spec, freqs, times
