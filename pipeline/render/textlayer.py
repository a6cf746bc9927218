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
changes (a combining mark, a ZWNJ, a digit) and reverses each piece in place, so
a right-to-left word of several directions is one span per piece
(:func:`_rtl_spans`), and its combining marks are drawn just after their letter
rather than just before (:class:`_SpanningStream`), so that each span's first
glyph is a letter on the baseline and its pen ends at its last letter's edge,
which is where both engines look for it. The span also carries
the language of runs that differ from the document's (an English reference
title in an Arabic brochure), and a hyphen the layout added at a line end is
given as ``-``, which both engines take for a line-end hyphen and join the word
again.

PDFium puts a line in order by sorting what is drawn left to right, but it
sorts each stretch between two glyphs drawn off the baseline (combining marks)
on its own, and WeasyPrint draws the pieces of a right-to-left line (a bold
lead-in, then the text) right to left. The second
wrapper (``draw_inline_level``) draws them left to right (:func:`_left_to_right`).
The page looks the same: a mark lands where it was, and the pieces of a line
overlap at most in the ink of glyphs of one colour (a test renders a line both
ways and compares the pixels).

Nothing of WeasyPrint is copied: the wrapper computes, from the same Pango
line, which glyph belongs to which word, and splits the text-showing
operators WeasyPrint emits at word boundaries to put the spans around them.
It is written against one WeasyPrint version (:data:`WEASYPRINT_VERSION`, the
locked one): another version is refused at once, loudly, rather than risk a
wrong text layer.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import pydyf
import weasyprint
import weasyprint.draw as weasyprint_draw
from weasyprint.draw import text as weasyprint_text
from weasyprint.formatting_structure import boxes as weasyprint_boxes
from weasyprint.stacking import StackingContext
from weasyprint.text.ffi import ffi, pango

from pipeline.errors import RenderError

WEASYPRINT_VERSION = "70.0"
"""The WeasyPrint whose ``draw_first_line`` and ``draw_inline_level`` this module was written
and tested against."""
LAYOUT_HYPHEN = "-"
"""The text of a hyphen added by the layout: what poppler and PDFium join a word across."""
TEXT_HYPHEN = "\u2010"
"""The text of a line-end hyphen that is the text's own ("post-" + "stroke"): kept."""

_TJ_TOKEN = re.compile(r"<([0-9a-fA-F]*)>|([^<>]+)")
_WORD = {
    False: re.compile(r"\S+\s*"),
    True: re.compile(r"[^\s!-/:-@\[-`{-~\u060c\u066a-\u066d\u00ab\u00bb]+"),
}
"""A word: a run without spaces, with the spaces after it (PDFium takes the space between two
spans from their text); for right-to-left text, without spaces or punctuation, except the
right-to-left question mark, semicolon and full stop, which are of the word's direction (left
out, PDFium read the word before a question mark unreversed)."""


class Word(NamedTuple):
    """One span: made once per word drawn, and told apart from the next by identity (two
    words of the same text side by side are two spans)."""

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
) -> tuple[list[Word | None], frozenset[int]]:
    """For each glyph WeasyPrint will show, in drawing order, the span it belongs to; and
    the raised glyphs to draw after their letter (see :func:`_rtl_spans`).

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
    after_letter: list[int] = []
    empty = pango.PANGO_GLYPH_EMPTY
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        item = glyph_item.item
        start, end = char_at[item.offset], char_at[item.offset + item.length]
        glyphs = glyph_item.glyphs
        count = glyphs.num_glyphs
        offset = item.offset
        infos = array("i", bytes(ffi.buffer(glyphs.glyphs, count * _GLYPH_INFO_SIZE)))
        # The cluster, width and vertical offset of each glyph WeasyPrint shows.
        bytes_at = ffi.unpack(glyphs.log_clusters, count)
        widths = infos[_WIDTH::_GLYPH_INFO_WORDS]
        rises = infos[_Y_OFFSET::_GLYPH_INFO_WORDS]
        ids = infos[::_GLYPH_INFO_WORDS]
        if empty in ids:  # a glyph of nothing (a joiner): not drawn
            shown = [index for index, glyph in enumerate(ids) if glyph != empty]
            bytes_at = [bytes_at[index] for index in shown]
            widths = array("i", [widths[index] for index in shown])
            rises = array("i", [rises[index] for index in shown])
        clusters = list(map(char_at[offset : offset + item.length + 1].__getitem__, bytes_at))
        raised = list(map(bool, rises))
        # A combining mark with a cluster of its own, on the baseline (it has no width).
        flat = [False] * len(clusters)
        if 0 in widths:
            flat = [
                not width and not rise and unicodedata.combining(text[cluster]) > 0
                for cluster, width, rise in zip(clusters, widths, rises, strict=True)
            ]
        rtl = bool(item.analysis.level % 2)
        item_lang = foreign
        if in_rtl and not rtl and source and _has_latin_letter(text[start:end]):
            item_lang = foreign or source  # a brand or cited name inside right-to-left text
        spans, held = _item_words(
            text, start, end, clusters, (raised, flat), rtl, hyphen, item_lang
        )
        after_letter += [len(glyph_words) + index for index in held]
        glyph_words += spans
    return glyph_words, frozenset(after_letter)


_GLYPH_INFO_WORDS = 5
"""PangoGlyphInfo as 32-bit words: the glyph, its geometry (width, x and y offset), attributes."""
_GLYPH_INFO_SIZE = ffi.sizeof("PangoGlyphInfo")
_WIDTH = 1
_Y_OFFSET = 3
"""The word of PangoGlyphInfo that is the glyph's vertical offset: WeasyPrint draws a glyph
with one (a raised or lowered combining mark) in a text-showing operator of its own."""


def _char_index(text: str) -> Sequence[int]:
    """Byte offset in the UTF-8 text -> index of the character there (at each character's
    first byte, and at the end)."""
    if text.isascii():
        return range(len(text) + 1)
    sizes = text.translate(_UTF8_SIZES).encode("ascii")  # each character's size in UTF-8
    table = list(itertools.chain.from_iterable(map(itertools.repeat, range(len(text)), sizes)))
    table.append(len(text))
    return table


class _Utf8Sizes(dict[int, str]):
    """Code point -> its size in UTF-8, as a character (``\x01`` to ``\x04``), for
    ``str.translate``; filled as characters are met."""

    def __missing__(self, code: int) -> str:
        size = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        self[code] = chr(size)
        return chr(size)


_UTF8_SIZES = _Utf8Sizes()


def _item_words(
    text: str,
    start: int,
    end: int,
    clusters: list[int],
    marks: tuple[list[bool], list[bool]],
    rtl: bool,
    hyphen: str,
    lang: str | None,
) -> tuple[list[Word | None], list[int]]:
    """The span of each glyph of one Pango item, in drawing order (``None`` between words),
    and the raised glyphs to draw after their letter (indices in the item).

    ``clusters``: the first character of each drawn glyph's cluster; ``marks``: whether
    each is drawn off the baseline (a combining mark, raised or lowered), and whether it is
    a glyph of no width on the baseline (a mark placed by its offset alone, as Hebrew
    points are). A right-to-left word may be several spans (see :func:`_rtl_spans`), unless
    it has marks of the second kind: a span of such a glyph alone, which starts over the
    letter before it, poppler reads as a word of its own.
    """
    raised, flat = marks
    word_at: list[Word | None] = [None] * (end - start)
    rtl_words: list[tuple[int, int, str]] = []
    text_end = len(text.rstrip())
    for match in _WORD[rtl].finditer(text, start, end):
        word = match.group()
        if match.end() >= text_end:  # the text's last word
            core = word.rstrip()
            word = _line_end(core, hyphen) + word[len(core) :]
        if rtl and _in_rtl_script(word):
            if len(word) == match.end() - match.start() and len(_direction_runs(word)) > 1:
                rtl_words.append((match.start(), match.end(), word))
                continue
            word = word[::-1]  # one span, reversed, as _rtl_spans makes it
        first = match.start() - start
        word_at[first : first + len(match.group())] = [Word(word, lang)] * len(match.group())
    # A glyph's cluster is in its item: [start, end).
    spans = (
        [word_at[c - start] for c in clusters]
        if start
        else list(map(word_at.__getitem__, clusters))
    )
    after_letter: list[int] = []
    if not rtl_words:
        return spans, after_letter
    owner = [-1] * (end - start)
    for number, (at, stop, _) in enumerate(rtl_words):
        owner[at - start : stop - start] = [number] * (stop - at)
    glyphs_of: list[list[int]] = [[] for _ in rtl_words]
    for index, c in enumerate(clusters):
        if start <= c < end and (number := owner[c - start]) >= 0:
            glyphs_of[number].append(index)
    for (at, stop, word), members in zip(rtl_words, glyphs_of, strict=True):
        if not members:
            continue
        if any(flat[index] for index in members):
            whole = Word(word[::-1], lang)
            for index in members:
                spans[index] = whole
            continue
        written, cut = _rtl_spans(
            word,
            at,
            stop,
            [clusters[index] for index in members],
            [raised[index] for index in members],
            lang,
        )
        for index, span in zip(members, written, strict=True):
            spans[index] = span
        if cut:
            after_letter += [index for index in members if raised[index]]
    return spans, after_letter


@functools.lru_cache(maxsize=4096)
def _in_rtl_script(word: str) -> bool:
    """A word of a right-to-left script: letters forced right to left by an override (the
    ar-XB pseudo-locale) are read left to right by both engines, so written as they are."""
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in word)


def _rtl_spans(
    word: str, at: int, stop: int, clusters: list[int], raised: list[bool], lang: str | None
) -> tuple[list[Word], bool]:
    """The span of each of a right-to-left word's glyphs (given in drawing order, left to
    right): one span per run of characters of one direction, each run's text reversed.

    Poppler reverses the text of a right-to-left span whole; PDFium cuts it where a
    character's direction changes (a combining mark, a ZWNJ, a digit is weak, not
    right-to-left) and reverses each piece in place. Only a span of one direction is read
    the same by both, so "مرشحًا" is three spans: "مرشح", the tanwin, "ا".

    A span's text need not be its glyphs' (a ZWNJ has no glyph, a mark shares its
    letter's cluster), only in the same order: the glyphs are cut into as many groups as
    the word has runs, each cut as near its run's edge as allowed (:func:`_cuts`). A
    combining mark drawn off the baseline, with its letter, is one unit that ends its
    group: it is then drawn after its letter (:class:`_SpanningStream`), and the engines,
    which place a span by its first glyph and its first text-showing operator, find the
    span's letters on the baseline and none after the mark. Where the glyphs do not allow
    it, the word is one span, reversed. Returns the spans, and whether the word is cut.
    """
    count = len(clusters)
    runs = _direction_runs(word)
    whole = [Word(word[::-1], lang)] * count
    if len(runs) == 1 or len(word) != stop - at:  # one direction, or a line-end hyphen
        return whole, False
    # Left to right the runs come last first; the cut after the t-th of them goes, ideally,
    # after the glyphs of that run and of the runs after it in the text.
    ideal = [sum(c - at >= first for c in clusters) for first, _ in reversed(runs[1:])]
    cuts = _cuts(raised, ideal)
    if cuts is None:
        return whole, False
    spans: list[Word] = []
    for (first, last), begin, finish in zip(
        reversed(runs), [0, *cuts], [*cuts, count], strict=True
    ):
        spans += [Word(word[first:last][::-1], lang)] * (finish - begin)
    return spans, True


def _cuts(raised: list[bool], ideal: list[int]) -> list[int] | None:
    """Where to cut glyphs (drawing order; ``raised``: drawn off the baseline) into
    ``len(ideal) + 1`` groups, each cut as near its ideal place as the others allow.

    A raised glyph (a combining mark) is drawn before its letter: the two are one unit
    that no cut separates, and a group holding such a unit ends with it, except the last
    group. ``None`` when no such cuts exist. Each (first glyph, group) is tried once: the
    search takes at most glyphs x groups x glyphs steps, however long the word.
    """
    count = len(raised)
    if not count or raised[-1]:
        return None
    # For each glyph, the first letter after a mark from there on: a group starting at the
    # glyph ends with that letter at the latest.
    unit_end = [count] * (count + 1)
    for index in range(count - 1, 0, -1):
        letter = raised[index - 1] and not raised[index]
        unit_end[index] = index if letter else unit_end[index + 1]
    tried: dict[tuple[int, int], list[int] | None] = {}

    def search(begin: int, t: int) -> list[int] | None:
        if t == len(ideal):
            return []
        if (begin, t) in tried:
            return tried[(begin, t)]
        latest = min(count - (len(ideal) - t), unit_end[begin + 1] + 1)
        candidates = [cut for cut in range(begin + 1, latest + 1) if not raised[cut - 1]]
        found = None
        for cut in sorted(candidates, key=lambda cut: abs(cut - ideal[t])):
            rest = search(cut, t + 1)
            if rest is not None:
                found = [cut, *rest]
                break
        tried[(begin, t)] = found
        return found

    return search(0, 0)


def _direction(char: str) -> str:
    """A character's direction as PDFium's text extraction groups them."""
    kind = unicodedata.bidirectional(char)
    if kind in ("R", "AL"):
        return "R"
    if kind == "L":
        return "L"
    if kind in ("AN", "EN", "NSM", "CS", "ES", "ET", "BN"):
        return "W"
    return "N"


@functools.lru_cache(maxsize=4096)
def _direction_runs(word: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each run of characters of one direction, in the text's order."""
    runs: list[tuple[int, int]] = []
    first = 0
    for _, chars in itertools.groupby(word, _direction):
        last = first + len(list(chars))
        runs.append((first, last))
        first = last
    return tuple(runs)


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
    ends: list[int] = []
    for _, run in itertools.groupby(words, key=id):  # the same span: the same object
        end = len(ends) + len(list(run))
        ends += [end] * (end - len(ends))
    return ends


@dataclass
class _Mark:
    """A raised glyph held back to be drawn after its letter."""

    rise: float
    before: float
    """The TJ adjustment before the glyph (thousandths of an em; positive moves left)."""
    glyph: str
    after: float = 0.0
    """Adjustments shown after it, before the next glyph."""


class _SpanningStream:
    """The stream WeasyPrint draws the line into, with a span around each word's glyphs.

    In a right-to-left word cut into several spans, a raised glyph (a combining mark,
    which WeasyPrint draws before its letter, in a text-showing operator of its own) is
    drawn just after its letter instead, at the same place, with a character spacing that
    brings the pen back to the letter's end: the span then starts with a letter on the
    baseline, and its first operator reaches its right edge, which is where poppler and
    PDFium look for the span's place. The glyphs land where WeasyPrint put them.
    """

    def __init__(self, stream: Any, words: list[Word | None], after_letter: frozenset[int]):
        self._stream = stream
        self._words = words
        self._run_end = _run_ends(words)
        self._after_letter = after_letter
        self._next = 0
        self._open: Word | None = None
        self._fonts: dict[str, Any] = {}
        self._font: Any = None
        self._size = 1.0
        self._width = 4
        self._rising: float | None = None
        self._held: list[_Mark] = []
        self._replay: list[tuple[str, Any]] = []
        # What WeasyPrint calls for every line, bound here rather than found by __getattr__.
        self.set_text_matrix = stream.set_text_matrix
        self.set_color = stream.set_color
        self.begin_text = stream.begin_text

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def add_font(self, pango_font: Any) -> Any:
        font, size = self._stream.add_font(pango_font)
        self._fonts[font.hash] = font
        return font, size

    def set_font_size(self, font: str, size: float) -> None:
        self._flush()
        self._font = self._fonts.get(font)
        self._width = 2 if self._font is not None and self._font.bitmap else 4
        self._size = size
        self._stream.set_font_size(font, size)

    def set_text_rise(self, height: float) -> None:
        if (
            height
            and self._next in self._after_letter
            and self._font is not None
            and self._width == 4
        ):
            self._rising = height
            self._replay.append(("rise", height))
            return
        if not height and self._rising is not None:
            self._rising = None
            self._replay.append(("rise", height))
            return
        self._flush()
        self._stream.set_text_rise(height)

    def show_text(self, string: str) -> None:
        """Show ``string`` (the inside of a TJ array), opening and closing spans at word edges
        and drawing held marks after their letter."""
        if self._rising is not None or self._held:
            self._replay.append(("show", string))
            tokens = _tokens(string)
            if tokens is None:  # not what WeasyPrint 70 writes: draw as it did
                self._flush()
                return
            glyphs = [token for token in tokens if isinstance(token, str) and token]
            if self._rising is not None:
                if len(glyphs) != 1 or len(glyphs[0]) != 4:
                    self._flush()
                    return
                self._held.append(_Mark(self._rising, _adjustment(tokens), glyphs[0]))
                self._next += 1
                return
            if not glyphs:
                self._held[-1].after += _adjustment(tokens)
                return
            self._draw_after_letter(tokens)
            return
        self._show(string)

    def _draw_after_letter(self, tokens: list[str | float]) -> None:
        """Draw the letter that begins ``tokens``, then the held marks over it, then the rest
        (as WeasyPrint drew them if a width is not known)."""
        widths: dict[int, int] = self._font.widths
        first = next(i for i, token in enumerate(tokens) if isinstance(token, str) and token)
        letter_group = str(tokens[first])
        letter, rest = letter_group[:4], letter_group[4:]
        needed = [int(mark.glyph, 16) for mark in self._held] + [int(letter, 16)]
        if not all(glyph in widths for glyph in needed):
            self._flush()
            return
        held, self._held, self._replay = self._held, [], []
        position = 0.0  # from the pen before the first mark, in thousandths of an em
        marks: list[tuple[_Mark, float]] = []
        for mark in held:
            position -= mark.before
            marks.append((mark, position))
            position += widths[int(mark.glyph, 16)]
            position -= mark.after
        position -= _adjustment(tokens[:first])
        self._show(f"{_number(-position)}<{letter}>" if position else f"<{letter}>")
        end = position + widths[int(letter, 16)]
        pen = end
        for index, (mark, at) in enumerate(marks):
            self._stream.set_text_rise(mark.rise)
            width = widths[int(mark.glyph, 16)]
            last = index == len(marks) - 1
            spacing = (end - at - width) if last else 0.0
            if spacing:
                self._stream.stream.append(f"{_number(spacing * self._size / 1000)} Tc".encode())
            shift = pen - at
            self._stream.show_text(
                f"{_number(shift)}<{mark.glyph}>" if shift else f"<{mark.glyph}>"
            )
            pen = at + width + spacing
            if spacing:
                self._stream.stream.append(b"0 Tc")
        self._stream.set_text_rise(0)
        remaining = "".join(
            f"<{token}>" if isinstance(token, str) else _number(token)
            for token in tokens[first + 1 :]
        )
        if rest or remaining:
            self._show((f"<{rest}>" if rest else "") + remaining)

    def _flush(self) -> None:
        """Show held marks as WeasyPrint drew them (a line that does not go as expected)."""
        if self._rising is None and not self._held:
            return
        self._next -= len(self._held)
        replay, self._replay, self._held, self._rising = self._replay, [], [], None
        for action, value in replay:
            if action == "rise":
                self._stream.set_text_rise(value)
            else:
                self._show(value)

    def _show(self, string: str) -> None:
        """Glyphs are counted in ``string``'s ``<hex>`` groups; a group that stays within one
        word (or between words) is passed on whole, which is the common case."""
        words, run_end, width = self._words, self._run_end, self._width
        total = len(words)
        head, *chunks = string.split("<")
        pending = head
        for chunk in chunks:
            close = chunk.find(">")
            if close < 0:  # not what WeasyPrint writes: the group read to the end, as it was
                close = len(chunk)
            start = self._next
            stop = self._next = start + close // width
            if (
                start < stop <= total
                and run_end[start] >= stop
                and words[start] is self._open
                and close < len(chunk)
            ):
                pending += "<" + chunk  # all its glyphs in the span already open
                continue
            hex_digits, tail = chunk[:close], chunk[close + 1 :]
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
        self._flush()
        self._switch(None)


def _tokens(string: str) -> list[str | float] | None:
    """The inside of a TJ array as its glyph groups (hex) and adjustments; ``None`` if it
    holds anything else."""
    tokens: list[str | float] = []
    for match in _TJ_TOKEN.finditer(string):
        hex_digits, other = match.groups()
        if hex_digits is not None:
            tokens.append(hex_digits)
            continue
        for number in other.split():
            try:
                tokens.append(float(number))
            except ValueError:
                return None
    return tokens


def _adjustment(tokens: Sequence[str | float]) -> float:
    return sum(token for token in tokens if isinstance(token, float))


def _number(value: float) -> str:
    """A number as a content stream writes it, to a millionth."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


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
        words, after_letter = _words_of_glyphs(textbox, languages)
        spanning = _SpanningStream(stream, words, after_letter)
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
            "draw_first_line and draw_inline_level, then update WEASYPRINT_VERSION"
        )
    # Each checked on its own: installing again (the cache of this function was cleared)
    # wraps neither twice.
    if not getattr(weasyprint_text.draw_first_line, "pipeline_text_layer", False):
        weasyprint_text.draw_first_line = _with_actual_text(
            weasyprint_text.draw_first_line, lambda: _DOCUMENT_LANG[0]
        )
    if not getattr(weasyprint_draw.draw_inline_level, "pipeline_text_layer", False):
        weasyprint_draw.draw_inline_level = _left_to_right(weasyprint_draw.draw_inline_level)


DrawInlineLevel = Callable[..., Any]


def _left_to_right(original: DrawInlineLevel) -> Any:
    """Draw the pieces of a right-to-left line (a bold lead-in, a link, the text after it)
    from left to right, as a line of one piece is drawn.

    WeasyPrint draws them in the text's order, right to left. PDFium puts a line in order
    by sorting what is drawn left to right, but sorts each stretch between two glyphs drawn
    off the baseline (combining marks) on its own: in an Arabic line with a bold lead-in and
    a mark, it read the words after the mark before the lead-in. Only the order of drawing
    changes, and the tagged structure, built from the document, keeps the reading order.
    Where two pieces overlap, the one drawn last is on top: the ink of a glyph reaching over
    its neighbour's (the same colour in the brochure's text, where nothing changes), and,
    so that no background or border can be covered differently, a line with a piece that
    has one is drawn as WeasyPrint does; so is a line with an inline block (a stacking
    context of its own) and a clamped line (whose last piece gets the ellipsis).
    """

    @functools.wraps(original)
    def draw_inline_level(
        stream: Any,
        page: Any,
        box: Any,
        offset_x: float = 0,
        text_overflow: str = "clip",
        block_ellipsis: str = "none",
    ) -> Any:
        children = getattr(box, "children", None)
        if (
            isinstance(box, (weasyprint_boxes.LineBox, weasyprint_boxes.InlineBox))
            and box.style["direction"] == "rtl"
            and block_ellipsis == "none"
            and getattr(box, "block_ellipsis", "none") == "none"
            and children
            and len(children) > 1
            and not any(isinstance(child, StackingContext) for child in children)
            and not any(map(_painted, children))
        ):
            box.children = sorted(children, key=lambda child: child.position_x)
            try:
                return original(stream, page, box, offset_x, text_overflow, block_ellipsis)
            finally:
                box.children = children
        return original(stream, page, box, offset_x, text_overflow, block_ellipsis)

    draw_inline_level.pipeline_text_layer = True  # type: ignore[attr-defined]
    return draw_inline_level


_SIDES = ("top", "right", "bottom", "left")


def _painted(box: Any) -> bool:
    """Whether an inline piece, or anything in it, has a background or a border."""
    if getattr(box, "background", None) is not None:
        return True
    if any(getattr(box, f"border_{side}_width", 0) for side in _SIDES):
        return True
    return any(map(_painted, getattr(box, "children", ())))


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
