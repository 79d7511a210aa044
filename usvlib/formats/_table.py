"""What every reader of another tool's call table returns: usvlib's columns, in seconds and hertz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from usvlib._io import read_csv_checked
from usvlib.errors import UsvlibError


def finish_calls(table: pd.DataFrame, path: Path, used: dict[str, str], tool: str) -> pd.DataFrame:
    """Check and order a call table read from ``path``; record which source columns it used.

    Parameters
    ----------
    table : DataFrame
        At least ``onset_s`` and ``offset_s`` (seconds); optionally ``min_freq_hz``,
        ``max_freq_hz``, ``mean_freq_hz``, ``label``, ``score`` and others.
    path : Path
        The file, for messages.
    used : dict
        usvlib column -> the source column (or expression) it came from.
    tool : str
        The format's name.

    Returns
    -------
    DataFrame
        ``duration_s`` added, rows sorted by onset, ``attrs["columns_used"]`` = ``used`` and
        ``attrs["format"]`` = ``tool``.

    Raises
    ------
    UsvlibError
        Naming the file, for times that are not finite or negative, or an offset before its onset.
    """
    out = table.copy()
    for column in ("onset_s", "offset_s"):
        values = pd.to_numeric(out[column], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(values)
        if bad.any():
            raise UsvlibError(
                f"{path}: {int(bad.sum())} call(s) without a number in {used[column]!r} (first: row "
                f"{int(np.flatnonzero(bad)[0]) + 1}) - is this a {tool} file?"
            )
        out[column] = values
    negative = out.onset_s.to_numpy() < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0]) + 1
        raise UsvlibError(
            f"{path}: call {row} starts before the recording ({out.onset_s.iloc[row - 1]:g} s) - times are "
            f"seconds from the recording's start; is this a {tool} file?"
        )
    backwards = out.offset_s.to_numpy() < out.onset_s.to_numpy()
    if backwards.any():
        row = int(np.flatnonzero(backwards)[0]) + 1
        raise UsvlibError(f"{path}: call {row} ends before it begins - is this a {tool} file?")
    out["duration_s"] = out.offset_s - out.onset_s
    first = [c for c in ("recording", "onset_s", "offset_s", "duration_s") if c in out]
    out = out[first + [c for c in out if c not in first]]
    out = out.sort_values("onset_s", kind="stable").reset_index(drop=True)
    out.attrs["columns_used"] = dict(used)
    out.attrs["format"] = tool
    return out


def read_text_table(path: Path, tool: str, *, sep: str = ",") -> pd.DataFrame:
    """A delimited text table with a header row, or a one-line message naming the file."""
    fix = "export it again" if sep != "," else "save it as comma-separated text with one header row"
    return read_csv_checked(path, f"{tool} table", fix, sep=sep, encoding="utf-8-sig", skipinitialspace=True)


def require_columns(frame: pd.DataFrame, path: Path, tool: str, columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Find each needed column under one of its accepted names (case and spacing ignored).

    Returns
    -------
    dict
        Needed name -> the column's name in the file.

    Raises
    ------
    UsvlibError
        Naming the file, the missing column and the columns the file has.
    """
    norm = {" ".join(str(c).lower().split()): c for c in frame.columns}
    found = {}
    for need, spellings in columns.items():
        match = next((norm[s.lower()] for s in spellings if s.lower() in norm), None)
        if match is None:
            raise UsvlibError(
                f"{path}: no column {spellings[0]!r} - not a {tool} table? (it has: "
                f"{', '.join(map(str, frame.columns[:12]))})"
            )
        found[need] = match
    return found


def optional_column(frame: pd.DataFrame, *spellings: str) -> str | None:
    """The file's name of the first of ``spellings`` it has (case and spacing ignored), or None."""
    norm = {" ".join(str(c).lower().split()): c for c in frame.columns}
    return next((norm[s.lower()] for s in spellings if s.lower() in norm), None)


def add_numeric_columns(
    raw: pd.DataFrame, table: pd.DataFrame, used: dict[str, str], columns: dict[str, str], *, scale: float = 1.0
) -> None:
    """Copy the optional numeric columns a file has into ``table`` (times ``scale``: 1e3 for kHz)
    and note each in ``used``; non-numbers become NaN.

    Parameters
    ----------
    raw : DataFrame
        The file as read.
    table, used : DataFrame, dict
        Filled in place.
    columns : dict
        usvlib column -> the file's name for it (case and spacing ignored).
    scale : float
    """
    for column, spelling in columns.items():
        found = optional_column(raw, spelling)
        if found is not None:
            table[column] = pd.to_numeric(raw[found], errors="coerce").to_numpy(float) * scale
            used[column] = found


def times_table(
    path: Path, tool: str, onset: tuple[str, ...], offset: tuple[str, ...], *, sep: str = ","
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Read a delimited table and take its call times: (the file's table, ``onset_s``/``offset_s``, used).

    Parameters
    ----------
    path : Path
    tool : str
        The format's name, for messages.
    onset, offset : tuple of str
        Accepted names of the onset and offset columns (seconds).
    sep : str

    Returns
    -------
    raw : DataFrame
        The file as read.
    table : DataFrame
        ``onset_s``, ``offset_s``.
    used : dict
        usvlib column -> the file's column.
    """
    raw = read_text_table(path, tool, sep=sep)
    need = require_columns(raw, path, tool, {"onset_s": onset, "offset_s": offset})
    table = pd.DataFrame({"onset_s": raw[need["onset_s"]].to_numpy(), "offset_s": raw[need["offset_s"]].to_numpy()})
    return raw, table, dict(need)
