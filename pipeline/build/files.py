"""Bytes on disk: hashing, reading only regular files (:func:`read_regular`), the atomic write."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pipeline.atomic import replace_file
from pipeline.errors import OutputError
from pipeline.reading import read_regular

__all__ = ["MISSING", "bytes_sha", "read_regular", "remove_partial_files", "sha", "write_atomic"]

MISSING = "missing"
"""The hash of a file that does not exist."""


def sha(*parts: bytes | str) -> str:
    """One hash of several parts, each delimited (``sha("ab", "c") != sha("a", "bc")``)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def bytes_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shown(path: Path) -> str:
    """How an error names a file: relative to the current folder when it is under it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def write_atomic(path: Path, data: bytes) -> os.stat_result:
    """Write ``data`` so that readers see the old file or the new one, never half of one.

    A failure (no space left, permission denied, a folder in the way) is a
    :class:`OutputError` naming the file; the temporary file is removed.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, data)
        return path.stat()
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", shown(path)) from None


def remove_partial_files(output: Path) -> None:
    """Temporary files left by a build that was killed outright."""
    if output.is_dir():
        for stale in output.rglob(".*.part"):
            stale.unlink(missing_ok=True)
