"""Attribute single USVs to the group of the mouse that made them: train on your labelled
recordings, keep the classifier in one file, apply it to new recordings.

* ``train_classifier(dataset)``: the CPU sex network of the paper's pipeline (``CallCNN`` on call
  images, the default profile's schedule) cross-validated leave-one-animal-out on a user's
  dataset (``load_user_recordings``: any grouping - sex, strain, genotype - with two or more
  groups), then fitted on every animal. The cross-validated balanced accuracy comes with a 95 %
  interval over animals and a permutation test that keeps each animal's USVs together.
* ``TrainedClassifier.save(path)`` / ``load_classifier(path)``: one self-describing file - the
  weights, the classes, the detector's and the spectrogram's settings, the input scaling, the
  training animals and their calls, the cross-validated accuracy and the usvlib version. It is
  read with ``torch.load(weights_only=True)``: loading it runs no code.
* ``usvlib.predict.predict_calls(classifier, recordings)``: one row per call with the probability of each group,
  and one row per recording with its calls' mean probabilities and the share assigned to each
  group (a Wilson interval over its calls).

Example
-------
>>> import usvlib
>>> ds = usvlib.load_user_recordings("mine.csv", group_column="genotype")  # doctest: +SKIP
>>> clf = usvlib.train_classifier(ds)  # doctest: +SKIP
>>> clf.cv["balanced_accuracy"], clf.cv["ci_low"], clf.cv["ci_high"]  # doctest: +SKIP
>>> clf.save("genotype.usvmodel")  # doctest: +SKIP
>>> clf = usvlib.load_classifier("genotype.usvmodel")  # doctest: +SKIP
>>> calls, per_recording = usvlib.predict_calls(clf, ["new.wav"])  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from usvlib._io import atomic_path
from usvlib._parallel import default_workers
from usvlib.call_images import CALL_IMAGE_HARMONICS, CALL_IMAGE_SHAPE, call_images
from usvlib.crossval import cross_validate, leave_one_animal_out
from usvlib.crossval.inference import multiclass_statistics
from usvlib.crossval.runner import fold_threads
from usvlib.dataset import Dataset
from usvlib.detect import DetectorParams
from usvlib.errors import DatasetError, UsvlibError, permission_denied
from usvlib.metrics import balanced_accuracy
from usvlib.models.cnn import CallCNN
from usvlib.paths import cache_dir
from usvlib.products import ExtractParams
from usvlib.schedule import Schedule, Stage
from usvlib.train import fit_network, predict_scores

MODEL_FORMAT = 1
"""Version of the saved file's layout; a file of another version is refused."""

SCHEDULE = Schedule(stages=(Stage(1, 3e-3, 0.2), Stage(1, 3e-4, 0.2)), select_on_validation=False)
"""The default profile's CNN schedule, without choosing an epoch on validation animals (a
user's study may have too few animals to spare some): every fold and the final network train
the same stages."""

UPDATES_PER_STAGE = 125
"""Weight updates of each stage: the default profile's (8 000 training calls, batches of 64).
A smaller study trains more epochs, so that its network sees as many batches."""


def schedule_for(n_train: int, schedule: Schedule = SCHEDULE, *, updates: int = UPDATES_PER_STAGE) -> Schedule:
    """``schedule`` with each stage's epochs raised to about :data:`UPDATES_PER_STAGE` updates.

    Parameters
    ----------
    n_train : int
        Training calls.
    schedule : Schedule
    updates : int
        Weight updates wanted per stage.

    Returns
    -------
    Schedule
        At least the given epochs per stage.
    """
    batches = max(1, math.ceil(n_train / schedule.batch_size))
    epochs = max(1, round(updates / batches))
    stages = tuple(dataclasses.replace(s, epochs=max(s.epochs, epochs)) for s in schedule.stages)
    return dataclasses.replace(schedule, stages=stages)


MIN_ANIMALS_PER_GROUP = 2


@dataclass
class TrainedClassifier:
    """A network that assigns single USVs to groups, and everything needed to apply it again."""

    model: torch.nn.Module
    classes: tuple[str, ...]
    image_scale: float  # the 100 x 100 images are divided by this (their SD in the training data)
    call_scale: float  # the call images are divided by this (their fundamental band's SD)
    detector: dict  # DetectorParams the calls were found with (and new recordings are)
    extract: dict  # the spectrogram settings the images were made with
    animals: pd.DataFrame  # the training animals: animal, group, n_usvs
    cv: dict | None  # leave-one-animal-out: balanced_accuracy, ci_low, ci_high, p_value, confusion, ...
    seed: int = 0
    usvlib_version: str = ""
    schedule: dict = field(default_factory=dict)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the classifier to one file (atomically: a temporary name, then renamed).

        Parameters
        ----------
        path : path

        Returns
        -------
        Path
        """
        meta = {
            "format": MODEL_FORMAT,
            "classes": list(self.classes),
            "image_scale": self.image_scale,
            "call_scale": self.call_scale,
            "detector": self.detector,
            "extract": self.extract,
            "animals": self.animals.to_dict(orient="records"),
            "cv": self.cv,
            "seed": self.seed,
            "usvlib_version": self.usvlib_version,
            "schedule": self.schedule,
            "network": {"name": "CallCNN", "heads": _heads(len(self.classes)), "input_shape": _input_shape()},
        }
        path = Path(path)
        with atomic_path(path) as tmp:
            torch.save({"state_dict": self.model.state_dict(), "meta": json.dumps(meta, default=float)}, tmp)
        return path

    def predict_proba(self, images: np.ndarray, duration_s, centre_hz) -> np.ndarray:
        """Probability of each class for calls given by their 100 x 100 images.

        Parameters
        ----------
        images : ndarray (N, 100, 100)
            As ``recording_products`` makes them.
        duration_s, centre_hz : array-like (N,)
            Each call's duration and mean frequency (``mean_freq_hz``).

        Returns
        -------
        ndarray (N, len(classes))
        """
        x = _call_inputs(images, duration_s, centre_hz, self.image_scale, self.call_scale)
        with torch.no_grad():
            return predict_scores(self.model, x, n_classes=len(self.classes))


def _heads(n_classes: int) -> tuple[int, ...]:
    return (1,) if n_classes == 2 else (n_classes,)


def _input_shape() -> list[int]:
    return [len(CALL_IMAGE_HARMONICS), *CALL_IMAGE_SHAPE]


def _call_inputs(images, duration_s, centre_hz, image_scale: float, call_scale: float) -> np.ndarray:
    scaled = np.asarray(images, np.float32) / np.float32(image_scale)
    calls = call_images(
        scaled, np.asarray(duration_s, float), np.asarray(centre_hz, float), harmonic=CALL_IMAGE_HARMONICS
    )
    return calls / np.float32(call_scale)


def _version() -> str:
    import usvlib

    return usvlib.__version__


def _extract_settings(params: ExtractParams) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(params.spectrogram), default=str))


def _check_model_file(path: Path) -> None:
    """Refuse an empty, foreign or damaged file before torch reads it: torch does not check the
    CRCs of its zip, so damaged weights would load and predict."""
    import zipfile

    if path.stat().st_size == 0:
        raise UsvlibError(f"{path}: is empty - copy it again, or retrain with 'usvlib train'")
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except zipfile.BadZipFile:
        raise UsvlibError(
            f"{path}: damaged or not a usvlib classifier - give the file 'usvlib train' wrote, copied again"
        ) from None
    except PermissionError:
        raise UsvlibError(permission_denied(path)) from None
    except Exception as exc:  # a damaged member raises what its decompressor raises (zlib.error, ...)
        raise UsvlibError(f"{path}: damaged ({type(exc).__name__}) - copy it again, or retrain") from None
    if damaged is not None:
        raise UsvlibError(f"{path}: damaged (the checksum of {damaged} fails) - copy it again, or retrain")


def load_classifier(path: str | os.PathLike) -> TrainedClassifier:
    """Read a classifier saved by :meth:`TrainedClassifier.save` (no code is executed).

    Parameters
    ----------
    path : path

    Returns
    -------
    TrainedClassifier

    Raises
    ------
    UsvlibError
        If the file is missing, not a usvlib classifier, of another format version, or made with
        spectrogram settings this version does not make.
    """
    path = Path(path)
    if path.is_dir():
        raise UsvlibError(f"{path}: is a folder - give the classifier's file, the one 'usvlib train -o' wrote")
    if not path.is_file():
        raise UsvlibError(f"{path}: no such file - train one with 'usvlib train MANIFEST.csv -o {path.name}'")
    _check_model_file(path)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        meta = json.loads(saved["meta"])
    except Exception as exc:  # torch raises many kinds for a file that is not one of its own
        raise UsvlibError(
            f"{path}: not a usvlib classifier ({type(exc).__name__}) - give the file 'usvlib train' wrote"
        ) from None
    if meta.get("format") != MODEL_FORMAT:
        raise UsvlibError(
            f"{path}: a classifier of file format {meta.get('format')} (usvlib {meta.get('usvlib_version', '?')}); "
            f"this usvlib ({_version()}) reads format {MODEL_FORMAT} - retrain it with 'usvlib train'"
        )
    if meta["extract"] != _extract_settings(ExtractParams()):
        raise UsvlibError(
            f"{path}: made with other spectrogram settings than this usvlib ({_version()}) uses - retrain it "
            "with 'usvlib train' so that new calls are seen as the training calls were"
        )
    if meta["network"]["input_shape"] != _input_shape():
        raise UsvlibError(f"{path}: its network reads inputs of another shape than this usvlib makes - retrain it")
    classes = tuple(meta["classes"])
    model = CallCNN(heads=_heads(len(classes)))
    model.load_state_dict(saved["state_dict"])
    return TrainedClassifier(
        model=model.eval(),
        classes=classes,
        image_scale=float(meta["image_scale"]),
        call_scale=float(meta["call_scale"]),
        detector=meta["detector"],
        extract=meta["extract"],
        animals=pd.DataFrame(meta["animals"]),
        cv=meta["cv"],
        seed=int(meta["seed"]),
        usvlib_version=meta["usvlib_version"],
        schedule=meta["schedule"],
    )


def _check_groups(table: pd.DataFrame, where: str) -> tuple[str, ...]:
    per_group = table.groupby("group").animal.nunique()
    if len(per_group) < 2:
        raise DatasetError(
            f"{where}: all recordings belong to one group ({', '.join(per_group.index)}) - a classifier needs two "
            "or more groups"
        )
    few = per_group[per_group < MIN_ANIMALS_PER_GROUP]
    if len(few):
        listed = ", ".join(f"{g} ({n})" for g, n in few.items())
        raise DatasetError(
            f"{where}: group(s) with fewer than {MIN_ANIMALS_PER_GROUP} animals: {listed} - leave-one-animal-out "
            "needs at least two animals per group; add recordings of other animals"
        )
    return tuple(sorted(per_group.index))


def train_classifier(
    dataset: Dataset,
    *,
    seed: int = 0,
    cross_validate_first: bool = True,
    workers: int | None = None,
    threads: int = 1,
    detector: DetectorParams = DetectorParams(),
    experiment: str | None = None,
    updates_per_stage: int = UPDATES_PER_STAGE,
    progress: bool = True,
) -> TrainedClassifier:
    """Cross-validate the CPU network leave-one-animal-out, then fit it on every animal.

    Parameters
    ----------
    dataset : Dataset
        A user's recordings (:func:`~usvlib.user.load_user_recordings`) or any dataset whose
        recordings carry ``animal`` and ``group``.
    seed : int
        Drives the initial weights, the batch order and the statistics' resampling.
    cross_validate_first : bool
        Estimate the accuracy on new animals first (one network per animal left out).
    workers : int, optional
        Folds trained at once (default: one per CPU, at most 8); the numbers do not depend on it.
    threads : int
        torch threads of each fold.
    detector : DetectorParams
        How the calls are found (kept in the file: new recordings are detected the same way).
    experiment : str, optional
        Only the recordings of this experiment (the Donders data: ``"sex"`` or ``"strain"``).
    updates_per_stage : int
        Weight updates of each stage of the schedule at least (:func:`schedule_for`); fewer train
        faster and worse.
    progress : bool

    Returns
    -------
    TrainedClassifier

    Raises
    ------
    DatasetError
        For fewer than two groups, or a group with fewer than two animals.
    """
    from usvlib.extract import extract_dataset

    found = extract_dataset(
        dataset,
        calls="detect",
        detector=detector,
        experiments=None if experiment is None else (experiment,),
        progress=progress,
    )
    table = found.table
    if experiment is not None:
        table = table[table.experiment == experiment]
    table = table.reset_index(drop=True)
    if table.empty:
        raise DatasetError(f"{dataset.root}: no calls were detected in any recording - nothing to learn from")
    classes = _check_groups(table, str(dataset.source or dataset.root))
    labels = table.group.map({c: i for i, c in enumerate(classes)}).to_numpy(int)
    images = found.array("images", table.usv.to_numpy()).astype(np.float32)
    image_scale = max(float(images.std()), 1e-12)
    raw_calls = call_images(
        images / np.float32(image_scale),
        table.duration_s.to_numpy(float),
        table.mean_freq_hz.to_numpy(float),
        harmonic=CALL_IMAGE_HARMONICS,
    )
    call_scale = max(float(raw_calls[:, 0].std()), 1e-12)
    x = raw_calls / np.float32(call_scale)
    animals = table.animal.to_numpy()
    k = len(classes)

    def fit(train_idx: np.ndarray) -> torch.nn.Module:
        torch.manual_seed(seed)
        model = CallCNN(heads=_heads(k))
        schedule = schedule_for(len(train_idx), updates=updates_per_stage)
        fit_network(model, x[train_idx], labels[train_idx], schedule, n_classes=k, seed=seed, images=False)
        return model

    cv = None
    if cross_validate_first:
        folds = leave_one_animal_out(animals)

        def fit_predict(fold):
            return predict_scores(fit(fold.train), x[fold.test], n_classes=k), {"n_train": len(fold.train)}

        result = cross_validate(
            "user-classifier",
            fit_predict,
            folds,
            labels,
            config={
                "extraction": found.path.name,
                "experiment": experiment,
                "classes": list(classes),
                "seed": seed,
                "k": k,
                "updates": updates_per_stage,
            },
            code=_classifier_code(),
            classes=tuple(range(k)),
            cache=cache_dir() / "cv",
            progress=progress,
            animals=animals,
            workers=default_workers() if workers is None else workers,
            threads=threads,
        )
        y, pred = result.predictions.y_true.to_numpy(), result.predictions.y_pred.to_numpy()
        stats = multiclass_statistics(y, pred, animals[result.predictions["index"].to_numpy()], k, seed=seed)
        confusion = pd.crosstab(
            pd.Categorical(y, categories=range(k)), pd.Categorical(pred, categories=range(k)), dropna=False
        ).to_numpy()
        cv = {
            "balanced_accuracy_pooled": balanced_accuracy(y, pred),
            **stats,
            "chance": 1.0 / k,
            "confusion": confusion.tolist(),
            "confusion_axes": "rows: true class, columns: predicted, in the order of classes",
            "n_folds": len(folds),
        }
    with fold_threads(threads):
        model = fit(np.arange(len(x))).eval()
    counts = table.groupby(["animal", "group"], sort=True).size().rename("n_usvs").reset_index()  # the training animals
    return TrainedClassifier(
        model=model,
        classes=classes,
        image_scale=image_scale,
        call_scale=call_scale,
        detector=dataclasses.asdict(detector),
        extract=_extract_settings(ExtractParams()),
        animals=counts,
        cv=cv,
        seed=seed,
        usvlib_version=_version(),
        schedule={
            "stages": [dataclasses.asdict(s) for s in schedule_for(len(x), updates=updates_per_stage).stages],
            "batch_size": SCHEDULE.batch_size,
        },
    )


def _classifier_code() -> str:
    from usvlib._fingerprint import dependency_fingerprint

    return dependency_fingerprint(train_classifier, _call_inputs)
