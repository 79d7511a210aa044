"""Scores: detections against labelled calls, and classifiers' balanced accuracy.

Kept apart from the algorithms they score (``usvlib.detect``, the classifiers), so that a
change of a score never touches what it scores, nor the caches of what it scores.

* **Detection.** ``score_detections(reference, detected)`` matches intervals one to one: each
  reference call to at most one detected call and back, pairs must overlap, and among the
  matchings the one with the most pairs (ties: the largest total overlap) is chosen; precision,
  recall, F1 and the median onset and offset errors follow.
* **Classification.** ``balanced_accuracy``: the mean over the classes present of the share
  predicted right (chance = 1 / number of classes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean over the classes present of the fraction predicted correctly (chance = 1/classes).

    Parameters
    ----------
    y_true, y_pred : array-like of int
        True and predicted classes.

    Returns
    -------
    float

    Examples
    --------
    >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 1, 1])
    0.8333333333333333
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)]))


@dataclass(frozen=True)
class DetectionScore:
    """How a detection compares with reference intervals (times in seconds)."""

    n_reference: int
    n_detected: int
    n_matched: int
    precision: float
    recall: float
    f1: float
    median_onset_error_s: float
    median_offset_error_s: float

    def as_dict(self) -> dict:
        """The fields as a plain dict (a table row)."""
        return self.__dict__.copy()


def score_detections(reference: pd.DataFrame, detected: pd.DataFrame) -> DetectionScore:
    """One-to-one matching of overlapping intervals -> precision, recall, F1, timing errors.

    Each reference interval is matched to at most one detected interval and vice versa; pairs
    must overlap, and among the possible matchings the one with the most pairs (ties: the
    largest total overlap) is chosen. Timing errors are detected minus reference, in seconds,
    over the matched pairs (absolute medians).

    Parameters
    ----------
    reference, detected : DataFrame
        ``onset_s``, ``offset_s`` of the labelled and of the detected calls.

    Returns
    -------
    DetectionScore

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"onset_s": [0.10, 0.50], "offset_s": [0.15, 0.60]})
    >>> det = pd.DataFrame({"onset_s": [0.11, 0.90], "offset_s": [0.15, 0.95]})
    >>> s = score_detections(ref, det)
    >>> s.n_matched, s.precision, s.recall
    (1, 0.5, 0.5)
    """
    ref = reference[["onset_s", "offset_s"]].to_numpy(float)
    det = detected[["onset_s", "offset_s"]].to_numpy(float)
    n_ref, n_det = len(ref), len(det)
    matched_pairs = np.zeros((0, 2), int)
    if n_ref and n_det:
        overlap = np.minimum(ref[:, None, 1], det[None, :, 1]) - np.maximum(ref[:, None, 0], det[None, :, 0])
        valid = overlap > 0
        # maximise the number of pairs first, then overlap (normalised below 1 per pair)
        gain = np.where(valid, 1.0 + overlap / (overlap.max() + 1e-12) * 1e-3, 0.0)
        r, c = optimize.linear_sum_assignment(-gain)
        keep = valid[r, c]
        matched_pairs = np.column_stack([r[keep], c[keep]])
    k = len(matched_pairs)
    precision = k / n_det if n_det else (1.0 if n_ref == 0 else 0.0)
    recall = k / n_ref if n_ref else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    if k:
        on = np.median(np.abs(det[matched_pairs[:, 1], 0] - ref[matched_pairs[:, 0], 0]))
        off = np.median(np.abs(det[matched_pairs[:, 1], 1] - ref[matched_pairs[:, 0], 1]))
    else:
        on = off = float("nan")
    return DetectionScore(n_ref, n_det, k, precision, recall, f1, float(on), float(off))


def score_recordings(detected: pd.DataFrame, reference: pd.DataFrame, *, key: str = "animal") -> pd.DataFrame:
    """Score detections recording by recording.

    Parameters
    ----------
    detected, reference : DataFrame
        Both with ``key``, ``onset_s`` and ``offset_s``.
    key : str
        The column that names the recording.

    Returns
    -------
    DataFrame
        One row per recording (the fields of :class:`DetectionScore`) and a last row ``all``
        pooling the matches of every recording (:func:`pooled_score`).
    """
    rows = []
    for name in sorted(set(reference[key]) | set(detected[key])):
        s = score_detections(reference[reference[key] == name], detected[detected[key] == name])
        rows.append({key: name, **s.as_dict()})
    table = pd.DataFrame(rows)
    pooled = pooled_score(table)
    return pd.concat([table, pd.DataFrame([{key: "all", **pooled.as_dict()}])], ignore_index=True)


def pooled_score(per_recording: pd.DataFrame) -> DetectionScore:
    """Precision, recall and F1 of all matches of several recordings together.

    Parameters
    ----------
    per_recording : DataFrame
        Rows of :func:`score_recordings` (a row ``all`` in the first column is ignored).

    Returns
    -------
    DetectionScore
        Timing errors are the per-recording medians weighted by their matches.
    """
    t = per_recording[per_recording.iloc[:, 0] != "all"]
    n_ref, n_det, k = int(t.n_reference.sum()), int(t.n_detected.sum()), int(t.n_matched.sum())
    p = k / n_det if n_det else 0.0
    r = k / n_ref if n_ref else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    w = t.n_matched.to_numpy(float)
    on = float(np.average(t.median_onset_error_s.fillna(0), weights=w)) if w.sum() else float("nan")
    off = float(np.average(t.median_offset_error_s.fillna(0), weights=w)) if w.sum() else float("nan")
    return DetectionScore(n_ref, n_det, k, p, r, f1, on, off)


def match_to_truth(detected: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """For each detected call, the ``call_id`` of the true call it overlaps most (-1 if none).

    Parameters
    ----------
    detected : DataFrame
        ``onset_s``, ``offset_s``.
    truth : DataFrame
        ``call_id``, ``onset_s``, ``offset_s``.

    Returns
    -------
    ndarray of int64, shape (len(detected),)
    """
    out = np.full(len(detected), -1, np.int64)
    if len(detected) == 0 or len(truth) == 0:
        return out
    d = detected[["onset_s", "offset_s"]].to_numpy(float)
    t = truth[["onset_s", "offset_s"]].to_numpy(float)
    overlap = np.minimum(d[:, None, 1], t[None, :, 1]) - np.maximum(d[:, None, 0], t[None, :, 0])
    best = overlap.argmax(axis=1)
    hit = overlap[np.arange(len(d)), best] > 0
    out[hit] = truth.call_id.to_numpy()[best[hit]]
    return out
