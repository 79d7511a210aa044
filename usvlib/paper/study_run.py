"""``usvlib study``: the paper's analyses on a user's labelled recordings, as a report.

``run_study(manifest, group, out_dir)`` checks the recordings before any work
(``group_study.check_groups``), executes ``notebooks/study.ipynb`` with papermill, and leaves
under ``out_dir``:

* ``numbers.json`` and ``tables/*.csv`` (group counts, property differences, classifiers,
  confusion matrix, per-animal shares, USV space),
* ``figures/*.png``,
* ``notebooks/study.ipynb`` (executed) and ``reports/index.html`` with ``reports/study.html``:
  the report, readable without Jupyter.

Inside the notebook, ``study_context(...)`` loads and checks the manifest and returns a
:class:`StudyContext`.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from usvlib._io import atomic_path, check_output_folder
from usvlib.dataset import Dataset
from usvlib.errors import DatasetError
from usvlib.paper.group_study import check_groups
from usvlib.paper.profiles import Profile, get_profile, with_seed
from usvlib.paths import notebooks_dir, project_root

STUDY_NOTEBOOK = "study.ipynb"


def demo_manifest(dataset_root: str | os.PathLike, path: str | os.PathLike, *, per_group: int = 3) -> Path:
    """A manifest of ``per_group`` female and male recordings of a synthetic dataset, with a
    second grouping column ``cage`` that carries no signal (three groups by position).

    What the study notebook runs when opened without a manifest, and what the tests use.

    Parameters
    ----------
    dataset_root : path
        A synthetic dataset in the Donders layout (``Data/RawRecordings/Sex/R{fem,male}_*.wav``).
    path : path
        The manifest to write.
    per_group : int

    Returns
    -------
    Path
    """
    sex_dir = Path(dataset_root) / "Data" / "RawRecordings" / "Sex"
    females = sorted(sex_dir.glob("Rfem_*.wav"))[:per_group]
    males = sorted(sex_dir.glob("Rmale_*.wav"))[:per_group]
    if len(females) < per_group or len(males) < per_group:
        raise DatasetError(f"{sex_dir}: fewer than {per_group} female and male recordings")
    files = females + males
    table = pd.DataFrame(
        {
            "path": [str(f.resolve()) for f in files],
            "animal": [f.stem for f in files],
            "sex": ["female"] * per_group + ["male"] * per_group,
            "cage": [f"cage{1 + i % 3}" for i in range(len(files))],
        }
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return path


@dataclass
class StudyContext:
    """What the study notebook needs: the checked recordings, the profile, where outputs go."""

    manifest: Path
    group: str
    dataset: Dataset
    profile: Profile
    out_dir: Path
    groups: pd.DataFrame
    calls: str | pd.DataFrame = "detect"
    data_label: str = ""
    notes: list = field(default_factory=list)

    @property
    def experiment(self) -> str:
        return str(self.dataset.recordings.experiment.iloc[0])

    @property
    def about(self) -> dict:
        """What ``numbers.json`` says the numbers are of."""
        return {
            "manifest": str(self.manifest),
            "group_column": self.group,
            "profile": self.profile.name,
            "seed": self.profile.seed,
            "calls": self.calls if isinstance(self.calls, str) else self.calls.attrs.get("path", "imported"),
            "data": self.data_label,
        }

    def load_study(self, *, progress: bool = True):
        """The :class:`~usvlib.paper.study.Study` of the recordings (detected or imported calls)."""
        from usvlib.paper.study import load_study

        return load_study(self.dataset, self.profile, experiment=self.experiment, calls=self.calls, progress=progress)

    def save_figure(self, fig, name: str, *, dpi: int = 150) -> Path:
        """Save ``fig`` as ``figures/<name>.png`` atomically."""
        path = self.out_dir / "figures" / f"{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
        return path


def _imported_calls(calls: str) -> str | pd.DataFrame:
    if calls in ("", "detect"):
        return "detect"
    from usvlib.formats import read_calls

    table = read_calls(calls)
    table.attrs["path"] = str(calls)
    return table


def study_context(
    manifest: str | os.PathLike = "",
    group: str = "sex",
    out_dir: str | os.PathLike = "",
    *,
    profile: str = "quick",
    seed: int | None = None,
    calls: str = "detect",
) -> StudyContext:
    """Load and check a study's recordings (see :func:`run_study`); no manifest: the demo's.

    Raises
    ------
    DatasetError
        For a manifest that does not load or fails the checks (``group_study.check_groups``),
        or one naming several experiments.
    ConfigError
        For a call table none of whose calls belongs to a listed recording, or whose rows name
        two recordings (``usvlib.extract.imported_calls_per_recording``).
    """
    from usvlib.paper.plots import apply_style
    from usvlib.user import load_user_recordings

    prof = get_profile(profile) if seed is None else with_seed(profile, seed)
    label = f"own recordings ({Path(manifest).name})" if manifest else "synthetic data (demo manifest)"
    if not manifest:
        from usvlib.paper.reproduce import prepare_synthetic

        manifest = demo_manifest(prepare_synthetic("quick"), project_root() / "build" / "study-demo" / "manifest.csv")
    manifest = Path(manifest)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = load_user_recordings(manifest, group_column=group)
    experiments = sorted(set(dataset.recordings.experiment))
    if len(experiments) > 1:
        raise DatasetError(
            f"{manifest}: lists recordings of several experiments ({', '.join(experiments)}) - a study is of "
            "one experiment: write one manifest per experiment"
        )
    groups = check_groups(dataset, where=str(manifest))
    imported = _imported_calls(calls)
    if not isinstance(imported, str):  # whose calls are whose, before any work
        from usvlib.extract import imported_calls_per_recording

        with warnings.catch_warnings(record=True) as unplaced:
            warnings.simplefilter("always")
            imported_calls_per_recording(imported, dataset.recordings)
        caught.extend(unplaced)
    out = Path(out_dir) if out_dir else project_root() / "build" / "study" / manifest.stem
    apply_style()
    return StudyContext(manifest, group, dataset, prof, out, groups, imported, label, [str(w.message) for w in caught])


@dataclass
class StudySummary:
    """What a study run wrote."""

    out_dir: Path
    notebook: Path
    report: Path | None
    seconds: float


def run_study(
    manifest: str | os.PathLike,
    group: str,
    out_dir: str | os.PathLike,
    *,
    profile: str = "default",
    seed: int | None = None,
    calls: str = "detect",
    html: bool = True,
    kernel_name: str | None = None,
    progress: bool = True,
) -> StudySummary:
    """Run the study notebook on a manifest and render its report.

    Parameters
    ----------
    manifest : path
        ``path, animal`` and the grouping column (``usvlib.user.load_user_recordings``).
    group : str
        The column whose values are the groups (``sex``, ``strain``, ``genotype``, ...).
    out_dir : path
        Where numbers, tables, figures and the report go.
    profile : str
        How much the classifiers train (``quick``, ``default``, ``paper``).
    seed : int, optional
        Default: the profile's. Drives the splits, the controls' permutations and the training.
    calls : str
        ``detect``, or a call table of another tool (any format ``usvlib convert`` reads).
    html : bool
        Render the executed notebook to HTML with an ``index.html``.
    kernel_name : str, optional
    progress : bool
        Print the groups found and each step.

    Returns
    -------
    StudySummary

    Raises
    ------
    DatasetError, UsvlibError
        Before any work, for a manifest or call table that cannot be used.
    NotebookError
        Naming the cell that failed.
    """
    from usvlib.paper.reproduce import execute_notebook

    started = time.perf_counter()
    check_output_folder(out_dir)
    ctx = study_context(manifest, group, out_dir, profile=profile, seed=seed, calls=calls)  # checks, before any work
    out = Path(out_dir)
    if progress:
        counts = ", ".join(f"{g.group}: {g.n_animals} animals" for g in ctx.groups.itertuples())
        print(f"{ctx.manifest.name}: {len(ctx.groups)} groups by {group!r} ({counts})", flush=True)
        for note in ctx.notes:
            print(f"note: {note}", flush=True)
        print(f"running the study notebook (profile {ctx.profile.name!r}) ...", end=" ", flush=True)
    params = {
        "manifest": str(Path(manifest).resolve()),
        "group": group,
        "out_dir": str(out.resolve()),
        "profile": ctx.profile.name,
        "seed": ctx.profile.seed,
        "calls": calls if calls in ("", "detect") else str(Path(calls).resolve()),
    }
    target = out / "notebooks" / STUDY_NOTEBOOK
    target.parent.mkdir(parents=True, exist_ok=True)
    execute_notebook(notebooks_dir() / STUDY_NOTEBOOK, target, params, kernel_name=kernel_name)
    if progress:
        print(f"{time.perf_counter() - started:.0f} s", flush=True)
    report = None
    if html:
        from usvlib.paper.report import render_notebooks

        report = render_notebooks(
            [target], out / "reports", title=f"usvlib study of {Path(manifest).name}: groups by {group}"
        )
    return StudySummary(out, target, report, round(time.perf_counter() - started, 1))
