"""How close to the Bayes oracle can a classifier trained on 16 mice get? (synthetic data)

The oracle knows the generator: its distributions, the sexes' exact means. A classifier learns
them from the training mice. The *learnable ceiling* gives a learner every advantage but that
one: each call's parameters exactly as the sound shows them, and the oracle's own model class
(``models.bayes.StratifiedNaiveBayes``: a naive Bayes per call family, each mouse weighted
equally), its parameters estimated from the training mice. Printed:

1. on the dataset, leave-one-animal-out (the figure of merit's setting): the oracle, the
   learnable ceiling (the cached Fig 3 reference), gradient boosting on the same parameters,
   and the DNN;
2. in the population: the learnable ceiling fitted on 8 + 8 *fresh* mice (the dataset's calls per
   mouse) and tested on 300 + 300 fresh mice, repeated over independent training sets, against
   the oracle on the same test mice. The dataset's mice have their random effects centred within
   each sex (``synth.model``), so leaving one mouse out moves the others' mean away from it: the
   dataset's leave-one-out setting is harder than fresh mice, and (2) says by how much.

    python benchmarks/learnable_ceiling.py [--repeats 10] [--profile default]

About a minute after ``make reproduce`` (the Fig 3 references come from its cache).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from usvlib.crossval import class_balanced_mean, leave_one_animal_out
from usvlib.dataset import load_dataset
from usvlib.paper.fig3 import across_animals_dnn
from usvlib.paper.references import reference_cv
from usvlib.paper.reproduce import prepare_synthetic
from usvlib.paper.study import load_study
from usvlib.synth import oracle
from usvlib.synth.diagnostics import learnable_ceiling, shown_parameters, truth_rows
from usvlib.synth.model import SynthModel


def ceiling_inputs(calls):
    """The learnable ceiling (unfitted), its inputs and strata, and the labels of ``calls``."""
    estimator, x, strata = learnable_ceiling(shown_parameters(calls))
    return estimator, x, strata, (calls.sex == "male").to_numpy().astype(int)


def per_animal(correct: np.ndarray, animals: np.ndarray, labels: np.ndarray) -> float:
    """Each mouse's accuracy, averaged within each sex, then over the sexes (as the references)."""
    by_mouse = pd.DataFrame({"correct": correct, "animal": animals, "label": labels}).groupby("animal").mean()
    return float(by_mouse.groupby("label").correct.mean().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--profile", default="default")
    args = parser.parse_args()
    dataset = load_dataset(prepare_synthetic(args.profile, progress=False))
    study = load_study(dataset, args.profile, progress=False)
    model = SynthModel()
    shift = float(dataset.config["male_freq_shift_khz"])

    folds = study.animal_folds()
    calls = truth_rows(dataset, study.table.truth_call_id.to_numpy())
    llr = oracle.across_animals_llr(model, calls, experiment="sex", male_freq_shift=shift)
    oracle_here = per_animal((llr > 0).astype(int) == study.labels, study.animals, study.labels)
    rows = [
        ("Bayes oracle", oracle_here),
        (
            "learnable ceiling",
            class_balanced_mean(reference_cv(study, "fig3-reference-plugin", "plugin", folds=folds, progress=False)),
        ),
        (
            "boosting, same parameters",
            class_balanced_mean(reference_cv(study, "fig3-reference-latent", "latent", folds=folds, progress=False)),
        ),
        ("DNN", class_balanced_mean(across_animals_dnn(study, progress=False))),
    ]
    print(f"1. this dataset, leave one of {len(folds)} mice out (mean over the mice of each sex, then the sexes):")
    for name, value in rows:
        print(f"   {name:28s} {100 * value:5.1f} %   {100 * (oracle_here - value):4.1f} points under the oracle")

    per_mouse = round(len(study.table) / len(folds))
    _, test = oracle.fresh_population_calls(
        model, experiment="sex", n_animals=300, calls_per_animal=60, seed=10_000, male_freq_shift=shift
    )
    _, x_test, fam_test, y_test = ceiling_inputs(test)
    llr_test = oracle.across_animals_llr(model, test, experiment="sex", male_freq_shift=shift)
    oracle_fresh = per_animal((llr_test > 0).astype(int) == y_test, test.animal.to_numpy(), y_test)
    accs = []
    for rep in range(args.repeats):
        _, train = oracle.fresh_population_calls(
            model, experiment="sex", n_animals=8, calls_per_animal=per_mouse, seed=rep, male_freq_shift=shift
        )
        est, x, fam, y = ceiling_inputs(train)
        est.fit(x, y, strata=fam, groups=train.animal.to_numpy())
        accs.append(per_animal(est.predict(x_test, strata=fam_test) == y_test, test.animal.to_numpy(), y_test))
    accs = np.array(accs)
    print(
        f"2. fresh mice: fitted on 8 + 8 ({per_mouse} calls each), tested on 300 + 300, {args.repeats} training sets:"
    )
    print(f"   Bayes oracle                 {100 * oracle_fresh:5.1f} %")
    print(
        f"   learnable ceiling            {100 * accs.mean():5.1f} ± {100 * accs.std(ddof=1):.1f} %   "
        f"{100 * (oracle_fresh - accs.mean()):4.1f} points under the oracle"
    )

    # 3. the dataset's setting without its particular mice: simulated datasets of as many mice per
    # sex, effects centred within each sex (as the generator does) or not, leave-one-mouse-out
    counts = study.table.groupby("sex").animal.nunique()
    gaps = {False: [], True: []}
    for rep in range(args.repeats):
        animals = oracle.fresh_animals(model, experiment="sex", n_animals=int(counts.max()), seed=100 + rep)
        keep = animals.groupby("sex").cumcount() < animals.sex.map(counts)
        animals = animals[keep].reset_index(drop=True)
        for centred in (False, True):
            mice = animals.copy()
            if centred:
                effects = [c for c in mice.columns if c.startswith("effect_")]
                mice[effects] -= mice.groupby("sex")[effects].transform("mean")
            rng = np.random.default_rng(1000 + rep)
            calls = oracle.calls_of_animals(model, mice, np.full(len(mice), per_mouse), rng, male_freq_shift=shift)
            est, x, fam, y = ceiling_inputs(calls)
            mouse = calls.animal.to_numpy()
            pred = np.zeros(len(y), int)
            for fold in leave_one_animal_out(mouse):
                est.fit(x[fold.train], y[fold.train], strata=fam[fold.train], groups=mouse[fold.train])
                pred[fold.test] = est.predict(x[fold.test], strata=fam[fold.test])
            llr = oracle.across_animals_llr(model, calls, experiment="sex", male_freq_shift=shift)
            gaps[centred].append(per_animal((llr > 0) == y, mouse, y) - per_animal(pred == y, mouse, y))
    print(
        f"3. simulated datasets of {counts.get('female', 0)} + {counts.get('male', 0)} mice, leave one out, "
        f"{args.repeats} datasets: learnable ceiling under the oracle by"
    )
    for centred in (False, True):
        g = 100 * np.array(gaps[centred])
        label = "effects centred in each sex" if centred else "effects as drawn"
        print(f"   {label:28s} {g.mean():4.1f} ± {g.std(ddof=1) / np.sqrt(len(g)):.1f} points (mean ± SE)")


if __name__ == "__main__":
    main()
