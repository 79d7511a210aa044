"""The paper's analyses on anyone's labelled recordings: what ``usvlib study`` computes.

A user's manifest (``path, animal`` and a grouping column: sex, strain, genotype, treatment;
two or more groups) becomes a :class:`~usvlib.paper.study.Study` whose classes are its groups,
and the paper's questions are asked of it:

* Fig 2: does each property differ between the groups? (Kruskal-Wallis over USVs, as the
  paper's rank-sum test for two groups, and over the animals' medians; Holm over properties)
* Fig 3: is the group readable from single USVs of animals the classifier never heard? The
  DNN, ridge and the SVM on the spectrograms, leave one animal out, each with its
  shuffled-label control; balanced accuracy over animals with a 95 % interval and a
  permutation test against chance (``crossval.inference.multiclass_statistics``), and the
  DNN's confusion matrix.
* Fig 4F-I: the group from the nine properties alone (the properties network and ridge).
* Fig 5: individual signatures: which animal a USV comes from (random folds).
* Fig 7: the USV space: a t-SNE of the spectrograms, and how often a USV's nearest neighbours
  share its group, against what the groups' sizes give by chance, and counting only
  neighbours from other animals (an animal's own calls sit together whatever its group).

Unbalanced groups are fine: every accuracy is balanced over the groups, each animal weighing
the same within its group; the report says how many animals and USVs each group has.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from usvlib.crossval import CVResult, average_repeats, shuffled_labels
from usvlib.crossval.inference import multiclass_statistics
from usvlib.dataset import Dataset
from usvlib.embed import cached_embedding
from usvlib.errors import DatasetError
from usvlib.paper.fig7 import PCA_COMPONENTS, PERPLEXITY
from usvlib.paper.runners import linear_cv, network_cv
from usvlib.paper.runs import animal_identity, identity_summary
from usvlib.paper.study import Study
from usvlib.paths import cache_dir
from usvlib.properties import PAPER_PROPERTIES
from usvlib.stats import differences_between_groups

MIN_ANIMALS_PER_GROUP = 2
"""Leave-one-animal-out trains on the other animals of a group: a group needs two."""

NEIGHBOURS = 10
"""Nearest neighbours in the USV space whose groups are counted."""


def check_groups(dataset: Dataset, *, where: str = "the manifest") -> pd.DataFrame:
    """Check a user's recordings before any work; one row per group.

    Parameters
    ----------
    dataset : Dataset
        ``load_user_recordings(..., group_column=...)`` (its headers read).
    where : str
        Names the manifest in messages.

    Returns
    -------
    DataFrame
        ``group``, ``n_animals``, ``n_recordings``, ``minutes`` (of audio), sorted by group.

    Raises
    ------
    DatasetError
        For fewer than two groups or a group with fewer than :data:`MIN_ANIMALS_PER_GROUP`
        animals, saying what to do. (Recordings sampled below 200 kHz are refused when the
        manifest's headers are read.)
    """
    rec = dataset.recordings  # a rate below 200 kHz is refused when the headers are read
    groups = (
        rec.groupby("group")
        .agg(
            n_animals=("animal", "nunique"),
            n_recordings=("path", "size"),
            minutes=("duration_s", lambda s: float(s.sum()) / 60) if "duration_s" in rec else ("path", "size"),
        )
        .reset_index()
        .sort_values("group")
        .reset_index(drop=True)
    )
    if len(groups) < 2:
        raise DatasetError(
            f"{where}: every recording is in group {groups.group.iloc[0]!r} - a study compares two or more "
            "groups: add recordings of another group, or group by another column (--group)"
        )
    few = groups[groups.n_animals < MIN_ANIMALS_PER_GROUP]
    if len(few):
        names = "; ".join(
            f"{g.group!r}: {', '.join(sorted(rec.animal[rec.group == g.group].unique()))}" for g in few.itertuples()
        )
        raise DatasetError(
            f"{where}: group(s) with fewer than {MIN_ANIMALS_PER_GROUP} animals ({names}) - leaving one animal "
            "out needs another of its group to learn from: add recordings of another animal of that group, "
            "or leave the group out"
        )
    return groups


@dataclass
class GroupStudyResult:
    """What ``usvlib study`` reports (see the module docstring)."""

    classes: tuple
    groups: pd.DataFrame  # per group: animals, recordings, minutes, USVs
    differences: pd.DataFrame  # Fig 2: stats.differences_between_groups
    classifiers: pd.DataFrame  # Figs 3 and 4F-I: one row per classifier and labels
    confusion: pd.DataFrame  # the DNN: true group x predicted group, share of the row's USVs
    per_animal: pd.DataFrame  # the DNN: each animal's share of USVs assigned to each group
    identity: dict  # Fig 5: share of USVs named right, chance, interval, p
    space: pd.DataFrame  # Fig 7: x, y, z, group, animal of every USV
    space_neighbours: pd.DataFrame  # per group: share of neighbours in the group, chance
    runs: dict = field(default_factory=dict, repr=False)  # name -> CVResult


def _statistics(result: CVResult, study: Study) -> dict:
    p = result.predictions
    animals = result.animals if result.animals is not None else study.animals[p["index"].to_numpy()]
    return multiclass_statistics(
        p.y_true.to_numpy(), p.y_pred.to_numpy(), animals, len(study.classes), seed=study.profile.seed
    )


def _row(name: str, inputs: str, labels: str, result: CVResult, study: Study) -> dict:
    s = _statistics(result, study)
    return {
        "classifier": name,
        "inputs": inputs,
        "labels": labels,
        "balanced_accuracy": s["accuracy_by_animal"],
        "ci_low": s["ci_low"],
        "ci_high": s["ci_high"],
        "p_value": s["p_value"],
        "chance": 1.0 / len(study.classes),
        "n_animals": s["n_animals"],
        "n_usvs": int(len(result.predictions) // max(1, len(result.infos.get("repeats", [None])))),
    }


def _classifiers(study: Study, progress: bool) -> tuple[list[dict], dict]:
    t = study.profile.training
    y, k, folds, seed = study.labels, len(study.classes), study.animal_folds(), study.profile.seed
    runs: dict = {}
    common = {"folds": folds, "n_classes": k, "progress": progress}
    runs["dnn"] = network_cv(study, "study-dnn", inputs=t.dnn_input, targets=y, **common)
    runs["dnn_shuffled"] = average_repeats(
        [
            network_cv(
                study,
                f"study-dnn-shuffled-{r}",
                inputs=t.dnn_input,
                targets=shuffled_labels(y, seed=seed + r),
                eval_labels=y,
                **common,
            )
            for r in range(t.control_repeats)
        ]
    )
    for model in ("ridge", "svm"):
        runs[model] = linear_cv(study, f"study-{model}", model, inputs="images", targets=y, **common)
        runs[f"{model}_shuffled"] = average_repeats(
            [
                linear_cv(
                    study,
                    f"study-{model}-shuffled-{r}",
                    model,
                    inputs="images",
                    targets=shuffled_labels(y, seed=seed + r),
                    eval_labels=y,
                    **common,
                )
                for r in range(t.linear_control_repeats)
            ]
        )
    runs["properties_network"] = network_cv(study, "study-properties-net", inputs="properties", targets=y, **common)
    runs["properties_ridge"] = linear_cv(
        study, "study-properties-ridge", "ridge", inputs="properties", targets=y, **common
    )
    rows = [
        _row("DNN", "spectrogram", "real", runs["dnn"], study),
        _row("DNN", "spectrogram", "shuffled", runs["dnn_shuffled"], study),
        _row("ridge", "spectrogram", "real", runs["ridge"], study),
        _row("ridge", "spectrogram", "shuffled", runs["ridge_shuffled"], study),
        _row("SVM", "spectrogram", "real", runs["svm"], study),
        _row("SVM", "spectrogram", "shuffled", runs["svm_shuffled"], study),
        _row("properties network", "9 properties", "real", runs["properties_network"], study),
        _row("ridge", "9 properties", "real", runs["properties_ridge"], study),
    ]
    return rows, runs


def _usv_space(study: Study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The t-SNE of Fig 7 and, per group, the share of each USV's neighbours in its group."""
    from sklearn.neighbors import NearestNeighbors

    n = len(study.labels)
    points = cached_embedding(
        study.images.reshape(n, -1),
        cache_dir=cache_dir() / "embeddings",
        method="tsne",
        pca_components=PCA_COMPONENTS,
        perplexity=PERPLEXITY,
        seed=study.profile.seed,
    )
    space = pd.DataFrame({axis: points[:, i] for i, axis in enumerate("xyz")})
    space["group"], space["animal"] = study.groups, study.animals
    k = min(NEIGHBOURS, n - 1)
    # more neighbours than needed, so that k from other animals remain for most USVs
    nn = NearestNeighbors(n_neighbors=min(n, 8 * k + 1)).fit(points)
    _, idx = nn.kneighbors(points)
    idx = idx[:, 1:]
    groups, animals = study.groups, study.animals
    same_group = groups[idx] == groups[:, None]
    other_animal = animals[idx] != animals[:, None]
    any_share = same_group[:, :k].mean(axis=1)
    # the first k neighbours from other animals (fewer where the list runs out)
    rank = np.cumsum(other_animal, axis=1)
    use = other_animal & (rank <= k)
    other_share = np.where(use.sum(axis=1) > 0, (same_group & use).sum(axis=1) / np.maximum(use.sum(axis=1), 1), np.nan)
    rows = []
    for g in study.classes:
        mine = groups == g
        # chance: the group's share of the other animals' USVs, for each animal of the group,
        # weighted by the animal's USVs
        names, counts = np.unique(animals[mine], return_counts=True)
        shares = [np.mean(groups[animals != a] == g) for a in names]  # a loop over animals
        chance_other = float(np.average(shares, weights=counts)) if len(names) else np.nan
        rows.append(
            {
                "group": g,
                "n_usvs": int(mine.sum()),
                "share_in_group": float(any_share[mine].mean()),
                "chance": float(mine.mean()),
                "share_in_group_other_animals": float(np.nanmean(other_share[mine])),
                "chance_other_animals": float(chance_other),
            }
        )
    return space, pd.DataFrame(rows)


def compute(study: Study, *, progress: bool = True) -> GroupStudyResult:
    """Every analysis of the study (see the module docstring), each classifier's folds cached.

    Parameters
    ----------
    study : Study
        ``load_study(dataset, profile, experiment=...)`` of a user's manifest.
    progress : bool

    Returns
    -------
    GroupStudyResult
    """
    classes = tuple(study.classes)
    table = study.table.assign(group=study.groups.astype(str))
    counts = table.groupby("group").agg(n_usvs=("usv", "size"), n_animals=("animal", "nunique"))
    differences = differences_between_groups(table, properties=PAPER_PROPERTIES, column="column")
    rows, runs = _classifiers(study, progress)
    dnn = runs["dnn"].predictions
    true = pd.Categorical.from_codes(dnn.y_true, classes)
    predicted = pd.Categorical.from_codes(dnn.y_pred, classes)
    confusion = (
        pd.crosstab(true, predicted, normalize="index", dropna=False)
        .rename_axis("true")
        .rename_axis("predicted", axis=1)
    )
    per_animal = pd.crosstab(
        [study.animals[dnn["index"]], pd.Series(study.groups[dnn["index"]], name="group")], predicted, normalize="index"
    ).rename_axis(["animal", "group"])
    per_animal.columns = [f"share_{c}" for c in per_animal.columns]
    identity, animals = animal_identity(study, "study-identity", progress=progress)
    space, neighbours = _usv_space(study)
    return GroupStudyResult(
        classes=classes,
        groups=counts.reset_index(),
        differences=differences,
        classifiers=pd.DataFrame(rows),
        confusion=confusion,
        per_animal=per_animal.reset_index(),
        identity={**identity_summary(identity, animals, seed=study.profile.seed), "n_animals": len(animals)},
        space=space,
        space_neighbours=neighbours,
        runs={**runs, "identity": identity},
    )


def numbers(result: GroupStudyResult) -> dict:
    """The study's numbers, key -> value with its interval, test and counts (``numbers.json``)."""
    out = {}
    for row in result.classifiers.itertuples():
        key = f"{row.classifier.replace(' ', '_').lower()}.{row.inputs.split()[-1]}.{row.labels}"
        out[key] = {
            "balanced_accuracy": row.balanced_accuracy,
            "ci_low": row.ci_low,
            "ci_high": row.ci_high,
            "p_value": row.p_value,
            "chance": row.chance,
            "n_animals": row.n_animals,
            "n_usvs": row.n_usvs,
        }
    s = result.identity
    out["identity"] = {k: s[k] for k in ("accuracy", "ci_low", "ci_high", "p_value", "chance", "n_animals")}
    for row in result.differences.itertuples():
        out[f"differences.{row.property}"] = {
            "p_usvs_holm": row.p_usvs_holm,
            "p_animals_holm": row.p_animals_holm,
            "epsilon_squared": row.epsilon_squared,
        }
    for row in result.space_neighbours.itertuples():
        out[f"space.{row.group}"] = {
            "share_in_group_other_animals": row.share_in_group_other_animals,
            "chance_other_animals": row.chance_other_animals,
        }
    return {k: {name: _plain(v) for name, v in entry.items()} for k, entry in out.items()}


def _plain(value):
    """A JSON value: floats rounded to 6 significant digits, NaN as null."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return None if not np.isfinite(value) else float(f"{value:.6g}")


def write_outputs(result: GroupStudyResult, out_dir, *, about: dict) -> list:
    """Write ``numbers.json`` (with ``about``: manifest, group column, profile, classes) and the
    tables as CSV under ``out_dir/tables``, each atomically; returns the paths."""
    import json
    from pathlib import Path

    from usvlib._io import atomic_path

    out_dir = Path(out_dir)
    written = []
    tables = out_dir / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for name, frame in (
        ("groups", result.groups),
        ("property_differences", result.differences),
        ("classifiers", result.classifiers),
        ("confusion_dnn", result.confusion.reset_index()),
        ("per_animal_dnn", result.per_animal),
        ("usv_space_neighbours", result.space_neighbours),
    ):
        with atomic_path(tables / f"{name}.csv") as tmp:
            frame.to_csv(tmp, index=False, float_format="%.6g")
        written.append(tables / f"{name}.csv")
    payload = {"about": {**about, "classes": list(result.classes)}, "numbers": numbers(result)}
    with atomic_path(out_dir / "numbers.json") as tmp:
        Path(tmp).write_text(json.dumps(payload, indent=1) + "\n")
    written.append(out_dir / "numbers.json")
    return written
