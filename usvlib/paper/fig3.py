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

import numpy as np
import pandas as pd

from usvlib.crossval import (
    CVResult,
    average_repeats,
    class_balanced_mean,
    per_animal_accuracy,
    shuffled_animal_labels,
    shuffled_labels,
    summary_row,
)
from usvlib.crossval.inference import accuracy_statistics, paired_comparison
from usvlib.paper.references import reference_cv
from usvlib.paper.runners import linear_cv, network_cv
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
    breaks_shuffled: CVResult  # the breaks control on shuffled breaks labels
    sex_on_breaks_folds: float  # the sex DNN on the same folds
    shuffled_repeats: dict  # model -> list of CVResult: every per-USV shuffle (the first is <model>_shuffled)
    animal_shuffled: list  # the DNN on whole animals relabelled, one CVResult per permutation
    seed_runs: list  # the DNN across animals from the profile's seed and the next ones
    controls: pd.DataFrame  # one row per control: repeats, mean, SD over repeats, real - control and its p
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


def control_table(runs: dict, repeats: dict, animal_shuffled: list, *, seed: int = 0) -> pd.DataFrame:
    """Each control against what it controls: its repeats' mean and SD, its interval and test
    against chance over animals, and the paired test (over folds) that the real model beats it.

    Parameters
    ----------
    runs : dict
        Fig 3's runs by name (``dnn``, ``ridge``, ``svm``, ``breaks``, ``breaks_shuffled``).
    repeats : dict
        Model -> the per-USV shuffled controls.
    animal_shuffled : list of CVResult
        The DNN on whole animals relabelled.
    seed : int

    Returns
    -------
    DataFrame
        ``control``, ``of``, ``repeats``, ``mean``, ``sd_over_repeats``, ``ci_low``, ``ci_high``,
        ``p_chance``, ``real_minus_control``, ``p_real_better``.
    """
    rows = []
    pairs = [(f"{m} shuffled", m, repeats[m]) for m in ("dnn", "ridge", "svm")]
    pairs += [
        ("dnn animals relabelled", "dnn", animal_shuffled),
        ("breaks shuffled", "breaks", [runs["breaks_shuffled"]]),
    ]
    for name, of, results in pairs:
        merged = average_repeats(results)
        stats = accuracy_statistics(merged, seed=seed) or {}
        means = [class_balanced_mean(r) for r in results]
        paired = paired_comparison(runs[of], results, seed=seed)
        rows.append(
            {
                "control": name,
                "of": of,
                "repeats": len(results),
                "mean": float(np.mean(means)),
                "sd_over_repeats": float(np.std(means, ddof=1)) if len(means) > 1 else float("nan"),
                "ci_low": stats.get("ci_low", np.nan),
                "ci_high": stats.get("ci_high", np.nan),
                "p_chance": stats.get("p_value", np.nan),
                "real_minus_control": paired["mean_difference"],
                "p_real_better": paired["p_value"],
            }
        )
    return pd.DataFrame(rows)


def chance_verdict(ci_low: float, ci_high: float) -> str:
    """Whether a control's interval over animals holds chance (0.5), and the likely reason where
    it does not."""
    if ci_low is None or not np.isfinite(ci_low):
        return "no interval over animals (its labels change within an animal)"
    interval = f"[{100 * ci_low:.1f}, {100 * ci_high:.1f}]"
    if ci_low <= 0.5 <= ci_high:
        return f"at chance within its interval {interval}"
    why = (
        "below chance: leave-one-animal-out's bias against the left-out animal's class, which is the "
        "smaller one in training (docs/validation.md)"
        if ci_high < 0.5
        else "above chance: nothing in the design explains it; compare the spread over its repeats "
        "(sd_over_repeats) before reading anything into it"
    )
    return f"NOT at chance within {interval} - {why}"


def control_verdict(row) -> str:
    """One sentence on a row of :func:`control_table`: :func:`chance_verdict` and the paired test."""
    head = f"{row.control}: {100 * row['mean']:.1f} % over {row.repeats} repeat(s)"
    test = f"real minus control {100 * row.real_minus_control:+.1f} points (paired p = {row.p_real_better:.2g})"
    return f"{head}, {chance_verdict(row.ci_low, row.ci_high)}; {test}"


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
    t = study.profile.training
    folds, controls = study.animal_folds(), study.control_folds()
    seed = study.profile.seed
    dnn_input = t.dnn_input
    runs = {"dnn": across_animals_dnn(study, progress=progress)}
    shuffles = [shuffled_labels(y, seed=seed + r) for r in range(max(t.control_repeats, t.linear_control_repeats))]
    # the first repeat keeps the name (and cache) of the single control of earlier versions
    repeats: dict[str, list[CVResult]] = {"dnn": [], "ridge": [], "svm": []}
    for r in range(t.control_repeats):
        repeats["dnn"].append(
            network_cv(
                study,
                "fig3-dnn-shuffled" if r == 0 else f"fig3-dnn-shuffled-{r}",
                inputs=dnn_input,
                targets=shuffles[r],
                folds=folds,
                eval_labels=y,
                progress=progress,
            )
        )
    for model in ("ridge", "svm"):
        runs[model] = linear_cv(
            study, f"fig3-{model}", model, inputs="images", targets=y, folds=folds, progress=progress
        )
        for r in range(t.linear_control_repeats):
            repeats[model].append(
                linear_cv(
                    study,
                    f"fig3-{model}-shuffled" if r == 0 else f"fig3-{model}-shuffled-{r}",
                    model,
                    inputs="images",
                    targets=shuffles[r],
                    folds=folds,
                    eval_labels=y,
                    progress=progress,
                )
            )
    for model in ("dnn", "ridge", "svm"):
        runs[f"{model}_shuffled"] = repeats[model][0]
    animal_shuffled = [
        network_cv(
            study,
            f"fig3-dnn-animal-shuffled-{r}",
            inputs=dnn_input,
            targets=shuffled_animal_labels(y, study.animals, seed=seed + r),
            folds=folds,
            eval_labels=y,
            progress=progress,
        )
        for r in range(t.animal_control_repeats)
    ]
    seed_runs = [runs["dnn"]] + [
        across_animals_dnn(study, seed=seed + r, progress=progress) for r in range(1, t.seed_repeats)
    ]
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
    runs["breaks_shuffled"] = network_cv(
        study,
        "fig3-breaks-shuffled",
        inputs=dnn_input,
        targets=shuffled_labels(breaks, seed=seed),
        folds=controls,
        eval_labels=breaks,
        progress=progress,
    )
    on_breaks_folds = float(
        runs["dnn"].folds.set_index("fold").loc[runs["breaks"].folds.fold, "balanced_accuracy"].mean()
    )
    per_animal = per_animal_accuracy(runs["dnn"], study.animals, study.groups)
    rows = [
        summary_row("DNN", runs["dnn"], labels="real"),
        summary_row("DNN", average_repeats(repeats["dnn"]), labels="shuffled"),
        summary_row("ridge", runs["ridge"], labels="real"),
        summary_row("ridge", average_repeats(repeats["ridge"]), labels="shuffled"),
        summary_row("SVM", runs["svm"], labels="real"),
        summary_row("SVM", average_repeats(repeats["svm"]), labels="shuffled"),
        summary_row("DNN, whole animals relabelled", average_repeats(animal_shuffled), labels="shuffled"),
        summary_row("DNN, breaks (control)", runs["breaks"], labels="real"),
        summary_row("DNN, breaks (control)", runs["breaks_shuffled"], labels="shuffled"),
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
        shuffled_repeats=repeats,
        animal_shuffled=animal_shuffled,
        seed_runs=seed_runs,
        controls=control_table(runs, repeats, animal_shuffled, seed=seed),
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
    ctx.record_over_seeds(
        "fig3.dnn.across_animals_over_seeds",
        [class_balanced_mean(r) for r in result.seed_runs],
        statistic="class-balanced mean over folds",
    )
    controls = result.controls.set_index("control")
    for model in ("dnn", "ridge", "svm"):
        row = controls.loc[f"{model} shuffled"]
        ctx.record_cv(
            f"fig3.{model}.shuffled",
            average_repeats(result.shuffled_repeats[model]),
            repeats=int(row.repeats),
            sd_over_repeats=None if np.isnan(row.sd_over_repeats) else float(row.sd_over_repeats),
            real_minus_control=float(row.real_minus_control),
        )
        ctx.record(
            f"fig3.{model}.real_vs_shuffled_p",
            float(row.p_real_better),
            n=len(result.dnn.folds),
            extra={"real_minus_control": float(row.real_minus_control), "repeats": int(row.repeats)},
        )
    row = controls.loc["dnn animals relabelled"]
    ctx.record_cv(
        "fig3.dnn.animal_shuffled",
        average_repeats(result.animal_shuffled),
        repeats=int(row.repeats),
        real_minus_control=float(row.real_minus_control),
        p_real_better=float(row.p_real_better),
    )
    ctx.record_cv("fig3.dnn.breaks_shuffled", result.breaks_shuffled)
    better = paired_comparison(result.breaks, result.dnn, seed=ctx.profile.seed)
    ctx.record(
        "fig3.dnn.breaks_better_than_sex_p",
        better["p_value"],
        n=better["n_folds"],
        extra={"breaks_minus_sex": better["mean_difference"]},
    )
    ctx.record_cv("fig3.reference.measured_boosting", result.reference_measured, oracle=oracle)
    if result.reference_latent is not None:
        ctx.record_cv("fig3.reference.latent_boosting", result.reference_latent, oracle=oracle)
    if result.reference_plugin is not None:
        ctx.record_cv("fig3.reference.learnable_ceiling", result.reference_plugin, oracle=oracle)
    ctx.record_cv("fig3.dnn.breaks_control", result.breaks, sex_dnn_on_same_folds=result.sex_on_breaks_folds)
    info = result.dnn.infos[result.example_fold]
    kept = example_fold_accuracy(result)
    ctx.record(
        "fig3.dnn.example_fold",
        kept,
        n=int(result.dnn.folds.set_index("fold").n_test[result.example_fold]),
        extra={
            "fold": result.example_fold,
            "kept_epoch": info["best_epoch"],
            "kept_iteration": kept_iteration(info),
            "test_curve": info["test_curve"],
            "images_seen": info["images_seen"],
        },
    )


def example_fold_accuracy(result: Fig3Result) -> float:
    """The kept network's accuracy on the representative left-out animal (Fig 3B's number): the
    fold's score, whose predictions come from the weights training kept."""
    return float(result.dnn.folds.set_index("fold").balanced_accuracy[result.example_fold])


def kept_iteration(info: dict) -> int | None:
    """The iteration after which the kept weights were taken (the end of their epoch), from a
    fold's training info; None for runs cached before iterations were logged."""
    per_epoch = info.get("iterations_per_epoch")
    if not per_epoch or info.get("best_epoch", -1) < 0:
        return None
    return int(sum(per_epoch[: info["best_epoch"] + 1]))
