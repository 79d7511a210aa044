"""recording_products refuses calls tables that would give silent zeros."""

import numpy as np
import pandas as pd
import pytest
from signals import RATE, noise

from usvlib.audio import write_wav
from usvlib.errors import DatasetError
from usvlib.products import recording_products


@pytest.fixture
def one_second(tmp_path):
    return write_wav(tmp_path / "rec.wav", np.clip(noise(1.0), -1, 1), RATE)


@pytest.mark.parametrize(
    ("calls", "says"),
    [
        (pd.DataFrame({"onset_s": [0.1]}), "needs columns onset_s and offset_s"),
        (
            pd.DataFrame({"onset_s": [np.nan], "offset_s": [0.2]}),
            "1 call(s) of the calls table, the first at nan-0.2000 s: onset_s or offset_s is",
        ),
        (
            pd.DataFrame({"onset_s": [0.1, 0.5], "offset_s": [0.2, 0.4]}),
            "the first at 0.5000-0.4000 s: offset_s is not after",
        ),
        (pd.DataFrame({"onset_s": [1.5], "offset_s": [1.6]}), "starts outside the recording (0 to 1.000 s)"),
        (pd.DataFrame({"onset_s": [0.5, 0.99], "offset_s": [0.6, 1.2]}), "at 0.9900-1.2000 s: the call ends after the"),
        (pd.DataFrame({"onset_s": [0.5, 0.1], "offset_s": [0.6, 0.2]}), "not sorted by onset_s"),
        (pd.DataFrame({"onset_s": ["a"], "offset_s": ["b"]}), "must be numbers"),
    ],
)
def test_a_bad_calls_table_is_named_in_one_line(one_second, calls, says):
    with pytest.raises(DatasetError) as exc:
        recording_products(one_second, calls, with_properties=False)
    message = str(exc.value)
    assert says in message and "rec.wav" in message and "\n" not in message


def test_a_valid_table_gives_one_row_per_call(one_second):
    out = recording_products(one_second, pd.DataFrame({"onset_s": [0.1, 0.5], "offset_s": [0.2, 0.6]}))
    assert out["images"].shape == (2, 100, 100) and len(out["properties"]) == 2


def _chirp_products(tmp_path, rate_hz: int) -> dict:
    """A 40 ms downward chirp (80 -> 60 kHz) in faint noise, at ``rate_hz``."""
    t = np.arange(int(0.3 * rate_hz)) / rate_hz
    onset_s, offset_s = 0.1, 0.14
    freq_hz = 80e3 - 20e3 * np.clip((t - onset_s) / (offset_s - onset_s), 0, 1)
    inside = (t >= onset_s) & (t < offset_s)
    x = 0.3 * np.sin(2 * np.pi * np.cumsum(freq_hz) / rate_hz) * inside
    x += 0.001 * np.random.default_rng(0).standard_normal(len(t))
    path = write_wav(tmp_path / f"chirp-{rate_hz}.wav", x, rate_hz)
    return recording_products(path, pd.DataFrame({"onset_s": [onset_s], "offset_s": [offset_s]}))


def test_a_chirp_gives_the_same_products_at_any_rate(tmp_path):
    # the window grows with the rate; its magnitudes are scaled to the paper's window
    reference, *others = (_chirp_products(tmp_path, rate) for rate in (300_000, 250_000, 500_000))
    image = reference["images"][0].astype(float)
    physical = ["duration_s", "mean_freq_hz", "volume_dbfs", "min_freq_hz", "max_freq_hz", "freq_range_hz"]
    physical += ["start_freq_hz", "stop_freq_hz", "slope_hz_per_s", "line_sd_hz", "purity"]
    for other in others:
        other_image = other["images"][0].astype(float)
        assert other_image.max() == pytest.approx(image.max(), rel=0.02)
        assert np.corrcoef(other_image.ravel(), image.ravel())[0, 1] > 0.98
        for name in ("time_marginal", "freq_marginal"):
            assert other[name][0].sum() == pytest.approx(reference[name][0].sum(), rel=0.02)
            assert np.corrcoef(other[name][0], reference[name][0])[0, 1] > 0.98
        got, want = other["properties"].iloc[0][physical], reference["properties"].iloc[0][physical]
        np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=0.02)
