"""Fig 2: the nine properties of female and male USVs.

``compute(dataset, calls)``: Wilcoxon rank-sum tests male vs female of each of the paper's nine
properties, Holm-corrected over the nine, with Cliff's delta (``usvlib.stats``), on the paper's
per-USV table (a labeller's labels) and on usvlib's automatic estimates of the same calls.
``record(ctx, result)`` files the paper table's p-values.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from usvlib.stats import group_differences


@dataclass
class Fig2Result:
    """Fig 2's tests, one row per property (``stats.group_differences``)."""

    differences: pd.DataFrame  # on the paper's table (``dataset.properties``)
    automatic: pd.DataFrame | None  # on usvlib's estimates (its ``volume_dbfs`` for the volume)


def compute(dataset, calls: pd.DataFrame | None = None) -> Fig2Result:
    """Male vs female, property by property.

    Parameters
    ----------
    dataset : Dataset
        Its per-USV table (``dataset.properties``) is tested.
    calls : DataFrame, optional
        usvlib's call table of the same recordings (``extract_dataset(...).table``).

    Returns
    -------
    Fig2Result
    """
    automatic = None if calls is None else group_differences(calls, column="column")
    return Fig2Result(group_differences(dataset.properties), automatic)


def record(ctx, result: Fig2Result) -> int:
    """Record ``fig2.<property>.p_holm`` of the paper's table; returns how many agree with it."""
    differences = result.differences
    for row in differences.itertuples():
        ctx.record(
            f"fig2.{row.property}.p_holm",
            row.p_holm,
            n=row.n_male + row.n_female,
            extra={"p": row.p, "cliffs_delta": row.cliffs_delta, "agrees_with_paper": bool(row.agrees_with_paper)},
        )
    return int(differences.agrees_with_paper.sum())
