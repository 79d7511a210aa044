from usvlib._fingerprint import code_fingerprint


def _fingerprint_of(source: str, tmp_path, name: str) -> str:
    # inspect.getsource needs a file: write one and import it
    import importlib.util

    folder = tmp_path / name  # one module name, "m", in folders of their own
    folder.mkdir()
    path = folder / "m.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("m", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return code_fingerprint(module)


BASE = """
\"\"\"A module.\"\"\"
SCALE = 2


def f(x):
    \"\"\"Double it.\"\"\"
    return SCALE * x  # why: the paper doubles
"""


def test_docstrings_comments_and_layout_do_not_count(tmp_path):
    base = _fingerprint_of(BASE, tmp_path, "a")
    redocumented = BASE.replace("Double it.", "Twice x, for the figure.").replace("# why: the paper doubles", "")
    assert _fingerprint_of(redocumented, tmp_path, "b") == base
    assert _fingerprint_of(BASE.replace("    return", "\n    return"), tmp_path, "c") == base


def test_code_and_constants_count(tmp_path):
    base = _fingerprint_of(BASE, tmp_path, "d")
    assert _fingerprint_of(BASE.replace("SCALE * x", "SCALE * x + 1"), tmp_path, "e") != base
    assert _fingerprint_of(BASE.replace("SCALE = 2", "SCALE = 3"), tmp_path, "f") != base


MODULE = """
from usvlib.metrics import balanced_accuracy

SCALE = 2
OFFSET = SCALE + 1


def helper(x):
    return OFFSET * x


def unrelated(x):
    return x - 1


def root(x):
    \"\"\"The cached computation.\"\"\"
    return balanced_accuracy([0, 1], [0, 1]) * helper(x)
"""


def _root_fingerprint(source: str, tmp_path, name: str) -> str:
    import importlib.util
    import sys

    from usvlib._fingerprint import dependency_fingerprint

    folder = tmp_path / name
    folder.mkdir()
    path = folder / "m.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("usvlib._fingerprint_probe", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a usvlib module, so that the walk follows it
    try:
        spec.loader.exec_module(module)
        return dependency_fingerprint(module.root)
    finally:
        del sys.modules[spec.name]


def test_a_key_follows_what_its_code_uses_and_nothing_else(tmp_path):
    base = _root_fingerprint(MODULE, tmp_path, "a")
    assert _root_fingerprint(MODULE.replace("The cached computation.", "Redocumented."), tmp_path, "b") == base
    assert _root_fingerprint(MODULE.replace("return x - 1", "return x - 2"), tmp_path, "c") == base  # unused
    assert _root_fingerprint(MODULE.replace("return OFFSET * x", "return OFFSET * x + 1"), tmp_path, "d") != base
    assert _root_fingerprint(MODULE.replace("SCALE = 2", "SCALE = 3"), tmp_path, "e") != base  # via OFFSET


def test_the_runs_keys_cover_the_code_that_defines_them():
    """The networks' key holds the call images, the training's epoch choice (balanced accuracy)
    and the study's inputs; no key holds a figure's analysis, a plot, a record function or the
    detection scores; the extraction's holds the detector only where it found the calls."""
    from usvlib import extract
    from usvlib._fingerprint import dependencies
    from usvlib.paper import runners, study

    network = dependencies(study.load_study, runners.network_cv, exclude=(extract.extract_dataset,))
    for needed in ("usvlib.call_images", "usvlib.metrics.balanced_accuracy", "usvlib.train.fit_network"):
        assert any(d.startswith(needed) for d in network), needed
    truth = dependencies(extract.extract_dataset, extract.read_table, exclude=(extract.detect_file,))
    detect = dependencies(extract.extract_dataset, extract.read_table)
    assert "usvlib.metrics.match_to_truth" in truth and "usvlib.products.recording_products" in truth
    assert not any(d.startswith("usvlib.detect.events") for d in truth)
    assert "usvlib.detect.events.event_columns" in detect
    for keys in (network, truth, detect):
        assert not any(d.startswith(("usvlib.paper.fig", "usvlib.paper.plots", "usvlib.paper.results")) for d in keys)
        assert "usvlib.metrics.score_detections" not in keys
    assert not any(d.startswith("usvlib.extract.") for d in network)  # the study key holds the extraction's
