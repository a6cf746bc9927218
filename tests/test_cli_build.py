"""The ``pipeline build`` and ``pipeline check`` command lines, as separate processes.

Each test runs ``python -m pipeline`` in a copy of the project: progress on
stderr, results on stdout, one-line errors without a traceback, and the
documented exit statuses (0 success, 1 errors found, 2 unusable input).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    CRITICAL_MARK,
    FR_PO,
    SLUG,
    break_msgid_syntax,
    change_critical_figure,
    copy_project,
    edit_po,
    msgid_line,
    run,
    set_min_translated,
)

RU_PO = f"locale/ru/LC_MESSAGES/{SLUG}.po"
FINDING_KEYS = {"lang", "domain", "msgid", "check", "severity", "message", "location"}
PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] (\S+) \(\d+\.\d\d s\)$")
SUMMARY = re.compile(
    r"^built (\d+) file\(s\), (\d+) up to date, (\d+) not published, (\d+) failed in \d+\.\d s$"
)


def break_figure(root: Path) -> int:
    """Change "80" to "90" in the French critical paragraph; return its msgid line."""
    edit_po(root / FR_PO, change_critical_figure)
    return msgid_line((root / FR_PO).read_text(encoding="utf-8"), CRITICAL_MARK)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


# --- build ----------------------------------------------------------------------------------


def test_build_progress_on_stderr_and_summary_on_stdout(project: Path) -> None:
    """The source language is always published: its build does not wait on translators."""
    first = run(project, "build", "--lang", "en", "--jobs", "1")
    assert "Traceback" not in first.stderr
    out_lines = first.stdout.splitlines()
    assert not [line for line in out_lines if PROGRESS.match(line)], "progress on stdout"
    progress = [m for line in first.stderr.splitlines() if (m := PROGRESS.match(line))]
    assert [(int(m.group(1)), int(m.group(2))) for m in progress] == [(1, 2), (2, 2)]
    assert [m.group(3) for m in progress] == [f"en/{SLUG}.pdf", f"en/{SLUG}.html"]
    summary = SUMMARY.match(out_lines[-1])
    assert summary, first.stdout
    built, current, refused, failed = map(int, summary.groups())
    assert (built, current, failed) == (2, 0, 0)
    # a language of the real catalogs refused right now is reported, and fails the build
    refusals = [line for line in out_lines if line.startswith("not published: ")]
    assert len(refusals) == refused
    assert first.returncode == (1 if refused else 0)
    assert (project / "output" / "en" / f"{SLUG}.pdf").is_file()

    second = run(project, "build", "--lang", "en", "--jobs", "1")
    assert second.returncode == first.returncode
    assert not [line for line in second.stderr.splitlines() if PROGRESS.match(line)]
    summary = SUMMARY.match(second.stdout.splitlines()[-1])
    assert summary, second.stdout
    assert summary.groups() == ("0", "2", str(refused), "0")


def test_build_unknown_language_exits_2_with_one_line(project: Path) -> None:
    result = run(project, "build", "--lang", "xx")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pipeline: error: ")
    assert "xx" in lines[0]
    assert "Traceback" not in result.stderr
    assert not list((project / "output").rglob("*.html"))


def test_build_invalid_configuration_exits_2(project: Path) -> None:
    set_min_translated(project, 8)
    result = run(project, "build")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pipeline: error: "), result.stderr
    assert "pyproject.toml" in lines[0] and "min_translated" in lines[0]


def test_build_outside_a_project_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.returncode == 2  # argparse: a command is required
    result = run(tmp_path, "build")
    assert result.returncode == 2
    assert result.stderr.startswith("pipeline: error: ")
    assert "Traceback" not in result.stderr


# --- check ----------------------------------------------------------------------------------


def test_check_real_catalogs_exits_0(project: Path) -> None:
    result = run(project, "check")
    assert "Traceback" not in result.stderr
    summary = re.search(r"^(\d+) error\(s\), (\d+) warning\(s\)$", result.stdout, re.M)
    assert summary, result.stdout
    assert summary.group(1) == "0", result.stdout
    assert result.returncode == 0  # warnings (untranslated, punctuation...) do not fail


def test_check_error_finding_exits_1(project: Path) -> None:
    line = break_figure(project)
    result = run(project, "check", "--lang", "fr")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{FR_PO}:{line}: error: [figures]" in result.stdout
    assert re.search(r"^[1-9]\d* error\(s\), \d+ warning\(s\)$", result.stdout, re.M)
    # the other languages are not concerned
    assert run(project, "check", "--lang", "ru").returncode == 0


def test_check_unparsable_catalog_exits_2_with_one_line(project: Path) -> None:
    line = break_msgid_syntax(project / RU_PO)
    result = run(project, "check")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    match = re.match(rf"^pipeline: error: {re.escape(RU_PO)}:(\d+): \S", lines[0])
    assert match, lines[0]
    assert int(match.group(1)) in (line, line + 1)


def test_check_json_is_an_array_of_findings(project: Path) -> None:
    clean = run(project, "check", "--json")
    assert clean.returncode == 0, clean.stderr
    findings = json.loads(clean.stdout)
    assert isinstance(findings, list)
    for finding in findings:
        assert set(finding) == FINDING_KEYS
        assert finding["severity"] == "warning"

    line = break_figure(project)
    broken = run(project, "check", "--json", "--lang", "fr")
    assert broken.returncode == 1
    findings = json.loads(broken.stdout)
    assert isinstance(findings, list) and findings
    for finding in findings:
        assert set(finding) == FINDING_KEYS
        assert all(isinstance(value, str) for value in finding.values())
        assert finding["lang"] == "fr"
        assert finding["severity"] in ("error", "warning")
        assert re.fullmatch(r"locale/fr/LC_MESSAGES/[a-z0-9-]+\.po:\d+", finding["location"])
    figures = [f for f in findings if f["check"] == "figures"]
    assert len(figures) == 1, figures
    assert figures[0] == {
        **figures[0],
        "lang": "fr",
        "domain": SLUG,
        "severity": "error",
        "location": f"{FR_PO}:{line}",
    }
    assert CRITICAL_MARK in figures[0]["msgid"]
    assert "80" in figures[0]["message"] and "90" in figures[0]["message"]


def test_a_build_with_nothing_to_do_loads_no_parser_and_no_renderer(project: Path) -> None:
    """An unchanged project is answered from hashes: the no-op does not import Markdown,
    Jinja2, Babel's catalogs, Pillow or WeasyPrint (their import was most of its time)."""
    assert run(project, "build").returncode == 0
    heavy = ("markdown_it", "jinja2", "babel.messages", "PIL", "weasyprint", "polib", "yaml")
    script = (
        "import sys\n"
        "from pipeline.cli import main\n"
        "code = main(['build'])\n"
        f"print(code, [m for m in {heavy!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True
    )
    assert "12 up to date" in result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stdout
