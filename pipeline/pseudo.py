"""The pseudo-locales, all there is to know about them in one place.

``en-XA`` (accented Latin, about 40% longer, in ``⟦ ⟧``) and ``ar-XB`` (every
word forced right-to-left) show untranslatable or truncated text and layout
bugs without a translator. They are rendered from the source by ``build
--pseudo``, never from a catalog, never listed, and formatted as the source
language (English) is. Only letters change: code, link targets, URLs,
placeholders, entities and do-not-translate terms are kept as they are.

An article's unit is not rewritten as Markdown: its source is parsed and only the
text a reader sees goes through ``letters`` (:func:`pipeline.inline.map_words`), so
its links, references, autolinks, images and inline HTML are the source's by
construction. ``transform`` rewrites whole strings (the templates' messages).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_PROTECTED = re.compile(
    r"""
      (?P<ticks>`+).+?(?<!`)(?P=ticks)(?!`) # code span
    | \]\([^)]*\)                       # link destination and title
    | <[a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*> # autolink
    | https?://[^\s)>\]]+               # bare URL
    | %\([A-Za-z_]+\)[sd]|%[sd]         # printf placeholders
    | \{[A-Za-z_][A-Za-z0-9_]*\}        # format placeholders
    | &[A-Za-z0-9#]+;                   # entity
    | \\.                               # backslash escape
    """,
    re.VERBOSE | re.DOTALL,
)

_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
_PADDING = "ŀöŕéɱ îþšûɱ đöļöŕ šîţ åɱéţ çöñšéçţéţûŕ åđîþîšçîñĝ éļîţ "
_WORD = re.compile(r"[^\W\d_]+")
_RLO, _PDF, _RLM = "\u202e", "\u202c", "\u200f"


@functools.lru_cache(maxsize=16)
def _protected(keep: tuple[str, ...]) -> re.Pattern[str]:
    if not keep:
        return _PROTECTED
    # re.escape escapes spaces too, so multi-word terms survive the verbose pattern.
    terms = "|".join(re.escape(term) for term in sorted(keep, key=len, reverse=True))
    return re.compile(rf"{_PROTECTED.pattern}| \b(?:{terms})\b", _PROTECTED.flags)


def _map_unprotected(text: str, function: Callable[[str], str], keep: Sequence[str] = ()) -> str:
    parts: list[str] = []
    position = 0
    for match in _protected(tuple(keep)).finditer(text):
        parts.append(function(text[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.append(function(text[position:]))
    return "".join(parts)


def accented(text: str, keep: Sequence[str] = ()) -> str:
    """en-XA's letters: ASCII letters accented, what :data:`_PROTECTED` matches kept."""
    return _map_unprotected(text, lambda s: s.translate(_ACCENTS), keep)


def accented_frame(text: str) -> tuple[str, str]:
    """What en-XA puts around a whole message: ⟦ ⟧, and padding that makes it 40% longer."""
    extra = max(1, round(len(text) * 0.4) - 3)
    padding = (_PADDING * (extra // len(_PADDING) + 1))[:extra].strip()
    return "⟦", f" {padding}⟧"


def pseudo_accented(text: str, keep: Sequence[str] = ()) -> str:
    """en-XA: accented letters, about 40% longer, in ⟦ ⟧ so truncation shows."""
    before, after = accented_frame(text)
    return f"{before}{accented(text, keep)}{after}"


def pseudo_bidi(text: str, keep: Sequence[str] = ()) -> str:
    """ar-XB: every word forced right-to-left, as Android's pseudo-bidi locale does."""
    return _map_unprotected(
        text, lambda s: _WORD.sub(lambda m: f"{_RLM}{_RLO}{m.group(0)}{_PDF}{_RLM}", s), keep
    )


def no_frame(text: str) -> tuple[str, str]:
    return "", ""


@dataclass(frozen=True)
class PseudoLocale:
    tag: str
    name: str
    """What the language switcher would call it (pseudo-locales are never listed)."""
    direction: str
    transform: Callable[[str, Sequence[str]], str]
    """A whole message of the templates: ``frame`` around ``letters``."""
    letters: Callable[[str, Sequence[str]], str]
    """A run of an article's text: only the words a reader sees are given, never markup,
    targets or code (:func:`pipeline.inline.map_words`)."""
    frame: Callable[[str], tuple[str, str]]
    """Text put before and after a whole unit, from its source."""


FORMAT_LOCALE = "en"
"""Dates, numbers and digits of a pseudo-locale are formatted as in this locale."""
PSEUDO_LOCALES: dict[str, PseudoLocale] = {
    "en-XA": PseudoLocale(
        "en-XA", "Pseudo (accented)", "ltr", pseudo_accented, accented, accented_frame
    ),
    "ar-XB": PseudoLocale("ar-XB", "Pseudo (bidi)", "rtl", pseudo_bidi, pseudo_bidi, no_frame),
}
