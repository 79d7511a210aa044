"""MUPET's syllable CSV export (Van Segbroeck et al. 2017): one syllable a row.

Columns used: ``Syllable start time (sec)``, ``Syllable end time (sec)``, and where present
``minimum frequency (kHz)``, ``maximum frequency (kHz)``, ``mean frequency (kHz)``
(converted to hertz).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from usvlib.formats._table import add_numeric_columns, finish_calls, times_table

TOOL = "MUPET"


def read_mupet(path: str | os.PathLike) -> pd.DataFrame:
    """Read a MUPET syllable CSV into usvlib's call table.

    Parameters
    ----------
    path : path

    Returns
    -------
    DataFrame
        ``onset_s``, ``offset_s``, ``duration_s`` and the frequencies in hertz where present.

    Raises
    ------
    UsvlibError
        Naming the file, when it lacks MUPET's start and end columns.
    """
    path = Path(path)
    raw, table, used = times_table(path, TOOL, ("Syllable start time (sec)",), ("Syllable end time (sec)",))
    kilohertz = {
        "min_freq_hz": "minimum frequency (kHz)",
        "max_freq_hz": "maximum frequency (kHz)",
        "mean_freq_hz": "mean frequency (kHz)",
    }
    add_numeric_columns(raw, table, used, kilohertz, scale=1e3)
    return finish_calls(table, path, used, TOOL)
