"""Bad input to the commands: one line naming the file and the fix; nothing good is lost."""

import os
import shutil

import numpy as np
import pytest
from signals import RATE, noise

from usvlib import cli
from usvlib.audio import write_wav


def _main(capsys, *args) -> tuple[int, str]:
    status = cli.main(list(args))
    err = capsys.readouterr().err
    return status, err


@pytest.fixture
def recording(tmp_path):
    return write_wav(tmp_path / "rec.wav", np.clip(noise(0.5), -1, 1), RATE)


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path, recording, capsys):
    before = recording.read_bytes()
    status, err = _main(capsys, "detect", str(recording), "-o", str(recording), "--quiet")
    assert status == 2 and "rec.wav: is one of the inputs" in err and err.count("\n") == 1
    assert recording.read_bytes() == before
    table = tmp_path / "calls.csv"
    table.write_text("onset_s,offset_s\n0.1,0.2\n")
    status, err = _main(capsys, "convert", str(table), "--to", "csv", "-o", str(table))
    assert status == 2 and "is one of the inputs" in err and table.read_text() == "onset_s,offset_s\n0.1,0.2\n"


def test_two_recordings_of_one_name_cannot_share_a_simple_seq_file(tmp_path, recording, capsys):
    other = tmp_path / "b" / "rec.wav"
    other.parent.mkdir()
    shutil.copy(recording, other)
    status, err = _main(
        capsys, "detect", str(recording), str(other), "--format", "simple-seq", "-o", str(tmp_path / "s.csv")
    )
    assert status == 2 and "would both be written to" in err and "--format csv" in err
    assert not list(tmp_path.glob("s.*"))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_recording_is_skipped_in_one_line(tmp_path, recording, capsys):
    locked = tmp_path / "locked.wav"
    shutil.copy(recording, locked)
    locked.chmod(0)
    try:
        status, err = _main(capsys, "detect", str(locked), str(recording), "-o", str(tmp_path / "c.csv"), "--quiet")
    finally:
        locked.chmod(0o644)
    assert status == 1 and "locked.wav: cannot be read (permission denied)" in err and "Traceback" not in err
    assert (tmp_path / "c.csv").is_file()


def test_an_unreadable_recording_is_an_audio_error(tmp_path, recording, monkeypatch):
    # the same path for root, which reads any file: the open itself is refused
    import builtins

    from usvlib.audio import read_audio
    from usvlib.errors import AudioError

    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if str(file) == str(recording):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    with pytest.raises(AudioError, match="rec.wav: cannot be read \\(permission denied\\)"):
        read_audio(recording)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            b"path,animal,sex\n/x/\xff.wav,a1,female\n",
            "not UTF-8 text (byte 0xff on line 2) - save the manifest as UTF-8",
        ),
        (b"path,animal,sex\n/x/a.wav,a1,female,extra\n", "the first row has 1 more field(s) than the header"),
        (b"path,animal,sex\n/x/a.wav,a1,female\n/x/b.wav,a2,male,extra\n", "Expected 3 fields in line 3, saw 4"),
    ],
)
def test_a_malformed_manifest_is_named_in_one_line(tmp_path, capsys, content, says):
    manifest = tmp_path / "mine.csv"
    manifest.write_bytes(content)
    status, err = _main(capsys, "train", str(manifest), "--no-cv", "-o", str(tmp_path / "m.usvmodel"))
    assert status == 2 and f"{manifest}: " in err and says in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [  # a long row that pandas would shift into an index; a time before the recording starts
        (
            "ragged.csv",
            "recording,onset_s,offset_s\nrec.wav,0.2,0.23,5,6\n",
            "the first row has 2 more field(s) than the header",
        ),
        ("negative.csv", "onset_s,offset_s\n0.1,0.2\n-0.3,-0.25\n", "call 2 starts before the recording (-0.3 s)"),
    ],
)
def test_a_call_table_that_would_be_misread_is_refused(tmp_path, capsys, name, content, says):
    table = tmp_path / name
    table.write_text(content)
    status, err = _main(capsys, "convert", str(table), "--to", "raven", "-o", str(tmp_path / "out.txt"))
    assert status == 2 and f"{name}: {says}" in err
    assert not (tmp_path / "out.txt").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--workers", "0"], "'0': give a whole number of processes, 1 or more"),
        (["--workers", "two"], "'two': give a whole number of processes"),
        (["--scheduler", "garbage"], "'garbage': give a Dask scheduler's address, e.g. tcp://host:8786"),
    ],
)
def test_bad_options_are_refused_before_any_work(recording, capsys, args, says):
    with pytest.raises(SystemExit) as exc:
        cli.main(["detect", str(recording), "-o", str(recording.with_suffix(".csv")), *args])
    assert exc.value.code == 2 and says in capsys.readouterr().err


@pytest.mark.parametrize(
    "address",
    ["tcp://10.0.0.5:8786", "scheduler:8786", "tls://dask-head.lab.org:8786", "tcp://[fe80::1%eth0]:8786", "local"],
)
def test_scheduler_addresses_that_dask_takes_are_accepted(address):
    assert cli._scheduler_address(address) == address
    assert cli._scheduler_address("") is None  # --scheduler "$UNSET" is as if it were not given


def test_r_row_names_are_dropped_and_other_long_rows_refused(tmp_path):
    from usvlib._io import read_csv_checked
    from usvlib.errors import UsvlibError

    r_table = tmp_path / "r.csv"  # R's write.table(sep=","): row names the header does not name
    r_table.write_text('"path","animal","sex"\n"1","a.wav","m1","male"\n"2","b.wav","f1","female"\n')
    table = read_csv_checked(r_table, "manifest", "fix", dtype=str)
    assert table.columns.tolist() == ["path", "animal", "sex"] and table.path.tolist() == ["a.wav", "b.wav"]
    shifted = tmp_path / "shifted.csv"
    shifted.write_text("path,animal,sex\n/x/a.wav,a1,female,extra\n")
    with pytest.raises(UsvlibError, match="shifted.csv: the first row has 1 more field"):
        read_csv_checked(shifted, "manifest", "fix", dtype=str)
    mixed = tmp_path / "mixed.csv"  # a valid two-byte character before the bad byte
    mixed.write_bytes(b"path,animal,sex\nx\xc3\xa9.wav,a,male\nb.wav,b,female\n\xa9c.wav,c,male\n")
    with pytest.raises(UsvlibError, match="byte 0xa9 on line 4"):
        read_csv_checked(mixed, "manifest", "fix", dtype=str)


def test_a_calls_table_that_names_two_recordings_alike_is_refused(tmp_path, recording, capsys):
    from usvlib.commands import calls_per_recording
    from usvlib.errors import ConfigError
    from usvlib.formats import read_calls

    other = tmp_path / "b" / "rec.wav"
    other.parent.mkdir()
    shutil.copy(recording, other)
    table = tmp_path / "calls.csv"
    table.write_text("recording,onset_s,offset_s\nrec.wav,0.1,0.2\n")
    with pytest.raises(ConfigError, match="row 1 \\(rec.wav\\) names both"):
        calls_per_recording(read_calls(table), [recording, other], table)
    table.write_text(f"recording,onset_s,offset_s\n{recording},0.1,0.2\n{other},0.3,0.4\nlost.wav,0.1,0.2\n")
    mine = calls_per_recording(read_calls(table), [recording, other], table)  # by path: each its own
    assert mine[recording].onset_s.tolist() == [0.1] and mine[other].onset_s.tolist() == [0.3]
    assert "1 calls of" in capsys.readouterr().err  # the third names neither
