"""Markdown articles to units: front matter, body segmentation, errors, inline rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.article import Article, Block, Unit
from pipeline.catalog import article_template
from pipeline.errors import SourceError
from pipeline.inline import inline_structure, link_targets, plain_text, render_inline
from pipeline.markdown import is_translatable, parse_article

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
SEGMENTATION = FIXTURES / "segmentation.md"
NAME = "source/segmentation.md"
FRONT = "---\ntitle: T\nslug: s\nlang: en\n---\n"
"""Five lines of front matter: the body starts on line 6."""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line of ``text`` that contains ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not in fixture"
    return hits[nth - 1]


@pytest.fixture(scope="module")
def source() -> str:
    return SEGMENTATION.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def article(source: str) -> Article:
    return parse_article(source, NAME)


def units_by_msgid(article: Article) -> dict[str, list[Unit]]:
    result: dict[str, list[Unit]] = {}
    for unit in article.units():
        result.setdefault(unit.msgid, []).append(unit)
    return result


def only(article: Article, msgid: str) -> Unit:
    found = units_by_msgid(article)[msgid]
    assert len(found) == 1, found
    return found[0]


def block_with(article: Article, msgid: str) -> Block:
    blocks = [b for b in article.walk() if b.unit is not None and b.unit.msgid == msgid]
    assert len(blocks) == 1, blocks
    return blocks[0]


def body(markdown: str) -> Article:
    return parse_article(FRONT + markdown, "source/s.md")


def body_units(markdown: str) -> list[Unit]:
    article = body(markdown)
    return [u for u in article.units() if u is not article.meta.title_unit]


# --- front matter ---------------------------------------------------------------------------


def test_front_matter_fields(article: Article) -> None:
    meta = article.meta
    assert meta.title == "Stem cells after a stroke"
    assert meta.slug == "segmentation" == article.slug
    assert meta.lang == "en"
    assert meta.description == "What every block of an article becomes in the catalog."
    assert meta.publisher == "Test Press"
    assert [(r.title, r.url) for r in meta.references] == [
        ("A first study of stem cells", "https://example.org/study-one"),
        ("A second study of stroke recovery", "https://example.org/study-two"),
    ]
    assert article.path == NAME


def test_front_matter_unit_lines(article: Article, source: str) -> None:
    title = article.meta.title_unit
    assert (title.msgid, title.comment, title.line) == (
        "Stem cells after a stroke",
        "title",
        line_of(source, "title: Stem cells"),
    )
    assert title.line == 2
    description = article.meta.description_unit
    assert description is not None
    assert (description.comment, description.line) == ("description", 5)
    first, second = (r.unit for r in article.meta.references)
    assert (first.comment, first.line, first.critical, first.reference) == (
        "reference title",
        8,
        True,
        True,
    )
    assert (second.comment, second.line, second.critical, second.reference) == (
        "reference title",
        10,
        True,
        True,
    )
    assert line_of(source, "A second study") == 10


def test_units_reading_order(article: Article) -> None:
    msgids = [u.msgid for u in article.units()]
    assert msgids[:3] == [
        "Stem cells after a stroke",
        "What every block of an article becomes in the catalog.",
        "Level one heading",
    ]
    assert msgids[-2:] == ["A first study of stem cells", "A second study of stroke recovery"]


def test_no_description_means_no_description_unit() -> None:
    article = body("Text.\n")
    assert article.meta.description_unit is None
    assert [u.msgid for u in article.units()] == ["T", "Text."]


def test_crlf_line_endings_keep_line_numbers() -> None:
    text = "---\r\ntitle: T\r\nslug: s\r\nlang: en\r\n---\r\n\r\nBody text\r\n"
    article = parse_article(text, "source/s.md")
    assert [(u.msgid, u.line) for u in article.units()] == [("T", 2), ("Body text", 7)]


# --- body segmentation ----------------------------------------------------------------------


def test_headings_of_all_levels(article: Article, source: str) -> None:
    names = ["one", "two", "three", "four", "five", "six"]
    headings = list(article.headings())
    assert [(h.level, h.text) for h in headings] == [
        (level, f"Level {name} heading") for level, name in enumerate(names, 1)
    ]
    for heading in headings:
        assert heading.unit is not None
        assert heading.unit.comment == "heading"
        assert heading.unit.line == heading.line == line_of(source, heading.text)


def test_setext_heading() -> None:
    article = body("Intro\n\nSetext title\n============\n\nSub title\n---------\n")
    assert [(h.level, h.text, h.line) for h in article.headings()] == [
        (1, "Setext title", 8),
        (2, "Sub title", 11),
    ]


def test_paragraph_unit(article: Article, source: str) -> None:
    units = units_by_msgid(article)["A plain paragraph about recovery."]
    assert [(u.comment, u.line) for u in units] == [
        ("paragraph", line_of(source, "A plain paragraph")),
        ("paragraph", line_of(source, "A plain paragraph", 2)),
    ]


def test_bullet_list_one_unit_per_item_nested(article: Article, source: str) -> None:
    lists = [b for b in article.walk() if b.kind == "bullet_list"]
    outer = lists[0]
    assert [c.kind for c in outer.children] == ["item", "item"]
    second = outer.children[1]
    assert [c.kind for c in second.children] == ["paragraph", "bullet_list"]
    nested = second.children[1]
    assert [c.children[0].text for c in nested.children] == [
        "Nested bullet item",
        "Another nested item",
    ]
    for msgid in (
        "First bullet item",
        "Second bullet item",
        "Nested bullet item",
        "Another nested item",
    ):
        unit = only(article, msgid)
        assert unit.comment == "list item"
        assert unit.line == line_of(source, msgid)


def test_ordered_list_start_and_items(article: Article, source: str) -> None:
    (ordered,) = [b for b in article.walk() if b.kind == "ordered_list"]
    assert ordered.start == 3
    assert ordered.line == line_of(source, "3. Third")
    texts = [item.children[0].unit.msgid for item in ordered.children if item.children[0].unit]
    assert texts == ["Third numbered step", "Fourth numbered step"]
    assert only(article, "Fourth numbered step").line == line_of(source, "4. Fourth")


def test_ordered_list_default_start_and_new_delimiter() -> None:
    article = body("1. one\n2. two\n\n7) seven\n")
    lists = [b for b in article.walk() if b.kind == "ordered_list"]
    assert [(b.start, b.line) for b in lists] == [(1, 6), (7, 9)]


def test_table_header_and_cells_with_alignment(article: Article) -> None:
    (table,) = [b for b in article.walk() if b.kind == "table"]
    cells = [b for b in table.walk() if b.kind == "cell"]
    assert [(c.text, c.header, c.align) for c in cells] == [
        ("Treatment", True, "left"),
        ("Sessions", True, "center"),
        ("Cost", True, "right"),
        ("Infusion", False, "left"),
        ("Four", False, "center"),
        ("High", False, "right"),
    ]
    assert [c.unit.comment for c in cells if c.unit] == ["table header"] * 3 + ["table cell"] * 3


def test_table_without_alignment_has_no_align() -> None:
    cells = [b for b in body("| A | B |\n|---|---|\n| c | d |\n").walk() if b.kind == "cell"]
    assert [c.align for c in cells] == [None] * 4


def test_table_cell_lines_are_their_rows(article: Article, source: str) -> None:
    header_line = line_of(source, "| Treatment")
    row_line = line_of(source, "| Infusion")
    assert only(article, "Treatment").line == header_line
    assert only(article, "Infusion").line == row_line


def test_quote_paragraphs(article: Article, source: str) -> None:
    unit = only(article, "A quoted sentence from a doctor.")
    assert (unit.comment, unit.line) == ("quote", line_of(source, "> A quoted"))
    units = body_units("> first quoted\n>\n> second quoted\n")
    assert [(u.msgid, u.comment, u.line) for u in units] == [
        ("first quoted", "quote", 6),
        ("second quoted", "quote", 8),
    ]


def test_image_alone_is_an_image_block(article: Article, source: str) -> None:
    image = block_with(article, "A brain scan after treatment")
    assert image.kind == "image"
    assert image.src == "images/scan.png"
    assert image.title == "Scan"
    assert image.unit is not None
    assert image.unit.comment == "image alt"
    assert image.unit.line == line_of(source, "![A brain scan")


def test_inline_image_stays_in_paragraph(article: Article) -> None:
    block = block_with(article, "Text with an inline ![small icon](images/icon.png) image.")
    assert block.kind == "paragraph"
    assert block.unit is not None and block.unit.comment == "paragraph"


def test_link_with_title_kept_in_msgid(article: Article) -> None:
    msgid = 'Read [the study](https://example.org/study "Full study") before deciding.'
    assert only(article, msgid).comment == "paragraph"
    assert link_targets(msgid) == ["https://example.org/study"]


def test_hard_line_breaks_kept_in_msgid(article: Article, source: str) -> None:
    msgid = "First line with two spaces  \nsecond line after a backslash\\\nthird line."
    unit = only(article, msgid)
    assert unit.line == line_of(source, "First line with two spaces")
    assert inline_structure(msgid) == ["hardbreak", "hardbreak"]


def test_code_blocks_not_translatable(article: Article) -> None:
    codes = [b for b in article.walk() if b.kind == "code"]
    assert [(c.text, c.info, c.unit) for c in codes] == [
        ('print("not translatable")\n', "python", None)
    ]
    assert not any("not translatable" in u.msgid for u in article.units())
    indented = body("Intro text.\n\n    indented code here\n")
    (code,) = [b for b in indented.walk() if b.kind == "code"]
    assert code.unit is None and code.text == "indented code here\n"


def test_url_alone_and_figure_alone_not_translatable(article: Article) -> None:
    url = [b for b in article.walk() if b.text == "https://example.org/a-url-alone"]
    assert len(url) == 1 and url[0].kind == "paragraph" and url[0].unit is None
    figure = [b for b in article.walk() if b.kind == "image" and b.src == "images/figure-1.png"]
    assert len(figure) == 1 and figure[0].unit is None
    assert not any("a-url-alone" in u.msgid for u in article.units())
    assert body_units("<https://example.org/>\n\n![12](fig.png)\n\n2024\n\n---\n") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello", True),
        ("https://example.org/x", False),
        ("<https://example.org/x>", False),
        ("mailto:someone@example.org", False),
        ("See https://example.org/x", True),
        ("12, 34.", False),
        ("", False),
        ("Приве́т", True),
    ],
)
def test_is_translatable(text: str, expected: bool) -> None:
    assert is_translatable(text) is expected


def test_critical_marks_the_next_block_only(article: Article) -> None:
    assert only(article, "Take the dose that your doctor prescribes.").critical
    assert not only(article, "A paragraph after the critical one.").critical


def test_critical_list_marks_every_unit_inside(article: Article) -> None:
    assert only(article, "Critical outer item").critical
    assert only(article, "Critical nested item").critical
    units = body_units("<!-- critical -->\n- a item\n- b item\n  - c nested\n\nafter\n")
    assert [(u.msgid, u.critical) for u in units] == [
        ("a item", True),
        ("b item", True),
        ("c nested", True),
        ("after", False),
    ]


def test_critical_table_and_quote() -> None:
    table = body_units("<!-- critical -->\n| Dose | Time |\n|---|---|\n| Ten mg | Noon |\n")
    assert [u.critical for u in table] == [True] * 4
    quote = body_units("<!-- critical -->\n> first warn\n>\n> second warn\n\nafter\n")
    assert [(u.msgid, u.critical) for u in quote] == [
        ("first warn", True),
        ("second warn", True),
        ("after", False),
    ]


def test_heading_inside_critical_list_is_critical() -> None:
    units = body_units("<!-- critical -->\n- # Heading in item\n- plain item\n")
    assert [(u.msgid, u.critical) for u in units] == [
        ("Heading in item", True),
        ("plain item", True),
    ]


def test_critical_before_code_is_consumed_by_the_code() -> None:
    units = body_units("<!-- critical -->\n```\ncode\n```\n\nnext paragraph\n")
    assert [(u.msgid, u.critical) for u in units] == [("next paragraph", False)]


def test_critical_before_rule_does_not_leak() -> None:
    units = body_units("<!-- critical -->\n***\n\nnext paragraph\n")
    assert [(u.msgid, u.critical) for u in units] == [("next paragraph", False)]


def test_msgctxt_sets_context_of_next_block(article: Article, source: str) -> None:
    units = units_by_msgid(article)["Continue"]
    assert [(u.context, u.line) for u in units] == [
        ("button", line_of(source, "Continue")),
        (None, line_of(source, "Continue", 2)),
    ]
    assert units[0].key == ("Continue", "button")


def test_msgctxt_and_critical_together() -> None:
    for comments in (
        "<!-- critical -->\n<!-- msgctxt: c -->\n",
        "<!-- msgctxt: c -->\n<!-- critical -->\n",
    ):
        (unit,) = body_units(comments + "Stop now\n")
        assert (unit.context, unit.critical) == ("c", True)


def test_msgctxt_before_quote_applies_inside() -> None:
    units = body_units("<!-- msgctxt: q -->\n> quoted text\n")
    assert [u.context for u in units] == ["q"]


def test_msgctxt_before_list_applies_to_items() -> None:
    units = body_units("<!-- msgctxt: nav -->\n- outer item\n  - inner item\n")
    assert [(u.msgid, u.context) for u in units] == [
        ("outer item", "nav"),
        ("inner item", "nav"),
    ]


def test_identical_texts_merge_into_one_template_entry(article: Article, source: str) -> None:
    template = article_template(article)
    message = template.get("A plain paragraph about recovery.")
    assert message is not None
    assert message.locations == [
        (NAME, line_of(source, "A plain paragraph")),
        (NAME, line_of(source, "A plain paragraph", 2)),
    ]
    assert message.auto_comments == ["paragraph"]
    same_text_other_context = template.get("Continue", context="button")
    assert same_text_other_context is not None
    assert template.get("Continue") is not same_text_other_context


# --- errors ---------------------------------------------------------------------------------


def source_error(text: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse_article(text, "source/bad.md")
    return info.value


def test_missing_front_matter() -> None:
    error = source_error("Just a paragraph.\n")
    assert (error.path, error.line) == ("source/bad.md", 1)
    assert "front matter" in error.message
    assert source_error("").line == 1


def test_unclosed_front_matter() -> None:
    error = source_error("---\ntitle: T\nslug: s\nlang: en\n\nBody\n")
    assert error.line == 1
    assert "not closed" in error.message


def test_bad_indentation_names_the_line_of_the_file() -> None:
    text = (FIXTURES / "bad-indent.md").read_text(encoding="utf-8")
    assert text.splitlines()[3] == "  lang: en"  # line 4 of the file
    error = source_error(text)
    assert error.line == 4
    assert error.message.startswith("malformed front matter")
    assert str(error) == f"source/bad.md:4: {error.message}"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: T\nslug: s\n\tlang: en\n---\n", 4),
        ("---\ntitle: T\nslug: s\nlang: en\ndescription: a: b\n---\n", 5),
        (
            "---\ntitle: T\nslug: s\nlang: en\nreferences:\n  - title: A\n"
            "    url: https://a.example/\n   - title: B\n---\n",
            8,
        ),
    ],
)
def test_malformed_yaml_line(text: str, line: int) -> None:
    error = source_error(text)
    assert error.line == line
    assert "malformed front matter" in error.message


def test_missing_title() -> None:
    error = source_error("---\nslug: s\nlang: en\n---\n\nBody\n")
    assert "'title'" in error.message
    assert error.path == "source/bad.md"


def test_empty_title_names_its_line() -> None:
    error = source_error("---\nslug: s\ntitle:\nlang: en\n---\n")
    assert error.line == 3
    assert "'title'" in error.message


@pytest.mark.parametrize(("slug", "line"), [("Bad Slug", 3), ("bad_slug", 3), ("-lead", 3)])
def test_bad_slug(slug: str, line: int) -> None:
    error = source_error(f"---\ntitle: T\nslug: {slug}\nlang: en\n---\n")
    assert error.line == line
    assert "slug" in error.message
    assert str(error) == f"source/bad.md:{line}: {error.message}"


def test_bad_reference_url() -> None:
    text = "---\ntitle: T\nslug: s\nlang: en\nreferences:\n  - title: A\n    url: ftp://x\n---\n"
    error = source_error(text)
    assert error.line == 7
    assert "http" in error.message


def test_front_matter_must_be_a_mapping() -> None:
    assert "mapping" in source_error("---\n- a\n- b\n---\n").message
    assert "empty" in source_error("---\n---\nBody\n").message


def test_error_str_is_path_line_message() -> None:
    error = SourceError("boom", "source/x.md", 12)
    assert str(error) == "source/x.md:12: boom"
    assert str(SourceError("boom", "source/x.md")) == "source/x.md: boom"
    assert str(SourceError("boom")) == "boom"


# --- inline rendering -----------------------------------------------------------------------


def test_render_inline_basic_markup() -> None:
    html = render_inline('**Bold**, *em*, `code` and [a](https://x.example/ "T")')
    assert str(html) == (
        "<strong>Bold</strong>, <em>em</em>, <code>code</code> and "
        '<a href="https://x.example/" title="T">a</a>'
    )


def test_render_inline_neutralizes_javascript_links() -> None:
    for text in ("[click](javascript:alert(1))", "[click](JAVASCRIPT:alert(1))"):
        html = str(render_inline(text))
        assert "<a" not in html
        assert "href" not in html
    translated = str(render_inline("[x](javascript:alert(1))", source="[x](https://ok.example/)"))
    assert "<a" not in translated
    assert "href" not in translated


def test_render_inline_escapes_raw_html() -> None:
    html = str(render_inline('<script>alert(1)</script> and <b onclick="x()">bold</b>'))
    assert "<script" not in html and "<b" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b onclick=" in html


def test_translation_with_foreign_target_gets_source_target() -> None:
    html = str(
        render_inline(
            "Voir [le site](https://evil.example/)",
            source="See [the site](https://good.example/)",
        )
    )
    assert html == 'Voir <a href="https://good.example/">le site</a>'


def test_translation_may_reorder_source_targets() -> None:
    html = str(
        render_inline(
            "[deux](https://b.example/) et [un](https://a.example/)",
            source="[one](https://a.example/) and [two](https://b.example/)",
        )
    )
    assert html == '<a href="https://b.example/">deux</a> et <a href="https://a.example/">un</a>'


def test_link_beyond_source_count_is_dropped_text_kept() -> None:
    html = str(
        render_inline(
            "[un](https://a.example/) et [deux](https://b.example/) fin",
            source="[one](https://a.example/)",
        )
    )
    assert html == '<a href="https://a.example/">un</a> et deux fin'
    assert "b.example" not in html


def test_translated_image_source_pinned() -> None:
    html = str(render_inline("![alt fr](evil.png)", source="![alt](good.png)"))
    assert html == '<img src="good.png" alt="alt fr" />'
    extra = str(render_inline("![a](x.png) ![b](y.png)", source="![a](good.png)"))
    assert extra.count("<img") == 1 and "y.png" not in extra


def test_plain_text() -> None:
    assert plain_text("**Dead** [neurons](https://x.example/) `don't`  \nregrow") == (
        "Dead neurons don't regrow"
    )
