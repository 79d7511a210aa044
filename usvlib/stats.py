"""Statistics of group differences: rank-sum tests, Holm's correction, Cliff's delta.

Used for the differences of every per-USV property between groups (the paper's Fig 2,
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


LABEL_LEVELS = 5
"""A property with at most this many distinct values is a label (direction, peaks, breaks...)."""


def differences_between_groups(
    table: pd.DataFrame,
    *,
    group: str = "group",
    animal: str = "animal",
    properties: Sequence[Property] = PAPER_PROPERTIES,
    column: str = "column",
) -> pd.DataFrame:
    """Each property compared across two or more groups, over USVs and over animals.

    USVs of one animal are not independent, so besides the per-USV Kruskal-Wallis test (the
    paper's rank-sum test for two groups) the same test runs on the animals' medians (their
    means for a label of at most :data:`LABEL_LEVELS` levels), each animal counted once; both
    are Holm-corrected over the properties.

    Parameters
    ----------
    table : DataFrame
        One row per USV with ``group``, ``animal`` and the properties' columns.
    group, animal : str
        Columns of each USV's group and animal.
    properties : sequence of Property
        Absent columns are skipped.
    column : {"column", "table_column"}
        Which of each property's columns to read (usvlib's call table, or the paper's table).

    Returns
    -------
    DataFrame
        One row per property: ``property``, ``label``, ``unit``, ``column``, ``animal_summary``
        ("median" or "mean"), ``median_<g>`` per
        group (over USVs), ``p_usvs`` and ``p_usvs_holm``, ``p_animals`` and ``p_animals_holm``,
        ``epsilon_squared`` (the Kruskal-Wallis effect size over USVs, 0 to 1) and, for two groups,
        ``cliffs_delta`` (the second group against the first, in sorted order).
    """
    names = sorted(table[group].astype(str).unique())
    if len(names) < 2:
        raise ValueError(f"differences need two or more groups, got {names}")
    rows = []
    for prop in properties:
        col = getattr(prop, column)
        if col not in table:
            continue
        values = table[[group, animal, col]].dropna()
        by_group = [values.loc[values[group].astype(str) == g, col].to_numpy(float) for g in names]
        # an animal's median, or for a label of a few levels (breaks, tremolo) its mean: a median
        # of 0/1 values says little
        how = "mean" if values[col].nunique() <= LABEL_LEVELS else "median"
        medians = values.groupby([animal, group])[col].agg(how).reset_index()
        by_animal = [medians.loc[medians[group].astype(str) == g, col].to_numpy(float) for g in names]
        row = {"property": prop.name or prop.column, "label": prop.label, "unit": prop.unit, "column": col}
        row["animal_summary"] = how
        row.update(
            {f"median_{g}": float(np.median(v)) if len(v) else np.nan for g, v in zip(names, by_group, strict=True)}
        )
        usable = all(len(v) > 0 for v in by_group) and np.ptp(values[col].to_numpy(float)) > 0
        if usable:
            test = stats.kruskal(*by_group)
            n = sum(len(v) for v in by_group)
            row["p_usvs"] = float(test.pvalue)
            row["epsilon_squared"] = float(max(test.statistic - len(names) + 1, 0) / max(n - len(names), 1))
        else:  # one value everywhere: nothing to test
            row["p_usvs"], row["epsilon_squared"] = 1.0, 0.0
        spread = np.ptp(medians[col].to_numpy(float)) > 0 if len(medians) else False
        row["p_animals"] = (
            float(stats.kruskal(*by_animal).pvalue) if spread and all(len(v) > 0 for v in by_animal) else 1.0
        )
        if len(names) == 2:
            row["cliffs_delta"] = cliffs_delta(by_group[1], by_group[0]) if usable else 0.0
        rows.append(row)
    out = pd.DataFrame(rows)
    out["p_usvs_holm"] = holm(out.p_usvs)
    out["p_animals_holm"] = holm(out.p_animals)
    return out
