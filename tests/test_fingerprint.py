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


def test_the_runs_keys_leave_out_what_only_records_or_draws():
    """Editing a figure's record function or a plot never retrains: neither is in the runners'
    fingerprints, which do include the networks and the training."""
    import inspect

    from usvlib.paper import runners

    network = inspect.getsource(runners.network_code)
    for part in ("cnn", "mlp", "train_module", "load_study", "network_cv"):
        assert part in network
    for source in (inspect.getsource(f) for f in (runners.network_code, runners.linear_code, runners.reference_code)):
        assert "fig3" not in source and "plots" not in source and "record" not in source
