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
        (pd.DataFrame({"onset_s": [np.nan], "offset_s": [0.2]}), "row(s) 0 of the calls table: onset_s or offset_s is"),
        (
            pd.DataFrame({"onset_s": [0.1, 0.5], "offset_s": [0.2, 0.4]}),
            "row(s) 1 of the calls table: offset_s is not after",
        ),
        (pd.DataFrame({"onset_s": [1.5], "offset_s": [1.6]}), "starts outside the recording (0 to 1.000 s)"),
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
