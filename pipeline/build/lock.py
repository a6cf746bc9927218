"""One build at a time per project, with the operating system's advisory lock.

The lock belongs to the process: when a build is killed the system releases
it, so no stale lock ever blocks the next build.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import PipelineError


class BuildLocked(PipelineError):
    """Another build of the same project is running (and the caller would not wait)."""


@contextmanager
def build_lock(path: Path, *, wait: bool, say: Callable[[str], None]) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise BuildLocked(
                    "another build of this project is running (without --no-wait, "
                    "this build would wait for it)",
                    path,
                ) from None
            say("waiting for another build of this project to finish...")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
