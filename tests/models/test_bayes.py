import numpy as np
import pytest
from scipy import stats

from usvlib.models.bayes import StratifiedNaiveBayes


def _two_gaussians(n=40_000, shift=1.0, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.standard_normal(n) + shift * y
    return x[:, None], y


def test_gaussian_ratio_matches_the_known_one():
    """Unit-variance classes at 0 and 1: log-likelihood ratio x - 1/2, accuracy Phi(1/2)."""
    x, y = _two_gaussians()
    est = StratifiedNaiveBayes(["gaussian"]).fit(x, y)
    grid = np.linspace(-2, 3, 11)[:, None]
    np.testing.assert_allclose(est.log_likelihood_ratio(grid), grid[:, 0] - 0.5, atol=0.1)
    accuracy = (est.predict(x) == y).mean()
    assert abs(accuracy - stats.norm.cdf(0.5)) < 0.03
    assert est.predict_proba(x).shape == (len(y), 2)


def test_categorical_and_strata():
    """A discrete feature that separates the classes in one stratum and not in the other; the
    strata's own class frequencies count as evidence."""
    rng = np.random.default_rng(1)
    n = 6000
    strata = rng.integers(0, 2, n)
    y = rng.integers(0, 2, n)
    p_one = np.where(strata == 0, np.where(y == 1, 0.8, 0.2), 0.5)
    x = (rng.random(n) < p_one).astype(float)[:, None]
    est = StratifiedNaiveBayes(["categorical"]).fit(x, y, strata=strata)
    llr = est.log_likelihood_ratio(np.array([[1.0], [1.0], [0.0]]), strata=np.array([0, 1, 0]))
    assert llr[0] == pytest.approx(np.log(4), abs=0.15)
    assert abs(llr[1]) < 0.15
    assert llr[2] == pytest.approx(-np.log(4), abs=0.15)


def test_each_group_weighs_the_same():
    """One animal with many calls does not outvote the others: its calls share one weight."""
    x = np.array([0.0] * 100 + [1.0, 1.2, 0.8] + [2.0, 2.2, 1.8]).reshape(-1, 1)
    y = np.array([0] * 100 + [0] * 3 + [1] * 3)
    groups = np.array(["a"] * 100 + ["b"] * 3 + ["c", "d", "e"])
    est = StratifiedNaiveBayes(["gaussian"], min_count=1).fit(x, y, groups=groups)
    mean_0 = est.terms_[0, 0][1][0]
    assert mean_0 == pytest.approx(0.5, abs=1e-9)  # animals a and b, one unit each


def test_missing_values_carry_no_evidence():
    x, y = _two_gaussians()
    x = np.column_stack([x, np.where(y == 1, np.nan, 0.0)])  # NaN = not observed
    est = StratifiedNaiveBayes(["gaussian", "categorical"]).fit(x, y)
    a = est.log_likelihood_ratio(np.array([[0.3, np.nan]]))
    b = StratifiedNaiveBayes(["gaussian"]).fit(x[:, :1], y).log_likelihood_ratio(np.array([[0.3]]))
    assert a == pytest.approx(b)


def test_bad_input_is_explained():
    x, y = _two_gaussians(100)
    with pytest.raises(ValueError, match="one column per kind"):
        StratifiedNaiveBayes(["gaussian", "gaussian"]).fit(x, y)
    with pytest.raises(ValueError, match="kinds must be among"):
        StratifiedNaiveBayes(["poisson"]).fit(x, y)
    with pytest.raises(ValueError, match="two classes"):
        StratifiedNaiveBayes(["gaussian"]).fit(x, np.zeros(len(y)))
