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
from usvlib.formats import load_properties
from usvlib.manifest import MANIFEST_NAME, VerifyReport, is_listed, read_manifest, verify_manifest

SEX_DIR = "Data/RawRecordings/Sex"
STRAIN_DIR = "Data/RawRecordings/Strain"
STRAIN_ZIP = f"{STRAIN_DIR}/RecordingsCortexless.zip"
FEATURES_DIR = "Data/FIG_USVClassify_BasicAnalysis"
FEATURES_NAME = (
    "features_fileid_animalid_sex_duration_avgfreq_avgvol_direction_peaks_breaks_broadband_tremolo_complex.csv"
)
PAPER_EXCLUDED = ("Rfem_Afem09",)
"""Recordings the paper left out ("female #9 is missing" in the authors' code)."""

_RECORDING_RE = re.compile(r"^R(fem|male)_Afem(\d+)$", re.IGNORECASE)
_CORTEXLESS_WORDS = ("cortexless", "emx", "esco", "cx")
_CONTROL_WORDS = ("control", "ctrl", "wildtype", "wt")


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
    source : Path or None
        The file the dataset was listed in (a user's manifest), for messages; else ``root``.
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
    source: Path | None = None

    @property
    def is_synthetic(self) -> bool:
        return self.kind == "synthetic"

    def used_recordings(self, experiment: str = "sex") -> pd.DataFrame:
        """Recordings of ``experiment`` that analyses use (the paper's exclusions applied)."""
        r = self.recordings
        return r[(r.experiment == experiment) & r.used].reset_index(drop=True)

    def calls(self, experiment: str = "sex", *, used_only: bool = True) -> pd.DataFrame:
        """Ground-truth calls of ``experiment`` (synthetic data only).

        Parameters
        ----------
        experiment : str
        used_only : bool
            Only the calls of the recordings that analyses use.

        Returns
        -------
        DataFrame
            One row per call, with its onset, offset and latent parameters.

        Raises
        ------
        DatasetError
            For a dataset without ground truth (real or user data).
        """
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
    """'cortexless' or 'control' from a path inside the strain archive, or None if unclear.

    Parameters
    ----------
    member : str
        A path inside the archive (or below the strain folder). Its words (split at anything but
        letters and digits, case ignored) are matched by their start: ``cortexless``, ``emx``,
        ``esco`` or ``cx`` mean cortexless; ``control``, ``ctrl``, ``wildtype`` or ``wt`` control.

    Returns
    -------
    str or None
        ``"cortexless"`` or ``"control"``; None when the path names neither group, or both.

    Examples
    --------
    >>> strain_group("Emx1-cre/mouse3.wav"), strain_group("WT/mouse3.wav"), strain_group("mouse3.wav")
    ('cortexless', 'control', None)
    """
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
            "(usvlib.load_user_recordings) with a 'group' column"
        )
    return rows


_GO_ON = "usvlib extract --skip-unreadable, or skip_unreadable=True in Python"
SKIP_UNREADABLE_FIX = f"repair or remove them ({_GO_ON}, goes on without them)"


def read_recording_headers(
    recordings: pd.DataFrame, skip_unreadable: bool, notes: list[str], *, fix: str = SKIP_UNREADABLE_FIX
) -> pd.DataFrame:
    """Add each recording's rate, length and channels (``audio_info``) to ``recordings``.

    Parameters
    ----------
    recordings : DataFrame
        With a ``path`` column.
    skip_unreadable : bool
        Leave out the recordings that cannot be used (each noted in ``notes``) instead of raising.
    notes : list of str
        Appended to.

    Returns
    -------
    DataFrame
        With ``rate_hz``, ``n_frames``, ``duration_s`` and ``n_channels``.

    Raises
    ------
    DatasetError
        Listing every recording that cannot be used, unless ``skip_unreadable``.
    """
    info_rows, problems = [], []
    for r in recordings.itertuples(index=False):
        try:
            info = audio_info(r.path)
            info_rows.append((info.rate_hz, info.n_frames, info.duration_s, info.n_channels))
        except AudioError as exc:
            problems.append(str(exc))
            info_rows.append((np.nan,) * 4)
    info_table = pd.DataFrame(info_rows, columns=["rate_hz", "n_frames", "duration_s", "n_channels"])
    recordings = pd.concat([recordings.reset_index(drop=True), info_table], axis=1)
    if problems:
        if not skip_unreadable:
            raise DatasetError(f"{len(problems)} recording(s) cannot be used: " + "; ".join(problems) + f" - {fix}")
        notes.extend(problems)
        recordings = recordings[recordings.rate_hz.notna()].reset_index(drop=True)
    return recordings


def _is_recording_file(rel: str) -> bool:
    """Whether a manifest path is a file of recordings (the loader can go on without it)."""
    folder, _, name = rel.rpartition("/")
    return rel == STRAIN_ZIP or (folder == SEX_DIR and bool(_RECORDING_RE.match(name.removesuffix(".wav"))))


def _refuse_unlisted(root: Path, recordings: pd.DataFrame) -> None:
    """A recording file the manifest does not list would be used unchecked (a copy renamed into
    the dataset takes another animal's place): refuse it, naming it."""
    listed = {e.path for e in read_manifest(root / MANIFEST_NAME)}
    for path in recordings.path:
        file = str(path).split(ZIP_SEPARATOR, 1)[0]
        try:
            rel = Path(file).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:  # outside the dataset folder: not the manifest's to check
            continue
        if not is_listed(rel, listed):  # listed, or unpacked by hand from the strain archive
            raise DatasetError(
                f"{file}: not in {MANIFEST_NAME}, so it cannot be checked - remove it from the dataset, or "
                f"list it in {MANIFEST_NAME} with its SHA256 if it belongs there"
            )


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
        ``ManifestError`` naming the files, and a recording the manifest does not list a
        ``DatasetError``; a folder without a manifest is loaded unchecked, with a warning.
    rehash : bool
        Hash even files already verified with the same size and modification time.
    exclude : tuple of str
        Recordings marked ``used=False`` (default: the paper's ``Rfem_Afem09``).
    read_headers : bool
        Read every recording's header (rate, length); problems raise a ``DatasetError``
        listing each file, unless ``skip_unreadable``.
    skip_unreadable : bool
        Leave out the recordings whose header cannot be used, or that are missing or corrupted by
        the manifest check (each noted, with a warning), instead of raising.
    sex_codes, on_missing
        Passed to :func:`~usvlib.formats.load_properties`.

    Returns
    -------
    Dataset
        ``kind="synthetic"`` when the folder has ``ground_truth/config.json``, else ``"real"``; the
        notes on what was skipped or inferred are also issued as warnings.

    Raises
    ------
    DatasetError
        If ``root`` is not a folder or holds no sex recordings, if recordings cannot be used (unless
        ``skip_unreadable``), or if the properties table is malformed.
    ManifestError
        If the manifest is damaged, or files it lists for checking are missing or corrupted.

    Examples
    --------
    >>> from usvlib.dataset import load_dataset
    >>> ds = load_dataset("data/synthetic/default")  # doctest: +SKIP
    >>> ds.kind, len(ds.used_recordings("sex"))  # doctest: +SKIP
    ('synthetic', 17)
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
            "(usvlib.load_user_recordings)"
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
            # the recordings it will read are checked against the listing below, one line each
            report = verify_manifest(root, subset=subset, rehash=rehash, unlisted=False)
            fix = ""
            if skip_unreadable:  # the damaged recordings are left out; any other damage still stops
                gone = report.forgive({rel for rel in report.failing() if _is_recording_file(rel)})
                notes.extend(f"{root / rel}: missing or corrupted (fails {MANIFEST_NAME}) - left out" for rel in gone)
                # a recording's file is its own path, or its archive's (archive.zip::member)
                unpacked = recordings.path.map(lambda p: str(p).split(ZIP_SEPARATOR, 1)[0])
                files = unpacked.map(lambda p: Path(os.path.relpath(p, root)).as_posix())
                recordings = recordings[~files.isin(gone).to_numpy()].reset_index(drop=True)
            elif all(_is_recording_file(rel) for rel in report.failing()):
                fix = f"; or go on without them ({_GO_ON})"
            report.raise_if_bad(fix=fix)
            _refuse_unlisted(root, recordings)

    if read_headers:
        recordings = read_recording_headers(recordings, skip_unreadable, notes)

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


def usv_counts(dataset: Dataset) -> pd.DataFrame:
    """One row per recording with its number of USVs (ground truth, or the properties table).

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    DataFrame
        The columns ``recording, experiment, group, used, duration_s, n_usvs, usvs_per_min`` that
        apply: ``n_usvs`` is missing (``<NA>``) for a recording without counts, and ``duration_s``
        and ``usvs_per_min`` (rounded to 0.1) need the recordings' headers.
    """
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
