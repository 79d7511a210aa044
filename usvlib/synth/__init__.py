"""A generative model of mouse USVs that writes datasets in the Donders layout.

``model`` holds every distribution, ``scale`` the size of a dataset, ``population`` draws mice
and calls, ``render`` makes the sound, ``oracle`` computes the Bayes-optimal accuracy,
``generate`` writes a dataset; ``diagnostics`` compares classifiers with what the generator
knows (the learnable ceiling, per-family accuracy).

The core library never imports this package; the paper layer does.
"""

from __future__ import annotations

from usvlib._fingerprint import dependency_fingerprint


def generator_fingerprint() -> str:
    """A hash of the generator's code and all it uses (docstrings left out): a dataset made by
    other code is regenerated. The diagnostics are not part of it: they read a dataset, they do
    not make it."""
    from usvlib.synth.generate import generate_dataset

    return dependency_fingerprint(generate_dataset)
