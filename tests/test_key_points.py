"""Key points and the early medical disclaimer: what a reader meets before the article.

``key_points:`` in the front matter is a list of short texts, each a unit translators see
as ``#. key point``; the page and the brochure show them in a box before the article,
with the medical disclaimer right after it (it also closes both).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from helpers import FR_PO, SLUG, CatalogFactory, copy_project, edit_po, run

from pipeline.catalog import article_template
from pipeline.errors import SourceError
from pipeline.markdown import parse_article
from pipeline.project import Config
from pipeline.render.pdf import render_print_html
from pipeline.render.site import make_site
from pipeline.translate import gettext_translations, translate

DISCLAIMER = "This information is for education only and does not replace advice from your doctor."
DISCLAIMER_FR = "Ces informations sont fournies à titre éducatif uniquement"

ARTICLE = """---
title: A title
slug: points
lang: en
description: A description.
key_points:
  - The first **point**.
  - >-
    The second point,
    on two lines.
references:
  - title: A study
    url: https://pubmed.ncbi.nlm.nih.gov/30257067/
---

A paragraph.
"""


def test_key_points_are_units_read_after_the_description() -> None:
    article = parse_article(ARTICLE, "source/points.md")
    points = article.meta.key_points
    assert [(p.msgid, p.comment, p.line) for p in points] == [
        ("The first **point**.", "key point", 7),
        ("The second point, on two lines.", "key point", 8),
    ]
    assert [u.msgid for u in article.units()] == [
        "A title",
        "A description.",
        "The first **point**.",
        "The second point, on two lines.",
        "A paragraph.",
        "A study",
    ]
    assert not any(p.critical for p in points)


def test_translators_get_each_key_point_as_an_entry() -> None:
    template = article_template(parse_article(ARTICLE, "source/points.md"))
    entries = {m.id: (m.auto_comments, m.locations) for m in template if m.id}
    assert entries["The first **point**."] == (["key point"], [("source/points.md", 7)])


@pytest.mark.parametrize(
    ("field", "line", "message"),
    [
        ("key_points: one text", 5, "'key_points' must be a list of short texts"),
        ("key_points: []", 5, "'key_points' must be a list of short texts"),
        ("key_points:\n  - fine\n  - ''", 7, "a key point must be non-empty text"),
        ("key_points:\n  - fine\n  - [a, list]", 7, "a key point must be non-empty text"),
        ("key_points:\n  - '![x](images/a.png)'", 6, "an image in the key point is not"),
    ],
)
def test_key_points_that_cannot_be_shown_are_refused_at_their_line(
    field: str, line: int, message: str
) -> None:
    text = f"---\ntitle: T\nslug: s\nlang: en\n{field}\n---\n\nText.\n"
    with pytest.raises(SourceError) as caught:
        parse_article(text, "source/s.md")
    assert caught.value.line == line
    assert message in caught.value.message


def test_an_untranslated_key_point_is_marked_with_its_language(
    make_catalog: CatalogFactory, config: Config
) -> None:
    article = parse_article(ARTICLE, "source/points.md")
    catalog = make_catalog("ar", {"The first **point**.": "النقطة **الأولى**."})
    arabic = translate(article, catalog, "ar", source_lang="en")
    site = make_site([arabic], site_url=config.site_url, source_lang="en")
    document = render_print_html(arabic, site, gettext_translations(None))
    assert "<li>النقطة <strong>الأولى</strong>.</li>" in document
    assert '<li lang="en" dir="ltr">The second point, on two lines.</li>' in document


# --- the project's own article, built -------------------------------------------------------


KEY_POINTS = {
    "Stem cell therapy may help some stroke survivors regain movement, speech and thinking "
    "after rehabilitation has stopped helping.": (
        "La thérapie par cellules souches peut aider certains survivants d’un AVC à retrouver "
        "des capacités de mouvement, de parole et de réflexion lorsque la rééducation ne leur "
        "permet plus de progresser."
    ),
    "It does not fully reverse stroke damage, and results vary from patient to patient.": (
        "Elle ne répare pas complètement les lésions causées par l’AVC, et les résultats "
        "varient d’un patient à l’autre."
    ),
}


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with key points in its article, translated into French, built."""
    root = copy_project(tmp_path_factory.mktemp("points") / "project")
    source = root / "source" / f"{SLUG}.md"
    points = "".join(f"  - {point}\n" for point in KEY_POINTS)
    text = source.read_text("utf-8").replace("\nreferences:", f"\nkey_points:\n{points}references:")
    source.write_text(text, "utf-8")
    assert run(root, "update", "--lang", "fr").returncode == 0

    def translate_point(entry: polib.POEntry) -> None:
        if entry.msgid in KEY_POINTS:
            entry.msgstr = KEY_POINTS[entry.msgid]
            entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]

    edit_po(root / FR_PO, translate_point)
    done = run(root, "build", "--lang", "en", "--lang", "fr")
    assert done.returncode == 0, done.stderr
    assert "not published:" not in done.stdout
    return root / "output"


def pdf_pages(pdf: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f")]


def test_the_brochure_opens_with_key_points_then_the_disclaimer(output: Path) -> None:
    """Key points on the cover, under the title; the disclaimer opens the article."""
    pages = pdf_pages(output / "en" / f"{SLUG}.pdf")
    cover = pages[0]
    order = [
        cover.index("Can Stem Cells Help"),
        cover.index("Key points"),
        *(cover.index(point[:40]) for point in KEY_POINTS),
    ]
    assert order == sorted(order)
    assert all("Key points" not in page for page in pages[1:])
    first_body = next(i for i, page in enumerate(pages) if "Yes – stem cell therapy" in page)
    assert first_body == 1  # after the cover, under the contents
    opening = pages[first_body]
    assert opening.index(DISCLAIMER) < opening.index("Yes – stem cell therapy shows real")
    assert sum(page.count(DISCLAIMER) for page in pages) == 2
    assert DISCLAIMER in [page for page in pages if page][-1]  # it closes it, on the back page


def test_a_translated_brochure_shows_its_own_key_points(output: Path) -> None:
    pages = pdf_pages(output / "fr" / f"{SLUG}.pdf")
    cover = pages[0]
    assert "Points clés" in cover
    for point in KEY_POINTS.values():
        assert point[:50] in cover
    assert DISCLAIMER_FR in pages[1]


def test_the_page_shows_key_points_and_the_disclaimer_before_the_article(output: Path) -> None:
    html = (output / "fr" / f"{SLUG}.html").read_text("utf-8")
    key_points = html.index('<section class="key-points"')
    note = html.index('<div class="disclaimer-note" role="note">')
    body = html.index('<div class="article-body">')
    assert key_points < note < body
    assert re.search(r'<h2 id="key-points-title">Points clés</h2>', html)
    assert html.count(DISCLAIMER_FR) == 2  # before the article and in the footer
