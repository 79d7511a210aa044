"""A user's own recordings, listed in a small manifest CSV.

::

    path,animal,sex
    cage1/2024-03-01.wav,m17,male
    cage2/2024-03-01.wav,f03,female

``path`` (relative to the CSV's folder, or absolute), ``animal``, and ``sex`` and/or ``group``
(a strain, genotype or treatment: the class an analysis predicts). An optional ``experiment``
column names the experiment of each recording (default ``user``), an optional ``channel``
column the channel (0, 1, ...) of multi-channel files.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib._io import read_csv_checked
from usvlib.audio import ZIP_SEPARATOR
from usvlib.dataset import Dataset, read_recording_headers
from usvlib.errors import DatasetError, UsvlibError
from usvlib.formats import SEX_WORDS


def recording_ids(paths, base: Path) -> list[str]:
    """A unique id for each recording: its file name without the suffix, or, where two files
    share a name (``cage1/day1.wav``, ``cage2/day1.wav``), its path below ``base`` without it.

    Parameters
    ----------
    paths : sequence of str
        The recordings (absolute, or ``archive.zip::member``).
    base : Path
        The manifest's folder.

    Returns
    -------
    list of str
    """
    stems = [Path(p.split(ZIP_SEPARATOR)[-1]).stem for p in paths]
    counts = pd.Series(stems).value_counts()
    ids = []
    for path, stem in zip(paths, stems, strict=True):
        if counts[stem] == 1:
            ids.append(stem)
            continue
        full = Path(path.replace(ZIP_SEPARATOR, "/"))
        try:
            rel = full.relative_to(base)
        except ValueError:
            rel = full
        ids.append(rel.with_suffix("").as_posix())
    return ids


def _channels(table: pd.DataFrame, manifest_csv: Path) -> pd.Series:
    """The ``channel`` column as nullable integers (blank: the file's only channel)."""
    if "channel" not in table:
        return pd.Series([pd.NA] * len(table), dtype="Int64")
    text = table.channel.fillna("").str.strip()
    bad = ~(text.str.fullmatch(r"\d+") | (text == ""))
    if bad.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:10])
        raise DatasetError(f"{manifest_csv}: channel on line(s) {lines} is not 0, 1, ... - give the channel's number")
    return pd.to_numeric(text.replace("", None)).astype("Int64")


def _check_channels(recordings: pd.DataFrame, manifest_csv: Path) -> None:
    """Multi-channel files need a channel, and a named channel must exist."""
    for r in recordings.itertuples(index=False):
        n = r.n_channels
        if pd.isna(n):
            continue  # unreadable, already noted
        if pd.isna(r.channel) and n > 1:
            raise DatasetError(
                f"{manifest_csv}: {r.path} has {int(n)} channels - add a column channel with the one to use "
                f"(0 to {int(n) - 1})"
            )
        if not pd.isna(r.channel) and int(r.channel) >= n:
            raise DatasetError(f"{manifest_csv}: {r.path} has no channel {int(r.channel)} - it has {int(n)}")


def load_user_recordings(
    manifest_csv: str | os.PathLike,
    *,
    read_headers: bool = True,
    skip_unreadable: bool = False,
    group_column: str | None = None,
) -> Dataset:
    """Load recordings listed in a CSV with columns ``path, animal`` and ``sex`` and/or ``group``.

    Relative paths are taken from the CSV's folder. Every row must name an existing file, and
    an animal must have one sex (or group) throughout.

    Parameters
    ----------
    manifest_csv : path
    read_headers : bool
        Read every recording's header (rate, length, channels) now.
    skip_unreadable : bool
        Leave out recordings that cannot be used (noted) instead of raising.
    group_column : str, optional
        The column whose values are the groups a classifier learns (e.g. ``genotype``); default
        ``group``, else ``sex``.

    Returns
    -------
    Dataset
        ``kind="user"``, one row per recording; ``extract_dataset`` processes all of them.

    Raises
    ------
    DatasetError
        Naming the file, the line or the recordings at fault, and what to do.

    Examples
    --------
    >>> from usvlib import extract_dataset, load_user_recordings
    >>> ds = load_user_recordings("mine.csv")  # doctest: +SKIP
    >>> calls = extract_dataset(ds, calls="detect").table  # doctest: +SKIP
    """
    manifest_csv = Path(manifest_csv)
    if not manifest_csv.exists():
        raise DatasetError(f"{manifest_csv}: no such file - write a CSV with columns path,animal,sex")
    try:
        table = read_csv_checked(
            manifest_csv, "manifest", "save it as comma-separated text", dtype=str, skipinitialspace=True
        )
    except UsvlibError as exc:
        raise DatasetError(str(exc)) from None
    table.columns = [c.strip().lower() for c in table.columns]
    if group_column is not None:
        wanted = group_column.strip().lower()
        if wanted not in table:
            raise DatasetError(
                f"{manifest_csv}: no column {group_column!r} to group by (has: {', '.join(table.columns)})"
            )
        if wanted != "sex":
            table["group"] = table[wanted]
        elif "group" in table:
            table = table.drop(columns="group")  # grouped by sex: the sex column decides
    missing = [c for c in ("path", "animal") if c not in table]
    if missing or not ({"sex", "group"} & set(table.columns)):
        raise DatasetError(
            f"{manifest_csv}: needs columns path, animal and sex or group (has: {', '.join(table.columns)})"
        )
    if table.empty:
        raise DatasetError(f"{manifest_csv}: lists no recordings")
    for col in ("path", "animal"):
        blank = table[col].isna() | (table[col].str.strip() == "")
        if blank.any():
            lines = ", ".join(str(i + 2) for i in np.flatnonzero(blank.to_numpy())[:10])
            raise DatasetError(f"{manifest_csv}: no {col} on line(s) {lines} - every row needs one")
    base = manifest_csv.parent
    table["path"] = [str(p if Path(p).is_absolute() else (base / p)) for p in table.path.str.strip()]
    resolved = pd.Series([os.path.normpath(os.path.abspath(p)) for p in table.path])
    repeated = resolved[resolved.duplicated(keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        lines = ", ".join(str(i + 2) for i in repeated.index[repeated == first])
        raise DatasetError(
            f"{manifest_csv}: {table.path.iloc[repeated.index[0]]} is listed on lines {lines} - list each "
            "recording once (its calls would be counted once a line)"
        )
    absent = [p for p in table.path if ZIP_SEPARATOR not in p and not Path(p).is_file()]
    if absent:
        raise DatasetError(
            f"{manifest_csv}: {len(absent)} listed file(s) do not exist: "
            + ", ".join(absent[:5])
            + (" ..." if len(absent) > 5 else "")
        )
    if "sex" in table:
        decoded = table.sex.str.strip().str.lower().map(SEX_WORDS)
        if decoded.isna().any():
            bad = sorted(table.sex[decoded.isna()].astype(str).unique())[:5]
            raise DatasetError(f"{manifest_csv}: unknown sex values {bad} - use female/male (or f/m)")
        table["sex"] = decoded
    else:
        table["sex"] = ""
    if "group" not in table:
        table["group"] = table.sex
    table["group"] = table.group.fillna("").str.strip()
    blank = table.group == ""
    if blank.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(blank.to_numpy())[:10])
        raise DatasetError(f"{manifest_csv}: no group on line(s) {lines} - give every recording its group")
    conflict = table.groupby("animal")["group"].nunique()
    conflict = conflict[conflict > 1]
    if len(conflict):
        raise DatasetError(
            f"{manifest_csv}: animals listed with more than one sex/group: {', '.join(conflict.index[:5])} - "
            "give each animal (one mouse) a single sex/group, or different animal names"
        )
    channels = _channels(table, manifest_csv)
    recordings = pd.DataFrame(
        {
            "recording": recording_ids(table.path, base),
            "path": table.path,
            "experiment": table.get("experiment", pd.Series(["user"] * len(table))).fillna("user"),
            "animal": table.animal.str.strip(),
            "sex": table.sex,
            "strain": "",
            "group": table.group,
            "used": True,
            "channel": channels,
        }
    )
    notes: list[str] = []
    if read_headers:
        recordings = read_recording_headers(
            recordings,
            skip_unreadable,
            notes,
            fix=f"repair them or remove their rows from {manifest_csv} (in Python skip_unreadable=True goes on)",
        )
        _check_channels(recordings, manifest_csv)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return Dataset(manifest_csv.parent, "user", recordings, notes=notes, source=manifest_csv)
