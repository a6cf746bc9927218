"""No word hyphenated across a page break: the one rule of pagination CSS cannot say.

CSS Text 4 has ``hyphenate-limit-last: page`` for it; WeasyPrint 70 does not
implement it. So the brochure is laid out, each page's last line of text is read,
and a paragraph whose line at the foot of a page ends in a hyphen the layout added
is marked ``data-keep-words`` (``print.css``: not hyphenated) and laid out again.
It is rare (2 of the 6 sample brochures, one paragraph each), so a second layout
costs only where it is needed. Each layout marks at least one more paragraph, so it
ends; a re-layout can move another paragraph's hyphen to a page end, so up to
:data:`MAX_LAYOUTS` are made. The layout is deterministic: the PDF stays reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.formatting_structure.boxes import Box, LineBox, MarginBox, TextBox

KEEP_WORDS = "data-keep-words"
"""The attribute of a paragraph laid out without hyphens (``print.css``)."""
MAX_LAYOUTS = 8


def _lines(box: Box) -> Iterator[LineBox]:
    """Line boxes of the page's flow, in order: not those of headers and footers."""
    if isinstance(box, MarginBox):
        return
    if isinstance(box, LineBox):
        yield box
        return
    for child in getattr(box, "children", ()):
        if isinstance(child, Box):
            yield from _lines(child)


def _last_text(line: LineBox) -> TextBox | None:
    texts = [box for box in line.descendants() if isinstance(box, TextBox)]
    return texts[-1] if texts else None


def hyphenated_page_ends(document: Document) -> list[Any]:
    """The elements (paragraphs, list items...) whose line at the foot of a page, before
    the last page, ends in a hyphen the layout added."""
    found = []
    for page in document.pages[:-1]:
        lines = list(_lines(page._page_box))
        if not lines:
            continue
        last = _last_text(lines[-1])
        if last is None:
            continue
        hyphen = last.style["hyphenate_character"]
        if hyphen and hyphen != "-" and last.text.endswith(hyphen):
            found.append(lines[-1].element)
    return found


def render_keeping_words(html: HTML, **options: Any) -> Document:
    """``html.render(**options)``, laid out again while a word is hyphenated across pages."""
    document = html.render(**options)
    for _ in range(MAX_LAYOUTS - 1):
        elements = [
            e for e in hyphenated_page_ends(document) if e is not None and e.get(KEEP_WORDS) is None
        ]
        if not elements:  # none left, or only ones laid out without hyphens already
            break
        for element in elements:
            element.set(KEEP_WORDS, "")
        document = html.render(**options)
    return document
