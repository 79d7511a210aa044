"""Interval lists: one ``onset,offset`` in seconds a line.

The format of manual labels and of the other tools' exports in the AMVOC clips (DeepSqueak,
MUPET, VocalMat and Mouse Song Analyzer as exported there).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from usvlib.errors import UsvlibError

TOOLS = {"deepsqueak": "DeepSqueak", "mupet": "MUPET", "vocalmat": "VocalMat", "msa1": "MSA (1)", "msa2": "MSA (2)"}
"""File-name prefix of each tool's interval list in a folder of labelled clips -> its name."""


def read_intervals(path: str | os.PathLike) -> pd.DataFrame:
    """Read a list of ``onset,offset`` intervals in seconds, one call a line.

    The format of manual labels and of the other tools' exports in the AMVOC clips: two numbers
    a line, decimal points or quoted decimal commas (``"0,123","0,145"``), an optional header.

    Parameters
    ----------
    path : path

    Returns
    -------
    DataFrame
        ``onset_s``, ``offset_s``.

    Raises
    ------
    UsvlibError
        Naming the file and line that is not two numbers.
    """
    path = Path(path)
    text = path.read_text().strip()
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = [f.strip().strip('"') for f in (line.split('","') if '","' in line else line.split(","))]
        try:
            onset, offset = (float(f.replace(",", ".")) for f in fields[:2])
        except ValueError:
            if number == 1:
                continue  # a header row
            raise UsvlibError(f"{path}, line {number}: expected 'onset_s,offset_s', got {line!r}") from None
        rows.append((onset, offset))
    return pd.DataFrame(rows, columns=["onset_s", "offset_s"])
