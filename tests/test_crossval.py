import numpy as np
import pytest

from usvlib.crossval import (
    class_balanced_mean,
    cross_validate,
    first_folds_of_each_class,
    grouped_folds,
    leave_one_animal_out,
    random_folds,
    run_folder,
    shuffled_labels,
    side_by_side,
    validation_split,
)
from usvlib.models.linear import RidgeClosedForm


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    animals = np.repeat([f"f{i}" for i in range(5)] + [f"m{i}" for i in range(5)], 40)
    y = np.array([a.startswith("m") for a in animals], int)
    x = rng.standard_normal((len(y), 5)) + 1.5 * y[:, None]
    return x, y, animals


def test_leave_one_animal_out_never_leaks(toy):
    _, y, animals = toy
    folds = leave_one_animal_out(animals)
    assert len(folds) == 10
    for f in folds:
        assert len(set(animals[f.test])) == 1
        assert not set(animals[f.test]) & set(animals[f.train])
        fit, val = validation_split(f.train, animals, y, seed=0, by_animal=True)
        assert not set(animals[val]) & set(animals[fit]) and not set(animals[val]) & set(animals[f.test])
        assert set(y[val]) == {0, 1}
    assert sorted(np.concatenate([f.test for f in folds]).tolist()) == list(range(len(y)))


def test_first_folds_of_each_class_pick_a_balanced_benchmark_set(toy):
    _, y, animals = toy
    order = np.argsort(np.array([a[1:] + a[0] for a in animals]), kind="stable")  # f0 m0 f1 m1 ...
    folds = leave_one_animal_out(animals[order])
    picked = first_folds_of_each_class(folds, y[order], 2)
    assert [f.name for f in picked] == ["f0", "f1", "m0", "m1"]
    assert len(first_folds_of_each_class(folds, y[order], 9)) == 10  # all there are
    assert first_folds_of_each_class([], y, 2) == []


def test_random_folds_partition():
    folds = random_folds(103, 10, seed=0)
    assert len(folds) == 10
    test = np.concatenate([f.test for f in folds])
    assert sorted(test.tolist()) == list(range(103))
    assert all(len(np.intersect1d(f.train, f.test)) == 0 for f in folds)
    assert [f.test.tolist() for f in folds] == [f.test.tolist() for f in random_folds(103, 10, seed=0)]


def _ridge(x, y):
    def fit_predict(fold):
        est = RidgeClosedForm().fit(x[fold.train], y[fold.train])
        p = est.predict_proba(x[fold.test])
        return p, {"n": len(fold.train)}

    return fit_predict


def test_real_labels_beat_chance_shuffled_sit_at_chance(toy, tmp_path):
    x, y, animals = toy
    folds = leave_one_animal_out(animals)
    real = cross_validate("real", _ridge(x, y), folds, y, config={"t": 1}, code="c", cache=tmp_path)
    ys = shuffled_labels(y, seed=0)
    shuffled = cross_validate("shuffled", _ridge(x, ys), folds, y, config={"t": 2}, code="c", cache=tmp_path)
    assert real.mean > 0.9
    assert abs(shuffled.pooled - 0.5) < 0.1


def test_cache_and_resume(toy, tmp_path):
    x, y, animals = toy
    folds = leave_one_animal_out(animals)
    calls = []
    cut = {"armed": True}

    def flaky(fold):
        calls.append(fold.name)
        if cut["armed"] and len(calls) == 4:
            cut["armed"] = False
            raise RuntimeError("power cut")
        return _ridge(x, y)(fold)

    with pytest.raises(RuntimeError):
        cross_validate("cv", flaky, folds, y, config={"t": 3}, code="c", cache=tmp_path)
    done_before = len(calls) - 1
    calls.clear()
    result = cross_validate("cv", flaky, folds, y, config={"t": 3}, code="c", cache=tmp_path)
    assert len(calls) == len(folds) - done_before  # only the folds not yet done
    assert result.from_cache == done_before
    again = cross_validate("cv", flaky, folds, y, config={"t": 3}, code="c", cache=tmp_path)
    assert again.from_cache == len(folds)
    other = cross_validate("cv", _ridge(x, y), folds, y, config={"t": 4}, code="c", cache=tmp_path)
    assert other.from_cache == 0


def test_a_fold_without_its_file_is_fitted_again(toy, tmp_path):
    """A fold that keeps a file in the run's folder (a trained network) is done only with it."""
    x, y, animals = toy
    folds = leave_one_animal_out(animals)
    keep = {folds[0].name: "model.txt"}
    run = run_folder("keep", {"t": 5}, folds, code="c", cache=tmp_path)
    calls = []

    def fit_predict(fold):
        calls.append(fold.name)
        if fold.name in keep:
            (run / keep[fold.name]).write_text("weights")
        return _ridge(x, y)(fold)

    cross_validate("keep", fit_predict, folds, y, config={"t": 5}, code="c", cache=tmp_path, fold_files=keep)
    (run / "model.txt").unlink()
    calls.clear()
    again = cross_validate("keep", fit_predict, folds, y, config={"t": 5}, code="c", cache=tmp_path, fold_files=keep)
    assert calls == [folds[0].name] and again.from_cache == len(folds) - 1
    assert (run / "model.txt").is_file()


def test_changed_code_starts_afresh(toy, tmp_path):
    x, y, animals = toy
    folds = leave_one_animal_out(animals)[:2]
    first = cross_validate("cv", _ridge(x, y), folds, y, config={"t": 6}, code="v1", cache=tmp_path)
    same = cross_validate("cv", _ridge(x, y), folds, y, config={"t": 6}, code="v1", cache=tmp_path)
    changed = cross_validate("cv", _ridge(x, y), folds, y, config={"t": 6}, code="v2", cache=tmp_path)
    assert (first.from_cache, same.from_cache, changed.from_cache) == (0, 2, 0)


def test_grouped_folds_keep_animals_whole():
    animals = np.array(["a", "a", "b", "c", "c", "d", "e"])
    folds = grouped_folds(animals, 2)
    assert [f.name for f in folds] == ["group00", "group01"]
    assert [sorted(set(animals[f.test])) for f in folds] == [["a", "c", "e"], ["b", "d"]]
    assert [f.train.tolist() for f in folds] == [[2, 5], [0, 1, 3, 4, 6]]


def test_class_balanced_mean_averages_the_classes_first(toy, tmp_path):
    """Two female folds at 1.0 and 0.0 and one male fold at 1.0: the plain mean over folds is
    2/3, the mean of the classes' means (0.5 and 1.0) is 0.75."""
    _, y, animals = toy
    folds = [f for f in leave_one_animal_out(animals) if f.name in ("f0", "f1", "m0")]

    def fit_predict(fold):
        right = fold.name != "f1"
        cls = y[fold.test[0]] if right else 1 - y[fold.test[0]]
        return np.tile(np.eye(2)[cls], (len(fold.test), 1)), {}

    result = cross_validate("fixed", fit_predict, folds, y, config={}, code="c", cache=tmp_path)
    assert result.mean == pytest.approx(2 / 3)
    assert class_balanced_mean(result) == pytest.approx(0.75)


def test_side_by_side_lays_single_tasks_out_as_one(toy, tmp_path):
    x, y, animals = toy
    folds = leave_one_animal_out(animals)[:2]
    a = cross_validate("a", _ridge(x, y), folds, y, config={}, code="c", cache=tmp_path)
    b = cross_validate("b", _ridge(x, 1 - y), folds, 1 - y, config={}, code="c", cache=tmp_path)
    both = side_by_side([a, b])
    assert [c for c in both.predictions if c.startswith("score_")] == ["score_0", "score_1", "score_2", "score_3"]
    np.testing.assert_array_equal(both.predictions.score_2.to_numpy(), b.predictions.score_0.to_numpy())
    other = cross_validate(
        "o", _ridge(x, y), leave_one_animal_out(animals)[2:4], y, config={}, code="c", cache=tmp_path
    )
    with pytest.raises(ValueError, match="same folds"):
        side_by_side([a, other])


def test_animal_level_shuffle_keeps_each_animal_whole():
    from usvlib.crossval import shuffled_animal_labels

    animals = np.repeat([f"a{i}" for i in range(10)], 7)
    labels = np.repeat(np.r_[np.zeros(5, int), np.ones(5, int)], 7)
    out = shuffled_animal_labels(labels, animals, seed=3)
    per_animal = {a: set(out[animals == a]) for a in np.unique(animals)}
    assert all(len(v) == 1 for v in per_animal.values())  # one class per animal
    assert sorted(out) == sorted(labels)  # the class counts kept
    assert not np.array_equal(out, labels)
    np.testing.assert_array_equal(out, shuffled_animal_labels(labels, animals, seed=3))  # seeded
    labels[0] = 1
    with pytest.raises(ValueError, match="more than one class"):
        shuffled_animal_labels(labels, animals, seed=3)


def test_average_repeats_averages_fold_by_fold_and_keeps_every_prediction():
    import pandas as pd

    from usvlib.crossval import CVResult, average_repeats

    def run(scores):
        folds = pd.DataFrame({"fold": ["a", "b"], "balanced_accuracy": scores, "n_test": [3, 2], "seconds": [1.0, 2.0]})
        preds = pd.DataFrame({"index": [0, 1, 2, 3, 4], "fold": list("aaabb"), "y_true": 0, "y_pred": 0})
        return CVResult("r", preds, folds, (0, 1), animals=np.array(list("xxxyy")))

    merged = average_repeats([run([0.6, 0.4]), run([0.8, 0.6])])
    np.testing.assert_allclose(merged.folds.balanced_accuracy, [0.7, 0.5])
    assert merged.mean == pytest.approx(0.6) and len(merged.predictions) == 10 and len(merged.animals) == 10
    assert merged.folds.n_test.tolist() == [6, 4] and len(merged.infos["repeats"]) == 2
    other = run([0.5, 0.5])
    other.folds["fold"] = ["a", "c"]
    with pytest.raises(ValueError, match="same folds"):
        average_repeats([run([0.6, 0.4]), other])
    with pytest.raises(ValueError, match="no repeats"):
        average_repeats([])


def _small_network(x, y):
    import torch

    from usvlib.schedule import Schedule, Stage
    from usvlib.train import fit_network, predict_scores

    def fit_predict(fold):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
        schedule = Schedule(stages=(Stage(3, 1e-2, 0.0),), batch_size=32, augment=False)
        fit_network(model, x[fold.train].astype(np.float32), y[fold.train], schedule, images=False, seed=1)
        return predict_scores(model, x[fold.test].astype(np.float32)), {"n": len(fold.train)}

    return fit_predict


def test_folds_in_two_worker_processes_give_the_same_numbers(toy, tmp_path):
    """Forked workers fit a closure's folds; with the threads fixed, nothing depends on workers."""
    x, y, animals = toy
    folds = leave_one_animal_out(animals)[:4]
    fit = _small_network(x, y)
    one = cross_validate("w1", fit, folds, y, config={"t": 8}, code="c", cache=tmp_path, threads=1)
    two = cross_validate("w2", fit, folds, y, config={"t": 8}, code="c", cache=tmp_path, workers=2, threads=1)
    assert two.from_cache == 0
    cols = [c for c in one.predictions if c.startswith("score_")]
    np.testing.assert_array_equal(one.predictions[cols].to_numpy(), two.predictions[cols].to_numpy())
    assert list(two.folds.fold) == [f.name for f in folds]
    again = cross_validate("w2", fit, folds, y, config={"t": 8}, code="c", cache=tmp_path, workers=2, threads=1)
    assert again.from_cache == len(folds)


def test_a_failing_fold_in_a_worker_is_raised_and_the_finished_folds_are_kept(toy, tmp_path):
    x, y, animals = toy
    folds = leave_one_animal_out(animals)[:4]
    ridge = _ridge(x, y)

    def fails_on_the_last(fold):
        if fold.name == folds[-1].name:
            raise RuntimeError(f"fold {fold.name} broke")
        return ridge(fold)

    with pytest.raises(RuntimeError, match="broke"):
        cross_validate("fail", fails_on_the_last, folds, y, config={"t": 9}, code="c", cache=tmp_path, workers=2)
    result = cross_validate("fail", ridge, folds, y, config={"t": 9}, code="c", cache=tmp_path, workers=2)
    assert result.from_cache == len(folds) - 1
