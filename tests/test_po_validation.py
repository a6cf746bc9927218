"""Catalogs GNU gettext would refuse, or that say one charset and hold another, are refused.

Each was accepted before: Babel's reader keeps one of two duplicate entries,
drops a ``msgstr[1]`` without plural, leaves ``\\q`` as it is, invents a header,
and decodes UTF-8 bytes as Latin-1 when the header says so ("RÃ©fÃ©rences").
The files here are made the way GNU tools and editors make them: the real
French catalog converted with ``msgconv``, or edited as a text editor would.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from helpers import FR_PO, SLUG, copy_project, edit_po, msgid_line, run

from pipeline.errors import CatalogError
from pipeline.pofile import read_catalog

FIRST = "Can Stem Cells Help Stroke Recovery Patients"
"""The first msgid of the French catalog."""
ERROR = re.compile(r"^pipeline: error: (?P<path>[^:]+):(?P<line>\d+): (?P<message>.+)$")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def refused_line(root: Path, *args: str) -> tuple[int, str]:
    """Run a verb that must refuse the French catalog: (its line, the message)."""
    result = run(root, *args)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("pipeline: error:")]
    match = ERROR.match(lines[0])
    assert match is not None, result.stderr
    assert match["path"] == FR_PO
    return int(match["line"]), match["message"]


def check_finding(root: Path) -> tuple[int, str]:
    """Run ``check``, which must report the French catalog as unreadable: (line, message)."""
    result = run(root, "check")
    assert result.returncode == 2, result.stdout + result.stderr
    found = re.search(
        rf"^  {re.escape(FR_PO)}:(\d+): error: \[unreadable\] (.+)$", result.stdout, re.M
    )
    assert found is not None, result.stdout
    return int(found[1]), found[2]


def content_type_line(text: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if "Content-Type" in line)


def test_utf8_bytes_under_a_latin1_header_are_refused_at_the_header(project: Path) -> None:
    po = project / FR_PO
    text = re.sub("charset=utf-8", "charset=ISO-8859-1", po.read_text("utf-8"), flags=re.I)
    po.write_text(text, "utf-8")  # an editor that saved UTF-8 and left the header alone
    for line, message in [
        check_finding(project),
        refused_line(project, "update"),
        refused_line(project, "build", "--lang", "fr"),
    ]:
        assert line == content_type_line(text)
        assert "charset=ISO-8859-1" in message and "UTF-8" in message


def test_a_real_cp1252_catalog_is_read_and_published_right(project: Path) -> None:
    """Catalogs converted by GNU ``msgconv`` are Windows-1252 for real: they read right."""
    for domain in (SLUG, "ui"):
        po = project / "locale" / "fr" / "LC_MESSAGES" / f"{domain}.po"
        po.write_text(po.read_text("utf-8").replace("\u202f", "\u00a0"), "utf-8")
        converted = subprocess.run(
            ["msgconv", "--to-code=CP1252", str(po)], capture_output=True, check=True
        ).stdout
        assert b"charset=CP1252" in converted
        assert "é".encode("cp1252") in converted and "’".encode("cp1252") in converted
        catalog = read_catalog(converted, FR_PO, locale="fr")
        original = read_catalog(po.read_bytes(), FR_PO, locale="fr")
        pairs = [(m.id, m.string) for m in catalog if m.id]
        assert pairs == [(m.id, m.string) for m in original if m.id] and len(pairs) > 10
        po.write_bytes(converted)
    result = run(project, "build", "--lang", "fr")
    assert result.returncode == 0, result.stderr
    page = (project / "output" / "fr" / f"{SLUG}.html").read_text("utf-8")
    assert "Références" in page and "l’AVC" in page and "Ã" not in page


@pytest.mark.parametrize("charset", ["klingon-42", "CHARSET"])
def test_an_unknown_charset_is_one_line_at_the_header(project: Path, charset: str) -> None:
    po = project / FR_PO
    text = re.sub("charset=utf-8", f"charset={charset}", po.read_text("utf-8"), flags=re.I)
    po.write_text(text, "utf-8")
    line, message = refused_line(project, "update")
    assert line == content_type_line(text)
    assert charset in message


def test_bytes_that_are_not_the_declared_charset_are_refused_at_their_line(project: Path) -> None:
    po = project / FR_PO
    data = po.read_bytes()
    needle = "é".encode()
    line = data[: data.index(needle)].count(b"\n") + 1
    po.write_bytes(data.replace(needle, "é".encode("latin-1"), 1))
    assert refused_line(project, "update")[0] == line


def append_entry(po: Path, entry: str) -> int:
    """Add an entry at the end of the file; the line of its first line."""
    text = po.read_text("utf-8").rstrip("\n")
    po.write_text(text + "\n\n" + entry, "utf-8")
    return text.count("\n") + 3


def test_a_duplicate_entry_is_refused_and_update_keeps_both(project: Path) -> None:
    po = project / FR_PO
    text = po.read_text("utf-8")
    line = append_entry(po, f'msgid "{FIRST}"\nmsgstr "Autre titre"\n')
    assert f'msgid "{FIRST}"' in text  # the entry is a real one
    before = po.read_bytes()
    assert refused_line(project, "update") == (line, "duplicate message definition")
    assert po.read_bytes() == before  # nothing rewritten, neither translation dropped
    assert check_finding(project)[0] == line


@pytest.mark.parametrize(
    ("entry", "offset", "words"),
    [
        ('msgid "One"\nmsgstr[0] "Un"\nmsgstr[1] "Deux"\n', 0, "msgid_plural"),
        ('msgid "Tab"\nmsgstr "a\\q b"\n', 1, "invalid control sequence"),
        ('msgid "Count"\nmsgid_plural "Counts"\nmsgstr[0] "Un"\n', 0, "Plural-Forms has 3"),
    ],
    ids=["msgstr[1] without plural", "invalid escape", "too few plural forms"],
)
def test_entries_gnu_msgfmt_refuses_are_refused_at_their_line(
    project: Path, entry: str, offset: int, words: str
) -> None:
    line = append_entry(project / FR_PO, entry) + offset
    for verb in (["update"], ["build", "--lang", "fr"]):
        found, message = refused_line(project, *verb)
        assert found == line and words in message


def test_a_catalog_without_its_header_is_refused(project: Path) -> None:
    po = project / FR_PO
    text = po.read_text("utf-8")
    body = text[text.index("\n\n#") + 2 :]  # every entry, no header entry
    po.write_text(body, "utf-8")
    line, message = refused_line(project, "update")
    assert line == 1 and "header" in message


def test_check_json_reports_an_unreadable_catalog_and_checks_every_other(project: Path) -> None:
    po = project / FR_PO
    line = append_entry(po, f'msgid "{FIRST}"\nmsgstr "Autres"\n')
    ru = project / "locale" / "ru" / "LC_MESSAGES" / f"{SLUG}.po"
    ru_text = ru.read_text("utf-8")
    assert "5\u00a0000+" in ru_text
    ru.write_text(ru_text.replace("5\u00a0000+", "6\u00a0000+", 1), "utf-8")
    result = run(project, "check", "--json")
    assert result.returncode == 2, result.stderr
    findings = json.loads(result.stdout)
    unreadable = [f for f in findings if f["check"] == "unreadable"]
    assert unreadable == [
        {
            "lang": "fr",
            "domain": SLUG,
            "msgid": "",
            "check": "unreadable",
            "severity": "error",
            "message": "duplicate message definition",
            "location": f"{FR_PO}:{line}",
        }
    ]
    figures = [f for f in findings if f["lang"] == "ru" and f["check"] == "figures"]
    assert figures and figures[0]["location"].endswith(f":{msgid_line(ru_text, '5,000+')}")
    assert {f["lang"] for f in findings if f["domain"] == "ui"} <= {"ar", "bn", "fa", "ru"}


def test_check_text_names_the_unreadable_catalog(project: Path) -> None:
    line = append_entry(project / FR_PO, f'msgid "{FIRST}"\nmsgstr "Autres"\n')
    result = run(project, "check")
    assert result.returncode == 2
    assert f"{FR_PO}:{line}: error: [unreadable] duplicate message definition" in result.stdout


def test_catalogs_the_project_ships_pass_the_stricter_reader() -> None:
    from helpers import ROOT

    for po in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        lang = po.parent.parent.name
        assert len(read_catalog(po.read_bytes(), str(po), locale=lang)) > 10


@pytest.mark.parametrize("kind", ["symlink", "fifo", "device"])
def test_check_and_update_refuse_a_catalog_that_is_not_a_regular_file(
    project: Path, tmp_path: Path, kind: str
) -> None:
    po = project / FR_PO
    po.unlink()
    if kind == "symlink":
        secret = tmp_path / "secret.txt"
        secret.write_text("root:x:0:0:secret line\n", "utf-8")
        po.symlink_to(secret)
    elif kind == "fifo":
        os.mkfifo(po)
    else:
        if os.geteuid() != 0:
            pytest.skip("only root can make a device node")
        os.mknod(po, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # what /dev/zero is
    for verb in ("check", "update", "stats"):
        result = run(project, verb, timeout=60)
        assert result.returncode == 2, (verb, result.stderr)
        if verb == "check":
            assert f"  {FR_PO}:1: error: [unreadable] " in result.stdout
        else:
            assert result.stderr.startswith(f"pipeline: error: {FR_PO}: ")
        assert "secret" not in result.stderr + result.stdout
    assert po.is_symlink() or po.is_fifo() or po.is_char_device()  # update did not replace it


def test_an_article_that_is_a_symlink_is_refused_by_extract(project: Path, tmp_path: Path) -> None:
    article = project / "source" / f"{SLUG}.md"
    outside = tmp_path / "outside.md"
    outside.write_bytes(article.read_bytes())
    article.unlink()
    article.symlink_to(outside)
    result = run(project, "extract")
    assert result.returncode == 2
    assert result.stderr.startswith(f"pipeline: error: source/{SLUG}.md: a symbolic link")


@pytest.mark.parametrize("byte", [b"\x00", b"\x1b"])
def test_a_control_byte_in_front_matter_is_one_line(project: Path, byte: bytes) -> None:
    article = project / "source" / f"{SLUG}.md"
    lines = article.read_bytes().split(b"\n")
    lines[1] = lines[1] + byte  # the title line
    article.write_bytes(b"\n".join(lines))
    for verb in (["extract"], ["build", "--lang", "en"]):
        result = run(project, *verb)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith(f"pipeline: error: source/{SLUG}.md:2: ")


def test_invalid_utf8_in_an_article_names_its_line(project: Path) -> None:
    article = project / "source" / f"{SLUG}.md"
    lines = article.read_bytes().split(b"\n")
    lines[12] = lines[12] + b"\xff"
    article.write_bytes(b"\n".join(lines))
    result = run(project, "extract")
    assert result.returncode == 2
    assert result.stderr.startswith(f"pipeline: error: source/{SLUG}.md:13: not UTF-8")


def test_read_catalog_keeps_babel_leniency_for_templates_only() -> None:
    header = b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    template = header + b'msgid "a"\nmsgstr ""\n\nmsgid "a"\nmsgstr ""\n'
    read_catalog(template, "x.pot")  # a template (no language) is not run through msgfmt
    with pytest.raises(CatalogError, match="duplicate"):
        read_catalog(template, "x.po", strict=True)


@pytest.mark.parametrize(
    ("edit", "check"),
    [
        (lambda text: "\u202e" + text, "invisible"),
        (lambda text: text + " " + "Lorem ipsum dolor sit amet. " * 40_000, "length"),
    ],
    ids=["right-to-left override", "a megabyte title"],
)
def test_a_hostile_title_keeps_the_language_unpublished(
    project: Path, edit: Callable[[str], str], check: str
) -> None:
    def hostile(entry: polib.POEntry) -> None:
        if entry.msgid == FIRST:
            entry.msgstr = edit(entry.msgstr)

    po = project / FR_PO
    edit_po(po, hostile)
    result = run(project, "check", "--lang", "fr")
    line = msgid_line(po.read_text("utf-8"), FIRST)
    assert result.returncode == 1
    assert f"{FR_PO}:{line}: error: [{check}] " in result.stdout
    result = run(project, "build", "--lang", "fr")
    assert not (project / "output" / "fr" / f"{SLUG}.html").exists()
    assert not (project / "output" / "fr" / f"{SLUG}.pdf").exists()
    assert check in result.stdout + result.stderr


def test_update_writes_a_cp1252_catalog_back_as_utf8_and_says_so(project: Path) -> None:
    po = project / FR_PO
    po.write_text(po.read_text("utf-8").replace("\u202f", "\u00a0"), "utf-8")
    before = read_catalog(po.read_bytes(), FR_PO, locale="fr")
    converted = subprocess.run(
        ["msgconv", "--to-code=CP1252", str(po)], capture_output=True, check=True
    ).stdout
    po.write_bytes(converted)
    result = run(project, "update", "--lang", "fr")
    assert result.returncode == 0, result.stderr
    text = po.read_text("utf-8")  # UTF-8 now, and the header says so
    assert '"Content-Type: text/plain; charset=UTF-8\\n"' in text
    after = read_catalog(po.read_bytes(), FR_PO, locale="fr")
    assert [(m.id, m.string) for m in after if m.id] == [(m.id, m.string) for m in before if m.id]
    assert run(project, "check", "--lang", "fr").returncode == 0
