"""Convolutional networks on the 100 x 100 USV images.

``PaperCNN`` is exactly the paper's network (Fig 3A): six convolutions of 256 filters (10 x 10
stride 2, 5 x 5 stride 2, four 3 x 3 stride 1, 'same' padding, no pooling: 25 x 25 x 256 out),
three fully connected layers of 120, batch normalisation and ReLU everywhere, dropout in the
fully connected layers, He initialisation, one output per class (one logit for two classes);
about 23 million parameters. It trains at about 9 images/s on a 2-core CPU, so its 90-epoch
schedule over 17 folds is GPU work.

``EfficientCNN`` is the CPU network of the quick and default profiles: the image is averaged
down to 50 x 50, then three 3 x 3 convolutions of stride 2 (8, 16, 32 filters; 25, 13, 7
pixels), each with batch normalisation and ReLU, and a fully connected layer of 64 with dropout;
about 0.1 million parameters and 0.5 million multiply-adds per image, some 600 times cheaper
than the paper's network.
Every head (``n_outputs``) is a separate linear layer on the shared trunk, so one network can
predict several properties at once (Fig 4A-E).

``CallCNN`` is the CPU profiles' sex (and strain) network. It reads the *call image*
(``usvlib.call_images``: each call stretched in time to 32 columns and centred in
frequency, 48 rows of 1.4 kHz; a second channel holds the band of its second harmonic, 48 rows of
2.8 kHz around twice its frequency) instead of the 100 x 100 canvas, because on the canvas the small
networks learn what differs between mice (a call's duration and frequency) and miss the shape of
its contour, which is what differs between the sexes: four 3 x 3 convolutions of stride 2, 1, 2
and 2 (8, 16, 32, 32 filters; 24 x 16 down to 6 x 4), a fully connected layer of 64 with dropout;
about 0.06 million parameters.

Both CPU networks are a ``TrunkWithHeads``: a convolutional trunk, one fully connected layer with
dropout, one linear head per task.
"""

from __future__ import annotations

import torch
from torch import nn

from usvlib.call_images import CALL_IMAGE_HARMONICS, CALL_IMAGE_SHAPE


def he_init(module: nn.Module) -> None:
    """He (Kaiming) initialisation of convolutions and linear layers, as in the paper.

    Parameters
    ----------
    module : nn.Module
        Changed in place: the weights of every ``Conv1d``, ``Conv2d`` and ``Linear`` in it are drawn
        from He's normal distribution (for ReLU), their biases set to zero.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv1d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _conv(c_in: int, c_out: int, k: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2 if stride == 1 else (k - 1) // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class PaperCNN(nn.Module):
    """The paper's network (see the module docstring). Input (N, 1, 100, 100)."""

    input_shape = (1, 100, 100)

    def __init__(self, n_outputs: int = 1, *, dropout: float = 0.0, filters: int = 256, fc: int = 120):
        super().__init__()
        self.features = nn.Sequential(
            nn.ZeroPad2d((4, 5, 4, 5)),
            _conv(1, filters, 10, 2),  # 'same' for an even kernel: 100 -> 50
            nn.ZeroPad2d((1, 2, 1, 2)),
            _conv(filters, filters, 5, 2),  # 50 -> 25
            _conv(filters, filters, 3, 1),
            _conv(filters, filters, 3, 1),
            _conv(filters, filters, 3, 1),
            _conv(filters, filters, 3, 1),
        )
        # the padding above already makes the sizes; remove the convolutions' own
        for block in (self.features[1], self.features[3]):
            block[0].padding = (0, 0)
        self.dropout = nn.Dropout(dropout)
        layers, width = [], filters * 25 * 25
        for _ in range(3):
            layers += [nn.Linear(width, fc, bias=False), nn.BatchNorm1d(fc), nn.ReLU(inplace=True), self.dropout]
            width = fc
        self.classifier = nn.Sequential(*layers)
        self.out = nn.Linear(fc, n_outputs)
        he_init(self)

    def set_dropout(self, p: float) -> None:
        """The paper raises dropout between its training stages (0, 0.5, 0.7)."""
        self.dropout.p = p

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.embed(x))


class TrunkWithHeads(nn.Module):
    """A convolutional trunk (``self.features``), one fully connected layer with dropout, then
    one linear head per task: the shape of the CPU networks.

    Subclasses build ``self.features`` first and then call :meth:`_build_top`, so that the
    modules, and with them the seeded initial weights, come in one order.
    """

    def _build_top(self, n_features: int, heads, fc: int, dropout: float) -> None:
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Sequential(
            nn.Linear(n_features, fc, bias=False), nn.BatchNorm1d(fc), nn.ReLU(inplace=True), self.dropout
        )
        self.heads = nn.ModuleList(nn.Linear(fc, k) for k in heads)
        he_init(self)

    def set_dropout(self, p: float) -> None:
        self.dropout.p = p

    def trunk_output(self, x: torch.Tensor) -> torch.Tensor:
        """The trunk's output for a batch, one flat row per input."""
        return torch.flatten(self.features(x), 1)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.trunk_output(x))

    def forward(self, x: torch.Tensor):
        z = self.embed(x)
        outs = [h(z) for h in self.heads]
        return outs[0] if len(outs) == 1 else outs


def trunk_output_size(features: nn.Module, input_shape) -> int:
    """Values per input that ``features`` outputs for inputs of ``input_shape`` (C, H, W).

    Parameters
    ----------
    features : nn.Module
        Probed with zeros in eval mode (batch-norm statistics untouched), then left in training
        mode.
    input_shape : tuple of int
        (channels, height, width) of one input.

    Returns
    -------
    int
        The size of the flattened output of one input: the input size of the layer after it.
    """
    with torch.no_grad():  # in eval mode: the probe must not touch batch-norm statistics
        n = features.eval()(torch.zeros(2, *input_shape)).shape[1:].numel()
    features.train()
    return n


class EfficientCNN(TrunkWithHeads):
    """The CPU network (see the module docstring). Input (N, 1, 100, 100).

    Parameters
    ----------
    heads : sequence of int
        Outputs of each head (1 for a binary task); ``forward`` returns one tensor per head
        when there are several.
    width : int
        Filters of the first convolution (doubled in each of the next two).
    """

    input_shape = (1, 100, 100)

    def __init__(
        self,
        heads=(1,),
        *,
        width: int = 8,
        fc: int = 64,
        dropout: float = 0.2,
        per_image_scale: bool = False,
        pool: bool = False,
    ):
        super().__init__()
        self.per_image_scale = per_image_scale
        w = width
        if pool:  # stride-1 convolutions and max pooling: finer detail, 3-4 times the cost
            self.features = nn.Sequential(
                nn.AvgPool2d(2),
                _conv(1, w, 3, 1),
                nn.MaxPool2d(2, ceil_mode=True),
                _conv(w, 2 * w, 3, 1),
                nn.MaxPool2d(2, ceil_mode=True),
                _conv(2 * w, 4 * w, 3, 1),
                nn.MaxPool2d(2, ceil_mode=True),
            )
        else:
            self.features = nn.Sequential(
                nn.AvgPool2d(2),  # 100 -> 50: the cues are coarser than a pixel
                _conv(1, w, 3, 2),  # 25
                _conv(w, 2 * w, 3, 2),  # 13
                _conv(2 * w, 4 * w, 3, 2),  # 7
            )
        self._build_top(trunk_output_size(self.features, self.input_shape), heads, fc, dropout)

    def trunk_output(self, x: torch.Tensor) -> torch.Tensor:
        if self.per_image_scale:  # level-free: each image divided by its own spread
            x = x / (x.std(dim=(1, 2, 3), keepdim=True) + 1e-6)
        return super().trunk_output(x)


class CallCNN(TrunkWithHeads):
    """The CPU sex network on call images (see the module docstring). Input (N, 2, 48, 32).

    Parameters
    ----------
    heads : sequence of int
        Outputs of each head (1 for a binary task).
    width : int
        Filters of the first convolution (doubled in each of the next two).
    input_shape : (channels, height, width)
        Shape of one input; the fully connected layer is sized from it. The default: the call
        images as ``load_study`` makes them, a band per ``call_images.CALL_IMAGE_HARMONICS``.
    """

    def __init__(
        self,
        heads=(1,),
        *,
        width: int = 8,
        fc: int = 64,
        dropout: float = 0.2,
        input_shape=(len(CALL_IMAGE_HARMONICS), *CALL_IMAGE_SHAPE),
    ):
        super().__init__()
        w = width
        self.input_shape = tuple(input_shape)
        self.features = nn.Sequential(
            _conv(input_shape[0], w, 3, 2),  # 24 x 16
            _conv(w, 2 * w, 3, 1),  # stride 1 here: the contour's shape is a few pixels of it
            _conv(2 * w, 4 * w, 3, 2),  # 12 x 8
            _conv(4 * w, 4 * w, 3, 2),
        )
        self._build_top(trunk_output_size(self.features, self.input_shape), heads, fc, dropout)


def n_parameters(model: nn.Module) -> int:
    """Number of parameters of a network.

    Parameters
    ----------
    model : nn.Module

    Returns
    -------
    int
        Every parameter's element count, trainable or not (batch-norm running statistics, which
        are buffers, excluded).
    """
    return sum(p.numel() for p in model.parameters())
