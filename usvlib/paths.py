"""Where the project keeps data, caches and outputs.

Inside a checkout (``pip install -e .``) everything lives under the checkout: ``data/``
(synthetic datasets, caches), ``figures/`` and ``results/`` (the committed default run) and
``build/`` (every other run). Installed elsewhere, the current folder plays that role. The
environment variables ``USVLIB_DATA`` and ``USVLIB_CACHE`` move the data and cache folders.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout that holds this package, or the current folder.

    Returns
    -------
    Path
        The folder above the package when it holds ``pyproject.toml`` (an editable install), else
        the current working folder.
    """
    here = Path(__file__).resolve().parent.parent
    return here if (here / "pyproject.toml").is_file() else Path.cwd()


def data_dir() -> Path:
    """``data/`` of the project (``$USVLIB_DATA`` overrides).

    Returns
    -------
    Path
        ``$USVLIB_DATA`` where it is set, else ``data/`` below :func:`project_root`; not created here.
    """
    env = os.environ.get("USVLIB_DATA")
    return Path(env) if env else project_root() / "data"


def cache_dir() -> Path:
    """``data/cache/`` (``$USVLIB_CACHE`` overrides).

    Returns
    -------
    Path
        ``cache/`` below :func:`data_dir` (so ``$USVLIB_DATA`` moves it too); not created here.
    """
    env = os.environ.get("USVLIB_CACHE")
    return Path(env) if env else data_dir() / "cache"


def synthetic_dir(profile: str) -> Path:
    """Where the synthetic dataset of a profile is generated.

    Parameters
    ----------
    profile : str
        The profile's name (``"quick"``, ``"default"``, ``"paper"``).

    Returns
    -------
    Path
        ``data/synthetic/<profile>`` below :func:`data_dir`.
    """
    return data_dir() / "synthetic" / profile


def notebooks_dir() -> Path:
    """The project's ``notebooks/`` folder.

    Returns
    -------
    Path
        Below :func:`project_root`.
    """
    return project_root() / "notebooks"


def reference_clips_dir() -> Path:
    """Real clips with manual labels shipped with the project (AMVOC, MIT licence).

    Returns
    -------
    Path
        ``tests/fixtures/amvoc`` below :func:`project_root`: one folder per clip, holding the
        recording and the call lists of the manual labels and of other tools.
    """
    return project_root() / "tests" / "fixtures" / "amvoc"
