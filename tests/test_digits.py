"""Each language's digits, one definition (``pipeline/numbering.py``) for the page numbers,
lists, dates and hours the renderers write and for the ``digits`` check of translations."""

from __future__ import annotations

from datetime import date

import pytest
from babel.messages.catalog import Catalog

from pipeline.checks import CheckContext, check_catalog
from pipeline.numbering import digit_systems, native_digits, numbering_system
from pipeline.render.html import article_view


@pytest.mark.parametrize(
    ("lang", "system", "digits"),
    [
        ("ar", "arab", "٠١٢٣٤٥٦٧٨٩"),
        ("fa", "arabext", "۰۱۲۳۴۵۶۷۸۹"),
        ("bn", "beng", "০১২৩৪৫৬৭৮৯"),
        ("fr", "latn", "0123456789"),
        ("ru", "latn", "0123456789"),
        ("ar-XB", "latn", "0123456789"),
    ],
)
def test_each_language_writes_the_digits_of_its_readers(
    lang: str, system: str, digits: str
) -> None:
    assert numbering_system(lang) == system
    assert native_digits("0123456789", lang) == digits
    assert digit_systems(digits) == {system}


def digit_findings(lang: str, msgstr: str, flags: tuple[str, ...] = ()) -> list[str]:
    catalog = Catalog(locale=lang.replace("-", "_"))
    catalog.add("80% of 5,000 patients improved.", msgstr, flags=list(flags))
    context = CheckContext.for_language(lang, coverage=None, do_not_translate=["PubMed"])
    found = check_catalog(catalog, lang=lang, domain="d", path="d.po", context=context)
    return [f.message for f in found if f.check == "digits"]


@pytest.mark.parametrize(
    ("lang", "msgstr", "warned"),
    [
        ("ar", "تحسّن ٨٠٪ من ٥٬٠٠٠ مريض.", False),
        ("ar", "تحسّن 80% من 5,000 مريض.", True),
        ("ar", "تحسّن ٨٠٪ من ٥٬٠٠٠ مريض (فيتامين B12، COVID-19، PubMed).", False),
        ("fa", "۸۰٪ از ۵٬۰۰۰ بیمار بهبود یافتند.", False),
        ("fa", "٨٠٪ از ٥٬٠٠٠ بیمار بهبود یافتند.", True),  # Arabic, not Persian, digits
        ("fr", "80 % des 5 000 patients vont mieux.", False),
        ("fr", "٨٠ % des ٥ ٠٠٠ patients vont mieux.", True),
    ],
)
def test_digits_of_another_script_are_warned_about(lang: str, msgstr: str, warned: bool) -> None:
    messages = digit_findings(lang, msgstr)
    assert bool(messages) is warned, messages
    if warned:
        assert native_digits("0123456789", lang) in messages[0]


def test_the_warning_can_be_silenced_on_one_entry() -> None:
    assert digit_findings("ar", "تحسّن 80% من 5,000 مريض.", ("ignore-digits",)) == []


def test_dates_are_written_in_the_languages_digits(sample_localized: object) -> None:
    localized, _ = sample_localized["ar"]  # type: ignore[index]
    view = article_view(localized)
    assert view.date(date(2026, 11, 2)) == "٢ نوفمبر ٢٠٢٦"
    bengali, _ = sample_localized["bn"]  # type: ignore[index]
    assert article_view(bengali).date(date(2026, 11, 2)) == "২ নভেম্বর, ২০২৬"
    english, _ = sample_localized["en"]  # type: ignore[index]
    assert article_view(english).date(date(2026, 11, 2)) == "November 2, 2026"
