"""Fig 7: the space of USVs — a 3-D t-SNE of the spectrogram images, the male cluster.

``compute(study, dataset)``: the 10 000-pixel images of all USVs reduced by PCA and embedded in
3-D by t-SNE (``usvlib.embed``, seeded); density clusters (HDBSCAN) of the embedding and the
cluster richest in males (of at least ``MIN_CLUSTER_SHARE`` of the USVs), with how many USVs it
holds from each male and from the females; on synthetic data its precision and recall for the
male-only two-part call the generator planted. The USVs whose leave-one-animal-out DNN output
(Fig 3's cached predictions) is under 0.1 or over 0.9 are compared with all by the sex purity of
their nearest neighbours in the embedding; mean frequency, frequency range and duration inside
the cluster against the rest. ``record(ctx, result)`` files the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from usvlib.embed import cluster_scores, density_clusters, embedding, knn_purity, richest_cluster
from usvlib.paper.fig3 import across_animals_dnn
from usvlib.paper.study import Study
from usvlib.synth.diagnostics import truth_rows

PCA_COMPONENTS = 50
PERPLEXITY = 30.0
MIN_CLUSTER_SHARE = 0.005
"""The smallest cluster considered, as a share of all USVs (0.5 %: 49 of the default's 9 842)."""
NEIGHBOURS = 10
"""k of the nearest-neighbour sex purity."""
CONFIDENT = 0.1
"""A DNN output under this or over 1 - this is confident."""
OVERLAID = ("mean_freq_hz", "freq_range_hz", "duration_s")


@dataclass
class Fig7Result:
    """Fig 7's analyses (one row of ``points`` per USV)."""

    points: pd.DataFrame  # x, y, z of the embedding, group, animal, cluster, in_male_cluster, p_positive, OVERLAID
    classes: tuple
    cluster: int  # the male cluster's label (-1: none found)
    male_share: float
    n_usvs: int  # in the male cluster
    per_animal: pd.DataFrame  # USVs of each animal in the male cluster, with its group
    n_males_present: int
    precision: float | None  # against the planted two-part call (synthetic data); None for real data
    recall: float | None
    confident_fraction: float
    knn_purity_all: float
    knn_purity_confident: float
    properties: pd.DataFrame  # OVERLAID medians in the male cluster and elsewhere
    examples_in: np.ndarray  # USV indices: three typical members of the male cluster
    examples_out: np.ndarray  # three USVs from elsewhere
    settings: dict  # PCA, perplexity, seed, minimum cluster size, k


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
    emb = embedding(
        study.images.reshape(n, -1), n_components=3, pca_components=PCA_COMPONENTS, perplexity=PERPLEXITY, seed=seed
    )
    min_size = max(10, round(MIN_CLUSTER_SHARE * n))
    clusters = density_clusters(emb, min_cluster_size=min_size)
    groups = study.groups
    choice = richest_cluster(clusters, groups, positive, min_size=min_size)
    in_cluster = clusters == choice.cluster if choice.cluster >= 0 else np.zeros(n, bool)
    dnn = across_animals_dnn(study, progress=progress).predictions.set_index("index").score_1
    p_positive = dnn.reindex(np.arange(n)).to_numpy()
    points = pd.DataFrame(
        {
            "x": emb[:, 0],
            "y": emb[:, 1],
            "z": emb[:, 2],
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
    precision = recall = None
    truth = truth_rows(dataset, study.table.truth_call_id) if "truth_call_id" in study.table else None
    if truth is not None:
        precision, recall = cluster_scores(in_cluster, truth.family.to_numpy() == "two_part")
    confident = (p_positive < CONFIDENT) | (p_positive > 1 - CONFIDENT)
    purity_all = knn_purity(emb, groups, k=NEIGHBOURS)
    purity_confident = (
        knn_purity(emb, groups, k=NEIGHBOURS, subset=confident) if confident.sum() > NEIGHBOURS else np.nan
    )
    properties = pd.DataFrame(
        {
            "male cluster": points[in_cluster][list(OVERLAID)].median(),
            "elsewhere": points[~in_cluster][list(OVERLAID)].median(),
        }
    )
    rng = np.random.default_rng(seed)
    members = np.flatnonzero(in_cluster)
    if len(members):
        centre = emb[members].mean(axis=0)
        examples_in = members[np.argsort(np.linalg.norm(emb[members] - centre, axis=1))[:3]]
    else:
        examples_in = np.zeros(0, int)
    examples_out = np.sort(
        rng.choice(np.flatnonzero(~in_cluster), size=min(3, int((~in_cluster).sum())), replace=False)
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
        confident_fraction=float(confident.mean()),
        knn_purity_all=purity_all,
        knn_purity_confident=float(purity_confident),
        properties=properties,
        examples_in=examples_in,
        examples_out=examples_out,
        settings={
            "pca_components": PCA_COMPONENTS,
            "perplexity": PERPLEXITY,
            "seed": seed,
            "method": "barnes_hut",
            "implementation": "scikit-learn TSNE",
            "min_cluster_size": min_size,
            "k": NEIGHBOURS,
            "n_males": len(males),
        },
    )


def record(ctx, result: Fig7Result) -> None:
    """Record ``fig7.male_cluster.*`` and ``fig7.confident.*``."""
    extra = {**result.settings, "cluster_medians": result.properties.to_dict()}
    if result.precision is not None:
        ctx.record("fig7.male_cluster.precision", result.precision, n=result.n_usvs, extra=extra)
        ctx.record("fig7.male_cluster.recall", result.recall, n=result.n_usvs, extra=extra)
    ctx.record("fig7.male_cluster.male_share", result.male_share, n=result.n_usvs, extra=extra)
    ctx.record("fig7.male_cluster.n_males_present", result.n_males_present, n=result.settings["n_males"], unit="count")
    ctx.record("fig7.male_cluster.n_usvs", result.n_usvs, n=len(result.points), unit="count")
    n = len(result.points)
    ctx.record("fig7.confident.fraction", result.confident_fraction, n=n)
    ctx.record("fig7.confident.knn_purity_all", result.knn_purity_all, n=n, extra={"k": result.settings["k"]})
    if np.isfinite(result.knn_purity_confident):
        ctx.record(
            "fig7.confident.knn_purity_confident",
            result.knn_purity_confident,
            n=round(result.confident_fraction * n),
            extra={"k": result.settings["k"]},
        )
