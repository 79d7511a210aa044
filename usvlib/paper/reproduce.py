"""Run the paper's notebooks in order, and what each notebook needs to find its way.

``run()`` is what ``make reproduce`` and ``usvlib reproduce`` call: it makes sure the data are
there (generating the profile's synthetic dataset once when no ``data_dir`` is given), executes
``notebooks/NN_*.ipynb`` with papermill (parameters ``profile``, ``seed``, ``data_dir``,
``out_dir``; working directory the project root), writes the executed copies to
``build/<run>/notebooks/``, figures to ``<out>/figures/`` and numbers to ``<out>/results/``.

The default profile on synthetic data writes to the project's committed ``figures/`` and
``results/`` (and the numbers table of ``README.md``); every other run writes under
``build/<profile>-<dataset>/`` unless an output folder is given, so a test never overwrites what
the README shows.

Inside a notebook, ``notebook_context(...)`` loads the dataset and returns a
:class:`NotebookContext` with the output folders and a ``record`` that fills in the dataset
and profile of every number.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from usvlib._io import atomic_path, check_output_folder
from usvlib.crossval.inference import accuracy_statistics
from usvlib.dataset import Dataset, load_dataset
from usvlib.errors import DatasetError, NotebookError
from usvlib.paper.profiles import Profile, get_profile
from usvlib.paper.results import ResultsStore
from usvlib.paths import notebooks_dir, project_root, synthetic_dir


def _stale_reason(root: Path, profile: Profile) -> str | None:
    """Why an existing synthetic dataset does not match ``profile`` and the current model."""
    from dataclasses import asdict

    from usvlib.synth import generator_fingerprint
    from usvlib.synth.model import SynthModel
    from usvlib.synth.oracle import model_fingerprint

    cfg_path = root / "ground_truth" / "config.json"
    if not (root / "MANIFEST.txt").is_file() or not cfg_path.is_file():
        return "incomplete"
    cfg = json.loads(cfg_path.read_text())
    if cfg.get("model_fingerprint") != model_fingerprint(SynthModel()):
        return "the generative model changed"
    if cfg.get("generator_fingerprint") != generator_fingerprint():
        return "the generator's code changed"
    if cfg.get("seed") != profile.seed or cfg.get("scale") != asdict(profile.synth):
        return "the profile's seed or scale changed"
    return None


def prepare_synthetic(profile: str | Profile, *, progress: bool = True) -> Path:
    """The profile's synthetic dataset, generated now if absent or out of date."""
    from usvlib.synth.generate import generate_dataset

    profile = get_profile(profile)
    root = synthetic_dir(profile.name)
    if root.exists():
        reason = _stale_reason(root, profile)
        if reason is None:
            return root
        if progress:
            print(f"regenerating {root}: {reason}")
    elif progress:
        print(f"generating the synthetic dataset of profile '{profile.name}' in {root}")
    return generate_dataset(
        root, profile.synth, seed=profile.seed, name=profile.name, overwrite=True, progress=progress
    )


def dataset_label(dataset: Dataset) -> str:
    """'synthetic' or 'real', as results are labelled."""
    return "synthetic" if dataset.is_synthetic else "real"


def default_out_dir(profile: Profile, label: str) -> Path:
    """Where a run's figures and numbers go (see the module docstring)."""
    if profile.name == "default" and label == "synthetic":
        return project_root()
    return project_root() / "build" / f"{profile.name}-{label}"


def list_notebooks(only: list[str] | None = None) -> list[Path]:
    """``notebooks/NN_*.ipynb`` in order, optionally only those whose NN is in ``only`` (numbers
    such as ``"3"`` or ``"03"``, or names such as ``"03_dnn_sex"``)."""
    books = sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = set()
        for x in only:
            m = re.fullmatch(r"(\d{1,2})(_\w*)?(\.ipynb)?", str(x))
            if m is None:
                raise NotebookError(
                    f"--only takes notebook numbers such as 00 03 (or names such as 00_dataset), got {x!r}"
                )
            wanted.add(f"{int(m.group(1)):02d}")
        unknown = wanted - {p.name[:2] for p in books}
        if unknown:
            have = ", ".join(p.name[:2] for p in books)
            raise NotebookError(f"no notebook numbered {', '.join(sorted(unknown))} (there are {have})")
        books = [p for p in books if p.name[:2] in wanted]
    return books


def execute_notebook(notebook: Path, target: Path, parameters: dict, *, kernel_name: str | None = None) -> Path:
    """Execute ``notebook`` with papermill into ``target`` (atomically: a failed run leaves a good
    earlier ``target`` alone, keeps its own copy, which holds the traceback, as
    ``<name>.failed.ipynb`` beside it, and raises :class:`NotebookError` naming the cell).

    Parameters
    ----------
    notebook, target : Path
    parameters : dict
        Injected after the notebook's ``parameters`` cell.
    kernel_name : str, optional
        Default: ``python3``, the kernel of the Python that runs this (notebooks name
        ``usvlib``, the project's kernel for JupyterLab, which a bare pip install lacks).

    Returns
    -------
    Path
        ``target``.
    """
    import papermill as pm

    with atomic_path(target) as tmp:
        try:
            pm.execute_notebook(
                str(notebook),
                str(tmp),
                parameters=parameters,
                cwd=str(project_root()),
                kernel_name=kernel_name or "python3",
                progress_bar=False,
                log_output=False,
                # the kernel's own log (a transport warning at start, an interrupt at shutdown)
                # is not the notebook's output: errors still reach the cells
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except pm.PapermillExecutionError as exc:
            failed = failed_copy(target)
            os.replace(tmp, failed)  # keep the failed copy, which holds the traceback, beside the good one
            raise _failure(notebook, failed, exc) from None
    failed_copy(target).unlink(missing_ok=True)  # an earlier failure's copy no longer tells the state
    return target


def failed_copy(target: Path) -> Path:
    """Where :func:`execute_notebook` keeps a failed run's notebook."""
    return target.with_name(f"{target.stem}.failed{target.suffix}")


@dataclass
class RunSummary:
    """What a reproduction run did."""

    out_dir: Path
    executed: list[Path] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    models: list[Path] = field(default_factory=list)  # classifiers exported for users (real data)
    report: Path | None = None  # reports/index.html: the executed notebooks as HTML


def export_sex_classifier(
    data_dir: str | os.PathLike,
    path: str | os.PathLike,
    *,
    seed: int = 0,
    cross_validate_first: bool = True,
    progress: bool = True,
) -> Path:
    """Train the sex classifier of ``usvlib.classify`` on a dataset's sex recordings and save it.

    What ``make reproduce DATA=...`` leaves a lab that has the real data: a ready classifier
    (``usvlib predict PATH rec.wav``), with its leave-one-animal-out accuracy inside.

    Parameters
    ----------
    data_dir : path
        A dataset in the Donders layout.
    path : path
        The classifier file to write.
    seed : int
    cross_validate_first : bool
        Estimate its accuracy on new animals first (kept in the file).
    progress : bool

    Returns
    -------
    Path
    """
    import warnings

    from usvlib.classify import train_classifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = load_dataset(data_dir)
    clf = train_classifier(
        dataset, experiment="sex", seed=seed, cross_validate_first=cross_validate_first, progress=progress
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return clf.save(path)


def _failure(nb_path: Path, out_path: Path, exc: Exception) -> NotebookError:
    cell = getattr(exc, "exec_count", None)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    where = f"cell [{cell}]" if cell is not None else "a cell"
    return NotebookError(
        f"notebook {nb_path.name} failed in {where}: {ename}: {evalue} - "
        f"the executed copy with the full traceback is {out_path}"
    )


def run(
    profile: str | Profile = "default",
    data_dir: str | os.PathLike | None = None,
    *,
    only: list[str] | None = None,
    out_dir: str | os.PathLike | None = None,
    kernel_name: str | None = None,
    progress: bool = True,
    export_model: bool | None = None,
    html: bool = True,
) -> RunSummary:
    """Execute the notebooks for ``profile`` on ``data_dir`` (default: the synthetic dataset).

    ``html``: also render the executed notebooks to HTML with an index
    (``usvlib.paper.report``, ``<run>/reports/``). ``export_model`` (default: on real data, when
    every notebook runs) also trains the sex classifier of ``usvlib.classify`` on all sex
    recordings and writes ``<out>/models/sex.usvmodel``.

    Raises
    ------
    NotebookError
        Naming the notebook and cell that failed; the run stops there.
    """
    profile = get_profile(profile)
    books = list_notebooks(only)  # a bad --only is said before any data is generated
    if out_dir is not None:  # an output path that cannot be a folder is said before any work
        check_output_folder(out_dir)
    data = Path(data_dir) if data_dir else prepare_synthetic(profile, progress=progress)
    if not data.is_dir():
        raise DatasetError(f"{data}: no such folder - pass the dataset folder with --data")
    import warnings

    with warnings.catch_warnings():  # its notes are the notebooks' to show; here only: is it a dataset?
        warnings.simplefilter("ignore")
        load_dataset(data, verify="none", read_headers=False)
    label = "synthetic" if (data / "ground_truth" / "config.json").is_file() else "real"
    out = Path(out_dir) if out_dir else default_out_dir(profile, label)
    # the executed copies go with the outputs when a folder was named, else under build/
    executed_dir = out / "notebooks" if out_dir else project_root() / "build" / f"{profile.name}-{label}" / "notebooks"
    executed_dir.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(out_dir=out)
    for nb in books:
        target = executed_dir / nb.name
        started = time.perf_counter()
        if progress:
            # one line per notebook: its name now, its time when it is done
            print(f"{nb.name} ({profile.name}, {label} data) ...", end=" ", flush=True)
        params = {
            "profile": profile.name,
            "seed": profile.seed,
            "data_dir": str(data.resolve()),
            "out_dir": str(out.resolve()),
        }
        try:
            execute_notebook(nb, target, params, kernel_name=kernel_name)
        except BaseException:
            if progress:
                print("failed", flush=True)  # end the notebook's line before the error is told
            raise
        summary.executed.append(target)
        summary.seconds[nb.name] = round(time.perf_counter() - started, 1)
        if progress:
            print(f"{summary.seconds[nb.name]} s", flush=True)
    if html and summary.executed:
        from usvlib.paper.report import render_notebooks

        started = time.perf_counter()
        summary.report = render_notebooks(
            summary.executed,
            executed_dir.parent / "reports",
            title=f"usvlib reproduction: {profile.name} profile, {label} data",
            numbers=out / "results" / "NUMBERS.md",
        )
        summary.seconds["HTML reports"] = round(time.perf_counter() - started, 1)
    if export_model if export_model is not None else (label == "real" and only is None):
        started = time.perf_counter()
        if progress:
            print("sex classifier for your own recordings ...", end=" ", flush=True)
        summary.models.append(
            export_sex_classifier(data, out / "models" / "sex.usvmodel", seed=profile.seed, progress=False)
        )
        summary.seconds["sex classifier"] = round(time.perf_counter() - started, 1)
        if progress:
            print(f"{summary.seconds['sex classifier']} s -> {summary.models[-1]}", flush=True)
    return summary


# ---------------------------------------------------------------------------------------------
# inside a notebook


@dataclass
class NotebookContext:
    """What a notebook needs: the dataset, where outputs go, and how to record numbers."""

    profile: Profile
    dataset: Dataset
    out_dir: Path
    notebook: str = ""

    @property
    def figures_dir(self) -> Path:
        """``<out>/figures``."""
        return self.out_dir / "figures"

    @property
    def results(self) -> ResultsStore:
        """The run's numbers, ``<out>/results``."""
        return ResultsStore(self.out_dir / "results")

    @property
    def label(self) -> str:
        """'synthetic' or 'real'."""
        return dataset_label(self.dataset)

    def record(self, key: str, value: float, **kwargs) -> dict:
        """``ResultsStore.record`` with this run's dataset, profile and notebook filled in."""
        kwargs.setdefault("source", self.notebook)
        kwargs.setdefault("dataset", self.label)  # a number from other data (real clips) says so
        return self.results.record(key, value, profile=self.profile.name, **kwargs)

    def record_cv(self, key: str, result, **extra) -> dict:
        """Record a cross-validated accuracy (``crossval.CVResult``): mean and SD over folds, the
        number of folds, the pooled accuracy and the number of USVs, and ``extra``; with the
        result's animals, a 95 % bootstrap interval over animals and the p-value of relabelled
        animals (``crossval.inference.accuracy_statistics``, seeded by the profile)."""
        stats = accuracy_statistics(result, seed=self.profile.seed)
        over_animals = {} if stats is None else {k: stats[k] for k in ("accuracy_by_animal", "n_animals", "method")}
        return self.record(
            key,
            result.mean,
            sd=result.sd,
            n=len(result.folds),
            ci=None if stats is None else (stats["ci_low"], stats["ci_high"]),
            p_value=None if stats is None else stats["p_value"],
            extra={
                "pooled_balanced_accuracy": result.pooled,
                "n_usvs": len(result.predictions),
                **over_animals,
                **extra,
            },
        )

    def record_over_seeds(self, key: str, values, **extra) -> dict:
        """Record the mean and SD (ddof 1) of one accuracy trained from several seeds (the
        profile's seed first), the values themselves in ``extra["per_seed"]``."""
        values = [float(v) for v in values]
        return self.record(
            key,
            float(np.mean(values)),
            sd=float(np.std(values, ddof=1)) if len(values) > 1 else None,
            n=len(values),
            extra={"per_seed": values, "first_seed": self.profile.seed, **extra},
        )

    def record_identity(self, key: str, result, stats: dict) -> dict:
        """Record which animal a USV comes from: the share named right with its interval over
        animals and permutation test (``paper.runs.identity_summary``), the SD over folds, chance."""
        return self.record(
            key,
            stats["accuracy"],
            sd=float(result.folds.balanced_accuracy.std(ddof=1)),
            n=len(result.predictions),
            ci=(stats["ci_low"], stats["ci_high"]),
            p_value=stats["p_value"],
            extra={
                "chance": stats["chance"],
                "chance_permuted": stats["chance_permuted"],
                "balanced_accuracy": result.mean,
            },
        )

    def save_animation(self, animation, name: str, *, fps: int = 12, dpi: int = 80) -> Path:
        """Save a matplotlib animation as ``figures/<name>.gif`` (Pillow) atomically."""
        from matplotlib.animation import PillowWriter

        path = self.figures_dir / f"{name}.gif"
        with atomic_path(path) as tmp:
            animation.save(tmp, writer=PillowWriter(fps=fps), dpi=dpi)
        return path

    def save_figure(self, fig, name: str, *, dpi: int = 150, pdf: bool = False) -> Path:
        """Save ``fig`` as ``figures/<name>.png`` (and ``.pdf`` for print) atomically and return the
        PNG's path; a figure of synthetic data that does not say so yet is marked "synthetic data"
        in its corner."""
        if self.label == "synthetic" and not _says_synthetic(fig):
            fig.text(0.995, 0.005, "synthetic data", ha="right", va="bottom", fontsize=8, color="#555555")
        path = self.figures_dir / f"{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
        if pdf:
            with atomic_path(path.with_suffix(".pdf")) as tmp:
                fig.savefig(tmp, format="pdf", bbox_inches="tight")
        return path


def _says_synthetic(fig) -> bool:
    """Whether any text of ``fig`` (titles, labels, legends, annotations) names synthetic data."""
    from matplotlib.text import Text

    return any("synthetic data" in t.get_text().lower() for t in fig.findobj(Text))


def notebook_context(
    profile: str = "quick",
    data_dir: str | None = None,
    out_dir: str | None = None,
    *,
    notebook: str = "",
    seed: int | None = None,
) -> NotebookContext:
    """Set a notebook up: load the data (synthetic of ``profile`` when ``data_dir`` is empty).

    Run by hand in JupyterLab without parameters, a notebook uses the quick profile and writes
    under ``build/``.
    """
    from usvlib.paper.plots import apply_style
    from usvlib.paper.profiles import with_seed

    prof = get_profile(profile) if seed is None else with_seed(profile, seed)
    data = Path(data_dir) if data_dir else prepare_synthetic(prof, progress=True)
    dataset = load_dataset(data)
    out = Path(out_dir) if out_dir else default_out_dir(prof, dataset_label(dataset))
    apply_style()
    return NotebookContext(prof, dataset, out, notebook)
