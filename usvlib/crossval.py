"""Cross-validation as the paper did it: folds, runners, the fold cache, shuffled controls.

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
  key made of the task's configuration, the folds and the fingerprint of the code that defines
  the fit (given by the caller: ``usvlib._fingerprint.code_fingerprint`` of its functions),
  written atomically; an interrupted run resumes with the folds not yet done, a changed
  configuration or code starts afresh. The summaries are computed afresh from the predictions,
  so their code is not part of the key.
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

from usvlib._fingerprint import code_fingerprint
from usvlib._io import atomic_path, write_json_atomic
from usvlib.metrics import balanced_accuracy
from usvlib.paths import cache_dir


@dataclass(frozen=True)
class Fold:
    """One split: its name (the left-out animal, or ``fold03``) and the row indices of each side."""

    name: str
    train: np.ndarray
    test: np.ndarray


def leave_one_animal_out(animals) -> list[Fold]:
    """One fold per animal: its USVs are the test set, all others train.

    Parameters
    ----------
    animals : array-like
        The animal of each USV.

    Returns
    -------
    list of Fold
        In the order the animals first appear, each named after its animal.

    Examples
    --------
    >>> [f.name for f in leave_one_animal_out(["a", "a", "b"])]
    ['a', 'b']
    """
    animals = np.asarray(animals)
    return [Fold(str(a), np.flatnonzero(animals != a), np.flatnonzero(animals == a)) for a in pd.unique(animals)]


def random_folds(n: int, k: int = 10, *, seed: int = 0) -> list[Fold]:
    """``k`` folds of the USVs shuffled with ``seed`` (the paper: 10 folds, seed 0).

    Parameters
    ----------
    n : int
        Number of USVs.
    k : int
        Number of folds (each test set ``n / k`` USVs).
    seed : int

    Returns
    -------
    list of Fold
        Named ``fold00`` ... with sorted indices.
    """
    order = np.random.default_rng(seed).permutation(n)
    parts = np.array_split(order, k)
    return [
        Fold(f"fold{i:02d}", np.sort(np.concatenate(parts[:i] + parts[i + 1 :])), np.sort(parts[i])) for i in range(k)
    ]


def grouped_folds(animals, k: int) -> list[Fold]:
    """``k`` folds of whole animals, round robin over the animals in the order they appear.

    Parameters
    ----------
    animals : array-like
        The animal of each USV.
    k : int

    Returns
    -------
    list of Fold
        Named ``group00`` ...; every USV of an animal is on one side.
    """
    animals = np.asarray(animals)
    names = pd.unique(animals)
    out = []
    for i in range(k):
        test = np.flatnonzero(np.isin(animals, names[i::k]))
        out.append(Fold(f"group{i:02d}", np.setdiff1d(np.arange(len(animals)), test), test))
    return out


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

    Parameters
    ----------
    train : ndarray of int
        Training indices of a fold.
    animals, labels : array-like
        Animal and class of every USV.
    seed : int
    by_animal : bool
        One training animal of each class is held out (a new animal, like the test); otherwise
        (or for a class with one animal) 10 % of the training USVs, stratified by class.

    Returns
    -------
    fit, validation : ndarray of int
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
    """The labels permuted over all USVs (the shuffled-label control).

    Parameters
    ----------
    labels : array-like
    seed : int

    Returns
    -------
    ndarray
        The same labels in a random order: any link between a USV and its class is gone.
    """
    return np.asarray(labels)[np.random.default_rng(seed).permutation(len(labels))]


def config_key(config: dict) -> str:
    """A stable hash of a JSON-able configuration."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def split_fingerprint() -> str:
    """Fingerprint of this module's splits and controls: part of every run's cache key."""
    return code_fingerprint(leave_one_animal_out, random_folds, grouped_folds, validation_split, shuffled_labels)


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
        """Mean balanced accuracy over folds."""
        return float(self.folds.balanced_accuracy.mean())

    @property
    def sd(self) -> float:
        """Standard deviation over folds (ddof 1; 0 for one fold)."""
        return float(self.folds.balanced_accuracy.std(ddof=1)) if len(self.folds) > 1 else 0.0

    @property
    def pooled(self) -> float:
        """Balanced accuracy of all test predictions together."""
        return balanced_accuracy(self.predictions.y_true, self.predictions.y_pred)

    def summary(self) -> dict:
        """Mean, SD, pooled accuracy and counts as a dict."""
        return {
            "mean": self.mean,
            "sd": self.sd,
            "pooled": self.pooled,
            "n_folds": len(self.folds),
            "n_predictions": len(self.predictions),
        }


def _cv_root(cache: str | os.PathLike | None) -> Path:
    return Path(cache) if cache else cache_dir() / "cv"


def run_folder(
    name: str, config: dict, folds: list[Fold], *, code: str, cache: str | os.PathLike | None = None
) -> Path:
    """The cache folder of one cross-validation run: its folds, and anything else the run keeps
    (a saved network), keyed by the configuration, the code and the folds' test sets.

    Parameters
    ----------
    name : str
        The analysis (``fig3-dnn``); the folder's name starts with it.
    config : dict
        Everything (JSON-able) that defines the fit besides the code.
    folds : list of Fold
    code : str
        Fingerprint of the code that defines the fit (``code_fingerprint`` of its functions);
        the splits' own code is added here.
    cache : path, optional
        Root of the run folders (default ``data/cache/cv``).

    Returns
    -------
    Path
        Created on first use, with a ``config.json`` whose time stamp is when the run began.
    """
    folder = _cv_root(cache)
    code = f"{code}-{split_fingerprint()}"
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


def cached_runs(
    study_key: str, name: str | None = None, *, code: str, cache: str | os.PathLike | None = None
) -> list[Path]:
    """Run folders on one study made by the given code (of analysis ``name``, or all), newest
    first.

    Parameters
    ----------
    study_key : str
        The ``study`` entry of the runs' configuration.
    name : str, optional
    code : str
        As given to :func:`run_folder`.
    cache : path, optional

    Returns
    -------
    list of Path
    """
    folder = _cv_root(cache)
    code = f"{code}-{split_fingerprint()}"
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
    code: str,
    classes: tuple = (0, 1),
    cache: str | os.PathLike | None = None,
    progress: bool = False,
    fold_files: dict[str, str] | None = None,
) -> CVResult:
    """Run ``fit_predict(fold) -> (scores (n_test, n_classes), info)`` on every fold, cached.

    Parameters
    ----------
    name : str
        The analysis; with ``config``, ``code`` and the folds it names the cache folder.
    fit_predict : callable
        Fits on ``fold.train`` and returns the scores of ``fold.test`` and a JSON-able dict.
    folds : list of Fold
    labels : array-like of int
        The true classes (0..k-1) of all examples; a fold's score is the balanced accuracy of
        its predictions (the arg-max of the scores) against them.
    config : dict
        What defines the fit besides the code (:func:`run_folder`).
    code : str
        Fingerprint of the code that defines the fit.
    classes : tuple
    cache : path, optional
    progress : bool
        A progress bar over folds.
    fold_files : dict, optional
        Per fold, a file that ``fit_predict`` writes into the run's folder (``run_folder``),
        such as a trained network: a cached fold without it counts as not done and is fitted
        again.

    Returns
    -------
    CVResult
    """
    fold_files = fold_files or {}
    labels = np.asarray(labels)
    run_dir = run_folder(name, config, folds, code=code, cache=cache)
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


def class_balanced_mean(result: CVResult) -> float:
    """Mean fold score, the folds of each class averaged first when every fold holds one class.

    Each leave-one-animal-out fold is one animal of one class, so a plain mean over folds
    weighs the classes by their numbers of animals (and, with the few folds of a control, by
    chance): the mean over the classes of their folds' mean stays balanced. With 9 + 8 animals
    the two agree within a point. Folds that mix classes: the plain mean.
    """
    p = result.predictions
    fold_class = p.groupby("fold").y_true.agg(lambda v: v.iloc[0] if v.nunique() == 1 else -1)
    if (fold_class < 0).any():
        return result.mean
    scores = result.folds.set_index("fold").balanced_accuracy
    return float(scores.groupby(fold_class.reindex(scores.index).to_numpy()).mean().mean())


def summary_row(name: str, result: CVResult, **extra) -> dict:
    """One row of a comparison table: class-balanced mean, SD over folds, pooled accuracy."""
    return {
        "model": name,
        "mean": class_balanced_mean(result),
        "sd": result.sd,
        "pooled": result.pooled,
        "n_folds": len(result.folds),
        **extra,
    }


def side_by_side(results: list[CVResult]) -> CVResult:
    """The predictions of several single-task cross-validations on the same folds as one result
    whose score columns follow each other (the layout of one multi-head network's result).

    Raises
    ------
    ValueError
        If the results were not run on the same folds.
    """
    first = results[0]
    columns, offset = [], 0
    for r in results:
        if not np.array_equal(r.predictions["index"].to_numpy(), first.predictions["index"].to_numpy()):
            raise ValueError(f"{r.name} was not run on the same folds as {first.name}")
        scores = r.predictions.filter(regex=r"^score_\d+$")
        columns.append(scores.set_axis([f"score_{offset + j}" for j in range(scores.shape[1])], axis=1))
        offset += scores.shape[1]
    predictions = pd.concat([first.predictions[["index", "fold", "y_true", "y_pred"]], *columns], axis=1)
    folds = first.folds.assign(seconds=sum(r.folds.seconds.to_numpy() for r in results))
    return CVResult(first.name, predictions, folds, first.classes, first.from_cache, first.infos)
