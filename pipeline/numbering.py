"""Which digits a language writes, one definition for the renderers and the checks.

A language uses the CLDR default numbering system of the territory where most of
its readers live (CLDR's likely subtags): Arabic brochures, read from Egypt to the
Gulf, count ``١٢٣`` (``arab``), Persian ``۱۲۳`` (``arabext``), Bengali ``১২৩``
(``beng``), French and Russian ``123``. Page numbers, lists, dates, hours and sizes
are written so by the renderers; the ``digits`` check asks translators for the same.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from babel import Locale
from babel.core import get_global

from pipeline.project import parse_locale
from pipeline.pseudo import FORMAT_LOCALE, PSEUDO_LOCALES

NUMBERING: Mapping[str, tuple[str, int]] = {
    "arab": ("arabic-indic", 0x0660),
    "arabext": ("persian", 0x06F0),
    "beng": ("bengali", 0x09E6),
    "deva": ("devanagari", 0x0966),
    "gujr": ("gujarati", 0x0AE6),
    "guru": ("gurmukhi", 0x0A66),
    "knda": ("kannada", 0x0CE6),
    "khmr": ("khmer", 0x17E0),
    "laoo": ("lao", 0x0ED0),
    "mlym": ("malayalam", 0x0D66),
    "mymr": ("myanmar", 0x1040),
    "orya": ("oriya", 0x0B66),
    "telu": ("telugu", 0x0C66),
    "thai": ("thai", 0x0E50),
    "tibt": ("tibetan", 0x0F20),
}
"""CLDR numbering system -> (CSS counter style WeasyPrint predefines, code point of digit zero)."""


@functools.cache
def babel_locale(lang: str) -> Locale:
    """The Babel locale of ``lang``; a pseudo-locale formats as English."""
    return parse_locale(FORMAT_LOCALE if lang in PSEUDO_LOCALES else lang)


@functools.cache
def likely_locale(lang: str) -> Locale:
    """``lang`` with its likely script and territory filled in: ``ar`` -> ``ar_Arab_EG``.

    A bare language tag says nothing about where its readers live; CLDR's
    likely subtags name the territory where most of them do.
    """
    locale = babel_locale(lang)
    if locale.territory:
        return locale
    likely: Mapping[str, str] = get_global("likely_subtags")
    keys = [f"{locale.language}_{locale.script}"] if locale.script else []
    for key in [*keys, locale.language]:
        if key in likely:
            return Locale.parse(likely[key])
    return locale


def numbering_system(lang: str) -> str:
    """The CLDR default numbering system where the language is mostly read.

    Taken from the likely territory, not the bare language: CLDR gives ``ar``
    Latin digits but ``ar_EG`` (the likely territory) Arabic-Indic ones, and
    the readers of an Arabic brochure handed out in a clinic expect the latter.
    Pseudo-locales use Latin digits.
    """
    if lang in PSEUDO_LOCALES:
        return "latn"
    return str(likely_locale(lang).default_numbering_system or "latn")


def native_digits(text: str, lang: str) -> str:
    """Replace ASCII digits with the language's own (Babel formats numbers with Latin digits)."""
    system = NUMBERING.get(numbering_system(lang))
    if system is None:
        return text
    zero = system[1]
    return text.translate({ord("0") + n: chr(zero + n) for n in range(10)})


_DIGITS: Mapping[str, str] = {
    chr(zero + n): name
    for name, (_, zero) in {**NUMBERING, "latn": ("decimal", ord("0"))}.items()
    for n in range(10)
}
"""Every digit of every numbering system above, and the ASCII ones (``latn``)."""


_ANY_DIGIT = re.compile("[" + "".join(sorted(_DIGITS)) + "]")


def digit_systems(text: str) -> set[str]:
    """The numbering systems whose digits ``text`` writes (``latn`` for ASCII digits)."""
    return {_DIGITS[char] for char in _ANY_DIGIT.findall(text)}
