"""Fig 7: the space of USVs — a 3-D t-SNE of the spectrogram images, the male cluster.

``compute(study, dataset)``: the 10 000-pixel images of all USVs reduced by PCA and embedded in
3-D by t-SNE and, beside it, by UMAP (``usvlib.embed``, seeded, cached); density clusters
(HDBSCAN) of the t-SNE embedding and the cluster richest in males among those of at least
``MIN_CLUSTER_SHARE`` of the USVs, with how many USVs it holds from each male and from the
females; on synthetic data its precision and recall for the male-only two-part call the
generator planted (and the same for the UMAP embedding). The USVs whose leave-one-animal-out DNN
output (Fig 3's cached predictions) is under 0.1 or over 0.9 are compared with all by the sex
purity of their nearest neighbours in the embedding; mean frequency, frequency range and
duration inside the cluster against the rest. ``record(ctx, result)`` files the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from usvlib.embed import (
    cached_embedding,
    cluster_scores,
    density_clusters,
    knn_purity,
    richest_cluster,
)
from usvlib.internals import layer_activations, relu_layers
from usvlib.paper.examples import typical_examples
from usvlib.paper.fig3 import across_animals_dnn
from usvlib.paper.runners import load_saved_network
from usvlib.paper.study import Study
from usvlib.paths import cache_dir
from usvlib.synth.diagnostics import truth_rows

PCA_COMPONENTS = 50
PERPLEXITY = 30.0
UMAP_NEIGHBOURS = 15
UMAP_EPOCHS = 200
"""umap-learn's own default above 10 000 points (500 below): the same schedule for every size."""
MIN_CLUSTER_SHARE = 0.02
"""The smallest cluster considered, as a share of all USVs (2 %: 197 of the default's 9 842).

Chosen on the synthetic data, whose truth is known (measured on the default profile's
embeddings): at 1 % the fine (leaf) clustering splits the planted two-part call into fragments
(recall 0.26-0.41); at 2 % and 3 %, with ``MIN_SAMPLES`` 5-20, one cluster holds it (precision
0.80-0.88, recall 0.77-0.80, in the t-SNE and the UMAP embedding). The cluster is then chosen
by its male USVs beyond chance (``richest_cluster(criterion="excess")``): by male share alone
a smaller cluster of wide-range calls (258 USVs, 93 % male) wins, which holds no two-part call."""
MIN_SAMPLES = 10
"""HDBSCAN's ``min_samples``: the neighbours that make a point a core point."""
NEIGHBOURS = 10
"""k of the nearest-neighbour sex purity."""
CONFIDENT = 0.1
"""A DNN output under this or over 1 - this is confident."""
OVERLAID = ("mean_freq_hz", "freq_range_hz", "duration_s")


@dataclass
class Fig7Result:
    """Fig 7's analyses (one row of ``points`` per USV)."""

    points: (
        pd.DataFrame
    )  # x, y, z (t-SNE), ux, uy, uz (UMAP), group, animal, cluster, in_male_cluster, p_positive, OVERLAID
    classes: tuple
    cluster: int  # the male cluster's label (-1: none found)
    male_share: float
    n_usvs: int  # in the male cluster
    per_animal: pd.DataFrame  # USVs of each animal in the male cluster, with its group
    n_males_present: int
    precision: float | None  # against the planted two-part call (synthetic data); None for real data
    recall: float | None
    umap_precision: float | None  # the same clustering of the UMAP embedding
    umap_recall: float | None
    recall_by_frequency: pd.DataFrame | None  # the two-part calls per quartile of their true centre frequency
    confident_fraction: float
    knn_purity_all: float
    knn_purity_confident: float
    properties: pd.DataFrame  # OVERLAID medians in the male cluster and elsewhere
    examples_in: np.ndarray  # USV indices: three typical members of the male cluster
    examples_out: np.ndarray  # three USVs from elsewhere
    settings: dict  # PCA, perplexity, seed, minimum cluster size, k


def min_cluster_size(n_usvs: int) -> int:
    """The smallest cluster considered: ``MIN_CLUSTER_SHARE`` of the USVs, at least 10."""
    return max(10, round(MIN_CLUSTER_SHARE * n_usvs))


def planted_two_part(study: Study, dataset) -> tuple[np.ndarray, np.ndarray] | None:
    """Which USVs are the generator's male-only two-part call, and each USV's true centre
    frequency in kHz (None for data without a truth)."""
    if "truth_call_id" not in study.table:
        return None
    truth = truth_rows(dataset, study.table.truth_call_id)
    return truth.family.to_numpy() == "two_part", truth.center_freq_khz.to_numpy()


def male_cluster(points: np.ndarray, groups, positive, min_size: int) -> tuple[np.ndarray, object]:
    clusters = density_clusters(points, min_cluster_size=min_size, min_samples=MIN_SAMPLES, selection="leaf")
    choice = richest_cluster(clusters, groups, positive, min_size=min_size, criterion="excess")
    in_cluster = clusters == choice.cluster if choice.cluster >= 0 else np.zeros(len(points), bool)
    return clusters, choice, in_cluster


def recall_by_quartile(found: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """The share of a planted set that a cluster holds, per quartile of one of its parameters.

    Parameters
    ----------
    found : ndarray of bool (n,)
        Whether each member of the set is in the cluster.
    values : ndarray (n,)
        The parameter (e.g. the true centre frequency in kHz).

    Returns
    -------
    DataFrame
        One row per quartile: ``low`` and ``high`` (its bounds), ``n`` and ``recall``.
    """
    quartile = pd.qcut(values, 4, labels=False, duplicates="drop")
    table = pd.DataFrame({"q": quartile, "value": values, "found": found}).groupby("q")
    return pd.DataFrame(
        {
            "low": table.value.min(),
            "high": table.value.max(),
            "n": table.size(),
            "recall": table.found.mean(),
        }
    ).reset_index(drop=True)


def recall_verdict(result: Fig7Result) -> str | None:
    """Where the cluster misses the planted two-part calls, from ``recall_by_frequency`` (None
    without a truth)."""
    table = result.recall_by_frequency
    if table is None or len(table) < 2:
        return None
    low, top = table.iloc[:-1], table.iloc[-1]
    low_recall = float((low.recall * low.n).sum() / low.n.sum())
    return (
        f"The cluster holds {100 * low_recall:.0f} % of the two-part calls centred at or below "
        f"{low.high.max():.1f} kHz and {100 * top.recall:.0f} % of those above ({top.low:.1f}-{top.high:.1f} kHz): "
        "the images place a call at its frequency, so the highest two-part calls lie among other "
        "calls of their frequency rather than with the other two-part calls."
    )


def network_representation(study: Study) -> tuple[np.ndarray, str] | None:
    """Every USV as the sex network's last fully connected layer sees it.

    The network is Fig 3's kept network of the example fold (``runners.load_saved_network``):
    trained on every animal but the example fold's, so for those animals the representation is
    of calls it was fitted on; it was given each call's sex, never its call family.

    Parameters
    ----------
    study : Study

    Returns
    -------
    (ndarray (N, units) float32, str) or None
        The ReLU outputs of the last fully connected layer and a description of the layer; None
        where no such network is saved yet (notebook 03 not run).
    """
    try:
        model = load_saved_network(study, "fig3-dnn", fold=study.example_fold())
    except FileNotFoundError:
        return None
    layer = [name for name in relu_layers(model) if name.startswith("fc")][-1]
    inputs = study.calls if study.profile.training.dnn_input == "calls" else study.images
    values = layer_activations(model, inputs, layers=[layer])[layer]
    described = (
        f"{layer} ({values.shape[1]} units) of the sex network ({type(model).__name__}) kept for the example "
        f"fold {study.example_fold()}, trained on the other animals"
    )
    return values, described


def compute(study: Study, dataset, *, progress: bool = True) -> Fig7Result:
    """Embed, cluster and validate (see the module docstring).

    Parameters
    ----------
    study : Study
    dataset : Dataset
        The study's (on synthetic data: the truth of the two-part call).
    progress : bool

    Returns
    -------
    Fig7Result
    """
    seed = study.profile.seed
    positive = study.classes[1]
    n = len(study.labels)
    pixels = study.images.reshape(n, -1)
    folder = cache_dir() / "embeddings"
    tsne = cached_embedding(
        pixels, cache_dir=folder, method="tsne", pca_components=PCA_COMPONENTS, perplexity=PERPLEXITY, seed=seed
    )
    umap = cached_embedding(
        pixels,
        cache_dir=folder,
        method="umap",
        pca_components=PCA_COMPONENTS,
        n_neighbors=UMAP_NEIGHBOURS,
        n_epochs=UMAP_EPOCHS,
        seed=seed,
    )
    min_size = min_cluster_size(n)
    groups = study.groups
    clusters, choice, in_cluster = male_cluster(tsne, groups, positive, min_size)
    _, _, in_umap_cluster = male_cluster(umap, groups, positive, min_size)
    dnn = across_animals_dnn(study, progress=progress).predictions.set_index("index").score_1
    p_positive = dnn.reindex(np.arange(n)).to_numpy()
    points = pd.DataFrame(
        {
            **{axis: tsne[:, i] for i, axis in enumerate("xyz")},
            **{f"u{axis}": umap[:, i] for i, axis in enumerate("xyz")},
            "group": groups,
            "animal": study.animals,
            "cluster": clusters,
            "in_male_cluster": in_cluster,
            "p_positive": p_positive,
        }
    )
    for column in OVERLAID:
        points[column] = study.table[column].to_numpy(float)
    counts = points[in_cluster].groupby(["animal", "group"]).size().rename("n_usvs")
    per_animal = (
        points[["animal", "group"]]
        .drop_duplicates()
        .set_index(["animal", "group"])
        .join(counts)
        .fillna(0)
        .astype({"n_usvs": int})
        .reset_index()
    )
    males = per_animal[per_animal.group == positive]
    precision = recall = umap_precision = umap_recall = recall_by_frequency = None
    planted = planted_two_part(study, dataset)
    if planted is not None:
        two_part, centre_khz = planted
        precision, recall = cluster_scores(in_cluster, two_part)
        umap_precision, umap_recall = cluster_scores(in_umap_cluster, two_part)
        recall_by_frequency = recall_by_quartile(in_cluster[two_part], centre_khz[two_part])
    confident = (p_positive < CONFIDENT) | (p_positive > 1 - CONFIDENT)
    purity_all = knn_purity(tsne, groups, k=NEIGHBOURS)
    purity_confident = (
        knn_purity(tsne, groups, k=NEIGHBOURS, subset=confident) if confident.sum() > NEIGHBOURS else np.nan
    )
    properties = pd.DataFrame(
        {
            "male_cluster": points[in_cluster][list(OVERLAID)].median(),
            "elsewhere": points[~in_cluster][list(OVERLAID)].median(),
        }
    )
    # examples by the library's rule (typical, visible): three of the male cluster, and one female
    # and two male USVs from elsewhere
    where = np.where(in_cluster, "male cluster", np.where(groups == positive, f"elsewhere {positive}", "elsewhere"))
    rows = study.table.assign(usv=np.arange(n), _where=where)
    chosen = typical_examples(rows, "_where", per_value=3)
    examples_in = chosen.usv[chosen._value == "male cluster"].to_numpy(int)
    others = chosen[chosen._value != "male cluster"]
    examples_out = np.concatenate(
        [
            others.usv[others._value == "elsewhere"].to_numpy(int)[:1],
            others.usv[others._value != "elsewhere"].to_numpy(int)[:2],
        ]
    )
    return Fig7Result(
        points=points,
        classes=study.classes,
        cluster=choice.cluster,
        male_share=choice.share,
        n_usvs=int(in_cluster.sum()),
        per_animal=per_animal,
        n_males_present=int((males.n_usvs > 0).sum()),
        precision=precision,
        recall=recall,
        umap_precision=umap_precision,
        umap_recall=umap_recall,
        recall_by_frequency=recall_by_frequency,
        confident_fraction=float(confident.mean()),
        knn_purity_all=purity_all,
        knn_purity_confident=float(purity_confident),
        properties=properties,
        examples_in=examples_in,
        examples_out=examples_out,
        settings={
            "pca_components": PCA_COMPONENTS,
            "tsne": f"openTSNE, Barnes-Hut, 3-D, perplexity {PERPLEXITY:g}, PCA initialisation, seed {seed}",
            "umap": f"umap-learn, 3-D, {UMAP_NEIGHBOURS} neighbours, {UMAP_EPOCHS} epochs, seed {seed}",
            "clustering": f"HDBSCAN (leaf), min_cluster_size {min_size}, min_samples {MIN_SAMPLES}; "
            "the cluster with the most male USVs beyond chance",
            "min_cluster_size": min_size,
            "k": NEIGHBOURS,
            "n_males": len(males),
        },
    )


def record(ctx, result: Fig7Result) -> None:
    """Record ``fig7.male_cluster.*``, ``fig7.umap_cluster.*``, ``fig7.confident.*`` and
    ``fig7.cluster_median.*`` (a number that could not be computed, e.g. without a cluster, is
    left out rather than recorded as NaN)."""
    extra = dict(result.settings)
    n = len(result.points)

    def put(key: str, value, **kw) -> None:
        if value is not None and np.isfinite(value):
            ctx.record(key, value, **kw)

    put("fig7.male_cluster.precision", result.precision, n=result.n_usvs, extra=extra)
    put("fig7.male_cluster.recall", result.recall, n=result.n_usvs, extra=extra)
    put("fig7.umap_cluster.precision", result.umap_precision, n=n, extra=extra)
    put("fig7.umap_cluster.recall", result.umap_recall, n=n, extra=extra)
    if result.recall_by_frequency is not None:
        for q, row in result.recall_by_frequency.iterrows():
            put(
                f"fig7.male_cluster.recall_by_frequency.q{q + 1}",
                row.recall,
                n=int(row.n),
                extra={"centre_freq_khz": [float(row.low), float(row.high)]},
            )
    put("fig7.male_cluster.male_share", result.male_share, n=result.n_usvs, extra=extra)
    put("fig7.male_cluster.n_males_present", result.n_males_present, n=result.settings["n_males"], unit="count")
    put("fig7.male_cluster.n_usvs", result.n_usvs, n=n, unit="count")
    for column, medians in result.properties.iterrows():
        for where, value in medians.items():
            put(
                f"fig7.cluster_median.{column}.{where}",
                value,
                n=result.n_usvs if where == "male_cluster" else n - result.n_usvs,
            )
    put("fig7.confident.fraction", result.confident_fraction, n=n)
    put("fig7.confident.knn_purity_all", result.knn_purity_all, n=n, extra={"k": result.settings["k"]})
    put(
        "fig7.confident.knn_purity_confident",
        result.knn_purity_confident,
        n=round(result.confident_fraction * n),
        extra={"k": result.settings["k"]},
    )
