"""From recordings to the per-USV cache: images, spectral lines, marginals, properties.

``extract_dataset(ROOT)`` finds the calls of every used recording (detecting them, or taking the
dataset's own call times where it has them), computes for each call the paper-resolution
spectrogram and from it the 100 x 100 network image, the spectral line, the time and frequency
marginals and the 24 properties (``usvlib.products.recording_products``, one recording at a
time), and writes everything to one HDF5 file
under ``data/cache/extract/``. The file's name holds a hash of the inputs (the recordings' sizes
and dates, the call source, every parameter, the code), so a re-run with nothing changed opens
the existing file at once and a changed parameter makes a new one. Files are written under a
temporary name and renamed when complete.

Recordings are shared among worker processes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

import usvlib
from usvlib._fingerprint import dependency_fingerprint as _dependency_fingerprint
from usvlib._io import array_digest, atomic_path, json_digest, remove_stale_temporaries
from usvlib._parallel import default_workers, process_map
from usvlib.dataset import Dataset, load_dataset
from usvlib.detect import DetectorParams, detect_file
from usvlib.errors import AudioError, ConfigError, UsvlibError
from usvlib.formats import split_calls
from usvlib.metrics import match_to_truth
from usvlib.paths import cache_dir
from usvlib.products import ExtractParams, recording_products
from usvlib.properties import EXTENDED_COLUMNS
from usvlib.spectrogram import CANVAS_BINS, IMAGE_SHAPE, SEQUENCE_LENGTH

__all__ = ["ExtractParams", "Extraction", "extract_dataset", "read_table", "recording_products"]


# ---------------------------------------------------------------------------------------------
# a dataset


def code_fingerprint(source: str = "truth") -> str:
    """Fingerprint of the code that makes the cache (docstrings left out): changed code, new
    cache. It follows what the extraction uses; the detector counts only where it found the
    calls (``source="detect"``), and scoring code never does.

    Parameters
    ----------
    source : {"truth", "detect"}

    Returns
    -------
    str
    """
    return _dependency_fingerprint(extract_dataset, read_table, exclude=() if source == "detect" else (detect_file,))


def _recording_job(job: dict) -> tuple[int, dict | None, pd.DataFrame | str]:
    """(index, products, calls) of one recording; (index, None, the message) if it cannot be read."""
    path = job["path"]
    try:
        if job["source"] == "detect":
            calls = detect_file(path, job["detector"], channel=job["channel"])
        elif job["source"] == "imported":
            calls = job["imported"]
        else:
            calls = job["truth"]
        calls = calls.sort_values("onset_s").reset_index(drop=True)
        products = recording_products(path, calls, job["params"], channel=job["channel"])
    except UsvlibError as exc:  # damaged mid-file: the batch goes on, and names it at the end
        return job["index"], None, str(exc)
    return job["index"], products, calls


@dataclass
class Extraction:
    """The per-USV cache of a dataset (``table`` in memory, arrays read on demand)."""

    path: Path
    table: pd.DataFrame
    from_cache: bool = False
    seconds: float = 0.0

    def array(self, name: str, index=None, *, keep_order: bool = False) -> np.ndarray:
        """``images``, ``spectral_line``, ``time_marginal`` or ``freq_marginal`` (float32), of
        every USV or of the USVs ``index`` names: in increasing order, or with ``keep_order`` in
        the order given (repeats allowed)."""
        with h5py.File(self.path, "r") as f:
            if index is None:
                return f[name][...].astype(np.float32)
            # HDF5 reads increasing, unique rows: read those once, then order them as asked
            unique, inverse = np.unique(np.asarray(index), return_inverse=True)
            data = f[name][unique].astype(np.float32)
        return data[inverse.reshape(-1)] if keep_order else data[np.searchsorted(unique, np.sort(index))]

    @property
    def n_did_not_fit(self) -> int:
        return int(self.table.image_did_not_fit.sum())


def _dataset_fingerprint(ds: Dataset, recordings: pd.DataFrame, source: str) -> dict:
    # paths relative to the dataset's root: the same folder reached by a relative or an absolute
    # path (a notebook vs a script) must find the same cache
    files = []
    for p in recordings.path:
        real = p.split("::")[0]
        st = os.stat(real)
        rel = os.path.relpath(os.path.abspath(real), os.path.abspath(ds.root)) + p[len(real) :]
        files.append([rel, st.st_size, st.st_mtime_ns])
    gt = Path(ds.root) / "ground_truth" / "calls.csv"
    truth = [gt.stat().st_size, gt.stat().st_mtime_ns] if source == "truth" and gt.is_file() else None
    # what the table says of each recording comes from the manifest, not the audio: a changed
    # animal or group is a new cache, not a stale label
    labels = recordings[["recording", "animal", "experiment", "sex", "strain", "group"]].astype(str).values.tolist()
    key = {"recordings": files, "truth": truth, "labels": labels}
    if "channel" in recordings:  # a user's manifest naming the channel of multi-channel files
        key["channels"] = [_channel_of(r) for r in recordings.itertuples(index=False)]
    return key


def _checked_import(calls: pd.DataFrame) -> pd.DataFrame:
    """An imported call table with finite onsets and offsets (a clear message otherwise)."""
    missing = [c for c in ("onset_s", "offset_s") if c not in calls]
    if missing:
        raise ConfigError(f"the call table has no {', '.join(missing)} column - read it with usvlib.formats.read_calls")
    times = calls[["onset_s", "offset_s"]].to_numpy(float)
    if not np.isfinite(times).all() or (times[:, 1] < times[:, 0]).any():
        raise ConfigError("the call table has calls without finite times or ending before they begin")
    return calls


def imported_calls_per_recording(imported: pd.DataFrame, recordings: pd.DataFrame) -> list[pd.DataFrame]:
    """Each recording's rows of an imported call table (:func:`usvlib.formats.split_calls`, by
    path, file name or the manifest's id); warns of the calls it cannot place.

    Raises
    ------
    ConfigError
        If no call belongs to a listed recording, or as ``split_calls`` does.
    """
    pairs = [(r.path, r.recording) for r in recordings.itertuples()]
    per_recording = split_calls(imported, pairs, source=str(imported.attrs.get("path", "the calls table")))
    n_placed = sum(len(p) for p in per_recording)
    if n_placed == 0 and len(imported):
        named = sorted(imported.recording.astype(str).unique())[:3] if "recording" in imported else []
        raise ConfigError(
            f"none of the {len(imported)} imported calls belongs to a listed recording (the table names "
            f"{', '.join(named) or 'no recording'}; the manifest lists {', '.join(recordings.recording[:3])}) - "
            "name the recordings as in the manifest (path, file name or id)"
        )
    if n_placed < len(imported):
        warnings.warn(
            f"{len(imported) - n_placed} of {len(imported)} imported calls name no listed recording and are left out",
            stacklevel=3,
        )
    return per_recording


def _channel_of(recording) -> int | None:
    """The channel a recording row names (a user manifest's ``channel`` column), or None."""
    value = getattr(recording, "channel", None)
    return None if value is None or pd.isna(value) else int(value)


def extract_dataset(
    dataset: Dataset | str | os.PathLike,
    *,
    calls: str | pd.DataFrame = "auto",
    experiments: tuple[str, ...] | None = None,
    params: ExtractParams = ExtractParams(),
    detector: DetectorParams = DetectorParams(),
    workers: int | None = None,
    progress: bool = False,
    cache: str | os.PathLike | None = None,
) -> Extraction:
    """Build (or open) the per-USV cache of a dataset.

    Parameters
    ----------
    dataset : Dataset or path
        A loaded dataset, or a folder that :func:`~usvlib.dataset.load_dataset` loads with its
        defaults.
    calls : {"auto", "detect", "truth"} or DataFrame
        Where call times come from: the detector, or the dataset's ground truth (synthetic data
        only). "auto" uses the truth when there is one. A call table (another tool's detections,
        :func:`usvlib.formats.read_calls`) is used as it is: its ``recording`` column names each
        call's recording (:func:`usvlib.formats.split_calls`).
    experiments : tuple of str, optional
        Which recordings: those of these experiments (``"sex"``, ``"strain"``, a user
        manifest's ``"user"`` or its own names); default every used recording of the dataset.
    params : ExtractParams
        How the products are made (default: the paper's spectrogram and properties).
    detector : DetectorParams
        Settings of the detector, where it finds the calls (part of the cache key only then).
    workers : int, optional
        Processes (default: the available CPUs, at most 8). The result does not depend on it.
    progress : bool
        A progress bar over recordings.
    cache : path, optional
        Folder of the cache files (default ``data/cache/extract``).

    Returns
    -------
    Extraction
        The HDF5 file's path and its table: one row per USV, in recording order, with the
        recording, animal, experiment, sex, strain and group, ``onset_s`` and ``offset_s``, the
        matched ground-truth call (``truth_call_id``, where there is a truth), ``detector_score``
        (detected calls), ``image_did_not_fit`` and the 24 properties. ``from_cache`` says whether
        an existing file was opened.

    Raises
    ------
    ConfigError
        If ``calls`` is not one of the three, or is ``"truth"`` for a dataset without ground truth.
    DatasetError
        If ``dataset`` is a path that does not load (:func:`~usvlib.dataset.load_dataset`).
    AudioError
        If a recording cannot be read.

    Examples
    --------
    >>> from usvlib import extract_dataset, load_dataset
    >>> ds = load_dataset("data/synthetic/quick")  # doctest: +SKIP
    >>> ext = extract_dataset(ds, calls="truth", experiments=("sex",))  # doctest: +SKIP
    >>> ext.table[["animal", "onset_s", "duration_s", "mean_freq_hz"]].head()  # doctest: +SKIP
    >>> ext.array("images", index=[0, 1, 2]).shape  # doctest: +SKIP
    (3, 100, 100)
    """
    ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
    imported = None
    if isinstance(calls, pd.DataFrame):
        imported, calls = _checked_import(calls), "imported"
    elif calls not in ("auto", "detect", "truth"):
        raise ConfigError(f"calls must be 'auto', 'detect', 'truth' or a call table, got {calls!r}")
    source = ("truth" if ds.ground_truth is not None else "detect") if calls == "auto" else calls
    if source == "truth" and ds.ground_truth is None:
        raise ConfigError(f"{ds.root}: has no ground-truth call times - use calls='detect'")
    used = ds.recordings.used
    if experiments is not None:
        used = used & ds.recordings.experiment.isin(experiments)
    recordings = ds.recordings[used].reset_index(drop=True)
    key_data = {
        "dataset": _dataset_fingerprint(ds, recordings, source),
        "source": source,
        "params": dataclasses.asdict(params),
        "detector": dataclasses.asdict(detector) if source == "detect" else None,
        "imported": None if imported is None else array_digest(imported[["onset_s", "offset_s"]].to_numpy(float)),
        "code": code_fingerprint(source),
    }
    key = json_digest(key_data)
    folder = Path(cache) if cache else cache_dir() / "extract"
    path = folder / f"{Path(ds.root).name}-{source}-{key}.h5"
    remove_stale_temporaries(path)  # left by an extraction that was killed
    if path.is_file():
        try:
            return Extraction(path, read_table(path), from_cache=True)
        except (OSError, KeyError, ValueError) as exc:  # truncated or damaged: build it again
            warnings.warn(f"{path}: the cached extraction cannot be read ({exc}) - building it again", stacklevel=2)
            path.unlink()

    started = time.perf_counter()
    jobs = []
    if imported is not None:
        per_recording = imported_calls_per_recording(imported, recordings)
    for i, r in recordings.iterrows():
        truth = None
        if ds.ground_truth is not None:
            gt = ds.ground_truth
            truth = gt[gt.animal == r.animal][["call_id", "onset_s", "offset_s"]].copy()
        jobs.append(
            {
                "index": i,
                "path": r.path,
                "source": source,
                "detector": detector,
                "params": params,
                "truth": truth,
                "imported": None if imported is None else per_recording[i][["onset_s", "offset_s"]],
                "channel": _channel_of(r),
            }
        )
    workers = default_workers() if workers is None else int(workers)
    # each recording's products are kept as they are made: an interrupted run resumes from them
    parts = path.parent / f"{path.stem}.parts"
    part_paths = [parts / f"{job['index']:05d}.h5" for job in jobs]
    for part in part_paths:
        remove_stale_temporaries(part)
    todo = [job for job, part in zip(jobs, part_paths, strict=True) if not _readable_part(part)]
    failed: list[str] = []
    for index, products, rec_calls in process_map(
        _recording_job,
        todo,
        workers=workers,
        progress=progress,
        desc="extracting" if len(todo) == len(jobs) else f"extracting (resuming: {len(jobs) - len(todo)} done)",
        unit="rec",
        one_thread_each=False,
    ):
        if products is None:
            failed.append(rec_calls)
            continue
        _write_part(part_paths[index], products, rec_calls)
    if failed:
        raise AudioError(
            f"{len(failed)} of {len(jobs)} recording(s) could not be extracted: {'; '.join(failed)} - repair or "
            "remove them and run again (the other recordings are kept and not redone)"
        )

    n_total = 0
    tables = []
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        arrays = {
            "images": f.create_dataset(
                "images", (0, *IMAGE_SHAPE), "float16", maxshape=(None, *IMAGE_SHAPE), chunks=(64, *IMAGE_SHAPE)
            ),
            "spectral_line": f.create_dataset(
                "spectral_line", (0, SEQUENCE_LENGTH), "float32", maxshape=(None, SEQUENCE_LENGTH)
            ),
            "time_marginal": f.create_dataset(
                "time_marginal", (0, SEQUENCE_LENGTH), "float32", maxshape=(None, SEQUENCE_LENGTH)
            ),
            "freq_marginal": f.create_dataset(
                "freq_marginal", (0, CANVAS_BINS), "float32", maxshape=(None, CANVAS_BINS)
            ),
        }
        for index, part in enumerate(part_paths):
            products, rec_calls = _read_part(part)
            r = recordings.iloc[index]
            k = len(rec_calls)
            for name, ds_h5 in arrays.items():
                ds_h5.resize(n_total + k, axis=0)
                ds_h5[n_total : n_total + k] = products[name]
            table = pd.DataFrame(
                {
                    "recording": r.recording,
                    "animal": r.animal,
                    "experiment": r.experiment,
                    "sex": r.sex,
                    "strain": r.strain,
                    "group": r.group,
                    "onset_s": rec_calls.onset_s.to_numpy(float),
                    "offset_s": rec_calls.offset_s.to_numpy(float),
                }
            )
            if source == "truth":
                table["truth_call_id"] = rec_calls.call_id.to_numpy()
            elif jobs[index]["truth"] is not None:
                table["truth_call_id"] = match_to_truth(rec_calls, jobs[index]["truth"])
            if "score" in rec_calls:
                table["detector_score"] = rec_calls.score.to_numpy(float)
            table["image_did_not_fit"] = products["did_not_fit"]
            table = pd.concat([table, products["properties"].reset_index(drop=True)], axis=1)
            tables.append(table)
            n_total += k
        table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
        table.insert(0, "usv", np.arange(len(table)))
        _write_table(f, "calls", table)
        f.attrs["key"] = key
        f.attrs["source"] = source
        f.attrs["inputs"] = json.dumps(key_data, default=str)
        f.attrs["usvlib"] = usvlib.__version__
    shutil.rmtree(parts, ignore_errors=True)  # the cache file holds everything now
    return Extraction(path, read_table(path), from_cache=False, seconds=time.perf_counter() - started)


_PART_ARRAYS = ("images", "spectral_line", "time_marginal", "freq_marginal", "did_not_fit")


def _write_part(part: Path, products: dict, rec_calls: pd.DataFrame) -> None:
    """One recording's products and calls, written atomically (a killed run leaves none half-done)."""
    with atomic_path(part) as tmp, h5py.File(tmp, "w") as f:
        for name in _PART_ARRAYS:
            f.create_dataset(name, data=products[name])
        columns = [c for c in ("onset_s", "offset_s", "call_id", "score") if c in rec_calls]
        _write_table(f, "calls", rec_calls[columns])
        _write_table(f, "properties", products["properties"])


def _readable_part(part: Path) -> bool:
    """Whether a recording's part can be opened and holds everything (its arrays are read once,
    when the cache is assembled)."""
    if not part.is_file():
        return False
    try:
        with h5py.File(part, "r") as f:
            if not all(name in f for name in (*_PART_ARRAYS, "calls", "properties")):
                raise KeyError(part)
    except (OSError, KeyError, ValueError):
        part.unlink()  # damaged (a full disk, a copy cut short): made again
        return False
    return True


def _read_part(part: Path) -> tuple[dict, pd.DataFrame]:
    with h5py.File(part, "r") as f:
        products = {name: f[name][...] for name in _PART_ARRAYS}
    calls = read_table(part, "calls")
    # an empty table as recording_products makes it (stored, its columns would read back as text)
    products["properties"] = (
        read_table(part, "properties") if len(calls) else pd.DataFrame(columns=list(EXTENDED_COLUMNS))
    )
    return products, calls


def _write_table(f: h5py.File, name: str, table: pd.DataFrame) -> None:
    group = f.create_group(name)
    for col in table.columns:
        values = table[col].to_numpy()
        if values.dtype == object:
            group.create_dataset(col, data=values.astype(str).astype("S"))
        else:
            group.create_dataset(col, data=values)
    group.attrs["columns"] = json.dumps(list(table.columns))


def read_table(path: str | os.PathLike, name: str = "calls") -> pd.DataFrame:
    """The table stored in an extraction file.

    Parameters
    ----------
    path : path
        An HDF5 file written by :func:`extract_dataset`.
    name : str
        The group of the table (``"calls"``: one row per USV).

    Returns
    -------
    DataFrame
        The columns in their stored order; text columns as ``str``.
    """
    with h5py.File(path, "r") as f:
        group = f[name]
        columns = json.loads(group.attrs["columns"])
        data = {}
        for col in columns:
            values = group[col][...]
            data[col] = values.astype(str) if values.dtype.kind == "S" else values
    return pd.DataFrame(data, columns=columns)
