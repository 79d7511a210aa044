"""Run profiles: one place that says how big and how long a run is.

A profile is plain data. The library reads it, the reproduction runner passes its name to every
notebook as a papermill parameter, and one seed in it drives data generation, splits and training.

========  ==========================================================================
quick     tests and CI: a ≈1 500-USV synthetic dataset, minutes for everything
default   the README's ``make reproduce`` on a laptop CPU: the paper's scale
          (17 used mice, ≈10 000 USVs, 180 s recordings)
paper     the paper's exact network and schedule (GPU); same data scale as default
========  ==========================================================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from usvlib.errors import ConfigError
from usvlib.schedule import PAPER_SCHEDULE, Schedule, Stage
from usvlib.synth.scale import SynthScale


@dataclass(frozen=True)
class TrainingSettings:
    """How the classifiers of Figs 3-5 are trained and evaluated in a profile.

    Attributes
    ----------
    network : {"efficient", "paper"}
        The CNN on images (``usvlib.models.cnn``).
    dnn_input : {"images", "calls"}
        What the sex (and strain) network of Figs 3 and 5 reads: the 100 x 100 canvas images, as
        the paper, or the call images (``usvlib.call_images``, with ``models.cnn.CallCNN``;
        efficient network only). The property and animal-identity networks read the images:
        their targets include a call's duration and frequency, which call images leave out.
    schedule : Schedule
        For the CNNs (the paper's 3-stage schedule in the paper profile).
    small_schedule : Schedule
        For the networks on properties and sequences (cheap: more epochs; in the CPU profiles
        batches of 256, since their steps are dominated by fixed costs).
    control_every : int
        The breaks control runs on every n-th leave-one-animal-out fold (1 = all); the
        shuffled-label controls always run on every fold.
    random_folds : int
        Folds of the random split (the paper: 10).
    grouped_folds : int
        Folds grouped by animal for the property networks.
    identity_folds : int
        Random folds of the animal-identity network.
    linear_max_train : int or None
        Class-balanced training examples of ridge and SVM on pixels (None: all, as the paper).
    reference_iterations : int
        Boosting iterations of the reference classifiers (``paper.references.reference_cv``).
    threads : int
        torch and BLAS threads of every fold of a cross-validation. The results of a fold depend
        on it (floating-point sums are split among threads), not on ``workers``.
    workers : int or None
        Folds trained at once, each in a process of its own (None: one per CPU this process may
        use, at most 8). The CPU networks are small: two folds on one thread each train 1.56
        times as fast as one fold on two threads (``benchmarks/fold_workers.py``).
    paper_filters : int
        Filters of every convolution of ``models.cnn.PaperCNN`` (the paper: 256).
    analysis_filters : int
        Filters of the paper-shaped network dissected in Fig 6 (6 conv + 3 FC layers, BN + ReLU,
        on the 100 x 100 images): the paper's 256 in the paper profile, 32 on a CPU.
    analysis_folds_per_class : int
        Leave-one-animal-out folds that network is trained on, per class: the first female (the
        paper's representative fold) and the first male, and so on.
    analysis_stimuli : int
        Stimuli per class each analysed network is shown (from animals it was not fitted on).
    monitor_every : int
        Iterations (weight updates) between two points of the example fold's learning curve
        (Fig 3B: test accuracy and weight change).
    control_repeats : int
        Repeats of the DNN's per-USV shuffled-label control (the paper's), each a new
        permutation.
    animal_control_repeats : int
        Repeats of the DNN's animal-level shuffle (whole animals relabelled).
    linear_control_repeats : int
        Repeats of ridge's and the SVM's shuffled-label controls.
    seed_repeats : int
        Training seeds of the headline DNN accuracies (Fig 3 across animals, Fig 5's random
        split, Fig 8): the profile's seed and the next ones; their mean and SD are recorded.
    """

    network: str
    schedule: Schedule
    small_schedule: Schedule
    control_every: int = 1
    random_folds: int = 10
    grouped_folds: int = 5
    identity_folds: int = 5
    linear_max_train: int | None = None
    reference_iterations: int = 100
    threads: int = 1
    workers: int | None = None
    dnn_input: str = "images"
    paper_filters: int = 256
    analysis_filters: int = 32
    analysis_folds_per_class: int = 1
    analysis_stimuli: int = 150
    monitor_every: int = 10
    control_repeats: int = 1
    animal_control_repeats: int = 1
    linear_control_repeats: int = 1
    seed_repeats: int = 1

    def __post_init__(self):
        if self.dnn_input not in ("images", "calls"):
            raise ConfigError(f"dnn_input must be 'images' or 'calls', got {self.dnn_input!r}")
        if self.dnn_input == "calls" and self.network != "efficient":
            raise ConfigError("call images are read by the efficient network only: use dnn_input='images'")


@dataclass(frozen=True)
class Profile:
    """Everything that differs between a quick check and the full reproduction."""

    name: str
    seed: int
    synth: SynthScale
    description: str
    training: TrainingSettings = None  # type: ignore[assignment]

    def papermill_parameters(self) -> dict:
        """The parameters every notebook receives for this profile (besides paths)."""
        return {"profile": self.name, "seed": self.seed}


_DEFAULT_SCALE = SynthScale(
    sex_recording_s=180.0,
    calls_per_s=3.27,
    n_cortexless=12,
    n_control=11,
    strain_recording_s=45.0,
)

_DEFAULT_TRAINING = TrainingSettings(
    network="efficient",
    # one epoch at 3e-3 and one at 3e-4: in the 17 folds of the 2 + 1 epoch schedule, the
    # validation animals' balanced accuracy peaked after the first epoch (0.620, then 0.605 and
    # 0.607; 10 folds kept it), so a third epoch cost a third of every training for nothing
    schedule=Schedule(stages=(Stage(1, 3e-3, 0.2), Stage(1, 3e-4, 0.2))),
    small_schedule=Schedule(stages=(Stage(5, 3e-3, 0.2), Stage(1, 3e-4, 0.2)), augment=False, batch_size=256),
    control_every=1,
    random_folds=10,
    grouped_folds=5,
    identity_folds=3,
    linear_max_train=2000,
    dnn_input="calls",
    control_repeats=3,
    linear_control_repeats=3,  # 5 cost 2.3 min more in the 25-minute budget (paper profile: 20)
    seed_repeats=3,
)
"""The default profile's training (measured at ≈10 min on 2 cores); quick trains less of it."""

PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        seed=0,
        synth=SynthScale(
            sex_recording_s=27.0,
            calls_per_s=3.27,
            n_cortexless=4,
            n_control=4,
            strain_recording_s=10.0,
        ),
        description="tests and CI: ≈1 500 synthetic USVs, every notebook in minutes",
        training=dataclasses.replace(
            _DEFAULT_TRAINING,
            small_schedule=dataclasses.replace(
                _DEFAULT_TRAINING.small_schedule, stages=(Stage(8, 3e-3, 0.2), Stage(2, 3e-4, 0.2))
            ),
            random_folds=5,
            grouped_folds=3,
            linear_max_train=600,
            reference_iterations=40,
            control_every=6,
            monitor_every=5,  # ≈ 40 iterations in all
            control_repeats=2,
            linear_control_repeats=2,
            seed_repeats=2,
        ),
    ),
    "default": Profile(
        name="default",
        seed=0,
        synth=_DEFAULT_SCALE,
        description="laptop CPU: the paper's data scale, budgeted training",
        training=_DEFAULT_TRAINING,
    ),
    "paper": Profile(
        name="paper",
        seed=0,
        synth=_DEFAULT_SCALE,
        description="the paper's exact network and 90-epoch schedule (GPU)",
        training=TrainingSettings(
            network="paper",
            schedule=dataclasses.replace(PAPER_SCHEDULE, select_on_validation=False),
            small_schedule=Schedule(
                stages=(Stage(40, 1e-3, 0.0), Stage(25, 1e-4, 0.5), Stage(25, 1e-5, 0.7)),
                augment=False,
                select_on_validation=False,
            ),
            control_every=1,
            random_folds=10,
            grouped_folds=17,
            identity_folds=10,
            linear_max_train=None,
            analysis_filters=256,
            analysis_folds_per_class=8,
            control_repeats=10,
            animal_control_repeats=10,
            linear_control_repeats=20,
            seed_repeats=5,
            threads=2,
            workers=1,  # one network of 23 M parameters at a time
        ),
    ),
}


def get_profile(profile: str | Profile) -> Profile:
    """Return the profile called ``profile`` (a :class:`Profile` is returned unchanged)."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        names = ", ".join(PROFILES)
        raise ConfigError(f"unknown profile {profile!r}: choose one of {names}") from None


def with_seed(profile: str | Profile, seed: int) -> Profile:
    """A copy of ``profile`` with another seed."""
    return dataclasses.replace(get_profile(profile), seed=int(seed))
