import numpy as np
import pandas as pd

from usvlib.paper.profiles import get_profile
from usvlib.synth.model import SynthModel
from usvlib.synth.population import recenter_effects, sample_animals, sample_calls

from conftest import TINY


def _draw(seed=0, profile=None):
    model = SynthModel()
    profile = profile or get_profile("quick")
    animals = sample_animals(model, profile.synth, seed)
    calls = {a.animal: sample_calls(model, a, seed, male_freq_shift=1.0) for _, a in animals.iterrows()}
    return model, animals, calls


def test_same_seed_same_draws_and_another_seed_differs():
    _, a1, c1 = _draw(0, TINY)
    _, a2, c2 = _draw(0, TINY)
    _, a3, _ = _draw(1, TINY)
    pd.testing.assert_frame_equal(a1, a2)
    for k in c1:
        pd.testing.assert_frame_equal(c1[k], c2[k])
    assert not np.allclose(a1.rate_per_s, a3.rate_per_s)


def test_animals_match_the_donders_design():
    _, animals, _ = _draw()
    sex = animals[animals.experiment == "sex"]
    assert sex.animal.tolist()[:2] == ["Rfem_Afem01", "Rfem_Afem02"] and len(sex) == 18
    assert (sex.sex == "female").sum() == 10
    assert (animals[animals.sex == "female"].p_two_part == 0).all()
    assert (animals[animals.sex == "male"].p_two_part > 0.05).all()
    for _, exp in animals.groupby("experiment"):
        assert exp.rate_per_s.mean() == np.float64(3.27) or abs(exp.rate_per_s.mean() - 3.27) < 1e-9


def test_timing_is_physical():
    model, animals, calls = _draw()
    for _, a in animals.iterrows():
        c = calls[a.animal]
        assert (c.onset_s >= model.bouts.margin_s).all()
        assert (c.offset_s <= a.recording_s - model.bouts.margin_s + 1e-9).all()
        gaps = c.onset_s.to_numpy()[1:] - c.offset_s.to_numpy()[:-1]
        # never closer than the paper's 15 ms merge rule: one call is one USV
        assert (gaps >= model.bouts.min_gap_s - 1e-9).all()
        assert (c.duration_s >= model.nuisance.min_duration_s).all()


def test_recentred_effects_have_zero_call_weighted_mean():
    model, animals, calls = _draw()
    animals, calls = recenter_effects(model, animals, calls, 0, exclude=("Rfem_Afem09",))
    for _, group in animals.groupby(["experiment", "sex", "strain"]):
        used = group[group.animal != "Rfem_Afem09"]
        n = np.array([len(calls[a]) for a in used.animal], float)
        for col in ("effect_center_freq_khz", "effect_level_db", "effect_log_bandwidth_khz"):
            assert abs(np.sum(n * used[col]) / n.sum()) < 1e-9
    # calls stay consistent with their animals' effects: latent values moved with them
    c = calls["Rmale_Afem01"]
    assert np.isfinite(c.latent_center_freq_khz).all()


def test_labels_are_the_truth_with_a_labeller_s_noise():
    _, _, calls = _draw()
    c = pd.concat(calls.values())
    agree = (c.human_direction == c.true_direction).mean()
    assert 0.85 < agree < 0.97
    assert ((c.true_peaks > 0) == (c.family == "chevron")).all()
    assert (c.true_breaks[c.family == "two_part"] == 1).all()
    assert c.true_complex[c.family == "two_part"].all()
