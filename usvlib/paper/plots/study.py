"""Figures of a study of a user's recordings (``usvlib study``): one figure per question, each
with panel letters, units and what its error bars are."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from usvlib.paper.plots.style import SEX_COLORS, panel_letter, synthetic_mark

_PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974")
_UNIT_SCALE = {"s": (1e3, "ms"), "Hz": (1e-3, "kHz")}


def group_colors(classes) -> dict:
    """The paper's colours for sex (female red, male blue), a neutral palette for other groups."""
    if set(classes) <= set(SEX_COLORS):
        return {c: SEX_COLORS[c] for c in classes}
    return {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(classes)}


def _letter(ax, letter: str) -> None:
    panel_letter(ax, letter, x=-0.14, y=1.06)


def _mark(fig, label: str) -> None:
    if label:
        synthetic_mark(fig, data=label)


def property_differences(
    table: pd.DataFrame, differences: pd.DataFrame, classes, *, data_label: str = ""
) -> plt.Figure:
    """Fig 2 of a study: each property's distribution per group (violins over USVs, dots: the
    animals' medians; for a label of a few levels bars of the mean over USVs, dots the animals'
    means), titled with the Holm-corrected p over animals and over USVs."""
    colors = group_colors(classes)
    n = len(differences)
    cols = 3
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(9.5, 2.7 * rows), squeeze=False)
    for i, (ax, row) in enumerate(zip(axes.flat, differences.itertuples(), strict=False)):
        scale, unit = _UNIT_SCALE.get(row.unit, (1.0, row.unit))
        data = [table.loc[table.group == g, row.column].dropna().to_numpy(float) * scale for g in classes]
        positions = np.arange(len(classes))
        label_like = getattr(row, "animal_summary", "median") == "mean"
        if label_like:  # a label of a few levels: the mean over USVs (a share for 0/1 labels)
            ax.bar(
                positions,
                [d.mean() if len(d) else np.nan for d in data],
                0.6,
                color=[colors[g] for g in classes],
                alpha=0.45,
            )
        elif all(len(d) > 1 and np.ptp(d) > 0 for d in data):
            parts = ax.violinplot(data, positions=positions, showextrema=False, widths=0.8)
            for body, g in zip(parts["bodies"], classes, strict=True):
                body.set_facecolor(colors[g])
                body.set_alpha(0.35)
        per_animal = (
            table.groupby(["animal", "group"])[row.column].agg("mean" if label_like else "median").reset_index()
        )
        for j, g in enumerate(classes):
            m = per_animal.loc[per_animal.group == g, row.column].to_numpy(float) * scale
            jitter = np.linspace(-0.12, 0.12, len(m)) if len(m) > 1 else np.zeros(len(m))
            ax.scatter(j + jitter, m, s=14, color=colors[g], edgecolor="black", linewidth=0.4, zorder=3)
        if label_like:
            unit = "mean over USVs"
        ax.set_xticks(positions)
        ax.set_xticklabels(classes, fontsize=8)
        ax.set_ylabel(f"{row.label} ({unit})" if unit else row.label, fontsize=8)
        ax.set_title(f"animals p = {row.p_animals_holm:.2g}; USVs p = {row.p_usvs_holm:.2g}", fontsize=8)
        _letter(ax, "ABCDEFGHI"[i] if i < 9 else "")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(
        "Properties by group: violins (bars for labels) over USVs, dots the animals; "
        "p: Kruskal-Wallis, Holm over the properties",
        fontsize=9,
    )
    _mark(fig, data_label)
    fig.tight_layout()
    return fig


def classifier_accuracies(classifiers: pd.DataFrame, *, data_label: str = "") -> plt.Figure:
    """Figs 3 and 4F-I of a study: balanced accuracy of every classifier with its shuffled-label
    control, bars from 0, 95 % intervals over animals, chance drawn."""
    t = classifiers.assign(name=classifiers.classifier + "\n(" + classifiers.inputs + ")")
    names = list(dict.fromkeys(t.name))
    fig, ax = plt.subplots(figsize=(max(5.5, 1.25 * len(names)), 3.6))
    for j, (labels, color) in enumerate((("real", "#3466a5"), ("shuffled", "#b0b7c0"))):
        part = t[t.labels == labels].set_index("name").reindex(names)
        if part.balanced_accuracy.notna().any():
            err = np.vstack([part.balanced_accuracy - part.ci_low, part.ci_high - part.balanced_accuracy])
            ax.bar(
                np.arange(len(names)) + (j - 0.5) * 0.38,
                part.balanced_accuracy,
                0.38,
                yerr=np.where(np.isfinite(err), np.maximum(err, 0), np.nan),
                capsize=3,
                color=color,
                label=f"{labels} labels",
            )
    chance = float(t.chance.iloc[0])
    ax.axhline(chance, color="black", lw=0.9, ls="--", label=f"chance: {100 * chance:.0f} %")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("balanced accuracy over animals\n(bars: 95 % interval over animals)", fontsize=8)
    ax.set_title("Group from single USVs of animals left out of training", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _mark(fig, data_label)
    fig.tight_layout()
    return fig


def usv_space(space: pd.DataFrame, neighbours: pd.DataFrame, classes, *, data_label: str = "") -> plt.Figure:
    """Fig 7 of a study: the t-SNE of the spectrograms coloured by group, and per group the share
    of each USV's 10 nearest neighbours from other animals that share its group, against chance."""
    colors = group_colors(classes)
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.5, 4.2), gridspec_kw={"width_ratios": [1.3, 1]})
    order = np.random.default_rng(0).permutation(len(space))  # no group drawn over all others
    s = space.iloc[order]
    a.scatter(s.x, s.y, s=4, c=[colors[g] for g in s.group], alpha=0.7, linewidths=0)
    for g in classes:
        a.scatter([], [], s=20, color=colors[g], label=g)
    a.legend(fontsize=8, frameon=False, loc="best", markerscale=1.2)
    a.set_xlabel("t-SNE 1")
    a.set_ylabel("t-SNE 2")
    a.set_aspect("equal", adjustable="datalim")
    a.set_title("USV space (t-SNE of the spectrograms)", fontsize=9)
    _letter(a, "A")
    x = np.arange(len(neighbours))
    b.bar(x - 0.19, neighbours.share_in_group_other_animals, 0.38, color=[colors[g] for g in neighbours.group])
    b.bar(x + 0.19, neighbours.chance_other_animals, 0.38, color="#b0b7c0", label="chance (the groups' shares)")
    b.set_xticks(x)
    b.set_xticklabels(neighbours.group, fontsize=8)
    b.set_ylim(0, 1)
    b.set_ylabel("share of neighbours in the USV's group\n(10 nearest, from other animals)", fontsize=8)
    b.legend(fontsize=8, frameon=False, loc="upper right")
    b.set_title("Do USVs of a group sit together?", fontsize=9)
    _letter(b, "B")
    _mark(fig, data_label)
    fig.tight_layout()
    return fig
