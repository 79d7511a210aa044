"""Folds trained at once: one process on 2 threads (the old default) against 2 worker processes on 1 thread each.

A leave-one-animal-out cross-validation of the default profile's sex network (``CallCNN`` on
call images, the default schedule) on random inputs of the default study's size (9 800 USVs, 17
animals), 4 folds, through ``usvlib.crossval.cross_validate``: in this process with 2 and with 1
torch thread, and in 2 forked workers with 1 thread each. Prints the seconds and the ratio to
the first, all in this process, and checks that 1 worker and 2 workers on 1 thread give the
same scores.

    python benchmarks/fold_workers.py [--folds 4]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from usvlib.crossval import cross_validate, leave_one_animal_out
from usvlib.models.cnn import CallCNN
from usvlib.paper.profiles import get_profile
from usvlib.train import fit_network, predict_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=4)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n, n_animals = 9_800, 17
    animals = np.repeat(np.arange(n_animals), n // n_animals + 1)[:n].astype(str)
    y = (animals.astype(int) % 2).astype(int)
    x = rng.standard_normal((n, 2, 48, 32)).astype(np.float32) + 0.3 * y[:, None, None, None]
    schedule = get_profile("default").training.schedule
    folds = leave_one_animal_out(animals)[: args.folds]

    def fit_predict(fold):
        torch.manual_seed(0)
        model = CallCNN()
        val = fold.train[:800]
        fit_network(model, x[fold.train], y[fold.train], schedule, val=(x[val], y[val]), seed=0, images=False)
        return predict_scores(model, x[fold.test]), {}

    rows = [("1 process, 2 threads (before)", 1, 2), ("1 process, 1 thread", 1, 1), ("2 workers, 1 thread each", 2, 1)]
    base = None
    scores = {}
    print(f"{args.folds} leave-one-animal-out folds of CallCNN on {n} random call images, default schedule:")
    for i, (name, workers, threads) in enumerate(rows):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            result = cross_validate(
                f"bench{i}", fit_predict, folds, y, config={}, code="bench", cache=tmp, workers=workers, threads=threads
            )
            seconds = time.perf_counter() - started
        scores[(workers, threads)] = result.predictions.filter(like="score_").to_numpy()
        base = base or seconds
        print(f"  {name:32s} {seconds:6.1f} s   speed-up {base / seconds:4.2f}x")
    same = np.array_equal(scores[(1, 1)], scores[(2, 1)])
    print(f"  1 and 2 workers on 1 thread give identical scores: {same}")


if __name__ == "__main__":
    main()
