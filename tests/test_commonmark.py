"""The CommonMark spec's 652 examples, each published as the body of an article.

The examples are those of CommonMark 0.31.2, the version markdown-it-py 4 follows
(``tests/fixtures/commonmark``). For every example:

- nothing but a :class:`~pipeline.errors.SourceError` is raised, and a refusal names
  ``source/t.md`` and a line;
- every word markdown-it-py publishes from the example (in text, ``alt``, ``title``,
  ``href``, ``src``, ``class``) is on the page as often, unless the example is refused;
- the article body of the source page and of an identity translation (a catalog whose
  msgstr is the msgid of every unit) is markdown-it-py's HTML with the project's parser
  settings (``pipeline.markdown.BLOCK_PARSER``), after the normalization below, except for the
  deliberate differences of ``SHIFTED`` and ``REFUSED``;
- the en-XA and ar-XB pages have the source page's tag tree and every ``href`` and ``src``.

Normalization, the same on both sides: both are parsed as HTML (entities decoded, ``<br />``
is ``<br>``); what the page adds for its own layout is removed: ``<div class="table-scroll">``
around a table, ``id`` on headings (anchors of the table of contents), ``dir`` on ``<pre>``,
``lang``/``dir`` that mark text in another language than the page's, ``scope`` on ``<th>``;
``class="align-end"`` on a cell is markdown-it's ``style="text-align:right"``, an image alone
in a paragraph is ``<figure class="image">`` on the page (its title also a ``<figcaption>``)
and ``<p>`` in markdown-it's output;
whitespace next to a block element's tags (outside ``<pre>``) is not compared.

The deliberate differences are listed in README.md ("Markdown support"); the test reads the
table there, so the lists here and there cannot drift apart, and an example that starts or
stops differing fails.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import markdown_it
import pytest
from babel.messages.catalog import Catalog
from helpers import ROOT
from markdown_it import MarkdownIt

from pipeline.article import Article
from pipeline.errors import SourceError
from pipeline.markdown import BLOCK_PARSER, parse_article
from pipeline.render.html import render_page
from pipeline.render.site import make_site
from pipeline.translate import LocalizedArticle, gettext_translations, pseudo_localize, translate

SPEC = Path(__file__).parent / "fixtures" / "commonmark" / "spec.json"
EXAMPLES: dict[int, str] = {e["example"]: e["markdown"] for e in json.loads(SPEC.read_text())}
SPEC_HTML: dict[int, str] = {e["example"]: e["html"] for e in json.loads(SPEC.read_text())}
HEAD = "---\ntitle: T\nslug: t\nlang: en\ndescription: D.\npublisher: P\nreferences: []\n---\n\n"
BODY_LINE = HEAD.count("\n") + 1
"""The article's line of the example's first line."""
PSEUDO = ("en-XA", "ar-XB")


def numbers(text: str) -> frozenset[int]:
    """``"21, 148–150"`` -> {21, 148, 149, 150}."""
    found: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("–")
        found.update(range(int(first), int(last or first) + 1))
    return frozenset(found)


SHIFTED = numbers("10, 62, 66–68, 72, 75, 76, 78–84, 115, 141, 214, 215, 227–230, 232, 300")
"""Examples with a level-1 heading: the page's title is its only h1, so every heading of the
article is one level lower (level 6 stays 6)."""

REFUSED: dict[str, tuple[str, frozenset[int]]] = {
    "refused: block of HTML": (
        "raw HTML is not published",
        numbers("21, 31, 148–167, 169–176, 178, 180–182, 184–186, 188–191"),
    ),
    "refused: inline HTML": (
        "inline HTML '",
        numbers("168, 187, 201, 344, 475–477, 491, 494, 524, 536, 613–617, 623, 625–631")
        | numbers("642, 643"),
    ),
    "refused: HTML comment": ("comment", numbers("177, 179, 183, 308, 309")),
    "refused: link label defined twice": ("already defined at line", numbers("204, 544")),
    "refused: image without alt text": ("has no alt text", numbers("581")),
}
"""Examples refused at their line, by reason: (what the message says, example numbers)."""


# --- HTML as a tree ------------------------------------------------------------------------

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})  # fmt: skip
BLOCKS = frozenset({"#document", "blockquote", "div", "figure", "h1", "h2", "h3", "h4", "h5",
                    "h6", "hr", "li", "ol", "p", "pre", "table", "tbody", "td", "th", "thead",
                    "tr", "ul"})  # fmt: skip


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """A forgiving HTML reader: void elements, end tags without a start tag ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)

    def handle_comment(self, data: str) -> None:
        self.stack[-1].children.append(Element("#comment", {"text": data}))


def parse_html(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def normalized(element: Element) -> Element:
    """The element as compared (see the module's docstring)."""
    tag = element.tag
    attrs = {name: value for name, value in element.attrs.items() if name not in ("lang", "dir")}
    if re.fullmatch(r"h[1-6]", tag):
        attrs.pop("id", None)
    if tag == "th":
        attrs.pop("scope", None)
    align = re.fullmatch(r"align-(start|center|end)", attrs.get("class", ""))
    if align:
        del attrs["class"]
        side = {"start": "left", "end": "right"}.get(align.group(1), align.group(1))
        attrs["style"] = f"text-align:{side}"
    figure = tag == "figure" and attrs == {"class": "image"}
    if figure:
        tag, attrs = "p", {}
    children: list[Element | str] = []
    for child in element.children:
        if isinstance(child, str):
            children.append(child)
        elif figure and child.tag == "figcaption":
            continue  # the image's title shown under it; the title is on the image too
        elif child.tag == "div" and child.attrs == {"class": "table-scroll"}:
            children.extend(normalized(c) if isinstance(c, Element) else c for c in child.children)
        else:
            children.append(normalized(child))
    if tag != "pre":
        children = _trimmed(tag, children)
    return Element(tag, attrs, children)


def _trimmed(tag: str, children: list[Element | str]) -> list[Element | str]:
    """Children without the whitespace next to block tags (HTML does not show it)."""
    result: list[Element | str] = []
    for index, child in enumerate(children):
        if isinstance(child, str):
            before = children[index - 1] if index else None
            after = children[index + 1] if index + 1 < len(children) else None
            if (before is None and tag in BLOCKS) or (
                isinstance(before, Element) and before.tag in BLOCKS
            ):
                child = child.lstrip(" \t\n")
            if (after is None and tag in BLOCKS) or (
                isinstance(after, Element) and after.tag in BLOCKS
            ):
                child = child.rstrip(" \t\n")
            if not child:
                continue
        result.append(child)
    return result


def serialized(node: Element | str) -> str:
    """The tree as HTML, one block element a line, attributes sorted: what assertions show."""
    if isinstance(node, str):
        return node
    inner = "".join(serialized(child) for child in node.children)
    if node.tag == "#document":
        return inner
    attrs = "".join(f' {name}="{value}"' for name, value in sorted(node.attrs.items()))
    end = "\n" if node.tag in BLOCKS else ""
    if node.tag in VOID:
        return f"<{node.tag}{attrs}>{end}"
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>{end}"


def shape(node: Element) -> tuple[str, tuple[object, ...]]:
    """The tag tree alone: no text, no attributes."""
    return node.tag, tuple(shape(c) for c in node.children if isinstance(c, Element))


def targets(node: Element) -> list[str]:
    """Every ``href`` and ``src``, in document order."""
    found = [f"{name}={node.attrs[name]}" for name in ("href", "src") if name in node.attrs]
    for child in node.children:
        if isinstance(child, Element):
            found += targets(child)
    return found


def words(node: Element | str) -> Counter[str]:
    if isinstance(node, str):
        return Counter(re.findall(r"\w+", node))
    found: Counter[str] = Counter()
    for name in ("alt", "title", "href", "src", "class"):
        found.update(re.findall(r"\w+", node.attrs.get(name, "")))
    for child in node.children:
        found += words(child)
    return found


def shifted(node: Element | str) -> Element | str:
    """Every heading one level lower, level 6 staying 6."""
    if isinstance(node, str):
        return node
    tag = node.tag
    if re.fullmatch(r"h[1-6]", tag):
        tag = f"h{min(int(tag[1]) + 1, 6)}"
    return Element(tag, node.attrs, [shifted(child) for child in node.children])


def has_h1(node: Element) -> bool:
    return node.tag == "h1" or any(isinstance(c, Element) and has_h1(c) for c in node.children)


# --- the example published -----------------------------------------------------------------

UI = gettext_translations(None)


def article_body(localized: LocalizedArticle) -> Element:
    """The ``<div class="article-body">`` of the page, as rendered for the site."""
    site = make_site([localized], site_url="", source_lang="en")
    page = parse_html(render_page(localized, site, UI).decode("utf-8"))

    def find(node: Element) -> Element | None:
        if node.tag == "div" and node.attrs.get("class") == "article-body":
            return Element("#document", {}, node.children)
        for child in node.children:
            if isinstance(child, Element) and (found := find(child)) is not None:
                return found
        return None

    body = find(page)
    assert body is not None, "the page has no article body"
    return normalized(body)


def identity_catalog(article: Article) -> Catalog:
    catalog = Catalog(locale="fr")
    for unit in article.units():
        catalog.add(unit.msgid, unit.msgid, context=unit.context)
    return catalog


@dataclass(frozen=True)
class Published:
    source: Element
    identity: Element
    pseudo: dict[str, Element]


@functools.cache
def published(number: int) -> Published | SourceError:
    """The example's article body in the source language, an identity translation and the
    pseudo-locales; or the refusal."""
    try:
        article = parse_article(HEAD + EXAMPLES[number], "source/t.md")
    except SourceError as error:
        return error
    source = translate(article, None, "en", source_lang="en")
    identity = translate(article, identity_catalog(article), "fr", source_lang="en")
    pseudo = {lang: pseudo_localize(article, lang, source_lang="en") for lang in PSEUDO}
    return Published(
        source=article_body(source),
        identity=article_body(identity),
        pseudo={lang: article_body(localized) for lang, localized in pseudo.items()},
    )


@functools.cache
def markdown_it_body(number: int) -> Element:
    return normalized(parse_html(BLOCK_PARSER.render(EXAMPLES[number])))


def refusal_reason(number: int) -> str | None:
    return next((reason for reason, (_, found) in REFUSED.items() if number in found), None)


ALL = sorted(EXAMPLES)
IDS = [f"example-{number}" for number in ALL]


# --- the fixture and the documentation -----------------------------------------------------


def test_the_spec_is_the_one_the_installed_markdown_it_follows() -> None:
    assert len(ALL) == 652 and ALL[-1] == 652
    assert markdown_it.__version__.split(".")[0] == "4"  # CommonMark 0.31.2
    parser = MarkdownIt("commonmark")
    differ = [
        n
        for n in ALL
        if serialized(normalized(parse_html(parser.render(EXAMPLES[n]))))
        != serialized(normalized(parse_html(SPEC_HTML[n])))
    ]
    assert differ == []


def readme_differences() -> dict[str, frozenset[int]]:
    """The table of README.md's "Markdown support": difference -> example numbers."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Markdown support", 1)[1].split("\n## ", 1)[0]
    table: dict[str, frozenset[int]] = {}
    for row in re.findall(r"^\|(.+)\|\s*$", section, re.MULTILINE):
        cells = [cell.strip() for cell in row.split("|")]
        if len(cells) == 3 and re.fullmatch(r"[\d, –]+", cells[1]):
            table[cells[0].strip("*")] = numbers(cells[1])
    return table


def test_the_readme_lists_every_deliberate_difference() -> None:
    expected = {reason: found for reason, (_, found) in REFUSED.items()}
    expected["headings one level lower"] = SHIFTED
    assert readme_differences() == expected


def test_the_lists_of_differences_do_not_overlap() -> None:
    lists = [SHIFTED, *(found for _, found in REFUSED.values())]
    assert sum(map(len, lists)) == len(frozenset().union(*lists))


# --- every example -------------------------------------------------------------------------


@pytest.mark.parametrize("number", ALL, ids=IDS)
def test_example_is_published_whole_or_refused_at_its_line(number: int) -> None:
    result = published(number)
    reason = refusal_reason(number)
    if isinstance(result, SourceError):
        assert reason is not None, f"refused, and not listed: {result}"
        assert result.path == "source/t.md" and result.line is not None
        assert BODY_LINE <= result.line < BODY_LINE + EXAMPLES[number].count("\n") + 1
        assert REFUSED[reason][0] in result.message, result.message
        return
    assert reason is None, f"listed as refused ({reason}), and published"
    lost = words(markdown_it_body(number)) - words(result.source)
    assert not lost, f"words markdown-it-py shows and the page does not: {dict(lost)}"


@pytest.mark.parametrize("number", ALL, ids=IDS)
def test_example_renders_as_markdown_it_does(number: int) -> None:
    result = published(number)
    if isinstance(result, SourceError):
        return
    expected = markdown_it_body(number)
    if number in SHIFTED:
        assert has_h1(expected), "listed as having its headings shifted, and has no h1"
        expected = shifted(expected)  # type: ignore[assignment]
    assert serialized(result.source) == serialized(expected)
    assert serialized(result.identity) == serialized(expected)


@pytest.mark.parametrize("number", ALL, ids=IDS)
def test_example_keeps_its_structure_and_targets_in_pseudo_locales(number: int) -> None:
    result = published(number)
    if isinstance(result, SourceError):
        return
    for lang, body in result.pseudo.items():
        assert shape(body) == shape(result.source), lang
        assert targets(body) == targets(result.source), lang
