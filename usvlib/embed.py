"""The space of USVs (the paper's Fig 7): embeddings of any per-USV representation, density
clusters in them, and how well a cluster or a class stands apart.

* ``embedding(x)``: PCA to ``pca_components`` dimensions, then t-SNE (scikit-learn's
  Barnes-Hut, seeded) to ``n_components`` (the paper: 3-D t-SNE of the 10 000-pixel images).
* ``density_clusters(points)``: HDBSCAN (scikit-learn) with a stated minimum cluster size;
  ``richest_cluster`` picks the cluster with the largest share of one group.
* ``cluster_scores``: a found cluster against a known set (precision, recall), for synthetic
  data whose generator planted one (the male-only two-part call).
* ``knn_purity``: the share of each point's k nearest neighbours that share its label — how well
  the classes separate in an embedding, for all points or a subset (confident predictions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def embedding(
    x: np.ndarray,
    *,
    n_components: int = 3,
    pca_components: int = 50,
    perplexity: float = 30.0,
    seed: int = 0,
) -> np.ndarray:
    """t-SNE of ``x`` after PCA, seeded.

    Parameters
    ----------
    x : ndarray (N, D)
        One representation per USV (e.g. its flattened 100 x 100 image).
    n_components : int
        Dimensions of the embedding (t-SNE's Barnes-Hut allows up to 3).
    pca_components : int
        PCA first, to at most this many dimensions (fewer when N or D are smaller).
    perplexity : float
        Capped below N / 3 for small inputs.
    seed : int

    Returns
    -------
    ndarray (N, n_components) float32

    Raises
    ------
    ValueError
        For fewer than 5 points or more than 3 components.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    x = np.asarray(x, np.float32).reshape(len(x), -1)
    if len(x) < 5:
        raise ValueError(f"an embedding needs at least 5 points, got {len(x)}")
    if not 1 <= n_components <= 3:
        raise ValueError(f"n_components must be 1-3 (Barnes-Hut t-SNE), got {n_components}")
    k = min(pca_components, x.shape[1], len(x) - 1)
    reduced = PCA(n_components=k, random_state=seed).fit_transform(x)
    tsne = TSNE(
        n_components=n_components,
        perplexity=min(perplexity, (len(x) - 1) / 3),
        init="pca",
        random_state=seed,
        method="barnes_hut",
    )
    return tsne.fit_transform(reduced).astype(np.float32)


def density_clusters(points: np.ndarray, *, min_cluster_size: int, min_samples: int | None = None) -> np.ndarray:
    """HDBSCAN clusters of ``points``.

    Parameters
    ----------
    points : ndarray (N, d)
    min_cluster_size : int
        The smallest group of points called a cluster.
    min_samples : int, optional
        How conservative the clustering is (default: ``min_cluster_size``).

    Returns
    -------
    ndarray (N,) of int
        The cluster of each point, -1 for noise.
    """
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True).fit_predict(
        np.asarray(points, np.float64)
    )


@dataclass(frozen=True)
class ClusterChoice:
    """The cluster with the largest share of one group (``cluster`` -1: none is big enough)."""

    cluster: int
    share: float  # of the group among its members
    size: int


def richest_cluster(clusters: np.ndarray, groups, positive, *, min_size: int) -> ClusterChoice:
    """The cluster of at least ``min_size`` points with the largest share of ``positive``.

    Parameters
    ----------
    clusters : ndarray (N,)
        As :func:`density_clusters` gives them (-1: noise, never chosen).
    groups : array-like (N,)
        The group of each point (e.g. the sex of the mouse).
    positive
        The group whose share is maximised.
    min_size : int

    Returns
    -------
    ClusterChoice
        Ties: the larger cluster.
    """
    clusters, groups = np.asarray(clusters), np.asarray(groups)
    best = ClusterChoice(-1, float("nan"), 0)
    for c in np.unique(clusters[clusters >= 0]):
        members = clusters == c
        size = int(members.sum())
        if size < min_size:
            continue
        share = float(np.mean(groups[members] == positive))
        if best.cluster < 0 or (share, size) > (best.share, best.size):
            best = ClusterChoice(int(c), share, size)
    return best


def cluster_scores(in_cluster, truth) -> tuple[float, float]:
    """Precision and recall of a found set of points against a known one.

    Parameters
    ----------
    in_cluster, truth : array-like of bool (N,)

    Returns
    -------
    (float, float)
        Precision (the share of the cluster that is in ``truth``) and recall (the share of
        ``truth`` in the cluster); NaN where a set is empty.

    Examples
    --------
    >>> cluster_scores([True, True, False, False], [True, False, True, False])
    (0.5, 0.5)
    """
    found, truth = np.asarray(in_cluster, bool), np.asarray(truth, bool)
    hits = float((found & truth).sum())
    precision = hits / found.sum() if found.any() else float("nan")
    recall = hits / truth.sum() if truth.any() else float("nan")
    return precision, recall


def knn_purity(points: np.ndarray, labels, *, k: int = 10, subset=None) -> float:
    """The mean share of each point's ``k`` nearest neighbours (itself left out) with its label.

    Parameters
    ----------
    points : ndarray (N, d)
    labels : array-like (N,)
    k : int
    subset : array-like of bool (N,), optional
        Only these points and their neighbours among themselves (e.g. confident predictions).

    Returns
    -------
    float
        1 for classes that never mix; the share of the commonest class or less for labels
        unrelated to the positions.

    Raises
    ------
    ValueError
        If ``k`` is not below the number of points.
    """
    from sklearn.neighbors import NearestNeighbors

    points, labels = np.asarray(points, np.float64), np.asarray(labels)
    if subset is not None:
        keep = np.asarray(subset, bool)
        points, labels = points[keep], labels[keep]
    if not 0 < k < len(points):
        raise ValueError(f"k must be between 1 and the number of points - 1 ({len(points) - 1}), got {k}")
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
    return float(np.mean(labels[idx[:, 1:]] == labels[:, None]))
