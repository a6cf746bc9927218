"""Locale data the renderers need, from CLDR through Babel.

Everything here is keyed by the BCP 47 tag a page is rendered in. The
pseudo-locales (``en-XA``, ``ar-XB``) carry English text, so they format
numbers and name languages as English does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from babel import Locale
from babel.core import get_global
from babel.units import format_unit

from pipeline.project import parse_locale
from pipeline.pseudo import FORMAT_LOCALE, PSEUDO_LOCALES

# CLDR supplemental data, <paperSize type="US-Letter">: BZ CA CL CO CR GT MX NI PA PH PR SV US VE.
# Babel does not ship this table. DO is added: the Dominican Republic prints on Letter too.
LETTER_TERRITORIES = frozenset(
    {"BZ", "CA", "CL", "CO", "CR", "DO", "GT", "MX", "NI", "PA", "PH", "PR", "SV", "US", "VE"}
)

# CLDR numbering system -> (CSS counter style WeasyPrint predefines, code point of digit zero).
_NUMBERING: Mapping[str, tuple[str, int]] = {
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


def counter_style(lang: str) -> str:
    """The CSS counter style for page numbers and list markers in ``lang``."""
    return _NUMBERING.get(numbering_system(lang), ("decimal", 0))[0]


def native_digits(text: str, lang: str) -> str:
    """Replace ASCII digits with the language's own (Babel formats numbers with Latin digits)."""
    system = _NUMBERING.get(numbering_system(lang))
    if system is None:
        return text
    zero = system[1]
    return text.translate({ord("0") + n: chr(zero + n) for n in range(10)})


def format_size(size: int, lang: str) -> str:
    """A file size as readers of ``lang`` write it: "312 kB", "1.4 MB", "٣١٢ كيلوبايت"."""
    locale = babel_locale(lang)
    system = numbering_system(lang)
    if size < 1_000_000:
        kilobytes = max(1, round(size / 1000))
        text = format_unit(
            kilobytes, "digital-kilobyte", length="short", locale=locale, numbering_system=system
        )
    else:
        text = format_unit(
            round(size / 1_000_000, 1),
            "digital-megabyte",
            length="short",
            format="#,##0.#",
            locale=locale,
            numbering_system=system,
        )
    return native_digits(text, lang)


def language_name(lang: str, in_lang: str) -> str:
    """The name of ``lang`` in ``in_lang``, as used mid-sentence ("shown in English")."""
    name = babel_locale(in_lang).languages.get(babel_locale(lang).language)
    return str(name) if name else lang


def paper_size(
    lang: str, overrides: Mapping[str, str] | None = None, *, source_lang: str = FORMAT_LOCALE
) -> str:
    """``"A4"`` or ``"letter"``: the project's override, else the likely territory's paper.

    CLDR's paperSize table is not in Babel, so :data:`LETTER_TERRITORIES`
    carries it. Note that English is likely read in the US, hence Letter:
    a project printing in A4 says ``en = "A4"`` in ``[tool.pipeline.paper]``.
    A pseudo-locale is the source text in disguise, checked before the real
    languages print: it prints on the source language's paper (``source_lang``).
    """
    if lang in PSEUDO_LOCALES:
        lang = source_lang
    if overrides and lang in overrides:
        return overrides[lang]
    territory = likely_locale(lang).territory
    return "letter" if territory in LETTER_TERRITORIES else "A4"


PAGE_WIDTH_MM = {"A4": 210.0, "letter": 215.9}
COLUMN_MM = 160.0
"""Width of a brochure's text column, on every paper: 12.5 pt Latin body text (``print.css``)
sets about 70 characters a line in it, within the 60-75 that reads best; a wider page
gets wider margins, not longer lines."""
BINDING_MM = 4.0
"""How much wider the inner (binding) margin is than the outer one."""


def page_margins(paper: str) -> tuple[float, float]:
    """Inner and outer margins of a brochure's text pages, in mm, around :data:`COLUMN_MM`."""
    spare = PAGE_WIDTH_MM.get(paper, PAGE_WIDTH_MM["A4"]) - COLUMN_MM
    return (spare + BINDING_MM) / 2, (spare - BINDING_MM) / 2


def column_inches(paper: str) -> float:
    """Width of a brochure's text column, which a figure spans: the same on every paper."""
    return COLUMN_MM / 25.4


NARROW_NBSP = "\u202f"
_SPACE_BEFORE: Mapping[str, re.Pattern[str]] = {
    # French sets ; ! ? : (and the inside of « ») apart from the word with a thin space
    # that never breaks: a "?" alone at the start of a line reads as a stray mark.
    "fr": re.compile(r"[ \u00a0](?=[?!;:»])|(?<=«)[ \u00a0]"),
}


def unbreakable_punctuation_spaces(text: str, lang: str) -> str:
    """``text`` with the breakable spaces its language puts before ``? ! ; :`` made narrow
    no-break spaces (U+202F) where that language wants them (French), else unchanged."""
    rule = _SPACE_BEFORE.get(babel_locale(lang).language) if lang not in PSEUDO_LOCALES else None
    return rule.sub(NARROW_NBSP, text) if rule else text
