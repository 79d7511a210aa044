"""A generative model of mouse USVs that writes datasets in the Donders layout.

``model`` holds every distribution, ``population`` draws mice and calls, ``render`` makes the
sound, ``oracle`` computes the Bayes-optimal accuracy, ``generate`` writes a dataset.
"""

GENERATOR_VERSION = 3
"""Bumped whenever the rendering changes, so cached datasets are regenerated."""
