"""Reading and writing ultrasonic recordings, with checks that say what is wrong.

Every problem with a file ends in an :class:`~usvlib.errors.AudioError` whose one-line
message names the file, the problem and the fix: a missing, empty, truncated or non-audio file,
a sampling rate too low for mouse USVs, several channels without a choice of one. Long files are
read in blocks (``iter_blocks``) so memory stays bounded.

A recording inside a zip archive (the strain set of the Donders data) is addressed as
``"path/to/archive.zip::member/name.wav"``.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from usvlib._io import atomic_path
from usvlib.errors import AudioError, permission_denied

MIN_RATE_HZ = 200_000
"""Lowest sampling rate accepted: mouse USVs reach 100-120 kHz, so Nyquist must be above that."""

ZIP_SEPARATOR = "::"
FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE"})
"""Sample formats stored as floats in [-1, 1]: libsndfile would read them as integers unscaled."""


@dataclass(frozen=True)
class AudioInfo:
    """What a recording is, read from its header."""

    path: str
    rate_hz: int
    n_channels: int
    n_frames: int
    format: str
    subtype: str

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.rate_hz


@contextlib.contextmanager
def _open(path: str | os.PathLike) -> Iterator[tuple[io.BufferedIOBase, int]]:
    """Open a file or a ``zip::member`` for binary reading; yield (stream, size in bytes)."""
    text = os.fspath(path)
    if ZIP_SEPARATOR in text:
        archive, member = text.split(ZIP_SEPARATOR, 1)
        if not Path(archive).is_file():
            raise AudioError(f"{archive}: no such archive - check the path of {text}")
        try:
            zf = zipfile.ZipFile(archive)
        except PermissionError:
            raise AudioError(permission_denied(archive)) from None
        except zipfile.BadZipFile:
            raise AudioError(
                f"{archive}: not a readable zip archive - re-copy it (usvlib verify checks the dataset)"
            ) from None
        with zf:
            try:
                info = zf.getinfo(member)
            except KeyError:
                raise AudioError(f"{text}: the archive has no member {member!r} - list it with `unzip -l`") from None
            with zf.open(info) as fh:
                yield fh, info.file_size
        return
    p = Path(text)
    if not p.exists():
        raise AudioError(f"{p}: no such file - check the path")
    if p.is_dir():
        raise AudioError(f"{p}: is a folder, not a recording - give the path of a WAV file")
    try:
        fh = open(p, "rb")  # closed by the with below; only the opening's error is translated
    except PermissionError:
        raise AudioError(permission_denied(p)) from None
    with fh:
        yield fh, p.stat().st_size


def _check_riff(stream: io.BufferedIOBase, size: int, name: str) -> None:
    """Compare the data size a RIFF/WAVE header declares with the bytes actually present."""
    head = stream.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
        stream.seek(0)
        return  # not a RIFF WAV: soundfile decides whether it can read it
    pos = 12
    endian = "<" if head[:4] == b"RIFF" else ">"
    while pos + 8 <= size:
        chunk = stream.read(8)
        if len(chunk) < 8:
            break
        cid, csize = chunk[:4], struct.unpack(endian + "I", chunk[4:])[0]
        pos += 8
        if cid == b"data":
            present = size - pos
            # 0 and 0xFFFFFFFF are written by recorders that stream without knowing the size
            if csize not in (0, 0xFFFFFFFF) and csize > present:
                raise AudioError(
                    f"{name}: truncated - the WAV header declares {csize} bytes of audio but only "
                    f"{present} are present; re-copy the file (`usvlib verify` checks a dataset)"
                )
            break
        pos += csize + (csize & 1)
        stream.seek(pos)
    stream.seek(0)


def audio_info(path: str | os.PathLike, *, min_rate_hz: int = MIN_RATE_HZ) -> AudioInfo:
    """Read and validate a recording's header.

    Parameters
    ----------
    path : path or ``"archive.zip::member"``
    min_rate_hz : int
        Reject files sampled below this (default 200 kHz: USVs reach 120 kHz).

    Returns
    -------
    AudioInfo
        Rate, channels, number of frames, format and subtype; no samples are read.

    Raises
    ------
    AudioError
        If the file is missing, empty, truncated, not audio, has no samples, or is sampled
        below ``min_rate_hz``.
    """
    name = os.fspath(path)
    with _open(path) as (stream, size):
        if size == 0:
            raise AudioError(f"{name}: the file is empty (0 bytes) - re-copy it from the original recording")
        _check_riff(stream, size, name)
        try:
            with sf.SoundFile(stream) as f:
                info = AudioInfo(name, int(f.samplerate), int(f.channels), int(f.frames), f.format, f.subtype)
        except (sf.LibsndfileError, RuntimeError) as exc:
            # libsndfile's own words, without the repr of the stream it was given
            reason = getattr(exc, "error_string", "") or str(exc).rsplit(":", 1)[-1].strip()
            raise AudioError(
                f"{name}: not a readable audio file ({reason.rstrip('.')}) - usvlib reads WAV (and FLAC); "
                "check that the file is not corrupted or convert it"
            ) from None
    if info.n_frames == 0:
        raise AudioError(f"{name}: contains no audio samples - re-copy it from the original recording")
    if info.rate_hz < min_rate_hz:
        raise AudioError(
            f"{name}: sampled at {info.rate_hz} Hz, below the {min_rate_hz} Hz that mouse USVs "
            "(up to ~120 kHz) need - use the original ultrasonic recording, not a resampled copy"
        )
    return info


def _channel(info: AudioInfo, channel: int | None) -> int:
    if channel is None:
        if info.n_channels > 1:
            raise AudioError(
                f"{info.path}: has {info.n_channels} channels - choose one with channel=K "
                f"(command line: --channel K), K from 0 to {info.n_channels - 1}"
            )
        return 0
    if not 0 <= channel < info.n_channels:
        raise AudioError(
            f"{info.path}: has no channel {channel} - it has {info.n_channels} (0 to {info.n_channels - 1})"
        )
    return int(channel)


def _read(f: sf.SoundFile, info: AudioInfo, n: int, ch: int, dtype: str, start: int) -> np.ndarray:
    """``n`` frames of channel ``ch`` as ``dtype``: float files scaled to the int16 range when
    integers are asked for, non-finite samples refused, read errors named."""
    as_float = info.subtype in FLOAT_SUBTYPES
    try:
        data = f.read(n, dtype="float32" if as_float else dtype, always_2d=True)[:, ch]
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(
            f"{info.path}: cannot be read between {start / info.rate_hz:.2f} and {(start + n) / info.rate_hz:.2f} s "
            f"({exc}) - the file is damaged or truncated; re-copy it from the original recording"
        ) from None
    if as_float:
        bad = ~np.isfinite(data)
        if bad.any():
            at = (start + int(np.argmax(bad))) / info.rate_hz
            raise AudioError(
                f"{info.path}: has NaN or infinite samples (the first at {at:.3f} s) - re-export the recording "
                "from the recorder's software"
            )
        if np.dtype(dtype).kind == "i":
            data = np.clip(np.rint(data * 32768.0), -32768, 32767).astype(dtype)
    return np.ascontiguousarray(data)


def read_audio(
    path: str | os.PathLike,
    *,
    channel: int | None = None,
    start_s: float = 0.0,
    stop_s: float | None = None,
    min_rate_hz: int = MIN_RATE_HZ,
) -> tuple[np.ndarray, int]:
    """Read (part of) a recording as float32 in [-1, 1).

    Parameters
    ----------
    path : path or ``"archive.zip::member"``
    channel : int, optional
        Which channel of a multi-channel file (0-based); required when there are several.
    start_s, stop_s : float
        Part to read, in seconds (default: all, from 0 to the end). Clipped to the recording; an
        empty array when ``stop_s <= start_s``.
    min_rate_hz : int
        Reject files sampled below this.

    Returns
    -------
    samples : ndarray of float32, shape (n,)
    rate_hz : int

    Raises
    ------
    AudioError
        If the file cannot be used (:func:`audio_info`), if ``channel`` is missing for a
        multi-channel file or is not one of its channels, or if the samples cannot be read (a
        damaged file) or are NaN or infinite (float files).

    Examples
    --------
    >>> from usvlib.audio import read_audio
    >>> samples, rate_hz = read_audio("tests/fixtures/amvoc/1/rec_1.wav", start_s=1.0, stop_s=1.5)  # doctest: +SKIP
    >>> samples.dtype, samples.shape, rate_hz  # doctest: +SKIP
    (dtype('float32'), (125000,), 250000)
    """
    info = audio_info(path, min_rate_hz=min_rate_hz)
    ch = _channel(info, channel)
    start = max(0, round(start_s * info.rate_hz))
    stop = info.n_frames if stop_s is None else min(info.n_frames, round(stop_s * info.rate_hz))
    with _open(path) as (stream, _), sf.SoundFile(stream) as f:
        f.seek(start)
        data = _read(f, info, max(stop - start, 0), ch, "float32", start)
    return data, info.rate_hz


def iter_blocks(
    path: str | os.PathLike,
    *,
    block_s: float = 10.0,
    overlap_s: float = 0.0,
    channel: int | None = None,
    min_rate_hz: int = MIN_RATE_HZ,
    dtype: str = "float32",
    start_sample: int = 0,
    stop_sample: int | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_sample, samples)`` blocks of ``block_s`` seconds, overlapping by ``overlap_s``.

    Memory is bounded by one block, whatever the length of the file. ``dtype="int16"`` returns
    the raw 16-bit values (full scale 32768), which is faster when the caller converts anyway;
    a float file (32- or 64-bit) is scaled to that range, as its 16-bit copy would read.

    Parameters
    ----------
    path : path or ``"archive.zip::member"``
    block_s : float
        Length of a block in seconds; the last one may be shorter.
    overlap_s : float
        Seconds that each block shares with the one before; ``0 <= overlap_s < block_s``.
    channel : int, optional
        As in :func:`read_audio`.
    min_rate_hz : int
        Reject files sampled below this.
    dtype : {"float32", "int16", ...}
        Sample type, as ``soundfile`` reads it.
    start_sample, stop_sample : int, optional
        Read only samples ``start_sample`` to ``stop_sample`` (default: to the end), the first
        block starting at ``start_sample``: a worker can take one stretch of a long file.

    Yields
    ------
    first_sample : int
        Index of the block's first sample in the recording.
    samples : ndarray, shape (n,)
        The block's samples of the chosen channel.

    Raises
    ------
    AudioError
        If ``block_s <= 0`` or ``overlap_s`` is outside ``[0, block_s)``, or if the file or the
        channel cannot be used (:func:`read_audio`; raised when the first block is asked for), or
        when a block cannot be read (a damaged file) or holds NaN or infinite samples.
    """
    if block_s <= 0 or overlap_s < 0 or overlap_s >= block_s:
        raise AudioError(f"block_s must be > 0 and 0 <= overlap_s < block_s (got {block_s}, {overlap_s})")
    info = audio_info(path, min_rate_hz=min_rate_hz)
    ch = _channel(info, channel)
    block = round(block_s * info.rate_hz)
    step = block - round(overlap_s * info.rate_hz)
    end = info.n_frames if stop_sample is None else min(int(stop_sample), info.n_frames)
    with _open(path) as (stream, _), sf.SoundFile(stream) as f:
        start = max(0, int(start_sample))
        while start < end:
            f.seek(start)
            yield start, _read(f, info, min(block, end - start), ch, dtype, start)
            if start + block >= end:
                break
            start += step


def write_wav(path: str | os.PathLike, samples: np.ndarray, rate_hz: int) -> Path:
    """Write mono int16 (or float in [-1, 1], converted) samples as a WAV, atomically.

    Parameters
    ----------
    path : path
    samples : ndarray, shape (n,)
        ``int16`` values are written as they are; other types are scaled by 32768, rounded and
        clipped to the 16-bit range.
    rate_hz : int
        Sampling rate in Hz.

    Returns
    -------
    Path
        ``path``, written as 16-bit PCM.

    Raises
    ------
    AudioError
        If ``samples`` is not one-dimensional.
    """
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise AudioError(f"{path}: expected mono samples (1-D), got shape {samples.shape}")
    if samples.dtype != np.int16:
        samples = np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16)
    path = Path(path)
    with atomic_path(path) as tmp:
        sf.write(tmp, samples, int(rate_hz), subtype="PCM_16", format="WAV")
    return path
