"""A second linguist's sign-off, recorded in the repository, and a gate that can require it.

ISO 17100 asks for a reviser other than the translator; for patient information only
revised text should be published. The record holds a hash of each revised entry, so an
edit made after the review (in any editor, which knows nothing of the record) undoes it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import polib
import pytest
from helpers import FR_PO, SLUG, copy_project, msgid_line, run

RU_PO = f"locale/ru/LC_MESSAGES/{SLUG}.po"
FR_RECORD = f"locale/fr/reviews/{SLUG}.json"


def configure(root: Path, *settings: str) -> None:
    """Set ``key = value`` lines of ``[tool.pipeline]``, replacing a key already there."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    for setting in settings:
        key = setting.split("=", 1)[0].strip()
        text, found = re.subn(rf"(?m)^{key}\s*=.*$", setting, text)
        if not found:
            text = text.replace("[tool.pipeline]\n", f"[tool.pipeline]\n{setting}\n", 1)
    pyproject.write_text(text, "utf-8")


def stats(root: Path, lang: str, domain: str = SLUG) -> dict[str, object]:
    rows = json.loads(run(root, "stats", "--json", "--lang", lang).stdout)
    return next(r for r in rows if r["domain"] == domain)


def edit_first_translation(root: Path, po_path: str, *, critical: bool = False) -> str:
    po = polib.pofile(str(root / po_path))
    entry = next(e for e in po if e.msgstr and ("critical" in e.comment) == critical)
    entry.msgstr = entry.msgstr + " (révisé)"
    po.save()
    return entry.msgid


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def test_review_records_every_translated_entry_and_stats_count_them(project: Path) -> None:
    n = stats(project, "fr")["translated"]
    assert isinstance(n, int) and n > 40
    result = run(project, "review", "fr", "--reviewer", "Dr. Amélie Roux", "--date", "2026-11-30")
    assert result.returncode == 0, result.stderr
    assert (
        f"{FR_RECORD}: {n} newly signed off; {n} of {n} translated entries reviewed"
        in result.stdout
    )
    record = (project / FR_RECORD).read_text("utf-8")
    lines = record.splitlines()
    entries = [line for line in lines if re.match(r'^    "[0-9a-f]{20}": \[', line)]
    assert len(entries) == n and entries == sorted(entries)  # one a line, sorted: readable diffs
    assert '["Dr. Amélie Roux", "2026-11-30"]' in entries[0]
    row = stats(project, "fr")
    assert row["reviewed"] == row["translated"] == n
    assert row["reviewed_words"] == row["words"]
    assert stats(project, "ru")["reviewed"] == 0
    again = run(project, "review", "fr", "--reviewer", "Someone Else", "--date", "2026-12-01")
    assert "0 newly signed off" in again.stdout
    assert (project / FR_RECORD).read_text("utf-8") == record  # the first sign-off stands


def test_an_edit_after_the_review_makes_that_entry_unreviewed(project: Path) -> None:
    n = stats(project, "fr")["translated"]
    assert isinstance(n, int)
    run(project, "review", "fr", "--reviewer", "R", "--article", SLUG)
    assert not (project / "locale/fr/reviews/ui.json").exists()  # only that article
    edit_first_translation(project, FR_PO)
    row = stats(project, "fr")
    assert row["translated"] == n and row["reviewed"] == n - 1
    run(project, "review", "fr", "--reviewer", "R2", "--date", "2026-12-02")
    record = json.loads((project / FR_RECORD).read_text("utf-8"))["entries"]
    assert sum(1 for who, _ in record.values() if who == "R2") == 1  # the edited entry


def test_require_review_keeps_an_unrevised_language_unpublished(project: Path) -> None:
    configure(project, "require_review = {default = true, ru = false}")
    result = run(project, "build", "--lang", "fr", "--lang", "ru")
    assert result.returncode == 1
    refusal = next(
        line for line in result.stdout.splitlines() if line.startswith("not published: fr/")
    )
    po_text = (project / FR_PO).read_text("utf-8")
    critical = next(e.msgid for e in polib.pofile(str(project / FR_PO)) if "critical" in e.comment)
    assert "critical entry not reviewed: " in refusal
    assert f"({FR_PO}:{msgid_line(po_text, critical[:30])})" in refusal
    assert "0% of words reviewed, 100% required (pipeline review fr)" in refusal
    assert (project / "output" / "ru" / f"{SLUG}.html").exists()  # ru: review not required
    assert not (project / "output" / "fr" / f"{SLUG}.html").exists()
    run(project, "review", "fr", "--reviewer", "R")
    result = run(project, "build", "--lang", "fr")
    assert result.returncode == 0, result.stdout
    assert (project / "output" / "fr" / f"{SLUG}.html").exists()


def test_a_share_of_words_may_stay_unreviewed_but_never_a_critical_entry(project: Path) -> None:
    configure(project, "require_review = true", "min_reviewed = 0.9")
    run(project, "review", "fr", "--reviewer", "R")
    edit_first_translation(project, FR_PO)  # not critical: still 90%+ of words revised
    assert run(project, "build", "--lang", "fr").returncode == 0
    edit_first_translation(project, FR_PO, critical=True)
    result = run(project, "build", "--lang", "fr")
    assert result.returncode == 1 and "critical entry not reviewed" in result.stdout
    assert not (project / "output" / "fr" / f"{SLUG}.html").exists()  # withdrawn


def test_the_gate_can_count_words_as_well_as_entries(project: Path) -> None:
    po = polib.pofile(str(project / RU_PO))
    longest = sorted((e for e in po if e.msgstr and "critical" not in e.comment),
                     key=lambda e: -len(e.msgid.split()))[:5]  # fmt: skip
    for entry in longest:
        entry.msgstr = ""
    po.save()
    configure(project, "min_translated = 0.8", "min_translated_words = 0.8")
    result = run(project, "build", "--lang", "ru")
    refusal = next(
        line for line in result.stdout.splitlines() if line.startswith("not published: ru/")
    )
    assert not re.search(r"\d+% translated, 80% required", refusal)  # the entries pass
    assert re.search(r"\b\d+% of words translated, 80% required", refusal), refusal


def test_a_broken_review_record_is_named(project: Path) -> None:
    configure(project, "require_review = true")
    record = project / FR_RECORD
    record.parent.mkdir(parents=True)
    record.write_text(
        '{"format": 1, "domain": "x", "entries": {"ab": ["R", "yesterday"]}}', "utf-8"
    )
    result = run(project, "build", "--lang", "fr")
    assert result.returncode == 2
    assert f"pipeline: error: {FR_RECORD}: not a review record" in result.stderr
    stats_run = run(project, "stats")
    assert stats_run.returncode == 2 and stats_run.stderr.startswith(
        f"pipeline: error: {FR_RECORD}"
    )


def test_the_page_and_brochure_name_the_translator_and_the_reviser(project: Path) -> None:
    run(project, "review", "fr", "--reviewer", "Dr Amélie Roux", "--date", "2026-11-30")
    assert run(project, "build", "--lang", "fr").returncode == 0
    page = (project / "output" / "fr" / f"{SLUG}.html").read_text("utf-8")
    assert "<p>Traduit par <bdi>Claire Morel</bdi> le 25 novembre 2026.</p>" in page
    assert "<p>Relu par <bdi>Dr Amélie Roux</bdi> le 30 novembre 2026.</p>" in page
    pdf = subprocess.run(
        ["pdftotext", str(project / "output" / "fr" / f"{SLUG}.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Relu par Dr Amélie Roux le 30 novembre 2026." in " ".join(pdf.split())
    edit_first_translation(project, FR_PO)  # no longer wholly revised: no reviser is named
    assert run(project, "build", "--lang", "fr").returncode == 0
    page = (project / "output" / "fr" / f"{SLUG}.html").read_text("utf-8")
    assert "Relu par" not in page and "Traduit par <bdi>Claire Morel</bdi>" in page
