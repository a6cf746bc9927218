"""Reference-style links and images are links on every page, in source and translations.

CommonMark's ``[text][label]``, ``[label][]`` and ``[label]`` resolve against the
article's ``[label]: url "title"`` definitions wherever the text is: headings,
paragraphs, list items, table cells, and the translations of all of them.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from helpers import copy_project, run
from markdown_it import MarkdownIt
from PIL import Image

from pipeline.checks import CheckContext, Entry, check_links, check_markup
from pipeline.markdown import parse_article
from pipeline.translate import localize

FIXTURES = Path(__file__).parent / "fixtures" / "real"
HEAD = "---\ntitle: T\nslug: t\nlang: en\ndescription: D.\npublisher: P\nreferences: []\n---\n\n"
BODY = """\
# About [CommonMark][cm]

See [the spec][cm], [Foo][] and [foo] and ![the logo][img].

- an item with [a link][CM]

| name | where |
|------|-------|
| spec | [site][cm] |

[cm]: https://commonmark.org "CommonMark"
[Foo]: https://example.org/foo
[img]: https://example.org/logo.png
"""
PARAGRAPH = "See [the spec][cm], [Foo][] and [foo] and ![the logo][img]."


def page_html(body: str, translations: dict[tuple[str, str | None], str] | None = None) -> str:
    article = parse_article(HEAD + body, "source/t.md")
    localized = localize(article, "fr", translations or {}, source_lang="en")
    return "\n".join(str(localized.block_html(block)) for block in article.walk())


def targets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', html)


def test_reference_links_resolve_in_headings_paragraphs_items_and_cells() -> None:
    html = page_html(BODY)
    assert targets(html) == [
        "https://commonmark.org",
        "https://commonmark.org",
        "https://example.org/foo",
        "https://example.org/foo",
        "https://example.org/logo.png",
        "https://commonmark.org",
        "https://commonmark.org",
    ]
    assert "[" not in html
    assert 'title="CommonMark"' in html


def test_definitions_are_neither_refused_nor_published_as_text() -> None:
    article = parse_article(HEAD + BODY, "source/t.md")
    msgids = [unit.msgid for unit in article.units()]
    assert PARAGRAPH in msgids
    assert not any("]:" in msgid for msgid in msgids)
    assert [d.label for d in article.links] == ["CM", "FOO", "IMG"]


def test_a_translation_uses_the_same_labels_and_links_where_its_source_does() -> None:
    translated = "Voir [la norme][cm], [Foo][] et [foo] et ![le logo][img]."
    html = page_html(BODY, {(PARAGRAPH, None): translated})
    assert "Voir" in html
    assert targets(html)[1:6] == [
        "https://commonmark.org",
        "https://example.org/foo",
        "https://example.org/foo",
        "https://example.org/logo.png",
        "https://commonmark.org",
    ]


def test_a_translation_cannot_reach_a_target_its_source_does_not_link() -> None:
    body = "Read [the spec][cm].\n\n[cm]: https://commonmark.org\n[other]: https://evil.example/\n"
    html = page_html(body, {("Read [the spec][cm].", None): "Lisez [la norme][other]."})
    assert targets(html) == ["https://commonmark.org"]


def test_a_translation_that_breaks_a_reference_is_an_error_naming_the_link() -> None:
    article = parse_article(HEAD + BODY, "source/t.md")
    context = CheckContext.for_language("fr", coverage=None)
    entry = Entry(PARAGRAPH, "Voir [la norme][cm], [Toto][] et [foo] et ![le logo][img].",
                  links=article.links)  # fmt: skip
    assert check_links(entry, context)[0][1].startswith("links differ: missing link")
    assert check_markup(entry, context)[0][1].startswith("markup differs: missing markup link")
    good = Entry(PARAGRAPH, "Voir [la norme][cm], [Foo][] et [foo] et ![le logo][img].",
                 links=article.links)  # fmt: skip
    assert check_links(good, context) == [] and check_markup(good, context) == []


def test_a_real_readme_publishes_every_link_markdown_it_finds() -> None:
    body = (FIXTURES / "mdit-py-plugins-README.md").read_text(encoding="utf-8")
    expected = targets(MarkdownIt("commonmark").enable("table").render(body))
    assert len(expected) >= 10  # the fixture is link-rich: the comparison means something
    assert targets(page_html(body)) == expected


def test_a_built_page_links_through_reference_definitions(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", min_translated=0.0)
    for path in (root / "source").glob("*.md"):
        path.unlink()
    # Remote images are refused at build time: the definition names a file of the project.
    body = BODY.replace("https://example.org/logo.png", "logo.png")
    (root / "source" / "t.md").write_text(HEAD + body, encoding="utf-8")
    logo = io.BytesIO()
    Image.new("RGB", (40, 20), (0, 90, 140)).save(logo, format="PNG")
    (root / "source" / "logo.png").write_bytes(logo.getvalue())
    for step in (("extract",), ("update",), ("build",)):
        result = run(root, *step)
        assert result.returncode == 0, result.stderr
    pot = (root / "locale" / "t.pot").read_text(encoding="utf-8")
    assert "[the spec][cm]" in pot
    page = (root / "output").rglob("t*.html")
    html = "".join(p.read_text(encoding="utf-8") for p in page)
    assert html.count('href="https://commonmark.org"') >= 3
    digest = hashlib.sha256(logo.getvalue()).hexdigest()[:10]
    assert f'src="../images/logo.{digest}.png"' in html
    assert (root / "output" / "images" / f"logo.{digest}.png").read_bytes() == logo.getvalue()


def test_plain_text_of_a_reference_link_is_its_text() -> None:
    from pipeline.inline import plain_text

    article = parse_article(HEAD + BODY, "source/t.md")
    text = "About [CommonMark][cm] and [Foo]"
    assert plain_text(text, article.links) == "About CommonMark and Foo"


def test_the_catalog_check_reads_entries_with_the_articles_definitions() -> None:
    from babel.messages.catalog import Catalog

    from pipeline.checks import check_catalog

    article = parse_article(HEAD + BODY, "source/t.md")
    catalog = Catalog(locale="fr")
    catalog.add(PARAGRAPH, "Voir [la norme][cm], [Toto][] et [foo] et ![le logo][img].")
    findings = check_catalog(
        catalog, lang="fr", domain="t", path="locale/fr/LC_MESSAGES/t.po",
        context=CheckContext.for_language("fr", coverage=None), links=article.links,
    )  # fmt: skip
    assert {f.check for f in findings} >= {"links", "markup"}
