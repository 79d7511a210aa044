import pytest

from usvlib.errors import UsvlibError
from usvlib.formats import read_intervals


def test_read_intervals_with_decimal_commas(tmp_path):
    p = tmp_path / "msa.csv"
    p.write_text('"0,0775","0,0811"\n"0,1773","0,2065"\n')
    assert read_intervals(p).onset_s.tolist() == [0.0775, 0.1773]


def test_read_intervals_skips_a_header_and_names_a_bad_line(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("onset,offset\n0.1,0.2\n0.3,oops\n")
    with pytest.raises(UsvlibError, match=r"labels.csv, line 3"):
        read_intervals(p)
    p.write_text("onset,offset\n0.1,0.2\n")
    assert read_intervals(p).offset_s.tolist() == [0.2]
