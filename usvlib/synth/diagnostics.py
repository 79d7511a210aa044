"""What the generator knows, set against what a classifier learnt (synthetic data only).

* ``shown_parameters``: each call's latent parameters as its sound shows them (the Bayes
  oracle's inputs; NaN where a dimension is not in the sound).
* ``learnable_ceiling``: the oracle's own model class (a naive Bayes per call family) with its
  parameters to be estimated from the training mice: what a classifier reaches that reads every
  parameter exactly and knows the model's structure.
* ``accuracy_by_family``: the oracle and any classifier side by side per call family.
* ``oracle_table``: the oracle accuracies the generator wrote (``ground_truth/oracle.json``).

Real data have no ground truth: every function returns None for them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from usvlib.metrics import balanced_accuracy
from usvlib.models.bayes import StratifiedNaiveBayes
from usvlib.synth import oracle
from usvlib.synth.model import FAMILIES, LATENT_DIMS, SynthModel
from usvlib.synth.population import visible


def latent_table(dataset, table: pd.DataFrame) -> pd.DataFrame | None:
    """:func:`shown_parameters` of each USV of ``table`` (a call table with ``truth_call_id``).

    Parameters
    ----------
    dataset : usvlib.dataset.Dataset
    table : DataFrame

    Returns
    -------
    DataFrame or None
        None for real data, which have no ground truth.
    """
    if "truth_call_id" not in table:
        return None
    calls = truth_rows(dataset, table.truth_call_id.to_numpy())
    return None if calls is None else shown_parameters(calls)


def shown_parameters(calls: pd.DataFrame) -> pd.DataFrame:
    """The generator's parameters of each call as its sound shows them, with its call family
    one-hot coded.

    ``calls``: ground-truth rows (``ground_truth/calls.csv``, or the oracle's simulated calls).
    One column per dimension of the model (``usvlib.synth.model.LATENT_DIMS``): a Gaussian
    dimension's value, a probit, ordinal or censored dimension's observed level (tremolo 0/1,
    breaks 0-3, ...), NaN where the dimension is not in the sound (inactive for the family, or
    its requirement absent: the rate of a tremolo the call does not have). The Bayes oracle uses
    exactly these; the hidden draws behind them (the rate a call without tremolo would have had)
    are left out, since no classifier of the sound could learn from them.
    """
    shown = {
        dim.name: np.where(
            visible(dim, calls),
            calls[f"latent_{dim.name}" if dim.kind == "gaussian" else dim.name].to_numpy(float),
            np.nan,
        )
        for dim in LATENT_DIMS
    }
    family = pd.get_dummies(calls.family, prefix="family").astype(float)
    return pd.concat([pd.DataFrame(shown, index=calls.index), family], axis=1)


def truth_rows(dataset, call_ids) -> pd.DataFrame | None:
    """The ground-truth rows (``ground_truth/calls.csv``, as the loader read it) of ``call_ids``,
    in their order; None for data without ground truth."""
    if dataset.ground_truth is None:
        return None
    return dataset.ground_truth.set_index("call_id").reindex(np.asarray(call_ids)).reset_index()


def learnable_ceiling(parameters: pd.DataFrame) -> tuple[StratifiedNaiveBayes, np.ndarray, np.ndarray]:
    """The learnable ceiling's estimator (unfitted), inputs and strata for a
    :func:`shown_parameters` table: one naive Bayes per call family over the model's
    dimensions, Gaussian ones as Gaussians, the labels' levels as categories. The strata are
    indices into ``FAMILIES``, so tables with different families present agree on them."""
    kinds = ["gaussian" if d.kind == "gaussian" else "categorical" for d in LATENT_DIMS]
    family_cols = [c for c in parameters.columns if c.startswith("family_")]
    codes = pd.Index(FAMILIES).get_indexer([c[len("family_") :] for c in family_cols])
    x = parameters[[d.name for d in LATENT_DIMS]].to_numpy(float)
    return StratifiedNaiveBayes(kinds), x, codes[parameters[family_cols].to_numpy().argmax(axis=1)]


def oracle_decisions(dataset, call_ids, *, experiment: str) -> pd.DataFrame | None:
    """The across-animal Bayes oracle's decision on each call, with the call's family.

    Returns
    -------
    DataFrame or None
        ``family``, ``oracle`` (0/1); None for real data or a dataset of another generative model.
    """
    config = dataset.config or {}
    model = SynthModel()
    if config.get("model_fingerprint") != oracle.model_fingerprint(model):
        return None
    calls = truth_rows(dataset, call_ids)
    if calls is None:
        return None
    llr = oracle.across_animals_llr(
        model, calls, experiment=experiment, male_freq_shift=float(config["male_freq_shift_khz"])
    )
    return pd.DataFrame({"family": calls.family, "oracle": np.where(np.isnan(llr), 0, llr > 0).astype(int)})


def accuracy_by_family(
    dataset, call_ids, labels, results: dict, *, positive: str, experiment: str = "sex"
) -> pd.DataFrame | None:
    """Where classifiers lose against the oracle: balanced accuracy per call family.

    Parameters
    ----------
    dataset : usvlib.dataset.Dataset
    call_ids : array-like of int
        The true call of each USV (``truth_call_id`` of the call table).
    labels : ndarray of int
        The class of each USV (1 = ``positive``).
    results : dict
        Name -> cross-validated ``CVResult`` over the same USVs (None: left out).
    positive : str
        Name of class 1, for the column ``share_<positive>``.
    experiment : str

    Returns
    -------
    DataFrame or None
        One row per family of the generator, and "all": the number of USVs, the share of the
        positive class, and the balanced accuracy of the Bayes oracle and of each classifier on
        the same USVs, over the classes present (the male-only two-part call: male accuracy).
        None for real data or a dataset made by another generative model.
    """
    decided = oracle_decisions(dataset, np.asarray(call_ids), experiment=experiment)
    if decided is None:
        return None
    labels = np.asarray(labels)
    columns = {"Bayes oracle": decided.oracle.to_numpy()}
    for name, result in results.items():
        if result is None:  # a reference that this dataset does not have
            continue
        column = np.full(len(labels), -1)
        column[result.predictions["index"].to_numpy()] = result.predictions["y_pred"].to_numpy()
        columns[name] = column
    family = decided.family.to_numpy()
    rows = []
    for fam in ["all", *[f for f in FAMILIES if (family == f).any()]]:
        mask = np.ones(len(labels), bool) if fam == "all" else family == fam
        row = {"family": fam, "n_usvs": int(mask.sum()), f"share_{positive}": float(labels[mask].mean())}
        for name, column in columns.items():
            ok = mask & (column >= 0)
            row[name] = balanced_accuracy(labels[ok], column[ok]) if ok.any() else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def recorded_oracle(dataset, setting: str = "sex.across_animals") -> float | None:
    """The oracle's balanced accuracy the generator recorded for ``setting`` (``ground_truth/
    oracle.json``: ``sex.across_animals``, ``sex.with_animal``, ``strain.across_animals``).

    Returns
    -------
    float or None
        None for real data, which have no oracle.
    """
    return ((dataset.oracle or {}).get(setting) or {}).get("balanced_accuracy")


def oracle_table(oracle_json: dict) -> pd.DataFrame:
    """The accuracies of ``ground_truth/oracle.json`` as a table (one row per setting)."""
    rows = []
    for key, rec in oracle_json.items():
        if not isinstance(rec, dict):
            continue
        experiment, setting = key.split(".", 1)
        rows.append(
            {
                "experiment": experiment,
                "setting": setting,
                "balanced_accuracy": rec["balanced_accuracy"],
                "se": rec["se"],
                "sd_over_animals": rec.get("animal_sd"),
                "n_animals": rec.get("n_animals"),
                "n_calls": rec["n_calls"],
                "evaluated_on": rec["evaluated_on"],
            }
        )
    return pd.DataFrame(rows)
