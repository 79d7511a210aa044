"""Cross-validation runners for a study's classifiers: networks, linear models, references.

``network_cv`` (the CNNs, the properties MLP, the semi-convolutional network) and ``linear_cv``
(ridge and the linear SVM on pixels or properties; the reference classifiers are in
``usvlib.paper.references``) run ``usvlib.crossval.cross_validate`` on a
:class:`~usvlib.paper.study.Study`, every fold cached.
Each run's cache key holds its configuration and the fingerprint of exactly the code that defines
its fit (``*_CODE``): editing a figure's analysis or a record function retrains nothing.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch

from usvlib._fingerprint import dependency_fingerprint
from usvlib._io import array_digest, atomic_path
from usvlib._parallel import default_workers
from usvlib.crossval import CVResult, Fold, cached_runs, cross_validate, run_folder, validation_split
from usvlib.extract import extract_dataset
from usvlib.models.cnn import CallCNN, EfficientCNN, PaperCNN
from usvlib.models.linear import BalancedLinearSVC, RidgeClosedForm, balance_by_subsampling
from usvlib.models.mlp import PropertiesMLP, SemiConvNet
from usvlib.paper import study as study_module
from usvlib.paper.profiles import Profile
from usvlib.paper.study import Study
from usvlib.paths import cache_dir
from usvlib.train import fit_network, held_out_curve_monitor, predict_scores

MULTI_HEAD_FC = 256
"""Units of the shared fully connected layer of the CPU network when it has several heads."""


def make_cnn(profile: Profile, heads=(1,), *, inputs: str = "images") -> torch.nn.Module:
    """The profile's network for ``inputs`` ("images": the canvas images, "calls": call images).

    Parameters
    ----------
    profile : Profile
    heads : tuple of int
        Outputs of each head (1 for a binary task).
    inputs : {"images", "calls"}

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        For call images with the paper's network, or several heads on it.
    """
    if inputs == "calls":
        if profile.training.network != "efficient":
            raise ValueError("call images are read by the efficient network only")
        return CallCNN(heads=heads) if len(heads) == 1 else CallCNN(heads=heads, fc=MULTI_HEAD_FC)
    if profile.training.network == "paper":
        if len(heads) != 1:
            raise ValueError("the paper's network has one head: train one network per property")
        return PaperCNN(n_outputs=heads[0], filters=profile.training.paper_filters)
    # several heads share the last layer: 64 units were too few for six properties (direction
    # 44 % vs 58 % for a network of its own, on 2 folds); 256 gets most of it back (52 %) at
    # the same cost; six networks cost five times as much
    return EfficientCNN(heads=heads) if len(heads) == 1 else EfficientCNN(heads=heads, fc=MULTI_HEAD_FC)


def fold_workers(profile: Profile) -> dict:
    """``workers`` and ``threads`` of a profile's cross-validations: every fold on the profile's
    ``threads``, in this process or a worker, so its numbers do not depend on the workers."""
    workers = profile.training.workers
    return {"workers": default_workers() if workers is None else workers, "threads": profile.training.threads}


def _schedule_config(schedule) -> dict:
    return {
        "stages": [(s.epochs, s.lr, s.dropout) for s in schedule.stages],
        "batch": schedule.batch_size,
        "augment": schedule.augment,
        "select": schedule.select_on_validation,
        "freq_shift": schedule.freq_shift_fraction,
    }


def _n_heads_out(n_classes):
    return (
        tuple(1 if k == 2 else k for k in n_classes)
        if isinstance(n_classes, tuple)
        else (1 if n_classes == 2 else n_classes,)
    )


def network_cv(
    study: Study,
    name: str,
    *,
    inputs: str,
    targets: np.ndarray,
    folds: list[Fold],
    n_classes=2,
    by_animal: bool = True,
    seed: int | None = None,
    save_model_of: str | list[str] | None = None,
    monitor_fold: str | None = None,
    progress: bool = True,
    eval_labels: np.ndarray | None = None,
) -> CVResult:
    """Cross-validate a network (``inputs``: "images", "calls", "properties" or "semiconv").

    Call images are not augmented: a time shift would move a call against its own extent, and
    gain and noise did no better (on 8 left-out animals: 69.5 % with the augmentation, 71.5 %
    without; docs/classifiers.md).

    Parameters
    ----------
    study : Study
    name : str
        The analysis (``fig3-dnn``): with the configuration it names the run's cache folder.
    inputs : {"images", "calls", "properties", "semiconv"}
    targets : ndarray of int
        The class of each USV (one column per head for several heads).
    folds : list of Fold
    n_classes : int or tuple of int
        Classes of the task, or of each head.
    by_animal : bool
        Validation animals held out of training (else 10 % of the training USVs).
    seed : int, optional
        Default: the profile's.
    save_model_of : str or list of str, optional
        The fold (or folds) whose trained network is kept in the run's folder.
    monitor_fold : str, optional
        The fold whose test accuracy is recorded after every epoch (Fig 3B).
    progress : bool
    eval_labels : ndarray, optional
        What the predictions are scored against (the true labels of a shuffled-label control).

    Returns
    -------
    CVResult
    """
    p = study.profile
    seed = p.seed if seed is None else seed
    convolutional = inputs in ("images", "calls")
    schedule = p.training.schedule if convolutional else p.training.small_schedule
    props = study.properties.to_numpy(np.float32)
    folder = cache_dir() / "cv"
    config = {
        "study": study.key,
        "inputs": inputs,
        "n_classes": n_classes,
        "network": p.training.network,
        **({"filters": p.training.paper_filters} if p.training.network == "paper" else {}),
        "schedule": _schedule_config(schedule),
        "seed": seed,
        "by_animal": by_animal,
        "targets": array_digest(targets),
        "monitor": monitor_fold,
        "monitor_every": p.training.monitor_every if monitor_fold is not None else None,
        "save": save_model_of,
    }
    run_dir = run_folder(name, config, folds, code=network_code(), cache=folder)
    # the saved network lives in the run's folder: it belongs to these cached results and no other
    kept = [] if save_model_of is None else [save_model_of] if isinstance(save_model_of, str) else list(save_model_of)
    saved = {fold: f"model-{fold}.pt" for fold in kept}

    def data(idx, mean, sd):
        if inputs == "images":
            return study.images[idx]
        if inputs == "calls":
            return study.calls[idx]
        x_props = (props[idx] - mean) / sd
        if inputs == "properties":
            return x_props
        return (x_props, study.sequences[0][idx], study.sequences[1][idx])

    def fit_predict(fold: Fold):
        fit, val = validation_split(
            fold.train, study.animals, targets if targets.ndim == 1 else targets[:, 0], seed=seed, by_animal=by_animal
        )
        mean, sd = props[fit].mean(axis=0), props[fit].std(axis=0) + 1e-6
        heads = _n_heads_out(n_classes)
        # the initial weights come from torch's global generator: seed it here, or they depend
        # on whatever ran before in the process (other folds, other analyses, a resumed run)
        torch.manual_seed(seed)
        if convolutional:
            model = make_cnn(p, heads, inputs=inputs)
        elif inputs == "properties":
            model = PropertiesMLP(props.shape[1], heads[0])
        else:
            model = SemiConvNet(props.shape[1], heads[0])
        curve: list[dict] = []
        monitor = None
        if monitor_fold is not None and fold.name == monitor_fold:
            monitor = held_out_curve_monitor(
                model, data(fold.test, mean, sd), targets[fold.test], curve, n_classes=n_classes
            )
        val_data = (data(val, mean, sd), targets[val]) if schedule.select_on_validation and len(val) else None
        log = fit_network(
            model,
            data(fit, mean, sd),
            targets[fit],
            schedule,
            n_classes=n_classes,
            val=val_data,
            seed=seed,
            images=inputs == "images",
            monitor=monitor,
            monitor_every=p.training.monitor_every,
        )
        scores = predict_scores(model, data(fold.test, mean, sd), n_classes=n_classes)
        if fold.name in saved:
            with atomic_path(run_dir / saved[fold.name]) as tmp:
                torch.save(
                    {
                        "state_dict": model.state_dict(),
                        "network": p.training.network,
                        "inputs": inputs,
                        "heads": heads,
                        "fold": fold.name,
                        "profile": p.name,
                    },
                    tmp,
                )
        info = {
            "best_epoch": log.best_epoch,
            "val": log.val_balanced_accuracy,
            "train_loss": log.train_loss,
            "weight_change": log.weight_change,
            "test_curve": curve,
            "images_seen": log.images_seen,
            "iterations_per_epoch": log.iterations_per_epoch,
            "seconds": log.seconds,
        }
        if isinstance(n_classes, tuple):
            return np.concatenate(scores, axis=1), info
        return scores, info

    labels = targets if eval_labels is None else eval_labels
    if isinstance(n_classes, tuple):  # scored per head by the caller
        labels = np.zeros(len(targets), int)
    # torch's deterministic kernels where an operation has several (warn, not fail, where none is)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        return cross_validate(
            name,
            fit_predict,
            folds,
            labels,
            config=config,
            code=network_code(),
            cache=folder,
            progress=progress,
            fold_files=saved,
            animals=study.animals,
            **fold_workers(p),
        )
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


def linear_cv(
    study: Study,
    name: str,
    model: str,
    *,
    inputs: str,
    targets: np.ndarray,
    folds: list[Fold],
    eval_labels: np.ndarray | None = None,
    n_classes: int = 2,
    progress: bool = True,
) -> CVResult:
    """Cross-validate ridge or the linear SVM on pixels or properties (classes balanced).

    Parameters
    ----------
    study : Study
    name : str
    model : {"ridge", "svm"}
    inputs : {"images", "properties"}
    targets : ndarray of int
    folds : list of Fold
    eval_labels : ndarray, optional
        What the predictions are scored against (shuffled-label controls).
    n_classes : int
        Classes 0..n_classes-1 (more than two: ridge on one-hot targets, the SVM one against the rest).
    progress : bool

    Returns
    -------
    CVResult
    """
    p = study.profile
    x_all = study.images.reshape(len(study.images), -1) if inputs == "images" else study.properties.to_numpy(float)
    limit = p.training.linear_max_train if inputs == "images" else None

    def fit_predict(fold: Fold):
        rng = np.random.default_rng(p.seed)
        train = fold.train[balance_by_subsampling(targets[fold.train], rng)]
        if limit is not None and len(train) > limit:  # a class-balanced subsample within the budget
            per_class = limit // n_classes
            train = np.concatenate(
                [rng.choice(train[targets[train] == c], per_class, replace=False) for c in range(n_classes)]
            )
        est = (
            RidgeClosedForm(balance=False)
            if model == "ridge"
            else BalancedLinearSVC(balance=False, random_state=p.seed)
        )
        mean, sd = x_all[train].mean(axis=0), x_all[train].std(axis=0) + 1e-9
        scale = (lambda x: (x - mean) / sd) if inputs != "images" else (lambda x: x)
        est.fit(scale(x_all[train]), targets[train])
        pred = est.predict(scale(x_all[fold.test]))
        scores = (pred[:, None] == np.arange(n_classes)[None, :]).astype(float)
        info = {"n_train": len(train)}
        if model == "ridge" and inputs != "images":
            info["coef"] = est.coef_.tolist()
        return scores, info

    config = {
        "study": study.key,
        "model": model,
        "inputs": inputs,
        "limit": limit,
        "seed": p.seed,
        **({"n_classes": n_classes} if n_classes != 2 else {}),  # two classes: the published runs' key
        "targets": array_digest(targets),
    }
    labels = targets if eval_labels is None else eval_labels
    return cross_validate(
        name,
        fit_predict,
        folds,
        labels,
        config=config,
        code=linear_code(),
        cache=cache_dir() / "cv",
        progress=progress,
        animals=study.animals,
        **fold_workers(study.profile),
    )


def load_saved_network(study: Study, name: str = "fig3-dnn", fold: str | None = None) -> torch.nn.Module:
    """A network that ``network_cv(..., save_model_of=fold)`` kept (Fig 3's example fold: its
    filters, Figs 6-7), in evaluation mode.

    Raises
    ------
    FileNotFoundError
        If the current code saved none for this study: run the analysis first.
    """
    runs = cached_runs(study.key, name, code=network_code())
    matches = [m for run in runs for m in sorted(run.glob(f"model-{fold or '*'}.pt"))]
    if not matches:
        raise FileNotFoundError(
            f"no network {name} saved by the current code for this study in {cache_dir() / 'cv'}: "
            "run paper.fig3.compute (notebook 03) first"
        )
    saved = torch.load(matches[0], weights_only=False)
    model = make_cnn(study.profile, tuple(saved["heads"]), inputs=saved.get("inputs", "images"))
    model.load_state_dict(saved["state_dict"])
    return model.eval()


@cache
def network_code() -> str:
    """Fingerprint of the code that defines a network fold: this runner, the networks, the
    training and the study's inputs (the extraction has a key of its own, in the study's)."""
    return dependency_fingerprint(study_module.load_study, network_cv, exclude=(extract_dataset,))


@cache
def linear_code() -> str:
    """Fingerprint of the code that defines a ridge or SVM fold."""
    return dependency_fingerprint(study_module.load_study, linear_cv, exclude=(extract_dataset,))
