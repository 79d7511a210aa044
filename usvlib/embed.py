"""The space of USVs (the paper's Fig 7): embeddings of any per-USV representation, density
clusters in them, and how well a cluster or a class stands apart.

* ``embedding(x)``: PCA to ``pca_components`` dimensions, then t-SNE (openTSNE, Barnes-Hut,
  seeded; the paper: 3-D t-SNE of the 10 000-pixel images) or UMAP (umap-learn, seeded).
* ``density_clusters(points)``: HDBSCAN (scikit-learn) with a stated minimum cluster size;
  ``richest_cluster`` picks the cluster with the largest share of one group.
* ``density_difference``: the smoothed density of one group minus another's on a 2-D grid.
* ``cluster_scores``: a found cluster against a known set (precision, recall), for synthetic
  data whose generator planted one (the male-only two-part call).
* ``knn_purity``: the share of each point's k nearest neighbours that share its label — how well
  the classes separate in an embedding, for all points or a subset (confident predictions).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

METHODS = ("tsne", "umap")


def embedding(
    x: np.ndarray,
    *,
    method: str = "tsne",
    n_components: int = 3,
    pca_components: int = 50,
    perplexity: float = 30.0,
    n_neighbors: int = 15,
    n_epochs: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """A seeded t-SNE or UMAP embedding of ``x`` after PCA.

    Parameters
    ----------
    x : ndarray (N, ...)
        One representation per USV (e.g. its 100 x 100 image), flattened here.
    method : {"tsne", "umap"}
        t-SNE: openTSNE, Barnes-Hut gradients (the only method of openTSNE for 3-D), PCA
        initialisation, its default schedule (250 exaggerated + 500 iterations). UMAP:
        umap-learn with ``n_neighbors`` and its defaults otherwise; seeded, so single-threaded.
    n_components : int
        Dimensions of the embedding: 1-3 for t-SNE, 1 or more for UMAP.
    pca_components : int
        PCA first, to at most this many dimensions (fewer when N or D are smaller).
    perplexity : float
        t-SNE's; capped below (N - 1) / 3 for small inputs.
    n_neighbors : int
        UMAP's; capped below N.
    n_epochs : int, optional
        UMAP's optimisation epochs (default: umap-learn's, 500 up to 10 000 points, 200 above).
    seed : int

    Returns
    -------
    ndarray (N, n_components) float32

    Raises
    ------
    ValueError
        For fewer than 5 points, an unknown method or too many t-SNE components.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> embedding(rng.normal(size=(60, 20)), n_components=2, seed=0).shape
    (60, 2)
    """
    from sklearn.decomposition import PCA

    x = np.asarray(x, np.float32).reshape(len(x), -1)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if len(x) < 5:
        raise ValueError(f"an embedding needs at least 5 points, got {len(x)}")
    if n_components < 1 or (method == "tsne" and n_components > 3):
        raise ValueError(f"n_components must be 1-3 for t-SNE (Barnes-Hut) and at least 1, got {n_components}")
    k = min(pca_components, x.shape[1], len(x) - 1)
    reduced = PCA(n_components=k, random_state=seed).fit_transform(x).astype(np.float64)
    if method == "umap":
        import warnings

        import umap

        with warnings.catch_warnings():
            # "n_jobs overridden by random_state": seeded UMAP is single-threaded, on purpose
            warnings.filterwarnings("ignore", message=".*n_jobs.*")
            model = umap.UMAP(
                n_components=n_components,
                n_neighbors=min(n_neighbors, len(x) - 1),
                n_epochs=n_epochs,
                random_state=seed,
            )
            return model.fit_transform(reduced).astype(np.float32)
    from openTSNE import TSNE

    tsne = TSNE(
        n_components=n_components,
        perplexity=min(perplexity, (len(x) - 1) / 3),
        initialization="pca",
        negative_gradient_method="bh",
        random_state=seed,
        n_jobs=os.cpu_count() or 1,
        verbose=False,
    )
    return np.asarray(tsne.fit(reduced), np.float32)


def density_clusters(
    points: np.ndarray, *, min_cluster_size: int, min_samples: int | None = None, selection: str = "leaf"
) -> np.ndarray:
    """HDBSCAN clusters of ``points``.

    Parameters
    ----------
    points : ndarray (N, d)
    min_cluster_size : int
        The smallest group of points called a cluster.
    min_samples : int, optional
        How conservative the clustering is (default: ``min_cluster_size``).
    selection : {"leaf", "eom"}
        HDBSCAN's cluster selection. "leaf" keeps the finest clusters of the tree; "eom" (excess
        of mass, HDBSCAN's default) tends to merge a dense embedding into one or two clusters.

    Returns
    -------
    ndarray (N,) of int
        The cluster of each point, -1 for noise.
    """
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(
        min_cluster_size=min_cluster_size, min_samples=min_samples, cluster_selection_method=selection, copy=True
    ).fit_predict(np.asarray(points, np.float64))


def density_difference(
    xy: np.ndarray, groups, positive, negative, *, bins: int = 60, sigma_bins: float = 1.5
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The density of ``positive`` minus that of ``negative`` on a 2-D grid.

    Parameters
    ----------
    xy : ndarray (N, 2)
        Positions (e.g. the first two axes of an embedding).
    groups : array-like (N,)
    positive, negative
        The two groups compared.
    bins : int
        Grid cells per axis, over the range of all points.
    sigma_bins : float
        The Gaussian kernel's standard deviation, in grid cells.

    Returns
    -------
    (ndarray (bins, bins), (x0, x1, y0, y1))
        The difference (each group's density integrates to 1; first index x) and the grid's extent.
    """
    from scipy.ndimage import gaussian_filter

    xy, groups = np.asarray(xy, np.float64), np.asarray(groups)
    extent = (xy[:, 0].min(), xy[:, 0].max(), xy[:, 1].min(), xy[:, 1].max())
    span = [extent[:2], extent[2:]]

    def density(group) -> np.ndarray:
        part = xy[groups == group]
        return gaussian_filter(
            np.histogram2d(part[:, 0], part[:, 1], bins=bins, range=span, density=True)[0], sigma_bins
        )

    return density(positive) - density(negative), tuple(float(v) for v in extent)


CRITERIA = ("excess", "share")


@dataclass(frozen=True)
class ClusterChoice:
    """The cluster chosen for one group (``cluster`` -1: none is big enough)."""

    cluster: int
    share: float  # of the group among its members
    size: int
    excess: float  # members of the group beyond size x the group's share of all points


def richest_cluster(
    clusters: np.ndarray, groups, positive, *, min_size: int, criterion: str = "excess"
) -> ClusterChoice:
    """The cluster of at least ``min_size`` points richest in ``positive``.

    Parameters
    ----------
    clusters : ndarray (N,)
        As :func:`density_clusters` gives them (-1: noise, never chosen).
    groups : array-like (N,)
        The group of each point (e.g. the sex of the mouse).
    positive
        The group sought.
    min_size : int
    criterion : {"excess", "share"}
        "excess": the most members of ``positive`` beyond chance, ``n_positive - size * p``
        with ``p`` the group's share of all points; it weighs purity against size, so a large,
        mostly male cluster wins over a small fragment of a purer one. "share": the largest
        share of ``positive`` (ties: the larger cluster); it favours small pure fragments,
        which fine-grained (leaf) clusterings produce in numbers.

    Returns
    -------
    ClusterChoice

    Raises
    ------
    ValueError
        For an unknown criterion.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    clusters, is_positive = np.asarray(clusters), np.asarray(groups) == positive
    base = float(is_positive.mean()) if len(is_positive) else 0.0
    best, best_rank = ClusterChoice(-1, float("nan"), 0, float("nan")), None
    for c in np.unique(clusters[clusters >= 0]):
        members = clusters == c
        size = int(members.sum())
        if size < min_size:
            continue
        n_positive = int(is_positive[members].sum())
        choice = ClusterChoice(int(c), n_positive / size, size, n_positive - size * base)
        rank = (choice.excess, size) if criterion == "excess" else (choice.share, size)
        if best_rank is None or rank > best_rank:
            best, best_rank = choice, rank
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


def cached_embedding(x: np.ndarray, *, cache_dir, **options) -> np.ndarray:
    """:func:`embedding` of ``x``, kept in ``cache_dir`` under a key of its input and options.

    Parameters
    ----------
    x : ndarray (N, ...)
    cache_dir : path-like
        Where ``embedding-<key>.npy`` is kept; the key covers the bytes of ``x``, the options,
        the code of :func:`embedding` and the versions of openTSNE and umap-learn.
    **options
        Passed to :func:`embedding`.

    Returns
    -------
    ndarray (N, n_components) float32
    """
    from importlib.metadata import version
    from pathlib import Path

    from usvlib._fingerprint import dependency_fingerprint
    from usvlib._io import array_digest, atomic_path, json_digest

    x = np.ascontiguousarray(x, np.float32)
    key = json_digest(
        {
            "x": array_digest(x, 16),
            "shape": x.shape,
            "options": options,
            "code": dependency_fingerprint(embedding),
            "versions": [version("openTSNE"), version("umap-learn"), version("scikit-learn")],
        }
    )
    path = Path(cache_dir) / f"embedding-{key}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    result = embedding(x, **options)
    with atomic_path(path) as tmp:
        np.save(tmp, result, allow_pickle=False)
    return result
