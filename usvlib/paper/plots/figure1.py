"""Fig 1 assembled as the paper's: A the recording set-up, B female and male USVs as the network
sees them, C a stretch of recording with its detected calls, D the three relations the paper
measures, E examples of each value of the six labelled properties."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from usvlib.paper.plots.data import draw_segmentation
from usvlib.paper.plots.schematics import recording_setup, three_relations
from usvlib.paper.plots.style import SEX_COLORS, SPECTROGRAM_CMAP, panel_letter, synthetic_mark
from usvlib.spectrogram import CANVAS_BIN_HZ, CANVAS_BINS, CANVAS_FMIN_HZ, CANVAS_FRAMES, REFERENCE_RATE_HZ

CANVAS_MS = 1e3 * CANVAS_FRAMES * 250 / REFERENCE_RATE_HZ  # 300 hops of 250 samples at 300 kHz
CANVAS_KHZ = (CANVAS_FMIN_HZ / 1e3, (CANVAS_FMIN_HZ + CANVAS_BINS * CANVAS_BIN_HZ) / 1e3)


def draw_usv_image(ax, image: np.ndarray, *, title: str = "", color: str = "black", axes: bool = True) -> None:
    """One network image (100 x 100: the 250 ms canvas, 10.2-150 kHz) with its time and
    frequency axes, pixels square."""
    extent = [0.0, CANVAS_MS, *CANVAS_KHZ]
    pixel_ratio = (CANVAS_MS / image.shape[1]) / ((CANVAS_KHZ[1] - CANVAS_KHZ[0]) / image.shape[0])
    ax.imshow(image, origin="lower", cmap=SPECTROGRAM_CMAP, extent=extent, aspect=pixel_ratio, interpolation="nearest")
    if title:
        ax.set_title(title, fontsize=8, color=color)
    if axes:
        ax.set_xticks([0, 100, 200])
        ax.set_yticks([25, 75, 125])
    else:
        ax.set_xticks([])
        ax.set_yticks([])


def figure1(
    *,
    examples: dict,
    segmentation: dict,
    label_examples: list,
    labels_are_human: bool,
    rate_khz: float,
    data_label: str = "",
) -> plt.Figure:
    """The assembled Fig 1 (panels A-E, see the module docstring).

    Parameters
    ----------
    examples : dict
        Sex -> list of (image, title): Fig 1B, one row per sex.
    segmentation : dict
        :func:`draw_segmentation`'s arguments (``path``, ``t0_s``, ``t1_s``, ``detected``,
        ``truth``) and ``title``.
    label_examples : list of (str, value, image)
        Fig 1E: property, value, the image of a USV with that value.
    labels_are_human : bool
        Whether E's values are the per-USV table's labels (else usvlib's estimates, said so).
    rate_khz : float
        The recordings' sampling rate (A).
    data_label : str

    Returns
    -------
    matplotlib.figure.Figure
        Its panel axes carry their letter in ``ax.get_label()`` (B and E: their first image).
    """
    fig = plt.figure(figsize=(12, 11.5))
    outer = fig.add_gridspec(3, 1, height_ratios=[1.05, 0.9, 1.0], hspace=0.42)
    top = outer[0].subgridspec(1, 2, width_ratios=[1, 1.5], wspace=0.12)
    ax = fig.add_subplot(top[0], label="A")
    recording_setup(ax, rate_khz=rate_khz)
    panel_letter(ax, "A", x=0.0, y=0.98)

    sexes = list(examples)
    n_cols = max(len(v) for v in examples.values())
    grid_b = top[1].subgridspec(len(sexes), n_cols, wspace=0.12, hspace=0.45)
    for r, sex in enumerate(sexes):
        for c, (image, title) in enumerate(examples[sex]):
            ax = fig.add_subplot(grid_b[r, c], label="B" if (r, c) == (0, 0) else "")
            draw_usv_image(ax, image, title=title, color=SEX_COLORS.get(sex, "black"), axes=c == 0)
            if c == 0:
                ax.set_ylabel(f"{sex}\nkHz", color=SEX_COLORS.get(sex, "black"))
                if r == len(sexes) - 1:
                    ax.set_xlabel("ms")
            if (r, c) == (0, 0):
                panel_letter(ax, "B", x=-0.7, y=1.12)

    middle = outer[1].subgridspec(1, 2, width_ratios=[2.1, 1], wspace=0.15)
    ax = fig.add_subplot(middle[0], label="C")
    args = {k: v for k, v in segmentation.items() if k != "title"}
    draw_segmentation(ax, **args)
    ax.set_title(segmentation.get("title", ""), fontsize=9)
    panel_letter(ax, "C", x=-0.08)
    ax = fig.add_subplot(middle[1], label="D")
    three_relations(ax)
    panel_letter(ax, "D", x=0.0, y=0.98)

    n = len(label_examples)
    cols = int(np.ceil(n / 2)) if n else 1
    grid_e = outer[2].subgridspec(2, cols, wspace=0.12, hspace=0.5)
    for i, (prop, value, image) in enumerate(label_examples):
        ax = fig.add_subplot(grid_e[i // cols, i % cols], label="E" if i == 0 else "")
        draw_usv_image(ax, image, title=f"{prop} = {value:g}", axes=i % cols == 0)
        if i == 0:
            panel_letter(ax, "E", x=-0.7, y=1.12)
            ax.set_ylabel("kHz")
    if n:
        source = "the per-USV table's labels" if labels_are_human else "usvlib's estimates (no labels at hand)"
        fig.text(
            0.5,
            0.005 + 0.0,
            f"E: one typical USV for each value of the six labelled properties, by {source}",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    if data_label:
        synthetic_mark(fig, data=data_label)
    return fig
