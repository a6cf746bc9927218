"""Temporary projects to build: the real one, one with more articles, one translation changed."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import polib

from benchmarks.common import BenchError, copy_project

_SLUG_LINE = re.compile(r"^slug:\s*(\S+)\s*$", re.MULTILINE)
_PROGRESS = re.compile(r"^\[\d+/\d+\] (\S+) \(", re.MULTILINE)
_INDEX = re.compile(r"^index\.html: (\d+) editions?$", re.MULTILINE)
_SUMMARY = re.compile(r"built (\d+) file\(s\), (\d+) up to date")


def article_slugs(project: Path) -> dict[Path, str]:
    """Each article of ``project/source`` and the slug in its front matter."""
    slugs: dict[Path, str] = {}
    for path in sorted((project / "source").glob("*.md")):
        match = _SLUG_LINE.search(path.read_text(encoding="utf-8"))
        if match is None:
            raise BenchError(f"{path}: no slug in the front matter")
        slugs[path] = match.group(1)
    return slugs


def language_dirs(project: Path) -> list[Path]:
    return sorted(p for p in (project / "locale").iterdir() if (p / "LC_MESSAGES").is_dir())


def make_multi_article_project(dest: Path, copies: int) -> Path:
    """The project with each article copied under ``copies`` slugs (``<slug>-1`` ...).

    Each copy gets its own ``source/<slug>-N.md`` (slug field changed), its
    own template and, in every language, a copy of the article's catalog, so
    that every language publishes every copy: 6 languages x 4 copies = 24 brochures.
    The original article is removed.
    """
    copy_project(dest)
    locale = dest / "locale"
    for path, slug in article_slugs(dest).items():
        text = path.read_text(encoding="utf-8")
        for number in range(1, copies + 1):
            new_slug = f"{slug}-{number}"
            body = _SLUG_LINE.sub(f"slug: {new_slug}", text, count=1)
            (path.parent / f"{new_slug}.md").write_text(body, encoding="utf-8")
            pot = locale / f"{slug}.pot"
            if pot.is_file():
                shutil.copy2(pot, locale / f"{new_slug}.pot")
            for lang_dir in language_dirs(dest):
                po = lang_dir / "LC_MESSAGES" / f"{slug}.po"
                if po.is_file():
                    shutil.copy2(po, lang_dir / "LC_MESSAGES" / f"{new_slug}.po")
        path.unlink()
        (locale / f"{slug}.pot").unlink(missing_ok=True)
        for lang_dir in language_dirs(dest):
            (lang_dir / "LC_MESSAGES" / f"{slug}.po").unlink(missing_ok=True)
    return dest


_MARKUP = re.compile(r"[*_`\[\]<>]|\d")


def change_one_translation(project: Path, lang: str, slug: str, word: str = "vraiment") -> str:
    """Insert ``word`` after the first word of one paragraph's translation in ``lang``.

    The paragraph chosen has no markup and no figures, so that every check
    (same marks, same numbers, same links) still passes and the language is
    still published. Returns the msgid changed.
    """
    path = project / "locale" / lang / "LC_MESSAGES" / f"{slug}.po"
    catalog = polib.pofile(str(path), wrapwidth=76)
    for entry in catalog.translated_entries():
        if "paragraph" not in entry.comment or _MARKUP.search(entry.msgid + entry.msgstr):
            continue
        first, space, rest = entry.msgstr.partition(" ")
        if not space:
            continue
        entry.msgstr = f"{first} {word} {rest}"
        catalog.save(str(path))
        return str(entry.msgid)
    raise BenchError(f"{path}: no plain paragraph translation to change")


@dataclass(frozen=True)
class BuildOutcome:
    """What one ``pipeline build`` said it did (from its stdout summary and stderr progress)."""

    rendered: tuple[str, ...]
    """Targets rendered, e.g. ``fr/<slug>.pdf``."""
    built: int
    up_to_date: int
    index_editions: int | None
    """Editions listed when the index was rewritten; None when it was not."""


def parse_build(stdout: str, stderr: str) -> BuildOutcome:
    summary = _SUMMARY.search(stdout)
    if summary is None:
        raise BenchError(f"no build summary in:\n{stdout}\n{stderr}")
    index = _INDEX.search(stderr)
    return BuildOutcome(
        tuple(sorted(_PROGRESS.findall(stderr))),
        int(summary.group(1)),
        int(summary.group(2)),
        int(index.group(1)) if index else None,
    )


def manifest_targets(project: Path) -> dict[str, str]:
    """Page and brochure path -> input key, from ``.pipeline-cache/manifest.json``."""
    data = json.loads((project / ".pipeline-cache" / "manifest.json").read_text(encoding="utf-8"))
    return {path: str(entry["key"]) for path, entry in data["files"].items() if "/" in path}
