"""Fig 5 assembled: individual signatures. A: the sex DNN when every animal is in training (a random
split of the USVs) against new animals, beside the Bayes oracle's two cases and the paper's
values; B: which animal a USV comes from (the identity network's confusion matrix)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from usvlib.paper.plots.classifiers import draw_accuracy_bars, draw_confusion
from usvlib.paper.plots.style import identity_text, panel_letter, synthetic_mark


def figure5(out, *, paper: dict, reference: dict | None = None, data_label: str = "") -> plt.Figure:
    """The assembled Fig 5.

    Parameters
    ----------
    out : Fig5Result
    paper : dict
        The paper's values by row name ("across animals", "random split").
    reference : dict, optional
        Name -> value, horizontal lines (the Bayes oracle on synthetic data).
    data_label : str

    Returns
    -------
    matplotlib.figure.Figure
        Panel axes carry their letter in ``ax.get_label()``.
    """
    fig = plt.figure(figsize=(13, 5.6))
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 1.35], wspace=0.35)
    ax = fig.add_subplot(grid[0], label="A")
    table = out.table.assign(model=out.table.model.str.replace("random split", "random split\n(animals known)"))
    paper = {k.replace("random split", "random split\n(animals known)"): v for k, v in paper.items()}
    draw_accuracy_bars(ax, table, paper=paper, reference=reference)
    ax.set_title("sex DNN: new animals or animals known", fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.08), ncol=2)
    panel_letter(ax, "A", x=-0.2, y=1.2)

    ax = fig.add_subplot(grid[1], label="B")
    draw_confusion(ax, out.identity_confusion)
    ax.set_xlabel("predicted animal")
    ax.set_ylabel("true animal")
    ax.set_title(f"which animal? {identity_text(out.identity_stats)}", fontsize=8)
    panel_letter(ax, "B", x=-0.3, y=1.02)
    if data_label:
        synthetic_mark(fig, data=data_label)
    return fig
