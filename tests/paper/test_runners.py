"""The study, its runners and the analyses behind Figs 3-5 that the notebook tests do not pin down."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from usvlib.dataset import load_dataset
from usvlib.paper.references import reference_cv
from usvlib.paper.runners import load_saved_network, network_cv
from usvlib.paper.study import load_study
from usvlib.synth.diagnostics import accuracy_by_family


@pytest.fixture(scope="module")
def quick_study(quick_dataset, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("USVLIB_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield load_study(load_dataset(quick_dataset), "quick", progress=False)


def _by_family(ds, study, results):
    return accuracy_by_family(ds, study.table.truth_call_id, study.labels, results, positive=study.classes[1])


def test_latents_are_aligned_with_the_usvs(quick_study, quick_dataset):
    calls = pd.read_csv(quick_dataset / "ground_truth" / "calls.csv", low_memory=False).set_index("call_id")
    truth = calls.loc[quick_study.table.truth_call_id.to_numpy()]
    family_cols = [c for c in quick_study.latents if c.startswith("family_")]
    picked = np.array(family_cols)[quick_study.latents[family_cols].to_numpy().argmax(axis=1)]
    assert (picked == ("family_" + truth.family).to_numpy()).all()
    assert np.allclose(
        quick_study.latents.log_bandwidth_khz.to_numpy(),
        truth.latent_log_bandwidth_khz.to_numpy(),
        equal_nan=True,
    )


def test_latents_hold_only_what_the_sound_shows(quick_study, quick_dataset):
    """A tremolo's rate exists only where the call has a tremolo, a jump size only where it has
    breaks; probit and ordinal dimensions hold their observed level, not the hidden draw."""
    calls = pd.read_csv(quick_dataset / "ground_truth" / "calls.csv", low_memory=False).set_index("call_id")
    truth = calls.loc[quick_study.table.truth_call_id.to_numpy()]
    lat = quick_study.latents
    no_tremolo = truth.tremolo.to_numpy() == 0
    assert no_tremolo.any() and np.isnan(lat.tremolo_rate_hz.to_numpy()[no_tremolo]).all()
    assert np.isfinite(lat.tremolo_rate_hz.to_numpy()[truth.tremolo.to_numpy() > 0]).all()
    assert np.isnan(lat.log_jump_khz.to_numpy()[truth.breaks.to_numpy() == 0]).all()
    shown = np.isfinite(lat.breaks.to_numpy())
    assert set(np.unique(lat.breaks.to_numpy()[shown])) <= {0, 1, 2, 3}
    assert not any(c.startswith("latent_") for c in lat.columns)


def test_references_bracket_what_the_spectrogram_shows(quick_study, quick_dataset):
    """Learnt from the training mice with every parameter read exactly, the oracle's model class
    stays under the oracle (16 mice do not teach the sexes' means exactly) and well above chance;
    boosting on the 24 measured properties is above chance and below it."""
    folds = quick_study.animal_folds()
    plugin = reference_cv(quick_study, "t-plugin", "plugin", folds=folds, progress=False)
    latent = reference_cv(quick_study, "t-latent", "latent", folds=folds, progress=False)
    measured = reference_cv(quick_study, "t-measured", "measured", folds=folds, progress=False)
    ds = load_dataset(quick_dataset)
    best = ds.oracle["sex.across_animals"]["balanced_accuracy"]
    assert 0.65 < plugin.pooled < best + 0.03
    assert 0.6 < latent.pooled < best + 0.03
    assert 0.55 < measured.pooled < max(latent.pooled, plugin.pooled)


def test_latent_reference_needs_synthetic_data(quick_study):
    import dataclasses

    real_like = dataclasses.replace(quick_study, latents=None)
    with pytest.raises(ValueError, match="synthetic"):
        reference_cv(real_like, "t-none", "latent", folds=real_like.animal_folds()[:1], progress=False)


def test_paper_profile_trains_one_network_per_property(quick_study, monkeypatch):
    """The paper profile's Fig 4A-E: one single-head network per property (the paper's network
    replaced by a small one here, for time), results laid out as the multi-head network's."""
    import dataclasses

    from usvlib.models.cnn import EfficientCNN
    from usvlib.paper import fig4, runners
    from usvlib.schedule import Schedule, Stage

    training = dataclasses.replace(
        quick_study.profile.training,
        network="paper",
        dnn_input="images",
        grouped_folds=2,
        schedule=Schedule(stages=(Stage(1, 3e-3),)),
        workers=1,  # the networks are counted in this process
    )
    study = dataclasses.replace(quick_study, profile=dataclasses.replace(quick_study.profile, training=training))
    built = []
    monkeypatch.setattr(
        runners, "PaperCNN", lambda n_outputs, filters: built.append(n_outputs) or EfficientCNN(heads=(n_outputs,))
    )
    out = fig4.compute(study, progress=False)
    assert built == [k for k in (3, 4, 4, 1, 1, 1) for _ in range(2)]  # per property and fold
    table = out.property_networks.set_index("property")
    assert list(table.index) == ["direction", "peaks", "breaks", "broadband", "tremolo", "complex"]
    assert table.n_classes.tolist() == [3, 4, 4, 2, 2, 2]
    assert table.chance.tolist() == pytest.approx([1 / 3, 1 / 4, 1 / 4, 1 / 2, 1 / 2, 1 / 2])
    # every USV is predicted once, in one of the two folds of whole animals
    assert len(out.property_values.query("property == 'direction'")) == 3
    assert out.property_values.groupby("property").share.sum().to_numpy() == pytest.approx(1.0)


def test_network_folds_do_not_depend_on_what_ran_before(quick_study):
    """A fold's network is the same whether it is trained first in a process or after other
    work has used torch's random generator (the initial weights are seeded per fold)."""
    import torch

    fold = quick_study.animal_folds()[:1]
    kwargs = dict(inputs="images", targets=quick_study.labels, folds=fold, progress=False)
    first = network_cv(quick_study, "t-seed-a", **kwargs)
    torch.rand(1000)  # what another analysis would do
    second = network_cv(quick_study, "t-seed-b", **kwargs)
    assert second.from_cache == 0
    np.testing.assert_allclose(
        first.predictions.filter(like="score").to_numpy(), second.predictions.filter(like="score").to_numpy(), atol=1e-6
    )


def test_accuracy_by_family_agrees_with_the_oracle_and_the_classifier(quick_study, quick_dataset):
    ds = load_dataset(quick_dataset)
    measured = reference_cv(quick_study, "t-measured", "measured", folds=quick_study.animal_folds(), progress=False)
    table = _by_family(ds, quick_study, {"boosting": measured}).set_index("family")
    assert table.loc["all", "n_usvs"] == len(quick_study.labels)
    assert table.drop(index="all").n_usvs.sum() == len(quick_study.labels)
    # the "all" row is the pooled balanced accuracy of the classifier ...
    assert table.loc["all", "boosting"] == pytest.approx(measured.pooled)
    # ... and of the oracle, as the dataset's own record of it (computed on the same calls)
    assert table.loc["all", "Bayes oracle"] == pytest.approx(
        ds.oracle["sex.across_animals"]["balanced_accuracy"], abs=0.01
    )
    # the two-part call is male-only and the oracle knows it
    assert table.loc["two_part", "share_male"] == 1.0
    assert table.loc["two_part", "Bayes oracle"] == 1.0


def test_accuracy_by_family_needs_synthetic_data(quick_study, quick_dataset):
    import dataclasses

    ds = load_dataset(quick_dataset)
    other_model = dataclasses.replace(ds, config={**ds.config, "model_fingerprint": "another"})
    assert _by_family(other_model, quick_study, {}) is None


def test_example_network_belongs_to_its_run(quick_study):
    """The saved network of a run sits with that run's cached folds: another configuration's run
    does not overwrite it, the newest run's network is the one loaded, and a run whose network
    went missing refits that fold instead of leaving results without their network."""
    import torch

    from usvlib.crossval import cached_runs
    from usvlib.paper.runners import network_code

    fold = quick_study.animal_folds()[:1]
    kwargs = dict(inputs="images", targets=quick_study.labels, folds=fold, progress=False)
    name = "t-example"
    network_cv(quick_study, name, seed=0, save_model_of=fold[0].name, **kwargs)
    older = cached_runs(quick_study.key, name, code=network_code())[0]
    network_cv(quick_study, name, seed=1, save_model_of=fold[0].name, **kwargs)
    newer = cached_runs(quick_study.key, name, code=network_code())[0]
    assert newer != older and (older / f"model-{fold[0].name}.pt").is_file()

    def saved(run):
        return torch.load(run / f"model-{fold[0].name}.pt", weights_only=False)["state_dict"]

    loaded = load_saved_network(quick_study, name, fold[0].name).state_dict()
    first_conv = next(k for k in loaded if k.endswith("weight"))
    assert not torch.equal(saved(older)[first_conv], saved(newer)[first_conv])
    torch.testing.assert_close(loaded[first_conv], saved(newer)[first_conv])

    (newer / f"model-{fold[0].name}.pt").unlink()
    again = network_cv(quick_study, name, seed=1, save_model_of=fold[0].name, **kwargs)
    assert again.from_cache == 0 and (newer / f"model-{fold[0].name}.pt").is_file()
    with pytest.raises(FileNotFoundError, match="run paper.fig3.compute"):
        load_saved_network(quick_study, "t-never-trained")


def test_a_call_image_network_is_saved_and_loaded_as_one(quick_study):
    from usvlib.models.cnn import CallCNN

    assert quick_study.calls.shape == (len(quick_study.labels), 2, 48, 32)
    fold = quick_study.animal_folds()[:1]
    result = network_cv(
        quick_study,
        "t-calls",
        inputs="calls",
        targets=quick_study.labels,
        folds=fold,
        save_model_of=fold[0].name,
        progress=False,
    )
    assert len(result.predictions) == len(fold[0].test)
    assert isinstance(load_saved_network(quick_study, "t-calls", fold[0].name), CallCNN)
