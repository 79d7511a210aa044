"""Statistics of the paper's figures: group differences of the per-USV properties (Fig 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

FIG2_PROPERTIES = (
    ("duration_s", "duration", True),
    ("mean_freq_hz", "mean frequency", False),
    ("volume", "volume", True),
    ("direction", "direction", False),
    ("peaks", "peaks", True),
    ("breaks", "breaks", True),
    ("broadband", "broadband", True),
    ("tremolo", "tremolo", True),
    ("complex", "complex", True),
)
"""(column, name, the paper found a significant sex difference) for Fig 2 A-I."""


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (family-wise error control)."""
    p = np.asarray(p_values, float)
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, (len(p) - rank) * p[idx])
        adjusted[idx] = min(1.0, running)
    return adjusted


def group_differences(
    table: pd.DataFrame, *, group: str = "sex", groups: tuple[str, str] = ("male", "female"), properties=FIG2_PROPERTIES
) -> pd.DataFrame:
    """Wilcoxon rank-sum test of each property between two groups of USVs.

    Returns one row per property: medians and means per group, the rank-sum statistic and
    p-value, the Holm-adjusted p-value over the properties tested, and the effect size as
    Cliff's delta (P(a > b) - P(a < b), from -1 to 1; 0 = no difference) with the paper's finding.
    """
    a_name, b_name = groups
    rows = []
    for column, name, paper_significant in properties:
        if column not in table:
            continue
        a = table.loc[table[group] == a_name, column].dropna().to_numpy(float)
        b = table.loc[table[group] == b_name, column].dropna().to_numpy(float)
        test = stats.mannwhitneyu(a, b, alternative="two-sided")
        auc = test.statistic / (len(a) * len(b))
        rows.append(
            {
                "property": name,
                "column": column,
                f"median_{a_name}": float(np.median(a)),
                f"median_{b_name}": float(np.median(b)),
                f"mean_{a_name}": float(a.mean()),
                f"mean_{b_name}": float(b.mean()),
                f"n_{a_name}": len(a),
                f"n_{b_name}": len(b),
                "z": float(stats.norm.isf(test.pvalue / 2) * np.sign(auc - 0.5)),
                "p": float(test.pvalue),
                "cliffs_delta": float(2 * auc - 1),
                "paper": "differs" if paper_significant else "no difference",
            }
        )
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out.p)
    out["significant"] = out.p_holm < 0.05
    out["agrees_with_paper"] = out.significant == (out.paper == "differs")
    return out
