"""Do-not-translate names in another language's text are marked as the source language's."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from helpers import SLUG, copy_project, run

from pipeline.render.html import mark_terms

TERMS = ("MedTravellers", "PubMed", "PDF")
PAGE = (
    "<html><head><title>MedTravellers</title><style>.PDF { }</style></head><body>"
    '<p title="MedTravellers">عالجت MedTravellers مرضى، PubMedX، PDF.</p>'
    "<code>PDF</code><!-- MedTravellers --></body></html>"
)


def test_names_are_marked_in_text_only_and_the_text_is_unchanged() -> None:
    marked = mark_terms(PAGE, TERMS, "ar", "en")
    assert marked.count('<span lang="en" dir="ltr">') == 2
    assert '<span lang="en" dir="ltr">MedTravellers</span> مرضى' in marked
    assert '<span lang="en" dir="ltr">PDF</span>.' in marked
    assert "PubMedX" in marked  # a longer word is not the name
    assert "<title>MedTravellers</title>" in marked and 'title="MedTravellers"' in marked
    assert "<code>PDF</code>" in marked and "<!-- MedTravellers -->" in marked
    assert re.sub(r"<span[^>]*>|</span>", "", marked) == PAGE


def test_names_with_entities_match_as_written_and_entities_stay_whole() -> None:
    page = "<p>R&amp;D et AT&amp;T&nbsp;: nbsp</p>"
    marked = mark_terms(page, ("AT&T", "nbsp"), "fr", "en")
    assert '<span lang="en" dir="ltr">AT&amp;T</span>' in marked
    assert "&nbsp;" in marked and '<span lang="en" dir="ltr">nbsp</span></p>' in marked


def test_the_source_languages_own_pages_are_left_alone() -> None:
    assert mark_terms(PAGE, TERMS, "en", "en") == PAGE
    assert mark_terms(PAGE, (), "ar", "en") == PAGE


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("terms") / "project")
    done = run(root, "build", "--lang", "ar", "--lang", "fr")
    assert done.returncode == 0, done.stderr
    return root / "output"


def test_an_arabic_page_and_brochure_set_the_brand_as_english(built: Path) -> None:
    html = (built / "ar" / f"{SLUG}.html").read_text("utf-8")
    assert html.count('<span lang="en" dir="ltr">MedTravellers</span>') >= 5
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-stdout", str(built / "ar" / f"{SLUG}.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = {
        spec: int(size) for spec, size in re.findall(r'<fontspec id="(\d+)" size="(\d+)"', xml)
    }
    runs = [(sizes[spec], text) for spec, text in re.findall(r'font="(\d+)"[^>]*>([^<]*)<', xml)]
    arabic = Counter(size for size, text in runs if re.search("[\u0600-\u06ff]", text))
    body = arabic.most_common(1)[0][0]
    names = [size for size, text in runs if text.strip() == "MedTravellers"]
    # In the body the name is set at Latin size, not enlarged with the Arabic around it.
    assert body not in names
    assert sum(1 for size in names if abs(size - body / 1.25) <= 1) >= 3, (body, names)
