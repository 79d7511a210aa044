"""The generative model of mouse USVs: every distribution, its parameters and their source.

The model is hierarchical. For each mouse (sex experiment: 10 female + 8 male residents, as the
Donders data; strain experiment: cortexless and control males):

1. **Mouse** ``m`` of sex ``s`` (and strain ``g``) draws a calling rate, a random effect
   ``b_m[k] ~ N(0, mouse_sd[k]^2)`` for every latent dimension ``k`` (its *individual signature*),
   and its own call-family proportions (Dirichlet around the sex's mean). Random effects are
   centred within each sex (and strain), weighted by the mice's calling rates, so that the
   realised sex differences are the designed ones and not an accident of which mice were drawn.
2. **Timing**: calls come in bouts (geometric number of calls, mean 8); gaps inside a bout are
   log-normal (median 57 ms, ln-SD 0.30, at least 20 ms, so two calls never merge under the
   paper's 15 ms rule), gaps between bouts are 0.2 s plus an exponential whose mean gives the
   mouse its rate. Source: the 4 067 C57 syllables of MUPET's example data
   (``shared/realdata/mupet-c57/syllables.csv``: gap median 57.6 ms, 1st percentile 28.8 ms,
   ≈10 % of gaps longer than 200 ms).
3. **Call**: a direction ``d`` (down, flat, up) from one distribution shared by all mice (the
   paper found no sex difference in direction); a *family slot* (simple, chevron, short,
   two-part) from the mouse's proportions, independent of ``d``; a simple call is *flat* when
   ``d = 0`` and a *sweep* otherwise. The two-part call (a long low call followed, after a gap of
   3–10 ms, by a higher call) exists in every male and in no female (the paper's Fig 7 cluster).
4. **Latent dimensions** (table ``LATENT_DIMS``): for call ``i`` of family ``f``,
   ``y[k] = mean[f, k] + shift_sex[k] + shift_strain[k] + b_m[k] + sd[f, k] * e``, with
   ``e ~ N(0, 1)``. Gaussian dimensions are observed as they are (log duration, centre
   frequency, log bandwidth, level); *probit* dimensions are observed as ``y > 0`` (tremolo,
   harmonic); *ordinal* ones through cut points (breaks 0–3, peaks 1–3); *censored* ones as
   ``clip(y, 0, 1)`` (broadband degree). A dimension inactive for a family is not drawn
   (tremolo and breaks of short calls, peaks outside chevrons).
5. **Nuisance** parameters that shape the sound but carry neither sex nor identity (curvature,
   tremolo rate, jump sizes, ramps, ...) are drawn from fixed ranges (``NuisanceModel``).
6. **Human labels** are the truth passed through a labeller's confusions (``LabelNoise``).

Because each factor is a known distribution with a diagonal covariance, the likelihood of a
call's latent parameters under either sex is exact (``usvlib.synth.oracle``).

The sex shifts are small, spread over many dimensions, and chosen so that the Bayes classifier
for a new animal reaches 80–90 % balanced accuracy (the task is as hard as the paper's); the
centre frequency of males is offset so that the pooled mean-frequency distributions of the
sexes match (the paper: mean frequency and direction do not differ; duration, volume, broadband
do). Where no measurement exists (all sex and strain shifts, the mouse standard deviations, the
levels), the value is a documented choice, not a fact about mice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

FAMILIES: tuple[str, ...] = ("flat", "sweep", "chevron", "short", "two_part")
"""Call families. ``flat`` and ``sweep`` are the *simple* slot with ``d = 0`` and ``d != 0``."""

SLOTS: tuple[str, ...] = ("simple", "chevron", "short", "two_part")
"""What a mouse's family proportions are over (a simple call's shape follows its direction)."""

DIRECTIONS: tuple[int, ...] = (-1, 0, 1)


@dataclass(frozen=True)
class LatentDim:
    """One latent dimension of a call.

    Attributes
    ----------
    name : str
        Column name in ``ground_truth/calls.csv`` (observed value) and, prefixed with
        ``latent_``, for the Gaussian draw itself.
    kind : {"gaussian", "probit", "ordinal", "censored"}
        How the Gaussian latent ``y`` is observed (see the module docstring).
    mean : dict
        Female (control) mean per family; families missing from it do not have the dimension.
    sd : dict or float
        Within-mouse standard deviation, per family or for all.
    mouse_sd : float
        Standard deviation of the per-mouse random effect (the individual signature).
    male_shift : float
        Male minus female mean (not used for ``center_freq_khz``: see ``SynthModel``).
    cortexless_shift : float
        Cortexless minus control mean (strain experiment).
    requires : str
        Name of a 0/1 or count dimension that must be non-zero for this one to be visible
        (a tremolo's rate only exists if the call has a tremolo).
    cuts : tuple
        Ordinal cut points; the observed level is ``first_level + number of cuts below y``.
    first_level : int
        Value of the lowest ordinal level.
    source : str
        Where the numbers come from.
    """

    name: str
    kind: str
    mean: dict
    sd: dict | float
    mouse_sd: float
    male_shift: float = 0.0
    cortexless_shift: float = 0.0
    requires: str = ""
    cuts: tuple = ()
    first_level: int = 0
    source: str = ""

    def sd_for(self, family: str) -> float:
        return self.sd[family] if isinstance(self.sd, dict) else float(self.sd)

    def active_for(self, family: str) -> bool:
        return family in self.mean


def _per_family(value: float, *, families: tuple[str, ...] = FAMILIES, **overrides: float) -> dict:
    out = {f: float(value) for f in families}
    out.update({k: float(v) for k, v in overrides.items()})
    return out


_TREMOLO_FAMILIES = ("flat", "sweep", "chevron", "two_part")
_BREAK_FAMILIES = ("flat", "sweep", "chevron")

# Two kinds of dimension. The first eight are what the paper's nine properties measure
# (duration, mean frequency, volume, broadband, tremolo, complex via harmonics, breaks, peaks):
# their sex shifts are small, so that, as in the paper, the properties alone predict sex only a
# little above chance (its properties -> sex DNN: 59.6 %) although most differ significantly.
# The rest shape the call's contour in ways the nine properties do not describe (frequency
# excursion, curvature, where a chevron peaks, tremolo rate, jump size, harmonic level): they
# carry most of the sex information, visible in a spectrogram to a network that learns it.
LATENT_DIMS: tuple[LatentDim, ...] = (
    LatentDim(
        name="log_duration_s",
        kind="gaussian",
        mean={
            "flat": math.log(0.045),
            "sweep": math.log(0.040),
            "chevron": math.log(0.060),
            "short": math.log(0.015),
            "two_part": math.log(0.085),  # the low element; the whole call adds gap + high part
        },
        sd=_per_family(0.35, short=0.25, two_part=0.25),
        mouse_sd=0.3,
        male_shift=0.10,
        cortexless_shift=-0.10,
        source="MUPET C57 syllables: median 50 ms, ln-SD 0.45 overall (our mixture of families "
        "reproduces both); male and cortexless shifts chosen",
    ),
    LatentDim(
        name="center_freq_khz",
        kind="gaussian",
        mean={"flat": 68.0, "sweep": 66.0, "chevron": 70.0, "short": 72.0, "two_part": 42.0},
        sd=_per_family(9.0, two_part=4.0),
        mouse_sd=7.5,
        cortexless_shift=3.0,
        source="mouse USVs span 40-120 kHz, most energy 55-85 kHz (Holy & Guo 2005; the "
        "paper's Fig 1); the two-part call's low element is 'exceptionally low' (Fig 7)",
    ),
    LatentDim(
        name="level_db",
        kind="gaussian",
        mean=_per_family(8.0, two_part=10.0),
        sd=5.0,
        mouse_sd=4.5,
        male_shift=1.5,
        cortexless_shift=-1.5,
        source="RMS of the fundamental re the RMS of the recording's noise floor (+8 dB gives "
        "30 dB SNR in a 1.67 ms x 600 Hz spectrogram bin), typical of Avisoft recordings; "
        "males slightly louder (paper Fig 2C: volume differs)",
    ),
    LatentDim(
        name="broadband",
        kind="censored",
        mean=_per_family(-0.30),
        sd=0.30,
        mouse_sd=0.18,
        male_shift=0.20,
        cortexless_shift=-0.05,
        source="degree of broadband activation in [0, 1] (paper Fig 2G: differs by sex)",
    ),
    LatentDim(
        name="tremolo",
        kind="probit",
        mean=_per_family(-1.25, families=_TREMOLO_FAMILIES),
        sd=1.0,
        mouse_sd=0.6,
        male_shift=0.25,
        cortexless_shift=-0.15,
        source="fast sinusoidal frequency modulation (paper's human label); rate chosen",
    ),
    LatentDim(
        name="harmonic",
        kind="probit",
        mean=_per_family(-1.0),
        sd=1.0,
        mouse_sd=0.6,
        male_shift=0.25,
        cortexless_shift=-0.25,
        source="a second harmonic (counts towards the 'complex' label); rate chosen",
    ),
    LatentDim(
        name="breaks",
        kind="ordinal",
        mean=_per_family(0.0, families=_BREAK_FAMILIES),
        sd=1.0,
        mouse_sd=0.6,
        male_shift=0.25,
        cortexless_shift=-0.20,
        cuts=(1.1, 1.9, 2.5),
        first_level=0,
        source="frequency jumps, 0-3 (paper's human label); rate chosen",
    ),
    LatentDim(
        name="peaks",
        kind="ordinal",
        mean={"chevron": 0.0},
        sd=1.0,
        mouse_sd=0.6,
        male_shift=0.20,
        cuts=(0.4, 1.3),
        first_level=1,
        source="number of frequency maxima of a chevron call, 1-3 (paper's human label)",
    ),
    LatentDim(
        name="log_bandwidth_khz",
        kind="gaussian",
        mean={
            "flat": math.log(1.2),
            "sweep": math.log(14.0),
            "chevron": math.log(10.0),
            "short": math.log(5.0),
            "two_part": math.log(3.0),
        },
        sd=0.45,
        mouse_sd=0.375,
        male_shift=0.72,
        cortexless_shift=-0.20,
        source="frequency excursion of a call; sweeps of 5-35 kHz as in published USV spectrograms; shifts chosen",
    ),
    LatentDim(
        name="log_curvature",
        kind="gaussian",
        mean={"sweep": 0.0},
        sd=0.35,
        mouse_sd=0.3,
        male_shift=0.64,
        cortexless_shift=0.10,
        source="a sweep follows u**exp(log_curvature): convex or concave; chosen",
    ),
    LatentDim(
        name="chevron_skew",
        kind="gaussian",
        mean={"chevron": 0.0},
        sd=0.35,
        mouse_sd=0.3,
        male_shift=0.64,
        cortexless_shift=0.10,
        source="time warp u**exp(skew) of a chevron: its peaks come early (<0) or late (>0); chosen",
    ),
    LatentDim(
        name="tremolo_rate_hz",
        kind="gaussian",
        mean=_per_family(55.0, families=_TREMOLO_FAMILIES),
        sd=8.0,
        mouse_sd=7.5,
        male_shift=16.0,
        requires="tremolo",
        source="rate of the tremolo's frequency modulation; chosen",
    ),
    LatentDim(
        name="log_jump_khz",
        kind="gaussian",
        mean=_per_family(math.log(12.0), families=_BREAK_FAMILIES),
        sd=0.30,
        mouse_sd=0.225,
        male_shift=0.48,
        cortexless_shift=-0.10,
        requires="breaks",
        source="size of a call's frequency jumps (all jumps of a call share it); chosen",
    ),
    LatentDim(
        name="harmonic_db",
        kind="gaussian",
        mean=_per_family(-10.0),
        sd=3.0,
        mouse_sd=3.0,
        male_shift=4.8,
        requires="harmonic",
        source="level of the second harmonic re the fundamental; chosen",
    ),
)

DIMS_BY_NAME: dict[str, LatentDim] = {d.name: d for d in LATENT_DIMS}


@dataclass(frozen=True)
class BoutModel:
    """Timing of calls (source: MUPET C57 syllables, see the module docstring)."""

    mean_calls_per_bout: float = 8.0
    within_gap_median_s: float = 0.057
    within_gap_sd_log: float = 0.30
    min_gap_s: float = 0.020
    min_between_gap_s: float = 0.20
    margin_s: float = 0.10


@dataclass(frozen=True)
class NoiseModel:
    """Background of a recording (independent of sex, strain and calls).

    The floor is white Gaussian noise at ``floor_dbfs`` (RMS re full scale). On top of it:
    episodes of low-frequency noise (movement, bedding) below 6-12 kHz, clicks (0.1-0.5 ms
    broadband transients, e.g. claws on the cage) and scratching bursts (20-150 ms of noise
    band-limited to 15-60 kHz, the hardest background for a USV detector).
    """

    floor_dbfs: tuple[float, float] = (-57.0, -55.0)  # one recording set-up: floors within 2 dB
    lf_rate_per_s: float = 0.05
    lf_duration_median_s: float = 1.0
    lf_level_db: tuple[float, float] = (20.0, 35.0)
    lf_cutoff_hz: tuple[float, float] = (6_000.0, 12_000.0)
    click_rate_per_s: float = 0.3
    click_duration_s: tuple[float, float] = (0.0001, 0.0005)
    click_level_db: tuple[float, float] = (25.0, 45.0)
    scratch_rate_per_s: float = 0.03
    scratch_duration_s: tuple[float, float] = (0.02, 0.15)
    scratch_band_hz: tuple[float, float] = (15_000.0, 60_000.0)
    scratch_level_db: tuple[float, float] = (8.0, 16.0)


@dataclass(frozen=True)
class NuisanceModel:
    """Shape parameters that carry neither sex nor identity (uniform ranges unless noted)."""

    chevron_trend_fraction: float = 0.5  # net change of a directional chevron, x bandwidth
    tremolo_depth_khz: tuple[float, float] = (1.5, 4.0)
    jump_spread: tuple[float, float] = (0.8, 1.25)  # each jump = the call's jump size x this
    break_gap_s: tuple[float, float] = (0.0005, 0.002)
    break_position: tuple[float, float] = (0.15, 0.85)  # fraction of the duration
    ramp_s: tuple[float, float] = (0.0015, 0.004)
    am_depth: tuple[float, float] = (0.0, 0.3)
    am_rate_hz: tuple[float, float] = (5.0, 25.0)
    broadband_gain: float = 1.5  # RMS of the broadband part re the fundamental, at degree 1
    broadband_width_hz: tuple[float, float] = (8_000.0, 25_000.0)  # spread around the contour
    two_part_gap_s: tuple[float, float] = (0.003, 0.010)
    two_part_high_duration_s: tuple[float, float] = (0.015, 0.045)
    two_part_jump_khz: tuple[float, float] = (22.0, 38.0)
    two_part_high_slope_khz: tuple[float, float] = (0.0, 4.0)
    two_part_high_level_db: tuple[float, float] = (-4.0, 0.0)
    center_freq_limits_khz: tuple[float, float] = (38.0, 110.0)
    contour_limits_khz: tuple[float, float] = (30.0, 125.0)
    min_duration_s: float = 0.010  # shorter calls would fall under the paper's 7 ms detection limit
    min_level_db: float = -6.0  # quieter calls are rendered at this level: a USV is what can be detected
    max_duration_s: float = 0.300


@dataclass(frozen=True)
class LabelNoise:
    """A human labeller's confusions (the Donders table's six human columns)."""

    direction_confusion: float = 0.08  # flat <-> up/down
    peaks_off_by_one: float = 0.12
    breaks_off_by_one: float = 0.10
    broadband_sd: float = 0.08  # then clipped to [0, 1] and rounded to broadband_step
    broadband_step: float = 0.05
    tremolo_flip: float = 0.07
    complex_flip: float = 0.08


@dataclass(frozen=True)
class SynthModel:
    """All parameters of the generative model (see the module docstring)."""

    rate_hz: int = 300_000
    n_female: int = 10
    n_male: int = 8
    direction_probs: dict = field(default_factory=lambda: {-1: 0.25, 0: 0.35, 1: 0.40})
    # mean slot proportions of a mouse (two-part: per male, uniform in the range below)
    female_slot_probs: dict = field(
        default_factory=lambda: {"simple": 0.55, "chevron": 0.30, "short": 0.15, "two_part": 0.0}
    )
    male_slot_probs: dict = field(
        default_factory=lambda: {"simple": 0.48, "chevron": 0.41, "short": 0.11, "two_part": 0.0}
    )
    male_two_part_fraction: tuple[float, float] = (0.10, 0.16)
    slot_concentration: float = 15.0  # Dirichlet concentration of a mouse's proportions
    rate_sd_log: float = 0.25  # mice's calling rates, log-normal around the profile's rate
    dims: tuple[LatentDim, ...] = LATENT_DIMS
    bouts: BoutModel = field(default_factory=BoutModel)
    noise: NoiseModel = field(default_factory=NoiseModel)
    nuisance: NuisanceModel = field(default_factory=NuisanceModel)
    labels: LabelNoise = field(default_factory=LabelNoise)
    balance_mean_frequency: bool = True
    """Offset the males' centre frequency (all families but two-part) so that the pooled
    mean-frequency distributions of the sexes have equal location (AUC 0.5), as the paper
    found; the offset is solved numerically on the dataset's own mice (``oracle.balanced_male_shift``)."""

    def slot_probs(self, sex: str) -> dict:
        """Mean slot proportions of a new mouse of ``sex`` (two-part at its mean fraction)."""
        if sex == "female":
            return dict(self.female_slot_probs)
        lo, hi = self.male_two_part_fraction
        tp = 0.5 * (lo + hi)
        total = sum(v for k, v in self.male_slot_probs.items() if k != "two_part")
        out = {k: (1 - tp) * v / total for k, v in self.male_slot_probs.items() if k != "two_part"}
        out["two_part"] = tp
        return out
