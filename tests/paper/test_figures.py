"""The assembled figures are figures: their panels and letters, nothing blank, text inside the
canvas, on tiny inputs."""

from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from usvlib.models.cnn import CallCNN
from usvlib.netinfo import describe, first_layer_filters
from usvlib.paper.plots import schematics
from usvlib.paper.plots.figure3 import figure3, figure3_supplement


def _letters(fig) -> list[str]:
    found = [t.get_text() for t in fig.findobj(Text) if t.get_fontweight() == "bold" and len(t.get_text()) == 1]
    return sorted(set(found))


def _texts_inside(fig) -> None:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    # mplot3d keeps tick labels of ticks outside the view, placed off the canvas and not drawn
    hidden_3d = {id(t) for ax in fig.axes if ax.name == "3d" for t in ax.findobj(Text)}
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if id(t) in hidden_3d and not (box.x0 <= t.get_window_extent(renderer).x0 <= box.x1):
            continue
        extent = t.get_window_extent(renderer)
        # a tight bounding box when saved: every text must at least not run far off the canvas
        assert extent.x0 > box.x0 - 0.15 * box.width and extent.x1 < box.x1 + 0.15 * box.width, t.get_text()
        assert t.get_fontsize() >= 8, (t.get_text(), t.get_fontsize())


def _not_blank(fig) -> None:
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    assert (pixels.mean(axis=2) < 230).mean() > 0.02


def _fake_fig3():
    rng = np.random.default_rng(0)
    animals = [f"Rfem_{i}" for i in range(3)] + [f"Rmale_{i}" for i in range(3)]
    curve = [
        {"iteration": i, "epoch": 0, "test_accuracy": 0.5 + 0.04 * i, "weight_change": 0.1 / (i + 1)} for i in range(8)
    ]
    rows = []
    for model, mean in (("DNN", 0.7), ("ridge", 0.52), ("SVM", 0.6), ("DNN, breaks (control)", 0.75)):
        rows.append(
            {"model": model, "labels": "real", "mean": mean, "sd": 0.05, "ci_low": mean - 0.06, "ci_high": mean + 0.06}
        )
        rows.append({"model": model, "labels": "shuffled", "mean": 0.5, "sd": 0.03, "ci_low": 0.46, "ci_high": 0.54})
    rows.append(
        {"model": "boosting (reference)", "labels": "real", "mean": 0.7, "sd": 0.05, "ci_low": 0.65, "ci_high": 0.75}
    )
    return SimpleNamespace(
        example_fold="Rfem_0",
        dnn=SimpleNamespace(
            infos={"Rfem_0": {"test_curve": curve, "iterations_per_epoch": [4, 4], "val": [0.6, 0.62]}}
        ),
        per_animal=pd.DataFrame(
            {"animal": animals, "group": ["female"] * 3 + ["male"] * 3, "accuracy": rng.uniform(0.5, 0.9, 6)}
        ),
        male_vs_female={"p": 0.4},
        table=pd.DataFrame(rows),
        sex_on_breaks_folds=0.69,
    )


def test_fig3_has_the_papers_six_panels_and_its_supplement_is_apart():
    net = CallCNN()
    out = _fake_fig3()
    fig = figure3(
        out,
        layers=describe(net),
        input_shape=net.input_shape,
        filters=first_layer_filters(net).detach().numpy(),
        channel_names=["fundamental", "2nd harmonic"],
        kept_iteration=5,
        paper={"DNN": 0.767, "ridge": 0.507, "SVM": 0.562},
        network_name="CallCNN",
        data_label="synthetic data",
    )
    assert _letters(fig) == list("ABCDEF")
    assert sorted(ax.get_label() for ax in fig.axes if ax.get_label() and ax.get_label() in "ABCDEF") == list("ABCDEF")
    e = next(ax for ax in fig.axes if ax.get_label() == "E")
    assert e.get_ylim()[0] == 0 and "95 % interval over animals" in e.get_ylabel()
    legend = [t.get_text() for t in e.get_legend().get_texts()]
    assert "paper (real data)" in legend and any(t.startswith("chance") for t in legend)
    assert any("synthetic data" in t.get_text() for t in fig.findobj(Text))
    _not_blank(fig)
    _texts_inside(fig)
    supplement = figure3_supplement(out, reference={"Bayes-optimal (synthetic)": 0.84}, data_label="synthetic data")
    assert "not in the paper" in supplement.axes[0].get_title()
    _not_blank(supplement)
    plt.close("all")


@pytest.mark.parametrize("kind", ["spectrogram_to_property", "properties_to_sex", "semiconvolutional"])
def test_schematics_draw_something(kind):
    fig, axes = plt.subplots(1, 4, figsize=(12, 3))
    schematics.recording_setup(axes[0])
    schematics.three_relations(axes[1])
    schematics.property_networks(axes[2], kind)
    net = CallCNN()
    schematics.architecture(axes[3], describe(net), input_shape=net.input_shape)
    texts = " ".join(t.get_text() for t in axes[3].texts)
    assert "conv 3×3 /2" in texts and "FC" in texts and "batch normalisation" in texts
    _not_blank(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="kind must be"):
        schematics.property_networks(plt.gca(), "nonsense")


def test_fig2_has_nine_lettered_panels_with_units_and_the_sex_colours():
    from usvlib.paper.plots import property_distributions
    from usvlib.paper.plots.style import SEX_COLORS
    from usvlib.properties import PAPER_PROPERTIES
    from usvlib.stats import group_differences

    rng = np.random.default_rng(1)
    n = 60
    table = pd.DataFrame({"sex": ["female"] * n + ["male"] * n})
    for p in PAPER_PROPERTIES:
        if p.classes:
            table[p.table_column] = rng.choice(p.classes, 2 * n)
        else:
            table[p.table_column] = rng.normal(0.05 if p.table_unit == "s" else 70_000.0, 0.01, 2 * n).clip(0)
    differences = group_differences(table)
    fig = property_distributions(table, differences)
    panels = [ax for ax in fig.axes if ax.get_label() and ax.get_label() in "ABCDEFGHI"]
    assert [ax.get_label() for ax in panels] == list("ABCDEFGHI") and _letters(fig) == list("ABCDEFGHI")
    by_label = {ax.get_label(): ax for ax in panels}
    assert by_label["A"].get_ylabel() == "duration (ms)" and by_label["B"].get_ylabel() == "mean frequency (kHz)"
    assert all("p = " in ax.get_title() and "δ = " in ax.get_title() for ax in panels)
    colours = {tuple(np.round(p.get_facecolor()[:3], 2)) for ax in panels for p in ax.patches}
    expected = {tuple(np.round(matplotlib.colors.to_rgb(c), 2)) for c in SEX_COLORS.values()}
    assert expected <= colours
    _not_blank(fig)
    _texts_inside(fig)
    plt.close(fig)


def test_typical_examples_are_loud_enough_central_and_from_different_animals():
    from usvlib.paper.examples import typical_examples

    table = pd.DataFrame(
        {
            "usv": range(8),
            "animal": ["a", "a", "a", "b", "b", "c", "c", "c"],
            "sex": ["female"] * 8,
            "duration_s": [0.05, 0.05, 0.3, 0.05, 0.051, 0.049, 0.05, 0.05],
            "mean_freq_hz": [70e3, 70e3, 40e3, 70e3, 71e3, 69e3, 70e3, 70e3],
            "detector_score": [5.0, 4.0, 9.0, 3.0, 6.0, 1.0, 2.0, 7.0],
            "image_did_not_fit": [False, False, False, False, False, False, False, True],
        }
    )
    chosen = typical_examples(table, "sex", per_value=3)
    # usv 7 does not fit the canvas, 5 and 6 are below the median score, 2 is far from typical;
    # of the rest, one per animal before a second: 0 (a) and 4 (b) before 1 (a again)
    assert chosen.usv.tolist() == [0, 4, 1] and set(chosen._value) == {"female"}
    assert typical_examples(table, "sex", per_value=3).equals(chosen)  # no randomness


def test_fig1_has_the_papers_five_panels(tmp_path):
    from usvlib.paper.plots.figure1 import figure1

    rng = np.random.default_rng(0)
    image = rng.random((100, 100)).astype(np.float32)
    clip = Path(__file__).parents[1] / "fixtures" / "amvoc" / "1" / "rec_1.wav"
    calls = pd.DataFrame({"onset_s": [0.1, 0.5], "offset_s": [0.15, 0.6]})
    fig = figure1(
        examples={"female": [(image, "f1"), (image, "f2")], "male": [(image, "m1"), (image, "m2")]},
        segmentation={"path": str(clip), "t0_s": 0.0, "t1_s": 1.0, "detected": calls, "truth": calls, "title": "x"},
        label_examples=[("peaks", 0, image), ("peaks", 1, image), ("tremolo", 1, image)],
        labels_are_human=True,
        rate_khz=250,
        data_label="synthetic data",
    )
    assert _letters(fig) == list("ABCDE")
    c = next(ax for ax in fig.axes if ax.get_label() == "C")
    assert c.get_ylabel() == "frequency (kHz)" and "(ms)" in c.get_xlabel()
    b = next(ax for ax in fig.axes if ax.get_label() == "B")
    (shown,) = b.images
    x0, x1, y0, y1 = shown.get_extent()
    assert (x0, x1) == (0.0, 250.0) and y0 == pytest.approx(10.2) and y1 > 149
    _not_blank(fig)
    _texts_inside(fig)
    plt.close(fig)


def test_fig4_has_the_papers_eleven_panels():
    from usvlib.paper.plots.figure4 import figure4

    def row(name, mean):
        return {"model": name, "mean": mean, "sd": 0.05, "ci_low": mean - 0.05, "ci_high": mean + 0.05}

    labels = ["direction", "peaks", "breaks", "broadband", "tremolo", "complex"]
    out = SimpleNamespace(
        property_networks=pd.DataFrame({"property": labels, "mean": 0.6, "sd": 0.05, "chance": 0.5}),
        property_values=pd.DataFrame(
            [{"property": p, "value": v, "accuracy": 0.6, "share": 0.5} for p in labels for v in (0, 1)]
        ),
        table=pd.DataFrame(
            [
                row("properties -> sex, DNN", 0.58),
                row("properties -> sex, ridge", 0.59),
                row("properties -> sex, SVM", 0.57),
                row("semi-convolutional DNN", 0.66),
            ]
        ),
        ridge_weights=pd.DataFrame({"property": ["duration_s", "volume"], "weight": [0.1, 0.05], "sd": [0.01, 0.02]}),
    )
    fig = figure4(
        out,
        spectrogram_dnn=row("spectrogram DNN", 0.69),
        paper={"property_range": (0.57, 0.82), "properties_dnn": 0.596, "semiconv": 0.64},
        data_label="synthetic data",
    )
    assert _letters(fig) == list("ABCDEFGHIJK")
    i = next(ax for ax in fig.axes if ax.get_label() == "I")
    assert [t.get_text() for t in i.get_xticklabels()] == ["duration", "volume"]
    _not_blank(fig)
    _texts_inside(fig)
    plt.close(fig)


def test_fig5_has_two_panels_with_intervals_over_animals_only():
    from usvlib.paper.plots.figure5 import figure5

    animals = ["a1", "a2", "b1"]
    table = pd.DataFrame(
        [
            {"model": "across animals", "mean": 0.69, "sd": 0.1, "ci_low": 0.6, "ci_high": 0.76},
            {"model": "random split", "mean": 0.77, "sd": 0.02, "ci_low": 0.72, "ci_high": 0.81},
        ]
    )
    out = SimpleNamespace(
        table=table,
        identity_confusion=pd.DataFrame(np.eye(3) * 10 + 1, index=animals, columns=animals),
        identity_stats={"accuracy": 0.3, "ci_low": 0.2, "ci_high": 0.4, "p_value": 0.001, "chance": 1 / 3},
    )
    fig = figure5(out, paper={"across animals": 0.767, "random split": 0.85}, data_label="synthetic data")
    assert _letters(fig) == ["A", "B"]
    a = next(ax for ax in fig.axes if ax.get_label() == "A")
    assert "95 % interval over animals" in a.get_ylabel() and a.get_ylim()[0] == 0
    _not_blank(fig)
    _texts_inside(fig)
    plt.close(fig)


def _per_layer(layers, **key_values) -> pd.DataFrame:
    """A per-layer table (mean, 2 SEM) for each combination of one key's values."""
    ((key, values),) = key_values.items() if key_values else (("_", [""]),)
    rows = [
        {"layer": layer, key: v, "mean": 0.3 + 0.05 * i, "two_sem": 0.02}
        for v in values
        for i, layer in enumerate(layers)
    ]
    return pd.DataFrame(rows)


def test_fig6_has_the_papers_seven_panels():
    from usvlib.paper.plots.network import network_analysis

    layers = ["conv1", "conv2", "conv3", "conv4", "fc1"]
    rng = np.random.default_rng(0)
    example = {
        "image": rng.random((100, 100)),
        "activations": {layer: rng.random((4, 10, 10)) for layer in layers},
        "reconstructions": {layer: rng.standard_normal((100, 100)) for layer in layers},
    }
    out = SimpleNamespace(
        classes=("female", "male"),
        layers=layers,
        examples={"female": example, "male": example},
        fraction_active=_per_layer(layers, group=["female", "male"]),
        correlations=_per_layer(layers, pairs=["within_female", "within_male", "across"]),
        unit_similarity=_per_layer(layers, series=[""]).drop(columns="series"),
        reconstruction=_per_layer(layers, series=[""]).drop(columns="series"),
        network=SimpleNamespace(fold=["Rfem_0"], analysed_network=np.array([0.7]), sex_dnn=np.array([0.72])),
    )
    fig = network_analysis(out, synthetic=True)
    assert _letters(fig) == list("ABCDEFG")
    assert "synthetic data" in fig._suptitle.get_text() and "2 SEM" in fig._suptitle.get_text()
    _not_blank(fig)
    _texts_inside(fig)
    plt.close(fig)


def test_fig7_has_the_papers_eight_panels():
    from usvlib.paper.plots.space import usv_space

    rng = np.random.default_rng(1)
    n = 200
    group = np.where(np.arange(n) % 2, "male", "female")
    points = pd.DataFrame(
        {
            "x": rng.standard_normal(n),
            "y": rng.standard_normal(n),
            "z": rng.standard_normal(n),
            "group": group,
            "p_positive": rng.random(n),
            "in_male_cluster": np.arange(n) < 20,
            "mean_freq_hz": rng.uniform(50e3, 90e3, n),
            "freq_range_hz": rng.uniform(1e3, 30e3, n),
            "duration_s": rng.uniform(0.01, 0.1, n),
        }
    )
    columns = ["mean_freq_hz", "freq_range_hz", "duration_s"]
    out = SimpleNamespace(
        points=points,
        classes=("female", "male"),
        examples_in=np.array([1, 3, 5]),
        examples_out=np.array([0, 7, 9]),
        per_animal=pd.DataFrame({"animal": ["f1", "m1"], "group": ["female", "male"], "n_usvs": [2, 18]}),
        n_males_present=1,
        settings={"n_males": 1},
        properties=pd.DataFrame({"male_cluster": points[columns].median(), "elsewhere": points[columns].median()}),
        confident_fraction=0.3,
        knn_purity_confident=0.7,
        knn_purity_all=0.6,
        precision=0.8,
        recall=0.8,
        n_usvs=20,
        male_share=0.9,
    )
    fig = usv_space(out, rng.random((n, 100, 100)), synthetic=True)
    assert _letters(fig) == list("ABCDEFGH")
    assert "synthetic data" in fig._suptitle.get_text()
    _not_blank(fig)
    _texts_inside(fig)
    plt.close(fig)


def test_fig8_has_three_panels_and_p_values_clear_of_the_bars():
    from usvlib.paper.plots.strain import strain

    animals = ["control01", "control02", "cortexless01", "cortexless02"]
    groups = ["control", "control", "cortexless", "cortexless"]
    rows = [
        {
            "model": m,
            "split": s,
            "mean": 0.55,
            "ci_low": 0.45,
            "ci_high": 0.65 + 0.1 * (s == "random_split"),
            "p_value": 0.1,
        }
        for m in ("dnn", "ridge", "svm")
        for s in ("across_animals", "random_split", "shuffled")
    ]
    out = SimpleNamespace(
        classes=("control", "cortexless"),
        counts=pd.DataFrame({"group": groups, "recording": animals, "animal": animals, "n_usvs": [100, 80, 120, 90]}),
        table=pd.DataFrame(rows),
        oracle=0.6,
        per_animal=pd.DataFrame({"group": groups, "animal": animals, "accuracy": [0.4, 0.5, 0.7, 0.6]}),
        identity_stats={"accuracy": 0.13, "ci_low": 0.08, "ci_high": 0.2, "p_value": 0.0005, "chance": 0.04},
    )
    fig = strain(out, synthetic=True, supported=False)
    assert _letters(fig) == ["A", "B", "C"]
    b = next(ax for ax in fig.axes if ax.get_label() == "B")
    assert b.get_ylim()[0] == 0
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in b.texts if t.get_text().startswith("p=")]
    assert len(labels) == 9
    caps = max(line.get_window_extent(renderer).y1 for line in b.lines if len(line.get_xdata()))
    # every p-value starts above the tallest error bar of the panel's model groups here (0.75)
    assert min(t.get_window_extent(renderer).y0 for t in labels) >= b.transData.transform((0, 0.75))[1] - 1
    assert caps > 0
    c = next(ax for ax in fig.axes if ax.get_label() == "C")
    assert "which mouse" not in c.get_title().lower()
    _not_blank(fig)
    _texts_inside(fig)
    plt.close(fig)
