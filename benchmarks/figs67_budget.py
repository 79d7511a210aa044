"""What Figs 6 and 7 add to a first reproduction, and what a cached rerun costs.

In one process, on the profile's synthetic data, with a fresh cache (a temporary folder) that
first receives the sex network of Fig 3 (every later figure reads its per-USV predictions, so
it is not part of Figs 6-7's cost): Fig 6's ``compute`` (train the analysed network, dissect
it), Fig 7's (two embeddings, clustering), then both again from the cache. Ratios are against
the baseline in the same process: loading the study (images included).

    python benchmarks/figs67_budget.py [--profile default]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["USVLIB_CACHE"] = cache
        from usvlib.dataset import load_dataset
        from usvlib.paper import fig6, fig7
        from usvlib.paper.fig3 import across_animals_dnn
        from usvlib.paper.reproduce import prepare_synthetic
        from usvlib.paper.study import load_study

        dataset = load_dataset(prepare_synthetic(args.profile, progress=False))
        start = time.perf_counter()
        study = load_study(dataset, args.profile, progress=False)
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        across_animals_dnn(study, progress=False)
        print(f"(Fig 3's sex network, not counted: {time.perf_counter() - start:.0f} s)")
        rows = []
        for label in ("first run", "cached rerun"):
            for name, compute in (
                ("Fig 6", lambda: fig6.compute(study, progress=False)),
                ("Fig 7", lambda: fig7.compute(study, dataset, progress=False)),
            ):
                start = time.perf_counter()
                compute()
                rows.append((name, label, time.perf_counter() - start))
    print(f"baseline: load_study {baseline:.1f} s  ({args.profile} profile, {len(study.labels)} USVs)")
    for name, label, seconds in rows:
        print(f"{name} {label:>13}: {seconds:7.1f} s  = {seconds / baseline:6.1f} x baseline")
    first = sum(s for _, label, s in rows if label == "first run")
    print(
        f"Figs 6 + 7, first run: {first:.0f} s (budget 300 s); cached: "
        f"{sum(s for _, label, s in rows if label == 'cached rerun'):.1f} s"
    )


if __name__ == "__main__":
    main()
