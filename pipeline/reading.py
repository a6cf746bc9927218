"""Reading the project's files: regular files only, every failure a one-line error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pipeline.errors import PipelineError


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


def check_inside(root: Path, name: str) -> None:
    """Refuse a project-relative ``name`` that a symbolic link (of the file or of a folder on
    its way) leads outside ``root``: an article's image must be a file of the project."""
    real = os.path.realpath(root / name)
    top = os.path.realpath(root)
    if os.path.commonpath([real, top]) != top:
        raise PipelineError("a symbolic link leads outside the project", name)
