import json
import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from PIL import Image

from usvlib.errors import DatasetError, NotebookError
from usvlib.paper import reproduce

from conftest import SHARED_TRAINING


def _assert_drawn(path):
    """A figure that exists is not enough: it must hold a drawing (many colours, ink on the page)."""
    import matplotlib.image as mpimg
    import numpy as np

    assert path.is_file(), path.name
    pixels = mpimg.imread(path)[..., :3]
    assert min(pixels.shape[:2]) > 200, path.name
    assert len(np.unique(pixels.reshape(-1, 3).round(2), axis=0)) > 20, path.name  # not a blank canvas
    assert (pixels.mean(axis=2) < 0.9).mean() > 0.01, path.name  # some ink


@pytest.fixture(scope="module")
def trained_cache():
    """The session's test cache for the notebooks 03-07: 06 and 07 reuse the sex network 03
    trained, and 03 and 06 what tests/paper/test_fig6.py trained on the same data (the keys
    cover the code, so nothing stale is reused; a clean clone starts empty)."""
    return Path(os.environ["USVLIB_CACHE"])


def test_notebooks_are_committed_clean():
    books = reproduce.list_notebooks()
    assert books and books[0].name == "00_dataset.ipynb"
    for path in books:
        nb = nbformat.read(path, as_version=4)
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), path
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


def test_notebook_00_runs_in_the_quick_profile(quick_dataset, tmp_path):
    out = tmp_path / "run"
    summary = reproduce.run("quick", quick_dataset, only=["00"], out_dir=out, progress=False)
    assert [p.name for p in summary.executed] == ["00_dataset.ipynb"]
    assert summary.report == out / "reports" / "index.html" and (out / "reports" / "00_dataset.html").is_file()
    assert summary.executed[0].parent == out / "notebooks"  # the executed copy goes with the outputs
    for name in ("fig0_usvs_per_recording", "fig0_call_types", "fig0_oracle_per_animal"):
        _assert_drawn(out / "figures" / f"{name}.png")
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    rec = numbers["fig0.oracle.across_animals"]
    assert rec["dataset"] == "synthetic" and rec["profile"] == "quick" and rec["source"] == "00_dataset"
    assert 0.6 < rec["value"] < 1.0
    assert numbers["fig0.oracle.with_animal"]["value"] > rec["value"]
    assert "fig0.oracle.across_animals" in (out / "results" / "NUMBERS.md").read_text()


def test_notebooks_01_and_02_run_in_the_quick_profile(quick_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("USVLIB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    summary = reproduce.run("quick", quick_dataset, only=["01", "02"], out_dir=out, progress=False, html=False)
    assert [p.name for p in summary.executed] == ["01_segmentation.ipynb", "02_property_differences.ipynb"]
    names = ("fig1", "panels/fig1_segmentation", "fig1_supplement_detection_real", "panels/fig1_counts")
    for name in (*names, "fig2", "fig2_supplement"):
        _assert_drawn(out / "figures" / f"{name}.png")
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    assert numbers["fig1.detection.f1_synthetic"]["value"] >= 0.97
    assert numbers["fig1.detection.f1_real"]["dataset"] == "real"
    assert numbers["fig2.mean_frequency.p_holm"]["value"] > 0.05
    assert numbers["fig2.duration.p_holm"]["value"] < 0.05


@SHARED_TRAINING
def test_notebooks_03_to_05_run_in_the_quick_profile(quick_dataset, tmp_path, monkeypatch, trained_cache):
    monkeypatch.setenv("USVLIB_CACHE", str(trained_cache))
    out = tmp_path / "run"
    summary = reproduce.run("quick", quick_dataset, only=["03", "04", "05"], out_dir=out, progress=False, html=False)
    assert len(summary.executed) == 3
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    n_usvs = numbers["fig3.dnn.across_animals"]["extra"]["n_usvs"]
    truth = pd.read_csv(quick_dataset / "ground_truth" / "calls.csv", low_memory=False)
    assert n_usvs == len(truth[(truth.experiment == "sex") & (truth.animal != "Rfem_Afem09")])
    folds = {  # each number's n: its folds (17 animals; the quick profile's other splits)
        "fig3.dnn.across_animals": 17,
        "fig3.ridge.across_animals": 17,
        "fig3.svm.across_animals": 17,
        "fig3.dnn.shuffled": 17,
        "fig3.dnn.breaks_control": 3,  # every 6th animal
        "fig3.reference.measured_boosting": 17,
        "fig3.reference.latent_boosting": 17,
        "fig3.reference.learnable_ceiling": 17,
        "fig4.properties.dnn": 17,
        "fig4.semiconv.dnn": 17,
        "fig4.property_dnn.complex": 3,  # folds of whole animals
        "fig5.dnn.random_split": 5,
        "fig5.identity.accuracy": n_usvs,  # one prediction per USV
    }
    for key, n in folds.items():
        assert numbers[key]["dataset"] == "synthetic" and numbers[key]["n"] == n, key
    for key in (k for k, n in folds.items() if n in (17, 5)):
        repeats = numbers[key]["extra"].get("repeats", 1)  # repeated controls: every USV once a repeat
        assert numbers[key]["extra"]["n_usvs"] == repeats * n_usvs, key
    # controls are repeated (quick: 2 permutations), tested against chance and against the real model
    for model in ("dnn", "ridge", "svm"):
        assert numbers[f"fig3.{model}.shuffled"]["extra"]["repeats"] == 2
        assert numbers[f"fig3.{model}.shuffled"]["ci_low"] is not None
        assert 0 < numbers[f"fig3.{model}.real_vs_shuffled_p"]["value"] <= 1
    assert numbers["fig3.dnn.animal_shuffled"]["extra"]["repeats"] == 1
    assert numbers["fig3.dnn.breaks_shuffled"]["n"] == 3
    assert numbers["fig3.dnn.across_animals_over_seeds"]["n"] == 2  # two training seeds
    assert numbers["fig3.dnn.real_vs_shuffled_p"]["value"] < 0.05  # the quick network learns sex
    # Fig 3B: the kept network's accuracy on the example fold, and a curve every 5 iterations (quick)
    example = numbers["fig3.dnn.example_fold"]
    curve = example["extra"]["test_curve"]
    assert [c["iteration"] for c in curve][:2] == [5, 10] and example["extra"]["kept_iteration"] > 0
    # the sex network learns (quick profile: about 0.7), and no reference is above the oracle
    oracle = numbers["fig3.dnn.across_animals"]["extra"]["oracle"]
    assert numbers["fig3.dnn.across_animals"]["value"] > 0.6
    for key in ("fig3.reference.learnable_ceiling", "fig3.reference.latent_boosting"):
        assert numbers[key]["value"] < oracle + 0.03, key
    assert numbers["fig3.dnn.across_animals"]["extra"]["oracle"] > 0.8
    # identity: 17 animals, chance 6 %: individual signatures are learnt
    assert numbers["fig5.identity.accuracy"]["value"] > 2 / 17
    for name in (
        "fig3",
        "fig3_supplement",
        "panels/fig3_models",
        "panels/fig3_per_animal",
        "panels/fig3_learning_curve",
        "panels/fig3_filters",
        "fig4",
        "panels/fig4_property_networks",
        "panels/fig4_properties_to_sex",
        "panels/fig4_ridge_weights",
        "fig5",
        "panels/fig5_random_split",
        "panels/fig5_identity",
    ):
        _assert_drawn(out / "figures" / f"{name}.png")
    assert (out / "figures" / "fig3.pdf").stat().st_size > 10_000  # for print


def test_a_failing_notebook_is_named_with_its_cell(tmp_path, monkeypatch, quick_dataset):
    books = tmp_path / "notebooks"
    books.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "quick"\nseed = 0\ndata_dir = ""\nout_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("1 + 1"), nbformat.v4.new_code_cell("raise ValueError('boom')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, books / "07_broken.ipynb")
    monkeypatch.setattr(reproduce, "notebooks_dir", lambda: books)
    good = tmp_path / "out" / "notebooks" / "07_broken.ipynb"  # an earlier good run's copy
    good.parent.mkdir(parents=True)
    good.write_text("{}")
    with pytest.raises(NotebookError) as exc:
        reproduce.run("quick", quick_dataset, out_dir=tmp_path / "out", progress=False)
    msg = str(exc.value)
    assert "07_broken.ipynb" in msg and "ValueError: boom" in msg and "cell" in msg
    failed = good.with_name("07_broken.failed.ipynb")
    assert str(failed) in msg and "boom" in failed.read_text() and good.read_text() == "{}"


def test_a_folder_that_is_not_a_dataset_is_refused_before_any_notebook(tmp_path):
    with pytest.raises(DatasetError, match="no recordings named"):
        reproduce.run("quick", tmp_path, out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_unknown_notebook_number():
    with pytest.raises(NotebookError, match="no notebook numbered 42"):
        reproduce.list_notebooks(["42"])
    with pytest.raises(NotebookError, match="takes notebook numbers such as 00 03"):
        reproduce.list_notebooks(["abc"])
    # a notebook's name or file name names its number
    assert [p.name for p in reproduce.list_notebooks(["00_dataset", "3", "01_segmentation.ipynb"])] == [
        "00_dataset.ipynb",
        "01_segmentation.ipynb",
        "03_dnn_sex.ipynb",
    ]


def test_the_numbers_file_starts_with_the_headline_and_a_run_leaves_the_readme_alone(tmp_path):
    import inspect

    from usvlib.paper.results import HEADLINE_KEYS, PAPER_NUMBERS, ResultsStore

    store = ResultsStore(tmp_path / "results")
    store.record(
        "fig3.dnn.across_animals", 0.7, sd=0.1, n=17, dataset="synthetic", profile="quick", ci=(0.6, 0.8), p_value=0.01
    )
    text = store.markdown_path.read_text()
    headline, every = text.split("## Every number")
    rows = [line for line in headline.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(HEADLINE_KEYS)
    assert len([line for line in every.splitlines() if line.startswith("| `")]) == len(PAPER_NUMBERS)
    assert "70.0 ± 10.0 % [CI 60.0–80.0 %], p = 0.01 | synthetic | quick | 17" in text
    assert "README" not in inspect.getsource(reproduce.run)  # the README is written by people only


@SHARED_TRAINING
def test_notebook_06_runs_in_the_quick_profile(quick_dataset, tmp_path, monkeypatch, trained_cache):
    from usvlib.paper.results import ANALYSED_LAYERS

    monkeypatch.setenv("USVLIB_CACHE", str(trained_cache))
    out = tmp_path / "run"
    reproduce.run("quick", quick_dataset, only=["06"], out_dir=out, progress=False, html=False)
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    for layer in ANALYSED_LAYERS:
        for sex in ("female", "male"):
            rec = numbers[f"fig6.sparsity.{layer}.{sex}"]
            assert rec["dataset"] == "synthetic" and 0 < rec["value"] < 1 and rec["n"] > 100, (layer, sex)
        for pair in ("within_female", "within_male", "across"):
            assert -1 <= numbers[f"fig6.correlation.{layer}.{pair}"]["value"] <= 1
    # the first layer's reconstruction is close to the stimulus, the last FC layer's is not
    assert numbers["fig6.deconv_correlation.conv1"]["value"] > numbers["fig6.deconv_correlation.fc3"]["value"] + 0.3
    assert numbers["fig6.network.accuracy"]["n"] == 2  # the first female and the first male left out
    for name in ("fig6", "fig6_supplement_saliency"):
        _assert_drawn(out / "figures" / f"{name}.png")


@SHARED_TRAINING
def test_notebook_07_runs_in_the_quick_profile(quick_dataset, tmp_path, monkeypatch, trained_cache):
    monkeypatch.setenv("USVLIB_CACHE", str(trained_cache))
    out = tmp_path / "run"
    reproduce.run("quick", quick_dataset, only=["07"], out_dir=out, progress=False, html=False)
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    # the quick data's planted male-only two-part call is what the male cluster holds
    assert numbers["fig7.male_cluster.male_share"]["value"] > 0.8
    assert numbers["fig7.male_cluster.precision"]["value"] > 0.7
    assert numbers["fig7.male_cluster.n_males_present"]["value"] >= 4
    low = numbers["fig7.cluster_median.mean_freq_hz.male_cluster"]["value"]
    assert low < numbers["fig7.cluster_median.mean_freq_hz.elsewhere"]["value"]  # a long low first element
    assert 0 < numbers["fig7.confident.fraction"]["value"] < 1
    _assert_drawn(out / "figures" / "fig7.png")
    _assert_drawn(out / "figures" / "fig7_supplement.png")
    gif = out / "figures" / "fig7_rotating.gif"
    with Image.open(gif) as im:
        assert im.n_frames == 36


@SHARED_TRAINING
def test_notebook_08_runs_in_the_quick_profile(quick_dataset, tmp_path, monkeypatch, trained_cache):
    monkeypatch.setenv("USVLIB_CACHE", str(trained_cache))
    out = tmp_path / "run"
    reproduce.run("quick", quick_dataset, only=["08"], out_dir=out, progress=False, html=False)
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    truth = pd.read_csv(quick_dataset / "ground_truth" / "calls.csv", low_memory=False)
    strain = truth[truth.experiment == "strain"]
    for model in ("dnn", "ridge", "svm"):
        for split in ("across_animals", "random_split", "shuffled"):
            rec = numbers[f"fig8.{model}.{split}"]
            repeats = rec["extra"].get("repeats", 1)  # shuffled controls: every USV once a repeat
            assert rec["extra"]["n_usvs"] == repeats * len(strain), (model, split)
            assert rec["ci_low"] <= rec["extra"]["accuracy_by_animal"] <= rec["ci_high"], (model, split)
            assert 0 < rec["p_value"] <= 1
            assert rec["extra"]["n_animals"] == strain.animal.nunique()
    assert numbers["fig8.dnn.across_animals"]["n"] == strain.animal.nunique()  # one fold per animal
    assert numbers["fig8.dnn.shuffled"]["extra"]["repeats"] == 2
    assert numbers["fig8.dnn.across_animals_over_seeds"]["n"] == 2
    assert numbers["fig8.identity.accuracy"]["value"] > 1.5 / strain.animal.nunique()  # voices are individual
    _assert_drawn(out / "figures" / "fig8.png")


def test_every_saved_figure_of_synthetic_data_says_so(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from usvlib.paper.profiles import get_profile

    ctx = reproduce.NotebookContext(get_profile("quick"), None, tmp_path)
    ctx.__class__ = type("Synthetic", (reproduce.NotebookContext,), {"label": "synthetic"})
    plain, marked = plt.figure(), plt.figure()
    marked.suptitle("Fig 9 (synthetic data)")
    for fig, name in ((plain, "plain"), (marked, "marked")):
        ctx.save_figure(fig, name)
    says = [sum("synthetic data" in t.get_text().lower() for t in f.findobj(Text)) for f in (plain, marked)]
    assert says == [1, 1]  # marked once: added where missing, not twice


def test_a_run_can_leave_a_ready_sex_classifier(tiny_dataset, tmp_path, monkeypatch):
    """What make reproduce DATA=... does on real data: the sex classifier, saved for usvlib predict."""
    monkeypatch.setenv("USVLIB_CACHE", str(tmp_path / "cache"))
    from usvlib.classify import load_classifier
    from usvlib.paper.reproduce import export_sex_classifier

    path = export_sex_classifier(
        tiny_dataset, tmp_path / "models" / "sex.usvmodel", cross_validate_first=False, progress=False
    )
    clf = load_classifier(path)
    assert clf.classes == ("female", "male")
    # the used mice with calls (a few of the tiny recordings hold none)
    assert set(clf.animals.group) == {"female", "male"} and clf.animals.animal.nunique() <= 17
    assert (clf.animals.n_usvs > 0).all()


def test_executed_notebooks_become_html_pages_with_an_index(tmp_path):
    import nbformat

    from usvlib.paper.report import render_notebooks

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 03 — The DNN"),
        nbformat.v4.new_code_cell(
            "print(42)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.709\n")]
        ),
    ]
    path = tmp_path / "notebooks" / "03_dnn_sex.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    numbers = tmp_path / "results" / "NUMBERS.md"
    numbers.parent.mkdir()
    numbers.write_text("| key | value |\n")
    index = render_notebooks([path], tmp_path / "reports", title="quick, synthetic data", numbers=numbers)
    page = (tmp_path / "reports" / "03_dnn_sex.html").read_text()
    assert "The DNN" in page and "accuracy 0.709" in page
    text = index.read_text()
    assert 'href="03_dnn_sex.html"' in text and 'href="../results/NUMBERS.md"' in text and "synthetic data" in text
