"""A scikit-learn classifier around usvlib's networks.

``NetworkClassifier`` takes a 2-D array: one row per USV. Rows of 10 000 values with
``image_shape=(100, 100)`` are images for the CNN, rows of 1 536 values with ``network="call"``
and ``image_shape=(48, 32)`` one band of call images (``usvlib.call_images``; the
CPU profiles' sex network also reads the second harmonic's band, as a second channel); any other
width goes to the properties MLP.
It has ``fit``, ``predict``, ``predict_proba``, ``random_state`` and validated parameters, so it
drops into pipelines, ``cross_val_score`` and grid searches::

    from sklearn.model_selection import GroupKFold, cross_val_score
    clf = NetworkClassifier(network="efficient", image_shape=(100, 100), epochs=4)
    cross_val_score(clf, images.reshape(len(images), -1), sex, groups=animal, cv=GroupKFold(5))
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from usvlib.crossval.runner import fold_threads
from usvlib.errors import ConfigError
from usvlib.models.cnn import CallCNN, EfficientCNN, PaperCNN
from usvlib.models.mlp import PropertiesMLP
from usvlib.schedule import Schedule, Stage
from usvlib.train import fit_network, predict_scores

NETWORKS = ("efficient", "paper", "call", "mlp")


class NetworkClassifier(ClassifierMixin, BaseEstimator):
    """A usvlib network as a scikit-learn classifier.

    Parameters
    ----------
    network : {"efficient", "paper", "call", "mlp"}
        ``efficient`` and ``paper`` read 100 x 100 images, ``call`` (``CallCNN``) call images
        of any ``image_shape`` (48 x 32 as ``usvlib.call_images`` makes them); ``mlp``
        works on any features (standardised inside).
    image_shape : tuple or None
        (height, width) of the images that the rows of X are.
    epochs : int
        Epochs at ``learning_rate``; one more follows at a tenth of it.
    learning_rate : float
    batch_size : int
    augment : bool
        The paper's image augmentation (100 x 100 images only: call images are not augmented,
        since a time shift would move a call against its own extent).
    random_state : int
    threads : int
        torch and BLAS threads while fitting and predicting (``crossval.runner.fold_threads``).
    """

    def __init__(
        self,
        network: str = "mlp",
        *,
        image_shape=None,
        epochs: int = 10,
        learning_rate: float = 3e-3,
        batch_size: int = 64,
        augment: bool = True,
        random_state: int = 0,
        threads: int = 1,
    ):
        self.network = network
        self.image_shape = image_shape
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.augment = augment
        self.random_state = random_state
        self.threads = threads

    def _check_params(self):
        if self.network not in NETWORKS:
            raise ConfigError(f"network must be one of {NETWORKS}, got {self.network!r}")
        if self.network != "mlp" and self.image_shape is None:
            raise ConfigError(f"network={self.network!r} needs image_shape=(height, width)")
        if self.network in ("efficient", "paper") and tuple(self.image_shape) != (100, 100):
            raise ConfigError(
                f"network={self.network!r} reads 100 x 100 images, got image_shape={self.image_shape}: "
                "use network='call' for other sizes"
            )
        if int(self.epochs) < 1 or self.learning_rate <= 0 or int(self.batch_size) < 2:
            raise ConfigError("epochs >= 1, learning_rate > 0 and batch_size >= 2 are required")

    def _inputs(self, X):
        if self.network == "mlp":
            return ((X - self.mean_) / self.scale_).astype(np.float32)
        h, w = self.image_shape
        if X.shape[1] != h * w:
            raise ConfigError(f"rows of {X.shape[1]} values are not {h} x {w} images")
        return X.reshape(len(X), 1, h, w).astype(np.float32)

    def fit(self, X, y):
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError("the training data hold one class only: a classifier needs two or more")
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-9
        out = 1 if n_classes == 2 else n_classes
        torch.manual_seed(self.random_state)
        if self.network == "mlp":
            self.model_ = PropertiesMLP(X.shape[1], out)
        elif self.network == "paper":
            self.model_ = PaperCNN(n_outputs=out)
        elif self.network == "call":
            self.model_ = CallCNN(heads=(out,), input_shape=(1, *self.image_shape))
        else:
            self.model_ = EfficientCNN(heads=(out,))
        schedule = Schedule(
            stages=(Stage(int(self.epochs), self.learning_rate, 0.2), Stage(1, self.learning_rate / 10, 0.2)),
            batch_size=int(self.batch_size),
            augment=self.augment and self.network in ("efficient", "paper"),
            select_on_validation=False,
        )
        with fold_threads(self.threads):
            self.log_ = fit_network(
                self.model_,
                self._inputs(X),
                codes,
                schedule,
                n_classes=n_classes,
                seed=self.random_state,
                images=self.network != "mlp",
            )
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with fold_threads(self.threads):
            if self.network == "mlp":
                # in double precision, so a row's output does not depend on the rest of the batch
                model = copy.deepcopy(self.model_).double()
                return predict_scores(
                    model, ((X - self.mean_) / self.scale_), n_classes=len(self.classes_), dtype=torch.float64
                )
            return predict_scores(self.model_, self._inputs(X), n_classes=len(self.classes_))

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]
