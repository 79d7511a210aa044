"""The Donders per-USV table (``load_properties``): the paper's nine properties of every USV,
columns named in the file's name, renamed to ``usvlib.properties.DONDERS_COLUMNS``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib._io import read_csv_checked
from usvlib.errors import DatasetError, UsvlibError
from usvlib.properties import DONDERS_COLUMNS

DEFAULT_SEX_CODES = {0: "female", 1: "male"}
"""How the Donders table codes sex (assumed: the real file was not available to check)."""

SEX_WORDS = {"f": "female", "female": "female", "fem": "female", "m": "male", "male": "male"}
"""Spellings of a sex understood in tables and manifests."""


def _columns_from_name(path: Path) -> list[str]:
    stem = path.stem
    if not stem.startswith("features_"):
        raise DatasetError(f"{path}: expected a file named features_<col>_<col>...csv")
    return stem[len("features_") :].split("_")


def _looks_like_header(first_line: str, columns: list[str]) -> bool:
    fields = [f.strip().strip('"').lower() for f in first_line.split(",")]
    return any(f in columns for f in fields)


def load_properties(
    path: str | os.PathLike,
    *,
    sex_codes: dict | None = None,
    on_missing: str = "error",
    recordings: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read a Donders per-USV table (with or without a header row).

    Parameters
    ----------
    path : path
        ``features_<col>_<col>...csv``; the column order is taken from the name.
    sex_codes : dict
        Numeric sex codes (default ``{0: "female", 1: "male"}``); strings such as ``"f"`` or
        ``"male"`` are understood anyway.
    on_missing : {"error", "drop"}
        What to do with rows that lack a value: raise, or leave them out (noted).
    recordings : DataFrame, optional
        The dataset's sex recordings, to name each ``animalid`` (1-based, in file order).

    Returns
    -------
    table, notes
        The table with usvlib column names, and notes on what was inferred.

    Raises
    ------
    DatasetError
        If the file is missing, empty, not CSV, not named ``features_...csv``, has another number
        of columns than its name lists, has rows without a value (``on_missing="error"``), or
        sex values that are not understood.
    """
    path = Path(path)
    notes: list[str] = []
    if not path.is_file():
        raise DatasetError(f"{path}: no such file - the per-USV properties table is missing")
    columns = _columns_from_name(path)
    with open(path, "rb") as fh:  # the header test only; the reading below names bad bytes
        first = fh.readline().decode("utf-8-sig", errors="replace")
    if not first.strip():
        raise DatasetError(f"{path}: the table is empty - re-copy it from the dataset")
    header = _looks_like_header(first, columns)
    try:
        raw = read_csv_checked(
            path,
            "per-USV properties table",
            "re-copy it from the dataset",
            header=0 if header else None,
            encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except UsvlibError as exc:
        raise DatasetError(str(exc)) from None
    if raw.shape[1] != len(columns):
        raise DatasetError(
            f"{path}: has {raw.shape[1]} columns but its name lists {len(columns)} ({', '.join(columns)})"
            " - the file does not match its name"
        )
    raw.columns = columns
    incomplete = raw.isna().any(axis=1)
    if incomplete.any():
        rows = (np.flatnonzero(incomplete.to_numpy()) + (2 if header else 1))[:10]
        cols = sorted(raw.columns[raw.isna().any()])
        n_bad = int(incomplete.sum())
        msg = (
            f"{path}: {n_bad} row{'s' if n_bad > 1 else ''} without a value (line{'s' if n_bad > 1 else ''} "
            f"{', '.join(map(str, rows))}{' ...' if n_bad > 10 else ''}; column{'s' if len(cols) > 1 else ''} "
            f"{', '.join(cols)})"
        )
        if on_missing == "error":
            raise DatasetError(msg + " - fill them in, or pass on_missing='drop' to leave those rows out")
        notes.append(msg + ": left out")
        raw = raw[~incomplete]
    table = raw.rename(columns={k: v for k, v in DONDERS_COLUMNS.items() if k in raw.columns})

    if "sex" in table:
        table["sex"] = _decode_sex(table["sex"], sex_codes or DEFAULT_SEX_CODES, path)
    if "duration_s" in table and table.duration_s.median() > 5:
        table["duration_s"] = table.duration_s / 1e3
        notes.append(f"{path.name}: durations look like milliseconds (median > 5): converted to seconds")
    if "mean_freq_hz" in table and table.mean_freq_hz.median() < 1e3:
        table["mean_freq_hz"] = table.mean_freq_hz * 1e3
        notes.append(f"{path.name}: mean frequencies look like kHz (median < 1000): converted to Hz")
    for col in ("usv_id", "animal_id", "direction", "peaks", "breaks", "tremolo", "complex"):
        if col in table:
            table[col] = table[col].astype(int)
    if "animal_id" in table and recordings is not None and len(recordings):
        table.insert(2, "animal", _animal_names(table, recordings, notes))
    return table.reset_index(drop=True), notes


def _decode_sex(values: pd.Series, codes: dict, path: Path) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        unknown = sorted(set(values.unique()) - set(codes))
        if unknown:
            raise DatasetError(
                f"{path}: sex codes {unknown} are not in {codes} - pass sex_codes={{code: 'female'|'male'}}"
            )
        return values.map(codes)
    decoded = values.astype(str).str.strip().str.lower().map(SEX_WORDS)
    if decoded.isna().any():
        bad = sorted(values[decoded.isna()].astype(str).unique())[:5]
        raise DatasetError(f"{path}: unknown sex values {bad} - use f/m, female/male or numeric codes")
    return decoded


def _animal_names(table: pd.DataFrame, recordings: pd.DataFrame, notes: list[str]) -> pd.Series:
    """Recording name of each ``animalid`` (1-based in file order), checked against sex."""
    order = recordings.reset_index(drop=True)
    mapping = {i + 1: r.recording for i, r in order.iterrows()}
    sex_of = {i + 1: r.sex for i, r in order.iterrows()}
    ids = table.animal_id
    if "sex" in table:
        mismatch = ids.map(sex_of) != table.sex
        if mismatch.any() or not ids.isin(list(mapping)).all():
            notes.append(
                "animalid does not follow the recordings' file order (female 01-10, male 01-08): "
                "animals are named 'animal<id>' instead"
            )
            return "animal" + ids.astype(str)
    return ids.map(mapping)
