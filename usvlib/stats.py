"""Statistics of group differences: rank-sum tests, Holm's correction, Cliff's delta.

Used for the differences of every per-USV property between two groups (the paper's Fig 2,
male vs female) and for the per-animal accuracies of two groups (Fig 3D).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from usvlib.properties import PAPER_PROPERTIES, Property


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (family-wise error control).

    The k-th smallest of m p-values is multiplied by m - k + 1, made non-decreasing in that
    order, and capped at 1.

    Parameters
    ----------
    p_values : array-like of float

    Returns
    -------
    ndarray
        Adjusted p-values, in the order given.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, float)
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, idx in enumerate(order):  # m values: a loop over tests, not samples
        running = max(running, (len(p) - rank) * p[idx])
        adjusted[idx] = min(1.0, running)
    return adjusted


def cliffs_delta(a, b) -> float:
    """Cliff's delta: P(a > b) - P(a < b) over all pairs, from -1 to 1 (0: no difference).

    Parameters
    ----------
    a, b : array-like of float

    Returns
    -------
    float

    Examples
    --------
    >>> cliffs_delta([1, 2, 3], [1, 2, 3])
    0.0
    >>> cliffs_delta([4, 5], [1, 2])
    1.0
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    # from the rank-sum statistic: no n_a x n_b matrix, ties count half
    u = stats.mannwhitneyu(a, b, alternative="two-sided").statistic
    return float(2 * u / (len(a) * len(b)) - 1)


def group_differences(
    table: pd.DataFrame,
    *,
    group: str = "sex",
    groups: tuple[str, str] = ("male", "female"),
    properties: Sequence[Property] = PAPER_PROPERTIES,
    column: str = "table_column",
) -> pd.DataFrame:
    """Wilcoxon rank-sum test of each property between two groups of USVs.

    Parameters
    ----------
    table : DataFrame
        One row per USV, with ``group`` and the properties' columns.
    group : str
        The column that holds each USV's group.
    groups : (str, str)
        The two groups compared (a, b): effects are a against b.
    properties : sequence of Property
        Default: the paper's nine (``usvlib.properties``); absent columns are skipped.
    column : {"table_column", "column"}
        Which of each property's columns to read: the paper's table (``volume``) or usvlib's
        call table (``volume_dbfs``).

    Returns
    -------
    DataFrame
        One row per property: ``property`` (its paper name), ``label``, ``column``, medians,
        means and counts per group, ``z`` and ``p`` of the rank-sum test, ``p_holm`` (Holm over
        the properties tested), ``cliffs_delta`` (a against b) and, for the paper's nine, what
        the paper found (``paper``) and whether this agrees.
    """
    a_name, b_name = groups
    rows = []
    for prop in properties:
        col = getattr(prop, column)
        if col not in table:
            continue
        a = table.loc[table[group] == a_name, col].dropna().to_numpy(float)
        b = table.loc[table[group] == b_name, col].dropna().to_numpy(float)
        test = stats.mannwhitneyu(a, b, alternative="two-sided")
        auc = test.statistic / (len(a) * len(b))
        rows.append(
            {
                "property": prop.name or prop.column,
                "label": prop.label,
                "column": col,
                f"median_{a_name}": float(np.median(a)),
                f"median_{b_name}": float(np.median(b)),
                f"mean_{a_name}": float(a.mean()),
                f"mean_{b_name}": float(b.mean()),
                f"n_{a_name}": len(a),
                f"n_{b_name}": len(b),
                "z": float(stats.norm.isf(test.pvalue / 2) * np.sign(auc - 0.5)),
                "p": float(test.pvalue),
                "cliffs_delta": float(2 * auc - 1),
                "paper": {True: "differs", False: "no difference", None: ""}[prop.paper_differs],
            }
        )
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out.p)
    out["significant"] = out.p_holm < 0.05
    out["agrees_with_paper"] = out.significant == (out.paper == "differs")
    return out


def compare_groups(per_animal: pd.DataFrame, a: str = "male", b: str = "female") -> dict:
    """Wilcoxon rank-sum test of the per-animal accuracies of two groups (Fig 3D).

    Parameters
    ----------
    per_animal : DataFrame
        ``group`` and ``accuracy`` per animal (``crossval.per_animal_accuracy``).
    a, b : str
        The groups.

    Returns
    -------
    dict
        ``mean_<a>``, ``mean_<b>`` and the two-sided ``p``.
    """
    x = per_animal.loc[per_animal.group == a, "accuracy"]
    y = per_animal.loc[per_animal.group == b, "accuracy"]
    test = stats.ranksums(x, y)
    return {"mean_" + a: float(x.mean()), "mean_" + b: float(y.mean()), "p": float(test.pvalue)}
