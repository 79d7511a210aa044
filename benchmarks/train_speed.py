"""Training speed of each network in images (examples) per second, and the ratio to the paper's.

All networks train on random inputs of their shape with Adam, batch 64, in this process with
the same torch threads (default 2); the paper's network (PaperCNN, 23 M parameters) is the
baseline. The ratio, not the absolute speed, is what carries over between machines.

    python benchmarks/train_speed.py [--threads 2] [--paper-steps 3]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from usvlib.models.cnn import CallCNN, EfficientCNN, PaperCNN, n_parameters
from usvlib.models.mlp import PropertiesMLP, SemiConvNet


def examples_per_second(model: nn.Module, make_batch, steps: int, batch: int = 64) -> float:
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    x, y = make_batch(batch)
    model.train()
    for _ in range(2):  # warm-up
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    started = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return steps * batch / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--paper-steps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    def images(n):
        return torch.randn(n, 1, 100, 100), torch.randint(0, 2, (n, 1)).float()

    def calls(n):
        return torch.randn(n, 2, 48, 32), torch.randint(0, 2, (n, 1)).float()

    def props(n):
        return torch.randn(n, 9), torch.randint(0, 2, (n, 1)).float()

    def sequences(n):
        return (torch.randn(n, 9), torch.randn(n, 2, 100), torch.randn(n, 1, 233)), torch.randint(0, 2, (n, 1)).float()

    rows = [
        ("PaperCNN (the paper's)", PaperCNN(), images, args.paper_steps),
        ("EfficientCNN (CPU profiles)", EfficientCNN(), images, 40),
        ("CallCNN (CPU sex network)", CallCNN(), calls, 40),
        ("PropertiesMLP", PropertiesMLP(9), props, 200),
        ("SemiConvNet", SemiConvNet(9), sequences, 100),
    ]
    print(f"training speed, batch 64, {args.threads} torch thread(s):")
    base = None
    for name, model, make, steps in rows:
        speed = examples_per_second(model, make, steps)
        base = base or speed
        print(
            f"  {name:30s} {n_parameters(model):>11,d} parameters  {speed:9.1f} examples/s  ratio {speed / base:8.1f}"
        )


if __name__ == "__main__":
    main()
