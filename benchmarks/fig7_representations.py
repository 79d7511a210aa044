"""Which representation of the USVs isolates the planted two-part call (Fig 7's validation).

Fig 7 embeds the 100 x 100 network images (PCA to 50, 3-D t-SNE) and clusters the embedding;
on the default synthetic data that cluster holds about 80 % of the male-only two-part calls and
misses most of those centred above 46 kHz (``fig7.recall_by_quartile``): the images place a call
at its frequency. This script runs the same embedding, clustering and cluster choice on
representations that do not (the images each shifted so that the call's power-weighted mean
row is the centre row, the call images the sex network reads, fundamental band, and the
sex network's last fully connected layer, ``fig7.network_representation``), and prints
precision and recall for each beside the images', with the time each embedding took.

    python benchmarks/fig7_representations.py [--profile default]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from usvlib.dataset import load_dataset
from usvlib.embed import cached_embedding, cluster_scores
from usvlib.paper import fig7
from usvlib.paper.reproduce import prepare_synthetic
from usvlib.paper.study import load_study
from usvlib.paths import cache_dir


def frequency_centred(images: np.ndarray) -> np.ndarray:
    """Each image (N, H, W) shifted along frequency (rows, circularly) so its mean row is the centre row."""
    h = images.shape[1]
    power = np.clip(images, 0, None).sum(axis=2)  # (n, h): each row's positive excess
    rows = np.arange(h)
    centre = (power * rows).sum(axis=1) / np.maximum(power.sum(axis=1), 1e-12)
    shift = np.rint(h / 2 - centre).astype(int)
    source = (rows[None, :] - shift[:, None]) % h  # output row r takes input row r - shift
    return np.take_along_axis(images, source[:, :, None], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    args = parser.parse_args()
    dataset = load_dataset(prepare_synthetic(args.profile, progress=False))
    study = load_study(dataset, args.profile, progress=False)
    n = len(study.labels)
    two_part, _ = fig7.planted_two_part(study, dataset)
    min_size = fig7.min_cluster_size(n)
    representations = {
        "network images (Fig 7)": study.images.reshape(n, -1),
        "images centred on their mean frequency": frequency_centred(study.images.reshape(n, 100, 100)).reshape(n, -1),
        "call images, fundamental band": study.calls[:, 0].reshape(n, -1),
    }
    network = fig7.network_representation(study)  # Fig 3's kept network (run notebook 03 first)
    if network is not None:
        representations["sex network, last FC layer"] = network[0]
        print(f"network representation: {network[1]}")
    print(f"{n} USVs, {two_part.sum()} planted two-part calls; HDBSCAN leaf, min size {min_size}")
    for name, x in representations.items():
        started = time.perf_counter()
        points = cached_embedding(
            np.ascontiguousarray(x, dtype=np.float32),
            cache_dir=cache_dir() / "embeddings",
            method="tsne",
            pca_components=fig7.PCA_COMPONENTS,
            perplexity=fig7.PERPLEXITY,
            seed=study.profile.seed,
        )
        seconds = time.perf_counter() - started
        _, choice, in_cluster = fig7.male_cluster(points, study.groups, study.classes[1], min_size)
        precision, recall = cluster_scores(in_cluster, two_part)
        print(
            f"  {name:40s} precision {precision:.3f} recall {recall:.3f} "
            f"(cluster of {in_cluster.sum()} USVs, {100 * choice.share:.0f} % male; embedding {seconds:.0f} s)"
        )


if __name__ == "__main__":
    main()
