"""Cross-validation as the paper did it: folds, runners, the fold cache, shuffled controls.

* **Splits.** ``leave_one_animal_out`` (the 77 %: every USV of one mouse is the test set, 17
  folds) and ``random_folds`` (the 85 %: USVs shuffled with seed 0, 10 folds, so every mouse is
  in training and test). Training animals give a validation set (one animal of each class) for
  the budgeted schedules; the test animal never does.
* **Controls.** ``shuffled_labels`` permutes the labels over all USVs (seeded): a classifier
  trained on them must sit at chance. ``shuffled_animal_labels`` permutes whole animals'
  classes: individual voices stay learnable, so it shows what they alone could give.
* **Metric.** Balanced accuracy (mean of the per-class accuracies; chance 50 %). Across animals
  each fold holds one animal of one class, so a fold's score is that animal's accuracy; results
  are the mean +- SD over folds, as in the paper.
* **Cache.** ``cross_validate`` stores each fold's predictions as soon as it is done, under a
  key made of the task's configuration, the folds and the fingerprint of the code that defines
  the fit (given by the caller: ``usvlib._fingerprint.code_fingerprint`` of its functions),
  written atomically; an interrupted run resumes with the folds not yet done, a changed
  configuration or code starts afresh. The summaries are computed afresh from the predictions,
  so their code is not part of the key.
"""

from __future__ import annotations

from usvlib.crossval.folds import (
    Fold,
    first_folds_of_each_class,
    grouped_folds,
    leave_one_animal_out,
    random_folds,
    shuffled_animal_labels,
    shuffled_labels,
    validation_split,
)
from usvlib.crossval.runner import CVResult, cached_runs, config_key, cross_validate, run_folder, split_fingerprint
from usvlib.crossval.summaries import (
    average_repeats,
    class_balanced_mean,
    per_animal_accuracy,
    side_by_side,
    summary_row,
)

__all__ = [
    "CVResult",
    "Fold",
    "average_repeats",
    "cached_runs",
    "class_balanced_mean",
    "config_key",
    "cross_validate",
    "first_folds_of_each_class",
    "grouped_folds",
    "leave_one_animal_out",
    "per_animal_accuracy",
    "random_folds",
    "run_folder",
    "shuffled_animal_labels",
    "shuffled_labels",
    "side_by_side",
    "split_fingerprint",
    "summary_row",
    "validation_split",
]
