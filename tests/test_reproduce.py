import json

import nbformat
import pytest

from usvlib import reproduce
from usvlib.errors import NotebookError


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
    for name in ("fig0_usvs_per_recording", "fig0_call_types", "fig0_oracle_per_animal"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    rec = numbers["fig0.oracle.across_animals"]
    assert rec["dataset"] == "synthetic" and rec["profile"] == "quick" and rec["source"] == "00_dataset"
    assert 0.6 < rec["value"] < 1.0
    assert numbers["fig0.oracle.with_animal"]["value"] > rec["value"]
    assert "fig0.oracle.across_animals" in (out / "results" / "NUMBERS.md").read_text()


def test_notebooks_01_and_02_run_in_the_quick_profile(quick_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("USVLIB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    summary = reproduce.run("quick", quick_dataset, only=["01", "02"], out_dir=out, progress=False)
    assert [p.name for p in summary.executed] == ["01_segmentation.ipynb", "02_property_differences.ipynb"]
    for name in ("fig1_segmentation", "fig1_examples", "fig1_detection_real", "fig1_counts", "fig2_properties"):
        assert (out / "figures" / f"{name}.png").is_file(), name
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    assert numbers["fig1.detection.f1_synthetic"]["value"] >= 0.97
    assert numbers["fig1.detection.f1_real"]["dataset"] == "real"
    assert numbers["fig2.mean_frequency.p_holm"]["value"] > 0.05
    assert numbers["fig2.duration.p_holm"]["value"] < 0.05


def test_notebooks_03_to_05_run_in_the_quick_profile(quick_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("USVLIB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    summary = reproduce.run("quick", quick_dataset, only=["03", "04", "05"], out_dir=out, progress=False)
    assert len(summary.executed) == 3
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    for key in (
        "fig3.dnn.across_animals",
        "fig3.ridge.across_animals",
        "fig3.svm.across_animals",
        "fig3.dnn.shuffled",
        "fig3.dnn.breaks_control",
        "fig3.reference.measured_boosting",
        "fig3.reference.latent_boosting",
        "fig3.reference.learnable_ceiling",
        "fig4.properties.dnn",
        "fig4.semiconv.dnn",
        "fig4.property_dnn.complex",
        "fig5.dnn.random_split",
        "fig5.identity.accuracy",
    ):
        assert numbers[key]["dataset"] == "synthetic" and 0 <= numbers[key]["value"] <= 1, key
    assert numbers["fig3.dnn.across_animals"]["extra"]["oracle"] > 0.8
    # identity: 17 animals, chance 6 %: individual signatures are learnt
    assert numbers["fig5.identity.accuracy"]["value"] > 2 / 17
    for name in (
        "fig3_models",
        "fig3_per_animal",
        "fig3_learning_curve",
        "fig3_filters",
        "fig4_property_networks",
        "fig4_properties_to_sex",
        "fig4_ridge_weights",
        "fig5_random_split",
        "fig5_identity",
    ):
        assert (out / "figures" / f"{name}.png").is_file(), name


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
    with pytest.raises(NotebookError) as exc:
        reproduce.run("quick", quick_dataset, out_dir=tmp_path / "out", progress=False)
    msg = str(exc.value)
    assert "07_broken.ipynb" in msg and "ValueError: boom" in msg and "cell" in msg


def test_unknown_notebook_number():
    with pytest.raises(NotebookError, match="no notebook numbered 42"):
        reproduce.list_notebooks(["42"])


def test_readme_numbers_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{reproduce.README_START}\nold\n{reproduce.README_END}\noutro\n")
    numbers = tmp_path / "NUMBERS.md"
    numbers.write_text("# Numbers\n\n| key | x |\n|---|---|\n")
    assert reproduce.update_readme_numbers(readme, numbers)
    text = readme.read_text()
    assert "old" not in text and "| key | x |" in text and text.endswith("outro\n")
