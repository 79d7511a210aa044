import numpy as np
import pytest

from usvlib.embed import (
    cached_embedding,
    cluster_scores,
    density_clusters,
    density_difference,
    embedding,
    knn_purity,
    richest_cluster,
)


def _blobs(seed=0):
    """Two broad groups (female 0, male 1) and a tight male-only cluster far from both."""
    rng = np.random.default_rng(seed)
    female = rng.normal(0.0, 1.0, (150, 20))
    male = rng.normal(0.0, 1.0, (150, 20)) + np.r_[1.0, np.zeros(19)]
    planted = rng.normal(0.0, 0.2, (40, 20)) + np.r_[0.0, 0.0, 8.0, np.zeros(17)]
    x = np.vstack([female, male, planted])
    sex = np.r_[np.zeros(150), np.ones(150), np.ones(40)].astype(int)
    planted_mask = np.r_[np.zeros(300, bool), np.ones(40, bool)]
    return x, sex, planted_mask


def test_the_clustering_finds_a_planted_well_separated_cluster():
    x, sex, planted = _blobs()
    clusters = density_clusters(x, min_cluster_size=20)
    choice = richest_cluster(clusters, sex, 1, min_size=20)
    assert choice.share == 1.0 and choice.size == 40
    assert cluster_scores(clusters == choice.cluster, planted) == (1.0, 1.0)
    assert richest_cluster(clusters, sex, 1, min_size=20, criterion="share").cluster == choice.cluster
    assert richest_cluster(clusters, sex, 1, min_size=1000).cluster == -1  # none big enough


def test_excess_weighs_purity_against_size_and_share_does_not():
    # cluster 0: 10 points, all male; cluster 1: 100 points, 90 male; 200 female noise points
    clusters = np.r_[np.zeros(10), np.ones(100), -np.ones(200)].astype(int)
    sex = np.r_[np.ones(10), np.ones(90), np.zeros(10), np.zeros(200)].astype(int)
    base = 100 / 310
    by_excess = richest_cluster(clusters, sex, 1, min_size=5)
    assert by_excess.cluster == 1 and by_excess.excess == pytest.approx(90 - 100 * base)
    assert richest_cluster(clusters, sex, 1, min_size=5, criterion="share").cluster == 0
    with pytest.raises(ValueError, match="criterion"):
        richest_cluster(clusters, sex, 1, min_size=5, criterion="purity")


def test_an_embedding_keeps_separated_groups_apart():
    x, _, planted = _blobs()
    emb = embedding(x, n_components=3, pca_components=10, seed=0)
    assert emb.shape == (340, 3) and emb.dtype == np.float32
    np.testing.assert_array_equal(emb, embedding(x, n_components=3, pca_components=10, seed=0))  # seeded
    assert knn_purity(emb, planted, k=10) > 0.97  # the planted cluster stays whole and apart
    with pytest.raises(ValueError, match="at least 5"):
        embedding(x[:3])
    umap = embedding(x, method="umap", n_components=2, pca_components=10, seed=0)
    assert umap.shape == (340, 2) and knn_purity(umap, planted, k=10) > 0.97
    with pytest.raises(ValueError, match="method"):
        embedding(x, method="pca")


def test_cached_embedding_is_kept_under_a_key_of_its_input(tmp_path):
    x, _, _ = _blobs()
    first = cached_embedding(x, cache_dir=tmp_path, n_components=2, pca_components=10, seed=0)
    assert len(list(tmp_path.glob("embedding-*.npy"))) == 1
    np.testing.assert_array_equal(
        first, cached_embedding(x, cache_dir=tmp_path, n_components=2, pca_components=10, seed=0)
    )
    cached_embedding(x[:-1], cache_dir=tmp_path, n_components=2, pca_components=10, seed=0)
    assert len(list(tmp_path.glob("embedding-*.npy"))) == 2  # another input, another entry


def test_density_difference_of_two_offset_groups():
    rng = np.random.default_rng(1)
    xy = np.r_[rng.normal(-3, 0.5, (400, 2)), rng.normal(3, 0.5, (400, 2))]
    groups = np.r_[np.zeros(400), np.ones(400)]
    diff, (x0, x1, y0, y1) = density_difference(xy, groups, 1, 0, bins=40)
    assert diff.shape == (40, 40) and x0 < -3 < 3 < x1
    assert diff[30, 30] > 0 > diff[10, 10]  # group 1's side positive, group 0's negative
    cell = (x1 - x0) / 40 * (y1 - y0) / 40
    assert abs(diff.sum() * cell) < 1e-6  # both densities integrate to one


def test_knn_purity_of_separated_and_of_unrelated_labels():
    rng = np.random.default_rng(3)
    points = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(50, 1, (100, 2))]
    labels = np.r_[np.zeros(100), np.ones(100)]
    assert knn_purity(points, labels, k=5) == 1.0
    shuffled = rng.permutation(labels)
    assert abs(knn_purity(points, shuffled, k=5) - 0.5) < 0.08
    assert knn_purity(points, labels, k=5, subset=np.arange(200) % 2 == 0) == 1.0
    with pytest.raises(ValueError, match="k must be"):
        knn_purity(points[:3], labels[:3], k=3)
