"""Figures of the network's internals (Fig 6)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from usvlib.paper.plots.style import GROUP_COLORS, SEX_COLORS, SPECTROGRAM_CMAP, panel_letter


def _letter(ax, letter: str, *, x: float = -0.12, y: float = 1.06) -> None:
    panel_letter(ax, letter, x=x, y=y)
    ax.set_label(letter)  # the panel's axes can be found by its letter


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
    representations (D), the similarity of each layer's units (E), reconstructions from each
    layer (F), their correlation with the
    stimulus (G); error bars 2 SEM (the paper's)."""
    negative, positive = result.classes
    fig = plt.figure(figsize=(12, 9.5))
    grid = fig.add_gridspec(4, 6, height_ratios=[1.1, 1.1, 1, 1], hspace=0.75, wspace=0.5)
    conv = [layer for layer in result.layers if layer.startswith("conv")]
    for row, group in enumerate((negative, positive)):
        ex = result.examples.get(group)
        if ex is None:
            continue
        ax = fig.add_subplot(grid[row, 0])
        _picture(
            ax, ex["image"], f"{group} USV", cmap=SPECTROGRAM_CMAP, fontsize=9, color=SEX_COLORS.get(group, "black")
        )
        ax.set_xlabel("time (250 ms)", fontsize=8)
        ax.set_ylabel("frequency (10-150 kHz)", fontsize=8)
        if row == 0:
            _letter(ax, "A", x=-0.5)
        for j, layer in enumerate(conv[:4] + conv[-1:]):
            ax = fig.add_subplot(grid[row, j + 1])
            maps = ex["activations"][layer]
            _picture(ax, maps.mean(axis=0), f"{layer} (mean of {maps.shape[0]})", cmap="viridis")
            if row == 0 and j == 0:
                _letter(ax, "B", x=-0.3)  # clear of the panel's title
    ax = fig.add_subplot(grid[2, 0:2])
    _by_layer(ax, result.fraction_active, "group", GROUP_COLORS, ylabel="fraction active", title="ReLU outputs ≠ 0")
    ax.legend(fontsize=8)
    _letter(ax, "C")
    ax = fig.add_subplot(grid[2, 2:4])
    pair_colors = {f"within_{g}": GROUP_COLORS.get(g, "grey") for g in (negative, positive)}
    pair_colors["across"] = "#555555"
    _by_layer(ax, result.correlations, "pairs", pair_colors, ylabel="Pearson r", title="correlation of representations")
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    _letter(ax, "D")
    ax = fig.add_subplot(grid[2, 4:6])
    _one_series(ax, result.unit_similarity, ylabel="Pearson r", title="similarity of a layer's units")
    _letter(ax, "E")
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
        f"sex DNN {100 * acc.sex_dnn.mean():.0f} %; error bars 2 SEM)",
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
