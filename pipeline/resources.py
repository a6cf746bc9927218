"""Where the package's own files are: its templates and its static files (styles, scripts).

Light on purpose (no Jinja2, no Babel): the build's no-op check hashes these folders
without importing what renders them.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
