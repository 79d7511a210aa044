"""crowsetta's ``simple-seq`` format: a CSV of ``onset_s``, ``offset_s``, ``label``, one segment a row.

The plain sequence format that crowsetta and vocalpy read (``crowsetta.formats.seq.SimpleSeq``):
a header row naming the three columns, times in seconds, one file per recording.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from usvlib._io import atomic_path
from usvlib.formats._table import finish_calls, optional_column, times_table

TOOL = "simple-seq"
DEFAULT_LABEL = "usv"
"""The label written for calls that have none (simple-seq requires one)."""


def read_simple_seq(path: str | os.PathLike) -> pd.DataFrame:
    """Read a simple-seq CSV into usvlib's call table.

    Parameters
    ----------
    path : path

    Returns
    -------
    DataFrame
        ``onset_s``, ``offset_s``, ``duration_s`` and ``label`` (where the file has it).

    Raises
    ------
    UsvlibError
        Naming the file, when the columns are missing or a time is not a number.
    """
    path = Path(path)
    raw, table, used = times_table(path, TOOL, ("onset_s",), ("offset_s",))
    label = optional_column(raw, "label")
    if label is not None:
        table["label"] = raw[label].astype(str).to_numpy()
        used["label"] = label
    return finish_calls(table, path, used, TOOL)


def write_simple_seq(calls: pd.DataFrame, path: str | os.PathLike, *, label: str = DEFAULT_LABEL) -> Path:
    """Write ``onset_s``, ``offset_s`` and ``label`` (``calls.label`` or ``label``) as simple-seq, atomically.

    Parameters
    ----------
    calls : DataFrame
    path : path
    label : str
        For calls without a ``label`` column.

    Returns
    -------
    Path
    """
    path = Path(path)
    out = pd.DataFrame(
        {
            "onset_s": calls.onset_s.to_numpy(float),
            "offset_s": calls.offset_s.to_numpy(float),
            "label": calls.label.astype(str).to_numpy() if "label" in calls else label,
        }
    )
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, float_format="%.6f")
    return path
