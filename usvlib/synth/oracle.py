"""The Bayes-optimal classifier of the synthetic data, and its balanced accuracy.

Under the model (``usvlib.synth.model``) every factor of a call's latent parameters has a known
distribution, so the likelihood of a call under each group is exact:

* **across animals** (a new animal, as in leave-one-animal-out): the mouse effect is unknown
  and integrated out, which for a Gaussian dimension widens its variance to
  ``sd**2 + mouse_sd**2``; the family proportions are the group's mean proportions;
* **with the animals known** (as in the paper's random 10-fold split, where every mouse is in
  the training set): the call comes from one of the dataset's mice, unknown which, so
  ``p(call | sex) = sum over mice m of that sex of w_m p(call | m)`` with ``w_m`` the mouse's
  share of its sex's calls.

A call is given to the group with the higher likelihood (equal priors: the rule that maximises
balanced accuracy). The accuracy is then measured on calls, which makes it an estimate with a
sampling error: on the dataset's own calls (the ceiling for classifiers trained on these very
data) and, across animals, on a large Monte-Carlo sample of new animals (the population value).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from usvlib._seeding import rng_for
from usvlib.synth.model import FAMILIES, SLOTS, SynthModel

_LOG_TINY = -1e300


def model_fingerprint(model: SynthModel) -> str:
    """A stable hash of every parameter of ``model``."""
    text = json.dumps(dataclasses.asdict(model), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _slot_of(calls: pd.DataFrame) -> np.ndarray:
    return np.where(calls.family.isin(["flat", "sweep"]), "simple", calls.family)


def _norm_logcdf(x: np.ndarray) -> np.ndarray:
    return special.log_ndtr(x)


def _log_interval(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """log(Phi(hi) - Phi(lo)) computed stably for lo < hi."""
    # use the upper tail when both bounds are positive
    flip = lo > 0
    a = np.where(flip, -hi, lo)
    b = np.where(flip, -lo, hi)
    lb, la = special.log_ndtr(b), special.log_ndtr(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return lb + np.log1p(-np.exp(np.minimum(la - lb, 0.0)))


def call_log_likelihood(
    model: SynthModel,
    calls: pd.DataFrame,
    *,
    sex: str,
    strain: str = "",
    male_freq_shift: float,
    effects: dict | None = None,
    slot_probs: dict | None = None,
    dims: tuple[str, ...] | None = None,
    use_family: bool = True,
) -> np.ndarray:
    """log p(latent parameters of each call | group [, mouse]).

    Parameters
    ----------
    calls : DataFrame
        Needs ``family`` and, for every dimension, its observed column (and ``latent_<dim>``
        for Gaussian ones).
    sex, strain : str
        The group whose likelihood is computed.
    effects : dict, optional
        The mouse's random effects ``{dim name: value}``. ``None`` integrates them out.
    slot_probs : dict, optional
        The mouse's family-slot proportions. ``None`` uses the group's mean proportions.
    dims, use_family : optional
        Restrict the likelihood to these dimensions / leave out the family (for the accuracy
        attainable from a subset of what a call is, such as the paper's properties).
    """
    from usvlib.synth.population import family_index, group_shift, visible

    family = calls.family.to_numpy()
    fam_idx = family_index(family)
    probs = slot_probs if slot_probs is not None else model.slot_probs(sex)
    p = np.array([probs[s] for s in _slot_of(calls)], dtype=float)
    with np.errstate(divide="ignore"):
        ll = np.log(p) if use_family else np.zeros(len(calls))
    for dim in model.dims if dims is None else [d for d in model.dims if d.name in dims]:
        mu = np.array([dim.mean.get(f, np.nan) for f in FAMILIES])[fam_idx]
        active = visible(dim, calls)
        sd = np.array([dim.sd_for(f) for f in FAMILIES])[fam_idx]
        mu = mu + group_shift(dim, sex, strain, family, male_freq_shift)
        if effects is None:
            scale = np.sqrt(sd**2 + dim.mouse_sd**2)
        else:
            mu = mu + effects[dim.name]
            scale = sd
        mu = np.where(active, mu, 0.0)
        obs = calls[dim.name].to_numpy(dtype=float)
        if dim.kind == "gaussian":
            term = stats.norm.logpdf(calls[f"latent_{dim.name}"].to_numpy(dtype=float), mu, scale)
        elif dim.kind == "probit":
            z = mu / scale
            term = np.where(obs > 0, _norm_logcdf(z), _norm_logcdf(-z))
        elif dim.kind == "censored":
            term = np.where(
                obs <= 0,
                _norm_logcdf((0.0 - mu) / scale),
                np.where(obs >= 1, _norm_logcdf((mu - 1.0) / scale), stats.norm.logpdf(obs, mu, scale)),
            )
        elif dim.kind == "ordinal":
            cuts = np.concatenate([[-np.inf], np.asarray(dim.cuts, float), [np.inf]])
            level = np.clip(obs - dim.first_level, 0, len(dim.cuts)).astype(int)
            term = _log_interval((cuts[level] - mu) / scale, (cuts[level + 1] - mu) / scale)
        else:  # pragma: no cover - guarded by the model definition
            raise ValueError(dim.kind)
        ll = ll + np.where(active, term, 0.0)
    return ll


@dataclass(frozen=True)
class OracleResult:
    """Balanced accuracy of the Bayes classifier on a set of calls."""

    balanced_accuracy: float
    se: float
    per_class_accuracy: dict
    per_animal_accuracy: pd.Series
    n_calls: int

    @property
    def animal_sd(self) -> float:
        return float(self.per_animal_accuracy.std(ddof=1)) if len(self.per_animal_accuracy) > 1 else 0.0


def _score(calls: pd.DataFrame, label_col: str, labels: tuple[str, str], llr: np.ndarray) -> OracleResult:
    """Balanced accuracy of ``llr > 0`` with a standard error that treats animals as clusters.

    Calls of one animal are not independent, so the error of each class's accuracy is the
    ratio-estimator variance over that class's animals; the two are averaged.
    """
    truth = (calls[label_col] == labels[0]).to_numpy()
    pred = np.where(np.isnan(llr), False, llr > 0)
    correct = pd.Series(pred == truth)
    animal = calls.animal.to_numpy()
    per_class, var = {}, 0.0
    for label, mask in zip(labels, (truth, ~truth), strict=False):
        if not mask.any():  # no calls of this class: balanced accuracy is undefined
            per_class[label] = float("nan")
            continue
        k = correct[mask].groupby(animal[mask]).sum().to_numpy(float)
        n = correct[mask].groupby(animal[mask]).size().to_numpy(float)
        acc = k.sum() / n.sum()
        per_class[label] = float(acc)
        a = len(n)
        if a > 1:
            var += np.sum((k - acc * n) ** 2) / (a * (a - 1) * n.mean() ** 2)
    per_animal = correct.groupby(animal).mean()
    return OracleResult(
        balanced_accuracy=float(np.mean(list(per_class.values()))),
        se=float(np.sqrt(var) / 2),
        per_class_accuracy=per_class,
        per_animal_accuracy=per_animal,
        n_calls=len(calls),
    )


def _groups(experiment: str) -> tuple[str, tuple[dict, dict]]:
    """Label column and the two groups' (sex, strain) of an experiment (positive first)."""
    if experiment == "sex":
        return "sex", ({"sex": "male", "strain": ""}, {"sex": "female", "strain": ""})
    if experiment == "strain":
        return "strain", ({"sex": "male", "strain": "cortexless"}, {"sex": "male", "strain": "control"})
    raise ValueError(f"unknown experiment {experiment!r}")


def across_animals_llr(model: SynthModel, calls: pd.DataFrame, *, experiment: str, male_freq_shift: float, **subset):
    """Log-likelihood ratio (positive group vs other) with mouse effects integrated out.

    ``subset`` (``dims``, ``use_family``) restricts what the classifier sees.
    """
    _, (pos, neg) = _groups(experiment)
    lp = call_log_likelihood(model, calls, male_freq_shift=male_freq_shift, **pos, **subset)
    ln = call_log_likelihood(model, calls, male_freq_shift=male_freq_shift, **neg, **subset)
    with np.errstate(invalid="ignore"):
        return lp - ln


def with_animals_llr(
    model: SynthModel, calls: pd.DataFrame, animals: pd.DataFrame, *, experiment: str, male_freq_shift: float
):
    """Log-likelihood ratio when the call comes from one of ``animals`` (unknown which)."""
    _, groups = _groups(experiment)
    animals = animals[animals.experiment == experiment]
    counts = calls.animal.value_counts()
    group_ll = []
    for g in groups:
        members = animals[(animals.sex == g["sex"]) & (animals.strain == g["strain"])]
        weights = counts.reindex(members.animal).fillna(0).to_numpy(float)
        weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(members), 1 / len(members))
        lls = []
        for (_, a), w in zip(members.iterrows(), weights, strict=False):
            effects = {d.name: a[f"effect_{d.name}"] for d in model.dims}
            slots = {s: a[f"p_{s}"] for s in SLOTS}
            ll = call_log_likelihood(
                model, calls, male_freq_shift=male_freq_shift, effects=effects, slot_probs=slots, **g
            )
            with np.errstate(divide="ignore"):
                lls.append(ll + np.log(w))
        group_ll.append(special.logsumexp(np.vstack(lls), axis=0))
    with np.errstate(invalid="ignore"):
        return group_ll[0] - group_ll[1]


def oracle_accuracy(
    model: SynthModel,
    calls: pd.DataFrame,
    animals: pd.DataFrame,
    *,
    experiment: str = "sex",
    known_animals: bool = False,
    male_freq_shift: float,
    **subset,
) -> OracleResult:
    """Balanced accuracy of the Bayes classifier on ``calls`` of one experiment.

    ``subset`` (``dims``, ``use_family``; across animals only) restricts what it sees.
    """
    calls = calls[calls.experiment == experiment].reset_index(drop=True)
    label_col, (pos, neg) = _groups(experiment)
    labels = (pos[label_col], neg[label_col])
    if known_animals:
        llr = with_animals_llr(model, calls, animals, experiment=experiment, male_freq_shift=male_freq_shift)
    else:
        llr = across_animals_llr(model, calls, experiment=experiment, male_freq_shift=male_freq_shift, **subset)
    return _score(calls, label_col, labels, llr)


def fresh_animals(model: SynthModel, *, experiment: str, n_animals: int, seed: int) -> pd.DataFrame:
    """``n_animals`` new mice per group of ``experiment`` (uncentred random effects)."""
    from usvlib.synth.population import draw_individuality

    _, groups = _groups(experiment)
    frames = []
    for g in groups:
        rng = rng_for(seed, "oracle", experiment, g["sex"], g["strain"])
        frame = pd.DataFrame(
            {
                "animal": [f"mc_{g['sex']}_{g['strain']}_{i}" for i in range(n_animals)],
                "experiment": experiment,
                "sex": g["sex"],
                "strain": g["strain"],
                **draw_individuality(model, g["sex"], n_animals, rng),
            }
        )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def fresh_population_calls(
    model: SynthModel,
    *,
    experiment: str,
    n_animals: int,
    calls_per_animal: int,
    seed: int,
    male_freq_shift: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latent parameters of calls of ``n_animals`` new mice per group (no timing, no audio)."""
    animals = fresh_animals(model, experiment=experiment, n_animals=n_animals, seed=seed)
    rng = rng_for(seed, "oracle", experiment, "calls")
    counts = np.full(len(animals), calls_per_animal)
    return animals, calls_of_animals(model, animals, counts, rng, male_freq_shift=male_freq_shift)


def calls_of_animals(
    model: SynthModel, animals: pd.DataFrame, counts, rng: np.random.Generator, *, male_freq_shift: float
) -> pd.DataFrame:
    """Latent parameters of ``counts[i]`` calls of each of ``animals`` (no timing, no audio)."""
    from usvlib.synth.population import animal_arrays, draw_latent

    animal_of_call = np.repeat(animals.animal.to_numpy(), np.asarray(counts, dtype=int))
    per_call = animal_arrays(model, animals, animal_of_call)
    calls = draw_latent(model, **per_call, rng=rng, male_freq_shift=male_freq_shift)
    calls.insert(0, "animal", animal_of_call)
    calls.insert(1, "experiment", animals.experiment.iloc[0])
    calls.insert(2, "sex", per_call["sex"])
    calls.insert(3, "strain", per_call["strain"])
    return calls


def population_oracle(
    model: SynthModel,
    *,
    experiment: str = "sex",
    male_freq_shift: float,
    n_animals: int = 2000,
    calls_per_animal: int = 20,
    seed: int = 12345,
    **subset,
) -> OracleResult:
    """Across-animal oracle on a Monte-Carlo sample of new animals (the population value)."""
    animals, calls = fresh_population_calls(
        model,
        experiment=experiment,
        n_animals=n_animals,
        calls_per_animal=calls_per_animal,
        seed=seed,
        male_freq_shift=male_freq_shift,
    )
    return oracle_accuracy(model, calls, animals, experiment=experiment, male_freq_shift=male_freq_shift, **subset)


def auc(a: np.ndarray, b: np.ndarray) -> float:
    """P(a > b) + P(a = b)/2: the Mann-Whitney statistic normalised to [0, 1]."""
    ranks = stats.rankdata(np.concatenate([a, b]))
    return float((ranks[: len(a)].sum() - len(a) * (len(a) + 1) / 2) / (len(a) * len(b)))


_SHIFT_CACHE: dict[str, float] = {}


def balanced_male_shift(
    model: SynthModel,
    animals: pd.DataFrame | None = None,
    *,
    n_calls: int = 60_000,
    seed: int = 777,
) -> float:
    """Male centre-frequency offset (kHz, all families but two-part) that equalises mean frequency.

    The male-only two-part call is low, so the males' other calls sit slightly higher, and the
    sexes do not differ in mean frequency, as the paper found. Solved by bisection so that the
    AUC of the males' against the females' analytic mean call frequency is 0.5 on ``n_calls``
    Monte-Carlo calls: of the given ``animals`` (the mice of a dataset, with their own family
    proportions and effects, weighted by calling rate), or of a population of new mice.
    """
    from usvlib.synth.render import analytic_mean_freq_hz

    if not model.balance_mean_frequency:
        return 0.0
    key = model_fingerprint(model) if animals is None else None
    if key in _SHIFT_CACHE:
        return _SHIFT_CACHE[key]
    rng = rng_for(seed, "oracle", "balance")
    if animals is None:
        # many animals with few calls each: the animals' spread dominates the Monte-Carlo error
        animals = fresh_animals(model, experiment="sex", n_animals=n_calls // 4 // 2, seed=seed)
        weights = np.ones(len(animals))
    else:
        weights = animals.rate_per_s.to_numpy(float) if "rate_per_s" in animals else np.ones(len(animals))
    counts = np.maximum(1, np.round(n_calls * weights / weights.sum()))
    calls = _with_nuisance(model, calls_of_animals(model, animals, counts, rng, male_freq_shift=0.0))
    male = (calls.sex == "male").to_numpy()
    base = analytic_mean_freq_hz(calls)
    female_f = base[~male]
    shiftable = (calls.family[male] != "two_part").to_numpy()
    male_f = base[male]
    lo, hi = -15.0, 15.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if auc(male_f + 1e3 * mid * shiftable, female_f) > 0.5:
            hi = mid
        else:
            lo = mid
    shift = round(0.5 * (lo + hi), 4)
    if key is not None:
        _SHIFT_CACHE[key] = shift
    return shift


def _with_nuisance(model: SynthModel, calls: pd.DataFrame) -> pd.DataFrame:
    """Monte-Carlo calls completed with nuisance and physical parameters, as ``sample_calls``."""
    from usvlib.synth.population import nuisance_columns, realize

    nuisance = nuisance_columns(model, len(calls), rng_for(0, "oracle", "nuisance"))
    return realize(calls.assign(**nuisance), model)
