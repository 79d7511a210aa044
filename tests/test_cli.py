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


def test_profiles_and_help():
    res = _run("profiles")
    assert res.returncode == 0 and "quick" in res.stdout and "paper" in res.stdout
    assert _run("--help").returncode == 0
