"""The ``pipeline build`` and ``pipeline check`` command lines, as separate processes.

Each test runs ``python -m pipeline`` in a copy of the project: progress on
stderr, results on stdout, one-line errors without a traceback, and the
documented exit statuses (0 success, 1 errors found, 2 unusable input).
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
SLUG = "stem-cells-stroke-recovery"
FR_PO = f"locale/fr/LC_MESSAGES/{SLUG}.po"
RU_PO = f"locale/ru/LC_MESSAGES/{SLUG}.po"
CRITICAL_MARK = "5,000+"
FINDING_KEYS = {"lang", "domain", "msgid", "check", "severity", "message", "location"}
PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] (\S+) \(\d+\.\d\d s\)$")
SUMMARY = re.compile(
    r"^built (\d+) file\(s\), (\d+) up to date, (\d+) not published, (\d+) failed in \d+\.\d s$"
)


def copy_project(dest: Path) -> Path:
    """The project's inputs as they are now (the real catalogs), without its output."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "babel.cfg"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("source", "locale"):
        shutil.copytree(ROOT / name, dest / name)
    return dest


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def msgid_line(text: str, needle: str) -> int:
    """1-based line of the ``msgid`` keyword of the first msgid containing ``needle``."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith("msgid "):
            continue
        parts = [ast.literal_eval(line[len("msgid ") :])]
        for following in lines[index + 1 :]:
            if not following.startswith('"'):
                break
            parts.append(ast.literal_eval(following))
        if needle in "".join(parts):
            return index + 1
    raise AssertionError(f"no msgid with {needle!r}")


def break_figure(root: Path) -> int:
    """Change "80" to "90" in the French critical paragraph; return its msgid line."""
    po = polib.pofile(str(root / FR_PO), wrapwidth=78)
    for entry in po:
        if CRITICAL_MARK in entry.msgid:
            changed = re.sub(r"(?<!\d)80(?!\d)", "90", entry.msgstr)
            assert changed != entry.msgstr, entry.msgstr
            entry.msgstr = changed
    po.save()
    return msgid_line((root / FR_PO).read_text(encoding="utf-8"), CRITICAL_MARK)


def break_syntax(root: Path, path: str) -> int:
    """An unterminated string on the msgid line of a catalog; return that line."""
    po = root / path
    text = po.read_text(encoding="utf-8")
    line = msgid_line(text, "According to a specialist")
    lines = text.splitlines(keepends=True)
    lines[line - 1] = 'msgid "According to a specialist\n'
    po.write_text("".join(lines), encoding="utf-8")
    return line


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
    pyproject = project / "pyproject.toml"
    text = re.sub(r"(?m)^min_translated\s*=.*$", "min_translated = 8", pyproject.read_text())
    pyproject.write_text(text, encoding="utf-8")
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
    line = break_syntax(project, RU_PO)
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
