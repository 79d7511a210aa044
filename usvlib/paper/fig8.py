"""Fig 8: strain from single USVs — cortexless against control mice.

``compute(study, dataset)`` on the strain study (``load_study(..., experiment="strain")``): USVs
per recording and group; the DNN of the sex experiment, ridge and the linear SVM on the
100 x 100 images, leave one animal out and on the random split (every mouse in training and
test), each with its per-USV shuffled-label control (the paper's; repeated with new permutations, the
profile's ``control_repeats`` and ``linear_control_repeats``, and averaged); the DNN across
animals from several training seeds (``seed_repeats``); which animal a USV comes
from; on synthetic data the strain oracle beside them. ``record(ctx, result)`` files the
``fig8.*`` numbers, each with its interval and test over animals (``crossval.inference``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from usvlib.crossval import (
    CVResult,
    average_repeats,
    class_balanced_mean,
    per_animal_accuracy,
    random_folds,
    shuffled_labels,
)
from usvlib.crossval.inference import accuracy_statistics
from usvlib.paper.fig3 import chance_verdict
from usvlib.paper.runners import linear_cv, network_cv
from usvlib.paper.runs import animal_identity, identity_summary, over_seeds
from usvlib.paper.study import Study
from usvlib.synth.diagnostics import recorded_oracle

MODELS = ("dnn", "ridge", "svm")
SPLITS = ("across_animals", "random_split", "shuffled")


@dataclass
class Fig8Result:
    """Fig 8's analyses."""

    counts: pd.DataFrame  # one row per recording: recording, animal, group, n_usvs
    runs: dict  # (model, split) -> CVResult
    identity: CVResult  # which animal, random folds
    identity_stats: dict  # runs.identity_summary: accuracy, chance, ci_low, ci_high, p_value
    per_animal: pd.DataFrame  # the DNN across animals: accuracy of each left-out animal, with its group
    table: pd.DataFrame  # model, split, mean, sd, accuracy_by_animal, ci_low, ci_high, p_value, n_folds
    oracle: float | None  # the strain oracle across animals (synthetic data)
    seed_runs: list  # the DNN across animals from the profile's seed and the next ones
    classes: tuple


def compute(study: Study, dataset, *, progress: bool = True) -> Fig8Result:
    """Strain across animals and on the random split, with controls and identity.

    Parameters
    ----------
    study : Study
        The strain study.
    dataset : Dataset
        Its dataset (on synthetic data: the strain oracle).
    progress : bool

    Returns
    -------
    Fig8Result
    """
    p = study.profile.training
    y = study.labels
    loao = study.animal_folds()
    split = random_folds(len(y), p.random_folds, seed=0)
    seed = study.profile.seed
    runs: dict[tuple[str, str], CVResult] = {}
    seed_runs = over_seeds(
        study, "fig8-dnn-across_animals", inputs=p.dnn_input, targets=y, folds=loao, by_animal=True, progress=progress
    )
    runs["dnn", "across_animals"] = seed_runs[0]
    runs["dnn", "random_split"] = network_cv(
        study, "fig8-dnn-random_split", inputs=p.dnn_input, targets=y, folds=split, by_animal=False, progress=progress
    )
    for name, folds in (("across_animals", loao), ("random_split", split)):
        for model in ("ridge", "svm"):
            runs[model, name] = linear_cv(
                study, f"fig8-{model}-{name}", model, inputs="images", targets=y, folds=folds, progress=progress
            )
    # the per-USV shuffled controls, repeated with new permutations and averaged
    shuffles = [shuffled_labels(y, seed=seed + r) for r in range(max(p.control_repeats, p.linear_control_repeats))]
    runs["dnn", "shuffled"] = average_repeats(
        [
            network_cv(
                study,
                f"fig8-dnn-shuffled-{r}",
                inputs=p.dnn_input,
                targets=shuffles[r],
                folds=loao,
                eval_labels=y,
                progress=progress,
            )
            for r in range(p.control_repeats)
        ]
    )
    for model in ("ridge", "svm"):
        runs[model, "shuffled"] = average_repeats(
            [
                linear_cv(
                    study,
                    f"fig8-{model}-shuffled-{r}",
                    model,
                    inputs="images",
                    targets=shuffles[r],
                    folds=loao,
                    eval_labels=y,
                    progress=progress,
                )
                for r in range(p.linear_control_repeats)
            ]
        )
    identity, animals = animal_identity(study, "fig8-identity", progress=progress)
    rows = []
    for (model, name), run in runs.items():
        stats = accuracy_statistics(run, seed=study.profile.seed) or {}
        rows.append(
            {
                "model": model,
                "split": name,
                "mean": run.mean,
                "sd": run.sd,
                **{k: stats.get(k) for k in ("accuracy_by_animal", "ci_low", "ci_high", "p_value")},
                "n_folds": len(run.folds),
            }
        )
    counts = (
        study.table.assign(group=study.groups)
        .groupby(["recording", "animal", "group"], sort=True)
        .size()
        .rename("n_usvs")
        .reset_index()
    )
    identity_stats = identity_summary(identity, animals, seed=study.profile.seed)
    return Fig8Result(
        counts=counts,
        runs=runs,
        identity=identity,
        identity_stats=identity_stats,
        per_animal=per_animal_accuracy(runs["dnn", "across_animals"], study.animals, study.groups),
        table=pd.DataFrame(rows),
        oracle=recorded_oracle(dataset, "strain.across_animals"),
        seed_runs=seed_runs,
        classes=study.classes,
    )


def control_verdicts(result: Fig8Result) -> list[str]:
    """One sentence per shuffled control: at chance within its interval or not, and why."""
    rows = result.table[result.table.split == "shuffled"]
    return [f"{r.model}: {100 * r['mean']:.1f} %, {chance_verdict(r.ci_low, r.ci_high)}" for _, r in rows.iterrows()]


def supports_above_chance(result: Fig8Result, model: str = "dnn", *, alpha: float = 0.05) -> bool:
    """Whether this run supports the paper's claim: the model across animals above chance
    (its test over animals at ``alpha``, and its interval above 0.5)."""
    row = result.table.set_index(["model", "split"]).loc[(model, "across_animals")]
    return bool(row.p_value is not None and row.p_value < alpha and row.ci_low > 0.5)


def record(ctx, result: Fig8Result) -> None:
    """Record ``fig8.{dnn,ridge,svm}.{across_animals,random_split,shuffled}`` and
    ``fig8.identity.accuracy`` (the strain oracle beside the DNN on synthetic data)."""
    for (model, name), run in result.runs.items():
        extra = {"oracle": result.oracle} if (model, name) == ("dnn", "across_animals") else {}
        if name == "shuffled":
            extra["repeats"] = len(run.infos["repeats"])
        ctx.record_cv(f"fig8.{model}.{name}", run, **extra)
    ctx.record_over_seeds("fig8.dnn.across_animals_over_seeds", [class_balanced_mean(r) for r in result.seed_runs])
    ctx.record_identity("fig8.identity.accuracy", result.identity, result.identity_stats)
