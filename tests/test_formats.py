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


def test_a_deepsqueak_file_in_mat_version_7_3_reads_like_version_7(tmp_path):
    # DeepSqueak saves -v7.3 (HDF5) files in current versions; this one is the fixture's table
    # written as v7.3 by mat-io (not by MATLAB), so it exercises the HDF5 path of the reader
    matio = pytest.importorskip("matio")
    v7 = formats.read_deepsqueak(DEEPSQUEAK)
    table = matio.load_from_mat(str(DEEPSQUEAK))["Calls"].head(40)
    path = tmp_path / "calls_v73.mat"
    matio.save_to_mat(str(path), {"Calls": table}, version="v7.3")
    h5py = pytest.importorskip("h5py")
    assert h5py.is_hdf5(path)  # v7.3 is HDF5 with a 512-byte MATLAB header
    v73 = formats.read_calls(path)
    assert len(v73) == 40 and v73.attrs["format"] == "DeepSqueak"
    expected = v7.set_index("onset_s").loc[v73.onset_s]  # the first 40 rows of the file, in onset order
    np.testing.assert_allclose(v73.offset_s, expected.offset_s)
    np.testing.assert_allclose(v73.min_freq_hz, expected.min_freq_hz)


VOCALMAT_HEADER = (
    "Names_vocal,Start_time,End_time,Inter_vocal_interval,Inter_real_vocal_interval,Duration,min_freq_main,"
    "max_freq_main,mean_freq_main,Bandwidth,min_freq_total,max_freq_total,mean_freq_total,min_intens_total,"
    "max_intens_total,corrected_max_intens_total,Background_intens,mean_intens_total,Class,Harmonic,Noisy"
)
"""The columns of VocalMat's output table, as its classifier names them (vocalmat_classifier.m)."""


def _vocalmat_rows() -> list[str]:
    return [
        "1,0.2500,0.2900,NaN,NaN,0.0400,61000,68500,64200,7500,61000,130000,70000,-80,-40,20,-60,-55,chevron,0,0",
        "2,1.0000,1.0100,0.71,NaN,0.0100,55000,56000,55400,1000,55000,56000,55400,-82,-60,5,-65,-70,noise_dist,0,1",
        "3,0.5000,0.5600,0.21,0.21,0.0600,48000,80000,66000,32000,48000,80000,66000,-78,-35,25,-60,-50,up_fm,1,0",
    ]


def test_vocalmat_tables_are_read_from_csv_and_xlsx_without_its_noise(tmp_path):
    csv = tmp_path / "rec1.csv"
    csv.write_text(VOCALMAT_HEADER + "\n" + "\n".join(_vocalmat_rows()) + "\n")
    calls = formats.read_calls(csv)
    assert calls.attrs["format"] == "VocalMat" and calls.attrs["n_noise_left_out"] == 1
    assert calls.onset_s.tolist() == [0.25, 0.5] and calls.label.tolist() == ["chevron", "up_fm"]
    assert calls.iloc[1][["offset_s", "min_freq_hz", "max_freq_hz", "mean_freq_hz"]].tolist() == pytest.approx(
        [0.56, 48_000.0, 80_000.0, 66_000.0]
    )
    assert calls.attrs["columns_used"]["onset_s"] == "Start_time"
    assert len(formats.read_vocalmat(csv, keep_noise=True)) == 3
    pytest.importorskip("openpyxl")
    xlsx = tmp_path / "rec1.xlsx"
    pd.read_csv(csv).to_excel(xlsx, index=False)
    assert formats.guess_format(xlsx) == "vocalmat"
    from_xlsx = formats.read_calls(xlsx)
    pd.testing.assert_frame_equal(from_xlsx, calls, check_dtype=False)
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(UsvlibError, match="bad.xlsx: cannot be read as an Excel workbook"):
        formats.read_calls(bad)


def test_split_calls_gives_each_row_to_one_recording():
    from usvlib.errors import ConfigError
    from usvlib.formats import split_calls

    table = pd.DataFrame(
        {
            "recording": ["cage1/day1.wav", "day2", "cage2/day1", "other.wav"],
            "onset_s": [0.1, 0.2, 0.3, 0.4],
            "offset_s": [0.15, 0.25, 0.35, 0.45],
        }
    )
    recordings = [("cage1/day1.wav", "cage1/day1"), ("cage2/day1.wav", "cage2/day1"), ("x/day2.wav", None)]
    parts = split_calls(table, recordings)  # by exact path, by id, by stem; other.wav left out
    assert [p.onset_s.tolist() for p in parts] == [[0.1], [0.3], [0.2]]
    shared = table.assign(recording=["day1.wav"] * 4)
    with pytest.raises(ConfigError, match="row 1 \\(day1.wav\\) names both cage1/day1.wav and cage2/day1.wav"):
        split_calls(shared, recordings)
    with pytest.raises(ConfigError, match="can serve one recording only"):
        split_calls(table.drop(columns="recording"), recordings)
    assert len(split_calls(table.drop(columns="recording"), recordings[:1])[0]) == 4
