"""Inline HTML: `<br>`, `<sup>` and `<sub>` are published; other tags are refused at their line.

Before, ``m<sup>2</sup>`` reached the catalog and the page showed the tags as text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import copy_project, run

from pipeline.checks import CheckContext, Entry, check_markup, check_unsafe_markup
from pipeline.errors import SourceError
from pipeline.inline import plain_text, render_inline
from pipeline.markdown import parse_article
from pipeline.translate import localize

HEAD = "---\ntitle: T\nslug: t\nlang: en\ndescription: D.\npublisher: P\nreferences: []\n---\n\n"
BODY_LINE = HEAD.count("\n") + 1
SOURCE = "A dose of 2 mg/m<sup>2</sup> in H<sub>2</sub>O,<br>\ntwice a day."


def page(body: str, translations: dict[tuple[str, str | None], str] | None = None) -> str:
    article = parse_article(HEAD + body, "source/t.md")
    localized = localize(article, "fr", translations or {}, source_lang="en")
    return "\n".join(str(localized.block_html(block)) for block in article.walk())


def test_superscript_subscript_and_line_break_are_published_as_markup() -> None:
    article = parse_article(HEAD + SOURCE + "\n", "source/t.md")
    assert [unit.msgid for unit in article.units()][-1] == SOURCE
    html = page(SOURCE + "\n")
    assert "mg/m<sup>2</sup> in H<sub>2</sub>O,<br>" in html
    assert "&lt;" not in html
    assert " ".join(plain_text(SOURCE).split()) == "A dose of 2 mg/m2 in H2O, twice a day."


@pytest.mark.parametrize(
    "tag",
    ["<span>", "<b>", '<img src="x" onerror="alert(1)">', '<a href="https://x.example">',
     "<!-- note -->", '<sup class="x">', "<br class=x>"],
)  # fmt: skip
def test_other_inline_html_is_refused_at_its_line(tag: str) -> None:
    body = f"First line of the paragraph,\nthen {tag}text.\n"
    with pytest.raises(SourceError) as error:
        parse_article(HEAD + body, "source/t.md")
    assert str(error.value).startswith(f"source/t.md:{BODY_LINE + 1}: inline HTML ")


@pytest.mark.parametrize("body", ["x<sup>2\n", "x</sup>2<sup>\n", "<sup><sub>2</sup></sub>\n"])
def test_superscripts_that_do_not_close_in_order_are_refused(body: str) -> None:
    with pytest.raises(SourceError, match="must be closed, in order"):
        parse_article(HEAD + "Text.\n\n" + body, "source/t.md")


def test_the_command_line_refuses_with_file_and_line(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    (root / "source" / "x.md").write_text(
        HEAD.replace("slug: t", "slug: x") + "Take <span>one</span> pill.\n", encoding="utf-8"
    )
    result = run(root, "extract")
    assert result.returncode == 2
    assert f"source/x.md:{BODY_LINE}: inline HTML '<span>'" in result.stderr


@pytest.mark.parametrize(
    "translated",
    ["Une dose de 2 mg/m<sup onclick=alert(1)>2</sup>.", "Une dose <script>alert(1)</script>",
     "Une dose de 2 mg/m<sup>2 sans fin", "Une dose de 2 mg/m</sup>2<sup>"],
)  # fmt: skip
def test_a_translation_cannot_make_other_html_or_unbalanced_tags_active(translated: str) -> None:
    html = str(render_inline(translated, source=SOURCE))
    assert "<sup" not in html and "<script" not in html
    assert "&lt;" in html


def test_the_checks_name_a_missing_or_unsafe_tag() -> None:
    context = CheckContext.for_language("fr", coverage=None)
    dropped = Entry(SOURCE, "Une dose de 2 mg/m2 dans H2O,<br>\ndeux fois par jour.")
    assert check_markup(dropped, context) == [
        ("error", "markup differs: missing markup superscript, subscript")
    ]
    hostile = Entry(SOURCE, "2 mg/m<sup onclick=alert(1)>2</sup> H<sub>2</sub>O<br>")
    assert check_unsafe_markup(hostile, context)[0][1].startswith("unsafe markup: ")
    faithful = Entry(SOURCE, "Une dose de 2 mg/m<sup>2</sup> dans H<sub>2</sub>O,<br>deux fois.")
    assert check_markup(faithful, context) == []
    assert check_unsafe_markup(faithful, context) == []
    assert "<sup>2</sup>" in page(SOURCE + "\n", {(SOURCE, None): faithful.msgstr})


def test_a_line_break_stays_when_a_superscript_beside_it_is_not_closed() -> None:
    html = str(render_inline("a<br>b<sup>c", source="a<br>b"))
    assert html == "a<br>b&lt;sup&gt;c"


def test_a_line_break_is_the_same_markup_and_text_as_a_markdown_hard_break() -> None:
    from pipeline.inline import inline_structure

    assert inline_structure("a<BR />b") == inline_structure("a\\\nb") == ["hardbreak"]
    assert inline_structure("x<sup>2</sup> y<sub>3</sub>") == ["sup", "sub"]
    assert plain_text("a<br>b") == "a b"
    context = CheckContext.for_language("fr", coverage=None)
    assert check_markup(Entry("one<br>two", "un\\\ndeux"), context) == []
