"""Markdown the pipeline cannot publish whole is refused at its line, never dropped silently."""

from __future__ import annotations

import pytest
from helpers import copy_project, run

from pipeline.errors import SourceError
from pipeline.markdown import parse_article

HEAD = "---\ntitle: T\nslug: t\nlang: en\ndescription: D.\npublisher: P\nreferences: []\n---\n\n"
BODY_LINE = HEAD.count("\n") + 1


def units(body: str) -> list[str]:
    return [unit.msgid for unit in parse_article(HEAD + body, "source/t.md").units()]


def refusal(body: str) -> str:
    with pytest.raises(SourceError) as error:
        parse_article(HEAD + body, "source/t.md")
    return str(error.value)


def test_a_list_nested_twelve_levels_is_read_whole() -> None:
    body = "".join("  " * i + f"- item {i}\n" for i in range(12)) + "\nAfter the list.\n"
    assert units(body)[-2:] == ["item 11", "After the list."]


def test_a_quote_nested_twenty_one_levels_is_read_whole() -> None:
    assert units("> " * 21 + "deep\n\nAfter.\n")[-2:] == ["deep", "After."]


def test_nesting_deeper_than_the_parser_follows_is_refused_where_text_is_lost() -> None:
    body = "".join("  " * i + f"- item {i}\n" for i in range(25)) + "\nAfter the list.\n"
    message = refusal(body)
    assert message.startswith(f"source/t.md:{BODY_LINE + 19}: lists and quotes nested too deeply")


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("Before.\n\n<!-- critical\n\nLost text.\n", 2, "never closed"),
        ("<!-- critical --> Text here.\n", 0, "on the next line"),
        ("<div>\nInside a div\n</div>\n", 0, "raw HTML"),
        ("<details>\n<summary>More</summary>\nHidden text\n</details>\n", 0, "raw HTML"),
        ("Text.\n\n<!-- a note to the editor -->\n", 2, "HTML comment"),
    ],
)
def test_raw_html_and_broken_comments_are_refused_at_their_line(
    body: str, line: int, words: str
) -> None:
    message = refusal(body)
    assert message.startswith(f"source/t.md:{BODY_LINE + line}: ")
    assert words in message


def test_our_own_comments_still_mark_the_next_block() -> None:
    article = parse_article(HEAD + "<!-- critical -->\nTake the dose.\n", "source/t.md")
    assert [u.msgid for u in article.units() if u.critical] == ["Take the dose."]


def test_extract_and_build_stop_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = copy_project(tmp_path / "project")
    article = next((root / "source").glob("*.md"))
    article.write_text(article.read_text("utf-8") + "\n<div>\nHidden\n</div>\n", "utf-8")
    for verb in ("extract", "build"):
        done = run(root, verb)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "raw HTML is not published" in done.stderr
