"""Fig 4: what the properties explain.

``compute(study)``: networks that read each labelled property off the spectrogram (A-E), the
nine properties as the input of a DNN, ridge and an SVM for sex (F-H) and the ridge weights (I),
and the semi-convolutional network, which adds the spectral line and the time and frequency
marginals to the properties (J-K). ``record(ctx, result)`` files the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from usvlib.crossval import CVResult, grouped_folds, side_by_side, summary_row
from usvlib.metrics import balanced_accuracy
from usvlib.paper.runners import linear_cv, network_cv
from usvlib.paper.study import Study
from usvlib.properties import label_properties


@dataclass
class Fig4Result:
    """Fig 4's analyses."""

    human_labels: bool  # the labels are a labeller's (else usvlib's estimates)
    property_networks: pd.DataFrame  # A-E: per property, mean and SD over folds, chance
    property_values: pd.DataFrame  # A-E: per property value, accuracy and share
    properties_dnn: CVResult  # F-G
    properties_ridge: CVResult  # H
    properties_svm: CVResult  # H
    ridge_weights: pd.DataFrame  # I: on standardised properties, mean and SD over folds
    semiconv: CVResult  # J-K
    table: pd.DataFrame  # one row per classifier of F-K


def compute(study: Study, *, progress: bool = True) -> Fig4Result:
    """Properties: spectrogram -> property networks, properties -> sex, the semi-conv network.

    Parameters
    ----------
    study : Study
    progress : bool

    Returns
    -------
    Fig4Result
    """
    y = study.labels
    folds = study.animal_folds()
    out = {"human_labels": study.human_labels}
    # A-E: one network, one head per property, on folds of whole animals
    labels = label_properties()
    tasks = [p.table_column for p in labels]
    targets = np.column_stack([p.to_class(study.properties[p.table_column]) for p in labels])
    n_classes = tuple(p.n_classes for p in labels)
    property_folds = grouped_folds(study.animals, study.profile.training.grouped_folds)
    if study.profile.training.network == "paper":  # as the paper: one network per property
        res = side_by_side(
            [
                network_cv(
                    study,
                    f"fig4-property-{task}",
                    inputs="images",
                    targets=targets[:, j],
                    folds=property_folds,
                    n_classes=k,
                    progress=progress,
                )
                for j, (task, k) in enumerate(zip(tasks, n_classes, strict=True))
            ]
        )
    else:  # one network with a head per property: a sixth of the cost
        res = network_cv(
            study,
            "fig4-properties-from-spectrogram",
            inputs="images",
            targets=targets,
            folds=property_folds,
            n_classes=n_classes,
            progress=progress,
        )
    rows, per_value = [], []
    offset = 0
    for j, (task, k) in enumerate(zip(tasks, n_classes, strict=True)):
        scores = res.predictions[[f"score_{offset + c}" for c in range(k)]].to_numpy()
        offset += k
        truth = targets[res.predictions["index"].to_numpy(), j]
        pred = scores.argmax(axis=1)
        fold_acc = [
            balanced_accuracy(truth[m], pred[m]) for m in (res.predictions.fold.to_numpy() == f for f in res.folds.fold)
        ]
        rows.append(
            {
                "property": task,
                "mean": float(np.mean(fold_acc)),
                "sd": float(np.std(fold_acc, ddof=1)),
                "n_classes": k,
                "chance": 1.0 / k,
            }
        )
        for c in np.unique(truth):
            per_value.append(
                {
                    "property": task,
                    "value": c,
                    "accuracy": float(np.mean(pred[truth == c] == c)),
                    "share": float(np.mean(truth == c)),
                }
            )
    out["property_networks"] = pd.DataFrame(rows)
    out["property_values"] = pd.DataFrame(per_value)
    # F-H: properties -> sex
    out["properties_dnn"] = network_cv(
        study, "fig4-properties-dnn", inputs="properties", targets=y, folds=folds, progress=progress
    )
    for model in ("ridge", "svm"):
        out[f"properties_{model}"] = linear_cv(
            study, f"fig4-properties-{model}", model, inputs="properties", targets=y, folds=folds, progress=progress
        )
    # I: ridge weights on standardised properties, averaged over folds
    coefs = np.array([info["coef"] for info in out["properties_ridge"].infos.values()])
    out["ridge_weights"] = pd.DataFrame(
        {"property": list(study.properties.columns), "weight": coefs.mean(axis=0), "sd": coefs.std(axis=0)}
    )
    # J-K: semi-convolutional network
    out["semiconv"] = network_cv(study, "fig4-semiconv", inputs="semiconv", targets=y, folds=folds, progress=progress)
    out["table"] = pd.DataFrame(
        [
            summary_row("properties -> sex, DNN", out["properties_dnn"]),
            summary_row("properties -> sex, ridge", out["properties_ridge"]),
            summary_row("properties -> sex, SVM", out["properties_svm"]),
            summary_row("semi-convolutional DNN", out["semiconv"]),
        ]
    )
    return Fig4Result(**out)


def record(ctx, result: Fig4Result) -> None:
    """Record Fig 4's numbers."""
    for row in result.property_networks.itertuples():
        ctx.record(
            f"fig4.property_dnn.{row.property}",
            row.mean,
            sd=row.sd,
            n=ctx.profile.training.grouped_folds,
            extra={"chance": row.chance, "human_labels": result.human_labels},
        )
    for model in ("dnn", "ridge", "svm"):
        ctx.record_cv(
            f"fig4.properties.{model}", getattr(result, f"properties_{model}"), human_labels=result.human_labels
        )
    ctx.record_cv("fig4.semiconv.dnn", result.semiconv)
