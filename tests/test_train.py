import numpy as np
import torch

from usvlib.models.cnn import EfficientCNN
from usvlib.schedule import Schedule, Stage
from usvlib.train import augment_batch, balanced_accuracy, fit_network, predict_scores

torch.set_num_threads(1)


def _stripes(n, seed=0):
    """Images with a horizontal line, high (class 1) or low (class 0), in noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = 0.1 * rng.standard_normal((n, 1, 100, 100)).astype(np.float32)
    rows = np.where(y == 1, 70, 30) + rng.integers(-5, 6, n)
    for i in range(n):
        a = rng.integers(20, 50)
        x[i, 0, rows[i], a : a + 30] += 1.0
    return x, y


def test_a_tiny_network_overfits_a_tiny_batch():
    x, y = _stripes(32)
    net = EfficientCNN()
    fit_network(net, x, y, Schedule(stages=(Stage(60, 3e-3, 0.0),), augment=False, batch_size=16), seed=0)
    assert balanced_accuracy(y, predict_scores(net, x).argmax(axis=1)) == 1.0


def test_learns_and_generalises_with_augmentation():
    x, y = _stripes(400)
    xt, yt = _stripes(200, seed=1)
    net = EfficientCNN()
    log = fit_network(net, x, y, Schedule(stages=(Stage(6, 3e-3, 0.2),)), val=(xt, yt), seed=0)
    assert balanced_accuracy(yt, predict_scores(net, xt).argmax(axis=1)) > 0.9
    assert len(log.val_balanced_accuracy) == 6 and 0 <= log.best_epoch < 6
    assert all(c > 0 for c in log.weight_change)


def test_training_is_deterministic():
    x, y = _stripes(64)
    scores = []
    for _ in range(2):
        net = EfficientCNN()
        torch.manual_seed(0)
        net = EfficientCNN()
        fit_network(net, x, y, Schedule(stages=(Stage(2, 1e-3, 0.2),)), seed=3)
        scores.append(predict_scores(net, x))
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-5, atol=1e-6)


def test_augmentation_keeps_shapes_and_moves_in_time():
    x = torch.zeros(8, 1, 100, 100)
    x[:, :, 50, 45:55] = 1.0
    gen = torch.Generator().manual_seed(0)
    out = augment_batch(x, Schedule(stages=(Stage(1, 1e-3),)), gen)
    assert out.shape == x.shape
    peaks = out[:, 0, 50].argmax(dim=1)
    assert len(set(peaks.tolist())) > 1  # shifted by different amounts
    assert float(out.abs().max()) <= 1.5 + 1e-6


def test_multi_head_training():
    x, y = _stripes(200)
    targets = np.column_stack([y, (y + 1) % 2 * 2])  # a binary and a 3-class head
    net = EfficientCNN(heads=(1, 3))
    fit_network(net, x, targets, Schedule(stages=(Stage(8, 3e-3, 0.0),), augment=False), n_classes=(2, 3), seed=0)
    s1, s2 = predict_scores(net, x, n_classes=(2, 3))
    assert s1.shape == (200, 2) and s2.shape == (200, 3)
    assert balanced_accuracy(y, s1.argmax(axis=1)) > 0.9
