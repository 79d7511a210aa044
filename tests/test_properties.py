import numpy as np
import pytest

from usvlib import properties
from usvlib.properties import (
    DONDERS_COLUMNS,
    EXTENDED_COLUMNS,
    LABEL_COLUMNS,
    PAPER_PROPERTIES,
    PROPERTIES,
    label_properties,
    paper_property,
)


def test_one_vocabulary_of_24_with_the_paper_nine_first():
    assert len(EXTENDED_COLUMNS) == 24 and len(set(EXTENDED_COLUMNS)) == 24
    assert EXTENDED_COLUMNS[:9] == tuple(p.column for p in PAPER_PROPERTIES)
    assert LABEL_COLUMNS == ("direction", "peaks", "breaks", "broadband", "tremolo", "complex")
    # every measured column with a physical unit says it in its name
    for p in PROPERTIES.values():
        suffix = {"s": "_s", "Hz": "_hz", "dBFS": "_dbfs", "dB": "_db", "Hz/s": "_hz_per_s"}.get(p.unit)
        assert suffix is None or p.column.endswith(suffix), p.column


def test_the_donders_table_maps_to_the_loaded_columns():
    assert DONDERS_COLUMNS["avgfreq"] == "mean_freq_hz"
    assert DONDERS_COLUMNS["avgvol"] == "volume"  # the authors' units, not usvlib's dBFS
    assert paper_property("volume").column == "volume_dbfs"
    assert paper_property("mean_frequency") is paper_property("mean_freq_hz")
    with pytest.raises(KeyError, match="no paper property"):
        paper_property("loudness")


def test_labels_become_classes():
    direction, peaks, _, broadband, tremolo, _ = label_properties()
    assert direction.to_class([-1, 0, 1]).tolist() == [0, 1, 2]
    assert peaks.to_class([0, 2, 5]).tolist() == [0, 2, 3]  # counts above 3 are 3
    assert broadband.to_class([0.0, 0.01, 0.7]).tolist() == [0, 1, 1]
    assert tremolo.n_classes == 2 and broadband.n_classes == 2 and direction.n_classes == 3
    with pytest.raises(ValueError, match="continuous"):
        PROPERTIES["duration_s"].to_class(np.array([0.1]))


def test_axis_labels_carry_units():
    assert paper_property("duration").axis_label() == "duration (s)"
    assert paper_property("volume").axis_label() == "volume (a.u.)"
    assert PROPERTIES["snr_db"].axis_label() == "SNR (dB)"
    assert properties.PROPERTIES["peaks"].axis_label() == "peaks"
