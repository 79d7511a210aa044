import dataclasses

import numpy as np
import pytest
from scipy import stats

from usvlib.synth import oracle
from usvlib.synth.model import LATENT_DIMS, SynthModel
from usvlib.synth.population import visible
from usvlib.synth.render import analytic_mean_freq_hz

PROPERTY_DIMS = ("log_duration_s", "center_freq_khz", "level_db", "broadband", "tremolo", "harmonic", "breaks", "peaks")


def _one_cue_model(shift_sd: float) -> SynthModel:
    """Only ``level_db`` differs (by ``shift_sd`` within-SDs); no mouse effects; same families."""
    dims = tuple(
        dataclasses.replace(d, mouse_sd=0.0, male_shift=(shift_sd * d.sd_for("flat") if d.name == "level_db" else 0.0))
        for d in LATENT_DIMS
    )
    same = {"simple": 0.5, "chevron": 0.3, "short": 0.2, "two_part": 0.0}
    return SynthModel(
        dims=dims,
        female_slot_probs=same,
        male_slot_probs=same,
        male_two_part_fraction=(0.0, 0.0),
        slot_concentration=1e6,
        balance_mean_frequency=False,
    )


def test_known_answer_single_gaussian_cue():
    model = _one_cue_model(2.0)
    r = oracle.population_oracle(model, male_freq_shift=0.0, n_animals=500, calls_per_animal=100)
    expected = stats.norm.cdf(1.0)  # shift of 2 SD, threshold halfway: Phi(1) = 0.841
    assert r.balanced_accuracy == pytest.approx(expected, abs=3 * r.se + 0.003)


def test_no_difference_means_chance():
    r = oracle.population_oracle(_one_cue_model(0.0), male_freq_shift=0.0, n_animals=300, calls_per_animal=50)
    assert abs(r.balanced_accuracy - 0.5) < 0.02


def test_default_model_is_as_hard_as_the_paper():
    model = SynthModel()
    shift = oracle.balanced_male_shift(model)
    r = oracle.population_oracle(model, male_freq_shift=shift)
    assert 0.80 <= r.balanced_accuracy <= 0.90
    assert r.se < 0.005
    # the paper's nine properties carry only part of it (its properties -> sex DNN: 59.6 %)
    props = oracle.population_oracle(model, male_freq_shift=shift, dims=PROPERTY_DIMS, use_family=False)
    assert props.balanced_accuracy < 0.70
    assert r.balanced_accuracy - props.balanced_accuracy > 0.12


def test_bayes_rule_beats_a_fitted_classifier():
    """No classifier fitted on the same latent parameters may beat the oracle (beyond noise)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = SynthModel()
    shift = oracle.balanced_male_shift(model)
    _, train = oracle.fresh_population_calls(
        model, experiment="sex", n_animals=500, calls_per_animal=20, seed=1, male_freq_shift=shift
    )
    animals, test = oracle.fresh_population_calls(
        model, experiment="sex", n_animals=500, calls_per_animal=20, seed=2, male_freq_shift=shift
    )

    def features(c):
        # what a call shows: each visible dimension (0 where invisible), a visibility flag, the family
        cols, flags = [], []
        for d in model.dims:
            seen = visible(d, c)
            value = c[f"latent_{d.name}"] if d.kind == "gaussian" else c[d.name]
            cols.append(np.where(seen, value.fillna(0.0), 0.0))
            flags.append(seen.astype(float))
        fam = c.family.to_numpy()[:, None] == np.array(["flat", "sweep", "chevron", "short", "two_part"])
        return np.hstack([np.column_stack(cols), np.column_stack(flags), fam.astype(float)])

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced"))
    clf.fit(features(train), train.sex == "male")
    pred = clf.predict(features(test))
    truth = (test.sex == "male").to_numpy()
    fitted = 0.5 * ((pred[truth]).mean() + (~pred[~truth]).mean())
    best = oracle.oracle_accuracy(model, test, animals, male_freq_shift=shift)
    print(f"fitted {fitted:.3f} oracle {best.balanced_accuracy:.3f} +- {best.se:.3f}")
    assert fitted <= best.balanced_accuracy + 2 * best.se
    assert fitted > 0.7  # the cues are real: a linear model finds much of them


def test_knowing_the_animals_helps():
    model = SynthModel()
    shift = oracle.balanced_male_shift(model)
    animals, calls = oracle.fresh_population_calls(
        model, experiment="sex", n_animals=9, calls_per_animal=400, seed=3, male_freq_shift=shift
    )
    across = oracle.oracle_accuracy(model, calls, animals, male_freq_shift=shift)
    known = oracle.oracle_accuracy(model, calls, animals, known_animals=True, male_freq_shift=shift)
    assert known.balanced_accuracy > across.balanced_accuracy + 0.02


def test_balanced_shift_equalises_mean_frequency():
    model = SynthModel()
    shift = oracle.balanced_male_shift(model)
    assert 0 < shift < 5  # males' other calls sit a little higher to make up for the low two-part call
    _, calls = oracle.fresh_population_calls(
        model, experiment="sex", n_animals=6000, calls_per_animal=4, seed=9, male_freq_shift=shift
    )
    calls = oracle._with_nuisance(model, calls)
    f = analytic_mean_freq_hz(calls)
    male = (calls.sex == "male").to_numpy()
    assert oracle.auc(f[male], f[~male]) == pytest.approx(0.5, abs=0.012)
