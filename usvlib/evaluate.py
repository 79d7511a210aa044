"""Cross-validation as the paper did it, cached fold by fold.

* **Splits.** ``leave_one_animal_out`` (the 77 %: every USV of one mouse is the test set, 17
  folds) and ``random_folds`` (the 85 %: USVs shuffled with seed 0, 10 folds, so every mouse is
  in training and test). Training animals give a validation set (one animal of each class) for
  the budgeted schedules; the test animal never does.
* **Controls.** ``shuffled_labels`` permutes the labels over all USVs (seeded): a classifier
  trained on them must sit at chance.
* **Metric.** Balanced accuracy (mean of the per-class accuracies; chance 50 %). Across animals
  each fold holds one animal of one class, so a fold's score is that animal's accuracy; results
  are the mean +- SD over folds, as in the paper.
* **Cache.** ``cross_validate`` stores each fold's predictions as soon as it is done, under a
  key made of the task's configuration, the data and the code, written atomically; an
  interrupted run resumes with the folds not yet done, a changed configuration starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from usvlib._io import atomic_path, write_json_atomic
from usvlib.paths import cache_dir
from usvlib.train import balanced_accuracy


@dataclass(frozen=True)
class Fold:
    name: str
    train: np.ndarray
    test: np.ndarray


def leave_one_animal_out(animals) -> list[Fold]:
    """One fold per animal: its USVs are the test set, all others train."""
    animals = np.asarray(animals)
    return [Fold(str(a), np.flatnonzero(animals != a), np.flatnonzero(animals == a)) for a in pd.unique(animals)]


def random_folds(n: int, k: int = 10, *, seed: int = 0) -> list[Fold]:
    """``k`` folds of the USVs shuffled with ``seed`` (the paper: 10 folds, seed 0)."""
    order = np.random.default_rng(seed).permutation(n)
    parts = np.array_split(order, k)
    return [
        Fold(f"fold{i:02d}", np.sort(np.concatenate(parts[:i] + parts[i + 1 :])), np.sort(parts[i])) for i in range(k)
    ]


def first_folds_of_each_class(folds: list[Fold], labels, k: int) -> list[Fold]:
    """The first ``k`` folds whose left-out animal is of each class (class 0 first): a smaller,
    balanced benchmark set of leave-one-animal-out folds (each fold's test USVs share a label)."""
    labels = np.asarray(labels)
    classes = np.unique(labels[np.concatenate([f.test[:1] for f in folds])]) if folds else []
    return [f for c in classes for f in [g for g in folds if labels[g.test[0]] == c][:k]]


def validation_split(
    train: np.ndarray, animals, labels, *, seed: int, by_animal: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Split training indices into (fit, validation).

    ``by_animal``: one training animal of each class is held out (a new animal, like the test);
    otherwise 10 % of the training USVs, stratified by class.
    """
    rng = np.random.default_rng(seed)
    animals, labels = np.asarray(animals), np.asarray(labels)
    if by_animal:
        held = []
        for c in np.unique(labels[train]):
            candidates = pd.unique(animals[train][labels[train] == c])
            if len(candidates) > 1:
                held.append(rng.choice(candidates))
        if held:
            is_val = np.isin(animals[train], held)
            return train[~is_val], train[is_val]
    val = []
    for c in np.unique(labels[train]):
        idx = train[labels[train] == c]
        val.append(rng.choice(idx, size=max(1, len(idx) // 10), replace=False))
    val = np.sort(np.concatenate(val))
    return np.setdiff1d(train, val), val


def shuffled_labels(labels, *, seed: int) -> np.ndarray:
    """The labels permuted over all USVs (the shuffled-label control)."""
    return np.asarray(labels)[np.random.default_rng(seed).permutation(len(labels))]


def config_key(config: dict) -> str:
    """A stable hash of a JSON-able configuration."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def code_fingerprint() -> str:
    """Hash of the code that produces fold results: changed code, new results.

    The training, the networks, the analyses that define each fold's fit (``experiments``)
    and the splits; not the summaries, which are computed afresh from the cached predictions.
    """
    import inspect

    here = Path(__file__).parent
    digest = hashlib.sha256()
    files = [here / "train.py", here / "schedule.py", here / "experiments.py", *sorted((here / "models").glob("*.py"))]
    for path in files:
        digest.update(path.read_bytes())
    for func in (leave_one_animal_out, random_folds, validation_split, shuffled_labels):
        digest.update(inspect.getsource(func).encode())
    return digest.hexdigest()[:12]


@dataclass
class CVResult:
    """Predictions of every fold and their summaries."""

    name: str
    predictions: pd.DataFrame  # index, fold, y_true, y_pred, score_<class>...
    folds: pd.DataFrame  # fold, balanced_accuracy, n_test, seconds, info
    classes: tuple
    from_cache: int = 0
    infos: dict = field(default_factory=dict)

    @property
    def mean(self) -> float:
        return float(self.folds.balanced_accuracy.mean())

    @property
    def sd(self) -> float:
        return float(self.folds.balanced_accuracy.std(ddof=1)) if len(self.folds) > 1 else 0.0

    @property
    def pooled(self) -> float:
        """Balanced accuracy of all test predictions together."""
        return balanced_accuracy(self.predictions.y_true, self.predictions.y_pred)

    def summary(self) -> dict:
        return {
            "mean": self.mean,
            "sd": self.sd,
            "pooled": self.pooled,
            "n_folds": len(self.folds),
            "n_predictions": len(self.predictions),
        }


def _cv_root(cache: str | os.PathLike | None) -> Path:
    return Path(cache) if cache else cache_dir() / "cv"


def run_folder(name: str, config: dict, folds: list[Fold], *, cache: str | os.PathLike | None = None) -> Path:
    """The cache folder of one cross-validation run: its folds, and anything else the run keeps
    (a saved network), keyed by the configuration, the code and the folds' test sets.

    Created on first use, with a ``config.json`` whose time stamp is when the run began.
    """
    folder = _cv_root(cache)
    code = code_fingerprint()
    key = config_key(
        {
            **config,
            "name": name,
            "code": code,
            "folds": [(f.name, hashlib.sha256(f.test.tobytes()).hexdigest()[:12]) for f in folds],
        }
    )
    run_dir = folder / f"{name}-{key}"
    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / "config.json").is_file():
        write_json_atomic(run_dir / "config.json", {"name": name, "code": code, **config})
    return run_dir


def cached_runs(study_key: str, name: str | None = None, *, cache: str | os.PathLike | None = None) -> list[Path]:
    """Run folders on one study made by the current code (of analysis ``name``, or all), newest
    first."""
    folder = _cv_root(cache)
    code = code_fingerprint()
    found = []
    for config in folder.glob(f"{name + '-' if name else ''}*/config.json"):
        meta = json.loads(config.read_text())
        if meta.get("study") != study_key or meta.get("code") != code or (name and meta.get("name") != name):
            continue
        found.append((config.stat().st_mtime, config.parent))
    return [run for _, run in sorted(found, key=lambda t: t[0], reverse=True)]


def cross_validate(
    name: str,
    fit_predict: Callable,
    folds: list[Fold],
    labels,
    *,
    config: dict,
    classes: tuple = (0, 1),
    cache: str | os.PathLike | None = None,
    progress: bool = False,
    fold_files: dict[str, str] | None = None,
) -> CVResult:
    """Run ``fit_predict(fold) -> (scores (n_test, n_classes), info)`` on every fold, cached.

    ``labels`` are the true classes (0..k-1) of all examples; a fold's score is the balanced
    accuracy of its predictions (the arg-max of the scores) against them. ``fold_files`` names,
    per fold, a file that ``fit_predict`` writes into the run's folder (``run_folder``), such as
    a trained network: a cached fold without it counts as not done and is fitted again.
    """
    fold_files = fold_files or {}
    labels = np.asarray(labels)
    run_dir = run_folder(name, config, folds, cache=cache)
    rows, fold_rows, infos, cached = [], [], {}, 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(folds), desc=name, unit="fold", leave=False)
    for fold in folds:
        path = run_dir / f"fold-{fold.name}.npz"
        keeps = run_dir / fold_files.get(fold.name, path.name)
        if path.is_file() and keeps.is_file():
            with np.load(path, allow_pickle=False) as f:
                scores, seconds, info = f["scores"], float(f["seconds"]), json.loads(str(f["info"]))
            cached += 1
        else:
            started = time.perf_counter()
            scores, info = fit_predict(fold)
            seconds = time.perf_counter() - started
            with atomic_path(path) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, scores=scores, seconds=seconds, info=json.dumps(info, default=float))
        pred = scores.argmax(axis=1)
        y = labels[fold.test]
        frame = pd.DataFrame({"index": fold.test, "fold": fold.name, "y_true": y, "y_pred": pred})
        for j in range(scores.shape[1]):
            frame[f"score_{j}"] = scores[:, j]
        rows.append(frame)
        fold_rows.append(
            {"fold": fold.name, "balanced_accuracy": balanced_accuracy(y, pred), "n_test": len(y), "seconds": seconds}
        )
        infos[fold.name] = info
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return CVResult(name, pd.concat(rows, ignore_index=True), pd.DataFrame(fold_rows), tuple(classes), cached, infos)


def per_animal_accuracy(result: CVResult, animals, groups) -> pd.DataFrame:
    """Accuracy of each animal's USVs (its class's share predicted right), with its group."""
    animals, groups = np.asarray(animals), np.asarray(groups)
    p = result.predictions
    frame = pd.DataFrame(
        {"animal": animals[p["index"]], "group": groups[p["index"]], "correct": (p.y_true == p.y_pred).to_numpy()}
    )
    return (
        frame.groupby(["animal", "group"], sort=False)
        .correct.agg(["mean", "size"])
        .rename(columns={"mean": "accuracy", "size": "n_usvs"})
        .reset_index()
    )


def compare_groups(per_animal: pd.DataFrame, a: str = "male", b: str = "female") -> dict:
    """Wilcoxon rank-sum test of the per-animal accuracies of two groups (Fig 3D)."""
    x = per_animal.loc[per_animal.group == a, "accuracy"]
    y = per_animal.loc[per_animal.group == b, "accuracy"]
    test = stats.ranksums(x, y)
    return {"mean_" + a: float(x.mean()), "mean_" + b: float(y.mean()), "p": float(test.pvalue)}
