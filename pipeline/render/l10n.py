"""Locale data the renderers need, from CLDR through Babel.

Everything here is keyed by the BCP 47 tag a page is rendered in. The
pseudo-locales (``en-XA``, ``ar-XB``) carry English text, so they format
numbers and name languages as English does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from babel.dates import format_interval
from babel.units import format_unit

from pipeline.contact import OpeningHours
from pipeline.numbering import NUMBERING
from pipeline.numbering import babel_locale as babel_locale
from pipeline.numbering import likely_locale as likely_locale
from pipeline.numbering import native_digits as native_digits
from pipeline.numbering import numbering_system as numbering_system
from pipeline.pseudo import FORMAT_LOCALE, PSEUDO_LOCALES

# CLDR supplemental data, <paperSize type="US-Letter">: BZ CA CL CO CR GT MX NI PA PH PR SV US VE.
# Babel does not ship this table. DO is added: the Dominican Republic prints on Letter too.
LETTER_TERRITORIES = frozenset(
    {"BZ", "CA", "CL", "CO", "CR", "DO", "GT", "MX", "NI", "PA", "PH", "PR", "SV", "US", "VE"}
)


def counter_style(lang: str) -> str:
    """The CSS counter style for page numbers and list markers in ``lang``."""
    return NUMBERING.get(numbering_system(lang), ("decimal", 0))[0]


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


def format_hours(hours: Iterable[OpeningHours], lang: str) -> list[tuple[str, str]]:
    """Opening hours as ``lang`` writes them: ``("Monday – Friday", "9:00 AM – 6:00 PM")``,
    ``("الاثنين – الجمعة", "٩:٠٠ ص – ٦:٠٠ م")``: CLDR's day names, its interval pattern, its
    12- or 24-hour clock and the language's digits."""
    locale = babel_locale(lang)
    days = locale.days["stand-alone"]["wide"]
    pattern = str(locale.interval_formats.get(None) or "{0}\u2013{1}")
    clock = "hm" if "a" in str(locale.time_formats["short"].pattern) else "Hm"
    rows = []
    for row in hours:
        named = (
            str(days[row.first])
            if row.first == row.last
            else pattern.format(days[row.first], days[row.last])
        )
        times = format_interval(row.opens, row.closes, clock, locale=locale)
        rows.append((named, native_digits(times, lang)))
    return rows


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
