"""How sure a cross-validated accuracy is: intervals and tests that respect animals.

USVs of one animal are not independent (each mouse has its own voice, Fig 5), so both the
interval and the test treat the animal as the unit:

* ``per_animal_positive``: each animal's share of USVs predicted as the positive class.
* ``balanced_accuracy_by_animal``: the mean over the two classes of their animals' mean
  accuracy (each animal weighs the same; with one animal per leave-one-animal-out fold this is
  the class-balanced mean over folds).
* ``bootstrap_interval``: a percentile interval of that accuracy from resampling animals with
  replacement within each class (seeded).
* ``permutation_p_value``: the null of no class information, with each animal's USVs kept
  together: the animals' class labels are permuted (all relabellings when there are few enough,
  else a seeded sample) and the accuracy recomputed from the per-animal shares; the p-value is
  the share of relabellings scoring at least the observed accuracy (one-sided).
* ``identity_statistics``: the same for a many-class accuracy (which animal): animals resampled
  for the interval, predictions permuted over USVs for the test.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_EXACT = 100_000
"""All relabellings are enumerated up to this many (C(17, 8) = 24 310 for the paper's 9 + 8)."""


@dataclass(frozen=True)
class AnimalScores:
    """One row per animal: its class (0/1), its share of USVs predicted 1, its USVs."""

    animal: np.ndarray
    label: np.ndarray
    positive_share: np.ndarray
    n_usvs: np.ndarray

    @property
    def accuracy(self) -> np.ndarray:
        """Each animal's share of USVs predicted right."""
        return np.where(self.label == 1, self.positive_share, 1.0 - self.positive_share)


def per_animal_positive(predictions: pd.DataFrame, animals) -> AnimalScores:
    """Each animal's share of USVs predicted as class 1.

    Parameters
    ----------
    predictions : DataFrame
        ``index`` (into ``animals``), ``y_true`` and ``y_pred`` (0/1), as ``CVResult.predictions``.
    animals : array-like
        The animal of every USV.

    Returns
    -------
    AnimalScores

    Raises
    ------
    ValueError
        If an animal's USVs carry both classes (the label must be the animal's), or the labels
        are not 0/1.
    """
    animals = np.asarray(animals)
    frame = pd.DataFrame(
        {
            "animal": animals[predictions["index"].to_numpy()],
            "y_true": predictions.y_true.to_numpy(),
            "positive": predictions.y_pred.to_numpy() == 1,
        }
    )
    if not frame.y_true.isin([0, 1]).all():
        raise ValueError("per-animal tests need two classes, 0 and 1")
    by = frame.groupby("animal", sort=True)
    if (by.y_true.nunique() > 1).any():
        raise ValueError("an animal's USVs carry both classes: the class must be a property of the animal")
    table = by.agg(label=("y_true", "first"), positive_share=("positive", "mean"), n_usvs=("positive", "size"))
    return AnimalScores(
        table.index.to_numpy(),
        table.label.to_numpy(int),
        table.positive_share.to_numpy(float),
        table.n_usvs.to_numpy(int),
    )


def balanced_accuracy_by_animal(scores: AnimalScores) -> float:
    """The mean over the two classes of their animals' mean accuracy (chance: 0.5).

    Parameters
    ----------
    scores : AnimalScores

    Returns
    -------
    float
    """
    return float(np.mean([scores.accuracy[scores.label == c].mean() for c in (0, 1)]))


def bootstrap_interval(
    scores: AnimalScores, *, n_resamples: int = 10_000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """A percentile interval of :func:`balanced_accuracy_by_animal`, animals resampled within class.

    Parameters
    ----------
    scores : AnimalScores
    n_resamples : int
    level : float
        Coverage of the interval (0.95: the 2.5th and 97.5th percentiles).
    seed : int

    Returns
    -------
    (float, float)

    Raises
    ------
    ValueError
        If a class has no animal, or ``level`` is not in (0, 1).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    per_class = []
    for c in (0, 1):
        acc = scores.accuracy[scores.label == c]
        if not len(acc):
            raise ValueError(f"no animal of class {c}: an interval over animals needs both classes")
        per_class.append(acc[rng.integers(0, len(acc), size=(n_resamples, len(acc)))].mean(axis=1))
    stat = (per_class[0] + per_class[1]) / 2
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(stat, [tail, 100 - tail])
    return float(low), float(high)


def permutation_p_value(scores: AnimalScores, *, n_permutations: int = 10_000, seed: int = 0) -> float:
    """One-sided p-value of the per-animal accuracy under relabelled animals.

    Parameters
    ----------
    scores : AnimalScores
    n_permutations : int
        Drawn (seeded) when the relabellings are more than ``MAX_EXACT``; else all are used.
    seed : int

    Returns
    -------
    float
        Exact: the share of all relabellings (the observed one among them) whose accuracy is at
        least the observed; sampled: ``(1 + hits) / (1 + n_permutations)``.
    """
    share, label = scores.positive_share, scores.label
    n, k = len(label), int(label.sum())
    observed = balanced_accuracy_by_animal(scores)
    tolerance = 1e-12  # the observed labelling must count as a hit despite rounding
    if math.comb(n, k) <= MAX_EXACT:
        positive = np.zeros((math.comb(n, k), n), bool)
        for row, chosen in enumerate(itertools.combinations(range(n), k)):
            positive[row, list(chosen)] = True
        exact = True
    else:
        rng = np.random.default_rng(seed)
        positive = np.argsort(rng.random((n_permutations, n)), axis=1) < k
        exact = False
    mean_pos = (positive * share).sum(axis=1) / k
    mean_neg = ((~positive) * (1 - share)).sum(axis=1) / (n - k)
    hits = int(np.sum((mean_pos + mean_neg) / 2 >= observed - tolerance))
    return hits / len(positive) if exact else (1 + hits) / (1 + n_permutations)


def accuracy_statistics(result, *, level: float = 0.95, seed: int = 0) -> dict | None:
    """Interval and test over animals of a cross-validated two-class result.

    Parameters
    ----------
    result : CVResult
        With ``animals`` (``cross_validate(..., animals=...)``).
    level : float
    seed : int
        Drives the resampling (and the sampled permutations, where enumeration is too long).

    Returns
    -------
    dict or None
        ``accuracy_by_animal``, ``ci_low``, ``ci_high``, ``p_value``, ``n_animals``, ``level``
        and a ``method`` sentence; None where the result has no animals, more than two classes,
        or labels that change within an animal (a per-USV shuffled control).
    """
    if getattr(result, "animals", None) is None or len(result.classes) != 2:
        return None
    predictions = result.predictions.assign(index=np.arange(len(result.predictions)))
    try:
        scores = per_animal_positive(predictions, result.animals)
    except ValueError:
        return None
    if len(set(scores.label)) < 2:
        return None
    low, high = bootstrap_interval(scores, level=level, seed=seed)
    n, k = len(scores.label), int(scores.label.sum())
    exact = math.comb(n, k) <= MAX_EXACT
    return {
        "accuracy_by_animal": balanced_accuracy_by_animal(scores),
        "ci_low": low,
        "ci_high": high,
        "p_value": permutation_p_value(scores, seed=seed),
        "n_animals": n,
        "level": level,
        "method": (
            f"{round(100 * level)} % percentile bootstrap over animals (resampled within class); "
            f"p: {'all' if exact else 'sampled'} relabellings of the {n} animals' classes, one-sided"
        ),
    }


def paired_sign_flip_p_value(a, b, *, n_permutations: int = 10_000, seed: int = 0) -> float:
    """One-sided p-value that ``a`` exceeds ``b`` on paired units (e.g. animals).

    The null: each unit's difference ``a - b`` is as likely negative as positive. All 2**n sign
    flips are used up to ``MAX_EXACT``; beyond, a seeded sample.

    Parameters
    ----------
    a, b : array-like (n,)
        Paired scores (e.g. each animal's accuracy under two classifiers).
    n_permutations : int
    seed : int

    Returns
    -------
    float
        The share of sign flips whose mean difference is at least the observed one (exact), or
        ``(1 + hits) / (1 + n_permutations)``.

    Raises
    ------
    ValueError
        For arrays of different lengths or without units.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim != 1 or len(a) == 0 or a.shape != b.shape:
        raise ValueError(f"paired scores need two arrays of the same, non-zero length, got {a.shape} and {b.shape}")
    d = a - b
    observed = d.mean()
    n = len(d)
    if 2**n <= MAX_EXACT * 2:  # 2**17 = 131 072: the paper's 17 animals enumerated
        signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        exact = True
    else:
        signs = np.where(np.random.default_rng(seed).random((n_permutations, n)) < 0.5, -1, 1)
        exact = False
    hits = int(np.sum((signs * d).mean(axis=1) >= observed - 1e-12))
    return hits / len(signs) if exact else (1 + hits) / (1 + n_permutations)


def fold_scores(result) -> pd.Series:
    """Each fold's balanced accuracy, by fold name (one animal per leave-one-animal-out fold)."""
    return result.folds.set_index("fold").balanced_accuracy


def paired_comparison(better, worse, *, seed: int = 0) -> dict:
    """Whether ``better`` beats ``worse`` on the folds they share (paired over folds = animals).

    Parameters
    ----------
    better, worse : CVResult or list of CVResult
        A list is averaged fold by fold first (e.g. repeated shuffled controls).
    seed : int

    Returns
    -------
    dict
        ``mean_difference`` (better - worse, mean over shared folds), ``p_value``
        (:func:`paired_sign_flip_p_value`, one-sided) and ``n_folds``.
    """

    def scores(r) -> pd.Series:
        runs = r if isinstance(r, list | tuple) else [r]
        return pd.concat([fold_scores(x) for x in runs], axis=1).mean(axis=1)

    a, b = scores(better), scores(worse)
    shared = a.index.intersection(b.index)
    a, b = a[shared].to_numpy(), b[shared].to_numpy()
    return {
        "mean_difference": float(np.mean(a - b)),
        "p_value": paired_sign_flip_p_value(a, b, seed=seed),
        "n_folds": len(shared),
    }


def identity_statistics(
    y_true,
    y_pred,
    *,
    level: float = 0.95,
    n_resamples: int = 10_000,
    n_permutations: int = 2_000,
    seed: int = 0,
) -> dict:
    """Interval and test of a many-class accuracy, such as naming the animal of each USV.

    The interval resamples the true classes (the animals) with replacement, each with all its
    USVs, and recomputes the share named right: an animal's USVs are not independent. The test
    permutes the predictions over the USVs (the null: the predicted class carries nothing about
    the true one, whatever the classes' sizes and the classifier's preferences).

    Parameters
    ----------
    y_true, y_pred : array-like of int (n,)
        The true and the predicted class of every example.
    level : float
        Coverage of the interval.
    n_resamples, n_permutations : int
    seed : int

    Returns
    -------
    dict
        ``accuracy`` (share right), ``ci_low``, ``ci_high``, ``p_value`` (one-sided,
        ``(1 + hits) / (1 + n_permutations)``) and ``chance_permuted`` (the mean accuracy under
        the null: what a classifier with the same predictions but no information scores).

    Raises
    ------
    ValueError
        If the arrays differ in length or are empty, or ``level`` is not in (0, 1).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred) or not len(y_true):
        raise ValueError(f"y_true and y_pred need the same, non-zero length; got {len(y_true)} and {len(y_pred)}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    right = y_true == y_pred
    classes, cls = np.unique(y_true, return_inverse=True)
    correct = np.bincount(cls, weights=right, minlength=len(classes))
    counts = np.bincount(cls, minlength=len(classes)).astype(float)
    picks = rng.integers(0, len(classes), size=(n_resamples, len(classes)))
    stat = correct[picks].sum(axis=1) / counts[picks].sum(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(stat, [tail, 100 - tail])
    observed = float(right.mean())
    null = np.array([np.mean(y_true == rng.permutation(y_pred)) for _ in range(n_permutations)])
    hits = int(np.sum(null >= observed - 1e-12))
    return {
        "accuracy": observed,
        "ci_low": float(low),
        "ci_high": float(high),
        "p_value": (1 + hits) / (1 + n_permutations),
        "chance_permuted": float(null.mean()),
    }


def multiclass_statistics(
    y_true,
    y_pred,
    animals,
    n_classes: int,
    *,
    level: float = 0.95,
    n_resamples: int = 10_000,
    n_permutations: int = 10_000,
    seed: int = 0,
) -> dict:
    """Balanced accuracy over animals, its interval and a test against chance, for any number of classes.

    Each animal's calls are summarised by the share predicted as each class; an animal's
    accuracy is its share of its own class, a class's accuracy the mean over its animals, and the
    balanced accuracy the mean over classes (two classes: :func:`balanced_accuracy_by_animal`).
    The interval resamples animals within each class; the p-value permutes the animals' classes
    (each animal's calls kept together), one-sided.

    Parameters
    ----------
    y_true, y_pred : array-like of int (n,)
        Classes 0..n_classes-1 of each call, true and predicted; the true class must be the animal's.
    animals : array-like (n,)
    n_classes : int
    level : float
    n_resamples, n_permutations : int
    seed : int

    Returns
    -------
    dict
        ``accuracy_by_animal``, ``ci_low``, ``ci_high``, ``p_value``, ``n_animals``, ``level``,
        ``method``.

    Raises
    ------
    ValueError
        If an animal's calls carry two true classes, or a class has no animal.
    """
    frame = pd.DataFrame({"animal": np.asarray(animals), "y": np.asarray(y_true), "p": np.asarray(y_pred)})
    by = frame.groupby("animal", sort=True)
    if (by.y.nunique() > 1).any():
        raise ValueError("an animal's calls carry two classes: the class must be a property of the animal")
    label = by.y.first().to_numpy(int)
    shares = (
        pd.crosstab(frame.animal, pd.Categorical(frame.p, categories=range(n_classes)), normalize="index", dropna=False)
        .reindex(by.y.first().index)
        .to_numpy(float)
    )
    missing = [c for c in range(n_classes) if not np.any(label == c)]
    if missing:
        raise ValueError(f"no animal of class {missing}: an interval over animals needs every class")
    own = shares[np.arange(len(label)), label]

    def balanced(own_share: np.ndarray, lab: np.ndarray) -> float:
        return float(np.mean([own_share[lab == c].mean() for c in range(n_classes)]))

    observed = balanced(own, label)
    rng = np.random.default_rng(seed)
    per_class = []
    for c in range(n_classes):
        acc = own[label == c]
        per_class.append(acc[rng.integers(0, len(acc), size=(n_resamples, len(acc)))].mean(axis=1))
    boot = np.mean(per_class, axis=0)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail])
    perms = label[np.argsort(rng.random((n_permutations, len(label))), axis=1)]  # (permutations, animals)
    own_perm = shares[np.arange(len(label))[None, :], perms]
    per_class_perm = [
        (own_perm * (perms == c)).sum(axis=1) / np.maximum((perms == c).sum(axis=1), 1) for c in range(n_classes)
    ]
    hits = int(np.sum(np.mean(per_class_perm, axis=0) >= observed - 1e-12))
    return {
        "accuracy_by_animal": observed,
        "ci_low": float(low),
        "ci_high": float(high),
        "p_value": (1 + hits) / (1 + n_permutations),
        "n_animals": len(label),
        "level": level,
        "method": (
            f"{round(100 * level)} % percentile bootstrap over animals (resampled within class); p: "
            f"{n_permutations} permutations of the {len(label)} animals' classes, one-sided"
        ),
    }
