"""Where the package's own files are (its templates and static files: styles, scripts), and
where what it derives from them is kept between processes.

Light on purpose (no Jinja2, no Babel): the build's no-op check hashes these folders
without importing what renders them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"


def derived_cache_directory() -> Path | None:
    """Where what is derived from templates (their compiled code, the messages they mark
    critical) is kept between processes, as Python keeps its bytecode.

    None (kept in memory only) when Python is told not to write bytecode
    (``PYTHONDONTWRITEBYTECODE``); under ``PYTHONPYCACHEPREFIX`` when that is set; else in
    the user's cache folder (``$XDG_CACHE_HOME``, by default ``~/.cache``). Each file there
    is keyed by what it was derived from, so a stale one is never used, only replaced.
    """
    if sys.dont_write_bytecode:
        return None
    if sys.pycache_prefix:
        return Path(sys.pycache_prefix) / "pipeline"
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to be found
            return None
    return Path(base) / "pipeline"
