"""Schematic panels drawn by code: the recording set-up (Fig 1A), the three relations (1D), a
network's architecture with its layer sizes (3A), and the property networks (4A, 4F, 4J).

Each function draws into the axes it is given (its frame and ticks turned off) and returns them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Rectangle

from usvlib.paper.plots.style import SEX_COLORS

_BOX = {"boxstyle": "round,pad=0.02,rounding_size=0.02", "linewidth": 0.9}


def _blank(ax) -> None:
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")


def _arrow(ax, start, end, *, text: str = "", color: str = "black", text_offset=(0.0, 0.03), fontsize: int = 8):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, lw=1.0, color=color))
    if text:
        mid = ((start[0] + end[0]) / 2 + text_offset[0], (start[1] + end[1]) / 2 + text_offset[1])
        ax.text(*mid, text, ha="center", va="bottom", fontsize=fontsize, color=color)


def _box(ax, x, y, w, h, text, *, face="#eef2f7", edge="#44546a", fontsize: int = 8):
    ax.add_patch(FancyBboxPatch((x, y), w, h, facecolor=face, edgecolor=edge, **_BOX))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize)


def _mouse(ax, x, y, scale, color, *, label: str):
    ax.add_patch(Ellipse((x, y), 0.16 * scale, 0.08 * scale, color=color, alpha=0.85))
    ax.add_patch(Ellipse((x + 0.085 * scale, y + 0.012 * scale), 0.06 * scale, 0.045 * scale, color=color))
    ax.add_patch(Ellipse((x + 0.09 * scale, y + 0.04 * scale), 0.025 * scale, 0.03 * scale, color=color))
    ax.plot([x - 0.08 * scale, x - 0.15 * scale], [y, y - 0.03 * scale], color=color, lw=1.2)
    ax.text(x, y - 0.09 * scale, label, ha="center", va="top", fontsize=8)


def recording_setup(ax, *, rate_khz: float = 300.0):
    """Fig 1A: a resident mouse with an anaesthetised female in its home cage, an ultrasonic
    microphone above, the recording; every USV comes from the resident."""
    _blank(ax)
    ax.add_patch(Rectangle((0.03, 0.2), 0.6, 0.36, fill=False, lw=1.2, edgecolor="#444444"))
    ax.text(0.33, 0.16, "home cage", ha="center", va="top", fontsize=8)
    _mouse(ax, 0.17, 0.34, 1.0, "#6d6d6d", label="resident ♀ or ♂")
    _mouse(ax, 0.47, 0.3, 0.8, "#b9b9b9", label="anaesthetised ♀")
    ax.text(0.33, 0.03, "every USV is the resident's", ha="center", va="bottom", fontsize=8, style="italic")
    ax.add_patch(Rectangle((0.2, 0.72), 0.05, 0.1, color="#333333"))
    ax.plot([0.225, 0.225], [0.82, 0.9], color="#333333", lw=1.2)
    ax.text(0.28, 0.77, "ultrasonic microphone", ha="left", va="center", fontsize=8)
    for r in (0.05, 0.08, 0.11):  # sound waves from the resident up to the microphone
        ax.add_patch(Ellipse((0.2, 0.48), 2 * r, r, fill=False, lw=0.7, edgecolor="#999999", ls="--"))
    _arrow(ax, (0.225, 0.9), (0.68, 0.9))
    _box(ax, 0.68, 0.8, 0.3, 0.17, f"WAV, {rate_khz:g} kHz,\n16 bit, ≈ 3 min")
    _arrow(ax, (0.83, 0.8), (0.83, 0.64))
    _box(ax, 0.68, 0.44, 0.3, 0.2, "detection:\none spectrogram\nper USV")
    return ax


def three_relations(ax):
    """Fig 1D: spectrogram → properties → sex, and spectrogram → sex directly; each arrow names
    the figure that measures it."""
    _blank(ax)
    _box(ax, 0.02, 0.62, 0.28, 0.26, "spectrogram\n(100 × 100)")
    _box(ax, 0.35, 0.05, 0.3, 0.3, "9 properties\n(duration, pitch,\nvolume, breaks …)")
    _box(ax, 0.7, 0.62, 0.28, 0.26, "sex of\nthe mouse", face="#f5eef2")
    _arrow(ax, (0.3, 0.75), (0.7, 0.75), text="Fig 3", text_offset=(0.0, 0.03))
    _arrow(ax, (0.17, 0.62), (0.4, 0.35), text="Fig 4A-E", text_offset=(-0.14, -0.04))
    _arrow(ax, (0.6, 0.35), (0.83, 0.62), text="Fig 4F-I", text_offset=(0.14, -0.04))
    return ax


def _layer_text(row: dict) -> str | None:
    out = row["output"]
    if row["layer"] == "Conv2d":
        k, s = row.get("kernel", ("?", "?")), row.get("stride", (1, 1))
        stride = f" /{s[0]}" if s[0] != 1 else ""
        return f"conv {k[0]}×{k[1]}{stride}\n{out[0]} × {out[1]}×{out[2]}"
    if row["layer"] == "MaxPool2d":
        return f"max-pool\n{out[0]} × {out[1]}×{out[2]}"
    if row["layer"] == "Linear":
        return f"FC\n{out[0]}"
    return None


def architecture(ax, layers: list[dict], *, input_shape: tuple, output: str = "P(male)", title: str = ""):
    """Fig 3A: a network's layers left to right with their output sizes (channels × height × width).

    Parameters
    ----------
    ax : Axes
    layers : list of dict
        ``usvlib.netinfo.describe(model)``: batch normalisation and ReLU are said once, below.
    input_shape : tuple
        (channels, height, width) of one input.
    output : str
        What the last unit means.
    title : str
    """
    _blank(ax)
    blocks = [t for t in (_layer_text(r) for r in layers) if t is not None]
    has_bn = any(r["layer"].startswith("BatchNorm") for r in layers)
    items = [f"input\n{input_shape[0]} × {input_shape[1]}×{input_shape[2]}", *blocks, output]
    n = len(items)
    width = 0.96 / n
    for i, text in enumerate(items):
        x = 0.02 + i * width
        face = "#f3f3f3" if i in (0, n - 1) else ("#e6eef8" if text.startswith(("conv", "max")) else "#eef6ea")
        _box(ax, x + 0.012, 0.3, width - 0.04, 0.5, text, face=face, fontsize=8)
        if i < n - 1:
            _arrow(ax, (x + width - 0.026, 0.55), (x + width + 0.01, 0.55))
    note = "each convolution and FC layer followed by batch normalisation and ReLU" if has_bn else ""
    ax.text(0.5, 0.08, note, ha="center", va="center", fontsize=8, color="#444444")
    if title:
        ax.text(0.5, 1.02, title, ha="center", va="bottom", fontsize=9)
    return ax


def _chain(ax, texts, faces, *, vertical: bool) -> None:
    """Boxes joined by arrows, left to right (or top to bottom)."""
    n = len(texts)
    for i, (text, face) in enumerate(zip(texts, faces, strict=True)):
        if vertical:
            y = 1 - (i + 1) / n
            _box(ax, 0.08, y + 0.04, 0.84, 1 / n - 0.1, text, face=face)
            if i < n - 1:
                _arrow(ax, (0.5, y + 0.04), (0.5, y - 0.06 + 0.0))
        else:
            x = i / n
            _box(ax, x + 0.02, 0.3, 1 / n - 0.07, 0.4, text, face=face)
            if i < n - 1:
                _arrow(ax, (x + 1 / n - 0.05, 0.5), (x + 1 / n + 0.02, 0.5))


def property_networks(ax, kind: str, *, vertical: bool = False):
    """Fig 4A (spectrogram → one property), 4F (nine properties → sex) or 4J (the
    semi-convolutional network: properties, spectral line and marginals → sex); the first two
    top to bottom with ``vertical``."""
    _blank(ax)
    if kind == "spectrogram_to_property":
        _chain(
            ax,
            ["spectrogram\n100 × 100", "the DNN's conv\ntrunk (Fig 3A)", "one property\n(e.g. breaks 0-3)"],
            ["#eef2f7", "#eef2f7", "#f5f1e6"],
            vertical=vertical,
        )
    elif kind == "properties_to_sex":
        _chain(ax, ["9 properties", "4 FC × 70\nBN, ReLU", "sex"], ["#eef2f7", "#eef2f7", "#f5eef2"], vertical=vertical)
    elif kind == "semiconvolutional":
        for j, text in enumerate(("9 properties", "spectral line,\ntime marginal", "frequency\nmarginal")):
            y = 0.7 - 0.3 * j
            _box(ax, 0.02, y, 0.26, 0.24, text, fontsize=8)
            _box(ax, 0.34, y, 0.22, 0.24, "FC" if j == 0 else "1-D conv", fontsize=8)
            _arrow(ax, (0.28, y + 0.12), (0.34, y + 0.12))
            _arrow(ax, (0.56, y + 0.12), (0.64, 0.52))
        _box(ax, 0.64, 0.4, 0.14, 0.24, "FC", fontsize=8)
        _box(ax, 0.84, 0.4, 0.14, 0.24, "sex", face="#f5eef2", fontsize=8)
        _arrow(ax, (0.78, 0.52), (0.84, 0.52))
    else:
        raise ValueError(f"kind must be spectrogram_to_property, properties_to_sex or semiconvolutional, got {kind!r}")
    return ax


def sex_legend_handles() -> list:
    """Legend handles of the paper's sex colours (female red, male blue)."""
    return [plt.Line2D([], [], color=c, marker="s", ls="", label=s) for s, c in SEX_COLORS.items()]
