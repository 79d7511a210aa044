import pandas as pd
import pytest

from usvlib.metrics import balanced_accuracy, match_to_truth, pooled_score, score_detections, score_recordings


def test_detections_are_matched_one_to_one():
    ref = pd.DataFrame({"onset_s": [0.0, 1.0, 2.0], "offset_s": [0.1, 1.1, 2.1]})
    det = pd.DataFrame({"onset_s": [0.01, 0.05, 1.5, 2.0], "offset_s": [0.04, 0.09, 1.6, 2.12]})
    s = score_detections(ref, det)  # two detections split the first call: only one may match it
    assert (s.n_matched, s.precision, s.recall) == (2, 0.5, pytest.approx(2 / 3))
    assert s.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert score_detections(ref, ref).f1 == 1.0
    empty = score_detections(ref, det.iloc[:0])
    assert empty.f1 == 0.0 and empty.recall == 0.0


def test_recordings_are_scored_apart_and_pooled():
    ref = pd.DataFrame({"animal": ["a", "a", "b"], "onset_s": [0.0, 1.0, 0.0], "offset_s": [0.1, 1.1, 0.1]})
    det = pd.DataFrame({"animal": ["a", "b", "b"], "onset_s": [0.02, 0.0, 0.5], "offset_s": [0.1, 0.1, 0.6]})
    table = score_recordings(det, ref).set_index("animal")
    assert table.loc["a", "recall"] == 0.5 and table.loc["a", "precision"] == 1.0
    assert table.loc["b", "recall"] == 1.0 and table.loc["b", "precision"] == 0.5
    # pooled: 2 of 3 reference calls found, 2 of 3 detections right
    assert table.loc["all", "n_matched"] == 2
    assert table.loc["all", "f1"] == pytest.approx(2 / 3)
    assert pooled_score(table.reset_index()).f1 == pytest.approx(2 / 3)
    # the onset error: 0.02 s on a, 0 on b, weighted by one match each
    assert table.loc["all", "median_onset_error_s"] == pytest.approx(0.01)


def test_balanced_accuracy_weighs_each_class_equally():
    assert balanced_accuracy([0, 0, 0, 1], [0, 0, 1, 1]) == pytest.approx((2 / 3 + 1) / 2)
    assert balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0]) == 0.5  # all one class: chance
    assert balanced_accuracy([0, 1, 2], [0, 1, 2]) == 1.0


def test_detections_take_the_id_of_the_true_call_they_overlap_most():
    truth = pd.DataFrame({"call_id": [7, 8], "onset_s": [0.0, 0.2], "offset_s": [0.15, 0.3]})
    detected = pd.DataFrame({"onset_s": [0.12, 0.5, 0.12], "offset_s": [0.28, 0.6, 0.18]})
    assert match_to_truth(detected, truth).tolist() == [8, -1, 7]


def test_grouped_scores_count_splits_and_merges():
    from usvlib.metrics import grouped_detection_scores, splits_and_merges

    ref = pd.DataFrame({"recording": "r", "onset_s": [0.1, 0.5, 0.9, 1.0], "offset_s": [0.2, 0.6, 0.95, 1.05]})
    det = pd.DataFrame(
        {
            "recording": "r",
            "onset_s": [0.1, 0.5, 0.57, 0.9, 2.0],  # call 2 in two pieces; calls 3 and 4 as one; a false one
            "offset_s": [0.2, 0.55, 0.6, 1.05, 2.1],
        }
    )
    split, merging = splits_and_merges(ref, det)
    assert split.tolist() == [False, True, False, False]
    assert merging.tolist() == [False, False, False, True, False]
    groups = ["long", "long", "short", "short"]
    det_groups = ["long", "long", "long", "short", "short"]
    table = grouped_detection_scores(ref, det, reference_group=groups, detected_group=det_groups).set_index("group")
    assert table.loc["all", "recall"] == 0.75  # three of four calls matched one to one
    assert table.loc["all", "precision"] == 0.6  # three of five detections
    assert table.loc["long", "recall"] == 1.0 and table.loc["long", "splits"] == 1
    assert table.loc["short", "recall"] == 0.5 and table.loc["short", "merges"] == 1
