"""Cutting the call images' bands from one time stretch, against one stretch per band.

``call_images.call_images(..., harmonic=(1, 2))`` stretches each call in time once and cuts every
band from it; the baseline, run in the same process on the same images, calls it once per band
(``harmonic=1``, then ``harmonic=2``), which stretches every call twice. Both give the same
arrays (checked); the ratio is what the shared stretch saves.

    python benchmarks/call_images_speed.py [--calls 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from usvlib.call_images import CALL_IMAGE_HARMONICS, call_images
from usvlib.spectrogram import IMAGE_SHAPE


def network_like_images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` sparse 100 x 100 images with call-like durations and centre frequencies (the time
    call_images takes does not depend on what the images show)."""
    rng = np.random.default_rng(seed)
    images = rng.gamma(2.0, 1.0, (n, *IMAGE_SHAPE)).astype(np.float32)
    images *= rng.random((n, *IMAGE_SHAPE)) < 0.05
    images -= images.mean(axis=(1, 2), keepdims=True)
    duration_s = rng.uniform(0.01, 0.12, n)
    centre_hz = rng.uniform(50_000.0, 90_000.0, n)
    return images, duration_s, centre_hz


def best_of(repeats: int, fn) -> tuple[float, np.ndarray]:
    times, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    images, duration_s, centre_hz = network_like_images(args.calls)
    per_band_s, per_band = best_of(
        args.repeats,
        lambda: np.stack([call_images(images, duration_s, centre_hz, harmonic=k) for k in CALL_IMAGE_HARMONICS], 1),
    )
    shared_s, shared = best_of(
        args.repeats, lambda: call_images(images, duration_s, centre_hz, harmonic=CALL_IMAGE_HARMONICS)
    )
    if not np.array_equal(per_band, shared):
        raise SystemExit("the shared stretch changed the call images")
    print(f"{args.calls} calls, bands {CALL_IMAGE_HARMONICS}, best of {args.repeats}")
    print(f"  one stretch per band (baseline): {per_band_s:6.2f} s")
    print(f"  one stretch, every band cut:     {shared_s:6.2f} s   ratio {per_band_s / shared_s:.2f} x faster")


if __name__ == "__main__":
    main()
