"""Fig 5: individual signatures — the random split, and which animal a USV comes from.

``compute(study)``: with every mouse in the training set (USVs shuffled with seed 0 into the
profile's folds) the DNN may also use what is particular to each mouse; it is set against Fig 3's
across-animal DNN (its cached folds). A network on the 100 x 100 images names the animal of each
USV. ``record(ctx, result)`` files the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from usvlib.crossval import CVResult, random_folds, summary_row
from usvlib.paper.fig3 import across_animals_dnn
from usvlib.paper.runs import animal_identity, identity_summary, over_seeds
from usvlib.paper.study import Study
from usvlib.synth.diagnostics import recorded_oracle


@dataclass
class Fig5Result:
    """Fig 5's analyses."""

    random_split: CVResult
    random_split_seeds: list  # the random split from the profile's seed and the next ones
    identity: CVResult  # the animal-identity network, random folds
    identity_confusion: pd.DataFrame  # true animal x predicted animal, counts
    identity_stats: dict  # runs.identity_summary: share named right, chance, ci_low, ci_high, p_value
    table: pd.DataFrame  # across animals vs random split


def compute(study: Study, *, progress: bool = True) -> Fig5Result:
    """Individual signatures: the random split against the across-animal DNN (Fig 3's folds,
    cached), and which animal a USV comes from.

    Parameters
    ----------
    study : Study
    progress : bool

    Returns
    -------
    Fig5Result
    """
    p = study.profile.training
    y = study.labels
    out = {}
    folds = random_folds(len(y), p.random_folds, seed=0)
    out["random_split_seeds"] = over_seeds(
        study, "fig5-dnn-random", inputs=p.dnn_input, targets=y, folds=folds, by_animal=False, progress=progress
    )
    out["random_split"] = out["random_split_seeds"][0]
    out["identity"], animals = animal_identity(study, "fig5-identity", progress=progress)
    pred = out["identity"].predictions
    out["identity_confusion"] = pd.crosstab(
        pd.Series(animals[pred.y_true], name="true"), pd.Series(animals[pred.y_pred], name="predicted")
    ).reindex(index=animals, columns=animals, fill_value=0)
    out["identity_stats"] = identity_summary(out["identity"], animals, seed=study.profile.seed)
    out["table"] = pd.DataFrame(
        [
            summary_row("across animals", across_animals_dnn(study, progress=progress)),
            summary_row("random split", out["random_split"]),
        ]
    )
    return Fig5Result(**out)


def record(ctx, result: Fig5Result) -> None:
    """Record Fig 5's numbers (the random split beside the oracle with the animals known)."""
    oracle = recorded_oracle(ctx.dataset, "sex.with_animal")
    ctx.record_cv("fig5.dnn.random_split", result.random_split, oracle_with_animal=oracle)
    ctx.record_over_seeds("fig5.dnn.random_split_over_seeds", [r.mean for r in result.random_split_seeds])
    ctx.record_identity("fig5.identity.accuracy", result.identity, result.identity_stats)
