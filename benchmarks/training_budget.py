"""How long the trainings of a profile's run took: the sum of the cached folds' fit times.

Every cross-validation fold stores the seconds its fit and prediction took (``usvlib.crossval``);
with several folds training at once (``TrainingSettings.workers``) their sum exceeds the wall time.
After ``make reproduce`` (or ``PROFILE=quick``), this script finds, for each analysis of Figs
3-8 (the sex and the strain study), the newest cached run on the profile's synthetic data made
by the current code, and adds its folds up: the number the training budget is about (notebook
start-up, data loading and plotting not included), and the part of it that the repeated
controls and the extra seeds take.

    python benchmarks/training_budget.py [--profile default]
"""

from __future__ import annotations

import argparse
import json
import re

import numpy as np

from usvlib.crossval import cached_runs
from usvlib.dataset import load_dataset
from usvlib.paper.profiles import get_profile
from usvlib.paper.runners import fold_workers, linear_code, network_code, reference_code
from usvlib.paper.study import load_study
from usvlib.paths import synthetic_dir

FIGURE_ANALYSES = ("fig3-", "fig4-", "fig5-", "fig6-", "fig8-")
"""Name prefixes of the analyses ``make reproduce`` trains; other runs in the cache (e.g.
``seed_spread.py``'s) are not part of the budget."""


def newest_runs(study_key: str) -> dict:
    """{analysis name: its newest cached run folder} of Figs 3-8, for one study and the current code."""
    runs = {}
    found = [
        run for code in (network_code(), linear_code(), reference_code()) for run in cached_runs(study_key, code=code)
    ]
    found.sort(key=lambda run: (run / "config.json").stat().st_mtime)
    for run in found:  # oldest first: newer runs overwrite
        config = json.loads((run / "config.json").read_text())
        name = config["name"]
        if name == "seed-spread-dnn":  # Fig 3's extra training seeds share a name: tell them apart
            name = f"fig3-dnn-seed{config.get('seed', '?')}"
        if name.startswith(FIGURE_ANALYSES):
            runs[name] = run
    return runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="default")
    args = parser.parse_args()
    dataset = load_dataset(synthetic_dir(args.profile))
    total = controls = 0.0
    print(f"trainings of the {args.profile} profile (cached folds, newest run of each analysis):")
    for experiment in ("sex", "strain"):
        study = load_study(dataset, args.profile, experiment=experiment, progress=False)
        for name, folder in newest_runs(study.key).items():
            folds = sorted(folder.glob("fold-*.npz"))
            seconds = sum(float(np.load(f)["seconds"]) for f in folds)
            total += seconds
            # repeats beyond the first of a control, animal-level shuffles and extra seeds
            extra = bool(re.search(r"(-shuffled-[1-9]\d*$)|seed|animal-shuffled", name))
            controls += seconds if extra else 0.0
            print(f"  {name:36s} {len(folds):3d} folds {seconds:7.1f} s{'  (repeat)' if extra else ''}")
    print(f"  {'total':36s}           {total:7.1f} s = {total / 60:.1f} min")
    print(f"  {'of which repeats and seeds':36s}           {controls:7.1f} s = {controls / 60:.1f} min")
    workers = fold_workers(get_profile(args.profile))["workers"]
    if workers > 1:
        print(
            f"  (seconds of training summed over folds; {workers} folds train at once, so the wall time of "
            f"the trainings is about {total / workers / 60:.1f} min)"
        )


if __name__ == "__main__":
    main()
