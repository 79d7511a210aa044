"""From recordings to the per-USV cache: images, spectral lines, marginals, properties.

``extract_dataset(ROOT)`` finds the calls of every used recording (detecting them, or taking the
dataset's own call times where it has them), computes for each call the paper-resolution
spectrogram and from it the 100 x 100 network image, the spectral line, the time and frequency
marginals and the 24 properties (``usvlib.features``), and writes everything to one HDF5 file
under ``data/cache/extract/``. The file's name holds a hash of the inputs (the recordings' sizes
and dates, the call source, every parameter, the code), so a re-run with nothing changed opens
the existing file at once and a changed parameter makes a new one. Files are written under a
temporary name and renamed when complete.

Recordings are processed in blocks (``block_s``) with an overlap longer than the longest call, so
memory stays bounded whatever their length; recordings are shared among worker processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

import usvlib
from usvlib._fingerprint import code_fingerprint as _code_fingerprint
from usvlib._io import atomic_path
from usvlib._parallel import default_workers, process_map
from usvlib.audio import audio_info, iter_blocks
from usvlib.dataset import Dataset, load_dataset
from usvlib.detect import DetectorParams, detect_file
from usvlib.errors import ConfigError
from usvlib.features import PropertyParams, call_properties
from usvlib.metrics import match_to_truth
from usvlib.paths import cache_dir
from usvlib.properties import EXTENDED_COLUMNS
from usvlib.spectrogram import (
    CANVAS_BINS,
    IMAGE_SHAPE,
    PAPER_PARAMS,
    SEQUENCE_LENGTH,
    SpectrogramParams,
    canvas_rows,
    image_from_rows,
    resample,
    resize_matrix,
    spectral_line_hz,
)


@dataclass(frozen=True)
class ExtractParams:
    """How per-USV products are made (defaults: the paper's)."""

    spectrogram: SpectrogramParams = PAPER_PARAMS
    background_percentile: float = 75.0
    background_frames: int = 150  # sampled per block, away from calls
    long_calls: str = "compress"
    block_s: float = 10.0
    max_call_s: float = 0.5
    properties: PropertyParams = field(default_factory=PropertyParams)


# ---------------------------------------------------------------------------------------------
# one recording

IMAGE_ROW_MAP = resize_matrix(CANVAS_BINS, IMAGE_SHAPE[0])  # the images' frequency resize


def _frame_starts(onset_s: float, offset_s: float, rate: int, n: int, hop: int) -> np.ndarray:
    """Sample index of each analysis frame of a call (frames centred on the call's hops)."""
    n_frames = max(1, round((offset_s - onset_s) * rate / hop))
    centres = np.rint(onset_s * rate + (np.arange(n_frames) + 0.5) * hop).astype(np.int64)
    return centres - n // 2


def recording_products(
    path: str | os.PathLike,
    calls: pd.DataFrame,
    params: ExtractParams = ExtractParams(),
    *,
    channel=None,
    with_properties: bool = True,
) -> dict:
    """Per-call products of one recording.

    Parameters
    ----------
    calls : DataFrame with ``onset_s``, ``offset_s``
        Sorted by onset.

    Returns
    -------
    dict with ``images`` (n, 100, 100) float16 (as cached), ``spectral_line`` (n, 100) Hz,
    ``time_marginal`` (n, 100), ``freq_marginal`` (n, 233), ``did_not_fit`` (n,) bool and
    ``properties`` (DataFrame, 24 columns).
    """
    info = audio_info(path)
    rate = info.rate_hz
    sp = params.spectrogram
    n, hop = sp.window_samples(rate), sp.hop_samples(rate)
    freqs, band = sp.band(rate)
    rows = canvas_rows(freqs)
    keep_rows = (rows >= 0) & (rows < CANVAS_BINS)
    window = np.hanning(n + 2)[1:-1].astype(np.float32)
    power_to_ms = 2.0 / (n * float(np.sum(window.astype(np.float64) ** 2)))
    window_int16 = window / np.float32(32768.0)  # blocks are read as int16: the window converts
    n_calls = len(calls)
    out = {
        "images": np.zeros((n_calls, *IMAGE_SHAPE), np.float16),  # half the memory of a long recording
        "spectral_line": np.full((n_calls, SEQUENCE_LENGTH), np.nan, np.float32),
        "time_marginal": np.zeros((n_calls, SEQUENCE_LENGTH), np.float32),
        "freq_marginal": np.zeros((n_calls, CANVAS_BINS), np.float32),
        "did_not_fit": np.zeros(n_calls, bool),
    }
    props = [None] * n_calls
    if n_calls == 0:
        out["properties"] = pd.DataFrame(columns=list(EXTENDED_COLUMNS))
        return out
    onsets = calls.onset_s.to_numpy(float)
    offsets = np.minimum(calls.offset_s.to_numpy(float), onsets + params.max_call_s * 2)
    n_call_frames = np.maximum(1, np.rint((offsets - onsets) * rate / hop).astype(np.int64))
    first = np.rint(onsets * rate + 0.5 * hop).astype(np.int64) - n // 2
    last = np.rint(onsets * rate + (n_call_frames - 0.5) * hop).astype(np.int64) - n // 2 + n
    first = np.maximum(first, 0)  # a call at the very start or end of the file: frames outside it are zero
    last = np.minimum(last, info.n_frames)
    overlap_s = 2 * params.max_call_s + 2 * n / rate
    block_s = max(params.block_s, 2 * overlap_s)
    done = np.zeros(n_calls, bool)

    identity_rows = len(rows) == CANVAS_BINS and np.array_equal(rows, np.arange(CANVAS_BINS))

    # frame-major (frames, 233) throughout: every per-frame operation reads contiguous memory
    def stft(block: np.ndarray, starts: np.ndarray) -> np.ndarray:
        frames = sliding_window_view(block, n)[starts] * window_int16
        mag = np.abs(scipy.fft.rfft(frames, axis=1, overwrite_x=True)[:, band])
        if identity_rows:  # 300 kHz: the band is the canvas
            return mag
        canvas = np.zeros((mag.shape[0], CANVAS_BINS), np.float32)
        canvas[:, rows[keep_rows]] = mag[:, keep_rows]
        return canvas

    for s0, block in iter_blocks(path, block_s=block_s, overlap_s=overlap_s, channel=channel, dtype="int16"):
        s1 = s0 + len(block)
        mine = np.flatnonzero(~done & (first >= s0) & (last <= s1))
        if len(mine) == 0:
            continue
        # background: frames spread over the block, away from the calls near it
        cand = np.linspace(0, len(block) - n, num=min(params.background_frames * 2, max(1, (len(block) - n) // hop)))
        cand = cand.astype(np.int64) + s0
        near = np.flatnonzero((last >= s0) & (first <= s1))
        # a candidate frame is busy if it overlaps a call: calls started minus calls ended before it
        started = np.searchsorted(np.sort(first[near]), cand + n, side="left")
        ended = np.searchsorted(np.sort(last[near]), cand, side="right")
        free = started - ended == 0
        bg_starts = cand[free][:: max(1, free.sum() // params.background_frames)]
        if len(bg_starts) < 20:
            bg_starts = cand  # a block full of calls: the percentile of everything
        bg = stft(block, bg_starts - s0)
        background = np.percentile(bg, params.background_percentile, axis=0).astype(np.float32)
        noise_power = np.mean(bg.astype(np.float64) ** 2, axis=0)
        # all frames of this block's calls in one transform, one frequency resize
        lengths = n_call_frames[mine]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        within = np.arange(bounds[-1]) - np.repeat(bounds[:-1], lengths)
        centres = np.rint(np.repeat(onsets[mine] * rate, lengths) + (within + 0.5) * hop).astype(np.int64)
        starts = centres - n // 2 - s0
        valid = (starts >= 0) & (starts + n <= len(block))
        spec_all = stft(block, starts) if valid.all() else np.zeros((len(starts), CANVAS_BINS), np.float32)
        if not valid.all() and valid.any():
            spec_all[valid] = stft(block, starts[valid])
        sparse_all = np.where(spec_all >= background, spec_all, np.float32(0.0))
        line_all = spectral_line_hz(sparse_all.T)
        rows_all = sparse_all @ IMAGE_ROW_MAP.T  # (frames, 100): the frequency resize of every frame
        column_sums = sparse_all.sum(axis=1)
        freq_marginals = np.add.reduceat(sparse_all, bounds[:-1], axis=0)
        for k, i in enumerate(mine):
            a, b = bounds[k], bounds[k + 1]
            out["images"][i], out["did_not_fit"][i] = image_from_rows(rows_all[a:b].T, long_calls=params.long_calls)
            out["spectral_line"][i] = resample(line_all[a:b])
            out["time_marginal"][i] = resample(column_sums[a:b])
            out["freq_marginal"][i] = freq_marginals[k]
            if with_properties:
                props[i] = call_properties(
                    spec_all[a:b].T,
                    background,
                    noise_power,
                    duration_s=offsets[i] - onsets[i],
                    hop_s=hop / rate,
                    power_to_ms=power_to_ms,
                    params=params.properties,
                )
        done[mine] = True
    out["properties"] = pd.DataFrame([p if p is not None else {} for p in props], columns=list(EXTENDED_COLUMNS))
    return out


# ---------------------------------------------------------------------------------------------
# a dataset


def code_fingerprint(source: str = "truth") -> str:
    """Fingerprint of the code that makes the cache (docstrings left out): changed code, new
    cache. The detector's code counts only where it found the calls (``source="detect"``)."""
    from usvlib import audio, detect, extract, features, properties, spectrogram

    modules = [audio, spectrogram, properties, features, extract]
    if source == "detect":
        modules += [detect.frames, detect.events, detect]
    return _code_fingerprint(*modules)


def _recording_job(job: dict) -> tuple[int, dict, pd.DataFrame]:
    path = job["path"]
    if job["source"] == "detect":
        calls = detect_file(path, job["detector"])
    else:
        calls = job["truth"]
    calls = calls.sort_values("onset_s").reset_index(drop=True)
    products = recording_products(path, calls, job["params"])
    return job["index"], products, calls


@dataclass
class Extraction:
    """The per-USV cache of a dataset (``table`` in memory, arrays read on demand)."""

    path: Path
    table: pd.DataFrame
    from_cache: bool = False
    seconds: float = 0.0

    def array(self, name: str, index=None) -> np.ndarray:
        """``images``, ``spectral_line``, ``time_marginal`` or ``freq_marginal`` (float32)."""
        with h5py.File(self.path, "r") as f:
            data = f[name][...] if index is None else f[name][np.sort(np.asarray(index))]
        return data.astype(np.float32)

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
    return {"recordings": files, "truth": truth}


def extract_dataset(
    dataset: Dataset | str | os.PathLike,
    *,
    calls: str = "auto",
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
    calls : {"auto", "detect", "truth"}
        Where call times come from: the detector, or the dataset's ground truth (synthetic data
        only). "auto" uses the truth when there is one.
    experiments : tuple of str, optional
        Which recordings: those of these experiments (``"sex"``, ``"strain"``, a user
        manifest's ``"user"`` or its own names); default every used recording of the dataset.
    workers : int, optional
        Processes (default: the available CPUs, at most 8).
    cache : path, optional
        Folder of the cache files (default ``data/cache/extract``).
    """
    ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
    if calls not in ("auto", "detect", "truth"):
        raise ConfigError(f"calls must be 'auto', 'detect' or 'truth', got {calls!r}")
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
        "code": code_fingerprint(source),
    }
    key = hashlib.sha256(json.dumps(key_data, sort_keys=True, default=str).encode()).hexdigest()[:16]
    folder = Path(cache) if cache else cache_dir() / "extract"
    path = folder / f"{Path(ds.root).name}-{source}-{key}.h5"
    if path.is_file():
        return Extraction(path, read_table(path), from_cache=True)

    started = time.perf_counter()
    jobs = []
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
            }
        )
    workers = default_workers() if workers is None else int(workers)
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
        for index, products, rec_calls in process_map(
            _recording_job,
            jobs,
            workers=workers,
            progress=progress,
            desc="extracting",
            unit="rec",
            one_thread_each=False,
        ):
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
    return Extraction(path, read_table(path), from_cache=False, seconds=time.perf_counter() - started)


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
    """The table stored in an extraction file."""
    with h5py.File(path, "r") as f:
        group = f[name]
        columns = json.loads(group.attrs["columns"])
        data = {}
        for col in columns:
            values = group[col][...]
            data[col] = values.astype(str) if values.dtype.kind == "S" else values
    return pd.DataFrame(data, columns=columns)
