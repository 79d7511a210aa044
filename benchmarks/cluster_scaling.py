"""Detection of 20 recordings on a local Dask cluster of 1 and of 2 workers, and the ratio.

Twenty 60 s synthetic 300 kHz recordings (one mouse of the generator each) are detected with
``usvlib.detect.detect_many`` on a ``distributed.LocalCluster`` (loopback, one thread per worker
process) of 1 and of 2 workers; the cluster's start-up is left out, the transfer of the tables
is in. The baseline, in the same process, is the local run without Dask (one process). The tables
must be identical in all three.

    python benchmarks/cluster_scaling.py [--recordings 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from detect_speed import make_recording  # a script beside this one
from distributed import LocalCluster
from threadpoolctl import threadpool_limits

from usvlib.detect import detect_many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="usvlib-cluster-") as tmp:
        paths = []
        for i in range(args.recordings):
            paths.append(Path(tmp) / f"rec{i:02d}.wav")
            make_recording(paths[-1], args.seconds)
        with threadpool_limits(1):
            started = time.perf_counter()
            local, _ = detect_many(paths, progress=False)
            base = time.perf_counter() - started
        audio = args.recordings * args.seconds
        print(f"{args.recordings} recordings of {args.seconds:.0f} s at 300 kHz ({audio:.0f} s of audio):")
        print(f"  one process, no Dask (baseline)  {base:6.2f} s  ({audio / base:5.0f}x real time)")
        for n in (1, 2):
            with LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            ) as cluster:
                detect_many(paths[:n], progress=False, scheduler=cluster.scheduler_address)  # warm the workers
                started = time.perf_counter()
                found, _ = detect_many(paths, progress=False, scheduler=cluster.scheduler_address)
                seconds = time.perf_counter() - started
            pd.testing.assert_frame_equal(found, local)
            print(
                f"  Dask, {n} worker{'s' if n > 1 else ' '}                   {seconds:6.2f} s  "
                f"({audio / seconds:5.0f}x real time)  speed-up over the baseline {base / seconds:4.2f}x"
            )
        print("  the tables of all three runs are identical")


if __name__ == "__main__":
    main()
