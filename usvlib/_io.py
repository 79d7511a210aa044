"""Small file helpers: atomic writes, hashing, and reading a text table with a one-line error.

Outputs are written to a temporary name in the destination folder and renamed into place,
so that an interrupted run never leaves a half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_CHUNK_BYTES = 1 << 20


def read_csv_checked(path: str | os.PathLike, what: str, fix: str, **read_csv_options):
    """``pandas.read_csv`` whose every failure is a one-line message naming the file.

    Parameters
    ----------
    path : path-like
    what : str
        What the file should be, for the messages ("manifest", "Raven table").
    fix : str
        What to do about a file pandas cannot parse ("save it as comma-separated text").
    **read_csv_options
        Passed to ``pandas.read_csv``. The index is never taken from the data, so that a row with
        more fields than the header is an error rather than a silently shifted row; only rows that
        all start with the row names 1, 2, ... (R's ``write.table``) are read, without them.

    Raises
    ------
    UsvlibError
        If the file is missing, a folder, unreadable, not UTF-8, or not a consistent table.
    """
    import warnings

    import pandas as pd

    from usvlib.errors import UsvlibError, permission_denied

    path = Path(path)
    if path.is_dir():
        raise UsvlibError(f"{path}: is a folder - give the path of the {what} (a CSV file)")
    if not path.is_file():
        raise UsvlibError(f"{path}: no such file - check the path of the {what}")

    def read(index_col):
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a long row would shift silently
            return pd.read_csv(path, index_col=index_col, **read_csv_options)

    try:
        try:
            return read(False)
        except pd.errors.ParserWarning:
            table = read(None)  # pandas takes the extra leading fields as an index
            numbered = [str(i) for i in range(1, len(table) + 1)]
            if table.index.nlevels == 1 and table.index.astype(str).tolist() == numbered:
                return table.reset_index(drop=True)  # R's write.table: row names 1, 2, ... the header lacks
            raise UsvlibError(
                f"{path}: the first row has {table.index.nlevels} more field(s) than the header - {fix}"
            ) from None
    except PermissionError:
        raise UsvlibError(permission_denied(path)) from None
    except UnicodeDecodeError:
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as first:
            line = data[: first.start].count(b"\n") + 1
            where = f"byte 0x{data[first.start]:02x} on line {line}"
        else:
            where = "in another encoding"
        raise UsvlibError(f"{path}: not UTF-8 text ({where}) - save the {what} as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = " ".join(str(exc).split())  # pandas' parser errors can span lines
        raise UsvlibError(f"{path}: cannot be read as a {what} ({reason}) - {fix}") from None


def check_output_file(path: str | os.PathLike, *, inputs=(), example_name: str = "calls.csv") -> Path:
    """Check, before any work, that a file can be written at ``path``.

    Parameters
    ----------
    path : path-like
    inputs : iterable of path-like
        The command's input files: writing over one of them would lose it.
    example_name : str
        A file name to suggest when ``path`` is a folder.

    Returns
    -------
    Path
        ``path``, its folder created if it did not exist.

    Raises
    ------
    OutputError
        If ``path`` is a folder, one of ``inputs``, lies under a file, or its folder cannot be
        written.
    """
    from usvlib.errors import OutputError

    path = Path(path)
    if any(_same_file(path, given) for given in inputs):
        raise OutputError(f"{path}: is one of the inputs - choose another output name")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder - give a file name, e.g. {path / example_name}")
    parent = path.parent
    _nearest_folder(path, parent, "path", writable=False)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create its folder ({exc.strerror}) - choose another output path") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: the folder {parent} is not writable - choose another output path")
    return path


def _same_file(a: Path, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist (yet): not the same file
        return False


def check_output_folder(path: str | os.PathLike) -> Path:
    """Check, before any work, that ``path`` can be (or is) a writable output folder.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        If ``path`` is a file, lies under a file, or its nearest existing folder is not writable.
    """
    from usvlib.errors import OutputError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: is a file - give a folder for the outputs")
    _nearest_folder(path, path, "folder", writable=True)
    return path


def _nearest_folder(path: Path, start: Path, what: str, *, writable: bool) -> Path:
    """The nearest existing folder at or above ``start``; an ``OutputError`` for ``path`` if it is
    a file (or, with ``writable``, cannot be written), ending "choose another output <what>"."""
    from usvlib.errors import OutputError

    existing = start
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{path}: {existing} is a file, not a folder - choose another output {what}")
    if writable and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: the folder {existing} is not writable - choose another output {what}")
    return existing


def temporary_sibling(path: Path) -> Path:
    """A unique temporary name next to ``path`` (same folder, so a rename is atomic)."""
    path = Path(path)
    # keep the suffix: some writers (papermill, savefig) look at it
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary siblings of ``path`` left by killed processes (their PID is gone).

    Parameters
    ----------
    path : path-like
        The final name whose ``.<stem>.tmp-<pid><suffix>`` siblings are looked for.

    Returns
    -------
    list of Path
        What was removed.
    """
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(f".{path.stem}.tmp-*{path.suffix}"):
        pid_text = tmp.name[len(f".{path.stem}.tmp-") : len(tmp.name) - len(path.suffix)]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            _remove(tmp)
            removed.append(tmp)
        except PermissionError:  # alive, another user's
            pass
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path; on success rename it to ``path``, on failure delete it.

    Works for files and folders alike. The parent folder is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    _remove(tmp)
    try:
        yield tmp
        if path.is_dir() and tmp.is_dir():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    # numpy scalars and arrays, Paths: the only non-JSON types our records carry
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def sha256_file(path: str | os.PathLike) -> str:
    """SHA256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def json_digest(obj: Any, length: int = 16) -> str:
    """SHA256 of ``obj`` as canonical JSON (sorted keys; non-JSON values as text), shortened."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:length]


def array_digest(values, length: int = 12) -> str:
    """SHA256 of an array's bytes (C order), shortened: identifies labels or indices in a key."""
    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()[:length]


def write_csv_columns(columns: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write one array per column as CSV, atomically, as ``DataFrame.to_csv(index=False, float_format="%.10g")`` would.

    For tables of floats and strings without pandas (``usvlib detect`` saves its import): floats
    as ``%.10g`` and NaN as an empty field, other values as ``str``, quoted where CSV needs it.

    Parameters
    ----------
    columns : dict of array-like
        Column name -> values, all of one length.
    path : path-like

    Returns
    -------
    Path
    """
    import csv

    import numpy as np

    fields = []
    for values in columns.values():
        values = np.asarray(values)
        if values.dtype.kind == "f":
            text = np.char.mod("%.10g", values).astype(object)
            text[np.isnan(values)] = ""
            fields.append(text)
        else:
            fields.append(values.astype(str))
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f, lineterminator=os.linesep)  # as pandas
        writer.writerow(list(columns))
        writer.writerows(zip(*fields, strict=True))
    return path
