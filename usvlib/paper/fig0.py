"""Fig 0 (not in the paper): the dataset at a glance, and on synthetic data the ceiling.

``record(ctx)`` files the Bayes-optimal accuracies the generator computed
(``ground_truth/oracle.json``) under ``fig0.oracle.*`` and returns them as a table.
"""

from __future__ import annotations

import pandas as pd

from usvlib.synth.diagnostics import oracle_table

ORACLE_KEYS = {
    "sex.across_animals": "fig0.oracle.across_animals",
    "sex.with_animal": "fig0.oracle.with_animal",
    "strain.across_animals": "fig0.oracle.strain_across_animals",
}


def record(ctx) -> pd.DataFrame:
    """Record the dataset's oracle accuracies as results (keys ``fig0.oracle.*``).

    The value is the balanced accuracy over the dataset's calls, the ``sd`` the spread of the
    per-animal accuracy (comparable to the paper's mean +- SD over left-out mice), ``n`` the
    number of calls; the standard error and the population value go into ``extra``.
    """
    oracle_json = ctx.dataset.oracle or {}
    for src, key in ORACLE_KEYS.items():
        rec = oracle_json.get(src)
        if rec is None:
            continue
        pop = oracle_json.get(src.split(".")[0] + ".across_animals_population", {})
        ctx.record(
            key,
            rec["balanced_accuracy"],
            sd=rec.get("animal_sd"),
            n=rec["n_calls"],
            extra={
                "se": rec["se"],
                "n_animals": rec.get("n_animals"),
                "population_value": pop.get("balanced_accuracy"),
                "population_se": pop.get("se"),
            },
        )
    return oracle_table(oracle_json)
