"""Translation memory: a second article that repeats the first is mostly translated already.

The second article here repeats six of its nine texts from the project's real article, word
for word (the FAQ's questions and answers, a heading), changes one slightly, and adds two.
GNU ``msgmerge --compendium`` would fill the six; ``pipeline update`` does, and offers the
changed one as fuzzy with its source shown as ``#| msgid``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import polib
import pytest
from helpers import ROOT, SLUG, copy_project, msgfmt_check, run

from pipeline.memory import Memory, fill, read_tmx

FR = "locale/fr/LC_MESSAGES"


def real(comment: str, start: str) -> str:
    pot = polib.pofile(str(ROOT / "locale" / f"{SLUG}.pot"))
    return next(e.msgid for e in pot if e.comment.startswith(comment) and e.msgid.startswith(start))


REPEATED = [
    real("heading", "FAQ"),
    real("heading", "Can stem cell therapy reverse"),
    real("paragraph", "Not completely"),
    real("heading", "How long after a stroke"),
    real("paragraph", "Treatment can be considered"),
    real("heading", "Who is a good candidate"),
]
CHANGED = real("paragraph", "Stroke survivors with residual").replace("Stroke", "Brain injury", 1)
NEW = ["Knee replacement is a different operation.", "Ask your surgeon about rehabilitation."]


def second_article() -> str:
    head = (
        "---\ntitle: Questions patients ask\nslug: questions\nlang: en\n"
        "description: Answers before you travel.\npublisher: MedTravellers\nreferences: []\n---\n"
    )
    blocks = [
        f"## {REPEATED[0]}",
        f"### {REPEATED[1]}",
        REPEATED[2],
        f"### {REPEATED[3]}",
        REPEATED[4],
        f"### {REPEATED[5]}",
        CHANGED,
        *NEW,
    ]
    return head + "\n" + "\n\n".join(blocks) + "\n"


def french(root: Path, slug: str) -> dict[str, polib.POEntry]:
    return {e.msgid: e for e in polib.pofile(str(root / FR / f"{slug}.po"))}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = copy_project(tmp_path / "project")
    (root / "source" / "questions.md").write_text(second_article(), encoding="utf-8")
    return root


def test_update_fills_a_new_article_from_what_the_language_already_says(project: Path) -> None:
    result = run(project, "update")
    assert result.returncode == 0, result.stderr
    assert "translation memory, fr: 6 entries filled, 1 offered as fuzzy" in result.stdout
    first, second = french(project, SLUG), french(project, "questions")
    for text in REPEATED:
        assert second[text].msgstr == first[text].msgstr and second[text].msgstr
        assert "fuzzy" not in second[text].flags
    close = second[CHANGED]
    assert "fuzzy" in close.flags
    assert close.previous_msgid == real("paragraph", "Stroke survivors with residual")
    assert close.msgstr == first[close.previous_msgid].msgstr
    for text in NEW:
        assert second[text].msgstr == ""
    assert msgfmt_check(project / FR / "questions.po").returncode == 0


def test_memory_never_overwrites_a_translation(project: Path) -> None:
    assert run(project, "update").returncode == 0
    po = polib.pofile(str(project / FR / "questions.po"))
    mine = next(e for e in po if e.msgid == REPEATED[2])
    mine.msgstr = "Pas entièrement : ma propre traduction."
    po.save()
    result = run(project, "update")
    assert result.returncode == 0, result.stderr
    assert french(project, "questions")[REPEATED[2]].msgstr == mine.msgstr
    assert "translation memory" not in result.stdout  # nothing left to fill


def test_the_same_text_in_another_context_is_only_close() -> None:
    memory = Memory()
    memory.add("Book now", "Réservez maintenant", "button")
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="fr")
    catalog.add("Book now", "", context="heading")
    catalog.add("Book now", "", context="button")
    assert fill(catalog, memory) == (1, 1)
    heading = catalog.get("Book now", context="heading")
    assert heading is not None and heading.fuzzy and heading.string == "Réservez maintenant"
    button = catalog.get("Book now", context="button")
    assert button is not None and not button.fuzzy


def test_a_tmx_file_from_a_cat_tool_serves_its_languages(project: Path) -> None:
    tmx = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4">
  <header creationtool="memoQ" datatype="PlainText" segtype="sentence" adminlang="en"
          srclang="en-US" o-tmf="memoQ"/>
  <body>
    <tu><tuv xml:lang="en-US"><seg>Knee replacement is a different operation.</seg></tuv>
        <tuv xml:lang="fr-FR"><seg>La prothèse du genou est une autre opération.</seg></tuv>
        <tuv xml:lang="ru-RU"><seg>Эндопротезирование колена — другая операция.</seg></tuv></tu>
    <tu><tuv xml:lang="en-US"><seg>Ask your surgeon <ph>&lt;b&gt;</ph>now</seg></tuv>
        <tuv xml:lang="fr-FR"><seg>Demandez <ph>&lt;b&gt;</ph>maintenant</seg></tuv></tu>
  </body>
</tmx>
"""
    (project / "memory").mkdir()
    (project / "memory" / "export.tmx").write_text(tmx, encoding="utf-8")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    pyproject.write_text(
        text.replace("[tool.pipeline]\n", '[tool.pipeline]\nmemory = ["memory/export.tmx"]\n', 1),
        "utf-8",
    )
    result = run(project, "update")
    assert result.returncode == 0, result.stderr
    assert (
        french(project, "questions")[NEW[0]].msgstr
        == "La prothèse du genou est une autre opération."
    )
    ru = {e.msgid: e for e in polib.pofile(str(project / "locale/ru/LC_MESSAGES/questions.po"))}
    assert ru[NEW[0]].msgstr == "Эндопротезирование колена — другая операция."
    assert french(project, "questions")[NEW[1]].msgstr == ""  # inline markup: not read
    units = list(read_tmx(tmx.encode(), "x.tmx", "en"))
    assert ("fr-FR", NEW[0], "La prothèse du genou est une autre opération.") in units


def test_a_gnu_compendium_serves_its_language(project: Path) -> None:
    compendium = project / "memory" / "fr.po"
    compendium.parent.mkdir()
    compendium.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: fr\\n"\n\n'
        f'msgid "{NEW[1]}"\nmsgstr "Interrogez votre chirurgien sur la rééducation."\n',
        encoding="utf-8",
    )
    assert msgfmt_check(compendium).returncode == 0
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    pyproject.write_text(
        text.replace("[tool.pipeline]\n", '[tool.pipeline]\nmemory = ["memory/fr.po"]\n', 1),
        "utf-8",
    )
    assert run(project, "update").returncode == 0
    assert french(project, "questions")[NEW[1]].msgstr.startswith("Interrogez")


def test_gnu_msgmerge_with_the_same_compendium_fills_the_same_six(project: Path) -> None:
    """The reference: msgmerge -C over the same project catalogs."""
    assert run(project, "extract").returncode == 0
    merged = subprocess.run(
        ["msgmerge", "--no-fuzzy-matching", "-C", str(project / FR / f"{SLUG}.po"),
         "/dev/null", str(project / "locale" / "questions.pot"), "-o", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    gnu = {e.msgid: e.msgstr for e in polib.pofile(merged) if e.msgstr}
    assert set(gnu) == set(REPEATED)
    assert run(project, "update").returncode == 0
    ours = {k: e.msgstr for k, e in french(project, "questions").items()
            if e.msgstr and "fuzzy" not in e.flags}  # fmt: skip
    assert ours == gnu
