"""Article + catalog -> localized text, fallbacks, pseudo-locales and language names."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from babel.messages.catalog import Catalog
from helpers import REAL_ARTICLE

from pipeline.article import Article
from pipeline.catalog import article_template, init_catalog
from pipeline.inline import inline_structure, inline_tokens, link_targets
from pipeline.markdown import parse_article
from pipeline.pseudo import PSEUDO_LOCALES, pseudo_accented, pseudo_bidi
from pipeline.translate import (
    display_name,
    pseudo_localize,
    text_direction,
    translate,
    usable_translations,
)

Transform = Callable[[str], str]

ARTICLE = """\
---
title: Stem cells and stroke
slug: demo
lang: en
---

See [the study](https://good.example/study) first.

A fuzzy sentence here.

An untranslated sentence here.

<!-- msgctxt: button -->
Continue
"""


@pytest.fixture(scope="module")
def article() -> Article:
    return parse_article(ARTICLE, "source/demo.md")


@pytest.fixture(scope="module")
def real_article() -> Article:
    return parse_article(REAL_ARTICLE.read_text(encoding="utf-8"), "source/real.md")


@pytest.fixture
def catalog(article: Article) -> Catalog:
    catalog = init_catalog(article_template(article), "fr")
    strings = {
        ("Stem cells and stroke", None): "Cellules souches et AVC",
        ("See [the study](https://good.example/study) first.", None): (
            "Voir d'abord [l'étude](https://evil.example/)."
        ),
        ("A fuzzy sentence here.", None): "Une phrase floue ici.",
        ("Continue", "button"): "Continuer",
    }
    for message in catalog:
        key = (message.id, message.context)
        if key in strings:
            message.string = strings[key]
    fuzzy = catalog.get("A fuzzy sentence here.")
    assert fuzzy is not None
    fuzzy.flags.add("fuzzy")
    return catalog


def test_translate_uses_msgstr_and_falls_back(article: Article, catalog: Catalog) -> None:
    localized = translate(article, catalog, "fr", source_lang="en")
    texts = localized.texts
    title = texts[("Stem cells and stroke", None)]
    assert (title.plain, title.lang, title.fallback) == ("Cellules souches et AVC", "fr", False)
    assert localized.title == title

    link = texts[("See [the study](https://good.example/study) first.", None)]
    assert (link.lang, link.fallback) == ("fr", False)
    assert str(link.html) == "Voir d'abord <a href=\"https://good.example/study\">l'étude</a>."

    for msgid in ("A fuzzy sentence here.", "An untranslated sentence here."):
        text = texts[(msgid, None)]
        assert (str(text.html), text.plain, text.lang, text.fallback) == (msgid, msgid, "en", True)

    assert texts[("Continue", "button")].plain == "Continuer"
    assert localized.fallback_count == 2
    assert not localized.complete
    assert localized.direction == "ltr"
    assert localized.lang == "fr" and localized.source_lang == "en"


def test_block_lang_marks_fallback_blocks(article: Article, catalog: Catalog) -> None:
    localized = translate(article, catalog, "fr", source_lang="en")
    langs = {b.unit.msgid: localized.block_lang(b) for b in article.walk() if b.unit is not None}
    assert langs == {
        "See [the study](https://good.example/study) first.": None,
        "A fuzzy sentence here.": "en",
        "An untranslated sentence here.": "en",
        "Continue": None,
    }


def test_an_emptied_translation_falls_back(article: Article, catalog: Catalog) -> None:
    key = ("Stem cells and stroke", None)
    catalog[key[0]].string = ""
    localized = translate(article, catalog, "fr", source_lang="en")
    assert (localized.title.plain, localized.title.lang, localized.title.fallback) == (
        "Stem cells and stroke",
        "en",
        True,
    )
    assert localized.texts[("Continue", "button")].fallback is False
    assert key not in usable_translations(catalog)
    assert ("A fuzzy sentence here.", None) not in usable_translations(catalog)


def test_no_catalog_is_all_source(article: Article) -> None:
    localized = translate(article, None, "fr", source_lang="en")
    assert localized.fallback_count == len(localized.texts) == 5
    source = translate(article, None, "en", source_lang="en")
    assert source.fallback_count == 0 and source.complete


# --- pseudo-locales -------------------------------------------------------------------------

TRICKY = [
    "Use `pip install x` then **run** it.",
    'See [the docs](https://example.org/docs "Docs title") for *more*.',
    "Hello %(name)s, you have %d items and {count} left.",
    "Call 555-1234 before 10:30: 5,000+ patients from 40+ countries, 80% improved.",
    "An <https://example.org/auto> autolink and https://example.org/bare too.",
    "Line one  \nline two\\\nline three",
    'Image ![alt text](img/a.png "Title") inline.',
    "An &amp; entity and \\*escaped\\* stars.",
    "[**bold link**](https://x.example/a_b) and [ref](https://y.example/path)",
    "~~struck~~ text and _under_ and __strong__",
    "**Dead neurons don’t regenerate:** When blood supply is cut off.",
]
TRANSFORMS = [pseudo_accented, pseudo_bidi]


def code_spans(text: str) -> list[str]:
    return [t.content for t in inline_tokens(text) if t.type == "code_inline"]


def placeholders(text: str) -> list[str]:
    return re.findall(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}", text)


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda f: f.__name__)
def test_pseudo_keeps_markup_of_every_real_unit(
    real_article: Article, transform: Transform
) -> None:
    units = list(real_article.units())
    assert len(units) > 30
    for unit in units:
        pseudo = transform(unit.msgid)
        assert inline_structure(pseudo) == inline_structure(unit.msgid), unit.msgid
        assert link_targets(pseudo) == link_targets(unit.msgid), unit.msgid
        assert re.findall(r"\d", pseudo) == re.findall(r"\d", unit.msgid), unit.msgid
        assert pseudo != unit.msgid


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("text", TRICKY)
def test_pseudo_keeps_markup_of_tricky_strings(text: str, transform: Transform) -> None:
    pseudo = transform(text)
    assert inline_structure(pseudo) == inline_structure(text)
    assert link_targets(pseudo) == link_targets(text)
    assert code_spans(pseudo) == code_spans(text)
    assert placeholders(pseudo) == placeholders(text)
    assert re.findall(r"\d+", pseudo) == re.findall(r"\d+", text)
    for url in re.findall(r"https?://[^\s)>\"]+", text):
        assert url in pseudo


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda f: f.__name__)
def test_pseudo_keeps_double_backtick_code_span(transform: Transform) -> None:
    text = "Type ``say `hello` now`` to start."
    assert code_spans(transform(text)) == code_spans(text) == ["say `hello` now"]


def test_en_xa_is_longer_and_bracketed(real_article: Article) -> None:
    prose = [u.msgid for u in real_article.units()] + ["FAQ", "Yes", "Stroke recovery"]
    for text in prose + TRICKY:
        pseudo = pseudo_accented(text)
        assert pseudo.startswith("⟦") and pseudo.endswith("⟧"), text
        if text in prose:
            # Padding is 40% of the letters; digits, URLs and markup are not padded.
            assert len(pseudo) >= 1.3 * len(text), text
    plain = pseudo_accented("Stroke recovery")
    assert plain.startswith("⟦Šţŕöķé ŕéçöṽéŕý ")
    assert not re.search(r"[A-Za-z]", plain)


def test_ar_xb_forces_words_right_to_left() -> None:
    pseudo = pseudo_bidi("Stroke recovery")
    assert pseudo == "\u200f\u202eStroke\u202c\u200f \u200f\u202erecovery\u202c\u200f"


def test_pseudo_localize_article(real_article: Article) -> None:
    for lang, direction in (("en-XA", "ltr"), ("ar-XB", "rtl")):
        localized = pseudo_localize(real_article, lang, source_lang="en")
        assert localized.direction == direction
        assert localized.complete
        assert localized.title.lang == lang
        for unit in real_article.units():
            html = str(localized.text(unit).html)
            for target in link_targets(unit.msgid):
                assert f'href="{target}"' in html


# --- languages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "name"),
    [
        ("ar", "العربية"),
        ("bn", "বাংলা"),
        ("ru", "Русский"),
        ("fr", "Français"),
        ("fa", "فارسی"),
        ("pt-BR", "Português (Brasil)"),
        ("en-XA", "Pseudo (accented)"),
        ("ar-XB", "Pseudo (bidi)"),
    ],
)
def test_display_name(lang: str, name: str) -> None:
    assert display_name(lang) == name


@pytest.mark.parametrize(
    ("lang", "direction"),
    [
        ("ar", "rtl"),
        ("fa", "rtl"),
        ("he", "rtl"),
        ("ur", "rtl"),
        ("bn", "ltr"),
        ("ru", "ltr"),
        ("fr", "ltr"),
        ("en", "ltr"),
        ("pt-BR", "ltr"),
        ("en-XA", "ltr"),
        ("ar-XB", "rtl"),
    ],
)
def test_text_direction(lang: str, direction: str) -> None:
    assert text_direction(lang) == direction


def test_pseudo_locales_listed() -> None:
    assert tuple(PSEUDO_LOCALES) == ("en-XA", "ar-XB")


@pytest.mark.parametrize("transform", [pseudo_accented, pseudo_bidi])
def test_pseudo_keeps_do_not_translate_terms(transform: Callable[..., str]) -> None:
    keep = ("MedTravellers", "New Delhi", "PDF")
    text = "MedTravellers in New Delhi: download the PDF"
    result = transform(text, keep)
    for term in keep:
        assert term in result
    assert "download the" not in result  # everything else is still pseudo-translated
    assert "New Delhi" not in transform(text)  # and the terms too, when nothing is kept
