"""The strain figure (Fig 8): cortexless against control mice."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from usvlib.paper.plots.network import _letter
from usvlib.paper.plots.style import GROUP_COLORS, identity_text

SPLIT_STYLE = {  # greys: blue and red are the sexes'
    "across_animals": ("new animals", "#3b3b3b"),
    "random_split": ("random split", "#858585"),
    "shuffled": ("shuffled labels", "#c9c9c9"),
}
MODEL_NAMES = {"dnn": "DNN", "ridge": "ridge", "svm": "linear SVM"}


def strain(result, *, synthetic: bool, supported: bool) -> plt.Figure:
    """Fig 8: USVs per recording (A), accuracy of each model and split with its 95 % interval
    over animals and p-value (B), the DNN's accuracy per left-out animal (C).

    Parameters
    ----------
    result : Fig8Result
    synthetic : bool
        Marks the figure "synthetic data".
    supported : bool
        Whether this run supports the paper's "above chance" for the DNN (said in the title).

    Returns
    -------
    matplotlib.figure.Figure
    """
    negative, positive = result.classes
    fig = plt.figure(figsize=(13, 7.5))
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.3], hspace=0.75, wspace=0.3, bottom=0.2)
    ax = fig.add_subplot(grid[0, 0])
    counts = result.counts.sort_values(["group", "recording"])
    ax.bar(np.arange(len(counts)), counts.n_usvs, color=counts.group.map(GROUP_COLORS).fillna("grey"))
    ax.set_xticks(np.arange(len(counts)))
    ax.set_xticklabels(counts.animal, rotation=90, fontsize=8)
    ax.set_ylabel("USVs per recording")
    totals = counts.groupby("group").n_usvs.sum()
    ax.set_title(f"{negative}: {totals.get(negative, 0)} USVs, {positive}: {totals.get(positive, 0)} USVs", fontsize=9)
    _letter(ax, "A")
    ax = fig.add_subplot(grid[:, 1])
    table = result.table.set_index(["model", "split"])
    width = 0.26
    bars = [(j, split, label, color) for j, (split, (label, color)) in enumerate(SPLIT_STYLE.items())]
    for i, model in enumerate(MODEL_NAMES):
        rows = {split: table.loc[(model, split)] for _, split, _, _ in bars if (model, split) in table.index}
        # the p-values of a model stand in one row above its tallest error bar: clear of every bar
        tops = [r.ci_high if r.ci_high is not None and np.isfinite(r.ci_high) else r["mean"] for r in rows.values()]
        label_y = max(tops, default=0.0) + 0.03
        for j, split, label, color in bars:
            if split not in rows:
                continue
            row = rows[split]
            x = i + (j - 1) * width
            centre = row["mean"]
            has_ci = row.ci_low is not None and np.isfinite(row.ci_low)
            err = [[centre - row.ci_low], [row.ci_high - centre]] if has_ci else None
            ax.bar(x, centre, width, yerr=err, capsize=3, color=color, label=label if i == 0 else None)
            if row.p_value is not None and np.isfinite(row.p_value):
                ax.text(x, label_y, f"p={row.p_value:.2g}", ha="center", fontsize=8, rotation=90, va="bottom")
    ax.axhline(0.5, color="grey", lw=0.6, label="chance")
    if result.oracle is not None:
        ax.axhline(result.oracle, ls="--", color="k", lw=0.9, label=f"strain oracle: {100 * result.oracle:.1f} %")
    ax.set_xticks(range(len(MODEL_NAMES)))
    ax.set_xticklabels(MODEL_NAMES.values())
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("balanced accuracy (mean over folds)")
    ax.set_title(
        "error bars: 95 % bootstrap interval over animals; p: animals' classes relabelled (one-sided)", fontsize=8
    )
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    _letter(ax, "B", x=-0.08)
    ax = fig.add_subplot(grid[1, 0])
    per = result.per_animal.sort_values(["group", "animal"])
    ax.bar(np.arange(len(per)), per.accuracy, color=per.group.map(GROUP_COLORS).fillna("grey"))
    ax.axhline(0.5, color="grey", lw=0.6)
    ax.set_xticks(np.arange(len(per)))
    ax.set_xticklabels(per.animal, rotation=90, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("DNN accuracy, left-out animal")
    ax.set_title("the DNN on new animals: accuracy per left-out animal", fontsize=9)
    _letter(ax, "C")
    fig.text(
        0.01,
        0.005,
        textwrap.fill(f"Which mouse a USV comes from (identity network): {identity_text(result.identity_stats)}", 110),
        fontsize=8,
        va="bottom",
    )
    verdict = "supports" if supported else "does not support"
    fig.suptitle(
        f"Fig 8 — strain: {positive} vs {negative} ({'synthetic data' if synthetic else 'real data'}); "
        f"this run {verdict} the paper's 'above chance' for the DNN",
        fontsize=11,
    )
    return fig
