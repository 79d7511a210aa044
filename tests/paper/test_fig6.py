import numpy as np
import pytest

from usvlib.dataset import load_dataset
from usvlib.paper import fig6
from usvlib.paper.study import load_study

from conftest import SHARED_TRAINING

pytestmark = SHARED_TRAINING  # notebook 06's test reuses what these train


@pytest.fixture(scope="module")
def result(quick_dataset):
    # the session's test cache: notebook 06's test (tests/paper/test_reproduce.py) then reuses the
    # networks trained here (cache keys cover the code, so nothing stale is reused)
    study = load_study(load_dataset(quick_dataset), "quick", progress=False)
    return study, fig6.compute(study, progress=False)


def test_the_dissected_network_has_the_papers_layers_at_the_profiles_width(result):
    study, out = result
    assert out.layers == [*(f"conv{i}" for i in range(1, 7)), "fc1", "fc2", "fc3"]
    assert out.network.fold.tolist() == ["Rfem_Afem01", "Rmale_Afem01"]  # the representative fold first
    ex = out.examples["female"]
    assert ex["activations"]["conv1"].shape == (study.profile.training.analysis_filters, 50, 50)
    assert ex["activations"]["fc3"].shape == (120,)
    assert ex["reconstructions"]["conv1"].shape == (100, 100)
    assert study.labels[ex["usv"]] == 0 and study.labels[out.examples["male"]["usv"]] == 1


def test_stimuli_come_from_animals_the_network_was_not_fitted_on(result):
    study, out = result
    from usvlib.crossval import first_folds_of_each_class

    fold = first_folds_of_each_class(study.animal_folds(), study.labels, 1)[0]
    unseen = set(study.animals[fig6._unseen(study, fold)])
    assert fold.name in unseen and len(unseen) == 3  # the test animal and one validation animal per sex
    n = out.fraction_active.set_index(["layer", "group"]).n
    assert (n > 0).all() and n.loc[("conv1", "female")] == n.loc[("fc3", "female")]


def test_correlations_and_fractions_are_summaries_of_the_right_things(result):
    _, out = result
    fa = out.fraction_active
    assert fa["mean"].between(0, 1).all() and (fa.two_sem > 0).all()
    corr = out.correlations.set_index(["layer", "pairs"])
    # every pair of distinct stimuli of one sex, every cross pair
    n_female = out.fraction_active.set_index(["layer", "group"]).n.loc[("fc1", "female")]
    assert corr.n.loc[("fc1", "within_female")] <= n_female * (n_female - 1) / 2
    fc = corr.loc[["fc1", "fc2", "fc3"]]
    assert out.fc_correlation_mean == pytest.approx(np.average(fc["mean"], weights=fc.n), rel=1e-9)
