"""The paper's classification analyses (Figs 3-5), as functions the notebooks call.

``load_study(dataset, profile)`` gathers what every classifier needs (images, sequences, the
nine properties, labels, animals), then:

* ``fig3(study)``: the DNN on spectrograms, leave-one-animal-out; ridge and SVM on the pixels;
  shuffled-label controls; the breaks control; per-animal accuracy (male vs female); the
  representative fold's learning curve; the trained example network (first-layer filters).
* ``fig4(study)``: spectrogram -> property networks; properties -> sex (DNN, ridge, SVM); the
  ridge weights; the semi-convolutional network.
* ``fig5(study)``: the random split ("individual properties") and animal identity.

Every cross-validation is cached fold by fold (``usvlib.evaluate``). How much is trained is set
by the profile's ``TrainingSettings``; the numbers go to the results under the keys of
``PAPER.md`` through the notebooks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from usvlib._io import atomic_path
from usvlib.dataset import Dataset
from usvlib.evaluate import (
    CVResult,
    Fold,
    cached_runs,
    compare_groups,
    cross_validate,
    leave_one_animal_out,
    per_animal_accuracy,
    random_folds,
    run_folder,
    shuffled_labels,
    validation_split,
)
from usvlib.extract import extract_dataset
from usvlib.features import EXTENDED_COLUMNS, PROPERTY_COLUMNS
from usvlib.models.bayes import StratifiedNaiveBayes
from usvlib.models.cnn import CallCNN, EfficientCNN, PaperCNN
from usvlib.models.linear import BalancedLinearSVC, RidgeClosedForm, balance_by_subsampling
from usvlib.models.mlp import PropertiesMLP, SemiConvNet
from usvlib.paths import cache_dir
from usvlib.profiles import Profile, get_profile
from usvlib.spectrogram import CALL_IMAGE_HARMONICS, call_images
from usvlib.train import balanced_accuracy, fit_network, predict_scores

PAPER_PROPERTIES = tuple("volume" if c == "volume_dbfs" else c for c in PROPERTY_COLUMNS)
"""The nine properties of the paper's per-USV table (usvlib names)."""

PROPERTY_TASKS = {  # Fig 4A-E: property -> (number of classes, how a label becomes a class)
    "direction": (3, lambda v: np.asarray(v, int) + 1),
    "peaks": (4, lambda v: np.clip(np.asarray(v, int), 0, 3)),
    "breaks": (4, lambda v: np.clip(np.asarray(v, int), 0, 3)),
    "broadband": (2, lambda v: (np.asarray(v, float) > 0).astype(int)),
    "tremolo": (2, lambda v: np.asarray(v, int)),
    "complex": (2, lambda v: np.asarray(v, int)),
}


@dataclass
class Study:
    """Everything the classifiers of one experiment need, aligned row by row."""

    profile: Profile
    table: pd.DataFrame  # one row per USV: animal, sex/group, extraction columns
    images: np.ndarray  # (N, 1, 100, 100) float32, scaled to unit standard deviation
    # (N, 2, 48, 32) call images (spectrogram.call_images): the fundamental's band (unit SD), the harmonic's
    calls: np.ndarray
    sequences: tuple  # (time: (N, 2, 100), freq: (N, 1, 233)), each normalised
    properties: pd.DataFrame  # the paper's nine properties (human labels where the data have them)
    labels: np.ndarray  # 0/1: female/male (or control/cortexless)
    classes: tuple
    human_labels: bool  # whether the six labels are a labeller's (else automatic estimates)
    key: str  # identifies the data for the caches
    extraction_path: Path = None
    latents: pd.DataFrame | None = None  # synthetic data: the generator's parameters as the sound shows them
    results: dict = field(default_factory=dict)

    @property
    def animals(self) -> np.ndarray:
        return self.table.animal.to_numpy()

    @property
    def groups(self) -> np.ndarray:
        return self.table.group.to_numpy()


def load_study(dataset: Dataset, profile: str | Profile, *, experiment: str = "sex", progress: bool = True) -> Study:
    """Extract (or open the cached) per-USV products and assemble a :class:`Study`.

    Synthetic data use their true call times and the human-label table (joined on the USV id);
    real data use the detected calls and usvlib's automatic property estimates, since the real
    table carries no call times to join on.
    """
    profile = get_profile(profile)
    found = extract_dataset(dataset, experiments=(experiment,), progress=progress)
    table = found.table[found.table.experiment == experiment].reset_index(drop=True)
    images = found.array("images", table.usv.to_numpy())[:, None]
    images /= max(float(images.std()), 1e-12)  # one scalar for all images, no label involved
    duration_s, centre_hz = table.duration_s.to_numpy(float), table.mean_freq_hz.to_numpy(float)
    calls = call_images(images[:, 0], duration_s, centre_hz, harmonic=CALL_IMAGE_HARMONICS)
    calls /= max(float(calls[:, 0].std()), 1e-12)  # one scalar: the bands keep their relative level
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
        props = props[list(PAPER_PROPERTIES)].reset_index(drop=True)
        human = bool(props.notna().all(axis=None))
    if not human:
        props = table[list(PROPERTY_COLUMNS)].set_axis(list(PAPER_PROPERTIES), axis=1)
    props = props.astype(float).fillna(props.astype(float).median())
    positive = "male" if experiment == "sex" else "cortexless"
    negative = "female" if experiment == "sex" else "control"
    labels = (table.group == positive).to_numpy().astype(int)
    key = hashlib.sha256(f"{found.path.name}|{experiment}|{human}".encode()).hexdigest()[:12]
    latents = latent_table(dataset, table) if experiment == "sex" else None
    return Study(
        profile, table, images, calls, sequences, props, labels, (negative, positive), human, key, found.path, latents
    )


# ---------------------------------------------------------------------------------------------
# building blocks


MULTI_HEAD_FC = 256
"""Units of the shared fully connected layer of the CPU network when it has several heads."""


def make_cnn(profile: Profile, heads=(1,), *, inputs: str = "images") -> torch.nn.Module:
    """The profile's network for ``inputs`` ("images": the canvas images, "calls": call images)."""
    if inputs == "calls":
        if profile.training.network != "efficient":
            raise ValueError("call images are read by the efficient network only")
        return CallCNN(heads=heads) if len(heads) == 1 else CallCNN(heads=heads, fc=MULTI_HEAD_FC)
    if profile.training.network == "paper":
        if len(heads) != 1:
            raise ValueError("the paper's network has one head: train one network per property")
        return PaperCNN(n_outputs=heads[0])
    # several heads share the last layer: 64 units were too few for six properties (direction
    # 44 % vs 58 % for a network of its own, on 2 folds); 256 gets most of it back (52 %) at
    # the same cost; six networks cost five times as much
    return EfficientCNN(heads=heads) if len(heads) == 1 else EfficientCNN(heads=heads, fc=MULTI_HEAD_FC)


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
    save_model_of: str | None = None,
    monitor_fold: str | None = None,
    progress: bool = True,
    eval_labels: np.ndarray | None = None,
) -> CVResult:
    """Cross-validate a network (``inputs``: "images", "calls", "properties" or "semiconv").

    Call images are not augmented: a time shift would move a call against its own extent, and
    gain and noise did no better (on 8 left-out animals: 69.5 % with the augmentation, 71.5 %
    without; README, "Classifiers")."""
    p = study.profile
    seed = p.seed if seed is None else seed
    convolutional = inputs in ("images", "calls")
    schedule = p.training.schedule if convolutional else p.training.small_schedule
    torch.set_num_threads(p.training.threads)
    props = study.properties.to_numpy(np.float32)
    folder = cache_dir() / "cv"
    config = {
        "study": study.key,
        "inputs": inputs,
        "n_classes": n_classes,
        "network": p.training.network,
        "schedule": _schedule_config(schedule),
        "seed": seed,
        "by_animal": by_animal,
        "targets": hashlib.sha256(np.ascontiguousarray(targets).tobytes()).hexdigest()[:12],
        "monitor": monitor_fold,
        "save": save_model_of,
    }
    run_dir = run_folder(name, config, folds, cache=folder)
    # the saved network lives in the run's folder: it belongs to these cached results and no other
    saved = {} if save_model_of is None else {save_model_of: f"model-{save_model_of}.pt"}

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
        curve = []
        monitor = None
        if monitor_fold is not None and fold.name == monitor_fold:
            x_test, y_test = data(fold.test, mean, sd), targets[fold.test]

            def monitor(m, epoch):
                s = predict_scores(m, x_test, n_classes=n_classes)
                curve.append(float(np.mean(s.argmax(axis=1) == y_test)))

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
            "seconds": log.seconds,
        }
        if isinstance(n_classes, tuple):
            return np.concatenate(scores, axis=1), info
        return scores, info

    labels = targets if eval_labels is None else eval_labels
    if isinstance(n_classes, tuple):  # scored per head by the caller
        labels = np.zeros(len(targets), int)
    return cross_validate(
        name, fit_predict, folds, labels, config=config, cache=folder, progress=progress, fold_files=saved
    )


def linear_cv(
    study: Study,
    name: str,
    model: str,
    *,
    inputs: str,
    targets: np.ndarray,
    folds: list[Fold],
    eval_labels: np.ndarray | None = None,
    progress: bool = True,
) -> CVResult:
    """Cross-validate ridge or the linear SVM on pixels or properties (classes balanced)."""
    p = study.profile
    x_all = study.images.reshape(len(study.images), -1) if inputs == "images" else study.properties.to_numpy(float)
    limit = p.training.linear_max_train if inputs == "images" else None

    def fit_predict(fold: Fold):
        rng = np.random.default_rng(p.seed)
        train = fold.train[balance_by_subsampling(targets[fold.train], rng)]
        if limit is not None and len(train) > limit:  # a class-balanced subsample within the budget
            per_class = limit // 2
            train = np.concatenate([rng.choice(train[targets[train] == c], per_class, replace=False) for c in (0, 1)])
        est = (
            RidgeClosedForm(balance=False)
            if model == "ridge"
            else BalancedLinearSVC(balance=False, random_state=p.seed)
        )
        mean, sd = x_all[train].mean(axis=0), x_all[train].std(axis=0) + 1e-9
        scale = (lambda x: (x - mean) / sd) if inputs != "images" else (lambda x: x)
        est.fit(scale(x_all[train]), targets[train])
        pred = est.predict(scale(x_all[fold.test]))
        scores = np.column_stack([pred == 0, pred == 1]).astype(float)
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
        "targets": hashlib.sha256(np.ascontiguousarray(targets).tobytes()).hexdigest()[:12],
    }
    labels = targets if eval_labels is None else eval_labels
    return cross_validate(name, fit_predict, folds, labels, config=config, cache=cache_dir() / "cv", progress=progress)


def latent_table(dataset: Dataset, table: pd.DataFrame) -> pd.DataFrame | None:
    """:func:`shown_parameters` of each USV of ``table`` (synthetic datasets only: None for real
    data, which have no ground truth)."""
    if "truth_call_id" not in table:
        return None
    calls = truth_rows(dataset, table.truth_call_id.to_numpy())
    return None if calls is None else shown_parameters(calls)


def shown_parameters(calls: pd.DataFrame) -> pd.DataFrame:
    """The generator's parameters of each call as its sound shows them, with its call family
    one-hot coded.

    ``calls``: ground-truth rows (``ground_truth/calls.csv``, or the oracle's simulated calls).
    One column per dimension of the model (``usvlib.synth.model.LATENT_DIMS``): a Gaussian
    dimension's value, a probit, ordinal or censored dimension's observed level (tremolo 0/1,
    breaks 0-3, ...), NaN where the dimension is not in the sound (inactive for the family, or
    its requirement absent: the rate of a tremolo the call does not have). The Bayes oracle uses
    exactly these; the hidden draws behind them (the rate a call without tremolo would have had)
    are left out, since no classifier of the sound could learn from them.
    """
    from usvlib.synth.model import LATENT_DIMS
    from usvlib.synth.population import visible

    shown = {
        dim.name: np.where(
            visible(dim, calls),
            calls[f"latent_{dim.name}" if dim.kind == "gaussian" else dim.name].to_numpy(float),
            np.nan,
        )
        for dim in LATENT_DIMS
    }
    family = pd.get_dummies(calls.family, prefix="family").astype(float)
    return pd.concat([pd.DataFrame(shown, index=calls.index), family], axis=1)


def truth_rows(dataset: Dataset, call_ids) -> pd.DataFrame | None:
    """The ground-truth rows (``ground_truth/calls.csv``, as the loader read it) of ``call_ids``,
    in their order; None for data without ground truth."""
    if dataset.ground_truth is None:
        return None
    return dataset.ground_truth.set_index("call_id").reindex(np.asarray(call_ids)).reset_index()


def learnable_ceiling(parameters: pd.DataFrame) -> tuple[StratifiedNaiveBayes, np.ndarray, np.ndarray]:
    """The learnable ceiling's estimator (unfitted), inputs and strata for a
    :func:`shown_parameters` table: one naive Bayes per call family over the model's
    dimensions, Gaussian ones as Gaussians, the labels' levels as categories. The strata are
    indices into ``FAMILIES``, so tables with different families present agree on them."""
    from usvlib.synth.model import FAMILIES, LATENT_DIMS

    kinds = ["gaussian" if d.kind == "gaussian" else "categorical" for d in LATENT_DIMS]
    family_cols = [c for c in parameters.columns if c.startswith("family_")]
    codes = pd.Index(FAMILIES).get_indexer([c[len("family_") :] for c in family_cols])
    x = parameters[[d.name for d in LATENT_DIMS]].to_numpy(float)
    return StratifiedNaiveBayes(kinds), x, codes[parameters[family_cols].to_numpy().argmax(axis=1)]


def reference_cv(study: Study, name: str, features: str, *, folds: list[Fold], progress: bool = True) -> CVResult:
    """Reference classifiers for the CNN, leave-one-animal-out.

    ``features="measured"``: gradient boosting on the 24 properties usvlib measures on each USV
    (what handcrafted measurements of the spectrogram carry). ``features="latent"``: gradient
    boosting on the generator's parameters as the sound shows them, read exactly, and the call
    family (synthetic data only). ``features="plugin"``: on the same parameters, the Bayes
    oracle's own model class with its parameters estimated from the training mice
    (:func:`learnable_ceiling`, each mouse weighted equally): the learnable ceiling, what a
    classifier trained on these mice reaches when it reads every parameter exactly and knows the
    model's structure. The oracle sits above it by what 16 mice cannot teach about the sexes'
    means.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    if features not in ("measured", "latent", "plugin"):
        raise ValueError(f"features must be 'measured', 'latent' or 'plugin', got {features!r}")
    if features != "measured" and study.latents is None:
        raise ValueError(f"{features} features exist only in synthetic datasets (ground_truth/calls.csv)")
    y = study.labels
    seed = study.profile.seed
    config = {"study": study.key, "reference": features, "seed": seed}

    if features == "plugin":
        estimator, x_all, strata = learnable_ceiling(study.latents)

        def fit_predict(fold: Fold):
            est = clone(estimator).fit(
                x_all[fold.train], y[fold.train], strata=strata[fold.train], groups=study.animals[fold.train]
            )
            return est.predict_proba(x_all[fold.test], strata=strata[fold.test]), {"n_train": len(fold.train)}

    else:
        if features == "measured":
            x_all = study.table[list(EXTENDED_COLUMNS)].astype(float).to_numpy()
        else:
            x_all = study.latents.to_numpy(float)
        config["iterations"] = study.profile.training.reference_iterations

        def fit_predict(fold: Fold):
            # 63 bins: a third of the time of the default 255 at the same accuracy here; one
            # thread: on a few thousand rows the per-iteration thread start-up costs more than it saves
            est = HistGradientBoostingClassifier(
                max_iter=study.profile.training.reference_iterations,
                max_bins=63,
                class_weight="balanced",
                random_state=seed,
            )
            with threadpool_limits(1):
                est.fit(x_all[fold.train], y[fold.train])
            return est.predict_proba(x_all[fold.test]), {"n_train": len(fold.train)}

    config["columns"] = x_all.shape[1]
    return cross_validate(name, fit_predict, folds, y, config=config, cache=cache_dir() / "cv", progress=progress)


def side_by_side(results: list[CVResult]) -> CVResult:
    """The predictions of several single-task cross-validations on the same folds as one result
    whose score columns follow each other (the layout of one multi-head network's result)."""
    first = results[0]
    columns, offset = [], 0
    for r in results:
        if not np.array_equal(r.predictions["index"].to_numpy(), first.predictions["index"].to_numpy()):
            raise ValueError(f"{r.name} was not run on the same folds as {first.name}")
        scores = r.predictions.filter(regex=r"^score_\d+$")
        columns.append(scores.set_axis([f"score_{offset + j}" for j in range(scores.shape[1])], axis=1))
        offset += scores.shape[1]
    predictions = pd.concat([first.predictions[["index", "fold", "y_true", "y_pred"]], *columns], axis=1)
    folds = first.folds.assign(seconds=sum(r.folds.seconds.to_numpy() for r in results))
    return CVResult(first.name, predictions, folds, first.classes, first.from_cache, first.infos)


def loao(study: Study) -> list[Fold]:
    return leave_one_animal_out(study.animals)


def control_folds(study: Study) -> list[Fold]:
    """The folds the controls run on (every n-th animal of the profile)."""
    return loao(study)[:: study.profile.training.control_every]


def grouped_folds(study: Study, k: int) -> list[Fold]:
    """``k`` folds of whole animals (round robin over the animals in file order)."""
    animals = pd.unique(study.animals)
    out = []
    for i in range(k):
        held = animals[i::k]
        test = np.flatnonzero(np.isin(study.animals, held))
        out.append(Fold(f"group{i:02d}", np.setdiff1d(np.arange(len(study.animals)), test), test))
    return out


def class_balanced_mean(result: CVResult) -> float:
    """Mean fold score, the folds of each class averaged first when every fold holds one class.

    Each leave-one-animal-out fold is one animal of one class, so a plain mean over folds
    weighs the classes by their numbers of animals (and, with the few folds of a control, by
    chance): the mean over the classes of their folds' mean stays balanced. With 9 + 8 animals
    the two agree within a point.
    """
    p = result.predictions
    fold_class = p.groupby("fold").y_true.agg(lambda v: v.iloc[0] if v.nunique() == 1 else -1)
    if (fold_class < 0).any():
        return result.mean
    scores = result.folds.set_index("fold").balanced_accuracy
    return float(scores.groupby(fold_class.reindex(scores.index).to_numpy()).mean().mean())


def summary_row(name: str, result: CVResult, **extra) -> dict:
    return {
        "model": name,
        "mean": class_balanced_mean(result),
        "sd": result.sd,
        "pooled": result.pooled,
        "n_folds": len(result.folds),
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# the figures


def example_fold(study: Study) -> str:
    """The representative left-out animal of Fig 3B-C (the first female, as the paper)."""
    folds = loao(study)
    return next((f.name for f in folds if f.name.lower().startswith("rfem")), folds[0].name)


def across_animals_dnn(study: Study, *, seed: int | None = None, progress: bool = True) -> CVResult:
    """The DNN of Fig 3, leave-one-animal-out (the example fold's network and test curve kept);
    one place, so that Fig 5 reuses Fig 3's cached folds without training its controls.

    ``seed`` other than the profile's: the same network and folds trained from another seed (a
    run of its own, ``seed-spread-dnn``, without the example fold's extras), to tell a change
    from the seed's noise (``benchmarks/seed_spread.py``).
    """
    published = seed is None or seed == study.profile.seed
    example = example_fold(study) if published else None
    return network_cv(
        study,
        # a name of its own for other seeds: runs filed as fig3-dnn would be taken for the published one
        "fig3-dnn" if published else "seed-spread-dnn",
        inputs=study.profile.training.dnn_input,
        targets=study.labels,
        folds=loao(study),
        seed=None if published else seed,
        save_model_of=example,
        monitor_fold=example,
        progress=progress,
    )


def fig3(study: Study, *, progress: bool = True) -> dict:
    """DNN vs ridge vs SVM across animals, shuffled controls, breaks control, example fold.

    The shuffled-label controls run on every fold (a control on a few animals can land far from
    chance by the luck of which animals they are); the breaks control on the profile's
    ``control_every``-th folds.
    """
    y = study.labels
    folds, controls = loao(study), control_folds(study)
    shuffled = shuffled_labels(y, seed=study.profile.seed)
    example = example_fold(study)
    out = {"example_fold": example, "dnn": across_animals_dnn(study, progress=progress)}
    out["dnn_shuffled"] = network_cv(
        study,
        "fig3-dnn-shuffled",
        inputs=study.profile.training.dnn_input,
        targets=shuffled,
        folds=folds,
        eval_labels=y,
        progress=progress,
    )
    for model in ("ridge", "svm"):
        out[model] = linear_cv(
            study, f"fig3-{model}", model, inputs="images", targets=y, folds=folds, progress=progress
        )
        out[f"{model}_shuffled"] = linear_cv(
            study,
            f"fig3-{model}-shuffled",
            model,
            inputs="images",
            targets=shuffled,
            folds=folds,
            eval_labels=y,
            progress=progress,
        )
    out["reference_measured"] = reference_cv(
        study, "fig3-reference-measured", "measured", folds=folds, progress=progress
    )
    if study.latents is not None:
        out["reference_latent"] = reference_cv(study, "fig3-reference-latent", "latent", folds=folds, progress=progress)
        out["reference_plugin"] = reference_cv(study, "fig3-reference-plugin", "plugin", folds=folds, progress=progress)
    breaks = (study.properties.breaks.to_numpy() > 0).astype(int)
    out["breaks"] = network_cv(
        study, "fig3-breaks", inputs=study.profile.training.dnn_input, targets=breaks, folds=controls, progress=progress
    )
    out["sex_on_breaks_folds"] = float(
        out["dnn"].folds.set_index("fold").loc[out["breaks"].folds.fold, "balanced_accuracy"].mean()
    )
    out["per_animal"] = per_animal_accuracy(out["dnn"], study.animals, study.groups)
    out["male_vs_female"] = compare_groups(out["per_animal"], study.classes[1], study.classes[0])
    out["table"] = pd.DataFrame(
        [
            summary_row("DNN", out["dnn"], labels="real"),
            summary_row("DNN", out["dnn_shuffled"], labels="shuffled"),
            summary_row("ridge", out["ridge"], labels="real"),
            summary_row("ridge", out["ridge_shuffled"], labels="shuffled"),
            summary_row("SVM", out["svm"], labels="real"),
            summary_row("SVM", out["svm_shuffled"], labels="shuffled"),
            summary_row("DNN, breaks (control)", out["breaks"], labels="real"),
            summary_row("boosting on 24 measured properties (reference)", out["reference_measured"], labels="real"),
        ]
        + (
            [
                summary_row(
                    "boosting on the true parameters (synthetic reference)", out["reference_latent"], labels="real"
                ),
                summary_row(
                    "naive Bayes on the true parameters (learnable ceiling)", out["reference_plugin"], labels="real"
                ),
            ]
            if "reference_latent" in out
            else []
        )
    )
    return out


def oracle_gap(out: dict, oracle: float | None) -> pd.DataFrame:
    """Fig 3's DNN against the ceilings above it, one row per step down from the oracle.

    On synthetic data: the Bayes oracle (knows the generator), the learnable ceiling (the
    oracle's model class fitted on the training mice, every parameter read exactly), boosting on
    the same parameters, boosting on the 24 measured properties (what handcrafted measurements
    of the spectrogram keep), the DNN. ``drop`` is each row's distance to the row above it
    (percentage points).
    """
    rows = [("Bayes oracle (synthetic ground truth)", oracle)]
    if "reference_plugin" in out:
        rows.append(
            ("naive Bayes on the true parameters (learnable ceiling)", class_balanced_mean(out["reference_plugin"]))
        )
    if "reference_latent" in out:
        rows.append(("boosting on the true parameters", class_balanced_mean(out["reference_latent"])))
    rows.append(("boosting on 24 measured properties", class_balanced_mean(out["reference_measured"])))
    rows.append(("DNN on spectrograms", class_balanced_mean(out["dnn"])))
    table = pd.DataFrame(rows, columns=["classifier", "balanced_accuracy"]).dropna()
    table["drop_points"] = -100 * table.balanced_accuracy.diff()
    return table.reset_index(drop=True)


def _oracle_decisions(dataset: Dataset, call_ids, *, experiment: str) -> pd.DataFrame | None:
    """The across-animal Bayes oracle's decision on each call (synthetic data of the current
    generative model only; None otherwise), with the call's family."""
    from usvlib.synth import oracle
    from usvlib.synth.model import SynthModel

    config = dataset.config or {}
    model = SynthModel()
    if config.get("model_fingerprint") != oracle.model_fingerprint(model):
        return None
    calls = truth_rows(dataset, call_ids)
    if calls is None:
        return None
    llr = oracle.across_animals_llr(
        model, calls, experiment=experiment, male_freq_shift=float(config["male_freq_shift_khz"])
    )
    return pd.DataFrame({"family": calls.family, "oracle": np.where(np.isnan(llr), 0, llr > 0).astype(int)})


def accuracy_by_family(
    dataset: Dataset, study: Study, results: dict, *, experiment: str = "sex"
) -> pd.DataFrame | None:
    """Where classifiers lose against the oracle: balanced accuracy per call family.

    ``results`` maps a name to a cross-validated :class:`CVResult` over the study's USVs (None:
    left out). Each
    row (a family of the generator, and "all") gives the number of USVs, the share of the
    positive class, and the balanced accuracy of the Bayes oracle and of each classifier on the
    same USVs, over the classes present (the male-only two-part call: male accuracy). Synthetic
    data only: None for real data or a dataset made by another generative model.
    """
    from usvlib.synth.model import FAMILIES

    if "truth_call_id" not in study.table:
        return None
    decided = _oracle_decisions(dataset, study.table.truth_call_id.to_numpy(), experiment=experiment)
    if decided is None:
        return None
    labels = study.labels
    columns = {"Bayes oracle": decided.oracle.to_numpy()}
    for name, result in results.items():
        if result is None:  # a reference that this dataset does not have
            continue
        column = np.full(len(labels), -1)
        column[result.predictions["index"].to_numpy()] = result.predictions["y_pred"].to_numpy()
        columns[name] = column
    family = decided.family.to_numpy()
    rows = []
    for fam in ["all", *[f for f in FAMILIES if (family == f).any()]]:
        mask = np.ones(len(labels), bool) if fam == "all" else family == fam
        row = {"family": fam, "n_usvs": int(mask.sum()), f"share_{study.classes[1]}": float(labels[mask].mean())}
        for name, column in columns.items():
            ok = mask & (column >= 0)
            row[name] = balanced_accuracy(labels[ok], column[ok]) if ok.any() else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def load_example_model(study: Study, name: str = "fig3-dnn", fold: str | None = None) -> torch.nn.Module:
    """The network trained on the example fold of ``fig3`` (for its filters, Figs 6-7)."""
    matches = [m for run in cached_runs(study.key, name) for m in sorted(run.glob(f"model-{fold or '*'}.pt"))]
    if not matches:
        raise FileNotFoundError(
            f"no network {name} saved by the current code for this study in {cache_dir() / 'cv'}: "
            "run experiments.fig3 (notebook 03) first"
        )
    saved = torch.load(matches[0], weights_only=False)
    model = make_cnn(study.profile, tuple(saved["heads"]), inputs=saved.get("inputs", "images"))
    model.load_state_dict(saved["state_dict"])
    return model.eval()


def fig4(study: Study, *, progress: bool = True) -> dict:
    """Properties: spectrogram -> property networks, properties -> sex, the semi-conv network."""
    y = study.labels
    folds = loao(study)
    out = {"human_labels": study.human_labels}
    # A-E: one network, one head per property, on folds of whole animals
    tasks = list(PROPERTY_TASKS)
    targets = np.column_stack([PROPERTY_TASKS[t][1](study.properties[t]) for t in tasks])
    n_classes = tuple(PROPERTY_TASKS[t][0] for t in tasks)
    property_folds = grouped_folds(study, study.profile.training.grouped_folds)
    if study.profile.training.network == "paper":  # as the paper: one network per property
        res = side_by_side(
            [
                network_cv(
                    study,
                    f"fig4-property-{task}",
                    inputs="images",
                    targets=targets[:, j],
                    folds=property_folds,
                    n_classes=k,
                    progress=progress,
                )
                for j, (task, k) in enumerate(zip(tasks, n_classes, strict=True))
            ]
        )
    else:  # one network with a head per property: a sixth of the cost
        res = network_cv(
            study,
            "fig4-properties-from-spectrogram",
            inputs="images",
            targets=targets,
            folds=property_folds,
            n_classes=n_classes,
            progress=progress,
        )
    rows, per_value = [], []
    offset = 0
    for j, (task, k) in enumerate(zip(tasks, n_classes, strict=True)):
        scores = res.predictions[[f"score_{offset + c}" for c in range(k)]].to_numpy()
        offset += k
        truth = targets[res.predictions["index"].to_numpy(), j]
        pred = scores.argmax(axis=1)
        fold_acc = [
            np.mean([np.mean(pred[m & (truth == c)] == c) for c in np.unique(truth[m])])
            for m in (res.predictions.fold == f for f in res.folds.fold)
        ]
        rows.append(
            {
                "property": task,
                "mean": float(np.mean(fold_acc)),
                "sd": float(np.std(fold_acc, ddof=1)),
                "n_classes": k,
                "chance": 1.0 / k,
            }
        )
        for c in np.unique(truth):
            per_value.append(
                {
                    "property": task,
                    "value": c,
                    "accuracy": float(np.mean(pred[truth == c] == c)),
                    "share": float(np.mean(truth == c)),
                }
            )
    out["property_networks"] = pd.DataFrame(rows)
    out["property_values"] = pd.DataFrame(per_value)
    # F-H: properties -> sex
    out["properties_dnn"] = network_cv(
        study, "fig4-properties-dnn", inputs="properties", targets=y, folds=folds, progress=progress
    )
    for model in ("ridge", "svm"):
        out[f"properties_{model}"] = linear_cv(
            study, f"fig4-properties-{model}", model, inputs="properties", targets=y, folds=folds, progress=progress
        )
    # I: ridge weights on standardised properties, averaged over folds
    coefs = np.array([info["coef"] for info in out["properties_ridge"].infos.values()])
    out["ridge_weights"] = pd.DataFrame(
        {"property": list(study.properties.columns), "weight": coefs.mean(axis=0), "sd": coefs.std(axis=0)}
    )
    # J-K: semi-convolutional network
    out["semiconv"] = network_cv(study, "fig4-semiconv", inputs="semiconv", targets=y, folds=folds, progress=progress)
    out["table"] = pd.DataFrame(
        [
            summary_row("properties -> sex, DNN", out["properties_dnn"]),
            summary_row("properties -> sex, ridge", out["properties_ridge"]),
            summary_row("properties -> sex, SVM", out["properties_svm"]),
            summary_row("semi-convolutional DNN", out["semiconv"]),
        ]
    )
    return out


def fig5(study: Study, *, progress: bool = True) -> dict:
    """Individual signatures: the random split against the across-animal DNN (Fig 3's folds,
    cached), and which animal a USV comes from."""
    p = study.profile.training
    y = study.labels
    out = {}
    folds = random_folds(len(y), p.random_folds, seed=0)
    out["random_split"] = network_cv(
        study, "fig5-dnn-random", inputs=p.dnn_input, targets=y, folds=folds, by_animal=False, progress=progress
    )
    animals = pd.unique(study.animals)
    identity = pd.Categorical(study.animals, categories=animals).codes.astype(int)
    id_folds = random_folds(len(y), p.identity_folds, seed=0)
    out["identity"] = network_cv(
        study,
        "fig5-identity",
        inputs="images",
        targets=identity,
        folds=id_folds,
        n_classes=len(animals),
        by_animal=False,
        progress=progress,
    )
    pred = out["identity"].predictions
    out["identity_confusion"] = pd.crosstab(
        pd.Series(animals[pred.y_true], name="true"), pd.Series(animals[pred.y_pred], name="predicted")
    ).reindex(index=animals, columns=animals, fill_value=0)
    out["identity_chance"] = 1.0 / len(animals)
    out["identity_accuracy"] = float((pred.y_true == pred.y_pred).mean())
    out["table"] = pd.DataFrame(
        [
            summary_row("across animals", across_animals_dnn(study, progress=progress)),
            summary_row("random split", out["random_split"]),
        ]
    )
    return out


# ---------------------------------------------------------------------------------------------
# recording the numbers


def _oracle(ctx, key: str) -> float | None:
    rec = (ctx.dataset.oracle or {}).get(key)
    return None if rec is None else rec["balanced_accuracy"]


def _record_cv(ctx, key: str, result: CVResult, **extra) -> None:
    ctx.record(
        key,
        result.mean,
        sd=result.sd,
        n=len(result.folds),
        extra={"pooled_balanced_accuracy": result.pooled, "n_usvs": len(result.predictions), **extra},
    )


def record_fig3(ctx, out: dict) -> None:
    """Record Fig 3's numbers (oracle gap included on synthetic data)."""
    oracle = _oracle(ctx, "sex.across_animals")
    gap = None if oracle is None else oracle - class_balanced_mean(out["dnn"])
    _record_cv(
        ctx,
        "fig3.dnn.across_animals",
        out["dnn"],
        oracle=oracle,
        gap_to_oracle=gap,
        male_vs_female=out["male_vs_female"],
        network=ctx.profile.training.network,
        inputs=ctx.profile.training.dnn_input,
    )
    _record_cv(
        ctx,
        "fig3.ridge.across_animals",
        out["ridge"],
        n_train=out["ridge"].infos[next(iter(out["ridge"].infos))]["n_train"],
    )
    _record_cv(ctx, "fig3.svm.across_animals", out["svm"])
    for model in ("dnn", "ridge", "svm"):
        _record_cv(ctx, f"fig3.{model}.shuffled", out[f"{model}_shuffled"])
    _record_cv(ctx, "fig3.reference.measured_boosting", out["reference_measured"], oracle=oracle)
    if "reference_latent" in out:
        _record_cv(ctx, "fig3.reference.latent_boosting", out["reference_latent"], oracle=oracle)
    if "reference_plugin" in out:
        _record_cv(ctx, "fig3.reference.learnable_ceiling", out["reference_plugin"], oracle=oracle)
    _record_cv(ctx, "fig3.dnn.breaks_control", out["breaks"], sex_dnn_on_same_folds=out["sex_on_breaks_folds"])
    info = out["dnn"].infos[out["example_fold"]]
    curve = info["test_curve"]
    ctx.record(
        "fig3.dnn.example_fold",
        curve[-1] if curve else float("nan"),
        n=len(curve),
        extra={"fold": out["example_fold"], "test_curve": curve, "images_seen": info["images_seen"]},
    )


def record_fig4(ctx, out: dict) -> None:
    for row in out["property_networks"].itertuples():
        ctx.record(
            f"fig4.property_dnn.{row.property}",
            row.mean,
            sd=row.sd,
            n=ctx.profile.training.grouped_folds,
            extra={"chance": row.chance, "human_labels": out["human_labels"]},
        )
    for model in ("dnn", "ridge", "svm"):
        _record_cv(ctx, f"fig4.properties.{model}", out[f"properties_{model}"], human_labels=out["human_labels"])
    _record_cv(ctx, "fig4.semiconv.dnn", out["semiconv"])


def record_fig5(ctx, out: dict) -> None:
    _record_cv(ctx, "fig5.dnn.random_split", out["random_split"], oracle_with_animal=_oracle(ctx, "sex.with_animal"))
    ident = out["identity"]
    ctx.record(
        "fig5.identity.accuracy",
        out["identity_accuracy"],
        sd=float(ident.folds.balanced_accuracy.std(ddof=1)),
        n=len(ident.predictions),
        extra={"chance": out["identity_chance"], "balanced_accuracy": ident.mean},
    )
