"""Figures of the dataset, the detection and the properties (Figs 0-2)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from usvlib.audio import read_audio
from usvlib.paper.plots.style import GROUP_COLORS, SEX_COLORS, SPECTROGRAM_CMAP, panel_letter
from usvlib.spectrogram import stft_magnitude


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
        ax.set_xticklabels(part.recording, rotation=90, fontsize=8)
        ax.set_ylabel("USVs")
        totals = ", ".join(f"{g}: {int(n)}" for g, n in part.groupby("group").n_usvs.sum().items())
        ax.set_title(f"{experiment} experiment ({totals})")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def spectrogram_panel(ax, samples: np.ndarray, rate_hz: int, *, t0_s: float = 0.0, dynamic_db: float = 50.0):
    """Draw a spectrogram (dB re its loudest pixel, kHz vs ms) of ``samples`` on ``ax``; returns the image."""
    spec, freqs, times = stft_magnitude(samples, rate_hz)
    db = 20 * np.log10(spec + 1e-9)
    top = db.max() if db.size else 0.0
    image = ax.imshow(
        db - top,
        origin="lower",
        aspect="auto",
        cmap=SPECTROGRAM_CMAP,
        vmin=-dynamic_db,
        vmax=0.0,
        extent=[1e3 * (t0_s + times[0]), 1e3 * (t0_s + times[-1]), freqs[0] / 1e3, freqs[-1] / 1e3]
        if len(times)
        else None,
    )
    ax.set_ylabel("kHz")
    ax.set_xlabel("ms")
    return image


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


def gallery_examples(calls: pd.DataFrame, *, min_level_db: float = 12.0) -> dict:
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
    examples = gallery_examples(calls)
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
        ax.set_xticklabels(animals, rotation=90, fontsize=8)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title(f"Bayes-optimal classifier of the synthetic data ({experiment})")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Fig 1: segmentation and detection


def busiest_stretch(calls: pd.DataFrame, length_s: float) -> float:
    """Start of the ``length_s`` window holding the most calls (for showing a bout)."""
    if len(calls) == 0:
        return 0.0
    onsets = np.sort(calls.onset_s.to_numpy(float))
    counts = np.searchsorted(onsets, onsets + length_s) - np.arange(len(onsets))
    return max(0.0, float(onsets[int(np.argmax(counts))]) - 0.05)


def draw_segmentation(ax, path: str, t0_s: float, t1_s: float, detected: pd.DataFrame, truth=None) -> None:
    """A stretch of recording (spectrogram, 15-150 kHz) with the detected calls (and the true
    ones) drawn as bars under it (Fig 1C)."""
    samples, rate = read_audio(path, start_s=t0_s, stop_s=t1_s)
    image = spectrogram_panel(ax, samples, rate, t0_s=0.0)
    ax.figure.colorbar(image, ax=ax, label="dB re the loudest pixel", shrink=0.85, pad=0.01)
    ax.set_xlabel("time from the start of the excerpt (ms)")
    ax.set_ylabel("frequency (kHz)")
    ax.set_ylim(12, 150)
    for table, y, color, label in ((truth, 21, "#3fbf5f", "true calls"), (detected, 16, "#19d3f3", "detected")):
        if table is None:
            continue
        inside = table[(table.offset_s > t0_s) & (table.onset_s < t1_s)]
        for i, (a, b) in enumerate(inside[["onset_s", "offset_s"]].to_numpy()):
            ax.plot(
                [1e3 * (a - t0_s), 1e3 * (b - t0_s)],
                [y, y],
                color=color,
                lw=4,
                solid_capstyle="butt",
                label=label if i == 0 else None,
            )
    ax.legend(loc="upper right", fontsize=8, framealpha=0.85, edgecolor="none")


def segmentation(
    path: str,
    t0_s: float,
    t1_s: float,
    detected: pd.DataFrame,
    truth: pd.DataFrame | None = None,
    *,
    title: str = "",
) -> plt.Figure:
    """:func:`draw_segmentation` as a figure of its own."""
    fig, ax = plt.subplots(figsize=(12, 3.2))
    draw_segmentation(ax, path, t0_s, t1_s, detected, truth)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def image_grid(images: np.ndarray, titles: list[str], *, cols: int = 8, title: str = "") -> plt.Figure:
    """Network images (100 x 100, kHz up) in a grid."""
    rows = int(np.ceil(len(images) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.65 * rows), squeeze=False)
    for ax, img, t in zip(axes.flat, images, titles, strict=False):
        ax.imshow(img, origin="lower", cmap="magma", aspect="auto")
        ax.set_title(t, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[len(images) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def detected_vs_reference_counts(per_recording: pd.DataFrame, *, key: str = "animal") -> plt.Figure:
    """USVs per recording: reference against detected (from ``metrics.score_recordings``)."""
    t = per_recording[per_recording[key] != "all"]
    fig, ax = plt.subplots(figsize=(10, 3))
    x = np.arange(len(t))
    ax.bar(x - 0.2, t.n_reference, 0.4, label="reference", color="#9aa5b1")
    ax.bar(x + 0.2, t.n_detected, 0.4, label="detected", color="#19a3c3")
    ax.set_xticks(x)
    ax.set_xticklabels(t[key], rotation=90, fontsize=8)
    ax.set_ylabel("USVs")
    ax.legend()
    ax.set_title("USVs per recording")
    fig.tight_layout()
    return fig


def detection_scores(clips: pd.DataFrame) -> plt.Figure:
    """F1 of every detector on every labelled clip (from ``paper.fig1.reference_clips``)."""
    pivot = clips.pivot(index="detector", columns="recording", values="f1")
    pivot = pivot.loc[clips.detector.drop_duplicates()]
    fig, ax = plt.subplots(figsize=(8, 3))
    n = len(pivot.columns)
    for j, clip in enumerate(pivot.columns):
        ax.bar(
            np.arange(len(pivot)) + (j - (n - 1) / 2) * 0.8 / n,
            pivot[clip],
            0.8 / n,
            label="pooled" if clip == "all" else f"clip {clip}",
        )
    ax.set_xticks(range(len(pivot)))
    ax.set_xticklabels(pivot.index)
    ax.set_ylim(0.5, 1.02)
    ax.set_ylabel("F1")
    ax.legend(fontsize=8, ncol=n)
    ax.set_title("Detection on real clips with manual labels")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Fig 2: properties by sex


_DISPLAY_SCALE = {"s": (1e3, "ms"), "Hz": (1e-3, "kHz")}


def property_distributions(
    table: pd.DataFrame,
    differences: pd.DataFrame,
    *,
    group: str = "sex",
    automatic: bool = False,
    title: str = "",
) -> plt.Figure:
    """Fig 2 A-I: each property by sex, a box plot over a violin of its distribution (for a label
    of a few levels, the share of USVs at each level), the rank-sum test's Holm-corrected p,
    Cliff's delta (male against female) and what the paper found.

    Parameters
    ----------
    table : DataFrame
        One row per USV with ``group`` and the columns ``differences.column`` names.
    differences : DataFrame
        ``stats.group_differences``.
    group : str
    automatic : bool
        The values are usvlib's estimates, not a labeller's: the units are usvlib's columns'.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
        One axes per property, labelled A, B, ... (``ax.get_label()``).
    """
    from usvlib.properties import PAPER_PROPERTIES

    by_name = {p.name: p for p in PAPER_PROPERTIES}
    n = len(differences)
    cols = 3
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(10.5, 3.0 * rows), squeeze=False)
    groups = [g for g in ("female", "male") if g in set(table[group])]
    for i, (ax, row) in enumerate(zip(axes.flat, differences.itertuples(), strict=False)):
        prop = by_name.get(row.property)
        unit = "" if prop is None else (prop.unit if automatic else prop.table_unit)
        scale, unit = _DISPLAY_SCALE.get(unit, (1.0, unit))
        data = [table.loc[table[group] == g, row.column].dropna().to_numpy(float) * scale for g in groups]
        if table[row.column].nunique() <= 5:  # a label: the share of each value
            values = sorted(table[row.column].dropna().unique() * scale)
            width = 0.8 / len(groups)
            for j, (g, d) in enumerate(zip(groups, data, strict=True)):
                share = [np.mean(d == v) for v in values]
                ax.bar(np.arange(len(values)) + (j - 0.5) * width, share, width, color=SEX_COLORS.get(g), label=g)
            ax.set_xticks(range(len(values)))
            ax.set_xticklabels([f"{v:g}" for v in values])
            ax.set_xlabel(prop.axis_label() if prop is not None and not automatic else row.label)
            ax.set_ylabel("share of USVs")
            ax.set_ylim(0, 1)
        else:
            violins = ax.violinplot(data, positions=range(len(groups)), showextrema=False, widths=0.85)
            for body, g in zip(violins["bodies"], groups, strict=True):
                body.set_facecolor(SEX_COLORS.get(g, "grey"))
                body.set_alpha(0.25)
            parts = ax.boxplot(data, positions=range(len(groups)), showfliers=False, patch_artist=True, widths=0.3)
            for patch, g in zip(parts["boxes"], groups, strict=True):
                patch.set_facecolor(SEX_COLORS.get(g, "grey"))
                patch.set_alpha(0.8)
            for median in parts["medians"]:
                median.set_color("black")
            ax.set_xticks(range(len(groups)))
            ax.set_xticklabels(groups)
            ax.set_ylabel(f"{row.label} ({unit})" if unit else row.label)
        star = "differs" if row.significant else "n.s."
        paper = f"\npaper: {row.paper}" if row.paper else ""
        ax.set_title(f"p = {row.p_holm:.2g} ({star}), δ = {row.cliffs_delta:+.2f}{paper}", fontsize=8)
        ax.set_label("ABCDEFGHI"[i] if i < 9 else "")
        panel_letter(ax, "ABCDEFGHI"[i] if i < 9 else "", x=-0.22, y=1.02)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles = [plt.Rectangle((0, 0), 1, 1, color=SEX_COLORS[g]) for g in groups]
    fig.legend(handles, groups, loc="upper right", ncol=len(groups), frameon=False, fontsize=9)
    what = "usvlib's automatic estimates" if automatic else "the per-USV table's values (a labeller's for D-I)"
    fig.suptitle(
        title
        or f"Fig 2. The nine properties by sex: {what}; Wilcoxon rank-sum over USVs, Holm over the nine; "
        "δ: Cliff's delta, male against female",
        fontsize=9,
        x=0.02,
        ha="left",
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def examples_per_value(table: pd.DataFrame, column: str, *, per_value: int = 4, seed: int = 0) -> pd.DataFrame:
    """Up to ``per_value`` random rows for each value of ``column`` (for example galleries);
    the value is in ``_value``."""
    rng = np.random.default_rng(seed)
    parts = []
    for value, rows in table.groupby(column, sort=True):
        take = rows.iloc[np.sort(rng.choice(len(rows), size=min(per_value, len(rows)), replace=False))]
        parts.append(take.assign(_value=value))
    return pd.concat(parts, ignore_index=True) if parts else table.iloc[:0]
