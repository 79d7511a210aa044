"""The study of one experiment: what every classifier of Figs 3-8 needs, aligned row by row.

``load_study(dataset, profile)`` extracts (or opens the cached) per-USV products of the
experiment's used recordings and gathers the network inputs (100 x 100 images, call images,
the spectral line and marginals), the paper's nine properties (a labeller's where the data have
them), the labels and the animals. The figures' analyses take a :class:`Study`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib.call_images import CALL_IMAGE_HARMONICS, call_images
from usvlib.crossval import Fold, leave_one_animal_out
from usvlib.dataset import Dataset
from usvlib.errors import ConfigError
from usvlib.extract import extract_dataset
from usvlib.paper.profiles import Profile, get_profile
from usvlib.properties import PAPER_TABLE_COLUMNS, PROPERTY_COLUMNS
from usvlib.synth.diagnostics import latent_table

EXPERIMENT_CLASSES = {"sex": ("female", "male"), "strain": ("control", "cortexless")}
"""The two classes of each of the paper's experiments (negative, positive)."""


@dataclass
class Study:
    """Everything the classifiers of one experiment need, aligned row by row.

    Attributes
    ----------
    profile : Profile
    table : DataFrame
        One row per USV: animal, sex/group and the extraction's columns.
    images : ndarray (N, 1, 100, 100) float32
        The paper's network images, scaled to unit standard deviation (one scalar for all).
    calls : ndarray (N, 2, 48, 32) float32
        Call images (``usvlib.call_images``): the fundamental's band (unit SD) and the
        second harmonic's, on one scale.
    sequences : (ndarray (N, 2, 100), ndarray (N, 1, 233))
        Spectral line and time marginal; frequency marginal (each normalised).
    properties : DataFrame
        The paper's nine (``properties.PAPER_TABLE_COLUMNS``): a labeller's where the data have
        them, else usvlib's estimates; missing values filled with the median.
    labels : ndarray of int
        The index of each USV's class in ``classes``: for the paper's experiments 1 for the
        positive class (male, cortexless), 0 for the other.
    classes : tuple of str
        The paper's (negative, positive); for a user's experiment its groups in sorted order.
    human_labels : bool
        Whether the six labels are a labeller's.
    key : str
        Identifies the data for the caches.
    extraction_path : Path
    latents : DataFrame or None
        Synthetic data: the generator's parameters as the sound shows them.
    """

    profile: Profile
    table: pd.DataFrame
    images: np.ndarray
    calls: np.ndarray
    sequences: tuple
    properties: pd.DataFrame
    labels: np.ndarray
    classes: tuple
    human_labels: bool
    key: str
    extraction_path: Path | None = None
    latents: pd.DataFrame | None = None

    @property
    def animals(self) -> np.ndarray:
        """The animal of each USV."""
        return self.table.animal.to_numpy()

    @property
    def groups(self) -> np.ndarray:
        """The group (class name) of each USV."""
        return self.table.group.to_numpy()

    def animal_folds(self) -> list[Fold]:
        """Leave-one-animal-out folds, in file order."""
        return leave_one_animal_out(self.animals)

    def control_folds(self) -> list[Fold]:
        """The folds the breaks control runs on (every n-th animal of the profile)."""
        return self.animal_folds()[:: self.profile.training.control_every]

    def example_fold(self) -> str:
        """The representative left-out animal of Fig 3B-C (the first female, as the paper)."""
        folds = self.animal_folds()
        return next((f.name for f in folds if f.name.lower().startswith("rfem")), folds[0].name)


def load_study(
    dataset: Dataset,
    profile: str | Profile,
    *,
    experiment: str = "sex",
    calls: str | pd.DataFrame = "auto",
    progress: bool = True,
) -> Study:
    """Extract (or open the cached) per-USV products and assemble a :class:`Study`.

    Synthetic data use their true call times and the human-label table (joined on the USV id);
    real data use the detected calls and usvlib's automatic property estimates, since the real
    table carries no call times to join on.

    Parameters
    ----------
    dataset : Dataset
    profile : str or Profile
    experiment : str
        The paper's ``"sex"`` or ``"strain"``, or an experiment of a user's manifest (``"user"``
        by default), whose classes are its groups.
    calls : {"auto", "detect", "truth"} or DataFrame
        Where the call times come from (:func:`usvlib.extract.extract_dataset`).
    progress : bool

    Returns
    -------
    Study

    Raises
    ------
    ConfigError
        For an experiment the dataset does not have, or one with fewer than two groups.
    """
    profile = get_profile(profile)
    if experiment not in EXPERIMENT_CLASSES and experiment not in set(dataset.recordings.experiment):
        have = sorted(set(EXPERIMENT_CLASSES) | set(dataset.recordings.experiment))
        raise ConfigError(f"unknown experiment {experiment!r}: one of {', '.join(have)}")
    found = extract_dataset(dataset, experiments=(experiment,), calls=calls, progress=progress)
    table = found.table[found.table.experiment == experiment].reset_index(drop=True)
    images = found.array("images", table.usv.to_numpy())[:, None]
    images /= max(float(images.std()), 1e-12)  # one scalar for all images, no label involved
    duration_s, centre_hz = table.duration_s.to_numpy(float), table.mean_freq_hz.to_numpy(float)
    call_inputs = call_images(images[:, 0], duration_s, centre_hz, harmonic=CALL_IMAGE_HARMONICS)
    call_inputs /= max(float(call_inputs[:, 0].std()), 1e-12)  # one scalar: the bands keep their relative level
    line = found.array("spectral_line", table.usv.to_numpy())
    line = np.nan_to_num((line - 70_000.0) / 20_000.0)
    tmarg = found.array("time_marginal", table.usv.to_numpy())
    fmarg = found.array("freq_marginal", table.usv.to_numpy())
    tmarg /= np.maximum(tmarg.max(axis=1, keepdims=True), 1e-12)
    fmarg /= np.maximum(fmarg.max(axis=1, keepdims=True), 1e-12)
    sequences = (np.stack([line, tmarg], axis=1).astype(np.float32), fmarg[:, None].astype(np.float32))

    human = dataset.properties is not None and "truth_call_id" in table and experiment == "sex"
    if human:
        props = dataset.properties.set_index("usv_id").reindex(table.truth_call_id.to_numpy())
        props = props[list(PAPER_TABLE_COLUMNS)].reset_index(drop=True)
        human = bool(props.notna().all(axis=None))
    if not human:
        props = table[list(PROPERTY_COLUMNS)].set_axis(list(PAPER_TABLE_COLUMNS), axis=1)
    props = props.astype(float).fillna(props.astype(float).median())
    classes = EXPERIMENT_CLASSES.get(experiment) or tuple(sorted(table.group.astype(str).unique()))
    if len(classes) < 2:
        raise ConfigError(f"experiment {experiment!r} has one group ({', '.join(classes)}): a classifier needs two")
    labels = pd.Categorical(table.group.astype(str), categories=classes).codes.astype(int)
    key = hashlib.sha256(f"{found.path.name}|{experiment}|{human}".encode()).hexdigest()[:12]
    latents = latent_table(dataset, table) if experiment == "sex" else None
    return Study(
        profile, table, images, call_inputs, sequences, props, labels, classes, human, key, found.path, latents
    )
