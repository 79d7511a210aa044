"""Fig 3: sex from single USVs across animals — the DNN against ridge and the SVM.

``compute(study)`` runs, leave one animal out: the profile's DNN (its example fold's network and
per-epoch test accuracy kept), ridge and the linear SVM on the pixels, each also on shuffled
labels; the breaks control; reference classifiers not in the paper (boosting on usvlib's 24
measured properties; on synthetic data boosting and the learnable ceiling on the generator's
parameters as the sound shows them); the accuracy per left-out animal (male vs female); and, on
synthetic data, the distance to the oracle step by step and per call family. ``record(ctx,
result)`` files its numbers under the keys of ``results.PAPER_NUMBERS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from usvlib.crossval import CVResult, class_balanced_mean, per_animal_accuracy, shuffled_labels, summary_row
from usvlib.paper.runners import linear_cv, network_cv, reference_cv
from usvlib.paper.study import Study
from usvlib.stats import compare_groups
from usvlib.synth.diagnostics import accuracy_by_family, recorded_oracle


@dataclass
class Fig3Result:
    """Fig 3's analyses (every ``CVResult`` leave-one-animal-out unless said otherwise)."""

    example_fold: str  # the representative left-out animal (3B-C)
    dnn: CVResult
    dnn_shuffled: CVResult
    ridge: CVResult
    ridge_shuffled: CVResult
    svm: CVResult
    svm_shuffled: CVResult
    breaks: CVResult  # the breaks control, on the profile's control folds
    sex_on_breaks_folds: float  # the sex DNN on the same folds
    reference_measured: CVResult
    reference_latent: CVResult | None  # synthetic data only
    reference_plugin: CVResult | None  # the learnable ceiling; synthetic data only
    per_animal: pd.DataFrame
    male_vs_female: dict
    table: pd.DataFrame  # one row per classifier: mean, SD, pooled, folds
    oracle: float | None  # the Bayes oracle across animals (synthetic data)
    oracle_gap: pd.DataFrame  # steps from the oracle down to the DNN
    by_family: pd.DataFrame | None  # synthetic data: per call family


def across_animals_dnn(study: Study, *, seed: int | None = None, progress: bool = True) -> CVResult:
    """The DNN of Fig 3, leave-one-animal-out (the example fold's network and test curve kept);
    one place, so that Figs 4 and 5 reuse Fig 3's cached folds without training its controls.

    Parameters
    ----------
    study : Study
    seed : int, optional
        Other than the profile's: the same network and folds trained from another seed (a run
        of its own, ``seed-spread-dnn``, without the example fold's extras), to tell a change
        from the seed's noise (``benchmarks/seed_spread.py``).
    progress : bool

    Returns
    -------
    CVResult
    """
    published = seed is None or seed == study.profile.seed
    example = study.example_fold() if published else None
    return network_cv(
        study,
        # a name of its own for other seeds: runs filed as fig3-dnn would be taken for the published one
        "fig3-dnn" if published else "seed-spread-dnn",
        inputs=study.profile.training.dnn_input,
        targets=study.labels,
        folds=study.animal_folds(),
        seed=None if published else seed,
        save_model_of=example,
        monitor_fold=example,
        progress=progress,
    )


def oracle_gap(result: Fig3Result) -> pd.DataFrame:
    """Fig 3's DNN against the ceilings above it, one row per step down from the oracle.

    On synthetic data: the Bayes oracle (knows the generator), the learnable ceiling (the
    oracle's model class fitted on the training mice, every parameter read exactly), boosting on
    the same parameters, boosting on the 24 measured properties (what handcrafted measurements
    of the spectrogram keep), the DNN. ``drop_points`` is each row's distance to the row above
    it (percentage points). Real data: the rows they have.
    """
    rows = [("Bayes oracle (synthetic ground truth)", result.oracle)]
    if result.reference_plugin is not None:
        rows.append(
            ("naive Bayes on the true parameters (learnable ceiling)", class_balanced_mean(result.reference_plugin))
        )
    if result.reference_latent is not None:
        rows.append(("boosting on the true parameters", class_balanced_mean(result.reference_latent)))
    rows.append(("boosting on 24 measured properties", class_balanced_mean(result.reference_measured)))
    rows.append(("DNN on spectrograms", class_balanced_mean(result.dnn)))
    table = pd.DataFrame(rows, columns=["classifier", "balanced_accuracy"]).dropna()
    table["drop_points"] = -100 * table.balanced_accuracy.diff()
    return table.reset_index(drop=True)


def compute(study: Study, dataset, *, progress: bool = True) -> Fig3Result:
    """DNN vs ridge vs SVM across animals, shuffled controls, breaks control, example fold.

    The shuffled-label controls run on every fold (a control on a few animals can land far from
    chance by the luck of which animals they are); the breaks control on the profile's
    ``control_every``-th folds.

    Parameters
    ----------
    study : Study
    dataset : Dataset
        The study's dataset: on synthetic data its oracle and per-family accuracies.
    progress : bool

    Returns
    -------
    Fig3Result
    """
    y = study.labels
    folds, controls = study.animal_folds(), study.control_folds()
    shuffled = shuffled_labels(y, seed=study.profile.seed)
    dnn_input = study.profile.training.dnn_input
    runs = {"dnn": across_animals_dnn(study, progress=progress)}
    runs["dnn_shuffled"] = network_cv(
        study, "fig3-dnn-shuffled", inputs=dnn_input, targets=shuffled, folds=folds, eval_labels=y, progress=progress
    )
    for model in ("ridge", "svm"):
        runs[model] = linear_cv(
            study, f"fig3-{model}", model, inputs="images", targets=y, folds=folds, progress=progress
        )
        runs[f"{model}_shuffled"] = linear_cv(
            study,
            f"fig3-{model}-shuffled",
            model,
            inputs="images",
            targets=shuffled,
            folds=folds,
            eval_labels=y,
            progress=progress,
        )
    runs["reference_measured"] = reference_cv(
        study, "fig3-reference-measured", "measured", folds=folds, progress=progress
    )
    synthetic = study.latents is not None
    runs["reference_latent"] = (
        reference_cv(study, "fig3-reference-latent", "latent", folds=folds, progress=progress) if synthetic else None
    )
    runs["reference_plugin"] = (
        reference_cv(study, "fig3-reference-plugin", "plugin", folds=folds, progress=progress) if synthetic else None
    )
    breaks = (study.properties.breaks.to_numpy() > 0).astype(int)
    runs["breaks"] = network_cv(
        study, "fig3-breaks", inputs=dnn_input, targets=breaks, folds=controls, progress=progress
    )
    on_breaks_folds = float(
        runs["dnn"].folds.set_index("fold").loc[runs["breaks"].folds.fold, "balanced_accuracy"].mean()
    )
    per_animal = per_animal_accuracy(runs["dnn"], study.animals, study.groups)
    rows = [
        summary_row("DNN", runs["dnn"], labels="real"),
        summary_row("DNN", runs["dnn_shuffled"], labels="shuffled"),
        summary_row("ridge", runs["ridge"], labels="real"),
        summary_row("ridge", runs["ridge_shuffled"], labels="shuffled"),
        summary_row("SVM", runs["svm"], labels="real"),
        summary_row("SVM", runs["svm_shuffled"], labels="shuffled"),
        summary_row("DNN, breaks (control)", runs["breaks"], labels="real"),
        summary_row("boosting on 24 measured properties (reference)", runs["reference_measured"], labels="real"),
    ]
    if synthetic:
        rows += [
            summary_row(
                "boosting on the true parameters (synthetic reference)", runs["reference_latent"], labels="real"
            ),
            summary_row(
                "naive Bayes on the true parameters (learnable ceiling)", runs["reference_plugin"], labels="real"
            ),
        ]
    oracle = recorded_oracle(dataset, "sex.across_animals")
    result = Fig3Result(
        example_fold=study.example_fold(),
        **runs,
        sex_on_breaks_folds=on_breaks_folds,
        per_animal=per_animal,
        male_vs_female=compare_groups(per_animal, study.classes[1], study.classes[0]),
        table=pd.DataFrame(rows),
        oracle=oracle,
        oracle_gap=pd.DataFrame(),
        by_family=None,
    )
    result.oracle_gap = oracle_gap(result)
    if "truth_call_id" in study.table:
        result.by_family = accuracy_by_family(
            dataset,
            study.table.truth_call_id.to_numpy(),
            y,
            {
                "DNN": result.dnn,
                "learnable ceiling": result.reference_plugin,
                "boosting on measured properties": result.reference_measured,
            },
            positive=study.classes[1],
        )
    return result


def record(ctx, result: Fig3Result) -> None:
    """Record Fig 3's numbers (the oracle gap included on synthetic data)."""
    oracle = result.oracle
    gap = None if oracle is None else oracle - class_balanced_mean(result.dnn)
    ctx.record_cv(
        "fig3.dnn.across_animals",
        result.dnn,
        oracle=oracle,
        gap_to_oracle=gap,
        male_vs_female=result.male_vs_female,
        network=ctx.profile.training.network,
        inputs=ctx.profile.training.dnn_input,
    )
    ctx.record_cv(
        "fig3.ridge.across_animals",
        result.ridge,
        n_train=result.ridge.infos[next(iter(result.ridge.infos))]["n_train"],
    )
    ctx.record_cv("fig3.svm.across_animals", result.svm)
    for model in ("dnn", "ridge", "svm"):
        ctx.record_cv(f"fig3.{model}.shuffled", getattr(result, f"{model}_shuffled"))
    ctx.record_cv("fig3.reference.measured_boosting", result.reference_measured, oracle=oracle)
    if result.reference_latent is not None:
        ctx.record_cv("fig3.reference.latent_boosting", result.reference_latent, oracle=oracle)
    if result.reference_plugin is not None:
        ctx.record_cv("fig3.reference.learnable_ceiling", result.reference_plugin, oracle=oracle)
    ctx.record_cv("fig3.dnn.breaks_control", result.breaks, sex_dnn_on_same_folds=result.sex_on_breaks_folds)
    info = result.dnn.infos[result.example_fold]
    curve = info["test_curve"]
    ctx.record(
        "fig3.dnn.example_fold",
        curve[-1] if curve else float("nan"),
        n=len(curve),
        extra={"fold": result.example_fold, "test_curve": curve, "images_seen": info["images_seen"]},
    )
