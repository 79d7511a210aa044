"""What the ``usvlib`` commands for anyone's recordings do (``usvlib.cli`` builds the parser):
detect, convert, extract, train, predict and study. Each takes the parsed arguments and returns
the exit status; heavy imports wait until a command runs."""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path


def _write_table(calls, out: Path, fmt: str) -> list[Path]:
    """Write a call table in ``fmt``; simple-seq holds one recording, so one file per recording.

    ``calls`` is a DataFrame, or the detector's columns (a dict of arrays), which are written as
    CSV without importing pandas (a fifth of a second of every ``usvlib detect``).
    """
    if isinstance(calls, dict):
        if fmt == "csv":
            from usvlib._io import write_csv_columns

            return [write_csv_columns(calls, out)]
        import pandas as pd

        calls = pd.DataFrame(calls)
    from usvlib.formats import write_calls

    if fmt != "simple-seq" or "recording" not in calls or calls.recording.nunique() <= 1:
        return [write_calls(calls, out, format=fmt)]
    names = simple_seq_names(out, calls.recording.unique())
    return [write_calls(part, names[rec], format=fmt) for rec, part in calls.groupby("recording", sort=False)]


def simple_seq_names(out: Path, recordings) -> dict:
    """The file of each recording when a simple-seq table (one recording per file) is split.

    Raises
    ------
    OutputError
        If two recordings would share a file (the same name in two folders).
    """
    from usvlib.errors import OutputError

    names = {rec: out.with_name(f"{out.stem}.{Path(str(rec)).stem}{out.suffix}") for rec in recordings}
    seen: dict[Path, str] = {}
    for rec, name in names.items():
        if name in seen:
            raise OutputError(
                f"{seen[name]} and {rec} would both be written to {name} (simple-seq holds one recording per "
                "file) - give recordings of distinct names, or --format csv"
            )
        seen[name] = str(rec)
    return names


def cmd_detect(args) -> int:
    from usvlib._io import check_output_file
    from usvlib.detect import detect_many_columns

    out = check_output_file(args.output, inputs=args.recordings)  # before the work, not after it
    recordings = list(dict.fromkeys(args.recordings))  # a file named twice is detected (and counted) once
    if args.format == "simple-seq" and len(recordings) > 1:
        simple_seq_names(out, recordings)
    for path in recordings:
        if (times := args.recordings.count(path)) > 1:
            print(f"note: {path} is listed {times} times: detected once", file=sys.stderr)
    calls, failures = detect_many_columns(
        recordings, channel=args.channel, progress=not args.quiet, workers=args.workers
    )
    for message in failures.values():
        print(f"skipped: {message}", file=sys.stderr)
    n_ok = len(recordings) - len(failures)
    if n_ok == 0:
        print(f"error: no recording could be read - nothing written ({out} left as it was)", file=sys.stderr)
        return 2
    if failures and out.exists():
        # an incomplete result never replaces an earlier one: it goes beside it
        out = out.with_name(f"{out.stem}.incomplete{out.suffix}")
        print(f"{args.output} exists and {len(failures)} recording(s) failed: writing {out} instead", file=sys.stderr)
    written = _write_table(calls, out, args.format)
    where = str(written[0]) if len(written) == 1 else f"{len(written)} {args.format} files beside {out}"
    print(f"{len(calls['onset_s'])} calls in {n_ok} recording(s) -> {where}")
    return 1 if failures else 0


def cmd_convert(args) -> int:
    from usvlib._io import check_output_file
    from usvlib.formats import read_calls

    out = check_output_file(args.output, inputs=[args.input])
    calls = read_calls(args.input, format=args.source_format)
    used = ", ".join(f"{k} <- {v}" for k, v in calls.attrs.get("columns_used", {}).items())
    written = _write_table(calls, out, args.to)
    print(
        f"{len(calls)} calls read as {calls.attrs.get('format', args.source_format)} ({used}) -> "
        + ", ".join(map(str, written))
    )
    return 0


def cmd_train(args) -> int:
    from usvlib._io import check_output_file
    from usvlib.classify import train_classifier
    from usvlib.user import load_user_recordings

    out = check_output_file(args.output, inputs=[args.manifest], example_name="classifier.usvmodel")
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = load_user_recordings(args.manifest, group_column=args.group)
    for note in dataset.notes:
        print(f"note: {note}", file=sys.stderr)
    clf = train_classifier(
        dataset, seed=args.seed, cross_validate_first=not args.no_cv, workers=args.workers, progress=not args.quiet
    )
    counts = clf.animals.groupby("group").agg(animals=("animal", "size"), usvs=("n_usvs", "sum"))
    print("trained on " + ", ".join(f"{g}: {r.animals} animals, {r.usvs} USVs" for g, r in counts.iterrows()))
    if clf.cv is not None:
        cv = clf.cv
        print(
            f"leave-one-animal-out balanced accuracy {100 * cv['accuracy_by_animal']:.1f} % "
            f"[{100 * cv['ci_low']:.1f}, {100 * cv['ci_high']:.1f}] (95 % over animals), chance "
            f"{100 * cv['chance']:.1f} %, p = {cv['p_value']:.2g}"
        )
    clf.save(out)
    print(f"classifier of {', '.join(clf.classes)} -> {out} ({time.perf_counter() - started:.0f} s)")
    return 0


def cmd_predict(args) -> int:
    import pandas as pd

    from usvlib._io import atomic_path, check_output_file
    from usvlib.classify import load_classifier
    from usvlib.errors import UsvlibError
    from usvlib.predict import predict_calls

    inputs = [args.model, *args.recordings, *([args.calls] if args.calls else [])]
    out = check_output_file(args.output, inputs=inputs)
    summary = out.with_name(f"{out.stem}.summary{out.suffix}")
    check_output_file(summary, inputs=inputs)
    clf = load_classifier(args.model)
    calls = None
    if args.calls:
        from usvlib.formats import read_calls

        calls = read_calls(args.calls)
    recordings = list(dict.fromkeys(args.recordings))
    per_recording_calls = calls_per_recording(calls, recordings, args.calls) if calls is not None else {}
    parts, failures = [], {}
    for path in recordings:  # one bad recording does not stop the others
        try:
            parts.append(predict_calls(clf, [path], calls=per_recording_calls.get(path)))
        except UsvlibError as exc:
            failures[path] = str(exc)
            print(f"skipped: {exc}", file=sys.stderr)
    if not parts:
        print(f"error: no recording could be used - nothing written ({out} left as it was)", file=sys.stderr)
        return 2
    per_call = pd.concat([p[0] for p in parts], ignore_index=True)
    per_recording = pd.concat([p[1] for p in parts], ignore_index=True)
    if failures and (out.exists() or summary.exists()):
        # an incomplete result never replaces an earlier one: it goes beside it
        out = out.with_name(f"{out.stem}.incomplete{out.suffix}")
        summary = out.with_name(f"{out.stem}.summary{out.suffix}")
        print(f"{args.output} exists and {len(failures)} recording(s) failed: writing {out} instead", file=sys.stderr)
    with atomic_path(out) as tmp:
        per_call.to_csv(tmp, index=False, float_format="%.10g")
    with atomic_path(summary) as tmp:
        per_recording.to_csv(tmp, index=False, float_format="%.6g")
    for _, row in per_recording.iterrows():
        shares = ", ".join(
            f"{c} {100 * row[f'share_{c}']:.0f} % "
            f"[{100 * row[f'share_{c}_low']:.0f}, {100 * row[f'share_{c}_high']:.0f}]"
            for c in clf.classes
            if row.n_calls
        )
        print(f"{row.recording}: {row.n_calls} calls" + (f"; assigned {shares}" if shares else ""))
    print(f"{len(per_call)} calls -> {out}; per recording -> {summary}")
    return 1 if failures else 0


def calls_per_recording(calls, recordings: list, table) -> dict:
    """Each recording's rows of an imported calls table (:func:`usvlib.formats.split_calls`),
    checked before any work; calls that belong to none are counted in a note.

    Raises
    ------
    ConfigError
        As ``split_calls`` does, and if no call belongs to any of the recordings.
    """
    from usvlib.errors import ConfigError
    from usvlib.formats import split_calls

    parts = split_calls(calls, [(path, None) for path in recordings], source=str(table))
    placed = sum(len(p) for p in parts)
    if placed == 0 and len(calls):
        shown = ", ".join(sorted(set(calls.recording.astype(str)))[:3])
        raise ConfigError(
            f"{table}: none of its {len(calls)} calls belongs to the recordings given (it names {shown}) - "
            "give those recordings, or name them in the table by path or file name"
        )
    if placed < len(calls):
        print(f"note: {len(calls) - placed} calls of {table} belong to none of the recordings given", file=sys.stderr)
    return {path: part.drop(columns="recording", errors="ignore") for path, part in zip(recordings, parts, strict=True)}


def cmd_extract(args) -> int:
    from usvlib.dataset import load_dataset
    from usvlib.extract import extract_dataset

    started = time.perf_counter()
    with warnings.catch_warnings():  # the notes are printed once, as lines of their own
        warnings.simplefilter("ignore")
        dataset = load_dataset(args.dataset, skip_unreadable=args.skip_unreadable)
    for note in dataset.notes:
        print(f"note: {note}", file=sys.stderr)
    calls = args.calls
    if calls not in ("auto", "detect", "truth"):
        from usvlib.formats import read_calls

        calls = read_calls(calls)
    ex = extract_dataset(dataset, calls=calls, workers=args.workers, progress=not args.quiet)
    what = "opened the cached" if ex.from_cache else "built the"
    n = len(ex.table)
    print(
        f"{what} per-USV cache in {time.perf_counter() - started:.1f} s: {n} USVs "
        f"({ex.n_did_not_fit} longer than the 250 ms canvas) -> {ex.path}"
    )
    return 0


def cmd_study(args) -> int:
    from usvlib.paper.study_run import run_study

    summary = run_study(
        args.manifest,
        args.group,
        args.out,
        profile=args.profile,
        seed=args.seed,
        calls=args.calls,
        html=not args.no_html,
    )
    print(f"study of {args.manifest} by {args.group} in {summary.seconds:.0f} s -> {summary.out_dir}")
    if summary.report is not None:
        print(f"report: {summary.report}")
    return 0
