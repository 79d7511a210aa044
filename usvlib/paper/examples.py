"""Which USVs a figure shows: typical members of their class with a visible call, by one rule on
synthetic and real data alike (Figs 1B, 1E, 6, 7).

``typical_examples(table, by)`` keeps, for each value of ``by``, the calls that fit the 250 ms
canvas and stand out at least as well as the value's median call (the detector's score, else
the level), then takes those nearest the value's median duration, mean frequency and broadband
level (distances in units of the median absolute deviation), at most one per animal until
every animal has given one. No randomness: the same
table gives the same examples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TYPICAL_FEATURES = ("duration_s", "mean_freq_hz", "broadband")
"""What "typical" is measured on: a class's median call is of its median length and pitch, and
as clean as its median call (a click across the band is not typical)."""

LEVEL_COLUMNS = ("detector_score", "volume_dbfs")
"""What "visible" is measured on, the first a table has: how far the detector's purity stood above
its threshold, else the call's level (a click is loud but not pure)."""


def _robust_distance(values: np.ndarray) -> np.ndarray:
    centre = np.nanmedian(values, axis=0)
    spread = np.nanmedian(np.abs(values - centre), axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    return np.sqrt(np.nansum(((values - centre) / spread) ** 2, axis=1))


def _spread_over_animals(order: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` rows of ``order``, taking each animal's best before any animal's second."""
    ranked = order.assign(_turn=order.groupby("animal").cumcount())
    return ranked.sort_values(["_turn", "_distance", "usv"], kind="stable").head(n).drop(columns="_turn")


def typical_examples(
    table: pd.DataFrame,
    by: str,
    *,
    per_value: int = 4,
    values=None,
    features: tuple[str, ...] = TYPICAL_FEATURES,
) -> pd.DataFrame:
    """Typical, visible examples of each value of ``by`` (see the module docstring).

    Parameters
    ----------
    table : DataFrame
        One row per USV with ``usv``, ``animal``, ``by`` and ``features`` (those absent are
        left out); ``detector_score`` or ``volume_dbfs`` and ``image_did_not_fit`` where present.
    by : str
        The column whose values the examples stand for (``sex``, ``breaks``, ...).
    per_value : int
    values : sequence, optional
        The values, in this order (default: sorted).
    features : tuple of str

    Returns
    -------
    DataFrame
        The chosen rows, ``_value`` (the value they stand for) and ``_distance`` added, grouped by
        value in order, nearest first.
    """
    values = sorted(table[by].dropna().unique()) if values is None else list(values)
    chosen = []
    for value in values:
        rows = table[table[by] == value]
        if "image_did_not_fit" in rows:
            rows = rows[~rows.image_did_not_fit.astype(bool)]
        level_column = next((c for c in LEVEL_COLUMNS if c in rows), None)
        if level_column is not None and len(rows) > per_value:
            level = rows[level_column].to_numpy(float)
            rows = rows[level >= np.nanmedian(level)]
        if rows.empty:
            continue
        used = [f for f in features if f in rows]
        x = rows[used].to_numpy(float, copy=True)
        if "duration_s" in used:  # durations spread over a factor of ten: compare their logs
            j = used.index("duration_s")
            x[:, j] = np.log(np.maximum(x[:, j], 1e-4))
        rows = rows.assign(_distance=_robust_distance(x), _value=value).sort_values(["_distance", "usv"])
        chosen.append(_spread_over_animals(rows, per_value))
    if not chosen:
        return table.iloc[:0].assign(_value=[], _distance=[])
    return pd.concat(chosen, ignore_index=True)
