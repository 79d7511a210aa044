"""DeepSqueak detection files (``.mat``): the ``Calls`` table, read with mat-io.

DeepSqueak (Coffey et al. 2019) saves its detections as a MATLAB ``table`` object in a MAT file
(version 7, or 7.3 in current versions). ``scipy.io.loadmat`` cannot decode table objects; the
``mat-io`` package (``pip install usvlib[formats]``) can, for both versions, and returns a
DataFrame. Each row's ``Box`` is ``[begin (s), low frequency (kHz), duration (s), bandwidth
(kHz)]``; ``Score`` is the detector's confidence, ``Type`` the label, ``Accept`` whether the
user kept the call.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib.errors import UsvlibError
from usvlib.formats._table import finish_calls

TOOL = "DeepSqueak"


def _load_mat(path: Path) -> dict:
    try:
        import matio
    except ImportError:
        raise UsvlibError(
            f"{path}: reading DeepSqueak files needs the mat-io package - pip install 'usvlib[formats]'"
        ) from None
    try:
        return matio.load_from_mat(str(path))
    except Exception as exc:  # mat-io raises many kinds for a file that is not a MAT file
        raise UsvlibError(f"{path}: cannot be read as a MAT file ({type(exc).__name__}: {exc})") from None


def _boxes(calls: pd.DataFrame, path: Path) -> np.ndarray:
    """The (n, 4) boxes: split into ``Box_1..Box_4`` columns, or one column of 4-vectors."""
    split = [f"Box_{i}" for i in range(1, 5)]
    if all(c in calls for c in split):
        return calls[split].to_numpy(float)
    if "Box" in calls:
        return np.vstack([np.asarray(b, float).reshape(4) for b in calls["Box"]])
    raise UsvlibError(f"{path}: the Calls table has no Box column (it has {', '.join(map(str, calls.columns))})")


def read_deepsqueak(path: str | os.PathLike, *, accepted_only: bool = False) -> pd.DataFrame:
    """Read a DeepSqueak detection file into usvlib's call table.

    Parameters
    ----------
    path : path
        A DeepSqueak ``.mat`` detection file (MAT version 7 or 7.3).
    accepted_only : bool
        Keep only the calls whose ``Accept`` is true (the ones the user kept in DeepSqueak's
        review).

    Returns
    -------
    DataFrame
        ``onset_s``, ``offset_s``, ``duration_s``, ``min_freq_hz``, ``max_freq_hz``, ``score``,
        ``label``, ``accepted`` (and ``recording``, the audio file DeepSqueak names, where it
        does); ``attrs["columns_used"]`` says which field each came from.

    Raises
    ------
    UsvlibError
        If mat-io is missing, the file is not a MAT file or holds no ``Calls`` table.

    Examples
    --------
    >>> calls = read_deepsqueak("detections.mat")  # doctest: +SKIP
    >>> calls[["onset_s", "offset_s", "min_freq_hz", "max_freq_hz"]].head()  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise UsvlibError(f"{path}: no such file")
    content = _load_mat(path)
    calls = content.get("Calls")
    if not isinstance(calls, pd.DataFrame):
        raise UsvlibError(f"{path}: holds no DeepSqueak Calls table - is it a DeepSqueak detection file?")
    box = _boxes(calls, path)
    table = pd.DataFrame(
        {
            "onset_s": box[:, 0],
            "offset_s": box[:, 0] + box[:, 2],
            "min_freq_hz": box[:, 1] * 1e3,
            "max_freq_hz": (box[:, 1] + box[:, 3]) * 1e3,
        }
    )
    used = {
        "onset_s": "Box(1) (begin, s)",
        "offset_s": "Box(1) + Box(3) (begin + duration, s)",
        "min_freq_hz": "Box(2) (low frequency, kHz)",
        "max_freq_hz": "Box(2) + Box(4) (low frequency + bandwidth, kHz)",
    }
    for source, column in (("Score", "score"), ("Type", "label"), ("Accept", "accepted")):
        if source in calls:
            table[column] = calls[source].astype(str if column == "label" else float).to_numpy()
            used[column] = source
    if "accepted" in table:
        table["accepted"] = table.accepted.astype(bool)
    recording = _recording_name(content.get("audiodata"))
    if recording:
        table.insert(0, "recording", recording)
        used["recording"] = "audiodata.Filename"
    if accepted_only and "accepted" in table:
        table = table[table.accepted]
    return finish_calls(table, path, used, TOOL)


def _recording_name(audiodata) -> str | None:
    """The audio file named in DeepSqueak's ``audiodata`` struct (its base name), if any."""
    try:
        value = audiodata["Filename"].ravel()[0]
        name = str(np.asarray(value).ravel()[0])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return name.replace("\\", "/").rsplit("/", 1)[-1] or None
