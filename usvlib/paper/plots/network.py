"""Figures of the network's internals (Fig 6)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter

from usvlib.paper.plots.style import GROUP_COLORS, SEX_COLORS


def _letter(ax, letter: str, *, x: float = -0.12) -> None:
    ax.text(x, 1.06, letter, transform=ax.transAxes, fontsize=12, fontweight="bold", va="bottom")


def _by_layer(ax, table: pd.DataFrame, column: str, colors: dict, *, ylabel: str, title: str) -> None:
    layers = list(dict.fromkeys(table.layer))
    x = np.arange(len(layers))
    for name, part in table.groupby(column, sort=False):
        part = part.set_index("layer").reindex(layers)
        ax.errorbar(
            x,
            part["mean"],
            yerr=part.two_sem,
            marker="o",
            ms=3,
            capsize=2,
            color=colors.get(name, "grey"),
            label=str(name).replace("_", " "),
        )
    ax.set_xticks(x)
    ax.set_xticklabels(layers, rotation=45, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)


def _one_series(ax, table: pd.DataFrame, *, ylabel: str, title: str) -> None:
    """A per-layer table of one series (mean, 2 SEM), in black."""
    _by_layer(ax, table.assign(series=""), "series", {"": "#333333"}, ylabel=ylabel, title=title)


def _picture(ax, image: np.ndarray, title: str, *, cmap: str, fontsize: int = 8, color: str = "black") -> None:
    """An image panel with square pixels, frequency up, no ticks."""
    ax.imshow(image, origin="lower", aspect="equal", cmap=cmap)
    ax.set_title(title, fontsize=fontsize, color=color)
    ax.set_xticks([])
    ax.set_yticks([])


def network_analysis(result, *, synthetic: bool) -> plt.Figure:
    """Fig 6: example stimuli (A), their activations (B), fraction active (C), correlations of
    representations (D), reconstructions from each layer (F), their correlation with the
    stimulus (G) and the similarity of each layer's units (H); error bars 2 SEM."""
    negative, positive = result.classes
    fig = plt.figure(figsize=(12, 9.5))
    grid = fig.add_gridspec(4, 6, height_ratios=[1.1, 1.1, 1, 1], hspace=0.75, wspace=0.5)
    conv = [layer for layer in result.layers if layer.startswith("conv")]
    for row, group in enumerate((negative, positive)):
        ex = result.examples.get(group)
        if ex is None:
            continue
        ax = fig.add_subplot(grid[row, 0])
        _picture(ax, ex["image"], f"{group} USV", cmap="magma", fontsize=9, color=SEX_COLORS.get(group, "black"))
        ax.set_xlabel("time (250 ms)", fontsize=7)
        ax.set_ylabel("frequency", fontsize=7)
        if row == 0:
            _letter(ax, "A")
        for j, layer in enumerate(conv[:4] + conv[-1:]):
            ax = fig.add_subplot(grid[row, j + 1])
            maps = ex["activations"][layer]
            _picture(ax, maps.mean(axis=0), f"{layer} (mean of {maps.shape[0]})", cmap="viridis")
            if row == 0 and j == 0:
                _letter(ax, "B", x=-0.3)  # clear of the panel's title
    ax = fig.add_subplot(grid[2, 0:2])
    _by_layer(ax, result.fraction_active, "group", GROUP_COLORS, ylabel="fraction active", title="ReLU outputs ≠ 0")
    ax.legend(fontsize=7)
    _letter(ax, "C")
    ax = fig.add_subplot(grid[2, 2:4])
    pair_colors = {f"within_{g}": GROUP_COLORS.get(g, "grey") for g in (negative, positive)}
    pair_colors["across"] = "#555555"
    _by_layer(ax, result.correlations, "pairs", pair_colors, ylabel="Pearson r", title="correlation of representations")
    ax.legend(fontsize=7)
    _letter(ax, "D")
    ax = fig.add_subplot(grid[2, 4:6])
    _one_series(ax, result.unit_similarity, ylabel="Pearson r", title="similarity of a layer's units")
    _letter(ax, "H")
    ex = result.examples.get(positive) or next(iter(result.examples.values()), None)
    if ex is not None:
        shown = [result.layers[i] for i in np.linspace(0, len(result.layers) - 1, 4).astype(int)]
        for j, layer in enumerate(shown):
            ax = fig.add_subplot(grid[3, j])
            _picture(ax, ex["reconstructions"][layer], f"from {layer}", cmap="RdBu_r")
            if j == 0:
                _letter(ax, "F")
    ax = fig.add_subplot(grid[3, 4:6])
    _one_series(ax, result.reconstruction, ylabel="Pearson r", title="deconvolved stimulus vs stimulus")
    _letter(ax, "G")
    acc = result.network
    fig.suptitle(
        f"Fig 6 — inside the paper-shaped network ({'synthetic data' if synthetic else 'real data'}; "
        f"left-out animals {', '.join(acc.fold)}: {100 * acc.analysed_network.mean():.0f} % balanced accuracy, "
        f"sex DNN {100 * acc.sex_dnn.mean():.0f} %)",
        fontsize=10,
    )
    return fig


def saliency_maps(result, *, synthetic: bool) -> plt.Figure:
    """Mean integrated-gradient maps per class (towards the positive class: red)."""
    groups = list(result.saliency)
    fig, axes = plt.subplots(1, max(1, len(groups)), figsize=(4 * max(1, len(groups)), 3.6), squeeze=False)
    limit = max((float(np.abs(m).max()) for m in result.saliency.values()), default=1.0) or 1.0
    for ax, group in zip(axes[0], groups, strict=False):
        im = ax.imshow(result.saliency[group], origin="lower", aspect="equal", cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"{group} USVs (confident, correct)", fontsize=9)
        ax.set_xlabel("time (0-250 ms)")
        ax.set_ylabel("frequency (10-149 kHz)")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes[0].tolist(), label=f"integrated gradient (towards {result.classes[1]})", shrink=0.8)
    fig.suptitle(
        f"Fig 6 supplement — where the network looks ({'synthetic data' if synthetic else 'real data'})", fontsize=10
    )
    return fig


def usv_space(result, images: np.ndarray, *, synthetic: bool) -> plt.Figure:
    """Fig 7: the 3-D embedding by sex (A), the male cluster's and other examples (B), the male
    minus female density (C), confident DNN outputs (D), and mean frequency, frequency range and
    duration overlaid (E-G)."""
    pts = result.points
    negative, positive = result.classes
    colors = pts.group.map(SEX_COLORS).fillna("grey").to_numpy()
    fig = plt.figure(figsize=(13, 9))
    grid = fig.add_gridspec(3, 6, height_ratios=[1.4, 1, 1], hspace=0.6, wspace=0.45)
    ax = fig.add_subplot(grid[0, 0:3], projection="3d")
    order = np.random.default_rng(0).permutation(len(pts))  # no sex drawn over the other
    ax.scatter(
        pts.x.to_numpy()[order],
        pts.y.to_numpy()[order],
        pts.z.to_numpy()[order],
        c=colors[order],
        s=1,
        alpha=0.4,
        depthshade=False,
    )
    cl = pts[pts.in_male_cluster]
    ax.scatter(cl.x, cl.y, cl.z, s=3, facecolors="none", edgecolors="black", linewidths=0.3, label="male cluster")
    ax.set_xlabel("t-SNE 1", fontsize=7)
    ax.set_ylabel("t-SNE 2", fontsize=7)
    ax.set_zlabel("t-SNE 3", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.set_title(f"{negative} (red), {positive} (blue); circled: the male cluster", fontsize=9)
    ax.text2D(-0.05, 1.0, "A", transform=ax.transAxes, fontsize=12, fontweight="bold")
    shown = list(result.examples_in) + list(result.examples_out)
    for j, usv in enumerate(shown[:6]):
        ax = fig.add_subplot(grid[0, 3 + j % 3]) if j < 3 else fig.add_subplot(grid[1, 3 + j % 3])
        ax.imshow(images[usv], origin="lower", aspect="equal", cmap="magma")
        ax.set_title(
            ("cluster" if j < len(result.examples_in) else "elsewhere") + f", {pts.group.iloc[usv]}", fontsize=8
        )
        ax.set_xticks([])
        ax.set_yticks([])
        if j == 0:
            _letter(ax, "B")
    ax = fig.add_subplot(grid[1, 0])
    bins = 60
    rng_xy = [[pts.x.min(), pts.x.max()], [pts.y.min(), pts.y.max()]]
    dens = {}
    for g in (negative, positive):
        part = pts[pts.group == g]
        h = np.histogram2d(part.x, part.y, bins=bins, range=rng_xy, density=True)[0]
        dens[g] = gaussian_filter(h, 1.5)
    diff = dens[positive] - dens[negative]
    lim = float(np.abs(diff).max()) or 1.0
    ax.imshow(
        diff.T, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim, extent=[*rng_xy[0], *rng_xy[1]], aspect="auto"
    )
    ax.set_title("male − female density\n(t-SNE 1-2, σ 1.5 bins of 60)", fontsize=8)
    ax.set_xlabel("t-SNE 1", fontsize=7)
    ax.set_ylabel("t-SNE 2", fontsize=7)
    _letter(ax, "C")
    ax = fig.add_subplot(grid[1, 1:3])
    confident = (pts.p_positive < 0.1) | (pts.p_positive > 0.9)
    ax.scatter(pts.x[~confident], pts.y[~confident], s=1, c="lightgrey")
    ax.scatter(pts.x[confident], pts.y[confident], s=1, c=colors[confident.to_numpy()])
    ax.set_title(
        f"confident DNN outputs ({100 * result.confident_fraction:.0f} %): neighbours' sex purity "
        f"{result.knn_purity_confident:.2f} vs {result.knn_purity_all:.2f} for all",
        fontsize=8,
    )
    ax.set_xlabel("t-SNE 1", fontsize=7)
    ax.set_ylabel("t-SNE 2", fontsize=7)
    _letter(ax, "D")
    labels = {
        "mean_freq_hz": ("mean frequency (kHz)", 1e-3),
        "freq_range_hz": ("frequency range (kHz)", 1e-3),
        "duration_s": ("duration (ms)", 1e3),
    }
    for j, (column, (label, scale)) in enumerate(labels.items()):
        ax = fig.add_subplot(grid[2, 2 * j : 2 * j + 2])
        values = pts[column].to_numpy() * scale
        lo, hi = np.nanpercentile(values, [2, 98])
        sc = ax.scatter(pts.x, pts.y, c=values, s=1, cmap="viridis", vmin=lo, vmax=hi)
        fig.colorbar(sc, ax=ax, label=label, shrink=0.9)
        ax.set_xlabel("t-SNE 1", fontsize=7)
        ax.set_ylabel("t-SNE 2", fontsize=7)
        _letter(ax, "EFG"[j])
    found = (
        ""
        if result.precision is None
        else (f"; vs the planted two-part call: precision {result.precision:.2f}, recall {result.recall:.2f}")
    )
    fig.suptitle(
        f"Fig 7 — the space of USVs ({'synthetic data' if synthetic else 'real data'}): male cluster of "
        f"{result.n_usvs} USVs, {100 * result.male_share:.0f} % male, from {result.n_males_present} of "
        f"{result.settings['n_males']} males{found}",
        fontsize=10,
    )
    return fig


def rotating_view(result, *, frames: int = 36):
    """A rotating view of the 3-D embedding (S1 Video), as a matplotlib animation."""
    from matplotlib import animation

    pts = result.points
    colors = pts.group.map(SEX_COLORS).fillna("grey").to_numpy()
    fig = plt.figure(figsize=(4.5, 4.5))
    ax = fig.add_subplot(projection="3d")
    ax.scatter(pts.x, pts.y, pts.z, c=colors, s=1, alpha=0.4, depthshade=False)
    ax.set_axis_off()

    def turn(i):
        ax.view_init(elev=20, azim=360 * i / frames)
        return ()

    return animation.FuncAnimation(fig, turn, frames=frames, blit=False)
