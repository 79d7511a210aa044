"""Figures of the classifiers' results (Figs 3-5)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from usvlib.paper.plots.style import GROUP_COLORS


def model_comparison(
    table: pd.DataFrame, *, reference: dict | None = None, title: str = "", ylabel: str = "balanced accuracy"
) -> plt.Figure:
    """Bars of the mean per model, real and shuffled labels side by side.

    ``table`` has ``model``, ``mean``, ``sd`` and optionally ``labels`` ("real"/"shuffled")
    and ``ci_low``/``ci_high``. Error bars: the 95 % interval over animals where the table has
    one, else ± SD over folds; which one is said in the axis' label. ``reference`` draws
    horizontal lines (e.g. ``{"oracle": 0.84, "paper DNN": 0.767}``).
    """
    t = table.copy()
    if "labels" not in t:
        t["labels"] = "real"
    models = list(dict.fromkeys(t.model))
    fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(models)), 3.4))
    with_ci = "ci_low" in t and t.ci_low.notna().any()
    for j, (lab, color) in enumerate((("real", "#3466a5"), ("shuffled", "#b0b7c0"))):
        part = t[t.labels == lab].set_index("model").reindex(models)
        if part["mean"].notna().any():
            if with_ci:
                err = np.vstack([part["mean"] - part.ci_low, part.ci_high - part["mean"]])
                # rows without an interval (the breaks control's labels are per USV): no bar at all,
                # not a flat cap that reads as an interval of zero width
                err = np.where(np.isfinite(err), np.maximum(err, 0), np.nan)
            else:
                err = part["sd"]
            ax.bar(
                np.arange(len(models)) + (j - 0.5) * 0.38,
                part["mean"],
                0.38,
                yerr=err,
                capsize=3,
                color=color,
                label=f"{lab} labels",
            )
    for k, (name, value) in enumerate((reference or {}).items()):
        if value is not None:
            ax.axhline(value, ls=["--", ":", "-."][k % 3], color="k", lw=0.9, label=f"{name}: {100 * value:.0f} %")
    ax.axhline(0.5, color="grey", lw=0.6)
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels(models, rotation=15, ha="right", fontsize=8)
    ax.set_ylim(0.3, 1.0)
    ax.set_ylabel(ylabel + ("\n(bars: 95 % interval over animals)" if with_ci else "\n(bars: ± SD over folds)"))
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def per_animal_bars(per_animal: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """Accuracy on each left-out animal, coloured by group (Fig 3D)."""
    fig, ax = plt.subplots(figsize=(9, 3))
    colors = [GROUP_COLORS.get(g, "grey") for g in per_animal.group]
    ax.bar(range(len(per_animal)), per_animal.accuracy, color=colors)
    ax.axhline(0.5, color="grey", lw=0.6)
    ax.set_xticks(range(len(per_animal)))
    ax.set_xticklabels(per_animal.animal, rotation=90, fontsize=6)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy on the left-out animal")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def learning_curve(info: dict, *, title: str = "", kept_iteration: int | None = None) -> plt.Figure:
    """Test accuracy and relative weight change of one fold against training iterations (Fig 3B).

    ``info["test_curve"]``: points ``{iteration, epoch, test_accuracy, weight_change}`` (the
    weight change since the previous point); ``kept_iteration`` marks the weights training kept.
    """
    curve = info["test_curve"]
    fig, ax = plt.subplots(figsize=(6, 3))
    it = np.array([c["iteration"] for c in curve])
    ax.plot(it, [c["test_accuracy"] for c in curve], "-", color="#3466a5", label="test accuracy (balanced)")
    if kept_iteration is not None:
        ax.axvline(kept_iteration, color="k", ls="--", lw=0.9, label=f"kept: iteration {kept_iteration}")
    ends = np.cumsum(info.get("iterations_per_epoch") or [])
    if len(ends) and info.get("val"):
        ax.plot(ends, info["val"], "s", color="#7a9cc6", ms=4, label="validation at epoch end")
    ax.set_xlabel("iteration (weight updates)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0.3, 1)
    ax2 = ax.twinx()
    ax2.plot(it, [c["weight_change"] for c in curve], "-", color="#c8366b", lw=0.8)
    ax2.set_ylabel("relative weight change\nbetween points", color="#c8366b")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def filters(
    weights: np.ndarray, *, title: str = "First-layer filters", channel_names: list[str] | None = None
) -> plt.Figure:
    """The first convolution's kernels (Fig 3C): (filters, height, width), or (filters, input
    channels, height, width) with a row of kernels per input channel, named by
    ``channel_names`` (ignored for one channel)."""
    weights = np.asarray(weights)
    if weights.ndim == 3:
        weights = weights[:, None]
    n, n_channels = weights.shape[:2]
    if n_channels == 1:
        names = []
    elif channel_names is not None and len(channel_names) == n_channels:
        names = list(channel_names)
    else:
        names = [f"input {c + 1}" for c in range(n_channels)]
    cols = min(n, 16)
    rows_per_channel = int(np.ceil(n / cols))
    rows = rows_per_channel * n_channels
    fig, axes = plt.subplots(rows, cols, figsize=(0.8 * cols, 0.9 * rows + 0.4), squeeze=False)
    lim = float(np.abs(weights).max()) or 1.0
    for c in range(n_channels):
        block = axes[c * rows_per_channel : (c + 1) * rows_per_channel].flat
        for ax, w in zip(block, weights[:, c], strict=False):
            ax.imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim, origin="lower")
        if names:
            axes[c * rows_per_channel, 0].set_ylabel(names[c], fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
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
    ax.legend(fontsize=7)
    ax.set_title("Spectrogram -> property")
    ax = axes[1]
    labels = [f"{p}={v}" for p, v in zip(values.property, values.value, strict=True)]
    ax.bar(range(len(values)), values.accuracy, color="#3466a5", label="accuracy")
    ax.plot(range(len(values)), values.share, "k.", label="share of USVs")
    ax.set_xticks(range(len(values)))
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
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


def confusion(matrix: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """A confusion matrix, rows normalised (Fig 5)."""
    m = matrix.to_numpy(float)
    m = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6, 5))
    im = ax.imshow(m, cmap="viridis", vmin=0, vmax=max(0.5, m.max()))
    ax.set_xticks(range(len(matrix.columns)))
    ax.set_xticklabels(matrix.columns, rotation=90, fontsize=6)
    ax.set_yticks(range(len(matrix.index)))
    ax.set_yticklabels(matrix.index, fontsize=6)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(im, ax=ax, label="share of the row")
    ax.set_title(title)
    fig.tight_layout()
    return fig
