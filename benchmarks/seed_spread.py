"""How much the across-animal sex network's accuracy depends on its seed (synthetic data).

The profile's DNN (``paper.fig3.across_animals_dnn``: the CPU network on call images in the
default profile) is cross-validated leave-one-animal-out once per seed; the seed drives the
initial weights, the batches and which training mice are held out for validation. Seed 0 is the
published run (its folds come from the cache ``make reproduce`` filled). The spread says how large
a difference between two inputs or networks, each trained with one seed, has to be before it
means anything: compare two variants only across several seeds.

    python benchmarks/seed_spread.py [--seeds 0,1,2] [--profile default]

About 3.5 minutes per seed that is not cached, on 2 cores.
"""

from __future__ import annotations

import argparse

import numpy as np

from usvlib.dataset import load_dataset
from usvlib.paper.fig3 import across_animals_dnn
from usvlib.paper.reproduce import prepare_synthetic
from usvlib.paper.study import load_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (0: the published run)")
    parser.add_argument("--profile", default="default")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if len(seeds) < 2:
        raise SystemExit("give at least two seeds, e.g. --seeds 0,1")
    study = load_study(load_dataset(prepare_synthetic(args.profile, progress=False)), args.profile, progress=False)
    folds = study.animal_folds()
    names = [f.name for f in folds]
    accuracy = {}
    for seed in seeds:
        result = across_animals_dnn(study, seed=seed, progress=False)
        # one animal per fold, all of one sex: its balanced accuracy is its accuracy
        acc = accuracy[seed] = result.folds.set_index("fold").balanced_accuracy.reindex(names).to_numpy(float)
        print(
            f"seed {seed}: {100 * acc.mean():.1f} ± {100 * acc.std(ddof=1):.1f} % over {len(acc)} animals", flush=True
        )
    table = np.stack([accuracy[s] for s in seeds])  # (seeds, animals)
    means = table.mean(axis=1)
    spread = table.max(axis=0) - table.min(axis=0)
    diffs = np.array([table[i] - table[j] for i in range(len(seeds)) for j in range(i + 1, len(seeds))])
    # a paired comparison of two single-seed runs over the same animals: the SD of its mean
    # difference when nothing but the seed differs
    sd_mean_diff = float(np.sqrt(np.mean(diffs.std(axis=1, ddof=1) ** 2) / table.shape[1]))
    listed = ", ".join(f"{100 * m:.1f}" for m in means)
    print(f"mean over animals, per seed: {listed} % (SD {100 * means.std(ddof=1):.1f})")
    print(
        f"per animal, largest minus smallest over the seeds: median {100 * np.median(spread):.1f}, "
        f"largest {100 * spread.max():.1f} points"
    )
    print(
        f"two single-seed runs differing only in the seed: SD of their paired mean difference "
        f"{100 * sd_mean_diff:.1f} points, so a difference under {200 * sd_mean_diff:.1f} points is not resolved"
    )


if __name__ == "__main__":
    main()
