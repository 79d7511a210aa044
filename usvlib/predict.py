"""Apply a trained classifier (``usvlib.classify``) to recordings: the group of every call.

``predict_calls(classifier, recordings)``: one row per call with the probability of each group,
and one row per recording with its calls' mean probabilities and the share assigned to each
group (a Wilson interval over its calls).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

from usvlib.classify import TrainedClassifier
from usvlib.detect import DetectorParams, detect_file
from usvlib.formats import calls_of_recording
from usvlib.products import recording_products


def wilson_interval(successes: int, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    successes, n : int
    level : float

    Returns
    -------
    (float, float)
        (nan, nan) for ``n == 0``.
    """
    if n == 0:
        return float("nan"), float("nan")
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def predict_calls(
    classifier: TrainedClassifier,
    recordings: list[str | os.PathLike],
    *,
    calls: pd.DataFrame | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Probability of each group for every call of some recordings, and a summary per recording.

    Parameters
    ----------
    classifier : TrainedClassifier
    recordings : list of path
    calls : DataFrame, optional
        Call times to use instead of detecting them (``onset_s``, ``offset_s`` and, with several
        recordings, ``recording`` naming each file by its path or base name), e.g. from
        :func:`usvlib.formats.read_calls`.
    progress : bool

    Returns
    -------
    per_call : DataFrame
        ``recording``, ``onset_s``, ``offset_s``, ``duration_s``, ``mean_freq_hz``,
        ``p_<class>`` for each class and ``predicted``.
    per_recording : DataFrame
        ``recording``, ``n_calls``, ``mean_p_<class>``, ``share_<class>`` with
        ``share_<class>_low``/``_high`` (95 % Wilson interval over the recording's calls, which
        treats them as independent).

    Raises
    ------
    UsvlibError
        Naming the recording that cannot be read.
    """
    detector = DetectorParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in classifier.detector.items()})
    rows = []
    iterator = recordings
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(recordings, desc="predicting", unit="rec")
    for path in iterator:
        found = _calls_of(path, calls, detector)
        products = recording_products(path, found, with_properties=True)
        mean_hz = products["properties"]["mean_freq_hz"].to_numpy(float)
        mean_hz = np.where(np.isfinite(mean_hz), mean_hz, np.nanmedian(mean_hz) if np.isfinite(mean_hz).any() else 0)
        table = pd.DataFrame(
            {
                "recording": str(path),
                "onset_s": found.onset_s.to_numpy(float),
                "offset_s": found.offset_s.to_numpy(float),
            }
        )
        table["duration_s"] = table.offset_s - table.onset_s
        table["mean_freq_hz"] = mean_hz
        if len(table):
            proba = classifier.predict_proba(products["images"], table.duration_s, mean_hz)
            for j, c in enumerate(classifier.classes):
                table[f"p_{c}"] = proba[:, j]
            table["predicted"] = np.asarray(classifier.classes)[proba.argmax(axis=1)]
        else:
            for c in classifier.classes:
                table[f"p_{c}"] = pd.Series(dtype=float)
            table["predicted"] = pd.Series(dtype=str)
        rows.append(table)
    per_call = pd.concat(rows, ignore_index=True)
    summary = []
    for recording, part in per_call.groupby("recording", sort=False):
        entry = {"recording": recording, "n_calls": len(part)}
        for c in classifier.classes:
            entry[f"mean_p_{c}"] = float(part[f"p_{c}"].mean()) if len(part) else float("nan")
            hits = int((part.predicted == c).sum())
            entry[f"share_{c}"] = hits / len(part) if len(part) else float("nan")
            entry[f"share_{c}_low"], entry[f"share_{c}_high"] = wilson_interval(hits, len(part))
        summary.append(entry)
    for path in recordings:  # a recording without calls still gets its row
        if str(path) not in per_call.recording.to_numpy():
            summary.append({"recording": str(path), "n_calls": 0})
    return per_call, pd.DataFrame(summary)


def _calls_of(path, calls: pd.DataFrame | None, detector: DetectorParams) -> pd.DataFrame:
    if calls is None:
        return detect_file(path, detector)[["onset_s", "offset_s"]]
    return calls_of_recording(calls, path)[["onset_s", "offset_s"]]
