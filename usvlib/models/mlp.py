"""Networks on vectors and sequences: the properties -> sex DNN and the semi-convolutional DNN."""

from __future__ import annotations

import torch
from torch import nn

from usvlib.models.cnn import he_init


class PropertiesMLP(nn.Module):
    """Properties -> class (Fig 4F-G): 4 fully connected layers of 70 units, BN, ReLU (paper)."""

    def __init__(self, n_inputs: int, n_outputs: int = 1, *, width: int = 70, depth: int = 4, dropout: float = 0.2):
        super().__init__()
        layers, w = [], n_inputs
        for _ in range(depth):
            layers += [nn.Linear(w, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(inplace=True)]
            w = width
        self.dropout = nn.Dropout(dropout)
        self.body = nn.Sequential(*layers, self.dropout)
        self.out = nn.Linear(width, n_outputs)
        he_init(self)

    def set_dropout(self, p: float) -> None:
        self.dropout.p = p

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))


class SemiConvNet(nn.Module):
    """Properties + spectral line + time and frequency marginals -> class (Fig 4J-K).

    The paper's architecture was not published; this one runs two 1-D convolution stacks (8 and
    16 channels, kernel 5, max pooling) over the three sequences (spectral line and time
    marginal, 100 points, as two channels; frequency marginal, 233 points, averaged in fours
    first), concatenates their pooled outputs with the property vector and classifies with two
    fully connected layers.
    """

    def __init__(
        self, n_properties: int, n_outputs: int = 1, *, channels: int = 8, width: int = 64, dropout: float = 0.2
    ):
        super().__init__()

        def stack(c_in: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv1d(c_in, channels, 5, padding=2, bias=False),
                nn.BatchNorm1d(channels),
                nn.ReLU(inplace=True),
                nn.MaxPool1d(2),
                nn.Conv1d(channels, 2 * channels, 5, padding=2, bias=False),
                nn.BatchNorm1d(2 * channels),
                nn.ReLU(inplace=True),
                nn.AdaptiveMaxPool1d(4),
            )

        self.time_stack = stack(2)
        self.freq_stack = nn.Sequential(nn.AvgPool1d(4), stack(1))
        self.dropout = nn.Dropout(dropout)
        n_in = 2 * (2 * channels * 4) + n_properties
        self.body = nn.Sequential(
            nn.Linear(n_in, width, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            self.dropout,
            nn.Linear(width, width, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            self.dropout,
        )
        self.out = nn.Linear(width, n_outputs)
        he_init(self)

    def set_dropout(self, p: float) -> None:
        self.dropout.p = p

    def forward(self, x) -> torch.Tensor:
        props, time_seq, freq_seq = x
        z = torch.cat(
            [
                torch.flatten(self.time_stack(time_seq), 1),
                torch.flatten(self.freq_stack(freq_seq), 1),
                props,
            ],
            dim=1,
        )
        return self.out(self.body(z))
