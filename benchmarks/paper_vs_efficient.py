"""Budgeted comparison of the paper's network (PaperCNN) and the CPU network (EfficientCNN).

Both networks train on the same USVs, with the same schedule, seed and augmentation, and are
tested on the same held-out mice (new animals, as in leave-one-animal-out). The paper's network
trains at ≈9 images/s on a 2-core CPU, so the budget is small: a class-balanced subsample of
the training mice's USVs for a few epochs. The script prints each network's balanced accuracy
on the held-out mice, the difference, and the ratio of their training times measured in this
process (the ratio carries over between machines, the absolute times do not). It also trains the
CPU network on all training USVs with the default profile's schedule, for context.

    python benchmarks/paper_vs_efficient.py [--train-usvs 1500] [--epochs 2] [--test-mice 4]
        [--test-usvs 1000] [--data data/synthetic/default] [--threads 2]

Uses the default profile's synthetic dataset (generated and extracted first if absent).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from usvlib.dataset import load_dataset
from usvlib.models.cnn import EfficientCNN, PaperCNN
from usvlib.paper.profiles import get_profile
from usvlib.paper.study import load_study
from usvlib.schedule import Schedule, Stage
from usvlib.train import balanced_accuracy, fit_network, predict_scores


def held_out_mice(labels: np.ndarray, animals: np.ndarray, n: int) -> list[str]:
    """``n`` mice, half of each class, in file order (the same for every run)."""
    out = []
    for c in (0, 1):
        mice = list(dict.fromkeys(animals[labels == c]))
        out += mice[: n // 2 + (n % 2 if c == 0 else 0)]
    return out


def balanced_subsample(idx: np.ndarray, labels: np.ndarray, n: int, rng) -> np.ndarray:
    per_class = n // 2
    picks = [
        rng.choice(idx[labels[idx] == c], min(per_class, int((labels[idx] == c).sum())), replace=False) for c in (0, 1)
    ]
    return np.sort(np.concatenate(picks))


def train_and_test(model, x_train, y_train, x_test, y_test, schedule, seed):
    log = fit_network(model, x_train, y_train, schedule, seed=seed)
    started = time.perf_counter()
    scores = predict_scores(model, x_test)
    predict_s = time.perf_counter() - started
    return balanced_accuracy(y_test, scores.argmax(axis=1)), log.seconds, predict_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="dataset folder (default: the default profile's synthetic data)")
    parser.add_argument("--train-usvs", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (the paper's first stage)")
    parser.add_argument("--test-mice", type=int, default=4)
    parser.add_argument("--test-usvs", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.data is None:
        from usvlib.paper.reproduce import prepare_synthetic

        data = prepare_synthetic("default")
    else:
        data = args.data
    study = load_study(load_dataset(data), "default", progress=False)
    y, animals = study.labels, study.animals
    rng = np.random.default_rng(args.seed)
    test_mice = held_out_mice(y, animals, args.test_mice)
    is_test = np.isin(animals, test_mice)
    train_all = np.flatnonzero(~is_test)
    train = balanced_subsample(train_all, y, args.train_usvs, rng)
    test = np.flatnonzero(is_test)
    test = np.sort(rng.choice(test, min(args.test_usvs, len(test)), replace=False))
    x = study.images
    budget = Schedule(stages=(Stage(args.epochs, args.lr, 0.2),))
    print(
        f"held-out mice: {', '.join(test_mice)}; {len(train)} training USVs, {len(test)} test USVs, "
        f"{args.epochs} epochs, torch threads {args.threads}",
        flush=True,
    )

    rows = []
    for name, make in (("PaperCNN", PaperCNN), ("EfficientCNN", EfficientCNN)):
        torch.manual_seed(args.seed)
        acc, train_s, predict_s = train_and_test(make(), x[train], y[train], x[test], y[test], budget, args.seed)
        rows.append((name, acc, train_s, predict_s))
        print(
            f"{name:14s} balanced accuracy {acc:.3f}  training {train_s:8.1f} s  prediction {predict_s:6.1f} s",
            flush=True,
        )
    (_, paper_acc, paper_s, paper_p), (_, eff_acc, eff_s, eff_p) = rows
    print(f"accuracy difference (EfficientCNN - PaperCNN): {100 * (eff_acc - paper_acc):+.1f} points")
    print(
        f"training-time ratio PaperCNN / EfficientCNN: {paper_s / eff_s:.0f}x; "
        f"prediction-time ratio: {paper_p / eff_p:.0f}x"
    )

    # context: the CPU network with the default profile's whole budget on all training USVs
    default = get_profile("default").training.schedule
    acc, train_s, _ = train_and_test(EfficientCNN(), x[train_all], y[train_all], x[test], y[test], default, args.seed)
    print(
        f"EfficientCNN, default schedule on all {len(train_all)} training USVs: {acc:.3f} "
        f"({train_s:.0f} s, {paper_s / train_s:.1f}x less than the budgeted PaperCNN)"
    )


if __name__ == "__main__":
    main()
