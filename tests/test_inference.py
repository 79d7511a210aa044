"""Known answers for the per-animal interval and test (usvlib.crossval.inference)."""

import math

import numpy as np
import pandas as pd
import pytest

from usvlib.crossval.inference import (
    AnimalScores,
    accuracy_statistics,
    balanced_accuracy_by_animal,
    bootstrap_interval,
    identity_statistics,
    paired_comparison,
    paired_sign_flip_p_value,
    per_animal_positive,
    permutation_p_value,
)


def _predictions(labels_by_animal: dict, shares: dict, n_per_animal: int = 10) -> tuple[pd.DataFrame, np.ndarray]:
    """Predictions where animal a's USVs are predicted 1 in round(shares[a] * n) of n cases."""
    animals, y_true, y_pred = [], [], []
    for animal, label in labels_by_animal.items():
        ones = round(shares[animal] * n_per_animal)
        animals += [animal] * n_per_animal
        y_true += [label] * n_per_animal
        y_pred += [1] * ones + [0] * (n_per_animal - ones)
    frame = pd.DataFrame({"index": np.arange(len(animals)), "y_true": y_true, "y_pred": y_pred})
    return frame, np.asarray(animals)


def test_per_animal_shares_and_the_balanced_accuracy():
    frame, animals = _predictions({"f1": 0, "f2": 0, "m1": 1}, {"f1": 0.2, "f2": 0.4, "m1": 0.9})
    scores = per_animal_positive(frame, animals)
    np.testing.assert_allclose(scores.positive_share, [0.2, 0.4, 0.9])
    np.testing.assert_allclose(scores.accuracy, [0.8, 0.6, 0.9])
    assert balanced_accuracy_by_animal(scores) == pytest.approx((0.7 + 0.9) / 2)
    frame.loc[0, "y_true"] = 1
    with pytest.raises(ValueError, match="both classes"):
        per_animal_positive(frame, animals)


def test_perfect_separation_of_three_and_three_animals_has_the_exact_p_value():
    scores = AnimalScores(np.arange(6), np.r_[0, 0, 0, 1, 1, 1], np.r_[0.1, 0.2, 0.3, 0.7, 0.8, 0.9], np.full(6, 10))
    # only the true labelling of C(6, 3) = 20 reaches the observed accuracy
    assert permutation_p_value(scores) == pytest.approx(1 / math.comb(6, 3))


def test_no_information_gives_a_large_p_value_and_sampling_agrees_with_enumeration():
    rng = np.random.default_rng(0)
    label = np.r_[np.zeros(9, int), np.ones(8, int)]
    scores = AnimalScores(np.arange(17), label, rng.uniform(0.3, 0.7, 17), np.full(17, 50))
    exact = permutation_p_value(scores)
    assert exact > 0.05
    from usvlib.crossval import inference

    sampled = permutation_p_value(scores, n_permutations=20_000, seed=1)
    saved, inference.MAX_EXACT = inference.MAX_EXACT, 0
    try:
        sampled = permutation_p_value(scores, n_permutations=20_000, seed=1)
    finally:
        inference.MAX_EXACT = saved
    assert abs(sampled - exact) < 0.02


def test_the_bootstrap_interval_of_a_known_binomial():
    # 400 animals per class, each right (accuracy 1) with probability 0.7, else wrong (0):
    # the balanced accuracy's SD is sqrt(0.7 * 0.3 / 400) / sqrt(2) = 0.0162, the 95 % interval ± 0.032
    rng = np.random.default_rng(2)
    label = np.r_[np.zeros(400, int), np.ones(400, int)]
    right = rng.random(800) < 0.7
    share = np.where(label == 1, right, ~right).astype(float)
    scores = AnimalScores(np.arange(800), label, share, np.ones(800, int))
    low, high = bootstrap_interval(scores, seed=0)
    centre = balanced_accuracy_by_animal(scores)
    half = 1.96 * math.sqrt(0.7 * 0.3 / 400) / math.sqrt(2)
    assert low < centre < high
    assert (high - low) / 2 == pytest.approx(half, rel=0.1)
    assert bootstrap_interval(scores, seed=0) == (low, high)  # seeded
    with pytest.raises(ValueError, match="level"):
        bootstrap_interval(scores, level=95)


def test_a_classifier_of_pure_noise_sits_at_chance_within_its_interval():
    from sklearn.linear_model import LogisticRegression

    from usvlib.crossval import leave_one_animal_out

    rng = np.random.default_rng(3)
    animals = np.repeat([f"a{i:02d}" for i in range(16)], 40)
    labels = np.repeat(np.r_[np.zeros(8, int), np.ones(8, int)], 40)
    x = rng.normal(size=(len(labels), 5))  # no class information at all
    # balanced class weights: without them, leave-one-animal-out on noise sits below chance (the
    # left-out animal's class is the minority of the training set, so the prior votes against it)
    rows = []
    for fold in leave_one_animal_out(animals):
        model = LogisticRegression(class_weight="balanced").fit(x[fold.train], labels[fold.train])
        rows.append(
            pd.DataFrame({"index": fold.test, "y_true": labels[fold.test], "y_pred": model.predict(x[fold.test])})
        )
    scores = per_animal_positive(pd.concat(rows), animals)
    low, high = bootstrap_interval(scores, seed=0)
    assert low < 0.5 < high
    assert permutation_p_value(scores) > 0.05


def test_accuracy_statistics_of_a_cross_validation_over_animals():
    from usvlib.crossval import CVResult

    frame, animals = _predictions(
        {"f1": 0, "f2": 0, "f3": 0, "m1": 1, "m2": 1, "m3": 1},
        {"f1": 0.1, "f2": 0.2, "f3": 0.3, "m1": 0.7, "m2": 0.8, "m3": 0.9},
    )
    frame["fold"] = animals
    folds = pd.DataFrame({"fold": sorted(set(animals)), "balanced_accuracy": 0.8})
    result = CVResult("t", frame, folds, (0, 1), animals=animals[frame["index"]])
    stats = accuracy_statistics(result, seed=0)
    assert stats["accuracy_by_animal"] == pytest.approx(0.8)
    assert stats["p_value"] == pytest.approx(1 / 20) and stats["n_animals"] == 6
    assert stats["ci_low"] <= 0.8 <= stats["ci_high"]
    assert accuracy_statistics(CVResult("t", frame, folds, (0, 1))) is None  # no animals given
    shuffled = frame.assign(y_true=np.tile([0, 1], len(frame) // 2))  # labels change within animals
    assert accuracy_statistics(CVResult("t", shuffled, folds, (0, 1), animals=animals)) is None


def test_the_paired_sign_flip_test_has_exact_answers():
    # 4 units, all better by 1: only the identity flip of 2**4 reaches the mean
    assert paired_sign_flip_p_value([2, 2, 2, 2], [1, 1, 1, 1]) == pytest.approx(1 / 16)
    # no difference at all: every flip ties with the observed 0
    assert paired_sign_flip_p_value([1, 2, 3], [1, 2, 3]) == 1.0
    with pytest.raises(ValueError, match="same"):
        paired_sign_flip_p_value([1, 2], [1, 2, 3])


def test_a_paired_comparison_averages_repeated_controls_fold_by_fold():
    from usvlib.crossval import CVResult

    def result(scores):
        folds = pd.DataFrame({"fold": [f"a{i}" for i in range(len(scores))], "balanced_accuracy": scores})
        return CVResult("t", pd.DataFrame(), folds, (0, 1))

    real = result([0.9, 0.8, 0.85, 0.95, 0.7])
    controls = [result([0.5, 0.4, 0.6, 0.5, 0.5]), result([0.5, 0.6, 0.4, 0.5, 0.5])]
    out = paired_comparison(real, controls)
    assert out["n_folds"] == 5 and out["mean_difference"] == pytest.approx(0.34)
    assert out["p_value"] == pytest.approx(1 / 32)


def test_identity_statistics_of_perfect_and_of_uninformed_predictions():
    rng = np.random.default_rng(0)
    animals = np.repeat(np.arange(20), 50)  # 20 animals of 50 USVs: chance 5 %
    perfect = identity_statistics(animals, animals, n_permutations=199)
    assert perfect["accuracy"] == 1.0 and perfect["ci_low"] == perfect["ci_high"] == 1.0
    assert perfect["p_value"] == pytest.approx(1 / 200)  # no permutation reaches it
    guesses = rng.integers(0, 20, len(animals))
    blind = identity_statistics(animals, guesses, n_permutations=999)
    assert blind["chance_permuted"] == pytest.approx(0.05, abs=0.005)
    assert blind["ci_low"] <= 0.05 <= blind["ci_high"] and blind["p_value"] > 0.05


def test_identity_interval_resamples_whole_animals():
    # half the animals always named right, half never: the share right varies with which
    # animals are drawn, far more than USVs resampled one by one would say
    animals = np.repeat(np.arange(10), 100)
    predicted = np.where(animals < 5, animals, (animals + 1) % 10)
    stats = identity_statistics(animals, predicted, n_permutations=99)
    assert stats["accuracy"] == 0.5
    assert stats["ci_low"] < 0.3 and stats["ci_high"] > 0.7
    with pytest.raises(ValueError, match="same, non-zero length"):
        identity_statistics(animals, predicted[:-1])
