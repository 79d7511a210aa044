"""USVSEG's call CSV (Tachibana et al. 2020; the MATLAB original and its Python port).

``#, start, end, duration, maxfreq, maxamp, meanfreq, cvfreq``: times in seconds, the
duration in milliseconds, frequencies in kHz (converted to hertz here).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from usvlib.formats._table import add_numeric_columns, finish_calls, times_table

TOOL = "USVSEG"


def read_usvseg(path: str | os.PathLike) -> pd.DataFrame:
    """Read a USVSEG CSV (``*_dat.csv``) into usvlib's call table.

    Parameters
    ----------
    path : path

    Returns
    -------
    DataFrame
        ``onset_s``, ``offset_s``, ``duration_s``, and ``peak_freq_hz`` (USVSEG's ``maxfreq``, the
        frequency of the maximum) and ``mean_freq_hz`` where present.

    Raises
    ------
    UsvlibError
        Naming the file, when it lacks USVSEG's ``start`` and ``end`` columns.
    """
    path = Path(path)
    raw, table, used = times_table(path, TOOL, ("start",), ("end",))
    add_numeric_columns(raw, table, used, {"peak_freq_hz": "maxfreq", "mean_freq_hz": "meanfreq"}, scale=1e3)
    return finish_calls(table, path, used, TOOL)
