from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from usvlib import formats
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


# --- other tools' call tables (usvlib.formats) ---------------------------------------------------

DEEPSQUEAK = Path(__file__).parent / "fixtures" / "deepsqueak" / "example_mouse_2021-02-25.mat"


def test_a_real_deepsqueak_file_gives_its_714_calls_in_seconds_and_hertz():
    pytest.importorskip("matio")
    calls = formats.read_calls(DEEPSQUEAK)
    assert calls.attrs["format"] == "DeepSqueak" and len(calls) == 714
    first = calls.iloc[0]
    # the first call's Box is [3.952736 s, 59.375 kHz, 0.0448 s, 10.3125 kHz] in the file
    assert first.onset_s == pytest.approx(3.952736, abs=1e-6)
    assert first.duration_s == pytest.approx(0.0448, abs=1e-6)
    assert first.min_freq_hz == pytest.approx(59_375.0)
    assert first.max_freq_hz == pytest.approx(59_375.0 + 10_312.5)
    assert first.recording == "Example Mouse Recording.flac"
    assert calls.onset_s.is_monotonic_increasing and (calls.duration_s > 0).all()
    assert calls.attrs["columns_used"]["onset_s"].startswith("Box(1)")
    assert len(formats.read_deepsqueak(DEEPSQUEAK, accepted_only=True)) == int(calls.accepted.sum())


def test_a_file_that_is_not_a_mat_file_is_named(tmp_path):
    pytest.importorskip("matio")
    bad = tmp_path / "calls.mat"
    bad.write_text("not a MAT file")
    with pytest.raises(UsvlibError, match="calls.mat"):
        formats.read_calls(bad)


def _some_calls() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recording": ["a.wav"] * 3,
            "onset_s": [0.5, 0.1, 2.25],
            "offset_s": [0.58, 0.125, 2.5],
            "min_freq_hz": [55_000.0, 61_000.0, 40_500.0],
            "max_freq_hz": [70_000.0, 66_000.0, 90_000.0],
            "label": ["usv", "usv", "two_part"],
        }
    )


@pytest.mark.parametrize("fmt", ["raven", "simple-seq", "csv"])
def test_every_writer_round_trips_through_its_reader(tmp_path, fmt):
    calls = _some_calls()
    path = formats.write_calls(calls, tmp_path / f"calls.{fmt}.txt", format=fmt)
    assert formats.guess_format(path) == fmt
    back = formats.read_calls(path)
    expected = calls.sort_values("onset_s").reset_index(drop=True)
    np.testing.assert_allclose(back.onset_s, expected.onset_s, atol=1e-6)
    np.testing.assert_allclose(back.offset_s, expected.offset_s, atol=1e-6)
    assert back.label.tolist() == expected.label.tolist()
    if fmt != "simple-seq":  # simple-seq has no band
        np.testing.assert_allclose(back.min_freq_hz, expected.min_freq_hz)
        np.testing.assert_allclose(back.max_freq_hz, expected.max_freq_hz)


def test_raven_reads_each_selection_once_whatever_its_views(tmp_path):
    path = tmp_path / "rec.selections.txt"
    path.write_text(
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\n"
        "1\tWaveform 1\t1\t0.100\t0.140\t0\t0\tA\n"
        "1\tSpectrogram 1\t1\t0.100\t0.140\t50000\t70000\tA\n"
        "2\tSpectrogram 1\t1\t1.000\t1.050\t40000\t45000\tB\n"
    )
    calls = formats.read_raven(path)
    assert calls.onset_s.tolist() == [0.1, 1.0]
    assert calls.min_freq_hz.tolist() == [50_000.0, 40_000.0]
    assert calls.label.tolist() == ["A", "B"]
    assert calls.attrs["columns_used"]["onset_s"] == "Begin Time (s)"


def test_mupet_and_usvseg_exports_are_read_in_seconds_and_hertz(tmp_path):
    mupet = tmp_path / "mupet.csv"
    mupet.write_text(
        "Syllable number,Syllable start time (sec),Syllable end time (sec),inter-syllable interval (sec),"
        "syllable duration (msec),starting frequency (kHz),final frequency (kHz),minimum frequency (kHz),"
        "maximum frequency (kHz),mean frequency (kHz),frequency bandwidth (kHz),total syllable energy (dB),"
        "peak syllable amplitude (dB)\n"
        "1,0.5000,0.5300,0,30.00,60.00,62.00,58.00,65.00,61.00,7.00,-20.0,-10.0\n"
    )
    calls = formats.read_calls(mupet)
    assert calls.attrs["format"] == "MUPET"
    assert calls.iloc[0][["onset_s", "offset_s", "min_freq_hz", "max_freq_hz", "mean_freq_hz"]].tolist() == (
        pytest.approx([0.5, 0.53, 58_000.0, 65_000.0, 61_000.0])
    )
    usvseg = tmp_path / "rec_dat.csv"
    usvseg.write_text("#,start,end,duration,maxfreq,maxamp,meanfreq,cvfreq\n1,1.25,1.28,30.0,72.5,40.1,70.2,0.01\n")
    calls = formats.read_calls(usvseg)
    assert calls.attrs["format"] == "USVSEG"
    assert calls.iloc[0][["onset_s", "offset_s", "peak_freq_hz", "mean_freq_hz"]].tolist() == pytest.approx(
        [1.25, 1.28, 72_500.0, 70_200.0]
    )


def test_a_table_in_no_known_format_is_named_with_the_formats_there_are(tmp_path):
    odd = tmp_path / "odd.csv"
    odd.write_text("when,what\nmonday,call\n")
    with pytest.raises(UsvlibError, match=r"odd.csv: not a call table .*deepsqueak"):
        formats.read_calls(odd)
    backwards = tmp_path / "back.csv"
    backwards.write_text("onset_s,offset_s,label\n0.5,0.4,usv\n")
    with pytest.raises(UsvlibError, match="back.csv: call 1 ends before it begins"):
        formats.read_calls(backwards)
