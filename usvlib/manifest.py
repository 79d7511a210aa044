"""``MANIFEST.txt``: read it and check a dataset folder against it.

The Donders dataset ships ``MANIFEST.txt`` at its root, one ``SHA256 relative/path`` line per
file (a single space between them). The synthetic datasets carry one too. Paths are kept
byte-exact: the real manifest lists macOS ``Icon\\r`` files, whose names end in a carriage
return; they hold no data (empty), are often lost in copying, and are reported but never
required. A manifest saved with Windows line endings is understood as well.
"""

from __future__ import annotations

import concurrent.futures as cf
import fnmatch
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from usvlib._io import sha256_file, write_json_atomic, write_text_atomic
from usvlib.errors import ManifestError

MANIFEST_NAME = "MANIFEST.txt"
_ICON = "Icon\r"


@dataclass(frozen=True)
class ManifestEntry:
    """One line of a manifest."""

    sha256: str
    path: str  # relative, forward slashes, exactly as listed (after line-ending repair)

    @property
    def optional(self) -> bool:
        """macOS Finder ``Icon\\r`` files: listed, empty, not needed."""
        return PurePosixPath(self.path).name == _ICON


def read_manifest(path: str | os.PathLike) -> list[ManifestEntry]:
    """Parse a manifest file.

    Parameters
    ----------
    path : path
        The ``MANIFEST.txt``: one ``<SHA256> <relative path>`` a line, a single space between them
        (the Donders format), or as ``sha256sum`` writes it (two spaces, or a space and ``*``).

    Returns
    -------
    list of ManifestEntry
        In file order, digests in lower case, paths byte-exact (a Windows line ending removed, except
        from the names of macOS ``Icon\\r`` files, which end in a carriage return).

    Raises
    ------
    ManifestError
        If the file does not exist or lists no file, or for a line that is not ``<64 hex digits> <relative path>`` or
        whose path is absolute or leaves the dataset folder (``..``), naming the line.
    """
    path = Path(path)
    if path.parent.exists() and not path.parent.is_dir():
        raise ManifestError(f"{path.parent}: is a file - give the dataset's folder, the one that holds {MANIFEST_NAME}")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest - the dataset root should hold {MANIFEST_NAME}") from None
    except IsADirectoryError:
        raise ManifestError(f"{path}: is a folder, not a manifest file") from None
    entries = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        text = line.decode("utf-8", errors="surrogateescape")
        digest, sep, rel = text.partition(" ")
        if len(digest) != 64 or not sep or not rel or any(c not in "0123456789abcdefABCDEF" for c in digest):
            raise ManifestError(
                f"{path}, line {number}: expected '<SHA256> <relative path>', got {text[:80]!r} - "
                "the manifest is damaged; take it again from the dataset's source"
            )
        if rel[:1] in (" ", "*"):
            rel = rel[1:]  # sha256sum's own format: two spaces (text mode) or " *" (binary mode)
        if rel.endswith("\r") and PurePosixPath(rel).name != _ICON:
            rel = rel[:-1]  # a CRLF line ending, not part of the name
        parts = PurePosixPath(rel).parts
        if rel.startswith("/") or ".." in parts:
            raise ManifestError(f"{path}, line {number}: path {rel!r} leaves the dataset folder - refusing it")
        entries.append(ManifestEntry(digest.lower(), rel))
    if not entries:  # verifying nothing would report a damaged dataset as intact
        raise ManifestError(f"{path}: lists no file - the manifest is empty; take it again from the dataset's source")
    return entries


@dataclass
class VerifyReport:
    """Outcome of checking a folder against its manifest."""

    root: Path
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupted: list[tuple[str, str, str]] = field(default_factory=list)  # path, expected, actual
    optional_missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # recordings the manifest does not list

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupted and not self.unlisted

    def summary(self) -> str:
        """A human-readable account, one problem per line."""
        lines = [f"{self.root}: {self.checked} files checked against {MANIFEST_NAME}"]
        for rel in self.missing:
            lines.append(f"  MISSING   {rel}")
        for rel, expected, actual in self.corrupted:
            lines.append(f"  CORRUPTED {rel} (SHA256 {actual[:12]}..., manifest says {expected[:12]}...)")
        for rel in self.unlisted:
            lines.append(f"  UNLISTED  {rel} (a recording {MANIFEST_NAME} does not list: it cannot be checked)")
        if self.optional_missing:
            lines.append(f"  ({len(self.optional_missing)} macOS 'Icon' files absent: harmless)")
        lines.append("  all files present and intact" if self.ok else f"  -> {self._advice()}")
        return "\n".join(lines)

    def _advice(self) -> str:
        if self.unlisted and not (self.missing or self.corrupted):
            return f"remove the unlisted recordings from the dataset (or list them in {MANIFEST_NAME})"
        return (
            "copy the missing or corrupted files again from the dataset's source "
            "(the Donders repository, or re-run `usvlib synth` for a synthetic dataset)"
        )

    def failing(self) -> list[str]:
        """The listed files that are missing or corrupted (relative paths)."""
        return [*self.missing, *(rel for rel, _, _ in self.corrupted)]

    def forgive(self, paths: set[str]) -> list[str]:
        """Take ``paths`` (relative) off the missing and corrupted lists; returns those taken off."""
        gone = sorted(set(self.failing()) & paths)
        self.missing = [rel for rel in self.missing if rel not in paths]
        self.corrupted = [c for c in self.corrupted if c[0] not in paths]
        return gone

    def raise_if_bad(self, *, fix: str = "") -> None:
        """Raise :class:`ManifestError` in one line naming the first problems, if there are any."""
        if self.ok:
            return
        problems = [f"missing {rel}" for rel in self.missing] + [f"corrupted {rel}" for rel, _, _ in self.corrupted]
        problems += [f"unlisted {rel}" for rel in self.unlisted]
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        failed = f"{len(problems)} of {self.checked} files fail {MANIFEST_NAME}"
        raise ManifestError(f"{self.root}: {failed} ({shown}) - {self._advice()}{fix}")


def _hash_cache_path() -> Path:
    from usvlib.paths import cache_dir

    return cache_dir() / "sha256-cache.json"


def _cached_sha(paths: list[Path], rehash: bool, max_workers: int = 2) -> dict[Path, str]:
    """SHA256 of files, reusing earlier results for files whose size and mtime are unchanged."""
    cache_file = _hash_cache_path()
    cache: dict = {}
    if not rehash and cache_file.is_file():
        try:
            cache = json.loads(cache_file.read_text())
        except (OSError, ValueError):
            cache = {}
    out, todo = {}, []
    for p in paths:
        st = p.stat()
        key = str(p.resolve())
        hit = cache.get(key)
        if not rehash and hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            out[p] = hit[2]
        else:
            todo.append((p, key, st))
    with cf.ThreadPoolExecutor(max_workers=max_workers) as pool:  # hashlib releases the GIL
        for (p, key, st), digest in zip(todo, pool.map(lambda t: sha256_file(t[0]), todo), strict=False):
            out[p] = digest
            cache[key] = [st.st_size, st.st_mtime_ns, digest]
    if todo:
        try:
            write_json_atomic(cache_file, cache)
        except OSError:
            pass  # a read-only cache folder only costs time
    return out


def verify_manifest(
    root: str | os.PathLike,
    *,
    subset: list[str] | None = None,
    rehash: bool = True,
    unlisted: bool = True,
) -> VerifyReport:
    """Check the files of ``root`` against ``root/MANIFEST.txt``.

    Parameters
    ----------
    root : path
        The dataset folder.
    subset : list of str, optional
        Relative paths or shell patterns (``Data/RawRecordings/*``): check only these.
    rehash : bool
        Hash every file (default). ``False`` trusts earlier results for files whose size and
        modification time did not change (fast repeated loads).
    unlisted : bool
        Also look for recordings under ``Data/RawRecordings`` that the manifest does not list
        (:func:`unlisted_recordings`); each makes the report bad.

    Returns
    -------
    VerifyReport
        The files checked, missing and corrupted. Missing or corrupted files do not raise here:
        ``report.raise_if_bad()`` does.

    Raises
    ------
    ManifestError
        If ``root/MANIFEST.txt`` is missing or damaged (:func:`read_manifest`), or a pattern of
        ``subset`` matches no file of it.
    """
    root = Path(root)
    entries = read_manifest(root / MANIFEST_NAME)
    listed = {e.path for e in entries}
    if subset is not None:
        unmatched = [pat for pat in subset if not any(fnmatch.fnmatchcase(e.path, pat) for e in entries)]
        if unmatched:
            raise ManifestError(
                f"{root / MANIFEST_NAME}: no file matches {', '.join(repr(p) for p in unmatched)} - give paths "
                "relative to the dataset folder, e.g. 'Data/RawRecordings/Sex/*'"
            )
        entries = [e for e in entries if any(fnmatch.fnmatchcase(e.path, pat) for pat in subset)]
    report = VerifyReport(root=root)
    present = []
    for e in entries:
        p = root / e.path
        if p.is_file():
            present.append((e, p))
        elif e.optional:
            report.optional_missing.append(e.path)
        else:
            report.missing.append(e.path)
    digests = _cached_sha([p for _, p in present], rehash=rehash)
    for e, p in present:
        report.checked += 1
        if digests[p] != e.sha256:
            report.corrupted.append((e.path, e.sha256, digests[p]))
    if unlisted:
        report.unlisted = [
            rel
            for rel in unlisted_recordings(root, listed)
            if subset is None or any(fnmatch.fnmatchcase(rel, pat) for pat in subset)
        ]
    return report


RECORDING_SUFFIXES = (".wav", ".flac")
RECORDINGS_DIR = "Data/RawRecordings"
UNPACKED_ARCHIVES = {"Data/RawRecordings/Strain/RecordingsCortexless.zip": "Data/RawRecordings/Strain/"}
"""An archive the manifest lists, and the folder its members are unpacked into by hand."""


def is_listed(rel: str, listed: set[str]) -> bool:
    """Whether the manifest checks the file at ``rel``: it lists it, or the file was unpacked by
    hand from an archive it lists (``UNPACKED_ARCHIVES``)."""
    return rel in listed or any(
        rel.startswith(prefix) for archive, prefix in UNPACKED_ARCHIVES.items() if archive in listed
    )


def unlisted_recordings(root: str | os.PathLike, listed: set[str]) -> list[str]:
    """Recordings under ``root/Data/RawRecordings`` that the manifest does not list.

    Such a file would be used unchecked (a copy renamed into the dataset takes another animal's
    place). Members unpacked from a listed archive into its folder are the archive's.

    Parameters
    ----------
    root : path
        The dataset folder.
    listed : set of str
        The manifest's relative paths.

    Returns
    -------
    list of str
        Relative POSIX paths, sorted.
    """
    folder = Path(root) / RECORDINGS_DIR
    if not folder.is_dir():
        return []
    found = (p.relative_to(root).as_posix() for p in folder.rglob("*") if p.suffix.lower() in RECORDING_SUFFIXES)
    return sorted(rel for rel in found if not is_listed(rel, listed) and (Path(root) / rel).is_file())


def write_manifest(root: Path, *, known: dict | None = None) -> Path:
    """Write ``root/MANIFEST.txt``: ``SHA256 relative/path`` for every file, sorted by path.

    Parameters
    ----------
    root : Path
        The dataset folder; every file below it except the manifest itself is listed.
    known : dict, optional
        SHA256 of files already known (relative path -> hex digest), used instead of hashing them
        again, as when the files were just written.

    Returns
    -------
    Path
        The manifest, written atomically.
    """
    known = dict(known or {})
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)
    todo = [f for f in files if f not in known]
    with cf.ThreadPoolExecutor(max_workers=2) as pool:  # hashlib releases the GIL
        for rel, digest in zip(todo, pool.map(lambda f: sha256_file(root / f), todo), strict=False):
            known[rel] = digest
    text = "".join(f"{known[f]} {f}\n" for f in files)
    path = root / MANIFEST_NAME
    write_text_atomic(path, text)
    return path
