"""The ``usvlib`` command.

::

    usvlib synth --profile {quick,default,paper} --out DIR    generate a synthetic dataset
    usvlib verify DIR [--only PATTERN ...]                     check a dataset against MANIFEST.txt
    usvlib reproduce --profile P [--data DIR] [--only NN ...]  run the notebooks
    usvlib detect REC.wav [REC.wav ...] -o calls.csv           detect USVs in any recordings
    usvlib extract DIR [--calls auto|detect|truth|FILE]       build the per-USV cache
    usvlib convert IN --to FORMAT -o OUT                      other tools' call tables
    usvlib train MANIFEST --group COL -o MODEL                a classifier of single USVs
    usvlib predict MODEL REC.wav [...] -o OUT.csv             attribute calls to groups
    usvlib study MANIFEST --group COL --out DIR               the paper's analyses on your data
    usvlib profiles                                           list the profiles

Errors about the user's input are printed on one line (``error: ...``) with exit status 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import time

import usvlib
from usvlib import commands
from usvlib._parallel import LOCAL
from usvlib.errors import UsvlibError
from usvlib.paper.profiles import PROFILES


def _cmd_synth(args) -> int:
    from usvlib.synth.generate import generate_dataset

    profile = PROFILES[args.profile]
    started = time.perf_counter()
    out = generate_dataset(
        args.out,
        profile.synth,
        seed=profile.seed,
        name=profile.name,
        workers=args.workers,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    if args.quiet:
        print(out)
    else:
        print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _cmd_verify(args) -> int:
    from usvlib.manifest import verify_manifest

    report = verify_manifest(args.dir, subset=args.only or None, rehash=True)
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_reproduce(args) -> int:
    from usvlib.paper.reproduce import run

    summary = run(args.profile, args.data, only=args.only, out_dir=args.out, progress=True)
    total = sum(summary.seconds.values())
    executed = summary.executed[0].parent if summary.executed else None
    print(
        f"{len(summary.executed)} notebook(s) run and rendered in {total:.0f} s; "
        f"figures and numbers in {summary.out_dir}"
        + (f"; executed notebooks in {executed}" if executed else "")
        + (f"; reports {summary.report}" if summary.report else "")
        + "".join(f"; classifier {m}" for m in summary.models)
    )
    return 0


def _cmd_profiles(args) -> int:
    for p in PROFILES.values():
        print(f"{p.name:8s} seed {p.seed}  {p.description}")
    return 0


def _subcommand(sub, name: str, summary: str, details: str, example: str, func) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does, where it writes, and an example."""
    p = sub.add_parser(
        name,
        help=summary,
        description=f"{summary}.\n\n{details}",
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=func)
    return p


READ_FORMATS = ("csv", "deepsqueak", "raven", "simple-seq", "mupet", "usvseg", "vocalmat", "intervals")
WRITE_FORMATS = ("csv", "raven", "simple-seq")
"""The formats of ``usvlib.formats.READERS`` and ``WRITERS``, named here so that building the parser
imports no pandas (``tests/test_cli.py`` checks they agree)."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of processes, 1 or more")
    return value


_SCHEDULER_ADDRESS = re.compile(r"([a-z][a-z0-9+]*://)?(\[[0-9a-fA-F:]+(%[^\]\s]+)?\]|[^\s:/\[\]]+):\d{1,5}")


def _scheduler_address(text: str) -> str | None:
    text = text.strip()
    if not text:  # --scheduler "$UNSET": as if not given ($USVLIB_SCHEDULER, else this machine)
        return None
    if text != LOCAL and not _SCHEDULER_ADDRESS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r}: give a Dask scheduler's address, e.g. tcp://host:8786")
    return text


def _add_scheduler(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scheduler",
        type=_scheduler_address,
        default=None,
        help="a Dask scheduler's address (tcp://host:8786; or $USVLIB_SCHEDULER): run the work on that cluster",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``usvlib`` argument parser (one subcommand per stage)."""
    parser = argparse.ArgumentParser(
        prog="usvlib",
        description=__doc__.split("\n\n")[0]
        + ": mouse ultrasonic vocalisations, from recordings to sex/strain classifiers (Ivanenko et al. 2020).",
        epilog="Run 'usvlib COMMAND --help' for what each command writes and an example.",
    )
    parser.add_argument("--version", action="version", version=f"usvlib {usvlib.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _subcommand(
        sub,
        "synth",
        "generate a synthetic dataset in the Donders layout",
        "Writes DIR/Data/... (recordings, the per-USV table), DIR/MANIFEST.txt and DIR/ground_truth/\n"
        "(true calls, latent parameters, oracle accuracies). The same profile and seed give the same bytes.",
        "usvlib synth --profile quick --out /tmp/usv-quick",
        _cmd_synth,
    )
    p.add_argument("--profile", default="quick", choices=list(PROFILES), help="size of the dataset (default: quick)")
    p.add_argument("--out", required=True, help="folder to create")
    p.add_argument("--workers", type=_positive_int, default=None, help="processes (default: available CPUs)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    p.add_argument("--quiet", action="store_true", help="print only the folder")

    p = _subcommand(
        sub,
        "verify",
        "check a dataset folder against its MANIFEST.txt",
        "Hashes every listed file (SHA256) and names the missing and corrupted ones; writes nothing in the\n"
        "dataset (the digests are cached in the cache folder, so a second check of unchanged files is quick).\n"
        "Exit status 1 if any file is missing or differs.",
        "usvlib verify data/donders --only 'Data/RawRecordings/Sex/*'",
        _cmd_verify,
    )
    p.add_argument("dir", help="the dataset's root folder (holds MANIFEST.txt)")
    p.add_argument("--only", nargs="*", help="relative paths or patterns to check (default: all)")

    p = _subcommand(
        sub,
        "reproduce",
        "run the notebooks that regenerate the paper's figures and numbers",
        "Executes notebooks/NN_*.ipynb with papermill. The default profile on synthetic data writes\n"
        "figures/ and results/; every other run writes build/<profile>-<data>/ (or --out DIR).\n"
        "Executed notebooks go to notebooks/ inside that folder (build/default-synthetic/ for the default).",
        "usvlib reproduce --profile quick --only 00 03",
        _cmd_reproduce,
    )
    p.add_argument("--profile", default="default", choices=list(PROFILES))
    p.add_argument("--data", default=None, help="dataset folder (default: the profile's synthetic dataset)")
    p.add_argument("--only", nargs="*", help="notebook numbers to run, e.g. 00 03")
    p.add_argument("--out", default=None, help="output folder (default: see above)")

    p = _subcommand(
        sub,
        "detect",
        "detect USVs in recordings and write one row per call",
        "Writes a CSV (recording, onset_s, offset_s, duration_s, frequencies, purity, SNR, score).\n"
        "A recording that cannot be read is named and skipped; the others are done (exit status 1),\n"
        "beside an existing table as calls.incomplete.csv.",
        "usvlib detect rec1.wav rec2.wav -o calls.csv",
        commands.cmd_detect,
    )
    p.add_argument("recordings", nargs="+", help="WAV or FLAC files (any rate >= 200 kHz)")
    p.add_argument("-o", "--output", required=True, help="table to write")
    p.add_argument(
        "--format",
        default="csv",
        choices=WRITE_FORMATS,
        help="csv (usvlib's columns, default), raven (a Raven selection table) or simple-seq (crowsetta; "
        "one file per recording)",
    )
    p.add_argument("--channel", type=int, default=None, help="channel of multi-channel files")
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        help="processes: recordings detected at once, or stretches of a single long recording (default 1)",
    )
    _add_scheduler(p)
    p.add_argument("--quiet", action="store_true")

    p = _subcommand(
        sub,
        "convert",
        "convert a call table from another tool's format to another",
        "Reads DeepSqueak .mat, Raven selection tables, MUPET and USVSEG CSVs, simple-seq, interval lists\n"
        "or usvlib's CSV (recognised from the file, or --from) and writes csv, raven or simple-seq.",
        "usvlib convert detections.mat --to raven -o rec.selections.txt",
        commands.cmd_convert,
    )
    p.add_argument("input", help="the call table to read")
    p.add_argument(
        "--from",
        dest="source_format",
        default=None,
        choices=READ_FORMATS,
        help="its format (default: recognised from the file)",
    )
    p.add_argument("--to", required=True, choices=WRITE_FORMATS)
    p.add_argument("-o", "--output", required=True, help="file to write")

    p = _subcommand(
        sub,
        "extract",
        "build the per-USV cache (images, spectral lines, marginals, 24 properties)",
        "Writes one HDF5 file under data/cache/extract/ (or $USVLIB_CACHE/extract/), named by a hash\n"
        "of the inputs, the parameters and the code: a rerun with nothing changed opens it at once.",
        "usvlib extract data/synthetic/quick --calls detect",
        commands.cmd_extract,
    )
    p.add_argument("dataset", help="dataset folder (Donders layout)")
    p.add_argument(
        "--calls",
        default="auto",
        help="auto, detect, truth, or a call table of another tool (any format 'convert' reads): call "
        "times from the detector, the dataset's ground truth (default: truth if any) or the table",
    )
    p.add_argument("--workers", type=_positive_int, default=None)
    _add_scheduler(p)
    p.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="go on without recordings that cannot be read or fail MANIFEST.txt",
    )
    p.add_argument("--quiet", action="store_true")

    p = _subcommand(
        sub,
        "train",
        "train a classifier of single USVs (sex, strain, genotype...) on your labelled recordings",
        "Detects the calls, reports the leave-one-animal-out balanced accuracy with a 95 % interval over\n"
        "animals and a permutation p-value, fits the network on every animal and writes one file: the\n"
        "weights, the classes, the detector and spectrogram settings, the training animals, the accuracy.",
        "usvlib train mine.csv --group genotype -o genotype.usvmodel",
        commands.cmd_train,
    )
    p.add_argument("manifest", help="CSV with columns path, animal and the grouping column")
    p.add_argument("--group", default=None, help="the column to classify by (default: group, else sex)")
    p.add_argument("-o", "--output", required=True, help="the classifier file to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-cv", action="store_true", help="skip the leave-one-animal-out estimate")
    p.add_argument("--workers", type=_positive_int, default=None, help="folds trained at once (default: the CPUs)")
    _add_scheduler(p)
    p.add_argument("--quiet", action="store_true")

    p = _subcommand(
        sub,
        "predict",
        "attribute the calls of recordings to groups with a trained classifier",
        "Writes OUT (one row per call: its times, the probability of each group, the predicted group)\n"
        "and its summary (-o predictions.csv: predictions.summary.csv; per recording, the calls, mean\n"
        "probabilities, the share assigned to each group with a 95 % Wilson interval). A recording that\n"
        "cannot be used is named and skipped; the others are done (exit status 1), and written as\n"
        "predictions.incomplete.csv if OUT exists.",
        "usvlib predict genotype.usvmodel rec1.wav rec2.wav -o predictions.csv",
        commands.cmd_predict,
    )
    p.add_argument("model", help="a file written by 'usvlib train'")
    p.add_argument("recordings", nargs="+", help="WAV or FLAC files")
    p.add_argument("--calls", default=None, help="call times to use instead of detecting (any format 'convert' reads)")
    p.add_argument("-o", "--output", required=True, help="the per-call CSV to write")

    p = _subcommand(
        sub,
        "study",
        "the paper's analyses on your labelled recordings, as a report",
        "Checks the recordings (two or more groups, two or more animals per group, 200 kHz or more),\n"
        "detects the calls (or imports another tool's), and runs the study notebook: property differences\n"
        "(Fig 2), the group from single USVs of new animals with the DNN, ridge and SVM and their\n"
        "controls (Figs 3, 4F-I), individual signatures (Fig 5) and the USV space (Fig 7). Writes\n"
        "numbers.json, tables/*.csv, figures/*.png and reports/index.html under OUT.",
        "usvlib study mine.csv --group genotype --out genotype-study",
        commands.cmd_study,
    )
    p.add_argument("manifest", help="CSV with columns path, animal and the grouping column")
    p.add_argument("--group", required=True, help="the column whose values are the groups (sex, strain, ...)")
    p.add_argument("--out", required=True, help="folder for the report, numbers, tables and figures")
    p.add_argument("--profile", choices=sorted(PROFILES), default="default", help="how much the classifiers train")
    p.add_argument("--seed", type=int, default=None, help="default: the profile's")
    p.add_argument(
        "--calls", default="detect", help="detect, or a call table of another tool (any format 'convert' reads)"
    )
    p.add_argument("--no-html", action="store_true", help="skip the HTML report")
    _add_scheduler(p)

    _subcommand(
        sub,
        "profiles",
        "list the run profiles",
        "Prints each profile's name, seed and purpose; writes nothing.",
        "usvlib profiles",
        _cmd_profiles,
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``usvlib`` command; returns its exit status."""
    args = build_parser().parse_args(argv)
    if getattr(args, "scheduler", None):
        import os

        from usvlib._parallel import SCHEDULER_ENV

        os.environ[SCHEDULER_ENV] = args.scheduler  # every pool of this command goes to the cluster
    try:
        return args.func(args)
    except UsvlibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:  # wherever it was raised, the file and the fix fit on one line
        fix = "check its permissions, or choose another path"
        print(f"error: {exc.filename2 or exc.filename or exc.strerror}: permission denied - {fix}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
