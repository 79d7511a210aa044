"""Summaries of cross-validated results: per animal, class-balanced means, comparison rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from usvlib.crossval.inference import accuracy_statistics
from usvlib.crossval.runner import CVResult


def per_animal_accuracy(result: CVResult, animals, groups) -> pd.DataFrame:
    """Accuracy of each animal's USVs (the share of them predicted right), with its group.

    Parameters
    ----------
    result : CVResult
        A cross-validation whose predictions' ``index`` column indexes ``animals`` and ``groups``.
    animals, groups : array-like
        Animal and group (such as the strain) of every USV.

    Returns
    -------
    DataFrame
        One row per animal, in the order they first appear in the predictions, with columns
        ``animal``, ``group``, ``accuracy`` and ``n_usvs``.
    """
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

    Parameters
    ----------
    result : CVResult

    Returns
    -------
    float
        Balanced accuracy, as a fraction.
    """
    p = result.predictions
    fold_class = p.groupby("fold").y_true.agg(lambda v: v.iloc[0] if v.nunique() == 1 else -1)
    if (fold_class < 0).any():
        return result.mean
    scores = result.folds.set_index("fold").balanced_accuracy
    return float(scores.groupby(fold_class.reindex(scores.index).to_numpy()).mean().mean())


def summary_row(name: str, result: CVResult, **extra) -> dict:
    """One row of a comparison table: class-balanced mean, SD over folds, pooled accuracy.

    Parameters
    ----------
    name : str
        The model's name, in the ``model`` column.
    result : CVResult
    **extra
        Further columns, added after the others.

    Returns
    -------
    dict
        ``model``, ``mean`` (:func:`class_balanced_mean`), ``sd``, ``pooled``, ``n_folds``, the
        95 % interval over animals and its test (``ci_low``, ``ci_high``, ``p_value``: NaN where
        the result has no animals, ``inference.accuracy_statistics``) and the ``extra`` entries.
    """
    stats = accuracy_statistics(result) or {}
    return {
        "model": name,
        "mean": class_balanced_mean(result),
        "sd": result.sd,
        "pooled": result.pooled,
        "n_folds": len(result.folds),
        **{k: stats.get(k, np.nan) for k in ("ci_low", "ci_high", "p_value")},
        **extra,
    }


def side_by_side(results: list[CVResult]) -> CVResult:
    """Several single-task cross-validations on the same folds, as one result.

    The score columns of the results follow each other: the layout of one multi-head network's
    result.

    Parameters
    ----------
    results : list of CVResult
        Non-empty, all run on the same folds; their order is the order of the score columns.

    Returns
    -------
    CVResult
        Named after the first result, with its ``y_true``, ``y_pred``, per-fold accuracies, cache
        count and infos; ``score_0`` ... renumbered over all results, and the fold times summed.

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
    return CVResult(first.name, predictions, folds, first.classes, first.from_cache, first.infos, first.animals)


def average_repeats(results: list[CVResult]) -> CVResult:
    """Repeats of one cross-validation (e.g. shuffled controls with new permutations) as one.

    Parameters
    ----------
    results : list of CVResult
        Non-empty, on the same folds.

    Returns
    -------
    CVResult
        Every repeat's predictions one after another (with their animals), each fold's score
        the mean over the repeats (so ``mean`` is the mean of the repeats' means), test sizes
        and times summed; per-repeat infos under ``infos["repeats"]``.

    Raises
    ------
    ValueError
        For no results, or repeats on different folds.
    """
    if not results:
        raise ValueError("no repeats to average")
    first = results[0]
    names = list(first.folds.fold)
    for r in results[1:]:
        if list(r.folds.fold) != names:
            raise ValueError(f"{r.name} was not run on the same folds as {first.name}")
    folds = first.folds[["fold"]].copy()
    folds["balanced_accuracy"] = np.mean([r.folds.balanced_accuracy.to_numpy() for r in results], axis=0)
    folds["n_test"] = np.sum([r.folds.n_test.to_numpy() for r in results], axis=0)
    folds["seconds"] = np.sum([r.folds.seconds.to_numpy() for r in results], axis=0)
    animals = None if any(r.animals is None for r in results) else np.concatenate([r.animals for r in results])
    return CVResult(
        first.name,
        pd.concat([r.predictions for r in results], ignore_index=True),
        folds,
        first.classes,
        sum(r.from_cache for r in results),
        {"repeats": [r.infos for r in results]},
        animals,
    )
