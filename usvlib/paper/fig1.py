"""Fig 1: detection and segmentation.

``detection_on_truth(calls, dataset)`` scores the detector against the synthetic truth,
recording by recording; ``reference_clips(folder)`` scores usvlib and the other tools on real
clips with manual labels (the AMVOC clips: ``k/rec_k.wav``, ``k/gt_k.csv``, ``k/<tool>_k.csv``).
``record_*`` file the numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from usvlib.detect import DetectorParams, detect_file
from usvlib.formats import TOOLS, read_intervals
from usvlib.metrics import pooled_score, score_detections, score_recordings


def detection_on_truth(calls: pd.DataFrame, dataset) -> pd.DataFrame:
    """The detected ``calls`` (an extraction's table) against the dataset's true calls.

    Returns
    -------
    DataFrame
        One row per recording and a last row ``all`` (``metrics.score_recordings``).
    """
    return score_recordings(calls, dataset.calls("sex"))


def record_detection_on_truth(ctx, per_recording: pd.DataFrame) -> None:
    """Record ``fig1.detection.f1_synthetic`` (pooled F1, precision, recall, timing errors)."""
    pooled = per_recording.iloc[-1]
    ctx.record(
        "fig1.detection.f1_synthetic",
        pooled.f1,
        n=int(pooled.n_reference),
        extra={
            "precision": pooled.precision,
            "recall": pooled.recall,
            "median_onset_error_ms": 1e3 * pooled.median_onset_error_s,
            "median_offset_error_ms": 1e3 * pooled.median_offset_error_s,
        },
    )


def reference_clips(folder: str | os.PathLike, params: DetectorParams = DetectorParams()) -> pd.DataFrame:
    """usvlib and the other tools on labelled clips (``k/rec_k.wav``, ``k/gt_k.csv``, ``k/<tool>_k.csv``).

    Returns one row per clip and detector (``usvlib`` and every tool whose file is there), plus
    rows ``all`` pooling each detector's matches over the clips.
    """
    folder = Path(folder)
    rows = []
    for clip in sorted(p for p in folder.iterdir() if p.is_dir() and (p / f"rec_{p.name}.wav").is_file()):
        k = clip.name
        reference = read_intervals(clip / f"gt_{k}.csv")
        found = {"usvlib": detect_file(clip / f"rec_{k}.wav", params)}
        for tool in TOOLS:
            if (clip / f"{tool}_{k}.csv").is_file():
                found[TOOLS[tool]] = read_intervals(clip / f"{tool}_{k}.csv")
        for name, det in found.items():
            rows.append({"recording": k, "detector": name, **score_detections(reference, det).as_dict()})
    table = pd.DataFrame(rows)
    pooled = []
    for name, part in table.groupby("detector", sort=False):
        pooled.append({"recording": "all", "detector": name, **pooled_score(part.drop(columns="detector")).as_dict()})
    return pd.concat([table, pd.DataFrame(pooled)], ignore_index=True)


def record_reference_clips(ctx, clips: pd.DataFrame) -> None:
    """Record usvlib's pooled F1 on the real clips and the best of the other tools'."""
    pooled = clips[clips.recording == "all"].set_index("detector")
    ctx.record(
        "fig1.detection.f1_real",
        pooled.loc["usvlib", "f1"],
        n=int(pooled.loc["usvlib", "n_reference"]),
        dataset="real",
        extra={"per_clip": clips[(clips.detector == "usvlib") & (clips.recording != "all")].f1.round(3).tolist()},
    )
    others = pooled.drop(index="usvlib")
    ctx.record(
        "fig1.detection.f1_tools_real",
        others.f1.max(),
        n=int(others.n_reference.iloc[0]),
        dataset="real",
        extra={name: round(v, 3) for name, v in others.f1.items()},
    )


def label_examples(calls: pd.DataFrame, dataset, *, per_value: int = 1) -> tuple[list, bool]:
    """Fig 1E: a typical USV for each value of each of the six labelled properties.

    On synthetic data the values are the per-USV table's labels (joined on each detected call's
    true call); where the table cannot be joined to the calls (the real table has no call times)
    they are usvlib's estimates, and the second value says so. Broadband, a level in [0, 1], is
    shown as absent (0) or present (1) (``Property.present_above``).

    Parameters
    ----------
    calls : DataFrame
        The extraction's table of the sex experiment.
    dataset : Dataset
    per_value : int

    Returns
    -------
    (list of (str, value, int), bool)
        (property, value, the USV's row in ``calls``), and whether the values are the table's labels.
    """
    from usvlib.paper.examples import typical_examples
    from usvlib.properties import PAPER_PROPERTIES

    labels = [p for p in PAPER_PROPERTIES if p.kind == "label"]
    table = calls.reset_index(drop=True).assign(_row=lambda t: np.arange(len(t)))
    human = dataset.properties is not None and "truth_call_id" in table
    if human:  # the detected calls that are true calls in the table, with the table's labels
        joined = dataset.properties.set_index("usv_id").reindex(table.truth_call_id.to_numpy())
        known = joined[[p.table_column for p in labels]].notna().all(axis=1).to_numpy()
        table, joined = table[known], joined[known]
        human = bool(known.any())
    out = []
    for prop in labels:
        values = joined[prop.table_column].to_numpy() if human else table[prop.column].to_numpy()
        classes = prop.to_class(values) + (prop.classes[0] if prop.classes else 0)
        chosen = typical_examples(table.assign(_class=classes), "_class", per_value=per_value)
        out += [(prop.label, value, int(row)) for value, row in zip(chosen._value, chosen._row, strict=True)]
    return out, human
