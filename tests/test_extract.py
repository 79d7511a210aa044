import dataclasses
import signal
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from usvlib.dataset import load_dataset
from usvlib.errors import ConfigError
from usvlib.extract import ExtractParams, extract_dataset


def test_cache_is_built_once_and_invalidated_by_parameters(tiny_dataset, tmp_path):
    ds = load_dataset(tiny_dataset)
    tmp_path = tmp_path / "cache"
    first = extract_dataset(ds, calls="truth", workers=1, cache=tmp_path)
    assert not first.from_cache
    n = len(first.table)
    assert n == len(ds.ground_truth[ds.ground_truth.animal.isin(ds.recordings[ds.recordings.used].animal)])
    again = extract_dataset(ds, calls="truth", workers=2, cache=tmp_path)
    assert again.from_cache and again.path == first.path
    other = extract_dataset(
        ds,
        calls="truth",
        workers=1,
        cache=tmp_path,
        params=dataclasses.replace(ExtractParams(), background_percentile=80.0),
    )
    assert not other.from_cache and other.path != first.path
    detected = extract_dataset(ds, calls="detect", workers=1, cache=tmp_path)
    assert detected.path not in (first.path, other.path)
    # only complete files, no temporary ones
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".h5", ".h5", ".h5"]


def test_cache_does_not_depend_on_how_the_path_is_written(tiny_dataset, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    absolute = extract_dataset(load_dataset(tiny_dataset), calls="truth", workers=1, cache=cache)
    monkeypatch.chdir(tiny_dataset.parent)
    relative = extract_dataset(load_dataset(tiny_dataset.name), calls="truth", workers=1, cache=cache)
    assert relative.from_cache and relative.path == absolute.path


def test_contents(tiny_dataset, tmp_path):
    found = extract_dataset(tiny_dataset, calls="truth", workers=1, cache=tmp_path)
    n = len(found.table)
    images = found.array("images")
    assert images.shape == (n, 100, 100) and images.dtype == np.float32
    np.testing.assert_allclose(images.mean(axis=(1, 2)), 0, atol=1e-2)
    assert found.array("spectral_line").shape == (n, 100)
    assert found.array("freq_marginal").shape == (n, 233)
    t = found.table
    assert {"usv", "animal", "sex", "group", "onset_s", "offset_s", "truth_call_id", "duration_s", "peaks"} <= set(t)
    assert "sex" in set(t.experiment)
    assert (t.usv == np.arange(n)).all()
    subset = found.array("images", [3, 1])
    np.testing.assert_array_equal(subset, images[[1, 3]])
    with h5py.File(found.path) as f:
        assert f.attrs["source"] == "truth"


def test_detection_is_matched_to_the_truth(tiny_dataset, tmp_path):
    ds = load_dataset(tiny_dataset)
    found = extract_dataset(ds, calls="detect", workers=1, cache=tmp_path)
    matched = found.table.truth_call_id >= 0
    assert matched.mean() > 0.9
    truth = ds.ground_truth.set_index("call_id")
    assert (truth.loc[found.table.truth_call_id[matched], "animal"].to_numpy() == found.table.animal[matched]).all()


def test_bad_choice(tiny_dataset, tmp_path):
    with pytest.raises(ConfigError, match="calls must be"):
        extract_dataset(tiny_dataset, calls="guess", cache=tmp_path)


def test_a_damaged_cache_is_rebuilt_and_a_killed_run_s_temporary_removed(tiny_dataset, tmp_path):
    ds = load_dataset(tiny_dataset)
    cache = tmp_path / "cache"
    first = extract_dataset(ds, calls="truth", workers=1, cache=cache)
    good = first.path.read_bytes()
    first.path.write_bytes(good[: len(good) // 3])  # truncated, as by a full disk
    stale = first.path.with_name(f".{first.path.stem}.tmp-999999999{first.path.suffix}")  # no such PID
    stale.write_bytes(b"half")
    with pytest.warns(UserWarning, match="cannot be read"):
        again = extract_dataset(ds, calls="truth", workers=1, cache=cache)
    assert not again.from_cache and len(again.table) == len(first.table)
    assert not stale.exists() and again.path.read_bytes() != good[: len(good) // 3]


def _same_cache(a, b) -> None:
    pd.testing.assert_frame_equal(a.table, b.table)
    for name in ("images", "spectral_line", "time_marginal", "freq_marginal"):
        np.testing.assert_array_equal(a.array(name), b.array(name))


def test_an_interrupted_extraction_resumes_where_it_stopped(tiny_dataset, tmp_path, monkeypatch):
    import usvlib.extract as extract

    ds = load_dataset(tiny_dataset)
    whole = extract_dataset(ds, calls="truth", workers=1, cache=tmp_path / "whole")
    real_job, done = extract._recording_job, []

    def interrupted_after_two(job):
        if len(done) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the third recording
        done.append(job["index"])
        return real_job(job)

    monkeypatch.setattr(extract, "_recording_job", interrupted_after_two)
    cache = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        extract_dataset(ds, calls="truth", workers=1, cache=cache)
    assert not list(cache.glob("*.h5"))  # no cache file from a run that did not finish
    (parts,) = cache.glob("*.parts")
    assert len(list(parts.glob("*.h5"))) == 2

    resumed_jobs = []

    def counted(job):
        resumed_jobs.append(job["index"])
        return real_job(job)

    monkeypatch.setattr(extract, "_recording_job", counted)
    resumed = extract_dataset(ds, calls="truth", workers=1, cache=cache)
    n_recordings = int(ds.recordings.used.sum())
    assert sorted(resumed_jobs) == sorted(set(range(n_recordings)) - set(done))
    assert not parts.exists() and [p.suffix for p in cache.iterdir()] == [".h5"]
    _same_cache(resumed, whole)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_a_killed_extraction_resumes_and_cleans_up(tiny_dataset, tmp_path, monkeypatch, how):
    import usvlib.extract as extract

    cache = tmp_path / "cache"
    script = (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # a background job inherits SIGINT ignored
        "import usvlib.extract as extract\n"
        "real, done = extract._recording_job, []\n"
        "def job(j):\n"
        "    if len(done) == 1:\n"
        f"        os.kill(os.getpid(), {int(how)})\n"
        "    done.append(1)\n"
        "    return real(j)\n"
        "extract._recording_job = job\n"
        f"extract.extract_dataset({str(tiny_dataset)!r}, calls='truth', workers=1, cache={str(cache)!r})\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert killed.returncode != 0  # SIGKILL: killed at once; SIGINT: KeyboardInterrupt in the job
    (parts,) = cache.glob("*.parts")
    assert len(list(parts.glob("[0-9]*.h5"))) == 1
    stale = parts / ".00001.tmp-999999999.h5"  # what a kill during a write leaves (no such PID)
    stale.write_bytes(b"half")
    # the cache key follows usvlib's code only: a wrapper that passes through has the killed run's key
    real_job = extract._recording_job
    monkeypatch.setattr(extract, "_recording_job", lambda job: real_job(job))
    resumed = extract_dataset(tiny_dataset, calls="truth", workers=1, cache=cache)
    assert not parts.exists() and [p.suffix for p in cache.iterdir()] == [".h5"]
    monkeypatch.undo()
    _same_cache(resumed, extract_dataset(tiny_dataset, calls="truth", workers=1, cache=tmp_path / "whole"))


def test_a_recording_damaged_mid_file_is_named_after_the_others_are_done(tiny_dataset, tmp_path):
    import soundfile as sf

    from usvlib.errors import AudioError
    from usvlib.manifest import write_manifest

    sex = tiny_dataset / "Data" / "RawRecordings" / "Sex"
    victim = sorted(sex.glob("Rfem_*.wav"))[1]
    x, rate = sf.read(victim, dtype="float32")
    x[len(x) // 2] = np.nan  # a readable header, a bad sample in the middle
    sf.write(victim, x, rate, subtype="FLOAT")
    write_manifest(tiny_dataset)
    cache = tmp_path / "cache"
    with pytest.raises(AudioError) as exc:
        extract_dataset(tiny_dataset, calls="truth", workers=1, cache=cache)
    message = str(exc.value)
    assert f"{victim.name}: has NaN or infinite samples" in message and "\n" not in message
    assert "1 of" in message and "the other recordings are kept and not redone" in message
    (parts,) = cache.glob("*.parts")
    n_used = int(load_dataset(tiny_dataset).recordings.used.sum())
    assert len(list(parts.glob("*.h5"))) == n_used - 1
