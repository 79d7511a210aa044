"""Detection against known truth in real noise: usvlib and, when asked, USVSEG side by side.

The set (``usvlib.synth.semisynthetic``): the call-free stretches of the three AMVOC clips
(tests/fixtures/amvoc, 250 kHz, manual labels), tiled, with the generator's calls planted at
-5, 0, 5, 10 and 20 dB (the call's power over the background's in 25-120 kHz, defined in that
module; the script also prints this SNR for the clips' own labelled calls), half of
them 8-25 ms long, a fifth overlapped by a broadband burst; one recording per SNR at 250 kHz
and at 300 kHz (the background resampled). Each tool detects on the WAV files; the calls are
matched one to one (``usvlib.metrics``) and reported per SNR and per duration band: recall,
precision, F1, median onset and offset error, splits and merges. The development clips' own
manual labels are scored too.

``--low-noise-db L`` adds stationary noise below ``--low-noise-cutoff-hz`` (15 kHz), L dB above
each recording's broadband power, to every recording: the condition of recordings with strong
fan or handling noise.

``--with-usvseg`` runs USVSEG's Python port (PyPI ``usvseg``, MIT) with the parameters its
package ships (``usvseg_prm.yaml``: 40-120 kHz, threshold 4.0 sigma, 3-300 ms, gaps under 30 ms
merged) on the same files. It needs numpy < 2, so it gets a virtual environment of its own
under build/usvseg-env (made on first use; PyPI must be reachable then).

    python benchmarks/detection_benchmark.py [--with-usvseg] [--calls 120] [--low-noise-db 30] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import signal

from usvlib.audio import read_audio, write_wav
from usvlib.detect import DetectorParams, detect_file
from usvlib.formats import read_intervals, read_usvseg
from usvlib.metrics import grouped_detection_scores, score_detections
from usvlib.paths import project_root, reference_clips_dir
from usvlib.synth.semisynthetic import (
    PlantingSpec,
    benchmark_set,
    call_free_background,
    duration_band,
    labelled_call_snr_db,
    with_low_frequency_noise,
)

USVSEG_ENV = project_root() / "build" / "usvseg-env"
USVSEG_REQUIREMENTS = [
    "numpy<2",
    "scipy<1.14",
    "soundfile",
    "opencv-python-headless",
    "tqdm",
    "pyyaml",
    "usvseg==1.0.2",
]
USVSEG_RUNNER = r"""
import csv, json, os, sys, yaml
import usvseg.func as F
params = yaml.safe_load(open(os.path.join(os.path.dirname(F.__file__), "usvseg_prm.yaml")))
params.update(wavfileoutput=False, imageoutput=False, traceoutput=False)  # tables only
jobs = json.loads(sys.argv[1])
for wav, out_csv, seg_dir in jobs:
    F.proc_wavfile(params, wav, out_csv, seg_dir)
"""


def dev_clips() -> list[tuple[Path, pd.DataFrame]]:
    """The AMVOC development clips and their manual labels."""
    root = reference_clips_dir()
    return [
        (d / f"rec_{d.name}.wav", read_intervals(d / f"gt_{d.name}.csv")) for d in sorted(root.iterdir()) if d.is_dir()
    ]


def backgrounds(rates: list[int]) -> dict[int, np.ndarray]:
    """Call-free background of the development clips at each rate (resampled from 250 kHz)."""
    parts = []
    native = None
    for wav, labels in dev_clips():
        samples, native = read_audio(wav)
        parts.append(call_free_background(samples, native, labels))
    joined = np.concatenate(parts)
    out = {}
    for rate in rates:
        g = np.gcd(rate, native)
        out[rate] = (
            joined if rate == native else signal.resample_poly(joined, rate // g, native // g).astype(np.float32)
        )
    return out


def ensure_usvseg() -> Path:
    """The Python of USVSEG's own environment (created and filled on first use)."""
    python = USVSEG_ENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(USVSEG_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *USVSEG_REQUIREMENTS], check=True)
    return python


def run_usvseg(wavs: list[Path], work: Path) -> tuple[dict[Path, pd.DataFrame], float]:
    """USVSEG's calls of each file, and the seconds it took (one process for all files)."""
    python = ensure_usvseg()
    jobs = [(str(w), str(work / f"{w.stem}.usvseg.csv"), str(work / f"{w.stem}-segments")) for w in wavs]
    started = time.perf_counter()
    subprocess.run([str(python), "-c", USVSEG_RUNNER, json.dumps(jobs)], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    found = {w: read_usvseg(out_csv)[["onset_s", "offset_s"]] for w, (_, out_csv, _) in zip(wavs, jobs, strict=True)}
    return found, seconds


def tables(recordings, detections: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores of one tool: per SNR (and rate), and per SNR x duration band."""
    ref, det = [], []
    for rec in recordings:
        name = f"{rec.rate_hz // 1000} kHz, {rec.snr_db:+.0f} dB"
        ref.append(rec.truth.assign(recording=name, rate_khz=rec.rate_hz // 1000))
        found = detections[name]
        det.append(found.assign(recording=name, snr_db=rec.snr_db, rate_khz=rec.rate_hz // 1000))
    ref, det = pd.concat(ref, ignore_index=True), pd.concat(det, ignore_index=True)
    det_duration = (det.offset_s - det.onset_s).to_numpy()
    by_snr = grouped_detection_scores(ref, det, reference_group=ref.snr_db, detected_group=det.snr_db)
    per_band = []
    for snr in sorted(ref.snr_db.unique()):
        r, d = ref[ref.snr_db == snr], det[det.snr_db == snr]
        band = grouped_detection_scores(
            r,
            d,
            reference_group=duration_band(r.duration_s).astype(str),
            detected_group=duration_band(det_duration[det.snr_db.to_numpy() == snr]).astype(str),
        )
        per_band.append(band[band.group != "all"].assign(snr_db=snr))
    return by_snr, pd.concat(per_band, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-usvseg", action="store_true")
    parser.add_argument("--calls", type=int, default=120, help="planted calls per recording")
    parser.add_argument("--rates", default="250000,300000")
    parser.add_argument("--snrs", default="-5,0,5,10,20")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--low-noise-db", type=float, default=None, help="add low-frequency noise this far above")
    parser.add_argument("--low-noise-cutoff-hz", type=float, default=15_000.0)
    parser.add_argument("--out", default=None, help="also write the tables as CSV here")
    parser.add_argument(
        "--detector", default="{}", help="usvlib DetectorParams to change, as JSON, e.g. '{\"min_duration_s\": 0.005}'"
    )
    args = parser.parse_args()
    params = DetectorParams(**json.loads(args.detector))
    rates = [int(r) for r in args.rates.split(",")]
    snrs = tuple(float(s) for s in args.snrs.split(","))
    started = time.perf_counter()
    recordings = benchmark_set(backgrounds(rates), snrs_db=snrs, spec=PlantingSpec(n_calls=args.calls), seed=args.seed)
    if args.low_noise_db is not None:
        recordings = [
            with_low_frequency_noise(r, cutoff_hz=args.low_noise_cutoff_hz, level_db=args.low_noise_db, seed=args.seed)
            for r in recordings
        ]
        cutoff_khz = args.low_noise_cutoff_hz / 1e3
        print(f"low-frequency noise below {cutoff_khz:g} kHz, {args.low_noise_db:+g} dB over each recording")
    audio_s = sum(len(r.samples) / r.rate_hz for r in recordings)
    print(
        f"semi-synthetic set: {len(recordings)} recordings, {audio_s:.0f} s, "
        f"{sum(len(r.truth) for r in recordings)} planted calls ({time.perf_counter() - started:.1f} s to build)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wavs = {}
        for rec in recordings:
            name = f"{rec.rate_hz // 1000} kHz, {rec.snr_db:+.0f} dB"
            wavs[name] = write_wav(
                work / f"planted-{rec.rate_hz // 1000}k-{rec.snr_db:+.0f}dB.wav", rec.samples, rec.rate_hz
            )
        started = time.perf_counter()
        usvlib_calls = {name: detect_file(path, params) for name, path in wavs.items()}
        usvlib_s = time.perf_counter() - started
        tools = {"usvlib": usvlib_calls}
        seconds = {"usvlib": usvlib_s}
        clips = dev_clips()
        clip_calls = {"usvlib": [detect_file(w, params) for w, _ in clips]}
        if args.with_usvseg:
            found, seconds["usvseg"] = run_usvseg(list(wavs.values()), work)
            tools["usvseg"] = {name: found[path] for name, path in wavs.items()}
            clip_found, _ = run_usvseg([w for w, _ in clips], work)
            clip_calls["usvseg"] = [clip_found[w] for w, _ in clips]

    results = {tool: tables(recordings, calls) for tool, calls in tools.items()}
    pd.set_option("display.width", 200)
    cols = ["recall", "precision", "f1", "median_onset_error_ms", "median_offset_error_ms", "splits", "merges"]
    print("\nper SNR (both rates):")
    side = pd.concat({tool: r[0].set_index("group")[cols] for tool, r in results.items()}, axis=1)
    print(side.round(3).to_string())
    print("\nrecall per SNR and duration band:")
    bands = pd.concat(
        {tool: r[1].pivot(index="group", columns="snr_db", values="recall") for tool, r in results.items()}, axis=1
    )
    print(bands.round(3).to_string())
    print("\nF1 per SNR and duration band:")
    bands_f1 = pd.concat(
        {tool: r[1].pivot(index="group", columns="snr_db", values="f1") for tool, r in results.items()}, axis=1
    )
    print(bands_f1.round(3).to_string())
    print("\ndevelopment clips (manual labels, 3 clips pooled):")
    for tool, found in clip_calls.items():
        n_ref = n_det = k = 0
        for (_, labels), calls in zip(clips, found, strict=True):
            s = score_detections(labels, calls)
            n_ref, n_det, k = n_ref + s.n_reference, n_det + s.n_detected, k + s.n_matched
        p, r = k / max(n_det, 1), k / max(n_ref, 1)
        print(
            f"  {tool:7s} precision {p:.3f} recall {r:.3f} F1 {2 * p * r / max(p + r, 1e-12):.3f} ({k}/{n_ref} calls)"
        )
    real_snr = np.concatenate(
        [
            labelled_call_snr_db(samples, rate, labels, call_free_background(samples, rate, labels))
            for samples, rate, labels in ((*read_audio(w), labels) for w, labels in clips)
        ]
    )
    q = np.nanpercentile(real_snr, [0, 5, 50, 100])
    print(
        f"  SNR of the clips' {len(real_snr)} labelled calls, as the planted calls': "
        f"min {q[0]:.1f}, 5th percentile {q[1]:.1f}, median {q[2]:.1f}, max {q[3]:.1f} dB"
    )
    print(f"\ndetection time on the set (audio {audio_s:.0f} s):")
    for tool, s in seconds.items():
        print(
            f"  {tool:7s} {s:6.1f} s = {audio_s / s:6.1f} x real time"
            + ("  (one process, start-up included)" if tool == "usvseg" else "")
        )
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for tool, (by_snr, per_band) in results.items():
            by_snr.to_csv(out / f"{tool}_by_snr.csv", index=False)
            per_band.to_csv(out / f"{tool}_by_band.csv", index=False)


if __name__ == "__main__":
    main()
