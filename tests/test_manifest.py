import pytest

from usvlib.errors import ManifestError
from usvlib.manifest import read_manifest, verify_manifest, write_manifest

from conftest import SHARED


def _folder(tmp_path):
    (tmp_path / "Data").mkdir()
    (tmp_path / "Data" / "a.txt").write_text("alpha")
    (tmp_path / "Data" / "b.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / "README.txt").write_text("readme")
    write_manifest(tmp_path)
    return tmp_path


def test_written_manifest_verifies(tmp_path):
    root = _folder(tmp_path)
    entries = read_manifest(root / "MANIFEST.txt")
    assert [e.path for e in entries] == ["Data/a.txt", "Data/b.bin", "README.txt"]
    report = verify_manifest(root)
    assert report.ok and report.checked == 3


def test_corruption_and_loss_are_named(tmp_path):
    root = _folder(tmp_path)
    (root / "Data" / "a.txt").write_text("alphA")
    (root / "README.txt").unlink()
    report = verify_manifest(root)
    assert not report.ok
    assert [c[0] for c in report.corrupted] == ["Data/a.txt"]
    assert report.missing == ["README.txt"]
    text = report.summary()
    assert "CORRUPTED Data/a.txt" in text and "MISSING   README.txt" in text
    with pytest.raises(ManifestError, match="Data/a.txt"):
        report.raise_if_bad()


def test_subset(tmp_path):
    root = _folder(tmp_path)
    (root / "README.txt").write_text("changed")
    assert verify_manifest(root, subset=["Data/*"]).ok
    assert not verify_manifest(root, subset=["README.txt"]).ok


def test_a_pattern_that_matches_nothing_is_an_error_not_a_pass(tmp_path):
    root = _folder(tmp_path)
    with pytest.raises(ManifestError, match=r"no file matches 'Data/RawRecordings/\*'"):
        verify_manifest(root, subset=["Data/*", "Data/RawRecordings/*"])


def test_sha256sum_format_is_read(tmp_path):
    root = _folder(tmp_path)
    lines = (root / "MANIFEST.txt").read_text().splitlines()
    two_spaces = [line.replace(" ", "  ", 1) for line in lines[:2]] + [lines[2].replace(" ", " *", 1)]
    (root / "MANIFEST.txt").write_text("\n".join(two_spaces) + "\n")
    assert [e.path for e in read_manifest(root / "MANIFEST.txt")] == ["Data/a.txt", "Data/b.bin", "README.txt"]
    assert verify_manifest(root).ok


def test_cached_hashes_still_see_changes(tmp_path):
    root = _folder(tmp_path)
    assert verify_manifest(root, rehash=False).ok
    (root / "Data" / "a.txt").write_text("beta!")
    assert not verify_manifest(root, rehash=False).ok


def test_damaged_manifest_line(tmp_path):
    (tmp_path / "MANIFEST.txt").write_text("abc Data/x\n")
    with pytest.raises(ManifestError, match="line 1"):
        read_manifest(tmp_path / "MANIFEST.txt")


def test_an_empty_manifest_is_an_error_not_a_pass(tmp_path):
    (tmp_path / "MANIFEST.txt").write_text("\n\n")
    with pytest.raises(ManifestError, match="MANIFEST.txt: lists no file - the manifest is empty"):
        verify_manifest(tmp_path)


def test_paths_outside_the_folder_are_refused(tmp_path):
    (tmp_path / "MANIFEST.txt").write_text("0" * 64 + " ../etc/passwd\n")
    with pytest.raises(ManifestError, match="leaves the dataset folder"):
        read_manifest(tmp_path / "MANIFEST.txt")


def test_crlf_manifest_and_mac_icon_files(tmp_path):
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    (tmp_path / "x.txt").write_text("")
    (tmp_path / "MANIFEST.txt").write_bytes(f"{empty} x.txt\r\n{empty} Data/Icon\r\n".encode())
    entries = read_manifest(tmp_path / "MANIFEST.txt")
    assert entries[0].path == "x.txt" and not entries[0].optional
    assert entries[1].path == "Data/Icon\r" and entries[1].optional
    report = verify_manifest(tmp_path)
    assert report.ok and report.optional_missing == ["Data/Icon\r"]


@pytest.mark.skipif(not (SHARED / "donders" / "MANIFEST.txt").is_file(), reason="shared/donders absent")
def test_reads_the_real_donders_manifest():
    entries = read_manifest(SHARED / "donders" / "MANIFEST.txt")
    assert len(entries) == 7154
    assert sum(e.optional for e in entries) == 302
    assert sum(e.path.startswith("Data/RawRecordings/Sex/") for e in entries) == 18
