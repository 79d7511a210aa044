"""Speed and memory of detection + per-USV spectrograms, against scipy.signal.spectrogram.

1. Speed, one core: a 180 s synthetic 300 kHz recording (one mouse of the generator). The
   baseline, in the same process, is a plain ``scipy.signal.spectrogram`` pass over the same
   audio at the paper's resolution (500-sample Hann window, 50 % overlap), reading included.
   usvlib's pass is ``detect`` plus the per-USV products (100 x 100 image, spectral line,
   marginals) of every detected call; the 24 properties are timed separately.
2. Whole process, one core: ``usvlib detect`` on a 10-minute 300 kHz recording (start-up,
   reading and writing the table included), pinned to one CPU (``taskset``), best of 3, and
   with ``--workers 2`` on two cores (two stretches of the file in two processes); with
   ``--with-usvseg`` USVSEG's Python port on the 180 s file the same way (its own environment,
   ``detection_benchmark.py``), and the ratio.
3. Memory: a 1-hour recording (that minute of audio written 60 times) goes through the same
   pass in a child process, whose peak resident memory is read from the OS.

    python benchmarks/detect_speed.py [--skip-hour] [--with-usvseg]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf
from scipy import signal
from threadpoolctl import threadpool_limits

from usvlib._seeding import rng_for
from usvlib.audio import read_audio
from usvlib.detect import detect_file
from usvlib.extract import recording_products
from usvlib.synth.model import SynthModel
from usvlib.synth.population import sample_animals, sample_calls
from usvlib.synth.render import render_recording
from usvlib.synth.scale import SynthScale

RATE = 300_000


def make_recording(path: Path, seconds: float) -> None:
    model = SynthModel()
    scale = SynthScale(sex_recording_s=seconds, calls_per_s=3.27, n_cortexless=0, n_control=0, strain_recording_s=1)
    animal = sample_animals(model, scale, seed=1).iloc[0]
    calls = sample_calls(model, animal, 1, male_freq_shift=1.0)
    samples, _ = render_recording(
        calls, model, duration_s=seconds, floor_dbfs=animal.floor_dbfs, rng=rng_for(1, "bench")
    )
    sf.write(path, samples, RATE, subtype="PCM_16")


def usvlib_pass(path: Path, with_properties: bool = False) -> int:
    calls = detect_file(path)
    recording_products(path, calls, with_properties=with_properties)
    return len(calls)


def baseline_pass(path: Path) -> None:
    x, rate = read_audio(path)
    signal.spectrogram(x, fs=rate, window="hann", nperseg=500, noverlap=250, mode="magnitude")


def best_of(f, repeat=3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def peak_memory_mb() -> float:
    """This process's peak resident memory: VmHWM (ru_maxrss can carry over the parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hour_child(path: str) -> None:
    with threadpool_limits(1):
        n = usvlib_pass(Path(path))
    print(f"{n} {peak_memory_mb():.0f}")


def one_core(command: list[str]) -> list[str]:
    """``command`` pinned to the first CPU this process may use, where ``taskset`` exists."""
    if shutil.which("taskset") is None:
        return command
    import os

    return ["taskset", "-c", str(min(os.sched_getaffinity(0))), *command]


def whole_process_seconds(command: list[str], repeat: int = 3) -> float:
    """Best wall time of ``command`` run as a process of its own."""
    return best_of(lambda: subprocess.run(command, check=True, capture_output=True), repeat=repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-hour", action="store_true", help="skip the 1-hour memory check (writes 2.2 GB)")
    parser.add_argument("--with-usvseg", action="store_true", help="time USVSEG's Python port as well")
    parser.add_argument("--hour-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hour_child:
        hour_child(args.hour_child)
        return
    with tempfile.TemporaryDirectory(prefix="usvlib-bench-") as tmp:
        rec = Path(tmp) / "rec.wav"
        make_recording(rec, 180.0)
        with threadpool_limits(1):
            usvlib_pass(rec)  # warm-up: imports, caches
            base = best_of(lambda: baseline_pass(rec))
            ours = best_of(lambda: usvlib_pass(rec))
            det = best_of(lambda: detect_file(rec))
            props = best_of(lambda: usvlib_pass(rec, with_properties=True), repeat=1)
        n_calls = len(detect_file(rec))
        print("180 s of 300 kHz audio, one core (best of 3):")
        print(f"  scipy.signal.spectrogram pass (baseline) : {base:6.3f} s  ({180 / base:5.0f}x real time)")
        print(f"  usvlib detection + per-USV spectrograms   : {ours:6.3f} s  ({180 / ours:5.0f}x real time)")
        print(f"    of which detection ({n_calls} calls)       : {det:6.3f} s  ({180 / det:5.0f}x real time)")
        print(f"  ratio usvlib / baseline                   : {ours / base:6.2f}")
        print(f"  ... with the 24 properties as well        : {props:6.3f} s  ({180 / props:5.0f}x real time)")
        ten = Path(tmp) / "ten_minutes.wav"
        make_recording(ten, 600.0)
        cli = whole_process_seconds(
            one_core([sys.executable, "-m", "usvlib", "detect", str(ten), "-o", str(Path(tmp) / "ten.csv"), "--quiet"])
        )
        print("whole process, one core (best of 3):")
        print(f"  usvlib detect, 10-minute file            : {cli:6.2f} s  ({600 / cli:5.0f}x real time)")
        print(f"  target >= 300x real time                  : {'met' if 600 / cli >= 300 else 'MISSED'}")
        two = whole_process_seconds(
            [sys.executable, "-m", "usvlib", "detect", str(ten), "-o", str(Path(tmp) / "t2.csv"), "--quiet"]
            + ["--workers", "2"]
        )
        print(f"  the same with --workers 2 (two cores)     : {two:6.2f} s  ({600 / two:5.0f}x real time)")
        if args.with_usvseg:
            from detection_benchmark import USVSEG_RUNNER, ensure_usvseg

            python = ensure_usvseg()
            job = json.dumps([(str(rec), str(Path(tmp) / "usvseg.csv"), str(Path(tmp) / "usvseg-segments"))])
            theirs = whole_process_seconds(one_core([str(python), "-c", USVSEG_RUNNER, job]), repeat=1)
            ours_180 = whole_process_seconds(
                one_core(
                    [sys.executable, "-m", "usvlib", "detect", str(rec), "-o", str(Path(tmp) / "r.csv"), "--quiet"]
                )
            )
            print(f"  USVSEG (Python port), 180 s file          : {theirs:6.2f} s  ({180 / theirs:5.0f}x real time)")
            print(
                f"  usvlib detect, the same 180 s file        : {ours_180:6.2f} s  ({180 / ours_180:5.0f}x real time)"
            )
            print(f"  ratio USVSEG / usvlib                     : {theirs / ours_180:6.1f}")
        if args.skip_hour:
            return
        hour = Path(tmp) / "hour.wav"
        minute = Path(tmp) / "minute.wav"
        make_recording(minute, 60.0)
        chunk, _ = sf.read(minute, dtype="int16")
        with sf.SoundFile(hour, "w", RATE, 1, subtype="PCM_16") as f:
            for _ in range(60):
                f.write(chunk)
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--hour-child", str(hour)], capture_output=True, text=True, check=True
        )
        n, peak = out.stdout.split()
        seconds = time.perf_counter() - started
        print(f"1-hour recording: {n} calls in {seconds:.0f} s ({3600 / seconds:.0f}x real time, child process),")
        print(f"  peak memory {peak} MB (target < 1024 MB: {'met' if float(peak) < 1024 else 'MISSED'})")


if __name__ == "__main__":
    main()
