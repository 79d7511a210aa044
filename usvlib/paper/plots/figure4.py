"""Fig 4 assembled as the paper's: A-E the networks from the spectrogram to each labelled property,
F-I sex from the nine properties (the network, ridge and the SVM, ridge's weights), J-K the
semi-convolutional network."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from usvlib.paper.plots.classifiers import draw_accuracy_bars
from usvlib.paper.plots.schematics import property_networks
from usvlib.paper.plots.style import ACCURACY_COLOR, CONTROL_COLOR, panel_letter, synthetic_mark
from usvlib.properties import PAPER_PROPERTIES


def _per_property(ax, summary: pd.DataFrame, paper_range: tuple | None) -> None:
    x = np.arange(len(summary))
    ax.bar(x, summary["mean"], yerr=summary["sd"], capsize=3, color=ACCURACY_COLOR, label="spectrogram DNN")
    ax.scatter(x, summary["chance"], marker="_", s=300, color="black", zorder=3, label="chance")
    if paper_range is not None:
        ax.axhspan(*paper_range, color="#e6d8a8", alpha=0.6, zorder=0, label="paper's range (real data)")
    ax.set_xticks(x)
    ax.set_xticklabels(summary.property, rotation=30, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("balanced accuracy\n(bars: ± SD over folds)")
    ax.text(0.0, 0.98, "—: chance; band: the paper's range (real)", transform=ax.transAxes, fontsize=8, va="top")


def _per_value(ax, values: pd.DataFrame, properties: list[str], column: str, ylabel: str) -> None:
    part = values[values.property.isin(properties)]
    x = np.arange(len(part))
    color = ACCURACY_COLOR if column == "accuracy" else CONTROL_COLOR
    ax.bar(x, part[column], color=color)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{p} {v:g}" for p, v in zip(part.property, part.value, strict=True)], rotation=60, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel(ylabel)


def figure4(out, *, spectrogram_dnn: dict, paper: dict, data_label: str = "") -> plt.Figure:
    """The assembled Fig 4.

    Parameters
    ----------
    out : Fig4Result
    spectrogram_dnn : dict
        Fig 3's DNN as a summary row (``crossval.summary_row``): the reference of F-K.
    paper : dict
        ``property_range`` (low, high), ``properties_dnn``, ``semiconv``: the paper's values.
    data_label : str

    Returns
    -------
    matplotlib.figure.Figure
        Panel axes carry their letter in ``ax.get_label()``.
    """
    fig = plt.figure(figsize=(13, 11))
    outer = fig.add_gridspec(3, 1, height_ratios=[1, 1, 1], hspace=0.7)
    row1 = outer[0].subgridspec(1, 4, width_ratios=[0.55, 1.1, 1.2, 1.0], wspace=0.45)
    ax = fig.add_subplot(row1[0], label="A")
    property_networks(ax, "spectrogram_to_property", vertical=True)
    panel_letter(ax, "A", x=0.0, y=1.0)
    ax = fig.add_subplot(row1[1], label="B")
    _per_property(ax, out.property_networks, paper.get("property_range"))
    ax.set_title("one property from the spectrogram", fontsize=9)
    panel_letter(ax, "B", x=-0.35)
    ax = fig.add_subplot(row1[2], label="C")
    _per_value(ax, out.property_values, ["direction", "peaks", "breaks"], "accuracy", "accuracy on the value")
    ax.set_title("per value: direction, peaks, breaks", fontsize=9)
    panel_letter(ax, "C", x=-0.25)
    ax = fig.add_subplot(row1[3], label="D")
    _per_value(ax, out.property_values, ["broadband", "tremolo", "complex"], "accuracy", "accuracy on the value")
    ax.set_title("per value: broadband, tremolo, complex", fontsize=9)
    panel_letter(ax, "D", x=-0.25)

    row2 = outer[1].subgridspec(1, 4, width_ratios=[2.0, 0.55, 1.0, 1.0], wspace=0.45)
    ax = fig.add_subplot(row2[0], label="E")
    _per_value(ax, out.property_values, list(dict.fromkeys(out.property_values.property)), "share", "share of USVs")
    ax.set_title("how often each value is", fontsize=9)
    panel_letter(ax, "E", x=-0.12)
    ax = fig.add_subplot(row2[1], label="F")
    property_networks(ax, "properties_to_sex", vertical=True)
    panel_letter(ax, "F", x=0.0, y=1.0)
    rows = out.table.set_index("model")
    dnn = rows.loc["properties -> sex, DNN"]
    ax = fig.add_subplot(row2[2], label="G")
    table = pd.DataFrame(
        [
            {**dnn.to_dict(), "model": "properties"},
            {**spectrogram_dnn, "model": "spectrogram\n(Fig 3)"},
        ]
    )
    draw_accuracy_bars(ax, table, paper={"properties": paper.get("properties_dnn")})
    ax.set_title("sex: properties DNN", fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    panel_letter(ax, "G", x=-0.4)
    ax = fig.add_subplot(row2[3], label="H")
    table = pd.DataFrame(
        [{**rows.loc[f"properties -> sex, {m}"].to_dict(), "model": m} for m in ("DNN", "ridge", "SVM")]
    )
    draw_accuracy_bars(ax, table)
    ax.set_title("sex from the 9 properties", fontsize=9)
    panel_letter(ax, "H", x=-0.4)

    row3 = outer[2].subgridspec(1, 3, width_ratios=[1.3, 1.2, 0.9], wspace=0.4)
    ax = fig.add_subplot(row3[0], label="I")
    w = out.ridge_weights
    names = {p.table_column: p.label for p in PAPER_PROPERTIES}
    ax.bar(range(len(w)), w.weight, yerr=w.sd, capsize=3, color=ACCURACY_COLOR)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(range(len(w)))
    ax.set_xticklabels([names.get(p, p) for p in w.property], rotation=30, ha="right")
    ax.set_ylabel("ridge weight (towards male)\n(bars: ± SD over folds)")
    ax.set_title("ridge on standardised properties", fontsize=9)
    panel_letter(ax, "I", x=-0.2)
    ax = fig.add_subplot(row3[1], label="J")
    property_networks(ax, "semiconvolutional")
    panel_letter(ax, "J", x=-0.06, y=0.95)
    ax = fig.add_subplot(row3[2], label="K")
    table = pd.DataFrame(
        [
            {**rows.loc["semi-convolutional DNN"].to_dict(), "model": "semi-conv"},
            {**dnn.to_dict(), "model": "properties"},
            {**spectrogram_dnn, "model": "spectrogram"},
        ]
    )
    draw_accuracy_bars(ax, table, paper={"semi-conv": paper.get("semiconv"), "properties": paper.get("properties_dnn")})
    ax.set_title("semi-convolutional DNN", fontsize=9)
    ax.tick_params(axis="x", labelrotation=20)
    panel_letter(ax, "K", x=-0.45)
    fig.suptitle(
        "Fig 4. Properties and the DNN: a property from the spectrogram (A-E), sex from the properties (F-I), "
        "the properties with the spectral line and marginals (J-K)",
        fontsize=10,
    )
    if data_label:
        synthetic_mark(fig, data=data_label)
    return fig
