"""Draw mice and their calls from the model (no audio yet): the latent truth of a dataset.

``sample_animals`` gives one row per mouse (= recording) with its random effects; ``sample_calls``
gives one row per call with its timing, latent and observed parameters, the nuisance parameters
that the renderer needs, and the true and human-labelled properties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from usvlib._seeding import rng_for
from usvlib.synth.model import DIRECTIONS, FAMILIES, SLOTS, SynthModel
from usvlib.synth.scale import SynthScale

MAX_BREAKS = 3

SEX_EXPERIMENT = "sex"
STRAIN_EXPERIMENT = "strain"


def sex_recording_names(model: SynthModel) -> list[tuple[str, str]]:
    """``(recording, sex)`` of the sex experiment, named as in the Donders data."""
    females = [(f"Rfem_Afem{i:02d}", "female") for i in range(1, model.n_female + 1)]
    males = [(f"Rmale_Afem{i:02d}", "male") for i in range(1, model.n_male + 1)]
    return females + males


def strain_recording_names(scale: SynthScale) -> list[tuple[str, str]]:
    """``(recording, strain)`` of the strain experiment (all males)."""
    cx = [(f"cortexless{i:02d}", "cortexless") for i in range(1, scale.n_cortexless + 1)]
    ctrl = [(f"control{i:02d}", "control") for i in range(1, scale.n_control + 1)]
    return cx + ctrl


def sample_animals(model: SynthModel, scale: SynthScale, seed: int) -> pd.DataFrame:
    """One row per mouse: experiment, sex, strain, calling rate, slot proportions, effects.

    Random effects (columns ``effect_<dim>``) are centred within each experiment x sex x
    strain group, weighted by calling rate, so the realised group differences are the
    designed ones.
    """
    rows = []
    for name, sex in sex_recording_names(model):
        rows.append(
            {
                "animal": name,
                "experiment": SEX_EXPERIMENT,
                "sex": sex,
                "strain": "",
                "recording_s": scale.sex_recording_s,
            }
        )
    for name, strain in strain_recording_names(scale):
        rows.append(
            {
                "animal": name,
                "experiment": STRAIN_EXPERIMENT,
                "sex": "male",
                "strain": strain,
                "recording_s": scale.strain_recording_s,
            }
        )
    animals = pd.DataFrame(rows)

    for i, row in animals.iterrows():
        rng = rng_for(seed, "synth", "animal", row.animal)
        rate = scale.calls_per_s * np.exp(model.rate_sd_log * rng.standard_normal())
        animals.loc[i, "rate_per_s"] = rate
        for col, values in draw_individuality(model, row.sex, 1, rng).items():
            animals.loc[i, col] = values[0]
        animals.loc[i, "floor_dbfs"] = rng.uniform(*model.noise.floor_dbfs)

    # the mice differ in rate, but each experiment's mean rate is the profile's
    for _, exp in animals.groupby("experiment"):
        animals.loc[exp.index, "rate_per_s"] *= scale.calls_per_s / exp.rate_per_s.mean()

    for _, group in animals.groupby(["experiment", "sex", "strain"]):
        w = group.rate_per_s / group.rate_per_s.sum()
        for dim in model.dims:
            col = f"effect_{dim.name}"
            animals.loc[group.index, col] = group[col] - float(np.sum(w * group[col]))
    return animals


def draw_individuality(model: SynthModel, sex: str, n: int, rng: np.random.Generator) -> dict:
    """Family-slot proportions ``p_<slot>`` and random effects ``effect_<dim>`` of ``n`` new mice.

    Proportions are Dirichlet around the sex's mean (concentration ``slot_concentration``); a
    male's share of two-part calls is uniform in ``male_two_part_fraction``, a female's is 0.
    """
    probs = model.female_slot_probs if sex == "female" else model.male_slot_probs
    others = [s for s in SLOTS if s != "two_part"]
    base = np.array([probs[s] for s in others])
    props = rng.dirichlet(model.slot_concentration * base / base.sum(), size=n)
    two_part = rng.uniform(*model.male_two_part_fraction, size=n) if sex == "male" else np.zeros(n)
    out = {f"p_{s}": (1.0 - two_part) * props[:, j] for j, s in enumerate(others)}
    out["p_two_part"] = two_part
    for dim in model.dims:
        out[f"effect_{dim.name}"] = dim.mouse_sd * rng.standard_normal(n)
    return out


def family_index(family) -> np.ndarray:
    """Index of each call's family in ``FAMILIES``."""
    return pd.Index(FAMILIES).get_indexer(np.asarray(family))


def group_shift(dim, sex, strain, family, male_freq_shift: float) -> np.ndarray:
    """Sex and strain mean shifts of ``dim`` for calls of the given groups and families.

    The male shift of the centre frequency is ``male_freq_shift`` for every family but the
    male-only two-part call (see ``SynthModel.balance_mean_frequency``).
    """
    sex, strain, family = (np.broadcast_to(np.asarray(v), np.shape(family)) for v in (sex, strain, family))
    male = sex == "male"
    if dim.name == "center_freq_khz":
        shift = np.where(male & (family != "two_part"), male_freq_shift, 0.0)
    else:
        shift = np.where(male, dim.male_shift, 0.0)
    return shift + np.where(strain == "cortexless", dim.cortexless_shift, 0.0)


def draw_latent(
    model: SynthModel,
    *,
    sex,
    strain,
    slot_probs: np.ndarray,
    effects: dict | None,
    rng: np.random.Generator,
    male_freq_shift: float,
) -> pd.DataFrame:
    """Draw direction, family and latent dimensions of calls (one row per call).

    Parameters
    ----------
    sex, strain : array-like or str
        Group of each call's mouse.
    slot_probs : ndarray, shape (n_calls, len(SLOTS))
        Family-slot proportions of each call's mouse.
    effects : dict or None
        ``{dim name: array of the mouse's effect per call}``; ``None`` draws a fresh effect per
        call (each call from a new animal).
    """
    n = len(slot_probs)
    dprobs = np.array([model.direction_probs[d] for d in DIRECTIONS], dtype=float)
    direction = np.array(DIRECTIONS)[rng.choice(len(DIRECTIONS), size=n, p=dprobs / dprobs.sum())]
    cum = np.cumsum(slot_probs / slot_probs.sum(axis=1, keepdims=True), axis=1)
    slot_idx = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(SLOTS) - 1)
    slot = np.array(SLOTS)[slot_idx]
    family = np.where(slot == "simple", np.where(direction == 0, "flat", "sweep"), slot)
    fam = family_index(family)
    out = {"direction": direction, "family": family}
    for dim in model.dims:
        e = rng.standard_normal(n)
        b = dim.mouse_sd * rng.standard_normal(n) if effects is None else effects[dim.name]
        mean = np.array([dim.mean.get(f, np.nan) for f in FAMILIES])[fam]
        sd = np.array([dim.sd_for(f) for f in FAMILIES])[fam]
        y = mean + group_shift(dim, sex, strain, family, male_freq_shift) + b + sd * e
        out[f"latent_{dim.name}"] = y
        out[dim.name] = observe(dim, y)
    return pd.DataFrame(out)


def visible(dim, calls: pd.DataFrame) -> np.ndarray:
    """Whether ``dim`` is visible in each call: active for its family and its requirement met."""
    active = ~np.isnan(calls[f"latent_{dim.name}"].to_numpy(float))
    if dim.requires:
        active &= calls[dim.requires].to_numpy(float) > 0
    return active


def animal_arrays(model: SynthModel, animals: pd.DataFrame, animal_of_call: np.ndarray) -> dict:
    """Per-call copies of the animals' groups, slot proportions and effects."""
    idx = pd.Index(animals.animal).get_indexer(animal_of_call)
    rows = animals.iloc[idx]
    return {
        "sex": rows.sex.to_numpy(),
        "strain": rows.strain.to_numpy(),
        "slot_probs": rows[[f"p_{s}" for s in SLOTS]].to_numpy(float),
        "effects": {d.name: rows[f"effect_{d.name}"].to_numpy(float) for d in model.dims},
    }


def observe(dim, y: np.ndarray) -> np.ndarray:
    """What of latent ``y`` is observable (NaN latent = inactive dimension → 0)."""
    active = ~np.isnan(y)
    if dim.kind == "gaussian":
        return y
    if dim.kind == "probit":
        return np.where(active, (np.nan_to_num(y, nan=-1.0) > 0).astype(float), 0.0)
    if dim.kind == "censored":
        return np.where(active, np.clip(np.nan_to_num(y), 0.0, 1.0), 0.0)
    if dim.kind == "ordinal":
        level = dim.first_level + (np.nan_to_num(y, nan=-np.inf)[:, None] > np.array(dim.cuts)).sum(axis=1)
        return np.where(active, level, 0).astype(float)
    raise ValueError(f"unknown kind {dim.kind!r}")


def sample_calls(model: SynthModel, animal: pd.Series, seed: int, *, male_freq_shift: float) -> pd.DataFrame:
    """All calls of one recording: timing, latent, nuisance, true and human labels."""
    rng = rng_for(seed, "synth", "calls", animal.animal)
    duration_total = animal.recording_s
    n_max = int(np.ceil(animal.rate_per_s * duration_total * 1.8 + 40))
    per_call = animal_arrays(model, animal.to_frame().T, np.repeat(animal.animal, n_max))
    calls = draw_latent(model, **per_call, rng=rng, male_freq_shift=male_freq_shift)

    calls = calls.assign(**nuisance_columns(model, n_max, rng))
    calls = realize(calls, model)
    n = n_max

    # timing: bouts of geometric length, log-normal gaps inside, exponential gaps between
    b = model.bouts
    total = calls.duration_s + calls.high_gap_s + calls.high_duration_s
    p_new_bout = 1.0 / b.mean_calls_per_bout
    within = np.maximum(b.min_gap_s, b.within_gap_median_s * np.exp(b.within_gap_sd_log * rng.standard_normal(n)))
    mean_within = b.within_gap_median_s * np.exp(0.5 * b.within_gap_sd_log**2)
    mean_between = (1.0 / animal.rate_per_s - total.mean() - (1 - p_new_bout) * mean_within) / p_new_bout
    mean_between = max(mean_between, b.min_between_gap_s + 0.05)
    between = b.min_between_gap_s + rng.exponential(mean_between - b.min_between_gap_s, n)
    new_bout = rng.random(n) < p_new_bout
    new_bout[0] = True
    gap = np.where(new_bout, between, within)
    onset = b.margin_s + np.cumsum(gap) + np.concatenate([[0.0], np.cumsum(total.to_numpy())[:-1]])
    offset = onset + total.to_numpy()
    keep = offset <= duration_total - b.margin_s
    calls["onset_s"] = onset
    calls["offset_s"] = offset
    calls["bout_start"] = new_bout
    calls = calls[keep].reset_index(drop=True)

    calls = finalize_calls(calls, model, seed, animal.animal)
    calls.insert(0, "animal", animal.animal)
    calls.insert(1, "experiment", animal.experiment)
    calls.insert(2, "sex", animal.sex)
    calls.insert(3, "strain", animal.strain)
    return calls


def nuisance_columns(model: SynthModel, n: int, rng: np.random.Generator) -> dict:
    """Shape parameters carrying neither sex nor identity (``NuisanceModel``), for ``n`` calls."""
    nz = model.nuisance
    out = {
        "drift_sign": rng.choice([-1.0, 1.0], n),
        "tremolo_depth_hz": 1e3 * rng.uniform(*nz.tremolo_depth_khz, n),
        "tremolo_phase": rng.uniform(0, 2 * np.pi, n),
    }
    positions = np.sort(rng.uniform(*nz.break_position, (n, MAX_BREAKS)), axis=1)
    for j in range(MAX_BREAKS):
        out[f"break_pos_{j + 1}"] = positions[:, j]
        out[f"jump_spread_{j + 1}"] = rng.uniform(*nz.jump_spread, n) * rng.choice([-1.0, 1.0], n)
        out[f"break_gap_s_{j + 1}"] = rng.uniform(*nz.break_gap_s, n)
    out["ramp_s"] = rng.uniform(*nz.ramp_s, n)
    out["broadband_width_hz"] = rng.uniform(*nz.broadband_width_hz, n)
    out["am_depth"] = rng.uniform(*nz.am_depth, n)
    out["am_rate_hz"] = rng.uniform(*nz.am_rate_hz, n)
    out["am_phase"] = rng.uniform(0, 2 * np.pi, n)
    out["high_gap_s"] = rng.uniform(*nz.two_part_gap_s, n)
    out["high_duration_s"] = rng.uniform(*nz.two_part_high_duration_s, n)
    out["high_jump_hz"] = 1e3 * rng.uniform(*nz.two_part_jump_khz, n)
    out["high_slope_hz"] = 1e3 * rng.uniform(*nz.two_part_high_slope_khz, n)
    out["high_level_db"] = rng.uniform(*nz.two_part_high_level_db, n)
    return out


def realize(calls: pd.DataFrame, model: SynthModel) -> pd.DataFrame:
    """Physical parameters from the latent ones: durations, frequencies, jump directions.

    Jumps that would take the contour out of 45-110 kHz go the other way; the second
    element of a two-part call exists only in two-part calls.
    """
    nz = model.nuisance
    calls = calls.copy()
    calls["duration_s"] = np.clip(np.exp(calls.log_duration_s), nz.min_duration_s, nz.max_duration_s)
    calls["center_freq_hz"] = 1e3 * np.clip(calls.center_freq_khz, *nz.center_freq_limits_khz)
    calls["bandwidth_hz"] = 1e3 * np.exp(calls.log_bandwidth_khz)
    calls["curvature"] = np.exp(calls.log_curvature.fillna(0.0))
    calls["skew_exponent"] = np.exp(calls.chevron_skew.fillna(0.0))
    calls["harmonic_rel_amplitude"] = 10 ** (calls.harmonic_db.fillna(-np.inf) / 20)
    fc = calls.center_freq_hz.to_numpy()
    jump_size = 1e3 * np.exp(calls.log_jump_khz.fillna(0.0).to_numpy())
    offset = np.zeros(len(calls))
    for j in range(1, MAX_BREAKS + 1):
        jump = jump_size * calls[f"jump_spread_{j}"].to_numpy()
        outside = (fc + offset + jump < 45e3) | (fc + offset + jump > 110e3)
        jump = np.where(outside, -jump, jump)
        calls[f"jump_hz_{j}"] = jump
        offset = offset + np.where(calls.breaks.to_numpy() >= j, jump, 0.0)
    not_two = (calls.family != "two_part").to_numpy()
    for col in ("high_gap_s", "high_duration_s", "high_jump_hz", "high_slope_hz", "high_level_db"):
        calls.loc[not_two, col] = 0.0
    return calls


def finalize_calls(calls: pd.DataFrame, model: SynthModel, seed: int, animal: str) -> pd.DataFrame:
    """Physical parameters and labels from the latent ones (repeatable after a recentring)."""
    calls = realize(calls, model)
    calls = add_true_labels(calls)
    return add_human_labels(calls, model, rng_for(seed, "synth", "labels", animal))


TIMING_DIMS = ("log_duration_s",)
"""Dimensions that decide call timing: centred by calling rate before the calls are drawn."""


def recenter_effects(
    model: SynthModel,
    animals: pd.DataFrame,
    calls_by_animal: dict,
    seed: int,
    *,
    exclude: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, dict]:
    """Centre each group's random effects on the calls actually drawn.

    ``sample_animals`` centres the effects weighted by calling rate; the calls a mouse makes
    vary around its rate, so here every dimension but the timing ones is shifted, within each
    group, by the call-weighted mean effect of the group's mice (those not in ``exclude``, the
    recordings an analysis leaves out). Afterwards the realised group means of the latent
    dimensions are exactly the designed ones.
    """
    animals = animals.copy()
    calls_by_animal = dict(calls_by_animal)
    dims = [d for d in model.dims if d.name not in TIMING_DIMS]
    for _, group in animals.groupby(["experiment", "sex", "strain"]):
        used = group[~group.animal.isin(exclude)]
        counts = np.array([len(calls_by_animal[a]) for a in used.animal], dtype=float)
        if counts.sum() == 0:
            continue
        for dim in dims:
            col = f"effect_{dim.name}"
            offset = float(np.sum(counts * used[col]) / counts.sum())
            animals.loc[group.index, col] -= offset
            for name in group.animal:
                c = calls_by_animal[name].copy()
                c[f"latent_{dim.name}"] -= offset
                c[dim.name] = observe(dim, c[f"latent_{dim.name}"].to_numpy(float))
                calls_by_animal[name] = c
    for name, c in calls_by_animal.items():
        meta = c[["animal", "experiment", "sex", "strain"]]
        body = finalize_calls(c.drop(columns=meta.columns), model, seed, name)
        calls_by_animal[name] = pd.concat([meta, body], axis=1)
    return animals, calls_by_animal


def add_true_labels(calls: pd.DataFrame) -> pd.DataFrame:
    """The six human-labelled properties, as a perfect labeller would give them."""
    two_part = calls.family == "two_part"
    calls["true_direction"] = calls.direction.astype(int)
    calls["true_peaks"] = calls.peaks.astype(int)
    calls["true_breaks"] = np.where(two_part, 1, calls.breaks).astype(int)
    calls["true_broadband"] = calls.broadband
    calls["true_tremolo"] = calls.tremolo.astype(int)
    calls["true_complex"] = ((calls.harmonic > 0) | (calls.true_peaks + calls.true_breaks >= 2) | two_part).astype(int)
    return calls


def add_human_labels(calls: pd.DataFrame, model: SynthModel, rng: np.random.Generator) -> pd.DataFrame:
    """The truth passed through a labeller's confusions (``LabelNoise``)."""
    ln = model.labels
    n = len(calls)
    d = calls.true_direction.to_numpy().copy()
    confuse = rng.random(n) < ln.direction_confusion
    away_from_flat = rng.choice([-1, 1], n)
    d = np.where(confuse, np.where(d == 0, away_from_flat, 0), d)
    calls["human_direction"] = d

    def off_by_one(values, p, lo, hi):
        step = rng.choice([-1, 1], len(values)) * (rng.random(len(values)) < p)
        return np.clip(values + step, lo, hi).astype(int)

    calls["human_peaks"] = off_by_one(calls.true_peaks.to_numpy(), ln.peaks_off_by_one, 0, 3)
    calls["human_breaks"] = off_by_one(calls.true_breaks.to_numpy(), ln.breaks_off_by_one, 0, 3)
    bb = np.clip(calls.true_broadband.to_numpy() + ln.broadband_sd * rng.standard_normal(n), 0, 1)
    calls["human_broadband"] = np.round(bb / ln.broadband_step) * ln.broadband_step
    flip_t = rng.random(n) < ln.tremolo_flip
    calls["human_tremolo"] = np.where(flip_t, 1 - calls.true_tremolo, calls.true_tremolo)
    flip_c = rng.random(n) < ln.complex_flip
    calls["human_complex"] = np.where(flip_c, 1 - calls.true_complex, calls.true_complex)
    return calls
