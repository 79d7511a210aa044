"""Splits and controls: leave one animal out, random and grouped folds, validation animals,
shuffled labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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
    """The first ``k`` folds whose left-out animal is of each class (class 0 first).

    A smaller, balanced benchmark set of leave-one-animal-out folds: each fold's test USVs share
    one label, which is read from its first test USV.

    Parameters
    ----------
    folds : list of Fold
        Leave-one-animal-out folds (:func:`leave_one_animal_out`).
    labels : array-like
        The class of every USV.
    k : int
        Number of folds kept per class (fewer where a class has fewer animals).

    Returns
    -------
    list of Fold
        The kept folds of each class in turn, classes in sorted order, each in its original order;
        empty when ``folds`` is.
    """
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


def shuffled_animal_labels(labels, animals, *, seed: int) -> np.ndarray:
    """The classes of whole animals permuted among the animals (a stricter control).

    Each animal keeps one class for all its USVs, so a classifier can still learn individual
    voices; what it scores against the true classes then shows how much of an accuracy could
    come from individual signatures alone.

    Parameters
    ----------
    labels : array-like
        The class of every USV, constant within each animal.
    animals : array-like
        The animal of every USV.
    seed : int

    Returns
    -------
    ndarray
        Every USV labelled with the class its animal drew.

    Raises
    ------
    ValueError
        If an animal's USVs carry more than one class.
    """
    labels, animals = np.asarray(labels), np.asarray(animals)
    _, first, which = np.unique(animals, return_index=True, return_inverse=True)
    per_animal = labels[first]
    if np.any(per_animal[which] != labels):
        raise ValueError("an animal's USVs carry more than one class: its class cannot be shuffled as a whole")
    return np.random.default_rng(seed).permutation(per_animal)[which]
