"""Raven selection tables (Cornell's Raven Pro and Raven Lite): tab-separated, one selection a row.

Read: ``Begin Time (s)``, ``End Time (s)``, and ``Low Freq (Hz)``, ``High Freq (Hz)``,
``Begin File`` and an annotation column where present. Raven writes one row per view
(``Spectrogram 1``, ``Waveform 1``) of a selection; each selection is read once. Write: the
same columns, one ``Spectrogram 1`` row per call, which Raven opens as a selection table.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib._io import atomic_path
from usvlib.formats._table import finish_calls, optional_column, read_text_table, require_columns

TOOL = "Raven selection table"


def read_raven(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Raven selection table into usvlib's call table.

    Parameters
    ----------
    path : path
        A tab-separated ``*.selections.txt`` (or ``.txt``/``.tsv``) file.

    Returns
    -------
    DataFrame
        ``onset_s``, ``offset_s``, ``duration_s``, and ``min_freq_hz``, ``max_freq_hz``,
        ``label``, ``recording`` where the table has them; ``attrs["columns_used"]``.

    Raises
    ------
    UsvlibError
        Naming the file, when it is not a selection table.
    """
    path = Path(path)
    raw = read_text_table(path, TOOL, sep="\t")
    need = require_columns(raw, path, TOOL, {"onset_s": ("Begin Time (s)",), "offset_s": ("End Time (s)",)})
    view = optional_column(raw, "View")
    selection = optional_column(raw, "Selection")
    if view is not None and selection is not None:
        # a selection appears once per view; keep its spectrogram row where there is one
        spectro = raw[view].astype(str).str.lower().str.startswith("spectrogram")
        raw = raw.assign(_spectro=spectro).sort_values([selection, "_spectro"], ascending=[True, False])
        raw = raw.drop_duplicates(selection).drop(columns="_spectro")
    table = pd.DataFrame({"onset_s": raw[need["onset_s"]].to_numpy(), "offset_s": raw[need["offset_s"]].to_numpy()})
    used = {"onset_s": need["onset_s"], "offset_s": need["offset_s"]}
    for column, spellings in (
        ("min_freq_hz", ("Low Freq (Hz)",)),
        ("max_freq_hz", ("High Freq (Hz)",)),
        ("label", ("Annotation", "Label", "Call Type", "Type")),
        ("recording", ("Begin File", "Begin Path")),
    ):
        found = optional_column(raw, *spellings)
        if found is not None:
            values = raw[found].to_numpy()
            table[column] = values.astype(str) if column in ("label", "recording") else values.astype(float)
            used[column] = found
    return finish_calls(table, path, used, TOOL)


def write_raven(calls: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write calls as a Raven selection table (atomically: a temporary name, then renamed).

    Parameters
    ----------
    calls : DataFrame
        ``onset_s``, ``offset_s``; ``min_freq_hz``, ``max_freq_hz`` and ``label`` are written
        where present (frequencies 0 where absent: Raven needs a band).
    path : path

    Returns
    -------
    Path
    """
    path = Path(path)
    n = len(calls)
    out = pd.DataFrame(
        {
            "Selection": np.arange(1, n + 1),
            "View": ["Spectrogram 1"] * n,
            "Channel": np.ones(n, int),
            "Begin Time (s)": calls.onset_s.to_numpy(float),
            "End Time (s)": calls.offset_s.to_numpy(float),
            "Low Freq (Hz)": calls["min_freq_hz"].to_numpy(float) if "min_freq_hz" in calls else np.zeros(n),
            "High Freq (Hz)": calls["max_freq_hz"].to_numpy(float) if "max_freq_hz" in calls else np.zeros(n),
        }
    )
    if "label" in calls:
        out["Annotation"] = calls.label.astype(str).to_numpy()
    if "recording" in calls:
        out["Begin File"] = [Path(str(r)).name for r in calls.recording]
    with atomic_path(path) as tmp:
        out.to_csv(tmp, sep="\t", index=False, float_format="%.6f")
    return path
