"""Helpers shared by the test modules: copies of the real project, the CLI, PO text.

Plain functions and constants; the shared fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import polib
import pytest
from babel.messages.catalog import Catalog
from babel.support import Translations

from pipeline.article import Article
from pipeline.cli import main
from pipeline.images import ImageAttrs, choose
from pipeline.translate import LocalizedArticle

ROOT = Path(__file__).resolve().parent.parent
"""The real project: ``pyproject.toml``, ``babel.cfg``, ``source/``, ``locale/``."""
SLUG = "stem-cells-stroke-recovery"
REAL_ARTICLE = ROOT / "source" / f"{SLUG}.md"
FR_PO = f"locale/fr/LC_MESSAGES/{SLUG}.po"
CRITICAL_MARK = "5,000+"
"""A figure of the article's critical paragraph."""

CatalogFactory = Callable[[str, Mapping[str, str]], Catalog]
"""The ``make_catalog`` fixture: a catalog for a language from msgid -> msgstr."""
SampleStrings = Mapping[str, tuple[dict[str, str], dict[str, str]]]
"""The ``sample_strings`` fixture: per language, (article strings, ui strings)."""
SampleLocalized = Mapping[str, tuple[LocalizedArticle, Translations]]
"""The ``sample_localized`` fixture: per language, (localized article, ui translations)."""

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# --- copies of the project ------------------------------------------------------------------


def set_min_translated(root: Path, share: float) -> None:
    """Set ``min_translated`` of the project's ``[tool.pipeline]`` table."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    setting = f"min_translated = {share}"
    text, count = re.subn(r"(?m)^min_translated\s*=.*$", setting, text)
    if not count:
        text = text.replace("[tool.pipeline]\n", f"[tool.pipeline]\n{setting}\n", 1)
    pyproject.write_text(text, encoding="utf-8")


def copy_project(dest: Path, *, min_translated: float | None = None) -> Path:
    """The project's inputs as they are (the real catalogs), without its output.

    ``min_translated``, when given, replaces the project's setting in the copy.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "babel.cfg"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("source", "locale", "theme"):
        shutil.copytree(ROOT / name, dest / name)
    if min_translated is not None:
        set_min_translated(dest, min_translated)
    return dest


# --- running the pipeline -------------------------------------------------------------------


def run(
    root: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m pipeline *args`` in ``root``, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli(*argv: str) -> tuple[int, str, str]:
    """``pipeline *argv`` in this process, in the current folder: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# --- PO files -------------------------------------------------------------------------------


def _msgids(text: str) -> Iterator[tuple[str, int]]:
    """(msgid, 1-based line of its ``msgid`` keyword) of every entry of the PO text, in order."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith("msgid "):
            continue
        parts = [ast.literal_eval(line[len("msgid ") :])]
        for following in lines[index + 1 :]:
            if not following.startswith('"'):
                break
            parts.append(ast.literal_eval(following))
        yield "".join(parts), index + 1


def msgid_lines(text: str) -> dict[str, int]:
    """msgid -> 1-based line of its (first) ``msgid`` keyword, read from the PO text."""
    found: dict[str, int] = {}
    for msgid, line in _msgids(text):
        found.setdefault(msgid, line)
    return found


def msgid_line(text: str, needle: str) -> int:
    """1-based line of the ``msgid`` keyword of the first msgid containing ``needle``."""
    for msgid, line in _msgids(text):
        if needle in msgid:
            return line
    raise AssertionError(f"no msgid with {needle!r}")


def edit_po(path: Path, edit: Callable[[polib.POEntry], None]) -> None:
    """Apply ``edit(entry)`` to every entry of a catalog, as a translator's tool would (polib)."""
    po = polib.pofile(str(path), wrapwidth=78)
    for entry in po:
        edit(entry)
    po.save()


def change_critical_figure(entry: polib.POEntry) -> None:
    """Change "80" to "90" in the critical paragraph's msgstr (an edit for :func:`edit_po`)."""
    if CRITICAL_MARK in entry.msgid:
        changed = re.sub(r"(?<!\d)80(?!\d)", "90", entry.msgstr)
        assert changed != entry.msgstr, entry.msgstr
        entry.msgstr = changed


def break_msgid_syntax(path: Path, needle: str = "According to a specialist") -> int:
    """An unterminated string on the msgid line of a catalog; return that line."""
    text = path.read_text(encoding="utf-8")
    line = msgid_line(text, needle)
    lines = text.splitlines(keepends=True)
    lines[line - 1] = f'msgid "{needle}\n'
    path.write_text("".join(lines), encoding="utf-8")
    return line


def write_source_ui_catalog(root: Path, strings: Mapping[str, str]) -> Path:
    """``locale/en/LC_MESSAGES/ui.po`` with ``strings`` (msgid -> msgstr); return its path."""
    folder = root / "locale" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entries = "".join(
        f"\nmsgid {_po_string(msgid)}\nmsgstr {_po_string(msgstr)}\n"
        for msgid, msgstr in strings.items()
    )
    path = folder / "ui.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        + entries,
        encoding="utf-8",
    )
    return path


def _po_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def msgfmt_check(path: Path) -> subprocess.CompletedProcess[str]:
    """``msgfmt --check`` on a PO or POT file (the test is skipped without GNU gettext)."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed")
    return subprocess.run(
        [msgfmt, "--check", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


# --- images ---------------------------------------------------------------------------------


def published_images(
    article: Article, lang: str = "en", root: Path = ROOT
) -> dict[str, ImageAttrs]:
    """What a build gives ``translate(images=...)``: the image files ``lang`` shows."""

    def read(name: str) -> bytes | None:
        return (root / name).read_bytes() if (root / name).is_file() else None

    return {ref.src: choose(ref, article.path, lang, read).attrs for ref in article.images}


def _read_project_file(name: str) -> bytes | None:
    return (ROOT / name).read_bytes() if (ROOT / name).is_file() else None


def write_published_images(folder: Path, article: Article, langs: Iterable[str]) -> None:
    """The image files of ``article`` as a build writes them under an output ``folder``."""
    for lang in langs:
        for ref in article.images:
            image = choose(ref, article.path, lang, _read_project_file)
            for copy in image.renditions:
                (folder / copy.path).parent.mkdir(parents=True, exist_ok=True)
                (folder / copy.path).write_bytes(copy.data)


def with_front_matter(root: Path, fields: str) -> Path:
    """The project's article with ``fields`` (YAML lines) added to its front matter."""
    article = root / "source" / f"{SLUG}.md"
    text = article.read_text("utf-8")
    article.write_text(
        text.replace("publisher: MedTravellers\n", f"publisher: MedTravellers\n{fields}", 1),
        "utf-8",
    )
    return article
