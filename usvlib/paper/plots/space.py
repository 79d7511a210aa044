"""Figures of the space of USVs (Fig 7 and its S1 Video)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from usvlib.embed import density_difference
from usvlib.paper.plots.network import _letter, _picture
from usvlib.paper.plots.style import SEX_COLORS, SPECTROGRAM_CMAP

DENSITY_BINS = 60
DENSITY_SIGMA_BINS = 1.5
OVERLAY_LABELS = {
    "mean_freq_hz": ("mean frequency (kHz)", 1e-3),
    "freq_range_hz": ("frequency range (kHz)", 1e-3),
    "duration_s": ("duration (ms)", 1e3),
}


def _scatter3d(ax, pts, axes: tuple[str, str, str], colors: np.ndarray, name: str, *, circle: bool) -> None:
    order = np.random.default_rng(0).permutation(len(pts))  # neither sex drawn over the other
    x, y, z = (pts[a].to_numpy()[order] for a in axes)
    ax.scatter(x, y, z, c=colors[order], s=1, alpha=0.4, depthshade=False, rasterized=True)
    if circle:
        cl = pts[pts.in_male_cluster]
        ax.scatter(*(cl[a] for a in axes), s=2, c="black", alpha=0.8, depthshade=False, rasterized=True)
    for setter, i in ((ax.set_xlabel, 1), (ax.set_ylabel, 2), (ax.set_zlabel, 3)):
        setter(f"{name} {i}", fontsize=8, labelpad=-8)
    ax.tick_params(labelsize=8, pad=-2)


def _flat(ax, pts, title: str) -> None:
    ax.set_xlabel("t-SNE 1", fontsize=8)
    ax.set_ylabel("t-SNE 2", fontsize=8)
    ax.set_title(title, fontsize=8)


def usv_space(result, images: np.ndarray, *, synthetic: bool) -> plt.Figure:
    """Fig 7: the 3-D t-SNE by sex with the male cluster circled (A); typical USVs of the male
    cluster and from elsewhere (B, ``paper.examples``); the male minus female density (C);
    confident DNN outputs (D); the USVs of each animal in the male cluster (E); mean frequency,
    frequency range and duration overlaid (F-H). UMAP, beyond the paper, is in
    :func:`usv_space_supplement`.

    Parameters
    ----------
    result : Fig7Result
    images : ndarray (N, H, W)
        The USVs' images (one channel), for the examples.
    synthetic : bool
        Marks the figure "synthetic data".

    Returns
    -------
    matplotlib.figure.Figure
    """
    pts = result.points
    negative, positive = result.classes
    colors = pts.group.map(SEX_COLORS).fillna("grey").to_numpy()
    fig = plt.figure(figsize=(13, 11))
    grid = fig.add_gridspec(3, 6, height_ratios=[1.5, 1, 1], hspace=0.6, wspace=0.9)
    ax = fig.add_subplot(grid[0, 0:3], projection="3d")
    _scatter3d(ax, pts, ("x", "y", "z"), colors, "t-SNE", circle=True)
    ax.set_title(f"t-SNE of the spectrograms: {negative} red, {positive} blue,\nthe male cluster black", fontsize=9)
    # a 3-D axes shrinks to its cube, under its title: the letter goes at the cell's corner
    cell = grid[0, 0:3].get_position(fig)
    fig.text(cell.x0 - 0.02, cell.y1, "A", fontsize=13, fontweight="bold", va="bottom", ha="left")
    # B beside A: the examples in two rows of three
    examples = grid[0, 3:6].subgridspec(2, 3, wspace=0.15, hspace=0.5)
    shown = [(usv, "male cluster") for usv in result.examples_in] + [(usv, "elsewhere") for usv in result.examples_out]
    for j, (usv, where) in enumerate(shown[:6]):
        ax = fig.add_subplot(examples[j // 3, j % 3])
        group = pts.group.iloc[usv]
        _picture(ax, images[usv], f"{where},\n{group}", cmap=SPECTROGRAM_CMAP, color=SEX_COLORS.get(group, "black"))
        if j == 0:
            _letter(ax, "B", x=-0.35, y=1.35)
    ax = fig.add_subplot(grid[1, 0:2])
    diff, extent = density_difference(
        pts[["x", "y"]].to_numpy(), pts.group, positive, negative, bins=DENSITY_BINS, sigma_bins=DENSITY_SIGMA_BINS
    )
    lim = float(np.abs(diff).max()) or 1.0
    im = ax.imshow(diff.T, origin="lower", cmap="RdBu", vmin=-lim, vmax=lim, extent=extent, aspect="auto")
    fig.colorbar(im, ax=ax, shrink=0.85, format="%.0e")
    bandwidth = DENSITY_SIGMA_BINS * (extent[1] - extent[0]) / DENSITY_BINS
    _flat(ax, pts, f"{positive} (blue) − {negative} (red) density,\nGaussian kernel σ {bandwidth:.1f} t-SNE units")
    _letter(ax, "C", x=-0.25)
    ax = fig.add_subplot(grid[1, 2:4])
    confident = ((pts.p_positive < 0.1) | (pts.p_positive > 0.9)).to_numpy()
    ax.scatter(pts.x[~confident], pts.y[~confident], s=1, c="lightgrey", rasterized=True)
    ax.scatter(pts.x[confident], pts.y[confident], s=1, c=colors[confident], rasterized=True)
    _flat(
        ax,
        pts,
        f"DNN output < 0.1 or > 0.9 ({100 * result.confident_fraction:.0f} % of USVs);\n"
        f"sex purity of 10 neighbours {result.knn_purity_confident:.2f} (all USVs: {result.knn_purity_all:.2f})",
    )
    _letter(ax, "D", x=-0.25)
    ax = fig.add_subplot(grid[1, 4:6])
    per = result.per_animal.sort_values(["group", "animal"])
    ax.bar(np.arange(len(per)), per.n_usvs, color=per.group.map(SEX_COLORS).fillna("grey"))
    ax.set_xticks(np.arange(len(per)))
    ax.set_xticklabels(per.animal, rotation=90, fontsize=8)
    ax.set_ylabel("USVs in the male cluster")
    ax.set_title(f"from {result.n_males_present} of {result.settings['n_males']} males", fontsize=8)
    _letter(ax, "E", x=-0.3)
    for j, (column, (label, scale)) in enumerate(OVERLAY_LABELS.items()):
        ax = fig.add_subplot(grid[2, 2 * j : 2 * j + 2])
        values = pts[column].to_numpy() * scale
        lo, hi = np.nanpercentile(values, [2, 98])
        sc = ax.scatter(pts.x, pts.y, c=values, s=1, cmap="viridis", vmin=lo, vmax=hi, rasterized=True)
        fig.colorbar(sc, ax=ax, label=label, shrink=0.85)
        medians = result.properties.loc[column] * scale
        _flat(ax, pts, f"medians: {medians.male_cluster:.3g} in the cluster, {medians.elsewhere:.3g} elsewhere")
        _letter(ax, "FGH"[j], x=-0.3)
    found = (
        ""
        if result.precision is None
        else f"; against the planted two-part call: precision {result.precision:.3f}, recall {result.recall:.3f}"
    )
    fig.suptitle(
        f"Fig 7 — the space of USVs ({'synthetic data' if synthetic else 'real data'}): male cluster of "
        f"{result.n_usvs} USVs, {100 * result.male_share:.0f} % male{found}",
        fontsize=11,
    )
    return fig


def usv_space_supplement(result, *, synthetic: bool) -> plt.Figure:
    """Beyond the paper: UMAP of the same images, with its own male cluster's precision and recall
    against the planted two-part call (synthetic data)."""
    pts = result.points
    colors = pts.group.map(SEX_COLORS).fillna("grey").to_numpy()
    fig = plt.figure(figsize=(7, 6))
    ax = fig.add_subplot(projection="3d")
    _scatter3d(ax, pts, ("ux", "uy", "uz"), colors, "UMAP", circle=False)
    found = (
        ""
        if result.umap_precision is None
        else f"\nits own male cluster: precision {result.umap_precision:.3f}, recall {result.umap_recall:.3f}"
    )
    ax.set_title(f"Fig 7, supplement (not in the paper): UMAP of the same images{found}", fontsize=9)
    if synthetic:
        fig.text(0.995, 0.005, "synthetic data", ha="right", va="bottom", fontsize=8, color="#555555")
    return fig


def rotating_view(result, *, frames: int = 36):
    """A rotating view of the 3-D t-SNE embedding (S1 Video), as a matplotlib animation.

    Parameters
    ----------
    result : Fig7Result
    frames : int
        Frames per turn.

    Returns
    -------
    matplotlib.animation.FuncAnimation
    """
    from matplotlib import animation

    pts = result.points
    colors = pts.group.map(SEX_COLORS).fillna("grey").to_numpy()
    fig = plt.figure(figsize=(4.5, 4.5))
    ax = fig.add_subplot(projection="3d")
    ax.scatter(pts.x, pts.y, pts.z, c=colors, s=1, alpha=0.4, depthshade=False)
    ax.set_axis_off()
    ax.set_title("t-SNE of the USVs (female red, male blue)", fontsize=8)

    def turn(i):
        ax.view_init(elev=20, azim=360 * i / frames)
        return ()

    return animation.FuncAnimation(fig, turn, frames=frames, blit=False)
