"""How long generating a synthetic dataset takes, against a noise-only baseline.

The baseline, run in the same process on the same machine, writes the same recordings filled with
plain white noise (numpy's default generator, float64, one process): the least any generator of
that much audio must do. The ratio says what the model (calls, background events, ground truth,
oracle, manifest) costs on top, and is comparable across machines; the absolute time is checked
against the issue's budget (default profile <= 60 s on a 2-core machine).

    python benchmarks/synth_speed.py [--profile default] [--workers N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from usvlib._parallel import default_workers
from usvlib.paper.profiles import get_profile
from usvlib.synth.generate import generate_dataset
from usvlib.synth.model import SynthModel


def noise_only(out: Path, profile) -> float:
    model = SynthModel()
    scale = profile.synth
    lengths = [scale.sex_recording_s] * (model.n_female + model.n_male)
    lengths += [scale.strain_recording_s] * (scale.n_cortexless + scale.n_control)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for i, seconds in enumerate(lengths):
        x = rng.standard_normal(round(seconds * model.rate_hz)) * 100
        sf.write(out / f"{i}.wav", x.astype(np.int16), model.rate_hz, subtype="PCM_16")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="default")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    profile = get_profile(args.profile)
    workers = args.workers or default_workers()
    tmp = Path(tempfile.mkdtemp(prefix="usvlib-bench-"))
    try:
        (tmp / "noise").mkdir()
        baseline = noise_only(tmp / "noise", profile)
        started = time.perf_counter()
        generate_dataset(tmp / "synth", profile.synth, seed=profile.seed, name=profile.name, workers=workers)
        synth = time.perf_counter() - started
        audio_s = sum(p.stat().st_size for p in (tmp / "noise").glob("*.wav")) / 2 / SynthModel().rate_hz
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"profile {profile.name}: {audio_s / 60:.0f} min of 300 kHz audio, {workers} worker(s)")
    print(f"  noise-only baseline (1 process): {baseline:6.1f} s")
    print(f"  usvlib synth                   : {synth:6.1f} s")
    print(f"  ratio synth / baseline         : {synth / baseline:6.2f}")
    print(f"  real-time factor               : {audio_s / synth:6.0f}x")
    if profile.name == "default":
        print(f"  budget (<= 60 s on 2 cores)    : {'met' if synth <= 60 else 'MISSED'}")


if __name__ == "__main__":
    main()
