"""A naive Bayes classifier per stratum (call family), each animal weighted equally.

On the synthetic data it is the Bayes oracle's own model class (independent dimensions per call
family, Gaussian or discrete) with its parameters *estimated* from the training mice instead of
known: given each call's parameters exactly, it is the learnable ceiling for a classifier trained
on the same mice, where the oracle is the ceiling for one that knows the generator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

KINDS = ("gaussian", "categorical")


class StratifiedNaiveBayes(ClassifierMixin, BaseEstimator):
    """Two-class naive Bayes fitted separately in each stratum; NaN means "not observed".

    Parameters
    ----------
    kinds : sequence of {"gaussian", "categorical"}
        One per feature column: a Gaussian with a class mean and a pooled standard deviation, or
        a table of the values' class frequencies (values are compared after rounding to 1e-6).
    min_count : int, default 20
        A feature enters a stratum's likelihood only where at least this many training rows
        observe it, with both classes among them.
    smoothing : float, default 0.5
        Pseudo-count (in units of one row's weight) added to every discrete value and stratum.

    Notes
    -----
    ``fit(X, y, strata=..., groups=...)``: rows of one group (an animal) share one unit of
    weight, so an animal with many calls counts as one animal. The stratum's own class
    frequencies enter the likelihood ratio. Classes get equal priors (the rule that maximises
    balanced accuracy).
    """

    def __init__(self, kinds: Sequence[str] = (), *, min_count: int = 20, smoothing: float = 0.5):
        self.kinds = kinds
        self.min_count = min_count
        self.smoothing = smoothing

    def _validate(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.kinds):
            raise ValueError(f"X must have one column per kind ({len(self.kinds)}), got shape {X.shape}")
        bad = sorted(set(self.kinds) - set(KINDS))
        if bad:
            raise ValueError(f"kinds must be among {KINDS}, got {bad}")
        return X

    def fit(self, X, y, *, strata=None, groups=None) -> StratifiedNaiveBayes:
        X = self._validate(X)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"StratifiedNaiveBayes separates two classes, got {len(self.classes_)}")
        yi = (y == self.classes_[1]).astype(int)
        strata = np.zeros(len(y), int) if strata is None else np.asarray(strata)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        _, group_idx, group_size = np.unique(groups, return_inverse=True, return_counts=True)
        w = 1.0 / group_size[group_idx]
        self.strata_ = np.unique(strata)
        # log p(stratum | class): the family proportions differ between the classes
        mass = np.array([[w[(strata == s) & (yi == c)].sum() for c in (0, 1)] for s in self.strata_])
        mass += self.smoothing * w.mean()
        self.stratum_llr_ = np.log(mass[:, 1] / mass[:, 1].sum()) - np.log(mass[:, 0] / mass[:, 0].sum())
        self.terms_ = {}
        for k, s in enumerate(self.strata_):
            rows = strata == s
            for j, kind in enumerate(self.kinds):
                x, c, ws = X[rows, j], yi[rows], w[rows]
                seen = np.isfinite(x)
                if seen.sum() < self.min_count or len(np.unique(c[seen])) < 2:
                    continue
                x, c, ws = x[seen], c[seen], ws[seen]
                if kind == "gaussian":
                    means = np.array([np.average(x[c == v], weights=ws[c == v]) for v in (0, 1)])
                    sd = np.sqrt(np.average((x - means[c]) ** 2, weights=ws))
                    self.terms_[k, j] = ("gaussian", means, max(sd, 1e-9))
                else:
                    levels, inverse = np.unique(np.round(x, 6), return_inverse=True)
                    counts = np.zeros((len(levels), 2))
                    np.add.at(counts, (inverse, c), ws)
                    counts += self.smoothing * ws.mean()
                    probs = counts / counts.sum(axis=0)
                    self.terms_[k, j] = ("categorical", levels, np.log(probs[:, 1]) - np.log(probs[:, 0]))
        return self

    def log_likelihood_ratio(self, X, *, strata=None) -> np.ndarray:
        """log p(x | second class) - log p(x | first class) of each row."""
        check_is_fitted(self, "terms_")
        X = self._validate(X)
        strata = np.zeros(len(X), int) if strata is None else np.asarray(strata)
        k_of = _position(self.strata_, strata)  # a stratum unseen in training: no evidence at all
        llr = np.where(k_of >= 0, self.stratum_llr_[k_of], 0.0)
        for (k, j), (kind, a, b) in self.terms_.items():
            rows = (k_of == k) & np.isfinite(X[:, j])
            x = X[rows, j]
            if kind == "gaussian":
                llr[rows] += ((x - a[0]) ** 2 - (x - a[1]) ** 2) / (2 * b**2)
            else:
                level = _position(a, np.round(x, 6))
                llr[rows] += np.where(level >= 0, b[level], 0.0)  # an unseen value: no evidence
        return llr

    def predict_proba(self, X, *, strata=None) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-np.clip(self.log_likelihood_ratio(X, strata=strata), -500, 500)))
        return np.column_stack([1 - p, p])

    def predict(self, X, *, strata=None) -> np.ndarray:
        return self.classes_[(self.log_likelihood_ratio(X, strata=strata) > 0).astype(int)]


def _position(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Index of each ``x`` in ``sorted_values``; -1 where it is not there."""
    i = np.minimum(np.searchsorted(sorted_values, x), len(sorted_values) - 1)
    return np.where(sorted_values[i] == x, i, -1)
