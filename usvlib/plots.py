"""Figures: each function takes library results and returns a matplotlib Figure.

Notebooks call these and save the figure; no computation lives here beyond what drawing needs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from usvlib.audio import read_audio
from usvlib.spectrogram import stft_magnitude

SEX_COLORS = {"female": "#c8366b", "male": "#2f6db5"}
GROUP_COLORS = {**SEX_COLORS, "cortexless": "#e08a1e", "control": "#4f9a5a"}


def apply_style() -> None:
    """A compact, print-friendly style used by every figure."""
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
            "axes.labelsize": 9,
            "xtick.labelsize": 8,
            "ytick.labelsize": 8,
            "legend.fontsize": 8,
            "font.family": "DejaVu Sans",
        }
    )


def calls_per_animal(counts: pd.DataFrame, *, title: str = "USVs per recording") -> plt.Figure:
    """Bar chart of ``usv_counts`` (used recordings), coloured by group."""
    used = counts[counts.used & counts.n_usvs.notna()]
    fig, axes = plt.subplots(
        1,
        max(1, used.experiment.nunique()),
        figsize=(10, 3),
        squeeze=False,
        gridspec_kw={"width_ratios": [used[used.experiment == e].shape[0] for e in used.experiment.unique()] or [1]},
    )
    for ax, (experiment, part) in zip(axes[0], used.groupby("experiment", sort=False), strict=False):
        colors = [GROUP_COLORS.get(g, "grey") for g in part.group]
        ax.bar(range(len(part)), part.n_usvs.astype(float), color=colors)
        ax.set_xticks(range(len(part)))
        ax.set_xticklabels(part.recording, rotation=90, fontsize=6)
        ax.set_ylabel("USVs")
        totals = ", ".join(f"{g}: {int(n)}" for g, n in part.groupby("group").n_usvs.sum().items())
        ax.set_title(f"{experiment} experiment ({totals})")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def spectrogram_panel(ax, samples: np.ndarray, rate_hz: int, *, t0_s: float = 0.0, dynamic_db: float = 50.0):
    """Draw a spectrogram (dB, kHz vs ms) of ``samples`` on ``ax``."""
    spec, freqs, times = stft_magnitude(samples, rate_hz)
    db = 20 * np.log10(spec + 1e-9)
    top = db.max() if db.size else 0.0
    ax.imshow(
        db,
        origin="lower",
        aspect="auto",
        cmap="magma",
        vmin=top - dynamic_db,
        vmax=top,
        extent=[1e3 * (t0_s + times[0]), 1e3 * (t0_s + times[-1]), freqs[0] / 1e3, freqs[-1] / 1e3]
        if len(times)
        else None,
    )
    ax.set_ylabel("kHz")
    ax.set_xlabel("ms")


def _plain(c: pd.DataFrame) -> pd.Series:
    return (c.tremolo == 0) & (c.breaks == 0) & (c.harmonic == 0) & (c.broadband == 0)


GALLERY = (
    ("flat", lambda c: (c.family == "flat") & _plain(c)),
    ("sweep up", lambda c: (c.family == "sweep") & (c.direction == 1) & _plain(c)),
    ("sweep down", lambda c: (c.family == "sweep") & (c.direction == -1) & _plain(c)),
    ("chevron, 1 peak", lambda c: (c.family == "chevron") & (c.peaks == 1) & _plain(c)),
    ("chevron, 2-3 peaks", lambda c: (c.family == "chevron") & (c.peaks >= 2) & _plain(c)),
    ("short", lambda c: (c.family == "short") & _plain(c)),
    ("frequency jumps", lambda c: (c.breaks >= 1) & (c.harmonic == 0) & (c.broadband == 0)),
    ("tremolo", lambda c: (c.tremolo > 0) & (c.breaks == 0) & (c.broadband == 0)),
    ("harmonic", lambda c: (c.harmonic > 0) & (c.center_freq_hz < 65e3) & (c.family != "short")),
    ("broadband", lambda c: c.broadband > 0.5),
    ("two-part (male only)", lambda c: c.family == "two_part"),
)


def pick_examples(calls: pd.DataFrame, *, min_level_db: float = 12.0) -> dict:
    """One clear example call per gallery category: the first with a level above ``min_level_db``."""
    out = {}
    for name, rule in GALLERY:
        match = calls[rule(calls)]
        clear = match[match.level_db >= min_level_db]
        pick = clear if len(clear) else match
        if len(pick):
            out[name] = pick.iloc[0]
    return out


def call_type_gallery(dataset, *, margin_s: float = 0.015) -> plt.Figure | None:
    """Spectrograms of one synthetic call per call type (None for real data: no call times)."""
    if dataset.ground_truth is None:
        return None
    calls = dataset.calls("sex")
    examples = pick_examples(calls)
    paths = dict(zip(dataset.recordings.animal, dataset.recordings.path, strict=False))
    n = len(examples)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.4 * rows), squeeze=False)
    for ax, (name, call) in zip(axes.flat, examples.items(), strict=False):
        start = max(0.0, call.onset_s - margin_s)
        samples, rate = read_audio(paths[call.animal], start_s=start, stop_s=call.offset_s + margin_s)
        spectrogram_panel(ax, samples, rate, t0_s=start - call.onset_s)
        ax.set_ylim(20, 130)
        ax.set_title(f"{name}\n{call.animal}, {call.sex}", fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Synthetic call types (time from call onset)", fontsize=11)
    fig.tight_layout()
    return fig


def recording_excerpts(dataset, *, seconds: float = 2.0) -> plt.Figure:
    """The first ``seconds`` of the first used female and male recording."""
    rec = dataset.used_recordings("sex")
    picks = [rec[rec.sex == s].iloc[0] for s in ("female", "male") if (rec.sex == s).any()]
    fig, axes = plt.subplots(len(picks), 1, figsize=(11, 2.5 * len(picks)), squeeze=False)
    for ax, r in zip(axes[:, 0], picks, strict=False):
        samples, rate = read_audio(r.path, stop_s=seconds)
        spectrogram_panel(ax, samples, rate)
        ax.set_title(f"{r.recording} ({r.sex})")
    fig.tight_layout()
    return fig


def oracle_per_animal(oracle_json: dict, experiment: str = "sex") -> plt.Figure:
    """Per-animal Bayes-optimal accuracy, across animals vs with the animals known."""
    fig, ax = plt.subplots(figsize=(10, 3))
    settings = (("across_animals", "new animal"), ("with_animal", "animals known"))
    width = 0.4
    animals = None
    for i, (setting, label) in enumerate(settings):
        rec = oracle_json.get(f"{experiment}.{setting}")
        if rec is None:
            continue
        per = pd.Series(rec["per_animal_accuracy"])
        animals = per.index if animals is None else animals
        ax.bar(
            np.arange(len(per)) + (i - 0.5) * width,
            per.reindex(animals),
            width,
            label=f"{label}: {100 * rec['balanced_accuracy']:.1f} % (balanced)",
        )
    if animals is not None:
        ax.set_xticks(range(len(animals)))
        ax.set_xticklabels(animals, rotation=90, fontsize=6)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title(f"Bayes-optimal classifier of the synthetic data ({experiment})")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
