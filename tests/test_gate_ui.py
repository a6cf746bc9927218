"""What the gate remembers and redoes: the ``ui`` catalog is checked once per language
(it is the same for every article), and verdicts no input has any more are forgotten.

Each (article, language) is gated on its own catalog and on the ``ui`` one; with
many articles, checking ``ui`` again for each was most of the gate's time.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import polib
import pytest
from helpers import SLUG, copy_project, edit_po

import pipeline.build.gating as gating
from pipeline.build import BuildOptions, build
from pipeline.project import load_config


def _second_article(root: Path, slug: str) -> None:
    """The sample article again under ``slug``, with its catalogs."""
    source = root / "source" / f"{SLUG}.md"
    text = re.sub(r"^slug:.*$", f"slug: {slug}", source.read_text("utf-8"), count=1, flags=re.M)
    (root / "source" / f"{slug}.md").write_text(text, "utf-8")
    for po in (root / "locale").glob(f"*/LC_MESSAGES/{SLUG}.po"):
        shutil.copy2(po, po.with_name(f"{slug}.po"))


def _double_last_word(entry: polib.POEntry) -> None:
    """ "Nous contacter" -> "Nous contacter contacter": a doubled word (a warning)."""
    if entry.msgid == "Contact us" and entry.msgstr:
        entry.msgstr = f"{entry.msgstr} {entry.msgstr.split()[-1]}"


def test_the_ui_catalog_is_checked_once_for_all_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(tmp_path / "project")
    _second_article(root, "second-article")
    edit_po(root / "locale" / "fr" / "LC_MESSAGES" / "ui.po", _double_last_word)
    checked: list[tuple[str, str]] = []
    check_catalog = gating.check_catalog

    def counting(*args: Any, **kwargs: Any) -> Any:
        checked.append((kwargs["lang"], kwargs["domain"]))
        return check_catalog(*args, **kwargs)

    monkeypatch.setattr(gating, "check_catalog", counting)
    report = build(load_config(root), BuildOptions(("fr",), jobs=1))
    assert report.ok
    assert sorted(checked) == sorted([("fr", SLUG), ("fr", "second-article"), ("fr", "ui")])
    doubled = [f for f in report.findings if f.check == "doubled-word" and f.domain == "ui"]
    assert doubled and all(f.path == "locale/fr/LC_MESSAGES/ui.po" for f in doubled)
    published = {target.path for target, _ in report.built}
    assert {f"fr/{SLUG}.pdf", "fr/second-article.pdf"} <= published


def test_rebuilding_one_language_again_and_again_keeps_one_verdict_per_edition(
    tmp_path: Path,
) -> None:
    """``pipeline serve`` builds ``--lang fr`` at every save: the manifest must not grow."""
    root = copy_project(tmp_path / "project")
    config = load_config(root)
    assert build(config, BuildOptions(jobs=1)).ok
    manifest = root / ".pipeline-cache" / "manifest.json"
    before = json.loads(manifest.read_text("utf-8"))["gates"]
    catalog = root / "locale" / "fr" / "LC_MESSAGES" / f"{SLUG}.po"
    for word in ("alpha", "beta", "gamma"):
        edit_po(catalog, lambda e, w=word: _add_word(e, w))
        assert build(config, BuildOptions(("fr",), jobs=1)).ok
    after = json.loads(manifest.read_text("utf-8"))["gates"]
    assert len(after) == len(before)
    others = {k: v for k, v in before.items() if v.get("lang") != "fr"}
    assert others and all(after.get(k) == v for k, v in others.items())  # theirs are kept


def _add_word(entry: polib.POEntry, word: str) -> None:
    if entry.msgstr.endswith(".") and "<" not in entry.msgstr and entry.msgid.startswith("Stem"):
        entry.msgstr = f"{entry.msgstr[:-1]} {word}."
