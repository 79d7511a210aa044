"""Call tables made elsewhere, read into usvlib's columns (seconds, hertz), and written for other tools.

One module per format:

===============  ======================================================  ==========  =====
format           what                                                    read        write
===============  ======================================================  ==========  =====
``csv``          usvlib's own call table (``usvlib detect``)             yes         yes
``deepsqueak``   DeepSqueak detection ``.mat`` (``Calls`` table; mat-io)  yes         no
``raven``        Raven selection table (tab-separated)                   yes         yes
``simple-seq``   crowsetta's ``onset_s,offset_s,label`` CSV              yes         yes
``mupet``        MUPET's syllable CSV export                             yes         no
``usvseg``       USVSEG's ``*_dat.csv``                                   yes         no
``vocalmat``     VocalMat's output table (``.xlsx`` or CSV; openpyxl)    yes         no
``intervals``    ``onset,offset`` lines (the AMVOC clips' labels)        yes         no
===============  ======================================================  ==========  =====

``read_calls(path)`` recognises the format from the file (or takes ``format=``) and says which
columns it used (``attrs["columns_used"]``); ``write_calls(calls, path, format=...)`` writes one.
Also here: the Donders per-USV table (``load_properties``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib._io import atomic_path
from usvlib.errors import ConfigError, UsvlibError
from usvlib.formats._table import finish_calls, read_text_table, require_columns
from usvlib.formats.deepsqueak import read_deepsqueak
from usvlib.formats.donders import DEFAULT_SEX_CODES, SEX_WORDS, load_properties
from usvlib.formats.intervals import TOOLS, read_intervals
from usvlib.formats.mupet import read_mupet
from usvlib.formats.raven import read_raven, write_raven
from usvlib.formats.simple_seq import read_simple_seq, write_simple_seq
from usvlib.formats.usvseg import read_usvseg
from usvlib.formats.vocalmat import read_vocalmat

__all__ = [
    "DEFAULT_SEX_CODES",
    "READERS",
    "SEX_WORDS",
    "TOOLS",
    "WRITERS",
    "calls_of_recording",
    "guess_format",
    "load_properties",
    "read_calls",
    "read_deepsqueak",
    "read_intervals",
    "read_mupet",
    "read_raven",
    "read_simple_seq",
    "read_usvseg",
    "read_vocalmat",
    "split_calls",
    "write_calls",
    "write_raven",
    "write_simple_seq",
]


def _read_usvlib_csv(path: str | os.PathLike) -> pd.DataFrame:
    path = Path(path)
    raw = read_text_table(path, "usvlib call")
    need = require_columns(raw, path, "usvlib call", {"onset_s": ("onset_s",), "offset_s": ("offset_s",)})
    return finish_calls(raw, path, {c: c for c in raw.columns} | need, "usvlib call")


def _write_usvlib_csv(calls: pd.DataFrame, path: str | os.PathLike) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        calls.to_csv(tmp, index=False, float_format="%.10g")  # 1 µs at an hour
    return path


def _read_intervals(path: str | os.PathLike) -> pd.DataFrame:
    path = Path(path)
    return finish_calls(read_intervals(path), path, {"onset_s": "column 1", "offset_s": "column 2"}, "interval list")


READERS = {
    "csv": _read_usvlib_csv,
    "deepsqueak": read_deepsqueak,
    "raven": read_raven,
    "simple-seq": read_simple_seq,
    "mupet": read_mupet,
    "usvseg": read_usvseg,
    "vocalmat": read_vocalmat,
    "intervals": _read_intervals,
}
"""Format name -> reader (``path -> DataFrame`` of usvlib's call columns)."""

WRITERS = {"csv": _write_usvlib_csv, "raven": write_raven, "simple-seq": write_simple_seq}
"""Format name -> writer (``(calls, path) -> path``, atomic)."""


def _two_numbers(line: str) -> bool:
    """Whether a line starts with two numbers, as an interval list's (``0.1,0.2`` or ``"0,1","0,2"``)."""
    fields = line.split('","') if '","' in line else line.split(",")
    try:
        [float(f.strip().strip('"').replace(",", ".")) for f in fields[:2]]
    except ValueError:
        return False
    return len(fields) >= 2


def guess_format(path: str | os.PathLike) -> str:
    """The format of a call table, from its extension and first line.

    Parameters
    ----------
    path : path

    Returns
    -------
    str
        A key of :data:`READERS`.

    Raises
    ------
    UsvlibError
        If the file is missing or its first line matches no known format.
    """
    path = Path(path)
    if path.is_dir():
        raise UsvlibError(f"{path}: is a folder - give the path of a call table file")
    if not path.is_file():
        raise UsvlibError(f"{path}: no such file")
    if path.suffix.lower() == ".mat":
        return "deepsqueak"
    if path.suffix.lower() == ".xlsx":
        return "vocalmat"
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline().strip()
    lower = first.lower()
    fields = [f.strip().strip('"').lower() for f in lower.replace("\t", ",").split(",")]
    if "begin time (s)" in fields:
        return "raven"
    if "syllable start time (sec)" in fields:
        return "mupet"
    if "start_time" in fields and "end_time" in fields:
        return "vocalmat"
    if "start" in fields and "end" in fields and "maxfreq" in fields:
        return "usvseg"
    if "onset_s" in fields and "offset_s" in fields:
        return "simple-seq" if set(fields) == {"onset_s", "offset_s", "label"} else "csv"
    if _two_numbers(first):
        return "intervals"
    raise UsvlibError(
        f"{path}: not a call table usvlib knows (first line {first[:80]!r}) - pass the format: "
        f"one of {', '.join(READERS)}"
    )


def read_calls(path: str | os.PathLike, *, format: str | None = None) -> pd.DataFrame:
    """Read any supported call table into usvlib's columns (seconds, hertz).

    Parameters
    ----------
    path : path
    format : str, optional
        A key of :data:`READERS`; recognised from the file when not given (:func:`guess_format`).

    Returns
    -------
    DataFrame
        At least ``onset_s``, ``offset_s``, ``duration_s``; ``attrs["format"]`` and
        ``attrs["columns_used"]`` (usvlib column -> the file's column).

    Raises
    ------
    UsvlibError
        Naming the file, for an unknown format or a file that is not in it.

    Examples
    --------
    >>> calls = read_calls("detections.mat")  # doctest: +SKIP
    >>> calls.attrs["format"], calls.attrs["columns_used"]["onset_s"]  # doctest: +SKIP
    ('DeepSqueak', 'Box(1) (begin, s)')
    """
    name = format or guess_format(path)
    if name not in READERS:
        raise UsvlibError(f"{path}: unknown format {name!r} - choose one of {', '.join(READERS)}")
    return READERS[name](path)


def write_calls(calls: pd.DataFrame, path: str | os.PathLike, *, format: str = "csv") -> Path:
    """Write a call table in one of :data:`WRITERS`' formats (atomically).

    Parameters
    ----------
    calls : DataFrame
        usvlib's call columns (at least ``onset_s``, ``offset_s``).
    path : path
    format : str

    Returns
    -------
    Path

    Raises
    ------
    UsvlibError
        For a format usvlib does not write.
    """
    if format not in WRITERS:
        raise UsvlibError(f"{path}: usvlib writes {', '.join(WRITERS)}, not {format!r}")
    return WRITERS[format](calls, path)


def _names_of(path: str | os.PathLike) -> set[str]:
    """What another tool may call a recording: its path, file name, or name without the suffix."""
    text = str(path).split("::")[-1]
    name = Path(text).name
    return {str(path), text, name, Path(name).stem}


def calls_of_recording(calls: pd.DataFrame, path: str | os.PathLike, recording: str | None = None) -> pd.DataFrame:
    """The rows of an imported call table that belong to one recording, sorted by onset.

    A table without a ``recording`` column is taken as the recording's own. Otherwise a row
    belongs to it when its ``recording`` is the recording's path, file name or file name without
    the suffix (DeepSqueak names the audio file, Raven and VocalMat tables are per file), or its
    id ``recording``.

    Parameters
    ----------
    calls : DataFrame
        As :func:`read_calls` returns.
    path : path
        The recording.
    recording : str, optional
        Its id (e.g. the manifest's).

    Returns
    -------
    DataFrame
        ``onset_s``, ``offset_s`` and the table's other columns, index reset.
    """
    return split_calls(calls, [(path, recording)])[0]


def split_calls(
    calls: pd.DataFrame, recordings: list[tuple[str | os.PathLike, str | None]], *, source: str = "the calls table"
) -> list[pd.DataFrame]:
    """Each recording's rows of an imported call table; no row goes to two recordings.

    A row naming a recording by its exact path or id belongs to that recording alone; a row
    naming it by file name or name without the suffix (as :func:`calls_of_recording` matches)
    may match only one of the recordings. Rows naming none of them are left out.

    Parameters
    ----------
    calls : DataFrame
        As :func:`read_calls` returns.
    recordings : list of (path, id or None)
    source : str
        The table, for messages.

    Returns
    -------
    list of DataFrame
        One per recording, in order, sorted by onset, index reset.

    Raises
    ------
    ConfigError
        If a row names two of the recordings by file name, or if the table has no ``recording``
        column while there are several recordings.
    """
    if "recording" not in calls:
        if len(recordings) > 1:
            raise ConfigError(
                f"{source}: has no column naming the recording of each call, so it can serve one recording "
                "only - give one recording, or add a 'recording' column"
            )
        return [calls.sort_values("onset_s", kind="stable").reset_index(drop=True)] * len(recordings)
    named = calls.recording.astype(str).to_numpy()
    names = np.unique(named)
    owner = np.full(len(calls), -1)
    for k, (path, rid) in enumerate(recordings):  # exact paths and ids first: they are unambiguous
        exact = np.isin(named, [str(path)] + ([str(rid)] if rid is not None else []))
        owner[exact & (owner < 0)] = k
    taken_exactly = owner >= 0
    for k, (path, rid) in enumerate(recordings):
        wanted = _names_of(path) | ({str(rid)} if rid is not None else set())
        loose = np.isin(named, [n for n in names if n in wanted or _names_of(n) & wanted]) & ~taken_exactly
        clash = loose & (owner >= 0) & (owner != k)
        if clash.any():
            row = int(np.flatnonzero(clash)[0])
            raise ConfigError(
                f"{source}: row {row + 1} ({named[row]}) names both {recordings[owner[row]][0]} and {path} - "
                "name the recordings in the table by their paths"
            )
        owner[loose] = k
    return [
        calls[owner == k].sort_values("onset_s", kind="stable").reset_index(drop=True) for k in range(len(recordings))
    ]
