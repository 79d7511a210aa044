"""Random valid and invalid inputs: a well-formed result or the project's own error, never another
exception (Hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signals import RATE, noise

from usvlib.audio import write_wav
from usvlib.detect import CALL_COLUMNS, detect_samples
from usvlib.errors import UsvlibError
from usvlib.products import recording_products
from usvlib.user import load_user_recordings

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

samples = st.one_of(
    st.builds(lambda n, scale: np.random.default_rng(n).normal(0, scale, n), st.integers(0, 30_000), st.floats(0, 2)),
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=50).map(np.asarray),
    st.builds(lambda n: np.zeros((n, 2)), st.integers(1, 100)),  # two channels
    st.just(np.array([], dtype=np.int16)),
    st.builds(lambda n: np.full(n, 32767, np.int16), st.integers(1, 5000)),
)
rates = st.one_of(st.sampled_from([250_000, 300_000, 500_000]), st.integers(-10, 400_000))


@SETTINGS
@given(x=samples, rate_hz=rates)
def test_detect_samples_returns_a_table_or_says_why(x, rate_hz):
    try:
        calls = detect_samples(x, rate_hz=rate_hz)
    except UsvlibError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert list(calls.columns)[: len(CALL_COLUMNS)] == list(CALL_COLUMNS) or set(CALL_COLUMNS) <= set(calls.columns)
    assert (calls.offset_s > calls.onset_s).all()


times = st.floats(allow_nan=True, allow_infinity=True, min_value=None, max_value=None)
tables = st.one_of(
    st.lists(st.tuples(times, times), max_size=6).map(lambda rows: pd.DataFrame(rows, columns=["onset_s", "offset_s"])),
    st.lists(st.tuples(st.floats(0, 0.9), st.floats(0.001, 0.2)), max_size=6).map(
        lambda rows: pd.DataFrame(sorted((a, a + d) for a, d in rows), columns=["onset_s", "offset_s"])
    ),
    st.just(pd.DataFrame({"onset": [0.1]})),
)


@pytest.fixture(scope="module")
def one_second(tmp_path_factory):
    return write_wav(tmp_path_factory.mktemp("rec") / "rec.wav", np.clip(noise(1.0), -1, 1), RATE)


@SETTINGS
@given(calls=tables)
def test_recording_products_are_well_formed_or_refused(one_second, calls):
    try:
        out = recording_products(one_second, calls, with_properties=False)
    except UsvlibError as exc:
        assert "rec.wav" in str(exc)
        return
    assert out["images"].shape == (len(calls), 100, 100)
    assert np.isfinite(out["images"].astype(np.float32)).all()


cells = st.one_of(st.just(""), st.just("REC"), st.just("missing.wav"), st.sampled_from(["m", "f", "male", "x", "KO"]))


@SETTINGS
@given(
    rows=st.lists(st.tuples(cells, cells, cells), max_size=5),
    header=st.sampled_from(["path,animal,sex", "path,animal,group", "path,sex", "a,b,c"]),
)
def test_the_manifest_loader_loads_or_says_why(tmp_path_factory, one_second, rows, header):
    folder = tmp_path_factory.mktemp("manifest")
    text = header + "\n" + "".join(",".join(c.replace("REC", str(one_second)) for c in row) + "\n" for row in rows)
    (folder / "mine.csv").write_text(text)
    try:
        ds = load_user_recordings(folder / "mine.csv")
    except UsvlibError as exc:
        assert "mine.csv" in str(exc) or "rec.wav" in str(exc)
        return
    assert len(ds.recordings) == len(rows) and ds.recordings.recording.is_unique
