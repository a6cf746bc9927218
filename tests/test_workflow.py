"""End to end, in a throwaway project: extract, init, translate, edit, update, stats, errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from helpers import cli, msgfmt_check
from helpers import run as run_pipeline

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
SLUG = "workflow"
PO = f"locale/fr/LC_MESSAGES/{SLUG}.po"
POT = f"locale/{SLUG}.pot"

CHANGED_OLD = "Stem cell therapy shows real clinical promise for stroke recovery."
CHANGED_NEW = "Stem cell therapy shows strong clinical promise for stroke recovery."
DELETED = "Rehabilitation is valuable and necessary but it has a ceiling."
ADDED = "Who is a good candidate for stem cell therapy after a stroke?"

FRENCH = {
    "Can stem cells help stroke recovery": "Les cellules souches aident-elles après un AVC",
    "How stem cell therapy works after a stroke.": (
        "Comment agit la thérapie cellulaire après un AVC."
    ),
    CHANGED_OLD: "La thérapie cellulaire est prometteuse pour la récupération après un AVC.",
    DELETED: "La rééducation est précieuse mais elle a un plafond.",
    "How long after a stroke can stem cell therapy be considered?": (
        "Combien de temps après un AVC peut-on envisager la thérapie cellulaire ?"
    ),
    "Treatment can be considered at various stages after the stroke.": (
        "Le traitement peut être envisagé à différents stades après l'AVC."
    ),
}
UNCHANGED = [m for m in FRENCH if m not in (CHANGED_OLD, DELETED)]


# --- helpers --------------------------------------------------------------------------------


def make_project(root: Path, article: str | None = None, name: str = f"{SLUG}.md") -> Path:
    (root / "source").mkdir(parents=True, exist_ok=True)
    (root / "locale").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "throwaway"\n\n[tool.pipeline]\nsource_language = "en"\n',
        encoding="utf-8",
    )
    text = article if article is not None else (FIXTURES / f"{SLUG}.md").read_text("utf-8")
    (root / "source" / name).write_text(text, encoding="utf-8")
    return root


def ok(*argv: str) -> str:
    code, out, err = cli(*argv)
    assert (code, err) == (0, ""), err
    return out


def run(cwd: Path, *args: str, epoch: int | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m pipeline`` with ``SOURCE_DATE_EPOCH`` set to ``epoch``, or unset."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    return run_pipeline(cwd, *args, env=env, timeout=120)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / "locale").rglob("*"))
        if p.is_file()
    }


def fill(path: Path, strings: dict[str, str]) -> None:
    """A translator's edit, through polib rather than the pipeline's own Babel code."""
    po = polib.pofile(str(path))
    for entry in po:
        if entry.msgid in strings:
            entry.msgstr = strings[entry.msgid]
    po.save()


def edit_article(root: Path) -> None:
    path = root / "source" / f"{SLUG}.md"
    text = path.read_text(encoding="utf-8")
    assert CHANGED_OLD in text and DELETED in text
    text = text.replace(CHANGED_OLD, CHANGED_NEW).replace(DELETED + "\n\n", "")
    path.write_text(text + f"\n{ADDED}\n", encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(make_project(tmp_path))
    return tmp_path


@pytest.fixture
def translated(project: Path) -> Path:
    """extract, init fr, then every string translated."""
    out = ok("extract")
    assert f"created  {POT}" in out
    out = ok("init", "fr")
    assert f"created  {PO}" in out
    fill(project / PO, FRENCH)
    return project


@pytest.fixture
def updated(translated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The article edited (one sentence changed, one deleted, one added), then update."""
    edit_article(translated)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    out = ok("update")
    assert f"updated  {PO}" in out
    return translated


# --- the workflow ---------------------------------------------------------------------------


def test_extract_writes_article_and_ui_templates(project: Path) -> None:
    ok("extract")
    assert (project / POT).is_file()
    assert (project / "locale" / "ui.pot").is_file()
    pot = polib.pofile(str(project / POT))
    assert [e.msgid for e in pot] == list(FRENCH)
    entry = pot.find("Treatment can be considered at various stages after the stroke.")
    assert entry is not None
    assert entry.comment == "paragraph"
    assert entry.occurrences == [(f"source/{SLUG}.md", "15")]
    assert "POT-Creation-Date: 2023-11-14 22:13+0000" in (project / POT).read_text("utf-8")


def test_init_creates_french_catalogs(translated: Path) -> None:
    po = polib.pofile(str(translated / PO))
    assert po.metadata["Language"] == "fr"
    # CLDR 46 (Babel 2.19, as locked): French "many" (un million de ...) is a third form.
    assert po.metadata["Plural-Forms"] == (
        "nplurals=3; plural=((!(n == 0) && n % 1000000 == 0) ? 1 : (n >= 0 && n <= 1) ? 0 : 2);"
    )
    assert {e.msgid: e.msgstr for e in po} == FRENCH
    assert (translated / "locale/fr/LC_MESSAGES/ui.po").is_file()
    code, out, _ = cli("init", "fr")
    assert code == 0 and f"exists  {PO}".strip() in out


def test_update_after_edit(updated: Path) -> None:
    text = (updated / PO).read_text(encoding="utf-8")
    po = polib.pofile(text)
    entries = {e.msgid: e for e in po if not e.obsolete}
    assert list(entries) == [
        "Can stem cells help stroke recovery",
        "How stem cell therapy works after a stroke.",
        CHANGED_NEW,
        "How long after a stroke can stem cell therapy be considered?",
        "Treatment can be considered at various stages after the stroke.",
        ADDED,
    ]
    for msgid in UNCHANGED:
        assert entries[msgid].msgstr == FRENCH[msgid]
        assert "fuzzy" not in entries[msgid].flags

    changed = entries[CHANGED_NEW]
    assert "fuzzy" in changed.flags
    assert changed.msgstr == FRENCH[CHANGED_OLD]
    assert changed.previous_msgid == CHANGED_OLD
    assert f'#| msgid "{CHANGED_OLD}"' in text

    assert entries[ADDED].msgstr == ""
    assert "fuzzy" not in entries[ADDED].flags

    gone = {e.msgid: e.msgstr for e in po if e.obsolete}
    assert gone[DELETED] == FRENCH[DELETED]
    assert f'#~ msgid "{DELETED}"' in text

    # Nothing lost: every translation entered is still in the file.
    strings = {e.msgstr for e in po}
    assert set(FRENCH.values()) <= strings


def test_update_keeps_file_valid_for_msgfmt(updated: Path) -> None:
    files = sorted((updated / "locale").rglob("*.po")) + sorted((updated / "locale").glob("*.pot"))
    assert len(files) >= 4
    for path in files:
        result = msgfmt_check(path)
        assert result.returncode == 0, f"{path}: {result.stderr}"


def test_rerun_on_unchanged_input_changes_no_byte(
    translated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("update")  # polib's formatting becomes the pipeline's
    before = snapshot(translated)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1900000000")  # a later minute, day and year
    out = ok("extract")
    assert "created" not in out and "updated" not in out
    out = ok("update")
    assert "updated" not in out
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    ok("extract")
    ok("update")
    assert snapshot(translated) == before


def test_rerun_after_fuzzy_update_changes_no_byte(
    updated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(updated)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1900000000")
    ok("update")
    after = snapshot(updated)
    assert after[PO].decode() == before[PO].decode()
    assert after == before


def test_rerun_subprocess_with_other_epoch_changes_no_byte(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert run(root, "extract", epoch=1_700_000_000).returncode == 0
    assert run(root, "init", "fr", epoch=1_700_000_000).returncode == 0
    before = snapshot(root)
    for epoch in (1_700_000_100, None):
        for verb in ("extract", "update"):
            result = run(root, verb, epoch=epoch)
            assert result.returncode == 0, result.stderr
            assert "updated" not in result.stdout and "created" not in result.stdout
    assert snapshot(root) == before


def test_stats_table_and_json(updated: Path) -> None:
    out = ok("stats", "--json")
    rows = json.loads(out)
    row = next(r for r in rows if (r["lang"], r["domain"]) == ("fr", SLUG))
    words = sum(len(m.split()) for m in [*UNCHANGED, CHANGED_NEW, ADDED])
    translated_words = sum(len(m.split()) for m in UNCHANGED)
    assert row == {
        "lang": "fr",
        "domain": SLUG,
        "translated": 4,
        "fuzzy": 1,
        "untranslated": 1,
        "words": words,
        "translated_words": translated_words,
        "reviewed": 0,
        "reviewed_words": 0,
        "total": 6,
        "percent": 66.7,
    }
    assert {r["domain"] for r in rows} >= {SLUG, "ui"}

    table = ok("stats", "--lang", "fr").splitlines()
    assert table[0].split() == [
        "lang",
        "domain",
        "translated",
        "fuzzy",
        "untranslated",
        "reviewed",
        "words",
        "reviewed",
        "words",
        "percent",
    ]
    assert set(table[1].replace(" ", "")) == {"-"}
    line = next(t for t in table[2:] if t.split()[1] == SLUG)
    assert line.split() == [
        "fr", SLUG, "4", "1", "1", "0", f"{translated_words}/{words}", f"0/{words}", "66.7%"
    ]  # fmt: skip


def test_stats_for_a_language_without_catalogs(translated: Path) -> None:
    rows = json.loads(ok("stats", "--json", "--lang", "ru"))
    row = next(r for r in rows if r["domain"] == SLUG)
    assert (row["lang"], row["translated"], row["untranslated"], row["percent"]) == (
        "ru",
        0,
        6,
        0.0,
    )
    assert not (translated / "locale" / "ru").exists()


# --- errors ---------------------------------------------------------------------------------

ERROR_LINE = re.compile(r"^pipeline: error: (?P<path>[^:]+):(?P<line>\d+): (?P<message>.+)$")


def break_po(root: Path, bad: str) -> int:
    """Put a syntax error after the first translation; return its 1-based line."""
    path = root / PO
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith('msgstr "Les cellules'))
    if bad.startswith("msgstr"):
        lines[index] = bad
    else:
        lines.insert(index + 1, bad)
        index += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index + 1


@pytest.mark.parametrize("verb", ["update", "stats"])
def test_po_syntax_error_is_one_line_with_file_and_line(translated: Path, verb: str) -> None:
    break_po(translated, "bogus line")
    result = run(translated, verb)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    match = ERROR_LINE.match(lines[0])
    assert match is not None, lines[0]
    assert match["path"] == PO


def test_po_syntax_error_names_the_bad_line(translated: Path) -> None:
    line = break_po(translated, "bogus line")
    result = run(translated, "update")
    match = ERROR_LINE.match(result.stderr.strip())
    assert match is not None
    assert int(match["line"]) == line


def test_po_unterminated_string_is_an_error(translated: Path) -> None:
    line = break_po(translated, 'msgstr "Les cellules souches')
    result = run(translated, "update")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"pipeline: error: {PO}:{line}: ")


def test_malformed_front_matter_gives_file_and_line(tmp_path: Path) -> None:
    bad = (FIXTURES / "bad-indent.md").read_text(encoding="utf-8")
    root = make_project(tmp_path, bad, name="bad-indent.md")
    result = run(root, "extract")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "pipeline: error: source/bad-indent.md:4: malformed front matter: "
    )
    assert len(result.stderr.splitlines()) == 1
    assert not (root / "locale" / "bad-indent.pot").exists()


def test_missing_title_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(make_project(tmp_path, "---\nslug: x\nlang: en\n---\n\nText.\n", "x.md"))
    code, out, err = cli("extract")
    assert (code, out) == (2, "")
    assert err == "pipeline: error: source/x.md:1: front matter has no 'title' field\n"


def test_outside_a_project_is_a_clear_error(tmp_path: Path) -> None:
    assert not any((p / "pyproject.toml").exists() for p in (tmp_path, *tmp_path.parents))
    result = run(tmp_path, "extract")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("pipeline: error: ")
    assert "no project here" in result.stderr
    assert "[tool.pipeline]" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_unknown_language_is_an_error(translated: Path) -> None:
    code, _, err = cli("init", "xx-nowhere")
    assert code == 2
    assert err.startswith("pipeline: error: language 'xx-nowhere': ")


def test_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: pipeline")
    for verb in ("extract", "init", "update", "stats"):
        assert verb in result.stdout
    assert result.stderr == ""


def many_articles(root: Path, count: int) -> None:
    """``count`` distinct articles, enough for extract and update to use the process pool."""
    for number in range(count):
        (root / "source" / f"a{number}.md").write_text(
            f"---\ntitle: Article {number}\nslug: a{number}\nlang: en\n---\n\n"
            f"Paragraph {number} about stroke recovery.\n\n- Item {number}\n",
            encoding="utf-8",
        )


def test_parallel_extract_and_update_write_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trees = {}
    for jobs in ("1", "2"):
        root = make_project(tmp_path / f"jobs{jobs}")
        many_articles(root, 20)
        monkeypatch.chdir(root)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        assert cli("init", "fr")[0] == 0
        assert cli("update", "--jobs", jobs)[0] == 0
        trees[jobs] = {p.relative_to(root): p.read_bytes() for p in root.rglob("*.po*")}
    assert len(trees["1"]) == 2 * 22  # 21 articles + ui: a POT and a French PO each
    assert trees["1"] == trees["2"]


def test_error_in_a_worker_keeps_its_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path)
    many_articles(root, 20)
    # Front matter is read up front; the language is checked with the body, in a worker.
    (root / "source" / "a7.md").write_text(
        "---\ntitle: Elsewhere\nslug: a7\nlang: fr\n---\n\nTexte.\n", encoding="utf-8"
    )
    monkeypatch.chdir(root)
    status, _, err = cli("extract", "--jobs", "2")
    assert status == 2
    assert re.match(r"pipeline: error: source/a7\.md:1: article language 'fr'", err), err
    assert "Traceback" not in err
