import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import check_estimator

from usvlib.models.estimator import NetworkClassifier
from usvlib.models.linear import BalancedLinearSVC, RidgeClosedForm, balance_by_subsampling


@pytest.mark.parametrize("d", [5, 300])  # primal and dual branches
def test_ridge_closed_form_matches_sklearn(d):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, d))
    y = (x[:, 0] + 0.5 * rng.standard_normal(100) > 0).astype(int)
    ours = RidgeClosedForm(alpha=0.1, balance=False).fit(x, y)
    ref = Ridge(alpha=0.1).fit(x, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.decision_function(x), ref.predict(x), rtol=1e-6, atol=1e-8)
    assert set(ours.predict(x)) <= {0, 1}


def test_balancing_by_subsampling():
    y = np.array([0] * 30 + [1] * 10)
    idx = balance_by_subsampling(y, np.random.default_rng(0))
    assert np.bincount(y[idx]).tolist() == [10, 10]


def test_svm_learns():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 4))
    y = (x[:, 1] > 0).astype(int)
    assert BalancedLinearSVC().fit(x, y).score(x, y) > 0.9


def test_network_classifier_passes_scikit_learn_checks():
    failed = [
        c for c in check_estimator(NetworkClassifier(epochs=30, batch_size=32), on_fail=None) if c["status"] == "failed"
    ]
    assert failed == []


def test_network_classifier_in_cross_validation():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((120, 6))
    y = np.where(x[:, 0] + x[:, 1] > 0, "male", "female")
    scores = cross_val_score(NetworkClassifier(epochs=20, random_state=0), x, y, cv=3)
    assert scores.mean() > 0.8


def test_network_classifier_on_call_images():
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], 64)
    images = rng.standard_normal((128, 48, 32)).astype(np.float32) * 0.3
    images[y == 1, 30, 8:24] += 2.0  # a line above the centre row in one class only
    images[y == 0, 18, 8:24] += 2.0
    clf = NetworkClassifier(network="call", image_shape=(48, 32), epochs=4, random_state=0)
    clf.fit(images.reshape(128, -1), y)
    assert clf.model_.input_shape == (1, 48, 32)
    assert np.mean(clf.predict(images.reshape(128, -1)) == y) > 0.9


def test_bad_parameters_are_explained():
    from usvlib.errors import ConfigError

    with pytest.raises(ConfigError, match="network must be"):
        NetworkClassifier(network="resnet").fit(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ConfigError, match="image_shape"):
        NetworkClassifier(network="efficient").fit(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ConfigError, match="network='call'"):
        NetworkClassifier(network="efficient", image_shape=(48, 32)).fit(np.zeros((4, 1536)), [0, 1, 0, 1])
