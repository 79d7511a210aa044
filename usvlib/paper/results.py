"""Every number of the reproduction, under a stable key, next to the paper's.

A run records each number with ``ResultsStore.record``: its value, uncertainty, n, unit, the
dataset it was computed on (``synthetic`` or ``real``) and the profile. The store keeps
``numbers.json`` (key -> record) and ``NUMBERS.md`` (the same as a table, with the paper's
value beside each). A number computed on synthetic data is never a reproduction of the paper's
real-data number: the table says which dataset each value comes from.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from usvlib._io import write_json_atomic, write_text_atomic
from usvlib.errors import ConfigError
from usvlib.properties import PAPER_PROPERTIES


@dataclass(frozen=True)
class PaperNumber:
    """What the paper reports for a key (``value`` None where it gives no number)."""

    description: str
    value: float | None = None
    sd: float | None = None
    unit: str = "fraction"
    statement: str = ""


ANALYSED_LAYERS = (*(f"conv{i}" for i in range(1, 7)), *(f"fc{i}" for i in range(1, 4)))
"""The ReLU layers of the paper's network (6 conv + 3 FC), as ``usvlib.internals`` names them."""

PROPERTY_DNN_RANGE = (0.570, 0.820)
"""The paper's accuracy range over its six spectrogram -> property networks ("57.0-82.0 %")."""

PAPER_NUMBERS: dict[str, PaperNumber] = {
    "fig0.oracle.across_animals": PaperNumber(
        "Bayes-optimal accuracy, new animal (synthetic data only)",
        statement="synthetic-only ceiling",
    ),
    "fig0.oracle.with_animal": PaperNumber(
        "Bayes-optimal accuracy, the dataset's animals known (synthetic data only)",
        statement="synthetic-only ceiling",
    ),
    "fig0.oracle.strain_across_animals": PaperNumber(
        "Bayes-optimal accuracy cortexless vs control, new animal (synthetic data only)",
        statement="synthetic-only ceiling",
    ),
    "fig1.detection.f1_synthetic": PaperNumber("detection F1 against the synthetic truth", unit="f1"),
    "fig1.detection.f1_real": PaperNumber("detection F1 on the real amvoc clips (manual labels)", unit="f1"),
    "fig1.detection.f1_tools_real": PaperNumber(
        "detection F1 of DeepSqueak, MUPET, VocalMat, MSA on the same real clips (best, pooled)", unit="f1"
    ),
    **{
        f"fig2.{p.name}.p_holm": PaperNumber(
            f"{p.label}: Wilcoxon rank-sum male vs female (Holm-adjusted p)",
            unit="p_value",
            statement="significant" if p.paper_differs else "n.s.",
        )
        for p in PAPER_PROPERTIES
    },
    "fig3.dnn.across_animals": PaperNumber("DNN spectrogram -> sex, leave-one-mouse-out", 0.767, 0.066),
    "fig3.reference.measured_boosting": PaperNumber(
        "gradient boosting on usvlib's 24 measured properties -> sex, leave-one-mouse-out (reference)",
        statement="not in the paper",
    ),
    "fig3.reference.latent_boosting": PaperNumber(
        "gradient boosting on the generator's parameters as the sound shows them -> sex, leave-one-mouse-out "
        "(synthetic data only)",
        statement="synthetic-only reference",
    ),
    "fig3.reference.learnable_ceiling": PaperNumber(
        "naive Bayes per call family on the same parameters, fitted on the training mice -> sex, leave-one-mouse-out "
        "(the oracle's model class, learnt: synthetic data only)",
        statement="synthetic-only reference",
    ),
    "fig3.ridge.across_animals": PaperNumber("ridge, spectrogram -> sex", 0.507, 0.016),
    "fig3.svm.across_animals": PaperNumber("linear SVM, spectrogram -> sex", 0.562, 0.019),
    "fig3.dnn.shuffled": PaperNumber("DNN, shuffled labels", statement="chance"),
    "fig3.ridge.shuffled": PaperNumber("ridge, shuffled labels", statement="chance"),
    "fig3.svm.shuffled": PaperNumber("SVM, shuffled labels", statement="chance"),
    "fig3.dnn.across_animals_over_seeds": PaperNumber(
        "DNN across animals: mean ± SD over training seeds (how far a rerun may move it)"
    ),
    "fig3.dnn.animal_shuffled": PaperNumber(
        "DNN, whole animals' labels permuted (individual voices kept): what they alone give",
        statement="beyond the paper",
    ),
    "fig3.dnn.breaks_shuffled": PaperNumber("breaks control, shuffled breaks labels", statement="chance"),
    **{
        f"fig3.{model}.real_vs_shuffled_p": PaperNumber(
            f"{label}: p of 'real labels beat the shuffled control' (paired over animals, one-sided)", unit="p_value"
        )
        for model, label in (("dnn", "DNN"), ("ridge", "ridge"), ("svm", "SVM"))
    },
    "fig3.dnn.breaks_better_than_sex_p": PaperNumber(
        "p of 'breaks are classified better than sex' (paired over animals, one-sided)",
        unit="p_value",
        statement="significantly better",
    ),
    "fig3.dnn.breaks_control": PaperNumber(
        "DNN spectrogram -> breaks (binary), control", statement="significantly better than sex"
    ),
    "fig3.dnn.example_fold": PaperNumber(
        "representative fold (female #1)", 0.80, statement="~80 % after ~6k iterations"
    ),
    "fig4.property_dnn.direction": PaperNumber(
        "spectrogram -> direction DNN", statement="57-82 % (range over properties)"
    ),
    "fig4.property_dnn.peaks": PaperNumber("spectrogram -> peaks DNN", statement="57-82 % (range over properties)"),
    "fig4.property_dnn.breaks": PaperNumber("spectrogram -> breaks DNN", statement="57-82 % (range over properties)"),
    "fig4.property_dnn.broadband": PaperNumber(
        "spectrogram -> broadband DNN", statement="57-82 % (range over properties)"
    ),
    "fig4.property_dnn.tremolo": PaperNumber("spectrogram -> tremolo DNN", statement="57-82 % (range over properties)"),
    "fig4.property_dnn.complex": PaperNumber("spectrogram -> complex DNN", statement="57-82 % (range over properties)"),
    "fig4.properties.dnn": PaperNumber("properties -> sex, DNN", 0.596, 0.030),
    "fig4.properties.ridge": PaperNumber("properties -> sex, ridge", statement="similar to the DNN"),
    "fig4.properties.svm": PaperNumber("properties -> sex, SVM", statement="similar to the DNN"),
    "fig4.semiconv.dnn": PaperNumber("semi-convolutional DNN", 0.64),
    "fig5.dnn.random_split_over_seeds": PaperNumber("DNN, random split: mean ± SD over training seeds"),
    "fig5.dnn.random_split": PaperNumber("DNN with individual properties (random 10-fold)", 0.85),
    "fig5.identity.accuracy": PaperNumber("animal identity (17-way)", statement="not found"),
    "fig6.network.accuracy": PaperNumber(
        "the dissected paper-shaped network (Fig 6), its left-out animals", statement="not in the paper"
    ),
    **{
        f"fig6.sparsity.{layer}.{sex}": PaperNumber(
            f"{layer}: fraction of non-zero ReLU outputs, {sex} stimuli (1 - sparsity)",
            statement="sparsity rises towards the output",
        )
        for layer in ANALYSED_LAYERS
        for sex in ("female", "male")
    },
    **{
        f"fig6.correlation.{layer}.{pair}": PaperNumber(
            f"{layer}: correlation of representations, {pair.replace('_', ' ')}",
            unit="correlation",
            statement="rises towards the output" if pair != "across" else "falls towards the output",
        )
        for layer in ANALYSED_LAYERS
        for pair in ("within_female", "within_male", "across")
    },
    "fig6.fc_correlation.mean": PaperNumber("mean FC-layer correlation", 0.2, unit="correlation"),
    **{
        f"fig6.deconv_correlation.{layer}": PaperNumber(
            f"{layer}: correlation of the deconvolved stimulus with the stimulus",
            unit="correlation",
            statement="fast rise to an asymptote",
        )
        for layer in ANALYSED_LAYERS
    },
    "fig7.male_cluster.precision": PaperNumber(
        "the male cluster of the USV space: share of it that is the planted two-part call (synthetic data only)",
        statement="synthetic-only validation",
    ),
    "fig7.male_cluster.recall": PaperNumber(
        "the male cluster: share of the planted two-part calls in it (synthetic data only)",
        statement="synthetic-only validation",
    ),
    **{
        f"fig7.male_cluster.recall_by_frequency.q{q}": PaperNumber(
            f"the male cluster: share of the two-part calls in it, quartile {q} of their true centre frequency",
            statement="synthetic-only validation",
        )
        for q in (1, 2, 3, 4)
    },
    "fig7.male_cluster.male_share": PaperNumber("the male cluster: share of its USVs from males", statement="male"),
    "fig7.male_cluster.n_males_present": PaperNumber(
        "the male cluster: males with USVs in it", unit="count", statement="all males"
    ),
    "fig7.male_cluster.n_usvs": PaperNumber("the male cluster: its USVs", unit="count"),
    "fig7.confident.fraction": PaperNumber("share of USVs with a confident DNN output (< 0.1 or > 0.9)"),
    "fig7.confident.knn_purity_all": PaperNumber("sex purity of the 10 nearest neighbours in the USV space, all USVs"),
    "fig7.confident.knn_purity_confident": PaperNumber(
        "sex purity of the 10 nearest neighbours, confident DNN outputs only", statement="only limited improvement"
    ),
    "fig7.umap_cluster.precision": PaperNumber(
        "the male cluster found the same way in the UMAP embedding: precision for the two-part call (synthetic)",
        statement="beyond the paper",
    ),
    "fig7.umap_cluster.recall": PaperNumber(
        "the male cluster in the UMAP embedding: recall of the two-part call (synthetic)", statement="beyond the paper"
    ),
    **{
        f"fig7.cluster_median.{column}.{where}": PaperNumber(
            f"median {column} of the USVs {where.replace('_', ' ')}",
            unit=unit,
            statement=statement if where == "male_cluster" else "",
        )
        for column, unit, statement in (
            ("mean_freq_hz", "hz", "exceptionally low"),
            ("freq_range_hz", "hz", "high"),
            ("duration_s", "seconds", "middle"),
        )
        for where in ("male_cluster", "elsewhere")
    },
    **{
        f"fig8.{model}.{split}": PaperNumber(
            f"cortexless vs control, {label}, {where}",
            statement="above chance" if (model, split) == ("dnn", "across_animals") else "",
        )
        for model, label in (("dnn", "DNN"), ("ridge", "ridge"), ("svm", "linear SVM"))
        for split, where in (
            ("across_animals", "new animals"),
            ("random_split", "random split (animals known)"),
            ("shuffled", "shuffled labels, new animals"),
        )
    },
    "fig8.dnn.across_animals_over_seeds": PaperNumber("cortexless vs control, DNN: mean ± SD over training seeds"),
    "fig8.identity.accuracy": PaperNumber("which cortexless or control mouse a USV comes from"),
}


def paper_value(key: str) -> float | None:
    """The paper's value of ``key`` (None where it gives none), for a figure's reference line.

    Raises
    ------
    ConfigError
        For an unknown key.
    """
    if key not in PAPER_NUMBERS:
        raise ConfigError(f"unknown result key {key!r}: see usvlib.paper.results.PAPER_NUMBERS")
    return PAPER_NUMBERS[key].value


DATASETS = ("synthetic", "real")
UNITS = ("fraction", "correlation", "f1", "count", "seconds", "ratio", "hz", "p_value")


def _finite(x, name: str, key: str) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ConfigError(f"result {key}: {name} must be a number, got {x!r}") from None
    if not math.isfinite(v):
        raise ConfigError(f"result {key}: {name} is {v} - record a finite number or nothing")
    return v


class ResultsStore:
    """The numbers of one run: ``folder/numbers.json`` and ``folder/NUMBERS.md``."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.json_path = self.folder / "numbers.json"
        self.markdown_path = self.folder / "NUMBERS.md"

    def load(self) -> dict:
        """All recorded numbers (key -> record)."""
        if not self.json_path.is_file():
            return {}
        return json.loads(self.json_path.read_text())

    def record(
        self,
        key: str,
        value: float,
        *,
        dataset: str,
        profile: str,
        sd: float | None = None,
        n: int | None = None,
        unit: str | None = None,
        source: str = "",
        extra: dict | None = None,
        ci: tuple[float, float] | None = None,
        p_value: float | None = None,
    ) -> dict:
        """Record ``value`` under ``key`` (replacing an earlier value) and rewrite both files.

        ``ci``: a confidence interval (low, high) in the value's unit, kept as ``ci_low`` and
        ``ci_high``; ``p_value``: of a test against chance (how it was made goes in ``extra``).

        Raises
        ------
        ConfigError
            For an unknown key, a dataset other than synthetic/real, a non-finite value, or a
            fraction outside [0, 1].
        """
        if key not in PAPER_NUMBERS:
            raise ConfigError(f"unknown result key {key!r}: add it to usvlib.paper.results.PAPER_NUMBERS first")
        if dataset not in DATASETS:
            raise ConfigError(f"result {key}: dataset must be one of {DATASETS}, got {dataset!r}")
        paper = PAPER_NUMBERS[key]
        unit = unit or paper.unit
        if unit not in UNITS:
            raise ConfigError(f"result {key}: unknown unit {unit!r} (one of {UNITS})")
        v = _finite(value, "value", key)
        if unit in ("fraction", "f1", "p_value") and not 0.0 <= v <= 1.0:
            raise ConfigError(f"result {key}: a fraction must lie in [0, 1], got {v}")
        low, high = (None, None) if ci is None else (_finite(ci[0], "ci_low", key), _finite(ci[1], "ci_high", key))
        p = _finite(p_value, "p_value", key)
        if p is not None and not 0.0 <= p <= 1.0:
            raise ConfigError(f"result {key}: a p-value must lie in [0, 1], got {p}")
        entry = {
            "value": v,
            "sd": _finite(sd, "sd", key),
            "ci_low": low,
            "ci_high": high,
            "p_value": p,
            "n": None if n is None else int(n),
            "unit": unit,
            "paper": paper.value,
            "paper_sd": paper.sd,
            "paper_statement": paper.statement,
            "description": paper.description,
            "dataset": dataset,
            "profile": profile,
            "source": source,
        }
        if extra:
            entry["extra"] = extra
        with self._locked():  # two notebooks recording at once must not lose each other's keys
            numbers = self.load()
            numbers[key] = entry
            numbers = dict(sorted(numbers.items()))
            write_json_atomic(self.json_path, numbers)
            write_text_atomic(self.markdown_path, render_markdown(numbers))
        return entry

    @contextlib.contextmanager
    def _locked(self):
        """An exclusive lock on the folder's numbers (``.numbers.lock``, POSIX ``flock``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".numbers.lock", "a") as handle:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: no advisory locks, one writer at a time
                yield
                return
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _fmt(value: float | None, sd: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "fraction":
        text = f"{100 * value:.1f} %"
        return text if sd is None else f"{100 * value:.1f} ± {100 * sd:.1f} %"
    if unit == "p_value":
        return f"p = {value:.2g}"
    if unit == "f1":
        return f"F1 = {value:.3f}"
    text = f"{value:.3g}"
    return text if sd is None else f"{value:.3g} ± {sd:.2g}"


def _fmt_ci(rec: dict) -> str:
    """`` [95 % CI a-b], p = x`` where the record has them."""
    text = ""
    if rec.get("ci_low") is not None:
        scale, unit = (100, " %") if rec["unit"] == "fraction" else (1, "")
        text += f" [CI {scale * rec['ci_low']:.1f}–{scale * rec['ci_high']:.1f}{unit}]"
    if rec.get("p_value") is not None:
        text += f", p = {rec['p_value']:.2g}"
    return text


HEADLINE_KEYS = (
    "fig0.oracle.across_animals",
    "fig3.reference.learnable_ceiling",
    "fig3.dnn.across_animals",
    "fig3.ridge.across_animals",
    "fig3.svm.across_animals",
    "fig3.dnn.shuffled",
    "fig4.properties.dnn",
    "fig4.semiconv.dnn",
    "fig3.dnn.across_animals_over_seeds",
    "fig5.dnn.random_split",
    "fig5.dnn.random_split_over_seeds",
    "fig5.identity.accuracy",
    "fig1.detection.f1_synthetic",
    "fig1.detection.f1_real",
    "fig7.male_cluster.precision",
    "fig7.male_cluster.recall",
    "fig8.dnn.across_animals",
    "fig8.dnn.across_animals_over_seeds",
)
"""The rows of the headline table that opens ``results/NUMBERS.md``."""


def render_markdown(numbers: dict, *, keys: tuple[str, ...] | None = None, title: bool = True) -> str:
    """The numbers as a Markdown table, the paper's value beside each.

    Parameters
    ----------
    numbers : dict
        Key -> record, as ``ResultsStore.load`` returns.
    keys : tuple of str, optional
        The rows, in order (default: every key of ``PAPER_NUMBERS``).
    title : bool
        Start with a title and the note that synthetic values are not reproductions.

    Returns
    -------
    str
    """
    lines = (
        [
            "# Numbers of this run",
            "",
            "Each row: what the paper reports (real data) and what this run computed, with the",
            "dataset it used. **A value on synthetic data is not a reproduction of the paper's",
            "real-data number**: it shows that the pipeline recovers what the generator put in.",
            "",
        ]
        if title
        else []
    )
    if title and keys is None:
        lines += ["## Headline", "", *_table(numbers, HEADLINE_KEYS), "", "## Every number", ""]
    return "\n".join(lines + _table(numbers, keys or tuple(PAPER_NUMBERS))) + "\n"


def _table(numbers: dict, keys) -> list[str]:
    lines = [
        "| key | quantity | paper (real data) | this run | dataset | profile | n |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in keys:
        paper = PAPER_NUMBERS[key]
        rec = numbers.get(key)
        paper_text = _fmt(paper.value, paper.sd, paper.unit) or paper.statement or "—"
        if paper.value is not None and paper.statement:
            paper_text += f" ({paper.statement})"
        if rec is None:
            lines.append(f"| `{key}` | {paper.description} | {paper_text} | not computed yet | | | |")
            continue
        n = "" if rec.get("n") is None else str(rec["n"])
        lines.append(
            f"| `{key}` | {paper.description} | {paper_text} "
            f"| {_fmt(rec['value'], rec['sd'], rec['unit'])}{_fmt_ci(rec)} "
            f"| {rec['dataset']} | {rec['profile']} | {n} |"
        )
    return lines
