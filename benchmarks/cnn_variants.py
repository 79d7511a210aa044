"""Variants of the CPU network against the default one: accuracy across animals and cost ratio.

Each variant is trained on the same leave-one-animal-out folds of the default profile's synthetic
data (the first ``--folds`` females and males), with the same seed, in this process, after the
default network (the baseline of the time ratio). It prints each variant's balanced accuracy
(mean over folds, then per sex) and its training time per fold relative to the baseline.

    python benchmarks/cnn_variants.py [--folds 4] [--variants base,all-animals,...]

Variants (what differs from the default profile's network and schedule):

* ``all-animals``: no validation animals: all 16 training mice fitted, last epoch kept;
* ``usv-validation``: the validation set is 10 % of the training USVs (all mice fitted);
* ``20-epochs``: 14 + 6 epochs instead of 2 + 1 (with ``all-animals``);
* ``global-pool``: stride-1 convolutions with max pooling at 100 x 50, and a global max and
  mean over positions before the dense layer (position-free features);
* ``log``: log-compressed images (``log1p``), each image's minimum at zero;
* ``per-image-scale``: each image divided by its own standard deviation (level-free);
* ``time-crop``: the central 150 ms of the 250 ms canvas (columns 20-80, where 99.6 % of the
  calls' energy lies) at full time resolution (frequency halved), the default stride-2 trunk;
* ``time-crop-global-pool``: the same crop, two stride-2 and two stride-1 convolutions, global
  max and mean;
* ``full-resolution``: no initial average pooling, four stride-2 convolutions.
* ``call-images``: the default profile's sex network since this variant was measured:
  ``CallCNN`` on the call images (``usvlib.call_images``: the fundamental's band and the
  second harmonic's, two channels), without augmentation; here ``base`` is the network of the
  canvas images that it replaced (``EfficientCNN``).
* ``fundamental-band``: the same on the fundamental's band alone (the call images before the
  harmonic's band was added).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch
from torch import nn

from usvlib.crossval import first_folds_of_each_class, validation_split
from usvlib.dataset import load_dataset
from usvlib.models.cnn import CallCNN, EfficientCNN, TrunkWithHeads, _conv
from usvlib.paper.reproduce import prepare_synthetic
from usvlib.paper.study import load_study
from usvlib.schedule import Stage
from usvlib.train import fit_network, predict_scores

VARIANTS = (
    "base",
    "all-animals",
    "usv-validation",
    "20-epochs",
    "global-pool",
    "log",
    "per-image-scale",
    "time-crop",
    "time-crop-global-pool",
    "full-resolution",
    "call-images",
    "fundamental-band",
)


class TimeCrop(nn.Module):
    """Columns ``first:last`` of the image (the canvas is centred on the call)."""

    def __init__(self, first: int = 20, last: int = 80):
        super().__init__()
        self.first, self.last = first, last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :, self.first : self.last]


class TrunkCNN(TrunkWithHeads):
    """Any trunk, then the CPU network's dense layer (on the flattened map or, with
    ``global_pool``, on the global max and mean of each channel) and one logit."""

    def __init__(self, trunk: nn.Sequential, *, global_pool: bool, fc: int = 64, dropout: float = 0.2):
        super().__init__()
        self.features, self.global_pool = trunk, global_pool
        with torch.no_grad():  # in eval mode: the probe must not touch batch-norm statistics
            shape = trunk.eval()(torch.zeros(2, 1, 100, 100)).shape
        trunk.train()
        n_in = 2 * shape[1] if global_pool else shape[1:].numel()
        self._build_top(n_in, (1,), fc, dropout)

    def trunk_output(self, x: torch.Tensor) -> torch.Tensor:
        if not self.global_pool:
            return super().trunk_output(x)
        z = self.features(x)
        return torch.cat([z.amax(dim=(2, 3)), z.mean(dim=(2, 3))], 1)


def global_pool_cnn(w: int = 8) -> TrunkCNN:
    """Stride-1 convolutions with max pooling, then a global max and mean over positions."""
    # the CPU network's pooling trunk, on 100 x 50 (time halved, frequency kept), plus a
    # fourth convolution
    trunk = list(EfficientCNN(width=w, pool=True).features)
    trunk[0] = nn.AvgPool2d((1, 2))
    return TrunkCNN(nn.Sequential(*trunk, _conv(4 * w, 8 * w, 3, 1)), global_pool=True)


def time_crop_cnn(w: int = 8) -> TrunkCNN:
    trunk = nn.Sequential(
        TimeCrop(), nn.AvgPool2d((2, 1)), _conv(1, w, 3, 2), _conv(w, 2 * w, 3, 2), _conv(2 * w, 4 * w, 3, 2)
    )
    return TrunkCNN(trunk, global_pool=False)


def time_crop_global_pool_cnn(w: int = 8) -> TrunkCNN:
    trunk = nn.Sequential(
        TimeCrop(),
        nn.AvgPool2d((2, 1)),
        _conv(1, w, 3, 2),
        _conv(w, 2 * w, 3, 2),
        _conv(2 * w, 4 * w, 3, 1),
        _conv(4 * w, 8 * w, 3, 1),
    )
    return TrunkCNN(trunk, global_pool=True)


def full_resolution_cnn(w: int = 8) -> TrunkCNN:
    trunk = nn.Sequential(
        _conv(1, w, 3, 2), _conv(w, 2 * w, 3, 2), _conv(2 * w, 4 * w, 3, 2), _conv(4 * w, 4 * w, 3, 2)
    )
    return TrunkCNN(trunk, global_pool=False)


def run_variant(study, folds, name: str, seed: int) -> tuple[np.ndarray, float]:
    """Balanced accuracy of each fold (one animal: its accuracy) and the mean fit seconds."""
    schedule = study.profile.training.schedule
    images = study.images
    build = EfficientCNN
    validation = "animals"
    if name in ("all-animals", "20-epochs"):
        validation = None
        schedule = dataclasses.replace(schedule, select_on_validation=False)
    if name == "usv-validation":
        validation = "usvs"
    if name == "20-epochs":
        schedule = dataclasses.replace(schedule, stages=(Stage(14, 3e-3, 0.2), Stage(6, 3e-4, 0.2)))
    if name == "global-pool":
        build = global_pool_cnn
    if name == "time-crop":
        build = time_crop_cnn
    if name == "time-crop-global-pool":
        build = time_crop_global_pool_cnn
    if name == "full-resolution":
        build = full_resolution_cnn
    augment = True
    if name == "call-images":
        images, build, augment = study.calls, CallCNN, False
    if name == "fundamental-band":
        images, augment = study.calls[:, :1], False

        def build():
            return CallCNN(input_shape=(1, *study.calls.shape[2:]))

    if name == "per-image-scale":

        def build():
            return EfficientCNN(per_image_scale=True)

    if name == "log":
        shifted = np.maximum(images - images.min(axis=(1, 2, 3), keepdims=True), 0)
        images = np.log1p(4 * shifted).astype(np.float32)
        images /= images.std()
    accuracies, seconds = [], 0.0
    for fold in folds:
        if validation is None:
            fit, val = fold.train, fold.train[:0]
        else:
            fit, val = validation_split(
                fold.train, study.animals, study.labels, seed=seed, by_animal=validation == "animals"
            )
        torch.manual_seed(seed)
        model = build()
        val_data = (images[val], study.labels[val]) if len(val) else None
        log = fit_network(model, images[fit], study.labels[fit], schedule, val=val_data, seed=seed, images=augment)
        seconds += log.seconds
        pred = predict_scores(model, images[fold.test]).argmax(axis=1)
        accuracies.append(float(np.mean(pred == study.labels[fold.test])))
    return np.array(accuracies), seconds / len(folds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=4, help="left-out animals of each sex")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    names = ["base", *[v for v in args.variants.split(",") if v != "base"]]
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    torch.set_num_threads(2)
    study = load_study(load_dataset(prepare_synthetic("default", progress=False)), "default", progress=False)
    everyone = study.animal_folds()
    folds = first_folds_of_each_class(everyone, study.labels, args.folds)
    k = sum(study.labels[f.test[0]] == 0 for f in folds)  # the females come first
    print(f"{len(folds)} left-out animals ({k} female, {len(folds) - k} male), default profile, seed 0")
    base_seconds = None
    for name in names:
        started = time.perf_counter()
        acc, per_fold = run_variant(study, folds, name, seed=study.profile.seed)
        base_seconds = per_fold if base_seconds is None else base_seconds
        print(
            f"{name:22s} balanced {np.mean([acc[:k].mean(), acc[k:].mean()]):.3f}"
            f"  female {acc[:k].mean():.3f}  male {acc[k:].mean():.3f}"
            f"  fit {per_fold:5.1f} s/fold  ratio {per_fold / base_seconds:4.1f} x"
            f"  ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
