"""Bytes on disk: hashing, reading only regular files, and the one atomic write."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from pipeline.errors import PipelineError

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


def read_regular(path: Path, name: str) -> bytes | None:
    """The bytes of a regular file; ``None`` when there is none.

    A symbolic link, FIFO or device is refused by name: reading one could pull a
    file from outside the project into the output, hang, or exhaust memory.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if path.is_symlink():
            raise PipelineError("a symbolic link; only regular files are read", name) from None
        raise PipelineError(f"cannot read: {exc.strerror}", name) from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise PipelineError("not a regular file; only regular files are read", name)
    with os.fdopen(descriptor, "rb") as stream:
        return stream.read()


def write_atomic(path: Path, data: bytes) -> os.stat_result:
    """Write ``data`` so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path.stat()


def remove_partial_files(output: Path) -> None:
    """Temporary files left by a build that was killed outright."""
    if output.is_dir():
        for stale in output.rglob(".*.part"):
            stale.unlink(missing_ok=True)
