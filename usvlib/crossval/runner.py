"""Running a cross-validation fold by fold, each fold cached as soon as it is done."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib._fingerprint import code_fingerprint
from usvlib._io import array_digest, atomic_path, json_digest, write_json_atomic
from usvlib._parallel import dask_client, in_order, process_map, scheduler_address
from usvlib.crossval.folds import (
    Fold,
    grouped_folds,
    leave_one_animal_out,
    random_folds,
    shuffled_labels,
    validation_split,
)
from usvlib.metrics import balanced_accuracy
from usvlib.paths import cache_dir


def config_key(config: dict) -> str:
    """A stable hash of a JSON-able configuration.

    Parameters
    ----------
    config : dict
        Serialised with sorted keys (values that JSON cannot hold are turned into ``str``), so the
        order of the keys does not change the hash.

    Returns
    -------
    str
        The first 16 hex digits of its SHA256.
    """
    return json_digest(config)


def split_fingerprint() -> str:
    """Fingerprint of this module's splits and controls: part of every run's cache key.

    Returns
    -------
    str
        :func:`~usvlib._fingerprint.code_fingerprint` of the split and shuffle functions, so a change
        to how folds are made starts the cached runs afresh.
    """
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
    animals: np.ndarray | None = None  # the animal of each prediction row, where the caller gave them

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
    """The cache folder of one cross-validation run: its folds and anything else it keeps (a saved network).

    The folder is keyed by the configuration, the code and the folds' test sets.

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
            "folds": [(f.name, array_digest(f.test)) for f in folds],
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
    """Run folders on one study made by the given code (of analysis ``name``, or all), newest first.

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


@contextmanager
def fold_threads(threads: int | None):
    """Run a block with ``threads`` BLAS and torch threads (unchanged when None), restored after.

    A fold's floating-point results depend on how many threads reduce its sums, so fixing the
    count per fold makes a fold the same whether it runs in this process or in a worker.
    """
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")  # only where the fold's code uses it
    before = torch.get_num_threads() if torch is not None else None
    try:
        with threadpool_limits(int(threads)):
            if torch is not None:
                torch.set_num_threads(int(threads))
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(before)


_PENDING: tuple | None = None
"""(fit_predict, run folder, threads) of the run whose folds worker processes fit: forked
workers inherit it, so ``fit_predict`` (a closure over the study's arrays) is never pickled."""


def _fit_and_store(fold: Fold) -> tuple[np.ndarray, float, dict]:
    """Fit one fold of the pending run, write its file (atomically) and return what it holds."""
    fit_predict, run_dir, threads = _PENDING
    return fit_and_store(fit_predict, run_dir, threads, fold)


def fit_and_store(fit_predict: Callable, run_dir: Path, threads: int | None, fold: Fold) -> tuple:
    """Fit one fold with ``threads`` threads and write ``fold-<name>.npz`` in ``run_dir`` (atomically).

    Returns
    -------
    (scores, seconds, info)
    """
    started = time.perf_counter()
    with fold_threads(threads):
        scores, info = fit_predict(fold)
    seconds = time.perf_counter() - started
    with atomic_path(run_dir / f"fold-{fold.name}.npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, scores=scores, seconds=seconds, info=json.dumps(info, default=float))
    return np.asarray(scores), seconds, info


def _fit_on_cluster(address: str, fit_predict: Callable, run_dir: Path, threads: int | None, folds: list):
    """The folds' results, in order, fitted as tasks of a Dask cluster."""
    with dask_client(address) as client:
        [shipped] = client.scatter([fit_predict], broadcast=True)
        futures = [
            client.submit(fit_and_store, shipped, run_dir, 1 if threads is None else threads, fold, pure=False)
            for fold in folds
        ]
        yield from in_order(client, futures)


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
    animals=None,
    workers: int = 1,
    threads: int | None = None,
    scheduler: str | None = None,
) -> CVResult:
    """Run ``fit_predict(fold) -> (scores (n_test, n_classes), info)`` on every fold, cached.

    Folds not in the cache are fitted in ``workers`` processes at once (forked, so that
    ``fit_predict`` may be any closure), each written as soon as it is done: an interrupted run
    keeps its finished folds. With ``threads`` fixed, a fold gives the same numbers whatever
    ``workers`` is.

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
    animals : array-like, optional
        The animal of every example: kept with the result (``CVResult.animals``, one per
        prediction row) for intervals and tests over animals (``crossval.inference``).
    workers : int
        Processes fitting folds at once (1: in this process). Each worker is one process; its
        BLAS and torch run ``threads`` threads (one where ``threads`` is None).
    threads : int, optional
        BLAS and torch threads of every fold, in this process and in workers alike (None: this
        process's settings; workers one).
    scheduler : str, optional
        A Dask scheduler's address (default ``$USVLIB_SCHEDULER``): the folds run on that
        cluster (``fit_predict`` sent once to every worker), their files written where the
        workers see the cache folder (a shared filesystem); ``workers`` is then ignored.

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
    if "fork" not in mp.get_all_start_methods():  # workers inherit the fold function by fork
        workers = 1
    workers = max(1, int(workers))
    done: dict[str, tuple] = {}
    missing = []
    for fold in folds:
        path = run_dir / f"fold-{fold.name}.npz"
        keeps = run_dir / fold_files.get(fold.name, path.name)
        if path.is_file() and keeps.is_file():
            with np.load(path, allow_pickle=False) as f:
                done[fold.name] = (f["scores"], float(f["seconds"]), json.loads(str(f["info"])))
            cached += 1
        else:
            missing.append(fold)
    if bar is not None:
        bar.update(cached)
    address = scheduler_address(scheduler)
    if address and missing:
        for fold, result in zip(missing, _fit_on_cluster(address, fit_predict, run_dir, threads, missing), strict=True):
            done[fold.name] = result
            if bar is not None:
                bar.update()
        missing = []
    global _PENDING
    _PENDING = (fit_predict, run_dir, threads if threads is not None or workers == 1 else 1)
    try:
        fitted = process_map(_fit_and_store, missing, workers=min(workers, len(missing)))
        for fold, result in zip(missing, fitted, strict=True):
            done[fold.name] = result
            if bar is not None:
                bar.update()
    finally:
        _PENDING = None
    for fold in folds:
        scores, seconds, info = done[fold.name]
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
        bar.close()
    predictions = pd.concat(rows, ignore_index=True)
    of_rows = None if animals is None else np.asarray(animals)[predictions["index"].to_numpy()]
    return CVResult(name, predictions, pd.DataFrame(fold_rows), tuple(classes), cached, infos, of_rows)
