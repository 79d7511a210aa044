"""The style and colours every figure uses."""

from __future__ import annotations

import matplotlib.pyplot as plt

SEX_COLORS = {"female": "#c8366b", "male": "#2f6db5"}
GROUP_COLORS = {**SEX_COLORS, "cortexless": "#e08a1e", "control": "#4f9a5a"}
ACCURACY_COLOR = "#3b3b3b"
"""A classifier's accuracy with real labels (blue and red are the sexes')."""
CONTROL_COLOR = "#bdbdbd"
"""A shuffled-label control."""
WEIGHT_COLOR = "#8c6d31"
"""Fig 3B's second axis: the weights' change."""


def apply_style() -> None:
    """A compact, print-friendly style used by every figure."""
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
            "axes.labelsize": 9,
            "xtick.labelsize": MIN_FONT_PT,
            "ytick.labelsize": MIN_FONT_PT,
            "legend.fontsize": MIN_FONT_PT,
            "image.cmap": SPECTROGRAM_CMAP,
            "font.family": "DejaVu Sans",
        }
    )


SPECTROGRAM_CMAP = "magma"
"""The colour map of every spectrogram (dark: quiet), with a colour bar in dB where levels matter."""

MIN_FONT_PT = 8
"""No text smaller than this at the printed size."""


def panel_letter(ax, letter: str, *, x: float = -0.12, y: float = 1.04) -> None:
    """The panel's letter (A, B, ...) at its top left corner, outside the axes."""
    ax.text(x, y, letter, transform=ax.transAxes, fontsize=13, fontweight="bold", va="bottom", ha="left")


def synthetic_mark(fig, *, data: str = "synthetic data") -> None:
    """Say in the figure's bottom right corner what the data are ("synthetic data")."""
    fig.text(0.995, 0.003, data, ha="right", va="bottom", fontsize=MIN_FONT_PT, color="#555555")


def identity_text(stats: dict) -> str:
    """The identity network's share right with its interval, test and chance, for a title.

    Parameters
    ----------
    stats : dict
        ``paper.runs.identity_summary``'s.

    Returns
    -------
    str
        e.g. "16 % of USVs [12, 20] (95 % CI over animals), p = 0.0005; chance 4 %".
    """
    return (
        f"{100 * stats['accuracy']:.0f} % of USVs [{100 * stats['ci_low']:.0f}, {100 * stats['ci_high']:.0f}] "
        f"(95 % CI over animals), p = {stats['p_value']:.2g}; chance {100 * stats['chance']:.0f} %"
    )
