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
