"""Write a synthetic dataset in the Donders layout.

::

    DIR/README.txt                                   says that the data are synthetic
    DIR/Data/RawRecordings/Sex/Rfem_Afem01..10.wav   female residents (300 kHz, mono, int16)
    DIR/Data/RawRecordings/Sex/Rmale_Afem01..08.wav  male residents
    DIR/Data/RawRecordings/Strain/RecordingsCortexless.zip
                                                     Cortexless/*.wav and Control/*.wav
    DIR/Data/FIG_USVClassify_BasicAnalysis/features_fileid_animalid_sex_duration_avgfreq_avgvol_direction_peaks_breaks_broadband_tremolo_complex.csv
    DIR/ground_truth/calls.csv     every call: recording, onset, offset, family, latent parameters
    DIR/ground_truth/animals.csv   every mouse: group, calling rate, random effects, noise floor
    DIR/ground_truth/config.json   the profile, the seed and every parameter of the model
    DIR/ground_truth/oracle.json   Bayes-optimal accuracies (``usvlib.synth.oracle``)
    DIR/ground_truth/README.md     what each file and column is
    DIR/MANIFEST.txt               "SHA256 relative/path" for every other file

The folder is assembled under a temporary name and renamed at the end, so an interrupted run
leaves no half-written dataset behind.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

import usvlib
from usvlib._io import atomic_path, sha256_file, write_json_atomic, write_text_atomic
from usvlib._parallel import default_workers, process_map
from usvlib._seeding import rng_for
from usvlib.errors import ConfigError
from usvlib.manifest import write_manifest
from usvlib.synth import generator_fingerprint, oracle
from usvlib.synth.model import SynthModel
from usvlib.synth.population import (
    SEX_EXPERIMENT,
    recenter_effects,
    sample_animals,
    sample_calls,
)
from usvlib.synth.render import render_recording
from usvlib.synth.scale import SynthScale

SEX_DIR = "Data/RawRecordings/Sex"
STRAIN_ZIP = "Data/RawRecordings/Strain/RecordingsCortexless.zip"
FEATURES_CSV = (
    "Data/FIG_USVClassify_BasicAnalysis/"
    "features_fileid_animalid_sex_duration_avgfreq_avgvol_direction_peaks_breaks_broadband_tremolo_complex.csv"
)
EXCLUDED_BY_PAPER = ("Rfem_Afem09",)
SEX_CODES = {"female": 0, "male": 1}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: the same seed gives the same bytes


def strain_member(animal: str, strain: str) -> str:
    """Path of a strain recording inside ``RecordingsCortexless.zip``."""
    return f"{strain.capitalize()}/{animal}.wav"


def _render_job(job: dict) -> tuple[str, pd.DataFrame, str]:
    """Render one recording, write it as a WAV, return (animal, per-call truth, sha256)."""
    model: SynthModel = job["model"]
    calls: pd.DataFrame = job["calls"]
    rng = rng_for(job["seed"], "synth", "audio", job["animal"])
    samples, truth = render_recording(calls, model, duration_s=job["duration_s"], floor_dbfs=job["floor_dbfs"], rng=rng)
    path = Path(job["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples, model.rate_hz, subtype="PCM_16", format="WAV")
    return job["animal"], truth, sha256_file(path)


def _run_jobs(jobs: list[dict], workers: int, progress: bool) -> dict:
    results = {}
    for animal, truth, digest in process_map(
        _render_job, jobs, workers=workers, progress=progress, desc="rendering recordings", unit="rec"
    ):
        results[animal] = (truth, digest)
    return results


def _check_target(out_dir: Path, overwrite: bool) -> None:
    """Refuse a target that is a file, exists (without ``overwrite``), or is a folder usvlib did
    not generate: ``overwrite`` must never delete someone's recordings."""
    if out_dir.is_file():
        raise ConfigError(f"{out_dir} is a file: give a folder for the synthetic dataset")
    if not out_dir.exists():
        return
    if not overwrite:
        raise ConfigError(f"{out_dir} already exists: choose another folder or pass overwrite=True (--overwrite)")
    generated = (out_dir / "ground_truth" / "config.json").is_file() and (out_dir / "MANIFEST.txt").is_file()
    if not generated and any(out_dir.iterdir()):
        raise ConfigError(
            f"{out_dir} is not a synthetic dataset (no ground_truth/config.json) and not empty: "
            "--overwrite replaces only folders usvlib generated - choose a new folder"
        )


def generate_dataset(
    out_dir: str | os.PathLike,
    scale: SynthScale,
    *,
    seed: int = 0,
    name: str = "custom",
    model: SynthModel | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> Path:
    """Generate a synthetic dataset of ``scale`` into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Folder to create. It must not exist unless ``overwrite`` is true.
    scale : SynthScale
        The size of the dataset (a run profile's ``synth``: ``usvlib.paper.profiles``).
    seed : int
        Decides every random draw.
    name : str
        What the dataset's README and configuration call it (the profile's name).
    model : SynthModel, optional
        The generative model (default: ``SynthModel()``, documented in ``usvlib.synth.model``).
    workers : int, optional
        Processes rendering recordings in parallel (default: the available CPUs). The output
        does not depend on it.
    overwrite : bool
        Replace an existing ``out_dir``.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    ConfigError
        If ``out_dir`` is a file, or exists and ``overwrite`` is false, or exists and is neither
        empty nor a synthetic dataset (``overwrite`` replaces only what usvlib generated).

    Examples
    --------
    >>> from usvlib.paper.profiles import get_profile
    >>> quick = get_profile("quick")
    >>> generate_dataset("/tmp/usv-quick", quick.synth, seed=quick.seed, name="quick")  # doctest: +SKIP
    """
    model = model or SynthModel()
    out_dir = Path(out_dir).absolute()  # "." has no name to put a temporary folder beside
    _check_target(out_dir, overwrite)
    workers = default_workers() if workers is None else int(workers)
    started = time.perf_counter()

    animals = sample_animals(model, scale, seed)
    # balance mean frequency on this dataset's own mice (those the paper analysed)
    analysed = animals[(animals.experiment == SEX_EXPERIMENT) & ~animals.animal.isin(EXCLUDED_BY_PAPER)]
    male_freq_shift = oracle.balanced_male_shift(model, analysed)
    calls_by_animal = {
        a.animal: sample_calls(model, a, seed, male_freq_shift=male_freq_shift) for _, a in animals.iterrows()
    }
    animals, calls_by_animal = recenter_effects(model, animals, calls_by_animal, seed, exclude=EXCLUDED_BY_PAPER)

    with atomic_path(out_dir) as tmp:
        tmp.mkdir(parents=True)
        strain_tmp = tmp / ".strain-wavs"
        jobs = []
        for a in animals.itertuples(index=False):
            if a.experiment == SEX_EXPERIMENT:
                path = tmp / SEX_DIR / f"{a.animal}.wav"
            else:
                path = strain_tmp / strain_member(a.animal, a.strain)
            jobs.append(
                {
                    "model": model,
                    "calls": calls_by_animal[a.animal],
                    "seed": seed,
                    "animal": a.animal,
                    "duration_s": a.recording_s,
                    "floor_dbfs": a.floor_dbfs,
                    "path": str(path),
                }
            )
        # longest first keeps both workers busy to the end
        jobs.sort(key=lambda j: -j["duration_s"])
        rendered = _run_jobs(jobs, workers, progress)
        digests = {
            f"{SEX_DIR}/{a.animal}.wav": rendered[a.animal][1]
            for a in animals.itertuples(index=False)
            if a.experiment == SEX_EXPERIMENT
        }
        _write_strain_zip(tmp / STRAIN_ZIP, strain_tmp, animals)
        shutil.rmtree(strain_tmp)

        calls = _assemble_calls(animals, calls_by_animal, rendered)
        _write_features_csv(tmp / FEATURES_CSV, calls, animals)
        gt = tmp / "ground_truth"
        gt.mkdir()
        calls.to_csv(gt / "calls.csv", index=False, float_format="%.9g")
        animals.to_csv(gt / "animals.csv", index=False, float_format="%.9g")
        config = {
            "generator": f"usvlib {usvlib.__version__}",
            "generator_fingerprint": generator_fingerprint(),
            "profile": name,
            "seed": seed,
            "scale": dataclasses.asdict(scale),
            "model_fingerprint": oracle.model_fingerprint(model),
            "male_freq_shift_khz": male_freq_shift,
            "excluded_by_paper": list(EXCLUDED_BY_PAPER),
            "sex_codes": SEX_CODES,
            "model": dataclasses.asdict(model),
        }
        write_json_atomic(gt / "config.json", config)
        write_json_atomic(gt / "oracle.json", compute_oracles(model, calls, animals, male_freq_shift))
        write_text_atomic(gt / "README.md", GROUND_TRUTH_README)
        write_text_atomic(tmp / "README.txt", _dataset_readme(name, seed))
        write_manifest(tmp, known=digests)
    elapsed = time.perf_counter() - started
    if progress:
        print(f"synthetic dataset ({name}): {len(calls)} calls in {elapsed:.1f} s -> {out_dir}")
    return out_dir


def _write_strain_zip(zip_path: Path, strain_tmp: Path, animals: pd.DataFrame) -> None:
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED) as zf:
        for a in animals[animals.experiment != SEX_EXPERIMENT].itertuples(index=False):
            member = strain_member(a.animal, a.strain)
            info = zipfile.ZipInfo(member, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            with open(strain_tmp / member, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def _assemble_calls(animals: pd.DataFrame, calls_by_animal: dict, rendered: dict) -> pd.DataFrame:
    frames = []
    for a in animals.itertuples(index=False):
        c = calls_by_animal[a.animal]
        truth = rendered[a.animal][0]
        frames.append(pd.concat([c, truth], axis=1))
    calls = pd.concat(frames, ignore_index=True)
    calls.insert(0, "call_id", np.arange(len(calls)))
    recording = np.where(
        calls.experiment == SEX_EXPERIMENT,
        SEX_DIR + "/" + calls.animal + ".wav",
        STRAIN_ZIP + "::" + calls.strain.str.capitalize() + "/" + calls.animal + ".wav",
    )
    calls.insert(1, "recording", recording)
    return calls


def _write_features_csv(path: Path, calls: pd.DataFrame, animals: pd.DataFrame) -> None:
    """The Donders per-USV table, no header row (as MATLAB's csvwrite writes it)."""
    sex_animals = animals[animals.experiment == SEX_EXPERIMENT].animal.tolist()
    animal_id = {name: i + 1 for i, name in enumerate(sex_animals)}
    used = calls[(calls.experiment == SEX_EXPERIMENT) & ~calls.animal.isin(EXCLUDED_BY_PAPER)]
    table = pd.DataFrame(
        {
            "fileid": used.call_id,
            "animalid": used.animal.map(animal_id),
            "sex": used.sex.map(SEX_CODES),
            "duration": used.offset_s - used.onset_s,
            "avgfreq": used.mean_freq_hz,
            "avgvol": used.level_dbfs,
            "direction": used.human_direction,
            "peaks": used.human_peaks,
            "breaks": used.human_breaks,
            "broadband": used.human_broadband,
            "tremolo": used.human_tremolo,
            "complex": used.human_complex,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, header=False, float_format="%.6g")


def compute_oracles(model: SynthModel, calls: pd.DataFrame, animals: pd.DataFrame, male_freq_shift: float) -> dict:
    """Bayes-optimal balanced accuracies, on this dataset and on the population."""
    out = {"method": oracle.__doc__.strip().splitlines()[0]}
    used_calls = calls[~calls.animal.isin(EXCLUDED_BY_PAPER)]
    used_animals = animals[~animals.animal.isin(EXCLUDED_BY_PAPER)]
    for experiment in ("sex", "strain"):
        for known in (False, True):
            r = oracle.oracle_accuracy(
                model,
                used_calls,
                used_animals,
                experiment=experiment,
                known_animals=known,
                male_freq_shift=male_freq_shift,
            )
            key = f"{experiment}.{'with_animal' if known else 'across_animals'}"
            if not np.isfinite(r.balanced_accuracy):
                continue  # a group without calls (a tiny dataset): nothing to report
            out[key] = {
                "balanced_accuracy": r.balanced_accuracy,
                "se": r.se,
                "animal_sd": r.animal_sd,
                "per_class_accuracy": r.per_class_accuracy,
                "per_animal_accuracy": r.per_animal_accuracy.round(4).to_dict(),
                "n_calls": r.n_calls,
                "n_animals": len(r.per_animal_accuracy),
                "evaluated_on": "this dataset's calls",
            }
        pop = oracle.population_oracle(model, experiment=experiment, male_freq_shift=male_freq_shift)
        out[f"{experiment}.across_animals_population"] = {
            "balanced_accuracy": pop.balanced_accuracy,
            "se": pop.se,
            "n_calls": pop.n_calls,
            "n_animals": len(pop.per_animal_accuracy),
            "evaluated_on": "Monte-Carlo calls of new animals (2000 per group x 20 calls)",
        }
    return out


def _dataset_readme(name: str, seed: int) -> str:
    return (
        "SYNTHETIC DATA - not recordings of mice.\n\n"
        f"Generated by usvlib {usvlib.__version__} (profile '{name}', seed {seed}) as a\n"
        "stand-in for the Donders dataset di.dcn.DSC_620840_0003_891 of Ivanenko et al. (2020),\n"
        "in the same layout. The generative model is documented in usvlib/synth/model.py and\n"
        "the truth of every call is in ground_truth/ (see ground_truth/README.md).\n"
    )


GROUND_TRUTH_README = """\
# Ground truth of a synthetic usvlib dataset

These files exist only in synthetic datasets; the real Donders data have no such folder.

## calls.csv — one row per call (all recordings, including Rfem_Afem09 and the strain set)

| column | meaning |
|---|---|
| call_id | running id; the `fileid` of the features table |
| recording | path of the WAV (strain: `zip::member`) |
| animal, experiment, sex, strain | the mouse (= recording) and its group |
| onset_s, offset_s | start and end of the call in the recording (two-part: end of the high element) |
| direction, family | −1/0/+1 and flat, sweep, chevron, short, two_part |
| latent_<dim> | the Gaussian draw of each latent dimension (NaN: inactive for the family) |
| <dim> | what is observable of it (`usvlib/synth/model.py`: level dB re floor, tremolo 0/1, ...) |
| duration_s, center_freq_hz, bandwidth_hz | physical values of the main element |
| curvature ... high_level_db | nuisance shape parameters (`NuisanceModel`) |
| bout_start | the call opens a bout |
| true_<label> | the six human-labelled properties as a perfect labeller would give them |
| human_<label> | the same through a labeller's confusions (these go into the features table) |
| mean_freq_hz, min_freq_hz, max_freq_hz, start_freq_hz, stop_freq_hz | measured on the rendered fundamental |
| level_dbfs | RMS of the rendered call re full scale (the table's `avgvol`) |

## animals.csv — one row per mouse

Group, recording length, calling rate, family proportions `p_<slot>`, random effects
`effect_<dim>` (centred within each group) and the noise floor `floor_dbfs`.

## config.json, oracle.json

The generator's full configuration (profile, seed, scale, every model parameter) and the
Bayes-optimal balanced accuracies: across animals (mouse effects integrated out) and with the
animals known, on this dataset's calls and on a Monte-Carlo population of new animals.

## The features table

`Data/FIG_USVClassify_BasicAnalysis/features_fileid_animalid_sex_...csv` has no header row;
its columns are those in its name: `fileid` (= call_id), `animalid` (1-18 in the order
Rfem_Afem01..10, Rmale_Afem01..08), `sex` (0 female, 1 male), `duration` (s), `avgfreq` (Hz),
`avgvol` (dBFS), then the six human labels. Rfem_Afem09 is left out, as in the paper.
"""
