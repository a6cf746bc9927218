"""The output layout: where each published file lives, relative to the output folder.

::

    index.html
    sitemap.xml
    <lang>/<slug>.html
    <lang>/<slug>.pdf
    images/<name>.<hash>[.<width>w].<ext>

The one definition: the renderers link by it and the build writes, verifies and
removes by it.
"""

from __future__ import annotations

import re
from typing import Literal

Format = Literal["pdf", "html"]
FORMATS: tuple[Format, ...] = ("pdf", "html")
"""Every (article, language) is published as a brochure and a page."""
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
INDEX_PATH = "index.html"
IMAGE_DIR = "images"
"""Published images, content-addressed, shared by every language that shows them."""
PAGE_TO_ROOT = "../"
"""From a page (``<lang>/<slug>.html``) back to the output folder."""
SITEMAP_PATH = "sitemap.xml"


def target_path(lang: str, slug: str, fmt: Format) -> str:
    """Where ``slug`` in ``lang`` is published as ``fmt``."""
    return f"{lang}/{slug}.{fmt}"


def page_path(lang: str, slug: str) -> str:
    return target_path(lang, slug, "html")


def pdf_path(lang: str, slug: str) -> str:
    return target_path(lang, slug, "pdf")


def is_image_path(path: str) -> bool:
    """A published image (``images/<name>``), never a page or brochure."""
    folder, slash, name = path.partition("/")
    return folder == IMAGE_DIR and bool(slash) and "/" not in name and not name.startswith(".")


def parse_target_path(path: str) -> tuple[str, str, Format] | None:
    """(lang, slug, format) of a published page or brochure; ``None`` for any other path."""
    lang, slash, name = path.partition("/")
    slug, dot, fmt = name.rpartition(".")
    if not slash or not dot or "/" in name or fmt not in FORMATS:
        return None
    if not _PART.fullmatch(lang) or not _PART.fullmatch(slug):
        return None  # "..", an empty part, or anything a build never writes
    return lang, slug, "pdf" if fmt == "pdf" else "html"
