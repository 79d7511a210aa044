"""Fig 6: inside the network — sparsity, correlations of representations, deconvolution.

``compute(study)`` trains the paper-shaped network (6 conv + 3 FC layers, BN + ReLU, on the
100 x 100 images; ``TrainingSettings.analysis_filters`` wide: the paper's 256 in the paper
profile, 32 on a CPU) leave-one-animal-out on the first female (the paper's representative
fold) and the first male (more per class in the paper profile), cached, and shows each network
stimuli of both sexes from animals it was not fitted on: its left-out animal and the training
animals held out for validation (they choose the epoch, no weight is fitted on them). Per layer:
the fraction of active ReLU outputs by sex (the paper's sparsity is one minus it), Pearson's r
between the representations of pairs of stimuli within and across the sexes, the correlation of
each stimulus's reconstruction from the layer with the stimulus (Zeiler & Fergus deconvolution,
captum), the similarity of the layer's units; and the integrated-gradient saliency per sex.
Error bars: 2 SEM over stimuli (or over pairs, which are not independent: a lower bound).
``record(ctx, result)`` files the numbers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from usvlib.crossval import first_folds_of_each_class, validation_split
from usvlib.internals import (
    fraction_active,
    layer_activations,
    mean_and_2sem,
    reconstruction_correlation,
    reconstructions,
    relu_layers,
    representation_correlations,
    saliency,
    unit_similarity,
)
from usvlib.paper.examples import typical_examples
from usvlib.paper.fig3 import across_animals_dnn
from usvlib.paper.runners import load_saved_network, network_cv
from usvlib.paper.study import Study
from usvlib.train import predict_scores

RECONSTRUCTED_PER_CLASS = 10
"""Stimuli per class and network reconstructed from every layer (a backward pass each)."""

SALIENT_PER_CLASS = 30
"""Confidently and correctly classified stimuli per class and network averaged into a saliency map."""


@dataclass
class Fig6Result:
    """Fig 6's analyses; every table has one row per layer (and class or pair of classes)."""

    layers: list[str]  # conv1 ... conv6, fc1 ... fc3
    classes: tuple  # (negative, positive), e.g. ("female", "male")
    network: pd.DataFrame  # per analysed fold: its network's and the sex DNN's balanced accuracy
    fraction_active: pd.DataFrame  # layer, group, mean, two_sem, n (stimuli)
    correlations: pd.DataFrame  # layer, pairs (within_<class>, across), mean, two_sem, n (pairs)
    fc_correlation_mean: float  # mean r over all pairs of stimuli in the FC layers
    reconstruction: pd.DataFrame  # layer, mean, two_sem, n: r of reconstruction and stimulus
    unit_similarity: pd.DataFrame  # layer, mean, two_sem, n (pairs of units)
    examples: dict  # class -> {"image", "activations": {layer: array}, "reconstructions": {layer: image}}
    saliency: dict  # class -> mean integrated-gradient map (100 x 100), over confident correct stimuli


def analysed_study(study: Study) -> Study:
    """The study with the profile's training switched to the paper-shaped network of Fig 6."""
    t = study.profile.training
    training = dataclasses.replace(t, network="paper", dnn_input="images", paper_filters=t.analysis_filters)
    return dataclasses.replace(study, profile=dataclasses.replace(study.profile, training=training))


def _unseen(study: Study, fold) -> np.ndarray:
    """USVs of the animals a fold's network was not fitted on: the test animal, the validation animals."""
    _, val = validation_split(fold.train, study.animals, study.labels, seed=study.profile.seed, by_animal=True)
    return np.concatenate([fold.test, val])


def _summary(rows: list[dict], values, **key) -> None:
    mean, two_sem, n = mean_and_2sem(values)
    rows.append({**key, "mean": mean, "two_sem": two_sem, "n": n})


def compute(study: Study, *, progress: bool = True) -> Fig6Result:
    """Train (or open the cached) analysed networks and dissect them.

    Parameters
    ----------
    study : Study
    progress : bool

    Returns
    -------
    Fig6Result
    """
    t = study.profile.training
    astudy = analysed_study(study)
    folds = first_folds_of_each_class(study.animal_folds(), study.labels, t.analysis_folds_per_class)
    sex_dnn = across_animals_dnn(study, progress=False).folds.set_index("fold").balanced_accuracy
    rng = np.random.default_rng(study.profile.seed)
    negative, positive = study.classes
    names = {0: negative, 1: positive}
    acts_by_layer: dict[str, list] = {}
    pairs: dict[tuple, list] = {}
    units: dict[str, list] = {}
    recon: dict[str, list] = {}
    salient: dict[str, list] = {negative: [], positive: []}
    network_rows, examples, layers = [], {}, []
    # one run for all analysed folds: they train at once, one per worker
    run = network_cv(
        astudy,
        "fig6-network",
        inputs="images",
        targets=study.labels,
        folds=folds,
        save_model_of=[fold.name for fold in folds],
        progress=progress,
    )
    accuracy = run.folds.set_index("fold").balanced_accuracy
    for fold in folds:
        network_rows.append(
            {
                "fold": fold.name,
                "analysed_network": float(accuracy[fold.name]),
                "sex_dnn": float(sex_dnn.get(fold.name, np.nan)),
            }
        )
        net = load_saved_network(astudy, "fig6-network", fold.name)
        layers = list(relu_layers(net))
        unseen = _unseen(study, fold)
        chosen = np.concatenate(
            [
                rng.choice(pool, size=min(t.analysis_stimuli, len(pool)), replace=False)
                for c in (0, 1)
                if len(pool := unseen[study.labels[unseen] == c])
            ]
        )
        x, y = study.images[chosen], study.labels[chosen]
        acts = layer_activations(net, x)
        for layer, a in acts.items():
            active = fraction_active(a)
            for c in (0, 1):
                acts_by_layer.setdefault((layer, names[c]), []).append(active[y == c])
            for pair, r in representation_correlations(a, [names[c] for c in y]).items():
                pairs.setdefault((layer, pair), []).append(r)
            channels = t.analysis_filters if layer.startswith("conv") else None  # a conv unit: a channel
            units.setdefault(layer, []).append(unit_similarity(a, channels=channels))
        p_positive = predict_scores(net, x, n_classes=2)[:, 1]
        confident = {0: np.flatnonzero((y == 0) & (p_positive < 0.1)), 1: np.flatnonzero((y == 1) & (p_positive > 0.9))}
        few = np.concatenate([np.flatnonzero(y == c)[:RECONSTRUCTED_PER_CLASS] for c in (0, 1)])
        for layer in layers:
            images = reconstructions(net, x[few], layer)
            recon.setdefault(layer, []).append(reconstruction_correlation(images, x[few]))
        for c in (0, 1):
            if len(confident[c]):
                salient[names[c]].append(saliency(net, x[confident[c][:SALIENT_PER_CLASS]])[:, 0])
            members = np.flatnonzero(y == c)
            if names[c] not in examples and len(members):
                # the example: by the library's rule (a typical, visible USV of its class)
                rows = study.table.iloc[chosen[members]].assign(usv=chosen[members], _class=names[c])
                pick = int(typical_examples(rows, "_class", per_value=1).usv.iloc[0])
                best = int(members[np.flatnonzero(chosen[members] == pick)[0]])
                one = x[best : best + 1]
                single = layer_activations(net, one)
                examples[names[c]] = {
                    "image": one[0, 0],
                    "usv": int(chosen[best]),
                    "fold": fold.name,
                    "activations": {k: _as_maps(v[0], net_filters=t.analysis_filters) for k, v in single.items()},
                    "reconstructions": {k: reconstructions(net, one, k)[0, 0] for k in layers},
                }
    fa_rows, corr_rows, recon_rows, unit_rows = [], [], [], []
    pair_names = (f"within_{negative}", f"within_{positive}", "across")
    for layer in layers:
        for c in (negative, positive):
            _summary(fa_rows, np.concatenate(acts_by_layer[(layer, c)]), layer=layer, group=c)
        for pair in pair_names:
            _summary(corr_rows, np.concatenate(pairs[(layer, pair)]), layer=layer, pairs=pair)
        _summary(recon_rows, np.concatenate(recon[layer]), layer=layer)
        _summary(unit_rows, np.concatenate(units[layer]), layer=layer)
    fc = [np.concatenate(pairs[(layer, pair)]) for layer in layers if layer.startswith("fc") for pair in pair_names]
    return Fig6Result(
        layers=layers,
        classes=study.classes,
        network=pd.DataFrame(network_rows),
        fraction_active=pd.DataFrame(fa_rows),
        correlations=pd.DataFrame(corr_rows),
        fc_correlation_mean=float(np.concatenate(fc).mean()) if fc else float("nan"),
        reconstruction=pd.DataFrame(recon_rows),
        unit_similarity=pd.DataFrame(unit_rows),
        examples=examples,
        saliency={c: np.concatenate(v).mean(axis=0) for c, v in salient.items() if v},
    )


def _as_maps(flat: np.ndarray, *, net_filters: int) -> np.ndarray:
    """A layer's activation of one stimulus as channel maps (conv) or a vector (FC)."""
    side = round(float(np.sqrt(len(flat) / net_filters)))
    if side > 1 and side * side * net_filters == len(flat):
        return flat.reshape(net_filters, side, side)
    return flat


def record(ctx, result: Fig6Result) -> None:
    """Record ``fig6.*``: fraction active and correlations per layer, the FC mean, the
    reconstructions' correlation, and the analysed network's accuracy (``sd``: the SEM)."""
    negative, positive = result.classes
    sex = {negative: "female", positive: "male", f"within_{negative}": "within_female"}
    sex[f"within_{positive}"] = "within_male"  # the keys name the sex experiment's classes
    tables = (
        ("sparsity", result.fraction_active, "group", "fraction of non-zero ReLU outputs (1 - sparsity)"),
        (
            "correlation",
            result.correlations,
            "pairs",
            "Pearson r of pairs of stimuli; SEM over pairs, not independent",
        ),
        ("deconv_correlation", result.reconstruction, None, "Zeiler & Fergus deconvolution (captum) vs the stimulus"),
    )
    for name, table, by, measure in tables:
        for row in table.to_dict("records"):
            suffix = "" if by is None else "." + sex.get(row[by], row[by])
            ctx.record(
                f"fig6.{name}.{row['layer']}{suffix}",
                row["mean"],
                sd=row["two_sem"] / 2,
                n=row["n"],
                extra={"two_sem": row["two_sem"], "measure": measure},
            )
    fc_pairs = int(result.correlations[result.correlations.layer.str.startswith("fc")].n.sum())
    ctx.record("fig6.fc_correlation.mean", result.fc_correlation_mean, n=fc_pairs)
    net = result.network
    ctx.record(
        "fig6.network.accuracy",
        float(net.analysed_network.mean()),
        n=len(net),
        extra={
            "folds": net.fold.tolist(),
            "per_fold": net.analysed_network.round(4).tolist(),
            "sex_dnn_on_same_folds": float(net.sex_dnn.mean()),
        },
    )
