"""How much synthetic data to generate: the size of a dataset, apart from the model itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SynthScale:
    """How much synthetic data a profile generates (the model itself is in ``usvlib.synth``).

    Attributes
    ----------
    sex_recording_s : float
        Length of each of the 18 sex-experiment recordings (the paper's are ≈180 s).
    calls_per_s : float
        Mean calling rate of a mouse; mice vary around it (see ``SynthModel.rate_sd_log``).
        3.27 calls/s gives the paper's ≈10 000 USVs from 17 mice × 180 s.
    n_cortexless, n_control : int
        Mice of the strain experiment (Hammerschmidt et al. 2015 recorded 23 adult males;
        the split between groups inside the Donders zip is not known).
    strain_recording_s : float
        Length of each strain-experiment recording.
    """

    sex_recording_s: float
    calls_per_s: float
    n_cortexless: int
    n_control: int
    strain_recording_s: float
