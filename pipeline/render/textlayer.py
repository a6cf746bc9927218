"""The brochure's text layer: what copy, search and screen readers get back from the PDF.

WeasyPrint maps each glyph of a font to text once (the font's ToUnicode map),
the first time it draws the glyph. That cannot describe what shaping does in
most scripts: a Bengali or Devanagari vowel sign drawn before the consonant it
follows, one cluster drawn with several glyphs, Arabic lam-alef drawn as one
glyph, a zero-width non-joiner that has no glyph at all. Extracted Bengali came
out as "সেোহোয্য" for "সাহায্য".

PDF has the standard answer (ISO 32000-1, 14.9.4): marked content whose
``/ActualText`` is the text the glyphs stand for. :func:`install` wraps the one
WeasyPrint function that draws a line of text (``draw_first_line``) so that
every word it draws is such a span: ``/Span <</ActualText (word) /Lang (xx)>>
BDC ... EMC``. Poppler (``pdftotext``, Evince, Okular) and PDFium (Chrome)
read it. Spans are per word because the two differ on a right-to-left span:
given one word of right-to-left letters, both reverse it, so such a word
carries its text in visual order and comes out right. Within a word they
differ: poppler reverses it whole, PDFium cuts it where a character's direction
changes (a combining mark, a ZWNJ) and keeps the pieces in visual order, so a
Persian word with a ZWNJ is one span per piece (:func:`_pieces`); a word with a
combining mark stays one span, which PDFium misreads. The span also carries the
language of runs that differ from the document's (an English reference title in
an Arabic brochure), and a hyphen the layout added at a line end is given as
``-``, which both engines take for a line-end hyphen and join the word again.

Nothing of WeasyPrint is copied: the wrapper computes, from the same Pango
line, which glyph belongs to which word, and splits the text-showing
operators WeasyPrint emits at word boundaries to put the spans around them.
It is written against one WeasyPrint version (:data:`WEASYPRINT_VERSION`, the
locked one): another version is refused at once, loudly, rather than risk a
wrong text layer.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pydyf
import weasyprint
from weasyprint.draw import text as weasyprint_text
from weasyprint.text.ffi import ffi, pango

from pipeline.errors import RenderError

WEASYPRINT_VERSION = "70.0"
"""The WeasyPrint whose ``draw_first_line`` this module was written and tested against."""
LAYOUT_HYPHEN = "-"
"""The text of a hyphen added by the layout: what poppler and PDFium join a word across."""
TEXT_HYPHEN = "\u2010"
"""The text of a line-end hyphen that is the text's own ("post-" + "stroke"): kept."""

_TJ_TOKEN = re.compile(r"<([0-9a-fA-F]*)>|([^<>]+)")
_WORD = {
    False: re.compile(r"\S+\s*"),
    True: re.compile(r"[^\s!-/:-@\[-`{-~\u060c\u061b\u061f\u066a-\u066d\u06d4\u00ab\u00bb]+"),
}
"""A word: a run without spaces, with the spaces after it (PDFium takes the space between two
spans from their text); for right-to-left text, without punctuation or spaces."""


@dataclass(frozen=True)
class Word:
    text: str
    """What the word's glyphs stand for, in the order the span must carry it."""
    lang: str | None
    """The word's language where it differs from the document's."""

    @property
    def properties(self) -> bytes:
        """The span's property list: its actual text, and its language where it has one."""
        return _property_list(self.text, self.lang)


@functools.lru_cache(maxsize=4096)
def _property_list(text: str, lang: str | None) -> bytes:
    """Serialized once (a brochure repeats its words), in the bytes pydyf itself writes."""
    properties = pydyf.Dictionary({"ActualText": pydyf.String(text)})
    if lang:
        properties["Lang"] = pydyf.String(lang)
    return bytes(properties.data)


def _words_of_glyphs(
    textbox: Any, document_lang: tuple[str | None, str | None]
) -> list[Word | None]:
    """For each glyph WeasyPrint will show, in drawing order, the span it belongs to.

    ``None`` for a glyph outside every word (a space). Every word gets a span,
    not only those with complex clusters: the ToUnicode map keeps the text of a
    glyph's *first* use, so a glyph first drawn inside a conjunct or a ligature
    is wrong in every simple word after it. Punctuation around a right-to-left
    word stays out of its span (PDFium reorders it otherwise).
    """
    layout = textbox.pango_layout
    text: str = layout.text
    char_at = _char_index(text)
    hyphen = textbox.style["hyphenate_character"]
    lang = textbox.style["lang"]
    document, source = document_lang
    foreign = lang if lang and document and _base(lang) != _base(document) else None
    in_rtl = textbox.style["direction"] == "rtl"

    # WeasyPrint's draw_first_line sets this before it reads the line; set here first, the
    # line read here is exactly the one drawn (and setting it again there changes nothing).
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    first_line, _ = layout.get_first_line()
    glyph_words: list[Word | None] = []
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        item = glyph_item.item
        start, end = char_at[item.offset], char_at[item.offset + item.length]
        glyphs = glyph_item.glyphs
        count = glyphs.num_glyphs
        offset = item.offset
        clusters = [char_at[offset + c] for c in ffi.unpack(glyphs.log_clusters, count)]
        rtl = bool(item.analysis.level % 2)
        item_lang = foreign
        if in_rtl and not rtl and source and _has_latin_letter(text[start:end]):
            item_lang = foreign or source  # a brand or cited name inside right-to-left text
        ids = array("I", bytes(ffi.buffer(glyphs.glyphs, count * ffi.sizeof("PangoGlyphInfo"))))
        empty = pango.PANGO_GLYPH_EMPTY
        drawn = sorted(
            {
                c
                for c, glyph in zip(clusters, ids[::_GLYPH_INFO_WORDS], strict=True)
                if glyph != empty
            }
        )
        words = _item_words(text, start, end, drawn, rtl, hyphen, item_lang)
        glyph_words += [
            words.get(cluster)
            for cluster, glyph in zip(clusters, ids[::_GLYPH_INFO_WORDS], strict=True)
            if glyph != empty
        ]
    return glyph_words


_GLYPH_INFO_WORDS = 5
"""PangoGlyphInfo as 32-bit words: the glyph, its geometry (width, x and y offset), attributes."""


def _char_index(text: str) -> Sequence[int]:
    """Byte offset in the UTF-8 text -> index of the character there (at each character's
    first byte, and at the end)."""
    if text.isascii():
        return range(len(text) + 1)
    table: list[int] = []
    for index, char in enumerate(text):
        table += [index] * len(char.encode())
    table.append(len(text))
    return table


def _item_words(
    text: str,
    start: int,
    end: int,
    drawn: list[int],
    rtl: bool,
    hyphen: str,
    lang: str | None,
) -> dict[int, Word]:
    """Cluster start -> the span of its word, for the words of one Pango item that need one.

    ``drawn``: the starts of the item's clusters that have a glyph, in logical order. A
    right-to-left word may be several spans (see :func:`_pieces`).
    """
    word_at: list[Word | None] = [None] * (end - start)
    for match in _WORD[rtl].finditer(text, start, end):
        word = match.group()
        if not text[match.end() :].strip():
            core = word.rstrip()
            word = _line_end(core, hyphen) + word[len(core) :]
        first = match.start() - start
        if rtl and _in_rtl_script(word):
            for piece_start, piece_end, written in _pieces(word, match.start(), match.end(), drawn):
                word_at[piece_start - start : piece_end - start] = [Word(written, lang)] * (
                    piece_end - piece_start
                )
            continue
        word_at[first : first + len(match.group())] = [Word(word, lang)] * len(match.group())
    return {c: w for c in drawn if start <= c < end and (w := word_at[c - start])}


def _in_rtl_script(word: str) -> bool:
    """A word of a right-to-left script: letters forced right to left by an override (the
    ar-XB pseudo-locale) are read left to right by both engines, so written as they are."""
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in word)


def _pieces(word: str, at: int, stop: int, drawn: list[int]) -> list[tuple[int, int, str]]:
    """A right-to-left word as spans: (first character, end, actual text), in logical order.

    One span, reversed, unless the word has a zero-width non-joiner (Persian "می‌توانند") and
    no combining mark: then one span for each side of each ZWNJ and one for the ZWNJ, each
    reversed. Poppler reverses a right-to-left word whole, ZWNJ included; PDFium cuts the
    span's text where a character's direction changes (a ZWNJ, like a combining mark or a
    digit, is weak, not right-to-left) and keeps the pieces in visual order, so one span
    cannot suit both. Spans of one direction each are read right by both.

    A ZWNJ has no glyph and a span needs one: its span takes a letter of the side that has
    two or more. Not done for combining marks: a mark's glyph is drawn raised, and a span
    that starts or ends with it puts it on a line of its own for one engine or the other.
    """
    whole = [(at, stop, word[::-1])]
    if (
        "\u200c" not in word
        or len(word) != stop - at  # a line-end hyphen given another length
        or any(unicodedata.bidirectional(char) == "NSM" for char in word)
    ):
        return whole
    runs = [(m.start(), m.end()) for m in _ZWNJ_RUNS.finditer(word)]
    clusters = [c - at for c in drawn if at <= c < stop]
    owned: list[list[int]] = [[] for _ in runs]
    for cluster in clusters:
        owned[next(i for i, (s, e) in enumerate(runs) if s <= cluster < e)].append(cluster)
    for index, mine in enumerate(owned):
        if mine:
            continue
        before = owned[index - 1] if index else []
        after = owned[index + 1] if index + 1 < len(owned) else []
        if len(before) > 1:
            mine.append(before.pop())
        elif len(after) > 1:
            mine.append(after.pop(0))
        else:
            return whole
    ends = [mine[0] for mine in owned[1:]] + [len(word)]
    return [
        (at + mine[0], at + end, word[first:last][::-1])
        for (first, last), mine, end in zip(runs, owned, ends, strict=True)
    ]


_ZWNJ_RUNS = re.compile("\u200c+|[^\u200c]+")


def _base(lang: str) -> str:
    return lang.replace("_", "-").split("-")[0].lower()


def _has_latin_letter(text: str) -> bool:
    return any(char.isalpha() and "LATIN" in unicodedata.name(char, "") for char in text)


def _line_end(word: str, layout_hyphen: str) -> str:
    """The last word of a line: a hyphen the layout added becomes ``-``, which poppler and
    PDFium take for a line-end hyphen and join the word across; a hyphen of the text itself
    becomes U+2010, which both keep."""
    if layout_hyphen and word.endswith(layout_hyphen):
        return word[: -len(layout_hyphen)] + LAYOUT_HYPHEN
    if word.endswith("-"):
        return word[:-1] + TEXT_HYPHEN
    return word


def _run_ends(words: list[Word | None]) -> list[int]:
    """For each glyph, the index after the last glyph of the same word (or gap) that follows."""
    ends = [0] * len(words)
    end = len(words)
    for index in range(len(words) - 1, -1, -1):
        if index + 1 < len(words) and words[index + 1] is not words[index]:
            end = index + 1
        ends[index] = end
    return ends


class _SpanningStream:
    """The stream WeasyPrint draws the line into, with a span around each word's glyphs."""

    def __init__(self, stream: Any, words: list[Word | None]):
        self._stream = stream
        self._words = words
        self._run_end = _run_ends(words)
        self._next = 0
        self._open: Word | None = None
        self._hex_width: dict[str, int] = {}
        self._width = 4
        # What WeasyPrint calls for every line, bound here rather than found by __getattr__.
        self.set_text_matrix = stream.set_text_matrix
        self.set_color = stream.set_color
        self.begin_text = stream.begin_text
        self.end_text = stream.end_text

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def add_font(self, pango_font: Any) -> Any:
        font, size = self._stream.add_font(pango_font)
        self._hex_width[font.hash] = 2 if font.bitmap else 4
        return font, size

    def set_font_size(self, font: str, size: float) -> None:
        self._width = self._hex_width.get(font, 4)
        self._stream.set_font_size(font, size)

    def show_text(self, string: str) -> None:
        """Show ``string`` (the inside of a TJ array), opening and closing spans at word edges.

        Glyphs are counted in its ``<hex>`` groups; a group that stays within one word (or
        between words) is passed on whole, which is the common case.
        """
        words, run_end, width = self._words, self._run_end, self._width
        total = len(words)
        head, *chunks = string.split("<")
        pending = head
        for chunk in chunks:
            hex_digits, _, tail = chunk.partition(">")
            start = self._next
            stop = self._next = start + len(hex_digits) // width
            position = 0
            while start < stop:
                word = words[start] if start < total else None
                end = min(run_end[start] if start < total else stop, stop)
                if word is not self._open:
                    if pending:
                        self._stream.show_text(pending)
                        pending = ""
                    self._switch(word)
                size = (end - start) * width
                pending += f"<{hex_digits[position : position + size]}>"
                position += size
                start = end
            if not hex_digits:
                pending += "<>"
            pending += tail
        if pending:
            self._stream.show_text(pending)

    def _switch(self, word: Word | None) -> None:
        if self._open is not None:
            self._stream.end_marked_content()
        self._open = word
        if word is not None:
            self._stream.begin_marked_content("Span", word.properties)

    def close(self) -> None:
        self._switch(None)


DrawFirstLine = Callable[..., Any]


_SIMPLE = re.compile(
    r"[\x00-\u024f\u0370-\u03ff\u0400-\u052f\u2000-\u200a\u2010-\u2027\u202f-\u205e"
    r"\u20a0-\u218f]*"
)
"""Latin, Greek and Cyrillic letters, digits, punctuation (no-break spaces included) and
symbols: one glyph each, or a ligature that keeps its letters in order, so the ToUnicode map
reads them right. Zero-width joiners and direction marks, which have no glyph, are not."""


def _mapped_right(textbox: Any, document_lang: str | None) -> bool:
    """Whether the font's ToUnicode map already gives this text back, so no span is needed:
    text in simple scripts only, left to right, in the document's language, not ending with
    a hyphen (which needs saying whether the layout added it)."""
    text: str = textbox.pango_layout.text
    lang = textbox.style["lang"]
    return (
        _SIMPLE.fullmatch(text) is not None
        and textbox.style["direction"] == "ltr"
        and not (lang and document_lang and _base(lang) != _base(document_lang))
        and not text.rstrip().endswith(("-", textbox.style["hyphenate_character"]))
    )


def _with_actual_text(
    original: DrawFirstLine, document_lang: Callable[[], tuple[str | None, str | None]]
) -> Any:
    @functools.wraps(original)
    def draw_first_line(
        stream: Any, textbox: Any, text_overflow: str, block_ellipsis: str, matrix: Any
    ) -> Any:
        languages = document_lang()
        if (
            text_overflow == "ellipsis"
            or block_ellipsis != "none"
            or not textbox.text.strip()
            or _mapped_right(textbox, languages[0])
        ):
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        words = _words_of_glyphs(textbox, languages)
        spanning = _SpanningStream(stream, words)
        try:
            return original(spanning, textbox, text_overflow, block_ellipsis, matrix)
        finally:
            spanning.close()

    draw_first_line.pipeline_text_layer = True  # type: ignore[attr-defined]
    return draw_first_line


_DOCUMENT_LANG: list[tuple[str | None, str | None]] = [(None, None)]
"""(document language, source language) of the brochure being drawn."""


@functools.cache
def install() -> None:
    """Make every brochure's text layer exact; refuses a WeasyPrint it was not written for."""
    if weasyprint.__version__ != WEASYPRINT_VERSION:
        raise RenderError(
            f"the PDF text layer is written for WeasyPrint {WEASYPRINT_VERSION}, not "
            f"{weasyprint.__version__}: check pipeline/render/textlayer.py against the new "
            "draw_first_line, then update WEASYPRINT_VERSION"
        )
    if getattr(weasyprint_text.draw_first_line, "pipeline_text_layer", False):
        return  # already wrapped (the cache of this function was cleared)
    weasyprint_text.draw_first_line = _with_actual_text(
        weasyprint_text.draw_first_line, lambda: _DOCUMENT_LANG[0]
    )


@contextmanager
def document_language(lang: str | None, source_lang: str | None = None) -> Iterator[None]:
    """While a brochure in ``lang`` is drawn, runs in other languages are tagged as such:
    those with their own ``lang``, and Latin-script runs in right-to-left text as
    ``source_lang`` (brand and do-not-translate names come from the source)."""
    _DOCUMENT_LANG[0] = (lang, source_lang)
    try:
        yield
    finally:
        _DOCUMENT_LANG[0] = (None, None)
