"""Hashes of code, for cache keys: what the code does, not how it is documented.

A cache key holds the fingerprint of the code that defines the cached computation: its roots and
everything in usvlib they use, found by following the names in their syntax trees
(``dependency_fingerprint``), so that no helper, model or constant it relies on is forgotten by
a hand-kept list. The fingerprint is taken of syntax trees with every docstring (and every other
bare string statement) left out: editing a docstring or a comment keeps the cache, editing a
line of code, a default or a constant makes a new one.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import textwrap


def _without_strings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [
                s
                for s in body
                if not (
                    isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)
                )
            ]
            node.body = kept or [ast.Pass()]
    return tree


def code_fingerprint(*objects) -> str:
    """A 12-character hash of the code of modules, classes and functions (docstrings left out).

    Parameters
    ----------
    *objects : module, class or function
        In a fixed order: the order is part of the hash.

    Returns
    -------
    str
        Hex digest; equal for code that differs only in docstrings, comments or layout.
    """
    digest = hashlib.sha256()
    for obj in objects:
        source = textwrap.dedent(inspect.getsource(obj))
        digest.update(getattr(obj, "__qualname__", getattr(obj, "__name__", "")).encode())
        digest.update(ast.dump(_without_strings(ast.parse(source))).encode())
    return digest.hexdigest()[:12]


def _imports(tree: ast.AST) -> dict[str, tuple[str, str | None]]:
    """Local name -> (usvlib module, attribute or None for the module itself)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("usvlib"):
            for alias in node.names:
                found[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("usvlib.") and alias.asname:
                    found[alias.asname] = (alias.name, None)
    return found


def _resolve(module: str, attr: str | None):
    mod = importlib.import_module(module)
    if attr is None:
        return mod
    if hasattr(mod, attr):
        return getattr(mod, attr)
    return importlib.import_module(f"{module}.{attr}")  # a submodule imported by name


def _assignment(module, name: str) -> ast.stmt | None:
    """The module-level assignment of ``name`` (a constant), or None."""
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return node
    return None


def _is_code(obj) -> bool:
    return inspect.ismodule(obj) or inspect.isfunction(obj) or inspect.isclass(obj)


def _walk(roots, exclude) -> tuple[dict[str, object], dict[str, str]]:
    """The code objects (by ``module.qualname``) and module-level constants ``roots`` use."""
    skip = {id(obj) for obj in exclude}
    seen: dict[str, object] = {}
    constants: dict[str, str] = {}
    # work items: (object, None) for code; (module, assignment) for a module-level constant
    stack: list[tuple[object, ast.stmt | None]] = [(obj, None) for obj in roots]
    while stack:
        obj, assignment = stack.pop()
        module = obj if inspect.ismodule(obj) else inspect.getmodule(obj)
        if id(obj) in skip or module is None or not module.__name__.startswith("usvlib."):
            continue
        module_tree = ast.parse(inspect.getsource(module))
        if assignment is not None:
            key = f"{module.__name__}:{ast.dump(assignment)}"
            if key in constants:
                continue
            constants[key] = ast.dump(assignment)
            tree, imported = assignment, _imports(module_tree)
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        else:
            key = module.__name__ if inspect.ismodule(obj) else f"{module.__name__}.{obj.__qualname__}"
            if key in seen:
                continue
            seen[key] = obj
            tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
            imported = {**_imports(module_tree), **_imports(tree)}
            used = set(imported) if inspect.ismodule(obj) else {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        for name in sorted(used):
            if name in imported:
                target = _resolve(*imported[name])
                # a constant imported from elsewhere: its whole module (it may be built from others)
                stack.append((target if _is_code(target) else importlib.import_module(imported[name][0]), None))
            elif (assignment is not None or not inspect.ismodule(obj)) and name in vars(module):
                target = vars(module)[name]
                if inspect.isfunction(target) or inspect.isclass(target):
                    stack.append((target, None))
                elif (node := _assignment(module, name)) is not None:
                    stack.append((module, node))
    return seen, constants


def dependencies(*roots, exclude=()) -> list[str]:
    """What :func:`dependency_fingerprint` covers.

    Parameters
    ----------
    *roots : module, class or function
    exclude : iterable
        Objects not to follow.

    Returns
    -------
    list of str
        ``module.qualname`` of every function and class, the name of every module taken whole,
        ``module:<assignment>`` of every constant.
    """
    seen, constants = _walk(roots, exclude)
    return sorted(seen) + sorted(constants)


def dependency_fingerprint(*roots, exclude=()) -> str:
    """Fingerprint of ``roots`` and of all the usvlib code they use, transitively.

    A function or class brings in what its body names: the functions, classes and constants of
    its own module (a constant with what its own definition names) and the usvlib names it
    imports, each followed in turn; a module named as a whole (``from usvlib.models import
    cnn``), or the module of an imported constant, brings in all of that module. Only what is
    used counts, so editing another function of the same module keeps the key; docstrings and
    comments never count (:func:`dependencies` lists what is covered).

    Parameters
    ----------
    *roots : module, class or function
        The code that defines the cached computation.
    exclude : iterable
        Objects not to follow (e.g. a computation cached under a key of its own).

    Returns
    -------
    str
    """
    seen, constants = _walk(roots, exclude)
    digest = hashlib.sha256(code_fingerprint(*(seen[k] for k in sorted(seen))).encode())
    for key in sorted(constants):
        digest.update(constants[key].encode())
    return digest.hexdigest()[:12]
