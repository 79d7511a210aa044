"""Training schedules as plain data (no torch import): profiles hold them, ``usvlib.train`` runs them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    epochs: int
    lr: float
    dropout: float = 0.0


@dataclass(frozen=True)
class Schedule:
    """How a network is trained."""

    stages: tuple[Stage, ...]
    batch_size: int = 64
    augment: bool = True
    weight_decay: float = 0.0
    shift_fraction: float = 0.10
    gain: tuple[float, float] = (0.5, 1.5)
    noise_sd: float = 0.05  # additive noise, in units of the images' standard deviation
    freq_shift_fraction: float = 0.0  # not in the paper: a random shift along frequency (see train)
    select_on_validation: bool = True

    @property
    def epochs(self) -> int:
        return sum(s.epochs for s in self.stages)


PAPER_SCHEDULE = Schedule(stages=(Stage(40, 1e-3, 0.0), Stage(25, 1e-4, 0.5), Stage(25, 1e-5, 0.7)))
