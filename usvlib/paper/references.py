"""Reference classifiers not in the paper: they place the CNN between what the measurements keep
and what the generator knows (Fig 3's oracle gap), each fold cached like the paper's runs."""

from __future__ import annotations

from functools import cache

from sklearn.base import clone
from threadpoolctl import threadpool_limits

from usvlib._fingerprint import dependency_fingerprint
from usvlib.crossval import CVResult, Fold, cross_validate
from usvlib.extract import extract_dataset
from usvlib.paper import study as study_module
from usvlib.paper.runners import fold_workers
from usvlib.paper.study import Study
from usvlib.paths import cache_dir
from usvlib.properties import EXTENDED_COLUMNS
from usvlib.synth import diagnostics


def reference_cv(study: Study, name: str, features: str, *, folds: list[Fold], progress: bool = True) -> CVResult:
    """Reference classifiers for the CNN, leave-one-animal-out.

    ``features="measured"``: gradient boosting on the 24 properties usvlib measures on each USV
    (what handcrafted measurements of the spectrogram carry). ``features="latent"``: gradient
    boosting on the generator's parameters as the sound shows them, read exactly, and the call
    family (synthetic data only). ``features="plugin"``: on the same parameters, the Bayes
    oracle's own model class with its parameters estimated from the training mice
    (``synth.diagnostics.learnable_ceiling``, each mouse weighted equally): the learnable ceiling, what a
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
        estimator, x_all, strata = diagnostics.learnable_ceiling(study.latents)

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
    return cross_validate(
        name,
        fit_predict,
        folds,
        y,
        config=config,
        code=reference_code(),
        cache=cache_dir() / "cv",
        progress=progress,
        animals=study.animals,
        **fold_workers(study.profile),
    )


@cache
def reference_code() -> str:
    """Fingerprint of the code that defines a reference classifier's fold."""
    return dependency_fingerprint(study_module.load_study, reference_cv, exclude=(extract_dataset,))
