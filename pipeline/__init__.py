"""Multilingual publishing: Markdown articles to gettext catalogs, localized pages and brochures."""

from __future__ import annotations

__version__ = "0.1.0"
