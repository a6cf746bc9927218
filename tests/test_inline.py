"""Inline Markdown of a translation: rendered safely, with the source's link targets only."""

from __future__ import annotations

import pytest

from pipeline.inline import image_sources, inline_structure, link_targets, plain_text, render_inline


def test_foreign_link_targets_are_pinned_to_the_sources_by_position() -> None:
    source = "[a](https://a.example/) [b](https://b.example/) [c](https://c.example/)"
    html = str(render_inline("[x](evil1) [y](evil2) [z](evil3)", source=source))
    assert html == (
        '<a href="https://a.example/">x</a> <a href="https://b.example/">y</a> '
        '<a href="https://c.example/">z</a>'
    )


def test_a_link_beyond_the_sources_is_dropped_and_its_text_kept() -> None:
    source = "[a](https://a.example/)"
    html = str(render_inline("[x](evil1) [y](evil2) [a](https://a.example/) end", source=source))
    assert html == ('<a href="https://a.example/">x</a> y <a href="https://a.example/">a</a> end')


def test_an_image_beyond_the_sources_becomes_its_alt_text() -> None:
    html = str(render_inline("See ![the map](evil.png) here.", source="See here."))
    assert html == "See the map here."


def test_a_foreign_image_is_pinned_to_the_sources_image() -> None:
    html = str(render_inline("![carte](evil.png)", source="![map](images/map.png)"))
    assert html == '<img src="images/map.png" alt="carte" />'


def test_targets_and_sources_are_read_from_the_markup() -> None:
    text = 'See [a](https://a.example/ "T") and ![b](x.png) and <https://c.example/>'
    assert link_targets(text) == ["https://a.example/", "https://c.example/"]
    assert image_sources(text) == ["x.png"]
    assert inline_structure(text) == ["a", "image", "a"]


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("**Bold** and `code`", "Bold and code"),
        ("line one\nline two", "line one line two"),
        ("break  \nhere", "break here"),
        ("![a brain scan](x.png) after", "a brain scan after"),
        ("[link text](https://x.example/)", "link text"),
    ],
)
def test_plain_text_keeps_every_word_and_no_markup(text: str, plain: str) -> None:
    assert plain_text(text) == plain


def test_tables_and_strikethrough_are_read_as_markup() -> None:
    assert inline_structure("~~old~~") == ["s"]
    assert str(render_inline("~~old~~")) == "<s>old</s>"


def test_raw_html_in_a_translation_is_text() -> None:
    assert str(render_inline("<b>bold</b>")) == "&lt;b&gt;bold&lt;/b&gt;"
