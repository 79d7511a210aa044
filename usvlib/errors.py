"""Exceptions that carry a message meant for the user.

Every error raised on bad input is a :class:`UsvlibError` whose message says what is wrong
and what to do; the command-line interface prints it on one line, without a traceback.
"""

from __future__ import annotations


class UsvlibError(Exception):
    """Base class of all errors about the user's input, data or configuration."""


def permission_denied(path) -> str:
    """The message for a file the user may not read."""
    return f"{path}: cannot be read (permission denied) - check the file's permissions"


class AudioError(UsvlibError, ValueError):
    """A recording cannot be used (wrong rate, channels, empty, truncated, not a WAV)."""


class DatasetError(UsvlibError, ValueError):
    """A dataset folder or a user manifest is incomplete or inconsistent."""


class ManifestError(DatasetError):
    """Files listed in ``MANIFEST.txt`` are missing or their SHA256 does not match."""


class ConfigError(UsvlibError, ValueError):
    """An invalid parameter or profile name."""


class NotebookError(UsvlibError, RuntimeError):
    """A notebook of the reproduction failed; the message names the notebook and cell."""


class OutputError(UsvlibError, OSError):
    """An output cannot be written where it was asked for (checked before the work starts)."""
