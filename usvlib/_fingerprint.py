"""Hashes of code, for cache keys: what the code does, not how it is documented.

A cache key holds the fingerprint of exactly the modules and functions that define the cached
computation. The fingerprint is taken of their syntax tree with every docstring (and every other
bare string statement) left out, so editing a docstring or a comment keeps the cache, while
editing a line of code, a default or a constant makes a new one.
"""

from __future__ import annotations

import ast
import hashlib
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
