"""Shared fixtures: the project's real article, small synthetic catalogs built in memory,
and one headless Chromium for the whole session.

The catalogs under ``locale/`` belong to translators and change while tests
run; tests build their own partial catalogs instead, so that they know
exactly which units are translated and which fall back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.support import Translations
from helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    CatalogFactory,
    SampleLocalized,
    SampleStrings,
    published_images,
)

from pipeline.article import Article
from pipeline.inline import inline_tokens
from pipeline.project import Config, load_config
from pipeline.translate import LocalizedArticle, gettext_translations, translate
from pipeline.workspace import load_articles


@pytest.fixture(autouse=True)
def _fresh_inline_parses() -> None:
    """Each test parses its own texts: a parse cached by an earlier test (or by the
    unmutated code, under ``make mutation``) must not answer for the code under test."""
    inline_tokens.cache_clear()


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(ROOT)


@pytest.fixture(scope="session")
def article(config: Config) -> Article:
    """The first source article of the project."""
    return load_articles(config)[0]


@pytest.fixture(scope="session")
def make_catalog() -> CatalogFactory:
    """Build a catalog for ``lang`` from msgid -> msgstr (everything else untranslated)."""

    def make(lang: str, strings: Mapping[str, str]) -> Catalog:
        catalog = Catalog(locale=lang.replace("-", "_"))
        for msgid, msgstr in strings.items():
            catalog.add(msgid, msgstr)
        return catalog

    return make


@pytest.fixture(scope="session")
def sample_strings(article: Article) -> SampleStrings:
    """Per language: (article msgid -> msgstr, ui msgid -> msgstr), a partial translation."""
    meta = article.meta
    paragraphs = [b for b in article.walk() if b.kind == "paragraph" and b.unit is not None]
    headings = [b for b in article.walk() if b.kind == "heading" and b.unit is not None]
    specialist = next(p for p in paragraphs if p.text.startswith("According to a specialist"))
    first_heading = headings[0]
    assert meta.description_unit is not None and first_heading.unit is not None
    assert specialist.unit is not None
    arabic = {
        meta.title_unit.msgid: "هل يمكن للخلايا الجذعية أن تساعد مرضى التعافي من السكتة الدماغية؟",
        meta.description_unit.msgid: (
            "كيف يعمل العلاج بالخلايا الجذعية على حدود إعادة التأهيل التقليدية بعد السكتة "
            "الدماغية، وما الذي يرويه الناجون بعد العلاج، ومن قد يكون مرشحًا له."
        ),
        first_heading.unit.msgid: (
            "لماذا يتوقف التعافي من السكتة الدماغية عند حدٍّ ما، ولماذا يصل إليه كل مريض تقريبًا؟"
        ),
        specialist.unit.msgid: "بحسب أخصائي في MedTravellers، مركز الطب التجديدي في New Delhi.",
        meta.references[0].unit.msgid: (
            "المكتبة الوطنية الأمريكية للطب (PubMed) – العلاج بالخلايا الجذعية للتعافي من "
            "السكتة الدماغية الإقفارية"
        ),
    }
    arabic_ui = {
        "Contents": "المحتويات",
        "References": "المراجع",
        "Page %(page)s of %(pages)s": "صفحة %(page)s من %(pages)s",
        "Medical disclaimer": "إخلاء المسؤولية الطبية",
        "Other languages": "لغات أخرى",
        "Download the brochure": "تنزيل الكتيّب",
        "Scan to read this brochure online": "امسح الرمز لقراءة هذا الكتيّب على الإنترنت",
        "Parts of this page are not yet translated and are shown in %(language)s.": (
            "بعض أجزاء هذه الصفحة لم تُترجم بعد وتظهر باللغة %(language)s."
        ),
        "Parts of this brochure are not yet translated and are shown in %(language)s.": (
            "بعض أجزاء هذا الكتيّب لم تُترجم بعد وتظهر باللغة %(language)s."
        ),
    }
    bengali = {
        meta.title_unit.msgid: "স্ট্রোক থেকে সেরে উঠতে স্টেম সেল কি সাহায্য করতে পারে",
        specialist.unit.msgid: (
            "নয়াদিল্লির রিজেনারেটিভ মেডিসিন সেন্টার MedTravellers-এর একজন বিশেষজ্ঞের মতে।"
        ),
    }
    bengali_ui = {"Contents": "সূচিপত্র", "Page %(page)s of %(pages)s": "পৃষ্ঠা %(page)s / %(pages)s"}
    return {"ar": (arabic, arabic_ui), "bn": (bengali, bengali_ui)}


@pytest.fixture(scope="session")
def sample_localized(
    article: Article, make_catalog: CatalogFactory, sample_strings: SampleStrings
) -> SampleLocalized:
    """en, and ar and bn partly translated from ``sample_strings``: (article, ui translations)."""
    localized: dict[str, tuple[LocalizedArticle, Translations]] = {
        "en": (
            translate(
                article, None, "en", source_lang="en", images=published_images(article, "en")
            ),
            gettext_translations(None),
        )
    }
    for lang, (article_strings, ui_strings) in sample_strings.items():
        catalog = make_catalog(lang, article_strings)
        images = published_images(article, lang)
        localized[lang] = (
            translate(article, catalog, lang, source_lang="en", images=images),
            gettext_translations(make_catalog(lang, ui_strings)),
        )
    return localized


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Chromium (a Playwright ``Browser``), launched once for the session."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed: the pages cannot be checked in a browser")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
