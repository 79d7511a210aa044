"""Figures: each function takes library results and returns a matplotlib Figure.

Notebooks call these and save the figure; no computation lives here beyond what drawing needs.
``data`` draws the dataset, detection and properties (Figs 0-2), ``classifiers`` the
classifiers' results (Figs 3-5), ``network`` the network's internals (Fig 6), ``space`` the
space of USVs (Fig 7), ``strain`` Fig 8; all are re-exported here.
"""

from __future__ import annotations

from usvlib.paper.plots.classifiers import (
    confusion,
    filters,
    learning_curve,
    model_comparison,
    per_animal_bars,
    property_network_accuracy,
    ridge_weights,
)
from usvlib.paper.plots.data import (
    busiest_stretch,
    call_type_gallery,
    calls_per_animal,
    detected_vs_reference_counts,
    detection_scores,
    examples_per_value,
    image_grid,
    oracle_per_animal,
    property_distributions,
    recording_excerpts,
    segmentation,
    spectrogram_panel,
)
from usvlib.paper.plots.network import network_analysis, saliency_maps
from usvlib.paper.plots.space import rotating_view, usv_space, usv_space_supplement
from usvlib.paper.plots.strain import strain
from usvlib.paper.plots.style import GROUP_COLORS, SEX_COLORS, apply_style, identity_text

__all__ = [
    "GROUP_COLORS",
    "SEX_COLORS",
    "apply_style",
    "busiest_stretch",
    "call_type_gallery",
    "calls_per_animal",
    "confusion",
    "detected_vs_reference_counts",
    "detection_scores",
    "examples_per_value",
    "filters",
    "identity_text",
    "image_grid",
    "learning_curve",
    "model_comparison",
    "network_analysis",
    "oracle_per_animal",
    "per_animal_bars",
    "property_distributions",
    "property_network_accuracy",
    "recording_excerpts",
    "ridge_weights",
    "rotating_view",
    "saliency_maps",
    "segmentation",
    "spectrogram_panel",
    "strain",
    "usv_space",
    "usv_space_supplement",
]
