"""Who answers for an article and when it was checked, on its page and brochure, in each
language's own date format; a build says when the article is due for its medical review."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from helpers import SLUG, copy_project, run, with_front_matter

from pipeline.errors import SourceError
from pipeline.markdown import parse_article

FIELDS = (
    "published: 2026-11-02\nreviewed: 2026-11-20\nnext_review: 2027-11-20\nversion: '1.2'\n"
    "author: Test Author\nmedical_reviewer: Dr Test Reviewer\n"
)


def pdf_text(path: Path) -> str:
    """The brochure's text, without the directional marks poppler adds around runs."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(re.sub("[\u202a-\u202e\u2066-\u2069]", "", out.stdout).split())


def test_names_dates_and_version_in_each_language(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    with_front_matter(root, FIELDS)
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    expected = {
        "en": ["Written by Test Author.", "Medically reviewed by Dr Test Reviewer.",
               "Published on November 2, 2026.",
               "Last reviewed on November 20, 2026. Next review due by November 20, 2027.",
               "Version 1.2."],
        "fr": ["Rédigé par Test Author.", "Relecture médicale\u202f: Dr Test Reviewer.",
               "Publié le 2 novembre 2026.",
               "Dernière révision le 20 novembre 2026. Prochaine révision au plus tard le "
               "20 novembre 2027.", "Version 1.2."],
        "ru": ["Автор: Test Author.", "Опубликовано 2 ноября 2026\u202fг.",
               "Перевод: Anna Volkova, 25 ноября 2026\u202fг."],
        "ar": ["ترجمة: Layla Haddad في ٢٥ نوفمبر ٢٠٢٦."],
        "fa": ["ترجمه: Dariush Karimi در ۲۵ نوامبر ۲۰۲۶."],
        "bn": ["অনুবাদ: Nusrat Jahan, ২৫ নভেম্বর, ২০২৬।"],
    }  # fmt: skip
    expected["fr"].append("Traduit par Claire Morel le 25 novembre 2026.")
    for lang, lines in expected.items():
        page = (root / "output" / lang / f"{SLUG}.html").read_text("utf-8")
        text = page.replace("<bdi>", "").replace("</bdi>", "")
        brochure = pdf_text(root / "output" / lang / f"{SLUG}.pdf").replace("\u202f", " ")
        for line in lines:
            assert line in text, (lang, line)
            if lang in ("ar", "fa"):
                # poppler reorders the spaces and the colon around Latin names and
                # Arabic-Indic numbers by its own bidi reading: compared without them.
                bare = re.sub(r"[\s.:\u060c]", "", brochure)
                for part in re.findall(
                    r"[A-Z][a-z]+ [A-Z][a-z]+|[\u0660-\u06f9]+ \S+ [\u0660-\u06f9]+", line
                ):
                    assert re.sub(r"\s", "", part) in bare, (lang, part)
                continue
            assert " ".join(line.replace("\u202f", " ").split()) in brochure, (lang, line)
    # Every language prints the three dates in its own format and digits, and the version.
    zero = {"ar": 0x0660, "fa": 0x06F0, "bn": 0x09E6}
    for lang in ("en", "fr", "ru", "ar", "fa", "bn"):
        digits = {ord("0") + n: chr(zero.get(lang, ord("0")) + n) for n in range(10)}
        page = (root / "output" / lang / f"{SLUG}.html").read_text("utf-8")
        bare = re.sub(r"[\s.:\u060c]", "", pdf_text(root / "output" / lang / f"{SLUG}.pdf"))
        for day in (date(2026, 11, 2), date(2026, 11, 20), date(2027, 11, 20)):
            shown = format_date(day, "long", locale=lang).translate(digits)
            assert shown in page, (lang, shown)
            assert re.sub(r"[\s.:\u060c]", "", shown) in bare, (lang, shown)
        assert "1.2" in page and "12" in bare, lang
    assert "is past" not in result.stderr  # next review in 2027: no warning


def test_a_past_review_date_is_said_by_the_build(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    with_front_matter(root, "reviewed: 2024-01-10\nnext_review: 2025-01-10\n")
    result = run(root, "build", "--lang", "en")
    assert result.returncode == 0, result.stderr
    line = 1 + (root / "source" / f"{SLUG}.md").read_text("utf-8").splitlines().index(
        "next_review: 2025-01-10"
    )
    assert (
        f"pipeline: warning: source/{SLUG}.md:{line}: next_review 2025-01-10 is past: "
        "the article is due for its medical review"
    ) in result.stderr.splitlines()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("published: 2nd of November\n", "'published' must be a date written YYYY-MM-DD"),
        ("reviewed: 2026-11-20\nnext_review: 2026-01-01\n", "'next_review' must come after"),
    ],
)
def test_a_wrong_date_is_refused_at_its_line(fields: str, message: str) -> None:
    head = "---\ntitle: T\nslug: t\nlang: en\ndescription: D.\npublisher: P\n"
    text = head + fields + "references: []\n---\n\nText.\n"
    with pytest.raises(SourceError) as error:
        parse_article(text, "source/t.md")
    assert message in str(error.value)
    assert str(error.value).startswith(f"source/t.md:{6 + fields.count(chr(10))}:")
