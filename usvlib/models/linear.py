"""The paper's linear classifiers: closed-form ridge regression and a linear SVM.

Both are scikit-learn estimators. As in the paper, the training classes are balanced by
subsampling the larger one (``balance_by_subsampling``), ridge uses lambda = 0.001 with a
constant term and thresholds its output at 0.5 (targets 0/1).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier

from usvlib.errors import ConfigError


def balance_by_subsampling(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of a subsample with equally many examples of every class (the rarest's count).

    Parameters
    ----------
    y : ndarray
        The class of every example.
    rng : numpy.random.Generator
        Draws which examples of the larger classes are kept.

    Returns
    -------
    ndarray of int
        Sorted row indices: all of the rarest class and as many of each other class, without
        replacement.
    """
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    n = counts.min()
    picks = [rng.choice(np.flatnonzero(y == c), size=n, replace=False) for c in classes]
    return np.sort(np.concatenate(picks))


def _training_rows(y: np.ndarray, balance: bool, random_state: int) -> np.ndarray:
    """The rows an estimator fits on: a class-balanced subsample, or all."""
    return balance_by_subsampling(y, np.random.default_rng(random_state)) if balance else np.arange(len(y))


class RidgeClosedForm(ClassifierMixin, BaseEstimator):
    """Ridge regression onto 0/1 targets, solved in closed form, thresholded at 0.5.

    With more features than examples (10 000 pixels) it solves the dual system
    ``(X X' + lambda I) a = y`` (same solution, smaller system). With more than two classes it
    regresses onto one-hot targets (one system, a right-hand side per class) and predicts the
    class of the largest output.

    Parameters
    ----------
    alpha : float
        The ridge penalty lambda (paper: 0.001).
    balance : bool
        Subsample the larger class before fitting.
    random_state : int
    """

    def __init__(self, alpha: float = 1e-3, *, balance: bool = True, random_state: int = 0):
        self.alpha = alpha
        self.balance = balance
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if self.alpha <= 0:
            raise ConfigError(f"alpha must be > 0, got {self.alpha}")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ConfigError(f"RidgeClosedForm needs two or more classes; got {self.classes_}")
        idx = _training_rows(y, self.balance, self.random_state)
        if len(self.classes_) == 2:
            X, t = X[idx], (y[idx] == self.classes_[1]).astype(np.float64)
        else:  # one-hot: the columns are solved together
            X, t = X[idx], (y[idx][:, None] == self.classes_[None, :]).astype(np.float64)
        self.mean_ = X.mean(axis=0)
        xc = X - self.mean_
        tc = t - t.mean(axis=0)
        n, d = xc.shape
        if d > n:
            a = np.linalg.solve(xc @ xc.T + self.alpha * np.eye(n), tc)
            self.coef_ = xc.T @ a
        else:
            self.coef_ = np.linalg.solve(xc.T @ xc + self.alpha * np.eye(d), xc.T @ tc)
        self.intercept_ = t.mean(axis=0)  # the constant term: targets' mean at the features' mean
        return self

    def decision_function(self, X):
        return (np.asarray(X, dtype=np.float64) - self.mean_) @ self.coef_ + self.intercept_

    def predict_proba(self, X):
        out = self.decision_function(X)
        if out.ndim == 2:
            p = np.clip(out, 0.0, None)
            return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
        p = np.clip(out, 0.0, 1.0)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        out = self.decision_function(X)
        if out.ndim == 2:
            return self.classes_[np.argmax(out, axis=1)]
        return self.classes_[(out > 0.5).astype(int)]


class BalancedLinearSVC(ClassifierMixin, BaseEstimator):
    """A linear SVM fitted on a class-balanced subsample (standardised features).

    The hinge loss with an L2 penalty, minimised by stochastic gradient descent
    (scikit-learn's ``SGDClassifier``): the same model as a linear SVM, and fast on 10 000
    dense pixels where the exact dual solver needs minutes per fold.
    """

    def __init__(self, alpha: float = 1e-4, *, balance: bool = True, random_state: int = 0, max_iter: int = 20):
        self.alpha = alpha
        self.balance = balance
        self.random_state = random_state
        self.max_iter = max_iter

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        idx = _training_rows(y, self.balance, self.random_state)
        self.mean_ = X[idx].mean(axis=0)
        self.scale_ = X[idx].std(axis=0) + 1e-12
        self.svm_ = SGDClassifier(
            loss="hinge", alpha=self.alpha, max_iter=self.max_iter, tol=1e-4, random_state=self.random_state
        )
        with warnings.catch_warnings():  # max_iter is a budget, not a convergence criterion, here
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.svm_.fit((X[idx] - self.mean_) / self.scale_, y[idx])
        return self

    def decision_function(self, X):
        return self.svm_.decision_function((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_)

    def predict(self, X):
        return self.svm_.predict((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_)
