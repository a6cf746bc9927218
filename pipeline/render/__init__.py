"""Rendering: localized articles to web pages, PDF brochures, the index and the sitemap.

Renderers are pure: they return bytes (or the print document as text) and
write nothing; :mod:`pipeline.build` plans the work and writes files.

- :mod:`pipeline.render.site`: the :class:`Site` every page links into.
- :mod:`pipeline.render.html`: ``render_page``, ``render_index``, ``render_sitemap``.
- :mod:`pipeline.render.pdf`: ``PdfRenderer``, ``render_pdf``, ``render_print_html``
  (imports WeasyPrint, so it is not imported here).
- :mod:`pipeline.render.environment`: the Jinja2 environments.
- :mod:`pipeline.render.l10n`: CLDR data (digits, paper size, file sizes).
"""

from __future__ import annotations

from pipeline.render.environment import environment_for, make_environment
from pipeline.render.site import (
    Edition,
    Site,
    SiteArticle,
    make_edition,
    make_site,
    relative_url,
)

__all__ = [
    "Edition",
    "Site",
    "SiteArticle",
    "environment_for",
    "make_edition",
    "make_environment",
    "make_site",
    "relative_url",
]
