"""Load a dataset: the real Donders folder, a synthetic one, or a user's own recordings.

The Donders layout (the synthetic datasets use it too)::

    ROOT/MANIFEST.txt
    ROOT/Data/RawRecordings/Sex/Rfem_AfemNN.wav, Rmale_AfemNN.wav    one mouse per recording
    ROOT/Data/RawRecordings/Strain/RecordingsCortexless.zip          the strain experiment
    ROOT/Data/FIG_USVClassify_BasicAnalysis/features_fileid_animalid_sex_..._complex.csv

``load_dataset(ROOT)`` returns a :class:`Dataset` with one row per recording and, where the
folder has it, the per-USV properties table (one row per USV, unit-suffixed columns) and, for
synthetic data, the ground truth. A user's own recordings come in through a small CSV
(``path,animal,sex`` or ``path,animal,group``): ``load_user_recordings(CSV)``.

Assumptions about the real data that could not be checked (the files were not available to us)
are parameters with documented defaults: how ``sex`` is coded in the CSV (0 female, 1 male),
which ``animalid`` is which recording (1-10 the female residents, 11-18 the male ones, in file
order; checked against the sex column), the units of ``duration`` and ``avgfreq`` (recognised
from their magnitudes), and the folders inside the strain zip (groups recognised from the names).
"""

from __future__ import annotations

import json
import os
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib.audio import ZIP_SEPARATOR, audio_info
from usvlib.errors import AudioError, DatasetError
from usvlib.manifest import MANIFEST_NAME, VerifyReport, verify_manifest

SEX_DIR = "Data/RawRecordings/Sex"
STRAIN_DIR = "Data/RawRecordings/Strain"
STRAIN_ZIP = f"{STRAIN_DIR}/RecordingsCortexless.zip"
FEATURES_DIR = "Data/FIG_USVClassify_BasicAnalysis"
FEATURES_NAME = (
    "features_fileid_animalid_sex_duration_avgfreq_avgvol_direction_peaks_breaks_broadband_tremolo_complex.csv"
)
PAPER_EXCLUDED = ("Rfem_Afem09",)
"""Recordings the paper left out ("female #9 is missing" in the authors' code)."""

DEFAULT_SEX_CODES = {0: "female", 1: "male"}
_SEX_WORDS = {"f": "female", "female": "female", "fem": "female", "m": "male", "male": "male"}
_RECORDING_RE = re.compile(r"^R(fem|male)_Afem(\d+)$", re.IGNORECASE)
_CORTEXLESS_WORDS = ("cortexless", "emx", "esco", "cx")
_CONTROL_WORDS = ("control", "ctrl", "wildtype", "wt")

PROPERTY_COLUMNS = {
    # Donders column -> usvlib column
    "fileid": "usv_id",
    "animalid": "animal_id",
    "sex": "sex",
    "duration": "duration_s",
    "avgfreq": "mean_freq_hz",
    "avgvol": "volume",
    "direction": "direction",
    "peaks": "peaks",
    "breaks": "breaks",
    "broadband": "broadband",
    "tremolo": "tremolo",
    "complex": "complex",
}
HUMAN_LABELS = ("direction", "peaks", "breaks", "broadband", "tremolo", "complex")


@dataclass
class Dataset:
    """A loaded dataset.

    Attributes
    ----------
    root : Path
    kind : {"synthetic", "real", "user"}
    recordings : DataFrame
        One row per recording: ``recording, path, experiment, animal, sex, strain, group,
        used`` (``group`` is the class an analysis predicts: the sex, or the strain) and,
        when headers were read, ``rate_hz, n_frames, duration_s, n_channels``.
    properties : DataFrame or None
        The per-USV table (Donders CSV), columns ``usv_id, animal_id, animal, sex,
        duration_s, mean_freq_hz, volume, direction, peaks, breaks, broadband, tremolo, complex``.
    ground_truth : DataFrame or None
        Synthetic data only: every call with its onset, offset and latent parameters.
    config, oracle : dict or None
        Synthetic data only: the generator's configuration and the Bayes-optimal accuracies.
    verification : VerifyReport or None
    """

    root: Path
    kind: str
    recordings: pd.DataFrame
    properties: pd.DataFrame | None = None
    ground_truth: pd.DataFrame | None = None
    config: dict | None = None
    oracle: dict | None = None
    verification: VerifyReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_synthetic(self) -> bool:
        return self.kind == "synthetic"

    def used_recordings(self, experiment: str = "sex") -> pd.DataFrame:
        """Recordings of ``experiment`` that analyses use (the paper's exclusions applied)."""
        r = self.recordings
        return r[(r.experiment == experiment) & r.used].reset_index(drop=True)

    def calls(self, experiment: str = "sex", *, used_only: bool = True) -> pd.DataFrame:
        """Ground-truth calls of ``experiment`` (synthetic data only)."""
        if self.ground_truth is None:
            raise DatasetError(f"{self.root}: real data carry no call times - detect the calls first (usvlib detect)")
        gt = self.ground_truth[self.ground_truth.experiment == experiment]
        if used_only:
            gt = gt[gt.animal.isin(self.used_recordings(experiment).animal)]
        return gt.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the Donders layout


def _sex_recordings(root: Path, exclude: tuple[str, ...]) -> list[dict]:
    folder = root / SEX_DIR
    rows = []
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            m = _RECORDING_RE.match(p.stem)
            if p.suffix.lower() != ".wav" or not m:
                continue
            sex = "female" if m.group(1).lower() == "fem" else "male"
            rows.append(
                {
                    "recording": p.stem,
                    "path": str(p),
                    "experiment": "sex",
                    "animal": p.stem,
                    "sex": sex,
                    "strain": "",
                    "group": sex,
                    "used": p.stem not in exclude,
                }
            )
    # file order as the paper numbers them: females 01..10, then males 01..08
    rows.sort(key=lambda r: (r["sex"] != "female", int(_RECORDING_RE.match(r["recording"]).group(2))))
    return rows


def strain_group(member: str) -> str | None:
    """'cortexless' or 'control' from a path inside the strain archive, or None if unclear."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", member.lower()) if t]
    cx = any(t.startswith(w) for t in tokens for w in _CORTEXLESS_WORDS)
    ctrl = any(t.startswith(w) for t in tokens for w in _CONTROL_WORDS)
    if cx == ctrl:
        return None
    return "cortexless" if cx else "control"


def _strain_recordings(root: Path, notes: list[str]) -> list[dict]:
    """Recordings of the strain experiment: from the zip, or from WAVs unpacked beside it."""
    rows, members = [], []
    zpath = root / STRAIN_ZIP
    if zpath.is_file():
        try:
            with zipfile.ZipFile(zpath) as zf:
                members = [(f"{zpath}{ZIP_SEPARATOR}{n}", n) for n in zf.namelist() if n.lower().endswith(".wav")]
        except zipfile.BadZipFile:
            notes.append(
                f"{zpath}: not a readable zip archive - the strain experiment is skipped; "
                "re-copy the file (usvlib verify checks it)"
            )
    unpacked = root / STRAIN_DIR
    if unpacked.is_dir():
        members += [(str(p), p.relative_to(unpacked).as_posix()) for p in sorted(unpacked.rglob("*.wav"))]
    unclear = []
    for path, member in members:
        group = strain_group(member)
        if group is None:
            unclear.append(member)
            continue
        name = Path(member).stem
        rows.append(
            {
                "recording": name,
                "path": path,
                "experiment": "strain",
                "animal": name,
                "sex": "male",
                "strain": group,
                "group": group,
                "used": True,
            }
        )
    if unclear:
        notes.append(
            f"{len(unclear)} strain recordings whose group (cortexless/control) is not in their "
            f"path (e.g. {unclear[0]!r}) were skipped - list them in a user manifest CSV "
            "(usvlib.dataset.load_user_recordings) with a 'group' column"
        )
    return rows


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
        What to do with rows that lack a value.
    recordings : DataFrame, optional
        The dataset's sex recordings, to name each ``animalid`` (1-based, in file order).

    Returns
    -------
    table, notes
        The table with usvlib column names, and notes on what was inferred.
    """
    path = Path(path)
    notes: list[str] = []
    if not path.is_file():
        raise DatasetError(f"{path}: no such file - the per-USV properties table is missing")
    columns = _columns_from_name(path)
    with open(path, encoding="utf-8-sig") as fh:
        first = fh.readline()
    if not first.strip():
        raise DatasetError(f"{path}: the table is empty - re-copy it from the dataset")
    header = _looks_like_header(first, columns)
    try:
        raw = pd.read_csv(path, header=0 if header else None, encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DatasetError(f"{path}: cannot be parsed as CSV ({exc}) - check the file") from None
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
    table = raw.rename(columns={k: v for k, v in PROPERTY_COLUMNS.items() if k in raw.columns})

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
    decoded = values.astype(str).str.strip().str.lower().map(_SEX_WORDS)
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


def _read_headers(recordings: pd.DataFrame, skip_unreadable: bool, notes: list[str]) -> pd.DataFrame:
    info_rows, problems = [], []
    for r in recordings.itertuples(index=False):
        try:
            info = audio_info(r.path)
            info_rows.append(
                {
                    "rate_hz": info.rate_hz,
                    "n_frames": info.n_frames,
                    "duration_s": info.duration_s,
                    "n_channels": info.n_channels,
                }
            )
        except AudioError as exc:
            problems.append(str(exc))
            info_rows.append({"rate_hz": np.nan, "n_frames": np.nan, "duration_s": np.nan, "n_channels": np.nan})
    recordings = pd.concat([recordings.reset_index(drop=True), pd.DataFrame(info_rows)], axis=1)
    if problems:
        if not skip_unreadable:
            raise DatasetError(
                f"{len(problems)} recording(s) cannot be used:\n  "
                + "\n  ".join(problems)
                + "\n(pass skip_unreadable=True, or --skip-unreadable, to continue without them)"
            )
        notes.extend(problems)
        recordings = recordings[recordings.rate_hz.notna()].reset_index(drop=True)
    return recordings


def load_dataset(
    root: str | os.PathLike,
    *,
    verify: str | list[str] = "used",
    rehash: bool = False,
    exclude: tuple[str, ...] = PAPER_EXCLUDED,
    read_headers: bool = True,
    skip_unreadable: bool = False,
    sex_codes: dict | None = None,
    on_missing: str = "error",
) -> Dataset:
    """Load a folder in the Donders layout (real or synthetic).

    Parameters
    ----------
    root : path
        The folder holding ``Data/`` and ``MANIFEST.txt``.
    verify : {"used", "all", "none"} or list of str
        Check SHA256 sums against ``MANIFEST.txt``: the files this loader reads (default), every
        file, none, or the given relative paths / patterns. A mismatch raises a
        ``ManifestError`` naming the files.
    rehash : bool
        Hash even files already verified with the same size and modification time.
    exclude : tuple of str
        Recordings marked ``used=False`` (default: the paper's ``Rfem_Afem09``).
    read_headers : bool
        Read every recording's header (rate, length); problems raise a ``DatasetError``
        listing each file, unless ``skip_unreadable``.
    sex_codes, on_missing
        Passed to :func:`load_properties`.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(
            f"{root}: no such folder - pass the folder that holds Data/ and MANIFEST.txt "
            "(your copy of the Donders dataset, or the output of `usvlib synth`)"
        )
    notes: list[str] = []
    sex_rows = _sex_recordings(root, tuple(exclude))
    if not sex_rows:
        raise DatasetError(
            f"{root}: no recordings named Rfem_AfemNN.wav / Rmale_AfemNN.wav under {SEX_DIR} - "
            "is this the dataset's root folder? For your own recordings use a manifest CSV "
            "(usvlib.dataset.load_user_recordings)"
        )
    recordings = pd.DataFrame(sex_rows + _strain_recordings(root, notes))
    features = root / FEATURES_DIR / FEATURES_NAME

    report = None
    if verify != "none":
        if not (root / MANIFEST_NAME).is_file():
            notes.append(f"{root}: no {MANIFEST_NAME}, so the files were not checked for corruption")
        else:
            if verify == "used":
                subset = [f"{SEX_DIR}/*", f"{STRAIN_DIR}/*", f"{FEATURES_DIR}/{FEATURES_NAME}"]
            elif verify == "all":
                subset = None
            else:
                subset = list(verify)
            report = verify_manifest(root, subset=subset, rehash=rehash)
            report.raise_if_bad()

    if read_headers:
        recordings = _read_headers(recordings, skip_unreadable, notes)

    properties = None
    if features.is_file():
        # animal ids follow the file order of all sex recordings, readable or not
        properties, prop_notes = load_properties(
            features, sex_codes=sex_codes, on_missing=on_missing, recordings=pd.DataFrame(sex_rows)
        )
        notes.extend(prop_notes)

    gt_dir = root / "ground_truth"
    ground_truth = config = oracle = None
    kind = "real"
    if (gt_dir / "config.json").is_file():
        kind = "synthetic"
        config = json.loads((gt_dir / "config.json").read_text())
        if (gt_dir / "oracle.json").is_file():
            oracle = json.loads((gt_dir / "oracle.json").read_text())
        if (gt_dir / "calls.csv").is_file():
            ground_truth = pd.read_csv(gt_dir / "calls.csv", dtype={"strain": str}, low_memory=False)
            ground_truth["strain"] = ground_truth.strain.fillna("")
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return Dataset(root, kind, recordings, properties, ground_truth, config, oracle, report, notes)


# ---------------------------------------------------------------------------------------------
# a user's own recordings


def load_user_recordings(
    manifest_csv: str | os.PathLike, *, read_headers: bool = True, skip_unreadable: bool = False
) -> Dataset:
    """Load recordings listed in a CSV with columns ``path, animal`` and ``sex`` and/or ``group``.

    Relative paths are taken from the CSV's folder. Every row must name an existing file, and
    an animal must have one sex (or group) throughout.
    """
    manifest_csv = Path(manifest_csv)
    if not manifest_csv.is_file():
        raise DatasetError(f"{manifest_csv}: no such file - write a CSV with columns path,animal,sex")
    try:
        table = pd.read_csv(manifest_csv, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DatasetError(f"{manifest_csv}: cannot be read as CSV ({exc})") from None
    table.columns = [c.strip().lower() for c in table.columns]
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
    absent = [p for p in table.path if ZIP_SEPARATOR not in p and not Path(p).is_file()]
    if absent:
        raise DatasetError(
            f"{manifest_csv}: {len(absent)} listed file(s) do not exist: "
            + ", ".join(absent[:5])
            + (" ..." if len(absent) > 5 else "")
        )
    if "sex" in table:
        decoded = table.sex.str.strip().str.lower().map(_SEX_WORDS)
        if decoded.isna().any():
            bad = sorted(table.sex[decoded.isna()].astype(str).unique())[:5]
            raise DatasetError(f"{manifest_csv}: unknown sex values {bad} - use female/male (or f/m)")
        table["sex"] = decoded
    else:
        table["sex"] = ""
    if "group" not in table:
        table["group"] = table.sex
    table["group"] = table.group.fillna("").str.strip()
    conflict = table.groupby("animal")["group"].nunique()
    conflict = conflict[conflict > 1]
    if len(conflict):
        raise DatasetError(
            f"{manifest_csv}: animals listed with more than one sex/group: {', '.join(conflict.index[:5])}"
        )
    recordings = pd.DataFrame(
        {
            "recording": [Path(p.split(ZIP_SEPARATOR)[-1]).stem for p in table.path],
            "path": table.path,
            "experiment": table.get("experiment", pd.Series(["user"] * len(table))).fillna("user"),
            "animal": table.animal.str.strip(),
            "sex": table.sex,
            "strain": "",
            "group": table.group,
            "used": True,
        }
    )
    notes: list[str] = []
    if read_headers:
        recordings = _read_headers(recordings, skip_unreadable, notes)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return Dataset(manifest_csv.parent, "user", recordings, notes=notes)


def usv_counts(dataset: Dataset) -> pd.DataFrame:
    """One row per recording with its number of USVs (ground truth, or the properties table)."""
    rec = dataset.recordings.copy()
    if dataset.ground_truth is not None:
        counts = dataset.ground_truth.groupby("animal").size()
    elif dataset.properties is not None and "animal" in dataset.properties:
        counts = dataset.properties.groupby("animal").size()
    else:
        counts = pd.Series(dtype=int)
    rec["n_usvs"] = rec.animal.map(counts).astype("Int64")
    if "duration_s" in rec:
        rec["usvs_per_min"] = (rec.n_usvs / (rec.duration_s / 60)).astype(float).round(1)
    cols = [c for c in ("recording", "experiment", "group", "used", "duration_s", "n_usvs", "usvs_per_min") if c in rec]
    return rec[cols]
