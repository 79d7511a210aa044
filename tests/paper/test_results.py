import json

import pytest

from usvlib.errors import ConfigError
from usvlib.paper.results import PAPER_NUMBERS, ResultsStore, render_markdown


def test_record_round_trip(tmp_path):
    store = ResultsStore(tmp_path / "results")
    store.record("fig3.dnn.across_animals", 0.71, sd=0.05, n=17, dataset="synthetic", profile="quick")
    store.record("fig0.oracle.across_animals", 0.84, dataset="synthetic", profile="quick", extra={"se": 0.01})
    data = json.loads((tmp_path / "results" / "numbers.json").read_text())
    rec = data["fig3.dnn.across_animals"]
    assert rec["value"] == 0.71 and rec["sd"] == 0.05 and rec["n"] == 17
    assert rec["paper"] == 0.767 and rec["dataset"] == "synthetic" and rec["profile"] == "quick"
    assert {"value", "sd", "n", "unit", "paper", "dataset", "profile"} <= set(rec)
    assert data["fig0.oracle.across_animals"]["extra"] == {"se": 0.01}
    # a second record replaces the first; files stay valid and nothing temporary is left
    store.record("fig3.dnn.across_animals", 0.72, dataset="real", profile="paper")
    assert store.load()["fig3.dnn.across_animals"]["dataset"] == "real"
    files = sorted(p.name for p in (tmp_path / "results").iterdir() if not p.name.startswith(".numbers.lock"))
    assert files == ["NUMBERS.md", "numbers.json"]


def test_markdown_shows_paper_and_run_side_by_side(tmp_path):
    store = ResultsStore(tmp_path)
    store.record("fig3.dnn.across_animals", 0.71, sd=0.05, n=17, dataset="synthetic", profile="quick")
    text = store.markdown_path.read_text()
    row = next(line for line in text.splitlines() if "`fig3.dnn.across_animals`" in line)
    assert "76.7 ± 6.6 %" in row and "71.0 ± 5.0 %" in row and "synthetic" in row
    assert "not a reproduction" in text
    every = text.split("## Every number")[1]  # after the headline rows
    assert every.count("not computed yet") == len(PAPER_NUMBERS) - 1


@pytest.mark.parametrize(
    ("key", "value", "kwargs", "message"),
    [
        ("fig9.unknown", 0.5, {}, "unknown result key"),
        ("fig3.dnn.across_animals", 1.5, {}, r"\[0, 1\]"),
        ("fig3.dnn.across_animals", float("nan"), {}, "finite"),
        ("fig3.dnn.across_animals", 0.5, {"dataset": "made-up"}, "dataset must be"),
        ("fig3.dnn.across_animals", "high", {}, "must be a number"),
    ],
)
def test_bad_records_are_refused(tmp_path, key, value, kwargs, message):
    store = ResultsStore(tmp_path)
    kwargs = {"dataset": "synthetic", "profile": "quick", **kwargs}
    with pytest.raises(ConfigError, match=message):
        store.record(key, value, **kwargs)
    assert not store.json_path.exists()


def test_every_paper_md_key_is_known():
    keys = [
        "fig3.dnn.across_animals",
        "fig3.ridge.across_animals",
        "fig3.svm.across_animals",
        "fig3.dnn.shuffled",
        "fig3.ridge.shuffled",
        "fig3.svm.shuffled",
        "fig3.dnn.breaks_control",
        "fig5.dnn.random_split",
        "fig5.identity.accuracy",
        "fig4.properties.dnn",
        "fig4.properties.ridge",
        "fig4.properties.svm",
        "fig4.semiconv.dnn",
        "fig3.dnn.example_fold",
        "fig8.dnn.across_animals",
        "fig6.fc_correlation.mean",
        "fig0.oracle.across_animals",
        "fig0.oracle.with_animal",
        "fig1.detection.f1_synthetic",
        "fig1.detection.f1_real",
    ]
    assert set(keys) <= set(PAPER_NUMBERS)
    assert "| key |" in render_markdown({})


WRITER = """
import sys
from usvlib.paper.results import ResultsStore
store = ResultsStore(sys.argv[1])
for key in sys.argv[2:]:
    store.record(key, 0.5, dataset="synthetic", profile="quick")
"""


def test_two_processes_recording_at_once_lose_no_key(tmp_path):
    import subprocess
    import sys

    from usvlib.paper.results import PAPER_NUMBERS

    keys = [k for k in PAPER_NUMBERS if k.startswith("fig6.sparsity.")][:16]
    halves = (keys[::2], keys[1::2])
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), *half]) for half in halves]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert sorted(ResultsStore(tmp_path).load()) == sorted(keys)
