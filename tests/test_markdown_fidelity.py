"""Markdown is published as written, in the source, in translations and in the pseudo-locales.

Each test is a change the pipeline used to make without a word: a link, a list's spacing, an
image's title or alt text, a list's first number, a code block's language, a leading no-break
space lost or altered. Pages are compared with what markdown-it-py renders from the same text.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from pipeline.errors import SourceError
from pipeline.markdown import parse_article
from pipeline.render.html import render_page
from pipeline.render.site import make_site
from pipeline.translate import (
    LocalizedArticle,
    gettext_translations,
    localize,
    pseudo_localize,
    translate,
)

HEAD = "---\ntitle: T\nslug: t\nlang: en\ndescription: D.\npublisher: P\nreferences: []\n---\n\n"
BODY_LINE = HEAD.count("\n") + 1
PSEUDO = ("en-XA", "ar-XB")
UI = gettext_translations(None)


def body(localized: LocalizedArticle) -> str:
    """The article body of the page, as rendered for the site."""
    site = make_site([localized], site_url="", source_lang="en")
    page = render_page(localized, site, UI).decode("utf-8")
    return page.split('<div class="article-body">\n', 1)[1].split("\n</div>\n</article>", 1)[0]


def pages(markdown: str, translations: dict[str, str] | None = None) -> dict[str, str]:
    """Article body by language: the source (en), fr (``translations``: msgid -> msgstr, else
    every msgstr its msgid) and the pseudo-locales."""
    article = parse_article(HEAD + markdown, "source/t.md")
    units = {unit.msgid: unit.key for unit in article.units()}
    strings = translations if translations is not None else {msgid: msgid for msgid in units}
    fr = localize(article, "fr", {units[k]: v for k, v in strings.items()}, source_lang="en")
    result = {"en": body(translate(article, None, "en", source_lang="en")), "fr": body(fr)}
    for lang in PSEUDO:
        result[lang] = body(pseudo_localize(article, lang, source_lang="en"))
    return result


def compact(html: str) -> str:
    """HTML without the line breaks between tags, ``lang``/``dir`` and XHTML's `` />``."""
    html = re.sub(r' (?:lang|dir)="[^"]*"', "", html).replace(" />", ">")
    return re.sub(r">\s+<", "><", html).strip()


def markdown_it(markdown: str) -> str:
    return compact(MarkdownIt("commonmark").render(markdown))


def test_email_autolinks_stay_links_in_the_pseudo_locales() -> None:
    shown = pages("Write to <a@b.example> today.\n")
    for lang in ("en", "fr", *PSEUDO):
        assert '<a href="mailto:a@b.example">a@b.example</a>' in shown[lang], lang


def test_a_link_with_an_empty_target_stays_a_link_in_every_translation() -> None:
    source = "See [the form]() here.\n"
    for translation in (None, {"See [the form]() here.": "Voir [le formulaire]() ici."}):
        shown = pages(source, translation)
        for lang, html in shown.items():
            assert compact(html).count('<a href="">') == 1, (lang, html)
    assert '<a href="">le formulaire</a>' in shown["fr"]


@pytest.mark.parametrize(
    "markdown",
    [
        "- one\n\n- two\n",  # loose: each item a paragraph
        "- one\n- two\n",  # tight
        "- one\n- two\n\n  more of two\n- three\n",  # loose because of one item
        "1. one\n   - nested\n2. two\n",  # tight, with a list inside an item
        "- one\n\n  > quoted\n- two\n",  # loose, with a quote inside an item
    ],
)
def test_lists_keep_their_spacing_loose_or_tight(markdown: str) -> None:
    expected = markdown_it(markdown)
    for lang, html in pages(markdown).items():
        if lang == "en" or lang == "fr":
            assert compact(html) == expected, lang
        else:
            assert re.sub(r">[^<]+<", "><", compact(html)) == re.sub(r">[^<]+<", "><", expected)


def test_an_image_alone_in_a_paragraph_keeps_its_title() -> None:
    """The title is also the figure's caption, a unit of its own: translated and pseudo-
    localized like any text."""
    source = '![A scan](scan.png "The scan, day 3")\n'
    html = pages(source)["en"]
    assert '<img src="scan.png" alt="A scan" title="The scan, day 3">' in html
    assert "<figcaption>The scan, day 3</figcaption>" in html
    for lang, html in pages(source).items():
        assert re.search(r'<img src="scan.png" alt="[^"]+" title="[^"]+"[^>]*>', html), lang
        assert re.search(r"<figcaption[^>]*>[^<]+</figcaption>", html), lang
    fallback = pages(source)["fr"]  # untranslated: caption and image both marked English
    assert '<figcaption lang="en" dir="ltr">The scan, day 3</figcaption>' in fallback
    translations = {"A scan": "Une image", "Day 3": "Jour 3"}
    translated = pages('![A scan](scan.png "Day 3")\n', translations)["fr"]
    assert '<img src="scan.png" alt="Une image" title="Jour 3">' in translated
    assert "<figcaption>Jour 3</figcaption>" in translated


def test_an_image_alone_shows_its_alt_text_without_markup() -> None:
    """An alt text with no word to translate was shown as written, asterisks and backticks."""
    for lang, html in pages("![*1* `2`](x.png)\n").items():
        assert '<img src="x.png" alt="1 2"' in html, lang


def test_an_ordered_list_starting_at_zero_starts_at_zero() -> None:
    for lang, html in pages("0. zero\n1. one\n").items():
        assert html.startswith('<ol start="0"'), lang
    assert pages("1. one\n")["en"].startswith("<ol>\n")


@pytest.mark.parametrize(
    ("fence", "language"),
    [("```f\\*o", "f*o"), ("``` f&ouml;&ouml; x", "föö"), ("~~~ python  ", "python")],
)
def test_a_fence_language_is_read_as_markdown_it_reads_it(fence: str, language: str) -> None:
    markdown = f"{fence}\nprint(1)\n{fence[:3]}\n"
    assert f'class="language-{language}"' in markdown_it(markdown)
    for lang, html in pages(markdown).items():
        assert f'<code class="language-{language}">print(1)\n</code>' in html, lang


# --- found by the CommonMark examples (tests/test_commonmark.py) ----------------------------


def test_a_leading_no_break_space_is_kept() -> None:
    """Example 25: the paragraph's text starts with &nbsp;, which str.strip() took."""
    assert pages("&nbsp;&amp; more\n")["en"] == "<p>\u00a0&amp; more</p>"


def test_pseudo_locales_keep_reference_links_and_inline_html() -> None:
    """Examples 23, 192-218, 527-571: the pseudo-locales rewrote labels, so links were lost."""
    markdown = "See [foo], [Bar][] and [the site][foo] on H<sub>2</sub>O.\n\n"
    markdown += "[foo]: /u\n[bar]: /v\n"
    for lang, html in pages(markdown).items():
        assert re.findall(r'href="([^"]*)"', html) == ["/u", "/v", "/u"], lang
        assert "<sub>2</sub>" in html and "[" not in html, lang


def test_an_empty_list_item_is_published_not_refused() -> None:
    """Example 283: the line "2." alone was taken for text the parser could not read."""
    markdown = "1. foo\n2.\n3. bar\n"
    assert compact(pages(markdown)["en"]) == markdown_it(markdown)


def test_a_link_label_defined_twice_is_refused_at_the_second_definition() -> None:
    """Examples 204, 544: the second target was dropped without a word."""
    with pytest.raises(SourceError) as error:
        parse_article(HEAD + "[foo]\n\n[foo]: /one\n[Foo]: /two\n", "source/t.md")
    assert str(error.value).startswith(
        f"source/t.md:{BODY_LINE + 3}: this link label is already defined at line {BODY_LINE + 2}"
    )


def test_the_first_html_of_the_file_is_the_one_reported() -> None:
    """Example 148: a block of HTML was reported after the inline tags that follow it."""
    with pytest.raises(SourceError) as error:
        parse_article(HEAD + "<table><tr><td>\n<pre>\n**Hi**\n\n_x_.\n</pre>\n", "source/t.md")
    assert str(error.value).startswith(f"source/t.md:{BODY_LINE}: raw HTML is not published")
