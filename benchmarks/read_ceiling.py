"""How much of the oracle's accuracy can a network read off the call images? (synthetic data)

The gap between the sex network and the Bayes oracle has two parts: what the input does not let
a network read precisely (the oracle knows each call's latent parameters exactly), and what
learning from the sex labels of 16 mice does not find. This script measures the first part.

On each of the first ``--folds`` female and male leave-one-animal-out folds of the default
profile's synthetic data, a ``CallCNN`` on the call images is trained on the training animals to
*regress* the six latent shape parameters that carry most of the sex information (frequency
excursion, a sweep's curvature, where a chevron peaks, tremolo rate, jump size, harmonic level;
each only where the sound renders it). The Bayes oracle is then applied to the left-out animal's
calls with those six parameters replaced by what the network read, each one's variance widened
by the network's error on the two held-out validation animals (the rest of the call's parameters
stay true: family, duration, level and the discrete properties, which the images show plainly).
Its accuracy is what a perfect use of what the network reads would reach; the oracle's is
printed beside it, with the correlation of each read parameter with the truth.

    python benchmarks/read_ceiling.py [--folds 4] [--epochs 12]

Slow on purpose (one regression network per fold, about 40 s each on 2 cores); it trains on the
generator's hidden parameters, which real data do not have, so it is a diagnostic of the input,
never a classifier.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import pandas as pd
import torch

from usvlib.crossval import first_folds_of_each_class, validation_split
from usvlib.dataset import load_dataset
from usvlib.models.cnn import CallCNN
from usvlib.paper.reproduce import prepare_synthetic
from usvlib.paper.study import load_study
from usvlib.synth import oracle
from usvlib.synth.diagnostics import truth_rows
from usvlib.synth.model import FAMILIES, SynthModel
from usvlib.synth.population import visible

SHAPE_LATENTS = (
    "log_bandwidth_khz",
    "log_curvature",
    "chevron_skew",
    "tremolo_rate_hz",
    "log_jump_khz",
    "harmonic_db",
)


def rendered(model: SynthModel, calls: pd.DataFrame) -> np.ndarray:
    """(N, 6) whether each shape parameter shapes each call's sound."""
    dims = {d.name: d for d in model.dims}
    mask = np.column_stack([visible(dims[name], calls) for name in SHAPE_LATENTS])
    # a short call or a two-part call's low element without a direction is a constant tone:
    # its excursion is drawn but not rendered
    no_slope = calls.family.isin(["short", "two_part"]).to_numpy() & (calls.direction.to_numpy() == 0)
    mask[:, SHAPE_LATENTS.index("log_bandwidth_khz")] &= ~no_slope
    return mask


def fit_reader(x: torch.Tensor, z: torch.Tensor, mask: torch.Tensor, fit: np.ndarray, *, epochs: int, seed: int):
    """A CallCNN regressing the standardised parameters ``z`` where ``mask`` (masked MSE)."""
    torch.manual_seed(seed)
    net = CallCNN(heads=(z.shape[1],), input_shape=tuple(x.shape[1:]))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        if epoch == epochs * 2 // 3:
            for group in opt.param_groups:
                group["lr"] = 1e-4
        net.train()
        order = torch.as_tensor(fit)[torch.randperm(len(fit), generator=gen)]
        for start in range(0, len(order) - 1, 64):
            batch = order[start : start + 64]
            opt.zero_grad()
            weight = mask[batch]
            loss = (((net(x[batch]) - z[batch]) ** 2) * weight).sum() / weight.sum().clamp(min=1)
            loss.backward()
            opt.step()
    return net.eval()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=4, help="left-out animals of each sex")
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args()
    torch.set_num_threads(2)
    dataset = load_dataset(prepare_synthetic("default", progress=False))
    study = load_study(dataset, "default", progress=False)
    seed = study.profile.seed
    model = SynthModel()
    if dataset.config.get("model_fingerprint") != oracle.model_fingerprint(model):
        raise SystemExit("the synthetic dataset was made by another generative model: regenerate it")
    shift = float(dataset.config["male_freq_shift_khz"])
    # the ground truth the loader already read, in the study's USV order
    calls = truth_rows(dataset, study.table.truth_call_id.to_numpy())
    truth = np.column_stack([calls[f"latent_{name}"].to_numpy(float) for name in SHAPE_LATENTS])
    mask = rendered(model, calls)
    mean = np.array([truth[mask[:, j], j].mean() for j in range(len(SHAPE_LATENTS))])
    sd = np.array([truth[mask[:, j], j].std() for j in range(len(SHAPE_LATENTS))])
    z = np.where(mask, (np.nan_to_num(truth) - mean) / sd, 0.0).astype(np.float32)
    x, z_t, mask_t = torch.as_tensor(study.calls), torch.as_tensor(z), torch.as_tensor(mask, dtype=torch.float32)

    everyone = study.animal_folds()
    folds = first_folds_of_each_class(everyone, study.labels, args.folds)
    print(f"{len(folds)} left-out animals, default profile, seed {seed}, input {tuple(x.shape[1:])}")
    print("r of each read parameter with the truth: " + ", ".join(SHAPE_LATENTS))
    read_acc, oracle_acc = [], []
    for fold in folds:
        started = time.perf_counter()
        fit, val = validation_split(fold.train, study.animals, study.labels, seed=seed, by_animal=True)
        net = fit_reader(x, z_t, mask_t, fit, epochs=args.epochs, seed=seed)
        with torch.no_grad():
            read_val, read_test = net(x[val]).numpy(), net(x[fold.test]).numpy()
        test_mask = mask[fold.test]
        error = np.array([np.sqrt(np.mean((read_val - z[val])[mask[val, j], j] ** 2)) for j in range(len(sd))]) * sd
        r = [
            np.corrcoef(read_test[test_mask[:, j], j], z[fold.test][test_mask[:, j], j])[0, 1]
            if test_mask[:, j].sum() > 5
            else np.nan
            for j in range(len(sd))
        ]
        widened = []
        for dim in model.dims:
            if dim.name in SHAPE_LATENTS:
                e = error[SHAPE_LATENTS.index(dim.name)]
                dim = dataclasses.replace(dim, sd={f: float(np.hypot(dim.sd_for(f), e)) for f in FAMILIES})
            widened.append(dim)
        seen = calls.iloc[fold.test].copy()
        for j, name in enumerate(SHAPE_LATENTS):
            # what is not rendered is not read: the oracle must not use it either
            seen[f"latent_{name}"] = np.where(test_mask[:, j], read_test[:, j] * sd[j] + mean[j], np.nan)
        y = study.labels[fold.test]
        llr_read = oracle.across_animals_llr(
            dataclasses.replace(model, dims=tuple(widened)), seen, experiment="sex", male_freq_shift=shift
        )
        llr = oracle.across_animals_llr(model, calls.iloc[fold.test], experiment="sex", male_freq_shift=shift)
        read_acc.append(float(np.mean((llr_read > 0) == y)))
        oracle_acc.append(float(np.mean((llr > 0) == y)))
        print(
            f"{fold.name:14s} oracle {oracle_acc[-1]:.3f}  on read parameters {read_acc[-1]:.3f}"
            f"  r {' '.join(f'{v:5.2f}' for v in r)}  ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    k = sum(study.labels[f.test[0]] == 0 for f in folds)  # the females come first

    def balanced(values: list[float]) -> float:
        return float(np.mean([np.mean(values[:k]), np.mean(values[k:])]))

    print(f"balanced over sexes: oracle {balanced(oracle_acc):.3f}, oracle on read parameters {balanced(read_acc):.3f}")


if __name__ == "__main__":
    main()
