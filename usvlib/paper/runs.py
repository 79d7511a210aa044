"""Analyses that several figures run the same way: a network from several training seeds, and
the network that names the animal of each USV (Figs 5 and 8)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from usvlib.crossval import CVResult, random_folds
from usvlib.crossval.inference import identity_statistics
from usvlib.paper.runners import network_cv
from usvlib.paper.study import Study


def over_seeds(study: Study, name: str, *, progress: bool = True, **kwargs) -> list[CVResult]:
    """``network_cv(study, name, ...)`` from the profile's seed and the next ones.

    Parameters
    ----------
    study : Study
    name : str
        The published run's name; the other seeds run as ``<name>-seed<s>``.
    progress : bool
    **kwargs
        Passed to :func:`usvlib.paper.runners.network_cv` (not ``seed``).

    Returns
    -------
    list of CVResult
        ``study.profile.training.seed_repeats`` results, the profile's seed first.
    """
    seed = study.profile.seed
    runs = [network_cv(study, name, progress=progress, **kwargs)]
    for r in range(1, study.profile.training.seed_repeats):
        runs.append(network_cv(study, f"{name}-seed{seed + r}", seed=seed + r, progress=progress, **kwargs))
    return runs


def animal_identity(study: Study, name: str, *, progress: bool = True) -> tuple[CVResult, np.ndarray]:
    """The network on the 100 x 100 images that names the animal of each USV, on the profile's
    random folds (``identity_folds``).

    Returns
    -------
    (CVResult, ndarray)
        The result (classes: the animals' codes) and the animals in code order.
    """
    animals = pd.unique(study.animals)
    codes = pd.Categorical(study.animals, categories=animals).codes.astype(int)
    result = network_cv(
        study,
        name,
        inputs="images",
        targets=codes,
        folds=random_folds(len(codes), study.profile.training.identity_folds, seed=0),
        n_classes=len(animals),
        by_animal=False,
        progress=progress,
    )
    return result, animals


def identity_summary(identity: CVResult, animals, *, seed: int = 0) -> dict:
    """The identity network's share of USVs named right, chance (one over the animals), and its
    interval over animals and permutation test (``crossval.inference.identity_statistics``)."""
    pred = identity.predictions
    return {**identity_statistics(pred.y_true, pred.y_pred, seed=seed), "chance": 1.0 / len(animals)}
