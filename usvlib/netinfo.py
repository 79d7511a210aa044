"""Looking inside a trained network: its layers and its first-layer filters (Fig 3A, 3C)."""

from __future__ import annotations

import torch
from torch import nn

from usvlib.call_images import CALL_IMAGE_HARMONICS


def describe(model: nn.Module, input_shape: tuple | None = None) -> list[dict]:
    """Layer by layer: type, output shape and parameters (for the architecture of Fig 3A).

    Parameters
    ----------
    model : nn.Module
        Run once on zeros in eval mode, without gradients; its training mode is restored.
    input_shape : tuple of int, optional
        (batch, channels, height, width); defaults to one input of the model's own
        ``input_shape`` (the 100 x 100 image where it has none).

    Returns
    -------
    list of dict
        One per leaf layer that runs, in the order they run (dropout left out): ``layer`` (its type's
        name), ``output`` (shape of one example's output), ``parameters`` (its own count) and, for
        convolutions and pooling, ``kernel`` and ``stride`` (height, width).
    """
    if input_shape is None:
        input_shape = (1, *getattr(model, "input_shape", (1, 100, 100)))
    rows, hooks = [], []

    def hook(module, _inp, out):
        if isinstance(out, (list, tuple)):
            out = out[0]
        row = {
            "layer": type(module).__name__,
            "output": tuple(out.shape[1:]),
            "parameters": sum(p.numel() for p in module.parameters(recurse=False)),
        }
        for name in ("kernel_size", "stride"):
            if hasattr(module, name):
                value = getattr(module, name)
                row[name.split("_")[0]] = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
        rows.append(row)

    for m in model.modules():
        if not list(m.children()) and not isinstance(m, nn.Dropout):
            hooks.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(input_shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return rows


def call_image_band_names(harmonics: tuple[int, ...] = CALL_IMAGE_HARMONICS) -> list[str]:
    """Names of the call images' channels (``call_images.CALL_IMAGE_HARMONICS``), for plots.

    Parameters
    ----------
    harmonics : tuple of int
        The harmonic of each channel (1: the fundamental).

    Returns
    -------
    list of str

    Examples
    --------
    >>> call_image_band_names((1, 2))
    ['fundamental', 'harmonic 2']
    """
    return ["fundamental" if k == 1 else f"harmonic {k}" for k in harmonics]


def first_layer_filters(model: nn.Module) -> torch.Tensor:
    """Weights of the first convolution of a network, for showing its filters (Fig 3C).

    Parameters
    ----------
    model : nn.Module
        A network with at least one ``Conv2d``.

    Returns
    -------
    Tensor
        (filters, kernel height, kernel width) for a network of one input channel, (filters, input
        channels, kernel height, kernel width) otherwise (the call images' fundamental and harmonic
        bands); detached from the graph.

    Raises
    ------
    StopIteration
        If the network has no ``Conv2d``.
    """
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    weights = conv.weight.detach()
    return weights[:, 0] if weights.shape[1] == 1 else weights
