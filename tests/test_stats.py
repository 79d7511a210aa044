import numpy as np
import pandas as pd
import pytest

from usvlib.properties import PAPER_PROPERTIES
from usvlib.stats import cliffs_delta, compare_groups, group_differences, holm


def test_holm_against_a_hand_worked_example():
    """p = (0.01, 0.04, 0.03, 0.005), m = 4. Sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03;
    0.03 x 2 = 0.06; 0.04 x 1 = 0.04, raised to 0.06 to keep the order. Back in place:"""
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_ties():
    assert holm([0.5, 0.5, 0.9]) == pytest.approx([1.0, 1.0, 1.0])
    assert holm([0.2]) == pytest.approx([0.2])


def test_cliffs_delta_on_small_arrays():
    # a = (1, 2, 3), b = (2, 4): pairs a > b: (3, 2); a < b: (1, 2), (1, 4), (2, 4), (3, 4); a tie (2, 2)
    assert cliffs_delta([1, 2, 3], [2, 4]) == pytest.approx((1 - 4) / 6)
    assert cliffs_delta([2, 4], [1, 2, 3]) == pytest.approx((4 - 1) / 6)
    assert cliffs_delta([5, 6], [1, 2]) == 1.0
    assert cliffs_delta([1, 2, 3], [1, 2, 3]) == 0.0


def test_group_differences_finds_a_planted_shift_and_no_other():
    rng = np.random.default_rng(0)
    n = 400
    table = pd.DataFrame(
        {
            "sex": np.repeat(["male", "female"], n),
            "duration_s": np.concatenate([rng.normal(0.06, 0.01, n), rng.normal(0.05, 0.01, n)]),
            "mean_freq_hz": rng.normal(70_000, 5_000, 2 * n),
        }
    )
    out = group_differences(table).set_index("property")
    assert list(out.index) == ["duration", "mean_frequency"]  # the columns the table has
    assert out.loc["duration", "significant"] and not out.loc["mean_frequency", "significant"]
    assert out.loc["duration", "cliffs_delta"] == pytest.approx(
        cliffs_delta(table.duration_s[:n], table.duration_s[n:])
    )
    assert out.loc["duration", "cliffs_delta"] > 0.4  # a one-SD shift: about 0.52
    assert out.p_holm.tolist() == pytest.approx(holm(out.p).tolist())
    assert out.agrees_with_paper.all()  # the paper: duration differs, mean frequency does not
    assert out.loc["duration", "label"] == PAPER_PROPERTIES[0].label


def test_compare_groups_of_animals():
    per_animal = pd.DataFrame({"group": ["male"] * 3 + ["female"] * 3, "accuracy": [0.9, 0.8, 0.85, 0.5, 0.6, 0.55]})
    out = compare_groups(per_animal)
    assert out["mean_male"] == pytest.approx(0.85) and out["mean_female"] == pytest.approx(0.55)
    assert out["p"] == pytest.approx(0.0495, abs=1e-3)  # rank-sum, 3 vs 3, complete separation
