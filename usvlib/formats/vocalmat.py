"""VocalMat's output table (Fonseca et al. 2021): one detected vocalization a row.

VocalMat's classifier writes ``<recording>.xlsx`` (or a CSV saved from it) with the columns
``Names_vocal, Start_time, End_time, ..., Duration, min_freq_main, max_freq_main,
mean_freq_main, ..., Class, Harmonic, Noisy``: times in seconds, frequencies in hertz (the
MATLAB spectrogram's axis). ``Class`` is VocalMat's call type; rows it classified as
``noise_dist`` are its own rejected candidates and are left out (``keep_noise=True`` keeps them).

Columns used: ``Start_time``, ``End_time``, and where present ``min_freq_main``,
``max_freq_main``, ``mean_freq_main`` and ``Class`` (as ``label``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from usvlib.errors import UsvlibError
from usvlib.formats._table import add_numeric_columns, finish_calls, optional_column, read_text_table, require_columns

TOOL = "VocalMat"
NOISE_CLASS = "noise_dist"
"""VocalMat's class of a candidate it judged to be noise."""


def _read_sheet(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise UsvlibError(f"{path}: no such file")
    if path.suffix.lower() != ".xlsx":
        return read_text_table(path, TOOL)
    try:
        return pd.read_excel(path, sheet_name=0)
    except ImportError:
        raise UsvlibError(f"{path}: reading .xlsx files needs openpyxl - pip install 'usvlib[formats]'") from None
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise UsvlibError(f"{path}: cannot be read as an Excel workbook ({type(exc).__name__}: {exc})") from None


def read_vocalmat(path: str | os.PathLike, *, keep_noise: bool = False) -> pd.DataFrame:
    """Read a VocalMat output table (``.xlsx`` or CSV) into usvlib's call table.

    Parameters
    ----------
    path : path
    keep_noise : bool
        Keep the rows VocalMat classified as noise (``Class == "noise_dist"``).

    Returns
    -------
    DataFrame
        ``onset_s``, ``offset_s``, ``duration_s``, and ``min_freq_hz``, ``max_freq_hz``,
        ``mean_freq_hz``, ``label`` where present. ``attrs["n_noise_left_out"]`` counts the
        noise rows left out.

    Raises
    ------
    UsvlibError
        Naming the file, when it lacks VocalMat's ``Start_time`` and ``End_time``.
    """
    path = Path(path)
    raw = _read_sheet(path)
    used = require_columns(raw, path, TOOL, {"onset_s": ("Start_time",), "offset_s": ("End_time",)})
    table = pd.DataFrame({"onset_s": raw[used["onset_s"]].to_numpy(), "offset_s": raw[used["offset_s"]].to_numpy()})
    hertz = {"min_freq_hz": "min_freq_main", "max_freq_hz": "max_freq_main", "mean_freq_hz": "mean_freq_main"}
    add_numeric_columns(raw, table, used, hertz)
    n_noise = 0
    found = optional_column(raw, "Class")
    if found is not None:
        table["label"] = raw[found].astype(str).str.strip().to_numpy()
        used["label"] = found
        if not keep_noise:
            noise = table.label == NOISE_CLASS
            n_noise = int(noise.sum())
            table = table[~noise].reset_index(drop=True)
    out = finish_calls(table, path, used, TOOL)
    out.attrs["n_noise_left_out"] = n_noise
    return out
