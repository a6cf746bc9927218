"""What extraction makes of an article, against a golden template written and read by hand.

``segmentation.expect.pot`` says what every kind of block of
``segmentation.md`` becomes (as mdpo's ``*.md.expect.po`` pairs do); both
``pipeline extract`` and ``pybabel extract -F babel.cfg`` (through the entry
point) are compared with it, never with each other.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import polib
import pytest
from helpers import REAL_ARTICLE, ROOT, SLUG, cli

from pipeline.extractor import extract_markdown

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
PYBABEL = Path(sys.executable).parent / "pybabel"

ARTICLES = {
    "segmentation": FIXTURES / "segmentation.md",
    SLUG: REAL_ARTICLE,
}

Entry = tuple[str, str | None]


def make_project(root: Path, article: Path, slug: str) -> Path:
    (root / "source").mkdir(parents=True)
    shutil.copy(ROOT / "babel.cfg", root / "babel.cfg")
    shutil.copy(article, root / "source" / f"{slug}.md")
    (root / "pyproject.toml").write_text("[tool.pipeline]\n", encoding="utf-8")
    return root


def entries(path: Path) -> dict[Entry, tuple[list[str], list[tuple[str, str]]]]:
    """(msgid, msgctxt) -> (extracted comments, locations)."""
    return {
        (e.msgid, e.msgctxt): (e.comment.splitlines(), sorted(e.occurrences))
        for e in polib.pofile(str(path))
        if e.msgid
    }


def pybabel(cwd: Path, *inputs: str) -> subprocess.CompletedProcess[str]:
    if not PYBABEL.exists():
        pytest.skip("pybabel is not installed next to this Python")
    return subprocess.run(
        [str(PYBABEL), "extract", "-F", "babel.cfg", "-o", "out.pot", *inputs],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def pipeline_extract(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    code, _, err = cli("extract")
    assert code == 0, err


def test_entry_point_is_registered() -> None:
    (point,) = [p for p in entry_points(group="babel.extractors") if p.name == "pipeline"]
    assert point.value == "pipeline.extractor:extract_markdown"
    assert point.load() is extract_markdown


GOLDEN = FIXTURES / "segmentation.expect.pot"


def test_pipeline_extract_writes_the_golden_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, ARTICLES["segmentation"], "segmentation")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pipeline_extract(root, monkeypatch)
    assert (root / "locale" / "segmentation.pot").read_bytes() == GOLDEN.read_bytes()


def test_pybabel_extract_finds_the_golden_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, ARTICLES["segmentation"], "segmentation")
    result = pybabel(root, ".")  # as babel.cfg's own comment says
    assert result.returncode == 0, result.stderr
    assert "extracting messages from source/segmentation.md" in result.stderr
    assert entries(root / "out.pot") == entries(GOLDEN)


def test_pybabel_and_pipeline_extract_agree_on_the_real_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped template (reviewed by translators) is what both tools extract."""
    root = make_project(tmp_path, REAL_ARTICLE, SLUG)
    result = pybabel(root, ".")
    assert result.returncode == 0, result.stderr
    pipeline_extract(root, monkeypatch)
    shipped = entries(ROOT / "locale" / f"{SLUG}.pot")
    assert entries(root / "out.pot") == shipped
    assert entries(root / "locale" / f"{SLUG}.pot") == shipped


def test_extractor_called_directly_names_the_file_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, ARTICLES["segmentation"], "segmentation")
    monkeypatch.chdir(root)
    with open("source/segmentation.md", "rb") as fileobj:
        found = list(extract_markdown(fileobj, {}, (), {}))
    assert found[0] == (2, None, "Stem cells after a stroke", ["title"])
    assert (71, "pgettext", ("button", "Continue"), ["paragraph"]) in found
