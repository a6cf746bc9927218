"""Where the package's own files are (its templates and static files: styles, scripts), and
where what it derives from them, and from its inputs, is kept between processes.

Light on purpose (no Jinja2, no Babel): the build's no-op check hashes these folders
without importing what renders them.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

from pipeline.atomic import replace_file

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"


def derived_cache_directory() -> Path | None:
    """Where what is derived, always alike, from given text (templates' compiled code, the
    messages they mark critical, a QR code) is kept between processes, as Python keeps its
    bytecode.

    None (kept in memory only) when Python is told not to write bytecode
    (``PYTHONDONTWRITEBYTECODE``); under ``PYTHONPYCACHEPREFIX`` when that is set; else in
    the user's cache folder (``$XDG_CACHE_HOME``, by default ``~/.cache``). Each file there
    is keyed by what it was derived from, so a stale one is never used, only replaced.
    """
    if sys.dont_write_bytecode:
        return None
    if sys.pycache_prefix and os.path.isabs(sys.pycache_prefix):
        return _own(Path(sys.pycache_prefix) / "pipeline")
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to be found
            return None
    return _own(Path(base) / "pipeline")


def _own(directory: Path) -> Path | None:
    """``directory``, unless it exists and is not a folder of this user's alone (a link,
    another owner, writable by others): what is read there is run as compiled templates."""
    try:
        status = directory.lstat()
    except FileNotFoundError:
        return directory
    except OSError:
        return None
    if (
        not stat.S_ISDIR(status.st_mode)
        or status.st_uid != os.getuid()
        or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        return None
    return directory


def read_derived(kind: str, source: str) -> bytes | None:
    """What :func:`write_derived` kept for ``source``; None when nothing whole is kept."""
    directory = derived_cache_directory()
    if directory is None:
        return None
    try:
        stored = (directory / kind / _file_name(source)).read_bytes()
    except OSError:
        return None
    digest, _, data = stored.partition(b"\n")
    return data if digest == hashlib.sha256(data).hexdigest().encode() else None


def write_derived(kind: str, source: str, data: bytes) -> None:
    """Keep ``data``, derived from ``source`` (which names every input it depends on, the
    libraries' versions included), with its checksum: a damaged file is never read back."""
    directory = derived_cache_directory()
    if directory is not None:
        digest = hashlib.sha256(data).hexdigest().encode()
        write_atomically(directory / kind / _file_name(source), digest + b"\n" + data)


def _file_name(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def write_atomically(path: Path, data: bytes) -> bool:
    """Write ``path`` (``<cache>/<kind>/<name>``) whole or not at all, its two folders made
    for this user alone; False when it could not be written (a cache only costs time)."""
    try:
        path.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        replace_file(path, data, mode=0o600)
    except OSError:
        return False
    return True
