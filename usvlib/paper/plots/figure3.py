"""Fig 3 assembled as the paper's: A the network, B the example fold's learning, C its first-layer
filters, D accuracy per left-out animal, E the DNN against ridge and the SVM with shuffled
controls, F the breaks control; a supplement with the reference classifiers and the stricter
control, which are not in the paper."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from usvlib.paper.plots.classifiers import draw_accuracy_bars, draw_filters, draw_learning_curve, draw_per_animal
from usvlib.paper.plots.schematics import architecture
from usvlib.paper.plots.style import panel_letter, synthetic_mark

PAPER_MODELS = ("DNN", "ridge", "SVM")
"""The rows of the summary table that are the paper's Fig 3E."""

CAPTION = (
    "Fig 3. Sex from single USVs of animals left out of training. "
    "A: the network (the profile's; its layer sizes). "
    "B: balanced test accuracy on the example left-out animal and the relative weight change over training. "
    "C: the first convolution's filters. "
    "D: accuracy on each left-out animal. "
    "E: the DNN, ridge and a linear SVM on the spectrograms, real and shuffled labels "
    "(bars: 95 % interval over animals; diamonds: the paper's values, on real data). "
    "F: the breaks control, a network of the same shape taught whether a USV has breaks."
)


def _breaks_table(out) -> pd.DataFrame:
    rows = out.table[out.table.model == "DNN, breaks (control)"].copy()
    rows["model"] = "breaks"
    sex = pd.DataFrame([{"model": "sex (same folds)", "mean": out.sex_on_breaks_folds, "sd": np.nan, "labels": "real"}])
    return pd.concat([sex, rows], ignore_index=True)


def figure3(
    out,
    *,
    layers: list[dict],
    input_shape: tuple,
    filters: np.ndarray,
    channel_names: list[str] | None,
    kept_iteration: int | None,
    paper: dict,
    network_name: str,
    data_label: str = "",
) -> plt.Figure:
    """The assembled Fig 3 (panels A-F, see the module docstring).

    Parameters
    ----------
    out : Fig3Result
    layers : list of dict
        ``netinfo.describe`` of the network (A).
    input_shape : tuple
        One input's (channels, height, width).
    filters : ndarray
        ``netinfo.first_layer_filters`` of the example fold's network (C).
    channel_names : list of str, optional
        The input channels' names.
    kept_iteration : int, optional
        The iteration whose weights training kept (B).
    paper : dict
        Model name ("DNN", "ridge", "SVM") -> the paper's accuracy (E).
    network_name : str
        What the network is (A's title).
    data_label : str
        Marked in the corner ("synthetic data").

    Returns
    -------
    matplotlib.figure.Figure
        Its panel axes carry their letter in ``ax.get_label()``.
    """
    fig = plt.figure(figsize=(12, 9.5))
    outer = fig.add_gridspec(3, 1, height_ratios=[0.32, 1, 1], hspace=0.55)
    middle = outer[1].subgridspec(1, 2, width_ratios=[1.9, 1], wspace=0.35)
    bottom = outer[2].subgridspec(1, 3, wspace=0.5)
    ax = fig.add_subplot(outer[0], label="A")
    architecture(ax, layers, input_shape=input_shape, title=network_name)
    panel_letter(ax, "A", x=-0.04, y=0.85)

    ax = fig.add_subplot(middle[0], label="B")
    info = out.dnn.infos[out.example_fold]
    draw_learning_curve(ax, info, kept_iteration=kept_iteration)
    ax.set_title(f"left-out animal {out.example_fold}", fontsize=9)
    panel_letter(ax, "B", x=-0.1)

    ax = fig.add_subplot(middle[1], label="C")
    draw_filters(ax, filters, channel_names=channel_names)
    ax.set_title("first-layer filters", fontsize=9)
    panel_letter(ax, "C", x=-0.25)

    ax = fig.add_subplot(bottom[0], label="D")
    draw_per_animal(ax, out.per_animal)
    p = out.male_vs_female.get("p")
    ax.set_title(f"per left-out animal (♀ vs ♂: p = {p:.2g})" if p is not None else "per left-out animal", fontsize=9)
    panel_letter(ax, "D", x=-0.3)

    ax = fig.add_subplot(bottom[1], label="E")
    draw_accuracy_bars(ax, out.table[out.table.model.isin(PAPER_MODELS)], paper=paper)
    ax.set_title("sex, leave one animal out", fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    panel_letter(ax, "E", x=-0.3)

    ax = fig.add_subplot(bottom[2], label="F")
    draw_accuracy_bars(ax, _breaks_table(out), ylabel="balanced accuracy")
    ax.set_title("breaks control", fontsize=9)
    panel_letter(ax, "F", x=-0.3)

    if data_label:
        synthetic_mark(fig, data=data_label)
    return fig


def figure3_supplement(out, *, reference: dict, data_label: str = "") -> plt.Figure:
    """Not in the paper: every classifier of the summary table, with the reference classifiers
    (boosting on the measured properties; on synthetic data on the true parameters, and the
    learnable ceiling) and whole animals relabelled, beside the Bayes oracle."""
    table = out.table[~out.table.model.str.startswith("DNN, breaks")]
    fig, ax = plt.subplots(figsize=(12, 4.2))
    draw_accuracy_bars(ax, table, reference=reference)
    ax.set_title("Fig 3, supplement: references and stricter controls (not in the paper)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if data_label:
        synthetic_mark(fig, data=data_label)
    fig.tight_layout()
    return fig
