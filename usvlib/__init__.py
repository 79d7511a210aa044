"""usvlib: classify sex and strain from mouse ultrasonic vocalisations (Ivanenko et al. 2020).

The names a user needs, from recordings to a classifier::

    import usvlib

    ds = usvlib.load_user_recordings("mine.csv")      # or usvlib.load_dataset("data/donders")
    calls = usvlib.detect_file("rec1.wav")             # one row per USV (or detect_samples)
    cache = usvlib.extract_dataset(ds, calls="detect") # images, lines, marginals, 24 properties
    usvlib.PROPERTIES["mean_freq_hz"].unit             # the vocabulary of per-USV properties
    clf = usvlib.train_classifier(ds)                  # sex/strain/genotype of single USVs
    clf.save("sex.usvmodel"); usvlib.predict_calls(clf, ["new.wav"])
    usvlib.read_calls("detections.mat")                # DeepSqueak, Raven, MUPET, USVSEG tables

The core modules (``audio``, ``detect``, ``spectrogram``, ``properties``, ``features``,
``extract``, ``models``, ``train``, ``crossval``, ``metrics``, ``stats``, ``formats``) work on
anyone's recordings; ``usvlib.paper`` reproduces the paper on top of them and ``usvlib.synth``
generates the synthetic stand-in for its data. Names are imported on first use, so
``import usvlib`` stays light (no torch until a model is asked for).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Dataset": "usvlib.dataset",
    "load_dataset": "usvlib.dataset",
    "load_user_recordings": "usvlib.user",
    "DetectorParams": "usvlib.detect",
    "detect_file": "usvlib.detect",
    "detect_samples": "usvlib.detect",
    "detect_many": "usvlib.detect",
    "ExtractParams": "usvlib.products",
    "extract_dataset": "usvlib.extract",
    "recording_products": "usvlib.products",
    "PROPERTIES": "usvlib.properties",
    "PAPER_PROPERTIES": "usvlib.properties",
    "call_properties": "usvlib.features",
    "score_detections": "usvlib.metrics",
    "balanced_accuracy": "usvlib.metrics",
    "NetworkClassifier": "usvlib.models.estimator",
    "train_classifier": "usvlib.classify",
    "load_classifier": "usvlib.classify",
    "predict_calls": "usvlib.predict",
    "read_calls": "usvlib.formats",
    "write_calls": "usvlib.formats",
    "UsvlibError": "usvlib.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # the next lookup is a plain attribute
        return value
    raise AttributeError(f"module 'usvlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
