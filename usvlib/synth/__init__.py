"""A generative model of mouse USVs that writes datasets in the Donders layout.

``model`` holds every distribution, ``population`` draws mice and calls, ``render`` makes the
sound, ``oracle`` computes the Bayes-optimal accuracy, ``generate`` writes a dataset.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def generator_fingerprint() -> str:
    """A hash of the generator's source: a dataset made by other code is regenerated."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
