"""Figures of the classifiers' results (Figs 3-5)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from usvlib.paper.plots.style import ACCURACY_COLOR, CONTROL_COLOR, GROUP_COLORS, WEIGHT_COLOR


def draw_accuracy_bars(
    ax,
    table: pd.DataFrame,
    *,
    chance: float = 0.5,
    paper: dict | None = None,
    reference: dict | None = None,
    ylabel: str = "balanced accuracy",
) -> None:
    """Bars of each model's accuracy, real and shuffled labels side by side, from 0.

    ``table``: ``model``, ``mean``, ``sd`` and optionally ``labels`` ("real"/"shuffled") and
    ``ci_low``/``ci_high``. Error bars: the 95 % interval over animals where the table has one,
    else ± SD over folds (the y label says which). ``paper``: model -> the paper's value, drawn as
    a black diamond on the model's real bar; ``reference``: name -> value, horizontal lines;
    chance a grey line.
    """
    t = table.copy()
    if "labels" not in t:
        t["labels"] = "real"
    models = list(dict.fromkeys(t.model))
    with_ci = "ci_low" in t and t.ci_low.notna().any()
    for j, (lab, color) in enumerate((("real", ACCURACY_COLOR), ("shuffled", CONTROL_COLOR))):
        part = t[t.labels == lab].set_index("model").reindex(models)
        if not part["mean"].notna().any():
            continue
        if with_ci:
            err = np.vstack([part["mean"] - part.ci_low, part.ci_high - part["mean"]])
            # rows without an interval (the breaks control's labels are per USV): no bar at all,
            # not a flat cap that reads as an interval of zero width
            err = np.where(np.isfinite(err), np.maximum(err, 0), np.nan)
        else:
            err = part["sd"]
        x = np.arange(len(models)) + (j - 0.5) * 0.38
        ax.bar(x, part["mean"], 0.38, yerr=err, capsize=3, color=color, label=f"{lab} labels")
    labelled = False
    for i, model in enumerate(models):
        value = (paper or {}).get(model)
        if value is not None:
            ax.plot(
                i - 0.19, value, "D", color="black", ms=5, zorder=4, label=None if labelled else "paper (real data)"
            )
            labelled = True
    for k, (name, value) in enumerate((reference or {}).items()):
        if value is not None:
            ax.axhline(value, ls=["--", ":", "-."][k % 3], color="k", lw=0.9, label=f"{name}: {100 * value:.0f} %")
    ax.axhline(chance, color="grey", lw=0.8, label=f"chance: {100 * chance:.0f} %")
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels(models, rotation=15 if len(models) > 3 else 0, ha="right" if len(models) > 3 else "center")
    ax.set_ylim(0, 1.0)
    ax.set_ylabel(ylabel + ("\n(bars: 95 % interval over animals)" if with_ci else "\n(bars: ± SD over folds)"))


def model_comparison(
    table: pd.DataFrame, *, reference: dict | None = None, title: str = "", ylabel: str = "balanced accuracy"
) -> plt.Figure:
    """:func:`draw_accuracy_bars` as a figure of its own, the legend beside the axes."""
    models = list(dict.fromkeys(table.model))
    fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(models)), 3.4))
    draw_accuracy_bars(ax, table, reference=reference, ylabel=ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def draw_per_animal(ax, per_animal: pd.DataFrame) -> None:
    """Accuracy on each left-out animal, coloured by group, chance drawn (Fig 3D)."""
    colors = [GROUP_COLORS.get(g, "grey") for g in per_animal.group]
    ax.bar(range(len(per_animal)), per_animal.accuracy, color=colors)
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.set_xticks(range(len(per_animal)))
    ax.set_xticklabels(per_animal.animal, rotation=90, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy on the\nleft-out animal")
    handles = [Patch(color=GROUP_COLORS.get(g, "grey"), label=g) for g in dict.fromkeys(per_animal.group)]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left", ncol=len(handles))
    ax.set_ylim(0, 1.12)  # room for the legend above the bars
    ax.set_yticks(np.linspace(0, 1, 6))


def per_animal_bars(per_animal: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """:func:`draw_per_animal` as a figure of its own."""
    fig, ax = plt.subplots(figsize=(9, 3))
    draw_per_animal(ax, per_animal)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def draw_learning_curve(ax, info: dict, *, kept_iteration: int | None = None) -> None:
    """Test accuracy and relative weight change of one fold against training iterations (Fig 3B).

    ``info["test_curve"]``: points ``{iteration, epoch, test_accuracy, weight_change}`` (the
    weight change since the previous point); ``kept_iteration`` marks the weights training kept.
    """
    curve = info["test_curve"]
    it = np.array([c["iteration"] for c in curve])
    ax.plot(it, [c["test_accuracy"] for c in curve], "-", color=ACCURACY_COLOR, label="test accuracy (balanced)")
    if kept_iteration is not None:
        ax.axvline(kept_iteration, color="k", ls="--", lw=0.9, label=f"kept: iteration {kept_iteration}")
    ends = np.cumsum(info.get("iterations_per_epoch") or [])
    if len(ends) and info.get("val"):
        ax.plot(ends, info["val"], "s", color="#777777", ms=4, label="validation at epoch end")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.set_xlabel("iteration (weight updates)")
    ax.set_ylabel("balanced accuracy")
    ax.set_ylim(0, 1)
    ax2 = ax.twinx()
    ax2.plot(it, [c["weight_change"] for c in curve], "-", color=WEIGHT_COLOR, lw=0.9)
    ax2.set_ylabel("relative weight change\nbetween points", color=WEIGHT_COLOR)
    ax2.spines["right"].set_visible(True)
    ax.legend(loc="center right", fontsize=8, framealpha=0.85, edgecolor="none")


def learning_curve(info: dict, *, title: str = "", kept_iteration: int | None = None) -> plt.Figure:
    """:func:`draw_learning_curve` as a figure of its own."""
    fig, ax = plt.subplots(figsize=(6, 3))
    draw_learning_curve(ax, info, kept_iteration=kept_iteration)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def filter_mosaic(weights: np.ndarray, *, cols: int | None = None) -> tuple[np.ndarray, int]:
    """The first convolution's kernels tiled into one image, a block of rows per input channel,
    tiles one NaN pixel apart (``cols`` tiles a row; default: a near-square mosaic); returns
    (image, rows of tiles per channel)."""
    weights = np.asarray(weights, float)
    if weights.ndim == 3:
        weights = weights[:, None]
    n, n_channels, kh, kw = weights.shape
    cols = min(n, cols or int(np.ceil(np.sqrt(n * n_channels))))
    per_channel = int(np.ceil(n / cols))
    image = np.full((n_channels * per_channel * (kh + 1) - 1, cols * (kw + 1) - 1), np.nan)
    for c in range(n_channels):  # loops over kernels (tens), not pixels
        for i in range(n):
            r, q = c * per_channel + i // cols, i % cols
            image[r * (kh + 1) : r * (kh + 1) + kh, q * (kw + 1) : q * (kw + 1) + kw] = weights[i, c]
    return image, per_channel


def draw_filters(ax, weights: np.ndarray, *, channel_names: list[str] | None = None) -> None:
    """The first convolution's kernels (Fig 3C) as one mosaic, square pixels, a colour bar-free
    diverging map centred on 0; a row block per input channel, named by ``channel_names``."""
    weights = np.asarray(weights)
    n_channels = 1 if weights.ndim == 3 else weights.shape[1]
    image, per_channel = filter_mosaic(weights)
    lim = float(np.nanmax(np.abs(image))) or 1.0
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
    ax.imshow(image, cmap=cmap, vmin=-lim, vmax=lim, origin="upper", interpolation="nearest")
    kh = weights.shape[-2]
    ax.set_xticks([])
    if n_channels > 1:
        names = channel_names if channel_names and len(channel_names) == n_channels else None
        names = names or [f"input {c + 1}" for c in range(n_channels)]
        centres = [(c * per_channel + per_channel / 2) * (kh + 1) - 1 for c in range(n_channels)]
        ax.set_yticks(centres)
        ax.set_yticklabels(names, fontsize=8)
    else:
        ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)


def filters(
    weights: np.ndarray, *, title: str = "First-layer filters", channel_names: list[str] | None = None
) -> plt.Figure:
    """:func:`draw_filters` as a figure of its own."""
    image, _ = filter_mosaic(weights)
    fig, ax = plt.subplots(figsize=(min(12, 0.08 * image.shape[1] + 1.5), 0.08 * image.shape[0] + 0.8))
    draw_filters(ax, weights, channel_names=channel_names)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def property_network_accuracy(summary: pd.DataFrame, values: pd.DataFrame) -> plt.Figure:
    """Spectrogram -> property networks: balanced accuracy vs chance, and per value (Fig 4A-E)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
    ax = axes[0]
    x = np.arange(len(summary))
    ax.bar(x, summary["mean"], yerr=summary["sd"], capsize=3, color="#3466a5")
    ax.scatter(x, summary["chance"], marker="_", s=400, color="k", label="chance", zorder=3)
    ax.set_xticks(x)
    ax.set_xticklabels(summary.property)
    ax.set_ylim(0, 1)
    ax.set_ylabel("balanced accuracy")
    ax.legend(fontsize=8)
    ax.set_title("Spectrogram -> property")
    ax = axes[1]
    labels = [f"{p}={v}" for p, v in zip(values.property, values.value, strict=True)]
    ax.bar(range(len(values)), values.accuracy, color="#3466a5", label="accuracy")
    ax.plot(range(len(values)), values.share, "k.", label="share of USVs")
    ax.set_xticks(range(len(values)))
    ax.set_xticklabels(labels, rotation=90, fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("Per value")
    fig.tight_layout()
    return fig


def ridge_weights(weights: pd.DataFrame) -> plt.Figure:
    """Weights of the ridge classifier on standardised properties (Fig 4I)."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(range(len(weights)), weights.weight, yerr=weights.sd, capsize=3, color="#3466a5")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(range(len(weights)))
    ax.set_xticklabels(weights.property, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("weight (towards male)")
    ax.set_title("Ridge weights on standardised properties")
    fig.tight_layout()
    return fig


def draw_confusion(ax, matrix: pd.DataFrame, *, unit: str = "USVs", colorbar: bool = True) -> None:
    """A confusion matrix (true x predicted), each row as shares of its total, in grey (blue and
    red are the sexes'); the shares written in the cells when there are at most 8 classes."""
    m = matrix.to_numpy(float)
    m = m / np.maximum(m.sum(axis=1, keepdims=True), 1e-12)
    image = ax.imshow(m, cmap="Greys", vmin=0, vmax=max(0.5, float(m.max())))
    ax.set_xticks(range(len(matrix.columns)))
    ax.set_xticklabels(matrix.columns, rotation=90 if len(matrix) > 6 else 0, fontsize=8)
    ax.set_yticks(range(len(matrix.index)))
    ax.set_yticklabels(matrix.index, fontsize=8)
    if len(matrix) <= 8:
        for (r, c), v in np.ndenumerate(m):
            ax.text(
                c, r, f"{100 * v:.0f} %", ha="center", va="center", fontsize=8, color="white" if v > 0.6 else "black"
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=f"share of the row's {unit}", shrink=0.85)


def confusion(matrix: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """:func:`draw_confusion` as a figure of its own (Fig 5B)."""
    size = max(3.2, 0.3 * len(matrix) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    draw_confusion(ax, matrix)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
