"""The same work on a real Dask cluster (two local workers on the loopback interface) gives the same numbers."""

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local.scheduler_address


def test_folds_on_the_cluster_equal_the_local_run(cluster, tmp_path):
    from test_crossval import _small_network

    from usvlib.crossval import cross_validate, leave_one_animal_out

    rng = np.random.default_rng(0)
    animals = np.repeat([f"f{i}" for i in range(3)] + [f"m{i}" for i in range(3)], 30)
    y = np.array([a.startswith("m") for a in animals], int)
    x = rng.standard_normal((len(y), 5)) + 1.0 * y[:, None]
    folds = leave_one_animal_out(animals)
    fit = _small_network(x, y)
    local = cross_validate("local", fit, folds, y, config={}, code="c", cache=tmp_path, workers=2, threads=1)
    remote = cross_validate("dask", fit, folds, y, config={}, code="c", cache=tmp_path, threads=1, scheduler=cluster)
    cols = [c for c in local.predictions if c.startswith("score_")]
    np.testing.assert_array_equal(local.predictions[cols].to_numpy(), remote.predictions[cols].to_numpy())
    assert remote.from_cache == 0
    again = cross_validate("dask", fit, folds, y, config={}, code="c", cache=tmp_path, threads=1, scheduler=cluster)
    assert again.from_cache == len(folds)  # the workers wrote the fold files where this process reads them


def test_detection_on_the_cluster_equals_the_local_run(cluster, tmp_path):
    import pandas as pd

    from usvlib.detect import detect_many
    from usvlib.paths import reference_clips_dir

    clips = [reference_clips_dir() / k / f"rec_{k}.wav" for k in ("1", "2", "3")]
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"")
    local, local_failed = detect_many([*clips, bad], progress=False)
    remote, remote_failed = detect_many([*clips, bad], progress=False, scheduler=cluster)
    pd.testing.assert_frame_equal(local, remote)
    assert list(remote_failed) == list(local_failed) == [str(bad)]


def test_an_unreachable_scheduler_is_one_clear_line(tmp_path):
    from usvlib.detect import detect_many
    from usvlib.errors import UsvlibError

    with pytest.raises(UsvlibError, match=r"cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        detect_many([tmp_path / "x.wav"], progress=False, scheduler="tcp://127.0.0.1:9")
