"""Terminology: a glossary in TBX (as Weblate, memoQ and Trados export it) or YAML.

The TBX fixture is a TBX-Basic file in the shape Weblate exports: "stroke" is "AVC" in
French ("attaque" deprecated) and "инсульт" in Russian; "mesenchymal stem cells" is marked
critical. The project's own French and Russian translations follow it (0 findings); the
tests then break it the ways a translator would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from helpers import FR_PO, SLUG, copy_project, msgid_line, run

from pipeline.glossary import Glossary, Term, comment, contains, load, problems

TBX = Path(__file__).parent / "fixtures" / "glossary" / "weblate-export.tbx"


def with_glossary(root: Path, name: str = "glossary.tbx") -> Path:
    shutil.copy(TBX, root / name)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    pyproject.write_text(
        text.replace("[tool.pipeline]\n", f'[tool.pipeline]\nglossary = "{name}"\n', 1), "utf-8"
    )
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return with_glossary(copy_project(tmp_path / "project"))


def test_a_weblate_tbx_export_is_read() -> None:
    glossary = load(TBX.read_bytes(), "weblate-export.tbx", "en")
    stroke, msc = glossary.terms
    assert (stroke.source, stroke.critical) == ("stroke", False)
    assert stroke.required == {"fr": ("AVC",), "ru": ("инсульт",)}
    assert stroke.forbidden == {"fr": ("attaque",)}
    assert (msc.source, msc.critical) == ("mesenchymal stem cells", True)


def test_the_project_translations_follow_the_glossary(project: Path) -> None:
    result = run(project, "check", "--lang", "fr", "--lang", "ru")
    assert result.returncode == 0, result.stdout
    assert "[glossary]" not in result.stdout


def test_a_forbidden_term_and_a_missing_one_are_warnings_at_their_line(project: Path) -> None:
    po = polib.pofile(str(project / FR_PO))
    entry = next(
        e
        for e in po
        if "stroke" in e.msgid.lower() and "AVC" in e.msgstr and "critical" not in e.comment
        and "mesenchymal" not in e.msgid.lower()
    )  # fmt: skip
    entry.msgstr = entry.msgstr.replace("AVC", "attaque")
    po.save()
    result = run(project, "check", "--lang", "fr")
    line = msgid_line((project / FR_PO).read_text("utf-8"), entry.msgid[:40])
    assert f"{FR_PO}:{line}: warning: [glossary] glossary: 'stroke' is 'AVC' in fr" in result.stdout
    assert (
        f"{FR_PO}:{line}: warning: [glossary] glossary: 'attaque' must not translate 'stroke'"
        in result.stdout
    )
    assert result.returncode == 0  # warnings: still published


def test_a_critical_term_missing_keeps_the_language_unpublished(project: Path) -> None:
    po = polib.pofile(str(project / FR_PO))
    entry = next(
        e for e in po if "Mesenchymal stem cells" in e.msgid and "reference" not in e.comment
    )
    assert "cellules souches mésenchymateuses" in entry.msgstr.lower()
    entry.msgstr = entry.msgstr.replace("mésenchymateuses", "stromales")
    po.save()
    result = run(project, "build", "--lang", "fr")
    assert result.returncode == 1
    assert "not published: fr/" in result.stdout and "glossary" in result.stdout
    assert not (project / "output" / "fr" / f"{SLUG}.html").exists()


def test_update_shows_the_terms_to_the_translator(project: Path) -> None:
    assert run(project, "update").returncode == 0
    text = (project / FR_PO).read_text("utf-8")
    assert "#. glossary: stroke = AVC; not attaque\n" in text
    assert (
        "#. glossary: mesenchymal stem cells = cellules souches mésenchymateuses (critical)" in text
    )
    ru = (project / "locale/ru/LC_MESSAGES" / f"{SLUG}.po").read_text("utf-8")
    assert "#. glossary: stroke = инсульт\n" in ru
    assert run(project, "update").returncode == 0
    assert (project / FR_PO).read_text("utf-8") == text  # said once, stable


def test_a_yaml_glossary_reads_the_same(tmp_path: Path) -> None:
    data = (
        "terms:\n"
        "  - source: stroke\n"
        "    fr: {required: [AVC], forbidden: [attaque]}\n"
        "    ru: {required: [инсульт]}\n"
        "  - source: mesenchymal stem cells\n"
        "    critical: true\n"
        "    fr: {required: [cellules souches mésenchymateuses]}\n"
    ).encode()
    assert load(data, "glossary.yaml") == load(TBX.read_bytes(), "weblate-export.tbx", "en")


@pytest.mark.parametrize(
    ("text", "term", "lang", "within", "found"),
    [
        ("после инсульта", "инсульт", "ru", True, True),  # an ending
        ("постинсультная слабость", "инсульт", "ru", True, True),  # a compound
        ("постинсультная слабость", "инсульт", "ru", False, False),
        ("علاج بالسكتة الدماغية", "السكتة الدماغية", "ar", False, True),  # a glued prefix
        ("une contre-attaque", "attaque", "fr", False, True),  # a word start after a hyphen
        ("Un AVC grave", "avc", "fr", False, True),  # case-insensitive
        ("Une AVCérébrale", "AVC", "fr", False, True),
        ("Le cerveau", "AVC", "fr", True, False),
    ],
)
def test_matching_stems_compounds_and_glued_prefixes(
    text: str, term: str, lang: str, within: bool, found: bool
) -> None:
    assert contains(text, term, lang, within=within) is found


def test_only_terms_of_the_source_are_checked() -> None:
    glossary = Glossary((Term("tablet", required={"fr": ("comprimé",)}),))
    assert problems("Take the tablets.", "Prenez les pilules.", "fr", glossary) == []  # plural
    assert problems("One tablet.", "Une pilule.", "fr", glossary) == [
        ("warning", "glossary: 'tablet' is 'comprimé' in fr")
    ]
    assert comment("One tablet.", "de", glossary) == "glossary: tablet = (no translation given)"
