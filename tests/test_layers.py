"""The core never imports the paper layer or the synthetic data generator."""

import ast
from pathlib import Path

import usvlib

PACKAGE = Path(usvlib.__file__).parent
ENTRY_POINTS = {"cli.py", "commands.py", "__main__.py"}  # the command line ties every layer together


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)  # from usvlib import paper
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_core_modules_import_neither_paper_nor_synth():
    core = [p for p in PACKAGE.rglob("*.py") if p.parts[len(PACKAGE.parts)] not in ("paper", "synth")]
    core = [p for p in core if p.name not in ENTRY_POINTS or p.parent != PACKAGE]
    assert len(core) > 15
    for path in core:
        bad = {m for m in _imports(path) if m.startswith(("usvlib.paper", "usvlib.synth"))}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_synth_does_not_import_the_paper_layer():
    for path in (PACKAGE / "synth").glob("*.py"):
        bad = {m for m in _imports(path) if m.startswith("usvlib.paper")}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_no_module_is_much_over_400_lines():
    sizes = {p.relative_to(PACKAGE).as_posix(): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert max(sizes.values()) <= 450, {k: v for k, v in sizes.items() if v > 450}


def test_the_public_names_resolve():
    for name in usvlib.__all__:
        assert getattr(usvlib, name) is not None, name
