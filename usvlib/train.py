"""Training of the networks: Adam, batch 64, class-weighted loss, the paper's augmentation.

A :class:`Schedule` is a list of stages (epochs, learning rate, dropout). The paper's is 40
epochs at 1e-3 without dropout, 25 at 1e-4 with dropout 0.5 and 25 at 1e-5 with 0.7
(``PAPER_SCHEDULE``, the paper profile). The budgeted schedules of the CPU profiles are shorter
and keep the weights of the epoch with the best balanced accuracy on a validation set taken
from the training animals (``fit_network``'s ``val``), never from the test animal.

Augmentation, after the authors' code: a random time shift of up to 10 % of the width (the
image padded with its edge columns, its empty background, and cropped back at a random offset),
a gain from U(0.5, 1.5), additive Gaussian noise, and clipping to the range the gain can reach
(``augment_batch``).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from usvlib.metrics import balanced_accuracy
from usvlib.schedule import PAPER_SCHEDULE, Schedule, Stage  # noqa: F401 (re-exported)

_NOISE_BANK: dict[tuple, torch.Tensor] = {}


def _noise(shape: tuple, gen: torch.Generator) -> torch.Tensor:
    """Standard normal noise of ``shape`` (N, 1, H, W), cut from a fixed bank at random offsets
    and flipped at random: as good as fresh noise for augmentation, and far cheaper."""
    n, c, h, w = shape
    key = (c, h, w)
    if key not in _NOISE_BANK:
        _NOISE_BANK[key] = torch.randn((64, c, h, 2 * w), generator=torch.Generator().manual_seed(12345))
    bank = _NOISE_BANK[key]
    pick = torch.randint(0, bank.shape[0], (n,), generator=gen)
    start = int(torch.randint(0, w, (1,), generator=gen))
    out = bank[pick, :, :, start : start + w]
    return torch.where(torch.rand((n, 1, 1, 1), generator=gen) < 0.5, out, out.flip(3))


def augment_batch(x: torch.Tensor, schedule: Schedule, gen: torch.Generator) -> torch.Tensor:
    """The paper's augmentation of a batch of images (N, 1, H, W), vectorised.

    A random time shift of up to ``shift_fraction`` of the width (the image padded with its
    background: the value of its edge columns, where the canvas is empty), a gain from
    ``gain``, additive Gaussian noise of ``noise_sd`` times the batch's standard deviation, and
    clipping to the range the gain can reach.

    Parameters
    ----------
    x : Tensor, shape (N, 1, H, W)
        The batch; not changed.
    schedule : Schedule
        Its ``shift_fraction``, ``gain``, ``noise_sd`` and ``freq_shift_fraction`` (a random shift
        along frequency as well, edge rows repeated, where above 0; not in the paper).
    gen : torch.Generator
        Draws every random choice, so a seeded generator repeats the augmentation.

    Returns
    -------
    Tensor, shape (N, 1, H, W)
        A new batch, clipped to ``±max|x| * gain[1]``.
    """
    n, _, h, w = x.shape
    pad = max(1, round(schedule.shift_fraction * w))
    left = x[:, :, :, :1].expand(n, 1, h, pad)
    right = x[:, :, :, -1:].expand(n, 1, h, pad)
    padded = torch.cat([left, x, right], dim=3)
    offset = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    idx = (torch.arange(w)[None, :] + offset[:, None]).view(n, 1, 1, w).expand(n, 1, h, w)
    out = torch.gather(padded, 3, idx)
    if schedule.freq_shift_fraction > 0:
        # a shift along frequency: the mean frequency of a mouse's calls is an individual trait,
        # not a sex difference, so invariance to it helps with animals never seen
        fpad = max(1, round(schedule.freq_shift_fraction * h))
        top = out[:, :, -1:, :].expand(n, 1, fpad, w)
        bottom = out[:, :, :1, :].expand(n, 1, fpad, w)
        fpadded = torch.cat([bottom, out, top], dim=2)
        foff = torch.randint(0, 2 * fpad + 1, (n,), generator=gen)
        fidx = (torch.arange(h)[None, :] + foff[:, None]).view(n, 1, h, 1).expand(n, 1, h, w)
        out = torch.gather(fpadded, 2, fidx)
    gain = torch.empty((n, 1, 1, 1)).uniform_(*schedule.gain, generator=gen)
    sd = float(x.std())
    out = out * gain + _noise(out.shape, gen) * (schedule.noise_sd * sd)
    limit = float(x.abs().max()) * schedule.gain[1]
    return out.clamp_(-limit, limit)


class MultiHeadLoss(nn.Module):
    """Sum of the class-weighted losses of several heads (one network, several properties)."""

    def __init__(self, ys: np.ndarray, n_classes: tuple[int, ...]):
        super().__init__()
        self.losses = nn.ModuleList(_loss_fn(ys[:, j], k) for j, k in enumerate(n_classes))
        self.n_classes = n_classes

    def forward(self, outputs, targets):
        total = 0.0
        for j, (out, k, loss) in enumerate(zip(outputs, self.n_classes, self.losses, strict=True)):
            t = targets[:, j]
            total = total + loss(out, t.float().reshape(-1, 1) if k == 2 else t.long())
        return total


def _loss_fn(y: np.ndarray, n_classes: int) -> nn.Module:
    """Class-weighted loss: weights inversely proportional to the class frequencies."""
    counts = np.bincount(y.astype(int), minlength=n_classes).astype(np.float64)
    weights = counts.sum() / np.maximum(counts, 1) / n_classes
    if n_classes == 2:
        return nn.BCEWithLogitsLoss(pos_weight=torch.tensor([weights[1] / weights[0]], dtype=torch.float32))
    return nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32))


def _as_tensors(x, dtype=torch.float32) -> tuple:
    if isinstance(x, (tuple, list)):
        return tuple(torch.as_tensor(np.asarray(a), dtype=dtype) for a in x)
    return (torch.as_tensor(np.asarray(x), dtype=dtype),)


def _take(tensors: tuple, idx) -> tuple:
    return tuple(t[idx] for t in tensors)


def _call(model: nn.Module, tensors: tuple):
    return model(tensors[0]) if len(tensors) == 1 else model(tensors)


def _probabilities(logits: torch.Tensor, n_classes: int) -> torch.Tensor:
    if n_classes == 2:
        p = torch.sigmoid(logits.reshape(-1))
        return torch.stack([1 - p, p], dim=1)
    return torch.softmax(logits, dim=1)


def predict_scores(model: nn.Module, x, *, batch_size: int = 512, n_classes=2, dtype=torch.float32):
    """Class probabilities (N, n_classes) of a trained network (eval mode, no gradients).

    With several heads (``n_classes`` a tuple), a list of such arrays, one per head.

    Parameters
    ----------
    model : nn.Module
        Left in eval mode.
    x : ndarray or tuple of ndarrays
        Inputs, as for :func:`fit_network`.
    batch_size : int
        Inputs per forward pass (memory, not results).
    n_classes : int or tuple of int
        Classes of the output, or of each head. Two classes are one logit (sigmoid), more a
        softmax.
    dtype : torch.dtype
        Type the inputs are converted to.

    Returns
    -------
    ndarray or list of ndarray
        Shape (N, n_classes), rows summing to 1; a list with one array per head when ``n_classes``
        is a tuple.
    """
    tensors = _as_tensors(x, dtype)
    heads = n_classes if isinstance(n_classes, tuple) else (n_classes,)
    model.eval()
    outs = [[] for _ in heads]
    with torch.no_grad():
        for i in range(0, len(tensors[0]), batch_size):
            logits = _call(model, _take(tensors, slice(i, i + batch_size)))
            logits = logits if isinstance(logits, (list, tuple)) else [logits]
            for j, (lg, k) in enumerate(zip(logits, heads, strict=True)):
                outs[j].append(_probabilities(lg, k))
    result = [torch.cat(o).numpy() if o else np.zeros((0, k)) for o, k in zip(outs, heads, strict=True)]
    return result if isinstance(n_classes, tuple) else result[0]


def _validation_score(model: nn.Module, val: tuple, n_classes) -> float:
    probs = predict_scores(model, val[0], n_classes=n_classes)
    if isinstance(n_classes, tuple):
        ys = np.asarray(val[1])
        return float(np.mean([balanced_accuracy(ys[:, j], p.argmax(axis=1)) for j, p in enumerate(probs)]))
    return balanced_accuracy(val[1], probs.argmax(axis=1))


@dataclass
class TrainingLog:
    """Per-epoch record of a training run."""

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_balanced_accuracy: list = field(default_factory=list)
    weight_change: list = field(default_factory=list)  # relative L2 change of the weights
    seconds: float = 0.0
    best_epoch: int = -1
    images_seen: int = 0
    iterations_per_epoch: list = field(default_factory=list)  # weight updates in each epoch


def flat_weights(model: nn.Module) -> torch.Tensor:
    """All parameters of ``model`` as one detached vector (for the relative weight change)."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def fit_network(
    model: nn.Module,
    x,
    y: np.ndarray,
    schedule: Schedule,
    *,
    n_classes: int = 2,
    val: tuple | None = None,
    seed: int = 0,
    images: bool = True,
    monitor=None,
    monitor_every: int = 0,
) -> TrainingLog:
    """Train ``model`` in place.

    Parameters
    ----------
    model : nn.Module
        Its ``set_dropout(p)``, where it has one, is called with each stage's dropout.
    x : ndarray or tuple of ndarrays
        Inputs (images (N, 1, H, W), or the parts a multi-input network takes).
    y : ndarray of int
        Class of each example (0..n_classes-1); with several heads (``n_classes`` a tuple),
        shape (N, heads).
    schedule : Schedule
        Stages (epochs, learning rate, dropout), batch size, weight decay and augmentation.
    n_classes : int or tuple of int
        Classes of the output (two: one logit), or of each head.
    val : (x_val, y_val), optional
        Validation data: the weights of the epoch with the best balanced accuracy are kept (when
        ``schedule.select_on_validation``); otherwise those of the last epoch.
    seed : int
        Seeds torch's global random state (dropout) and the generator of the batch order and the
        augmentation.
    images : bool
        Apply the image augmentation (only for image inputs and ``schedule.augment``).
    monitor : callable, optional
        Called as ``monitor(model, epoch, iteration)`` (e.g. test accuracy for Fig 3B): every
        ``monitor_every`` iterations (weight updates), or after every epoch when that is 0. The
        model is in eval mode during the call and back in training mode after it; the call
        changes no random state, so a monitored training is the same as an unmonitored one.
    monitor_every : int
        Iterations between calls of ``monitor`` (0: once per epoch).

    Returns
    -------
    TrainingLog
        Per epoch the mean training loss, the validation balanced accuracy (where selected on) and
        the relative change of the weights; the epoch whose weights were kept, the time in seconds
        and the number of images seen.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    tensors = _as_tensors(x)
    target = torch.as_tensor(np.asarray(y))
    if isinstance(n_classes, tuple):
        loss_fn = MultiHeadLoss(np.asarray(y), n_classes)
    else:
        target = target.float().reshape(-1, 1) if n_classes == 2 else target.long()
        loss_fn = _loss_fn(np.asarray(y), n_classes)
    log = TrainingLog()
    best_score, best_state = -1.0, None
    started = time.perf_counter()
    previous = flat_weights(model)
    epoch = iteration = 0
    for stage in schedule.stages:
        if hasattr(model, "set_dropout"):
            model.set_dropout(stage.dropout)
        opt = torch.optim.Adam(model.parameters(), lr=stage.lr, weight_decay=schedule.weight_decay)
        for _ in range(stage.epochs):
            model.train()
            perm = torch.randperm(len(target), generator=gen)
            total, batches = 0.0, 0
            for i in range(0, len(perm), schedule.batch_size):
                b = perm[i : i + schedule.batch_size]
                if len(b) < 2:  # batch norm needs two
                    continue
                batch = _take(tensors, b)
                if images and schedule.augment:
                    batch = (augment_batch(batch[0], schedule, gen),) + batch[1:]
                opt.zero_grad()
                loss = loss_fn(_call(model, batch), target[b])
                loss.backward()
                opt.step()
                total += float(loss.detach())
                batches += 1
                iteration += 1
                log.images_seen += len(b)
                if monitor is not None and monitor_every and iteration % monitor_every == 0:
                    monitor(model, epoch, iteration)
                    model.train()
            current = flat_weights(model)
            log.epoch.append(epoch)
            log.iterations_per_epoch.append(batches)
            log.train_loss.append(total / max(batches, 1))
            log.weight_change.append(float((current - previous).norm() / previous.norm()))
            previous = current
            if val is not None and schedule.select_on_validation:
                score = _validation_score(model, val, n_classes)
                log.val_balanced_accuracy.append(score)
                if score > best_score:
                    best_score, best_state, log.best_epoch = score, copy.deepcopy(model.state_dict()), epoch
            if monitor is not None and not monitor_every:
                monitor(model, epoch, iteration)
            epoch += 1
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        log.best_epoch = epoch - 1
    log.seconds = time.perf_counter() - started
    return log


def held_out_curve_monitor(model: nn.Module, x_test, y_test: np.ndarray, curve: list, *, n_classes: int = 2):
    """A ``fit_network`` monitor that appends the test accuracy and weight change to ``curve``.

    Parameters
    ----------
    model : nn.Module
        The network about to be trained (its weights are the first reference).
    x_test, y_test
        Held-out data of the monitored fold.
    curve : list
        Receives ``{iteration, epoch, test_accuracy, weight_change}`` per call: the balanced
        accuracy on the held-out data and the relative L2 change of the weights since the
        previous call (Fig 3B).
    n_classes : int

    Returns
    -------
    callable
        ``monitor(model, epoch, iteration)``.
    """
    last = [flat_weights(model)]

    def monitor(m: nn.Module, epoch: int, iteration: int) -> None:
        scores = predict_scores(m, x_test, n_classes=n_classes)
        now = flat_weights(m)
        change = float((now - last[0]).norm() / last[0].norm())
        last[0] = now
        curve.append(
            {
                "iteration": iteration,
                "epoch": epoch,
                "test_accuracy": balanced_accuracy(y_test, scores.argmax(axis=1)),
                "weight_change": change,
            }
        )

    return monitor
