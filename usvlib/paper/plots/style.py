"""The style and colours every figure uses."""

from __future__ import annotations

import matplotlib.pyplot as plt

SEX_COLORS = {"female": "#c8366b", "male": "#2f6db5"}
GROUP_COLORS = {**SEX_COLORS, "cortexless": "#e08a1e", "control": "#4f9a5a"}


def apply_style() -> None:
    """A compact, print-friendly style used by every figure."""
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
            "axes.labelsize": 9,
            "xtick.labelsize": 8,
            "ytick.labelsize": 8,
            "legend.fontsize": 8,
            "font.family": "DejaVu Sans",
        }
    )
