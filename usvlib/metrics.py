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
    matched_pairs = matched_intervals(reference, detected)
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


def _overlaps(reference: pd.DataFrame, detected: pd.DataFrame) -> np.ndarray:
    """(n_reference, n_detected) overlap in seconds of every pair (<= 0: none)."""
    ref = reference[["onset_s", "offset_s"]].to_numpy(float)
    det = detected[["onset_s", "offset_s"]].to_numpy(float)
    return np.minimum(ref[:, None, 1], det[None, :, 1]) - np.maximum(ref[:, None, 0], det[None, :, 0])


def matched_intervals(reference: pd.DataFrame, detected: pd.DataFrame) -> np.ndarray:
    """The one-to-one matching of :func:`score_detections`: (k, 2) rows of (reference, detected).

    Pairs must overlap; among the matchings the one with the most pairs (ties: the largest total
    overlap) is chosen.

    Parameters
    ----------
    reference, detected : DataFrame
        ``onset_s``, ``offset_s``.

    Returns
    -------
    ndarray of int, shape (k, 2)
        Row positions (not index labels) in ``reference`` and ``detected``.
    """
    if not len(reference) or not len(detected):
        return np.zeros((0, 2), int)
    overlap = _overlaps(reference, detected)
    valid = overlap > 0
    # maximise the number of pairs first, then overlap (normalised below 1 per pair)
    gain = np.where(valid, 1.0 + overlap / (overlap.max() + 1e-12) * 1e-3, 0.0)
    r, c = optimize.linear_sum_assignment(-gain)
    keep = valid[r, c]
    return np.column_stack([r[keep], c[keep]])


def splits_and_merges(reference: pd.DataFrame, detected: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which reference calls are split and which detections merge calls.

    Parameters
    ----------
    reference, detected : DataFrame
        ``onset_s``, ``offset_s``.

    Returns
    -------
    split : ndarray of bool (n_reference,)
        The reference call overlaps two or more detections (one call found as pieces).
    merging : ndarray of bool (n_detected,)
        The detection overlaps two or more reference calls (several calls found as one).
    """
    if not len(reference) or not len(detected):
        return np.zeros(len(reference), bool), np.zeros(len(detected), bool)
    touching = _overlaps(reference, detected) > 0
    return touching.sum(axis=1) >= 2, touching.sum(axis=0) >= 2


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


def grouped_detection_scores(
    reference: pd.DataFrame,
    detected: pd.DataFrame,
    *,
    reference_group,
    detected_group,
    key: str = "recording",
) -> pd.DataFrame:
    """Recall, precision, F1, timing errors, splits and merges per group of calls.

    Calls are matched one to one within each recording (:func:`matched_intervals`). A reference
    call counts in its own group; a detection in the group of the call it matched, or, unmatched,
    in its own (e.g. the duration band of its own length).

    Parameters
    ----------
    reference, detected : DataFrame
        ``key``, ``onset_s``, ``offset_s``.
    reference_group, detected_group : array-like
        The group of every reference call and of every detection (same lengths as the tables).
    key : str
        The column naming the recording.

    Returns
    -------
    DataFrame
        One row per group: ``n_reference``, ``n_detected``, ``recall``, ``precision``, ``f1``,
        ``median_onset_error_ms``, ``median_offset_error_ms`` (absolute, over matched pairs),
        ``splits`` (reference calls found as two or more pieces) and ``merges`` (detections that
        hold two or more reference calls), and a last row ``all``.
    """
    reference = reference.reset_index(drop=True)
    detected = detected.reset_index(drop=True)
    ref_group = np.asarray(reference_group, dtype=object)
    det_group = np.asarray(detected_group, dtype=object).copy()
    matched_det = np.full(len(reference), -1)
    on_err = np.full(len(reference), np.nan)
    off_err = np.full(len(reference), np.nan)
    split = np.zeros(len(reference), bool)
    merging = np.zeros(len(detected), bool)
    det_matched = np.zeros(len(detected), bool)
    for name in pd.unique(pd.concat([reference[key], detected[key]])):
        ri = np.flatnonzero((reference[key] == name).to_numpy())
        di = np.flatnonzero((detected[key] == name).to_numpy())
        pairs = matched_intervals(reference.iloc[ri], detected.iloc[di])
        r, d = ri[pairs[:, 0]], di[pairs[:, 1]]
        matched_det[r] = d
        det_matched[d] = True
        det_group[d] = ref_group[r]  # a matched detection counts where its call does
        on_err[r] = np.abs(detected.onset_s.to_numpy()[d] - reference.onset_s.to_numpy()[r])
        off_err[r] = np.abs(detected.offset_s.to_numpy()[d] - reference.offset_s.to_numpy()[r])
        s, m = splits_and_merges(reference.iloc[ri], detected.iloc[di])
        split[ri], merging[di] = s, m

    def row(ref_mask, det_mask) -> dict:
        n_ref, n_det = int(ref_mask.sum()), int(det_mask.sum())
        k_ref = int((matched_det[ref_mask] >= 0).sum())
        k_det = int(det_matched[det_mask].sum())
        recall = k_ref / n_ref if n_ref else np.nan
        precision = k_det / n_det if n_det else np.nan
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        return {
            "n_reference": n_ref,
            "n_detected": n_det,
            "recall": recall,
            "precision": precision,
            "f1": f1,
            "median_onset_error_ms": 1e3 * float(np.nanmedian(on_err[ref_mask])) if k_ref else np.nan,
            "median_offset_error_ms": 1e3 * float(np.nanmedian(off_err[ref_mask])) if k_ref else np.nan,
            "splits": int(split[ref_mask].sum()),
            "merges": int(merging[det_mask].sum()),
        }

    groups = [g for g in pd.unique(np.concatenate([ref_group, det_group])) if not pd.isna(g)]
    try:
        groups = sorted(groups)
    except TypeError:
        pass
    rows = [{"group": g, **row(ref_group == g, det_group == g)} for g in groups]
    rows.append({"group": "all", **row(np.ones(len(reference), bool), np.ones(len(detected), bool))})
    return pd.DataFrame(rows)
