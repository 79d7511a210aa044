import subprocess
import sys

from conftest import REPO


def _run(*args):
    return subprocess.run([sys.executable, "-m", "usvlib", *args], capture_output=True, text=True, cwd=REPO)


def test_verify_ok_and_corrupted(tiny_dataset):
    ok = _run("verify", str(tiny_dataset))
    assert ok.returncode == 0 and "all files present and intact" in ok.stdout
    wav = tiny_dataset / "Data/RawRecordings/Sex/Rfem_Afem02.wav"
    wav.write_bytes(wav.read_bytes()[:-10] + b"0123456789")
    (tiny_dataset / "README.txt").unlink()
    bad = _run("verify", str(tiny_dataset))
    assert bad.returncode == 1
    assert "CORRUPTED Data/RawRecordings/Sex/Rfem_Afem02.wav" in bad.stdout
    assert "MISSING   README.txt" in bad.stdout
    only = _run("verify", str(tiny_dataset), "--only", "Data/RawRecordings/Sex/Rmale_*")
    assert only.returncode == 0 and "8 files checked" in only.stdout


def test_user_errors_are_one_line_without_traceback(tmp_path):
    res = _run("synth", "--profile", "quick", "--out", str(tmp_path))
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and "already exists" in res.stderr
    assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1
    res = _run("verify", str(tmp_path / "nothing"))
    assert res.returncode == 2 and "no manifest" in res.stderr
    afile = tmp_path / "afile.txt"
    afile.write_text("x")
    res = _run("verify", str(afile))
    assert res.returncode == 2 and "is a file - give the dataset's folder" in res.stderr
    res = _run("reproduce", "--profile", "quick", "--only", "abc")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr


def test_profiles_version_and_help():
    res = _run("profiles")
    assert res.returncode == 0 and "quick" in res.stdout and "paper" in res.stdout
    import usvlib

    assert _run("--version").stdout.strip() == f"usvlib {usvlib.__version__}"
    assert _run("--help").returncode == 0
    commands = ("synth", "verify", "reproduce", "detect", "convert", "extract", "train", "predict", "study", "profiles")
    for command in commands:
        res = _run(command, "--help")
        # what it does, where it writes, and an example of its use
        assert res.returncode == 0 and f"example:\n  usvlib {command}" in res.stdout, command
        assert "write" in res.stdout.lower(), command


def test_detect_command(tmp_path):
    from usvlib.paths import reference_clips_dir

    clip = reference_clips_dir() / "1" / "rec_1.wav"
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"")
    out = tmp_path / "calls.csv"
    res = _run("detect", str(clip), str(bad), "-o", str(out), "--quiet")
    assert res.returncode == 1  # one file failed: said, and the rest still written
    assert "bad.wav: the file is empty" in res.stderr
    import pandas as pd

    calls = pd.read_csv(out)
    assert len(calls) == 16 and set(calls.columns) >= {"recording", "onset_s", "offset_s", "mean_freq_hz"}


def test_detect_writes_the_table_write_calls_writes_without_pandas(tmp_path):
    """``usvlib detect`` writes its CSV from the detector's columns, without importing pandas; the
    bytes are those of ``write_calls(detect_many(...))``, with an empty table and a comma in a name."""
    import shutil

    import numpy as np

    from usvlib.audio import write_wav
    from usvlib.detect import detect_many
    from usvlib.formats import write_calls
    from usvlib.paths import reference_clips_dir

    clip = tmp_path / "rec, one.wav"
    shutil.copy(reference_clips_dir() / "1" / "rec_1.wav", clip)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(300_000), 300_000)
    for paths in ([clip, silent], [silent]):
        out, expected = tmp_path / "cli.csv", tmp_path / "library.csv"
        assert _run("detect", *map(str, paths), "-o", str(out), "--quiet").returncode == 0
        write_calls(detect_many(paths, progress=False)[0], expected)
        assert out.read_bytes() == expected.read_bytes()
    probe = "import sys, usvlib.cli; usvlib.cli.main(sys.argv[1:]); print('pandas' in sys.modules)"
    res = subprocess.run(
        [sys.executable, "-c", probe, "detect", str(clip), "-o", str(tmp_path / "p.csv"), "--quiet"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert res.stdout.strip().endswith("False")


def test_detect_checks_its_output_first_and_never_replaces_a_good_one(tmp_path):
    from usvlib.paths import reference_clips_dir

    clip = str(reference_clips_dir() / "1" / "rec_1.wav")
    out = tmp_path / "calls.csv"
    assert _run("detect", clip, "-o", str(out), "--quiet").returncode == 0
    good = out.read_text()
    # a run in which no recording can be read leaves the good table alone
    res = _run("detect", str(tmp_path / "typo.wav"), "-o", str(out), "--quiet")
    assert res.returncode == 2 and "nothing written" in res.stderr and out.read_text() == good
    # a run with a failure writes beside the good table, not over it
    res = _run("detect", clip, str(tmp_path / "typo.wav"), "-o", str(out), "--quiet")
    assert res.returncode == 1 and out.read_text() == good
    assert (tmp_path / "calls.incomplete.csv").is_file()
    # impossible outputs are refused before any detection, in one line
    afile = tmp_path / "afile"
    afile.write_text("x")
    for bad_out, says in ((tmp_path, "is a folder"), (afile / "calls.csv", "is a file, not a folder")):
        res = _run("detect", clip, "-o", str(bad_out), "--quiet")
        assert res.returncode == 2 and says in res.stderr and res.stderr.count("\n") == 1, bad_out
        assert "Traceback" not in res.stderr


def test_extract_command(tiny_dataset, tmp_path):
    import os

    env = {**os.environ, "USVLIB_CACHE": str(tmp_path / "cache")}
    import subprocess

    def run():
        return subprocess.run(
            [sys.executable, "-m", "usvlib", "extract", str(tiny_dataset), "--quiet"],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
        )

    first, second = run(), run()
    assert first.returncode == 0 and "built the per-USV cache" in first.stdout
    assert "opened the cached" in second.stdout


def test_detect_a_file_named_twice_is_detected_once_and_a_damaged_flac_is_skipped(tmp_path):
    import numpy as np
    import pandas as pd
    import soundfile as sf

    from usvlib.paths import reference_clips_dir

    clip = str(reference_clips_dir() / "1" / "rec_1.wav")
    x, rate = sf.read(clip)
    flac = tmp_path / "cut.flac"
    sf.write(flac, np.asarray(x), rate, format="FLAC")
    flac.write_bytes(flac.read_bytes()[: flac.stat().st_size // 2])
    out = tmp_path / "calls.csv"
    res = _run("detect", clip, str(flac), clip, clip, "-o", str(out), "--quiet")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{clip} is listed 3 times: detected once" in res.stderr
    assert "skipped:" in res.stderr and "cut.flac: cannot be read between" in res.stderr
    assert "16 calls in 1 recording(s)" in res.stdout and len(pd.read_csv(out)) == 16


def test_unwritable_outputs_are_refused_before_any_work(tmp_path, monkeypatch):
    import os

    import pytest

    from usvlib._io import check_output_file, check_output_folder
    from usvlib.errors import OutputError

    real_access = os.access
    locked = tmp_path / "locked"
    locked.mkdir()
    # root may write anywhere, so a read-only folder is simulated where the check asks
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode))
    with pytest.raises(OutputError, match="the folder .*locked is not writable - choose another output path"):
        check_output_file(locked / "calls.csv")
    with pytest.raises(OutputError, match="locked is not writable - choose another output folder"):
        check_output_folder(locked / "out")
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(OutputError, match="afile: is a file - give a folder"):
        check_output_folder(afile)
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output_folder(afile / "out")
    assert check_output_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"


def test_reproduce_and_synth_refuse_bad_output_folders_in_one_line(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    res = _run("reproduce", "--profile", "quick", "--only", "00", "--out", str(afile))
    assert res.returncode == 2 and "afile: is a file - give a folder" in res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    res = _run("synth", "--out", str(afile))
    assert res.returncode == 2 and "is a file: give a folder" in res.stderr and res.stderr.count("\n") == 1
    # "." (here a folder with a file in it) is refused by name, not with a traceback
    res = subprocess.run(
        [sys.executable, "-m", "usvlib", "synth", "--out", ".", "--overwrite"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.returncode == 2 and "is not a synthetic dataset" in res.stderr and "Traceback" not in res.stderr
    assert afile.read_text() == "x"


def test_verify_names_an_unlisted_recording(tiny_dataset):
    import shutil

    sex = tiny_dataset / "Data" / "RawRecordings" / "Sex"
    male = sorted(sex.glob("Rmale_*.wav"))[0]
    shutil.copy(male, sex / "Rfem_Afem11.wav")  # a male's recording renamed as a female's
    res = _run("verify", str(tiny_dataset))
    assert res.returncode == 1 and "all files present and intact" not in res.stdout
    assert "UNLISTED  Data/RawRecordings/Sex/Rfem_Afem11.wav" in res.stdout
    assert "remove the unlisted recordings" in res.stdout
    res = _run("verify", str(tiny_dataset), "--only", "Data/RawRecordings/Nothing/*")
    assert res.returncode == 2 and "no file matches" in res.stderr and res.stderr.count("\n") == 1


def test_extract_skip_unreadable(tiny_dataset, tmp_path):
    import os

    sex = tiny_dataset / "Data" / "RawRecordings" / "Sex"
    victim = sorted(sex.glob("Rfem_*.wav"))[0]
    victim.write_bytes(victim.read_bytes()[:30])  # the header cut short
    from usvlib.manifest import write_manifest

    write_manifest(tiny_dataset)  # as listed: the file is intact by its manifest, but unreadable
    env = {**os.environ, "USVLIB_CACHE": str(tmp_path / "cache")}

    def run(*extra):
        return subprocess.run(
            [sys.executable, "-m", "usvlib", "extract", str(tiny_dataset), "--quiet", *extra],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
        )

    refused = run()
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "recording(s) cannot be used" in refused.stderr and "--skip-unreadable" in refused.stderr
    assert victim.name in refused.stderr
    done = run("--skip-unreadable")
    assert done.returncode == 0 and "built the per-USV cache" in done.stdout and victim.name in done.stderr


def test_detect_writes_raven_and_one_simple_seq_file_per_recording_in_two_workers(tmp_path):
    import shutil

    import pandas as pd

    from usvlib.formats import read_calls
    from usvlib.paths import reference_clips_dir

    clips = [reference_clips_dir() / k / f"rec_{k}.wav" for k in ("1", "2")]
    copies = []
    for clip in clips:
        copies.append(tmp_path / clip.name)
        shutil.copy(clip, copies[-1])
    csv = tmp_path / "calls.csv"
    assert _run("detect", *map(str, copies), "-o", str(csv), "--quiet").returncode == 0
    reference = pd.read_csv(csv)
    raven = tmp_path / "calls.selections.txt"
    res = _run("detect", *map(str, copies), "-o", str(raven), "--format", "raven", "--workers", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    selections = read_calls(raven)
    assert selections.attrs["format"] == "Raven selection table" and len(selections) == len(reference)
    seq = tmp_path / "seq.csv"
    res = _run("detect", *map(str, copies), "-o", str(seq), "--format", "simple-seq", "--quiet")
    assert res.returncode == 0 and "2 simple-seq files" in res.stdout
    per_file = [read_calls(tmp_path / f"seq.{c.stem}.csv") for c in copies]
    assert [len(t) for t in per_file] == reference.groupby("recording", sort=False).size().tolist()


def test_convert_a_deepsqueak_file_to_raven_and_back_to_csv(tmp_path):
    import pytest

    pytest.importorskip("matio")
    from usvlib.formats import read_calls

    source = REPO / "tests" / "fixtures" / "deepsqueak" / "example_mouse_2021-02-25.mat"
    raven = tmp_path / "mouse.selections.txt"
    res = _run("convert", str(source), "--to", "raven", "-o", str(raven))
    assert res.returncode == 0 and res.stdout.startswith("714 calls read as DeepSqueak (onset_s <- Box(1)")
    back = tmp_path / "mouse.csv"
    assert _run("convert", str(raven), "--to", "csv", "-o", str(back)).returncode == 0
    original, again = read_calls(source), read_calls(back)
    assert len(again) == 714
    assert (
        abs(again.onset_s - original.onset_s).max() < 1e-6
        and abs(again.max_freq_hz - original.max_freq_hz).max() < 1e-3
    )
    res = _run("convert", str(tmp_path / "none.mat"), "--to", "csv", "-o", str(tmp_path / "x.csv"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "none.mat: no such file" in res.stderr


def test_train_then_predict_from_the_command_line(quick_dataset, tmp_path):
    import pandas as pd

    sex = quick_dataset / "Data" / "RawRecordings" / "Sex"
    rows = [(sex / f"Rfem_Afem0{i}.wav", f"f{i}", "wild") for i in (1, 2)]
    rows += [(sex / f"Rmale_Afem0{i}.wav", f"m{i}", "mutant") for i in (1, 2)]
    manifest = tmp_path / "mine.csv"
    pd.DataFrame(rows, columns=["path", "animal", "genotype"]).to_csv(manifest, index=False)
    model = tmp_path / "genotype.usvmodel"
    res = _run("train", str(manifest), "--group", "genotype", "--no-cv", "-o", str(model), "--quiet")
    assert res.returncode == 0, res.stderr
    assert "trained on mutant: 2 animals" in res.stdout and model.is_file()
    out = tmp_path / "predictions.csv"
    new = sex / "Rfem_Afem03.wav"
    res = _run("predict", str(model), str(new), "-o", str(out))
    assert res.returncode == 0, res.stderr
    per_call, summary = pd.read_csv(out), pd.read_csv(tmp_path / "predictions.summary.csv")
    assert len(per_call) > 0 and {"p_mutant", "p_wild", "predicted"} <= set(per_call.columns)
    assert summary.n_calls.tolist() == [len(per_call)] and "assigned mutant" in res.stdout
    # a bad recording in a batch is skipped, the others finished, the good output left alone
    good = out.read_bytes()
    broken = tmp_path / "broken.wav"
    broken.write_bytes(new.read_bytes()[:5000])
    res = _run("predict", str(model), str(broken), str(new), "-o", str(out))
    assert res.returncode == 1 and "skipped: " in res.stderr and "broken.wav: truncated" in res.stderr
    assert out.read_bytes() == good and pd.read_csv(tmp_path / "predictions.incomplete.csv").equals(per_call)
    # a calls table that names none of the recordings is refused, nothing written
    other = tmp_path / "other_calls.csv"
    other.write_text("recording,onset_s,offset_s\nother.wav,0.1,0.2\n")
    res = _run("predict", str(model), str(new), "--calls", str(other), "-o", str(out))
    assert res.returncode == 2 and "none of its 1 calls belongs to the recordings given" in res.stderr
    assert out.read_bytes() == good
    anonymous = tmp_path / "anonymous_calls.csv"  # no recording column: whose calls, of two recordings?
    anonymous.write_text("onset_s,offset_s\n0.1,0.2\n")
    res = _run(
        "predict", str(model), str(new), str(sex / "Rmale_Afem03.wav"), "--calls", str(anonymous), "-o", str(out)
    )
    assert res.returncode == 2 and "can serve one recording only" in res.stderr and out.read_bytes() == good
    # the output is never one of the inputs
    res = _run("predict", str(model), str(new), "-o", str(model))
    assert res.returncode == 2 and "is one of the inputs" in res.stderr and model.is_file()
    res = _run("train", str(manifest), "--group", "strain", "-o", str(tmp_path / "x.usvmodel"))
    assert res.returncode == 2 and "no column 'strain' to group by" in res.stderr and res.stderr.count("\n") == 1


def test_the_command_line_offers_exactly_the_formats_usvlib_reads_and_writes():
    from usvlib import cli, formats

    assert set(cli.READ_FORMATS) == set(formats.READERS) and set(cli.WRITE_FORMATS) == set(formats.WRITERS)
