"""How much Fig 7's male cluster moves with the embedding's seed (its validation against the planted call).

The images of all USVs (PCA to 50), embedded by 3-D t-SNE and by UMAP with the settings of
``usvlib.paper.fig7`` and seeds 0, 1, 2, ...; each embedding clustered and its male cluster chosen
as in Fig 7, and scored against the generator's male-only two-part call. Prints precision and
recall per seed and their mean and SD: the spread a rerun may show, since the embeddings also
move with floating-point details (PCA's BLAS, openTSNE's threads) between processes and machines.

    python benchmarks/fig7_seeds.py [--profile default] [--seeds 3]
"""

from __future__ import annotations

import argparse

import numpy as np

from usvlib.dataset import load_dataset
from usvlib.embed import cluster_scores, embedding
from usvlib.paper import fig7
from usvlib.paper.reproduce import prepare_synthetic
from usvlib.paper.study import load_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    dataset = load_dataset(prepare_synthetic(args.profile, progress=False))
    study = load_study(dataset, args.profile, progress=False)
    n = len(study.labels)
    two_part, _ = fig7.planted_two_part(study, dataset)
    min_size = fig7.min_cluster_size(n)
    pixels = study.images.reshape(n, -1)
    options = {
        "tsne": {"perplexity": fig7.PERPLEXITY},
        "umap": {"n_neighbors": fig7.UMAP_NEIGHBOURS, "n_epochs": fig7.UMAP_EPOCHS},
    }
    print(f"{n} USVs, {two_part.sum()} planted two-part calls; HDBSCAN leaf, min size {min_size}")
    for method, kw in options.items():
        scores = []
        for seed in range(args.seeds):
            points = embedding(pixels, method=method, pca_components=fig7.PCA_COMPONENTS, seed=seed, **kw)
            _, _, in_cluster = fig7.male_cluster(points, study.groups, study.classes[1], min_size)
            scores.append(cluster_scores(in_cluster, two_part))
            print(f"  {method} seed {seed}: precision {scores[-1][0]:.3f} recall {scores[-1][1]:.3f}")
        p, r = np.array(scores).T
        print(
            f"  {method}: precision {p.mean():.3f} ± {p.std(ddof=1):.3f}, recall {r.mean():.3f} ± {r.std(ddof=1):.3f} "
            f"(mean ± SD over {args.seeds} seeds)"
        )


if __name__ == "__main__":
    main()
