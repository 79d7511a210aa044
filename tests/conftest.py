"""Shared fixtures: small synthetic datasets generated once per test session."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from usvlib.paper.profiles import get_profile
from usvlib.synth.scale import SynthScale

# the tests use their own cache folder, never the project's data/cache; one per pytest-xdist
# worker, so that two processes never build the same cache file at once
os.environ.setdefault(
    "USVLIB_CACHE",
    str(Path(__file__).parent.parent / "build" / "test-cache" / os.environ.get("PYTEST_XDIST_WORKER", "main")),
)

SHARED_TRAINING = pytest.mark.xdist_group("quick-training")
"""Tests that reuse the networks others trained in the session's cache (Fig 3's, Fig 6's): in one
pytest-xdist worker, in file order, so the cache they share is one folder."""

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

TINY = dataclasses.replace(
    get_profile("quick"),
    name="quick",
    synth=SynthScale(sex_recording_s=2.0, calls_per_s=3.27, n_cortexless=1, n_control=1, strain_recording_s=1.0),
)
"""A few seconds of audio per mouse: for tests of layout, bytes and bad input."""


@pytest.fixture(scope="session")
def quick_dataset(tmp_path_factory) -> Path:
    """The quick profile's synthetic dataset (≈1 500 USVs), generated once."""
    from usvlib.synth.generate import generate_dataset

    quick = get_profile("quick")
    return generate_dataset(
        tmp_path_factory.mktemp("quick") / "data", quick.synth, seed=quick.seed, name="quick", workers=2
    )


@pytest.fixture(scope="session")
def tiny_dataset_master(tmp_path_factory) -> Path:
    from usvlib.synth.generate import generate_dataset

    return generate_dataset(
        tmp_path_factory.mktemp("tiny") / "data", TINY.synth, seed=TINY.seed, name=TINY.name, workers=1
    )


@pytest.fixture
def tiny_dataset(tiny_dataset_master, tmp_path) -> Path:
    """A private copy of a tiny synthetic dataset, free to damage."""
    return Path(shutil.copytree(tiny_dataset_master, tmp_path / "data"))


def pytest_configure(config):
    """Refuse --dist loadgroup where pytest-xdist silently keeps no group: pytest-xdist 3.8 with
    pytest >= 9.2 (pytest-xdist#1386). The shared-training tests would then train the same
    networks twice, in two processes, and make test would run minutes longer."""
    if getattr(config.option, "dist", "no") != "loadgroup" or hasattr(config, "workerinput"):
        return
    from importlib.metadata import version

    from packaging.version import Version

    pytest_version, xdist_version = Version(version("pytest")), Version(version("pytest-xdist"))
    if pytest_version >= Version("9.2") and xdist_version <= Version("3.8.0"):
        raise pytest.UsageError(
            f"pytest {pytest_version} with pytest-xdist {xdist_version} ignores --dist loadgroup "
            "(pytest-xdist#1386): install the versions of requirements.lock with make env"
        )
