import numpy as np
import pytest
import torch
from torch import nn

from usvlib.internals import (
    fraction_active,
    layer_activations,
    mean_and_2sem,
    reconstruction_correlation,
    reconstructions,
    relu_layers,
    representation_correlations,
    saliency,
    unit_similarity,
)
from usvlib.models.cnn import PaperCNN


def _identity_relu(n: int = 4) -> nn.Module:
    layer = nn.Linear(n, n, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.eye(n))
    return nn.Sequential(layer, nn.ReLU(inplace=True))


def test_the_papers_layers_are_named_by_what_feeds_them():
    names = relu_layers(PaperCNN(filters=4))
    assert list(names) == ["conv1", "conv2", "conv3", "conv4", "conv5", "conv6", "fc1", "fc2", "fc3"]


def test_fraction_active_of_a_relu_layer_fed_a_known_input():
    x = np.array([[-1.0, 2.0, 0.0, 3.0], [1.0, 1.0, 1.0, -5.0]], np.float32)
    acts = layer_activations(_identity_relu(), x)
    assert list(acts) == ["fc1"]
    np.testing.assert_array_equal(acts["fc1"], np.maximum(x, 0))
    assert fraction_active(acts["fc1"]).tolist() == [0.5, 0.75]


def test_activations_of_every_layer_of_the_papers_network():
    net = PaperCNN(filters=4)
    x = np.random.default_rng(0).standard_normal((3, 1, 100, 100)).astype(np.float32)
    acts = layer_activations(net, x, layers=["conv1", "conv6", "fc3"], batch_size=2)
    assert {k: v.shape for k, v in acts.items()} == {
        "conv1": (3, 4 * 50 * 50),
        "conv6": (3, 4 * 25 * 25),
        "fc3": (3, 120),
    }
    assert all(((v >= 0).all() and 0 < fraction_active(v).mean() < 1) for v in acts.values())
    # the model itself is untouched: its ReLUs still work in place, and it is still in training mode
    assert net.training and all(m.inplace for m in net.modules() if isinstance(m, nn.ReLU))
    with pytest.raises(ValueError, match="no ReLU layer"):
        layer_activations(net, x, layers=["fc9"])


def test_correlations_of_identical_and_of_independent_representations():
    rng = np.random.default_rng(0)
    base = rng.standard_normal(500)
    same = np.tile(base, (4, 1))  # class 0: four copies of one representation
    independent = rng.standard_normal((4, 500))  # class 1: independent ones
    r = representation_correlations(np.vstack([same, independent]), [0] * 4 + [1] * 4)
    assert len(r["within_0"]) == 6 and np.allclose(r["within_0"], 1.0)
    assert len(r["within_1"]) == 6 and np.abs(r["within_1"]).max() < 0.2
    assert len(r["across"]) == 16 and np.abs(r["across"]).max() < 0.2
    # a silent stimulus (all zero) has no correlation: left out, not counted as 0
    with_silent = representation_correlations(np.vstack([same, np.zeros((1, 500))]), [0] * 5)
    assert len(with_silent["within_0"]) == 6


def test_unit_similarity():
    rng = np.random.default_rng(1)
    response = rng.standard_normal(50)
    units = np.column_stack([response, 2 * response + 1, -response, np.zeros(50)])  # the last is silent
    r = np.sort(unit_similarity(units))
    np.testing.assert_allclose(r, [-1, -1, 1])
    conv = np.repeat(units, 3, axis=1)  # 4 channels of 3 positions, one value each
    np.testing.assert_allclose(np.sort(unit_similarity(conv, channels=4)), [-1, -1, 1])


@pytest.mark.parametrize("method", ["deconvolution", "guided_backprop"])
def test_reconstruction_of_a_one_layer_network(method):
    """A 1 x 1 convolution of weight w > 0 and a ReLU: the layer's activation is relu(w x), its
    gradient is itself, and projecting it back through the convolution gives w^2 relu(x)."""
    w = 1.5
    conv = nn.Conv2d(1, 1, 1, bias=False)
    with torch.no_grad():
        conv.weight.fill_(w)
    net = nn.Sequential(conv, nn.ReLU())
    x = np.random.default_rng(2).standard_normal((2, 1, 5, 5)).astype(np.float32)
    recon = reconstructions(net, x, "conv1", method=method)
    np.testing.assert_allclose(recon, w**2 * np.maximum(x, 0), rtol=1e-5, atol=1e-6)
    r = reconstruction_correlation(recon, np.maximum(x, 0))
    np.testing.assert_allclose(r, 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="method"):
        reconstructions(net, x, "conv1", method="lrp")


def test_saliency_of_a_linear_network_is_input_times_weight():
    """For a linear output the integrated gradients from zero are exactly input x weight."""
    lin = nn.Linear(3, 1, bias=True)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -2.0, 0.5]]))
    x = np.array([[1.0, 1.0, 2.0], [0.5, 0.0, -1.0]], np.float32)
    np.testing.assert_allclose(saliency(lin, x), x * np.array([1.0, -2.0, 0.5]), rtol=1e-4, atol=1e-5)


def test_mean_and_2sem():
    mean, two_sem, n = mean_and_2sem([1.0, 2.0, 3.0, np.nan])
    assert (mean, n) == (2.0, 3) and two_sem == pytest.approx(2 * 1.0 / np.sqrt(3))
    assert np.isnan(mean_and_2sem([])[0])
