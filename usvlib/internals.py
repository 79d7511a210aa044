"""Inside a trained network: what its layers do with stimuli (the paper's Fig 6), for any network.

* **Activations** of every ReLU layer (``layer_activations``), named ``conv1`` ... ``fc3`` after
  the kind of layer that feeds them (``relu_layers``).
* **Fraction active** (``fraction_active``): the share of a layer's ReLU outputs that are not
  zero for one stimulus, ``nnz / numel``, the paper's measure of sparsity (its "sparsity" rises
  towards the output as this fraction falls: ``sparsity = 1 - fraction active``).
* **Correlations of representations** (``representation_correlations``): Pearson's r between
  the activation vectors of pairs of stimuli, within each class and across the classes.
* **Reconstructions** (``reconstructions``): a stimulus projected back to the input from one
  layer, by Zeiler & Fergus's deconvolution or by guided backpropagation (captum's
  ``Deconvolution`` and ``GuidedBackprop``, which replace the ReLUs' backward pass), started
  from the layer's own activation; ``reconstruction_correlation`` compares each with its
  stimulus.
* **Unit similarity** (``unit_similarity``): Pearson's r between the responses of pairs of units
  of a layer over the stimuli (a convolutional unit's response: its map's mean).
* **Saliency** (``saliency``): captum's integrated gradients of the network's output with respect
  to the input, per stimulus.

Every function takes a ``torch.nn.Module`` and numpy arrays, works in evaluation mode on a copy
of the network (its ReLUs made not in place, which the hooks need) and returns numpy arrays.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import torch
from torch import nn

_FEEDS = {nn.Conv1d: "conv", nn.Conv2d: "conv", nn.Linear: "fc"}


def relu_layers(model: nn.Module) -> dict[str, str]:
    """The network's ReLU modules, named after the layer that feeds them, in order.

    Parameters
    ----------
    model : nn.Module

    Returns
    -------
    dict
        ``{"conv1": "<module path>", ..., "fc1": ...}``: the n-th ReLU after a convolution is
        ``conv<n>``, after a fully connected layer ``fc<n>``.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 4), nn.ReLU())
    >>> relu_layers(net)
    {'conv1': '1', 'fc1': '4'}
    """
    names, counts, feeding = {}, {"conv": 0, "fc": 0}, None
    for path, module in model.named_modules():
        kind = next((k for t, k in _FEEDS.items() if isinstance(module, t)), None)
        if kind is not None:
            feeding = kind
        elif isinstance(module, nn.ReLU) and feeding is not None:
            counts[feeding] += 1
            names[f"{feeding}{counts[feeding]}"] = path
    return names


def _analysis_copy(model: nn.Module) -> nn.Module:
    """An evaluation-mode copy whose ReLUs are not in place (hooks and captum need the input)."""
    net = copy.deepcopy(model).eval()
    for module in net.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False
    return net


def _batches(x: np.ndarray, batch_size: int):
    for start in range(0, len(x), batch_size):
        yield torch.as_tensor(np.asarray(x[start : start + batch_size], np.float32))


def layer_activations(
    model: nn.Module, x: np.ndarray, *, layers: list[str] | None = None, batch_size: int = 256
) -> dict[str, np.ndarray]:
    """The output of each ReLU layer for each stimulus, flattened.

    Parameters
    ----------
    model : nn.Module
    x : ndarray (N, ...)
        Stimuli, as the network reads them.
    layers : list of str, optional
        Names from :func:`relu_layers` (default: all).
    batch_size : int

    Returns
    -------
    dict
        Layer name -> float32 array (N, units of the layer), in the network's order.

    Raises
    ------
    ValueError
        For a layer name the network does not have.
    """
    net = _analysis_copy(model)
    named = relu_layers(net)
    wanted = list(named) if layers is None else list(layers)
    unknown = [name for name in wanted if name not in named]
    if unknown:
        raise ValueError(f"no ReLU layer {unknown} in this network: it has {', '.join(named)}")
    modules = dict(net.named_modules())
    parts: dict[str, list[np.ndarray]] = {name: [] for name in wanted}
    hooks = [
        modules[named[name]].register_forward_hook(
            lambda _m, _i, out, name=name: parts[name].append(out.detach().flatten(1).numpy().copy())
        )
        for name in wanted
    ]
    try:
        with torch.no_grad():
            for batch in _batches(x, batch_size):
                net(batch)
    finally:
        for hook in hooks:
            hook.remove()
    return {name: np.concatenate(parts[name]) for name in wanted}


def fraction_active(activations: np.ndarray) -> np.ndarray:
    """The share of non-zero outputs of a ReLU layer, per stimulus (``nnz / numel``).

    Parameters
    ----------
    activations : ndarray (N, units)

    Returns
    -------
    ndarray (N,)
        In [0, 1]; the layer's sparsity is one minus it.

    Examples
    --------
    >>> fraction_active(np.array([[0.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 3.0]])).tolist()
    [0.5, 0.25]
    """
    activations = np.asarray(activations)
    return (activations != 0).mean(axis=1)


def _standardised_rows(m: np.ndarray) -> np.ndarray:
    """Each row centred and scaled to unit length (NaN for a row without variance)."""
    m = np.asarray(m, np.float64).reshape(len(m), -1)
    centred = m - m.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return centred / np.linalg.norm(centred, axis=1, keepdims=True)


def _row_correlations(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Pearson's r of every row of ``a`` with every row of ``b`` (of ``a`` when None)."""
    za = _standardised_rows(a)
    return za @ (za if b is None else _standardised_rows(b)).T


def representation_correlations(activations: np.ndarray, labels) -> dict[str, np.ndarray]:
    """Pearson's r between the representations of pairs of stimuli, by the pairs' classes.

    Parameters
    ----------
    activations : ndarray (N, units)
        One layer's representation of each stimulus.
    labels : array-like (N,)
        The class of each stimulus.

    Returns
    -------
    dict
        ``"within_<class>"``: r of every pair of distinct stimuli of that class; ``"across"``: r
        of every pair of stimuli of different classes (two classes: every cross pair). Pairs
        with a stimulus whose representation is constant (all zero) are left out.

    Raises
    ------
    ValueError
        If the labels do not match the stimuli.
    """
    labels = np.asarray(labels)
    if len(labels) != len(activations):
        raise ValueError(f"{len(labels)} labels for {len(activations)} stimuli")
    classes = np.unique(labels)
    out = {}
    for c in classes:
        r = _row_correlations(activations[labels == c])
        out[f"within_{c}"] = r[np.triu_indices(len(r), k=1)]
    across = [
        _row_correlations(activations[labels == a], activations[labels == b]).ravel()
        for i, a in enumerate(classes)
        for b in classes[i + 1 :]
    ]
    out["across"] = np.concatenate(across) if across else np.zeros(0)
    return {k: v[np.isfinite(v)] for k, v in out.items()}


def unit_similarity(activations: np.ndarray, *, channels: int | None = None) -> np.ndarray:
    """Pearson's r between the responses of every pair of units of a layer over the stimuli.

    Parameters
    ----------
    activations : ndarray (N, units)
        A layer's output per stimulus (as :func:`layer_activations` gives it).
    channels : int, optional
        For a convolutional layer, its number of channels: a unit is a channel, its response to
        a stimulus the mean of its map.

    Returns
    -------
    ndarray
        r of every pair of distinct units that respond at all (silent units left out).
    """
    a = np.asarray(activations, np.float64)
    if channels is not None:
        a = a.reshape(len(a), channels, -1).mean(axis=2)
    r = _row_correlations(a.T)
    r = r[np.triu_indices(len(r), k=1)]
    return r[np.isfinite(r)]


class _LayerEnergy(nn.Module):
    """The network up to one layer, whose output is that layer's activation weighted by itself:
    its gradient with respect to the activation is the activation, so a backward pass projects
    the layer's own pattern down to the input (Zeiler & Fergus)."""

    def __init__(self, net: nn.Module, module: nn.Module):
        super().__init__()
        self.net = net
        self._out: list[torch.Tensor] = []
        module.register_forward_hook(lambda _m, _i, out: self._out.append(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._out.clear()
        self.net(x)
        a = self._out[0]
        return (a * a.detach()).flatten(1).sum(dim=1)


def reconstructions(
    model: nn.Module, x: np.ndarray, layer: str, *, method: str = "deconvolution", batch_size: int = 64
) -> np.ndarray:
    """Each stimulus projected back to the input from one layer's activation.

    Parameters
    ----------
    model : nn.Module
    x : ndarray (N, ...)
    layer : str
        A name from :func:`relu_layers`.
    method : {"deconvolution", "guided_backprop"}
        Zeiler & Fergus's deconvolution (the backward pass of a ReLU passes the positive part of
        the signal from above) or guided backpropagation (only where the forward input was
        positive as well); captum's ``Deconvolution`` and ``GuidedBackprop``.
    batch_size : int

    Returns
    -------
    ndarray, the shape of ``x``

    Raises
    ------
    ValueError
        For an unknown method or layer.
    """
    from captum.attr import Deconvolution, GuidedBackprop

    methods = {"deconvolution": Deconvolution, "guided_backprop": GuidedBackprop}
    if method not in methods:
        raise ValueError(f"method must be one of {', '.join(methods)}, got {method!r}")
    net = _analysis_copy(model)
    named = relu_layers(net)
    if layer not in named:
        raise ValueError(f"no ReLU layer {layer!r} in this network: it has {', '.join(named)}")
    energy = _LayerEnergy(net, dict(net.named_modules())[named[layer]])
    explainer = methods[method](energy)
    parts = []
    with warnings.catch_warnings():
        # captum says it hooks the ReLUs' backward pass: that is the method, on our own copy
        warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
        for batch in _batches(x, batch_size):
            parts.append(explainer.attribute(batch.requires_grad_()).detach().numpy())
    return np.concatenate(parts)


def reconstruction_correlation(recon: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Pearson's r between each reconstruction and its stimulus (NaN where one is constant).

    Parameters
    ----------
    recon, x : ndarray (N, ...)

    Returns
    -------
    ndarray (N,)
    """
    return (_standardised_rows(recon) * _standardised_rows(x)).sum(axis=1)


def saliency(model: nn.Module, x: np.ndarray, *, output: int = 0, steps: int = 32, batch_size: int = 32) -> np.ndarray:
    """Integrated gradients of one output of the network with respect to each stimulus.

    The path runs from an all-zero input (no call) to the stimulus in ``steps`` steps (captum's
    ``IntegratedGradients``); a positive value is where the input pushes the output up (for a
    binary network with one logit: towards class 1).

    Parameters
    ----------
    model : nn.Module
    x : ndarray (N, ...)
    output : int
        Which output unit.
    steps : int
    batch_size : int

    Returns
    -------
    ndarray, the shape of ``x``
    """
    from captum.attr import IntegratedGradients

    net = _analysis_copy(model)
    explainer = IntegratedGradients(net)
    parts = []
    for batch in _batches(x, batch_size):
        parts.append(explainer.attribute(batch, target=output, n_steps=steps).detach().numpy())
    return np.concatenate(parts)


def mean_and_2sem(values) -> tuple[float, float, int]:
    """Mean, two standard errors of the mean (the paper's error bars) and n of finite values.

    Parameters
    ----------
    values : array-like

    Returns
    -------
    (float, float, int)
        NaN for the mean (and the error) of fewer than one (two) values.
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), float("nan"), 0
    sem = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    return float(v.mean()), 2 * sem, len(v)
