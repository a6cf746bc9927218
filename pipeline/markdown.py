"""Markdown with YAML front matter to :class:`~pipeline.article.Article`.

markdown-it-py with the CommonMark preset plus GFM tables and strikethrough
parses the blocks; the text inside each block (a unit's msgid) is inline
Markdown, which :mod:`pipeline.inline` reads and renders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.token import Token

from pipeline.article import (
    Accountability,
    Article,
    Block,
    BlockKind,
    FrontMatter,
    ImageRef,
    LinkDefinition,
    Reference,
    Unit,
)
from pipeline.errors import SourceError
from pipeline.inline import allowed_tag, balanced, inline_tokens

_CRITICAL = re.compile(r"^<!--\s*critical\s*-->\s*$", re.IGNORECASE)
_CONTEXT = re.compile(r"^<!--\s*msgctxt:\s*(.+?)\s*-->\s*$", re.IGNORECASE)
_IMAGE_MARK = re.compile(r"^<!--\s*(decorative|image-text)\s*-->\s*$", re.IGNORECASE)
"""Marks for the images of the next block: no alt text on purpose, or words in the picture."""
_URL_ONLY = re.compile(r"^\s*<?(?:https?|ftp|mailto):[^\s<>]*>?\s*$", re.IGNORECASE)
_HAS_WORD = re.compile(r"[^\W\d_]")
_INFO_SPACE = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
"""What markdown-it trims from a fence's info string and splits it on (not Python's isspace)."""


MAX_NESTING = 40
"""Levels of lists and quotes (each list counts two) the parser follows; deeper is refused."""


def _block_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    parser.options["maxNesting"] = MAX_NESTING
    return parser


BLOCK_PARSER = _block_parser()
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when it is there


def is_translatable(text: str) -> bool:
    """A string with no word in it, or a URL alone, is not offered to translators."""
    return bool(_HAS_WORD.search(text)) and not _URL_ONLY.match(text)


# --- front matter ---------------------------------------------------------------------------


def split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """Return (yaml text, body, line number of the body's first line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise SourceError("missing YAML front matter: the file must start with '---'", path, 1)
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise SourceError("front matter is not closed by a '---' line", path, 1)


def _yaml_mapping(node: yaml.Node, path: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise SourceError(
            "front matter must be a mapping of fields", path, node.start_mark.line + 2
        )
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _scalar(
    fields: dict[str, yaml.Node], name: str, path: str, *, required: bool, default: str = ""
) -> tuple[str, int]:
    node = fields.get(name)
    if node is None:
        if required:
            raise SourceError(f"front matter has no '{name}' field", path, 1)
        return default, 1
    line = node.start_mark.line + 2
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise SourceError(f"front matter field '{name}' must be non-empty text", path, line)
    return str(node.value).strip(), line


def parse_front_matter(yaml_text: str, path: str) -> FrontMatter:
    try:
        root = yaml.compose(yaml_text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise SourceError(f"malformed front matter: {problem}", path, line) from None
    if root is None:
        raise SourceError("front matter is empty", path, 1)
    fields = _yaml_mapping(root, path)
    title, title_line = _scalar(fields, "title", path, required=True)
    slug, slug_line = _scalar(fields, "slug", path, required=True)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise SourceError(
            f"slug {slug!r} must be lower-case letters, digits and hyphens", path, slug_line
        )
    lang, _ = _scalar(fields, "lang", path, required=True)
    description, description_line = _scalar(fields, "description", path, required=False)
    publisher, _ = _scalar(fields, "publisher", path, required=False)

    references: list[Reference] = []
    refs_node = fields.get("references")
    if refs_node is not None:
        if not isinstance(refs_node, yaml.SequenceNode):
            raise SourceError(
                "'references' must be a list of title and url", path, refs_node.start_mark.line + 2
            )
        for item in refs_node.value:
            item_fields = _yaml_mapping(item, path)
            ref_title, ref_line = _scalar(item_fields, "title", path, required=True)
            url, url_line = _scalar(item_fields, "url", path, required=True)
            if not re.match(r"^https?://", url):
                raise SourceError(f"reference url {url!r} must be http(s)", path, url_line)
            unit = Unit(ref_title, "reference title", path, ref_line, critical=True, reference=True)
            references.append(Reference(ref_title, url, unit))

    return FrontMatter(
        title=title,
        slug=slug,
        lang=lang,
        description=description,
        publisher=publisher,
        references=tuple(references),
        title_unit=Unit(title, "title", path, title_line),
        description_unit=(
            Unit(description, "description", path, description_line) if description else None
        ),
        key_points=_key_points(fields.get("key_points"), path),
        accountability=_accountability(fields, path),
        cover_image=_scalar(fields, "cover_image", path, required=False)[0],
    )


def _date(fields: dict[str, yaml.Node], name: str, path: str) -> tuple[date | None, int]:
    text, line = _scalar(fields, name, path, required=False)
    if not text:
        return None, 0
    try:
        return date.fromisoformat(text), line
    except ValueError:
        raise SourceError(f"'{name}' must be a date written YYYY-MM-DD", path, line) from None


def _accountability(fields: dict[str, yaml.Node], path: str) -> Accountability:
    """``published``, ``reviewed``, ``next_review`` (dates), ``version``, ``author`` and
    ``medical_reviewer``: names and numbers, not translated."""
    published, _ = _date(fields, "published", path)
    reviewed, _ = _date(fields, "reviewed", path)
    next_review, next_line = _date(fields, "next_review", path)
    if reviewed and next_review and next_review <= reviewed:
        raise SourceError("'next_review' must come after 'reviewed'", path, next_line)
    return Accountability(
        published,
        reviewed,
        next_review,
        next_line,
        _scalar(fields, "version", path, required=False)[0],
        _scalar(fields, "author", path, required=False)[0],
        _scalar(fields, "medical_reviewer", path, required=False)[0],
    )


def _key_points(node: yaml.Node | None, path: str) -> tuple[Unit, ...]:
    """``key_points:``, a list of short texts, each a unit."""
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise SourceError(
            "'key_points' must be a list of short texts", path, node.start_mark.line + 2
        )
    points = []
    for item in node.value:
        line = item.start_mark.line + 2
        if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
            raise SourceError("a key point must be non-empty text", path, line)
        points.append(Unit(str(item.value).strip(), "key point", path, line))
    return tuple(points)


# --- body -----------------------------------------------------------------------------------


@dataclass
class _Pending:
    """Source comments (``<!-- critical -->``, ``<!-- msgctxt: x -->``) apply to the next block."""

    critical: bool = False
    context: str | None = None

    def take(self) -> tuple[bool, str | None]:
        result = (self.critical, self.context)
        self.critical, self.context = False, None
        return result


class _BodyBuilder:
    def __init__(self, tokens: Sequence[Token], path: str, first_line: int):
        self.tokens = tokens
        self.path = path
        self.offset = first_line
        self.pos = 0
        self.pending = _Pending()
        self.inherited: list[tuple[bool, str | None]] = []
        self.row_line = first_line
        self.containers: list[BlockKind] = []

    def line(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + self.offset

    def unit(self, text: str, comment: str, line: int) -> Unit | None:
        if not is_translatable(text):
            return None
        critical, context = self.inherited[-1] if self.inherited else (False, None)
        return Unit(text, comment, self.path, line, context=context, critical=critical)

    def blocks_until(self, close: str | None) -> tuple[Block, ...]:
        blocks: list[Block] = []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if close is not None and token.type == close:
                self.pos += 1
                return tuple(blocks)
            block = self.block()
            if block is not None:
                blocks.append(block)
        return tuple(blocks)

    def container(self, kind: BlockKind, token: Token, close: str, **attrs: Any) -> Block:
        self.pos += 1
        line = self.line(token)
        if kind == "row":
            self.row_line = line  # cells carry no line map of their own
        self.inherited.append(self._flags())
        self.containers.append(kind)
        children = self.blocks_until(close)
        self.containers.pop()
        self.inherited.pop()
        return Block(kind, line, children=children, **attrs)

    def leaf(self, inline: Token, comment: str, line: int, *, tight: bool = False) -> Block:
        """A paragraph-like block; an image alone in it becomes an image block.

        ``tight``: the paragraph is a tight list item's, shown without ``<p>``.
        """
        children = inline.children or []
        visible = [c for c in children if not (c.type == "text" and not c.content.strip())]
        if len(visible) == 1 and visible[0].type == "image":
            image = visible[0]
            alt = image.content
            title = str(image.attrs.get("title", "") or "")
            unit = self.unit(title, "image caption", line) if title else None
            caption = (Block("caption", line, unit=unit, text=title),) if title else ()
            return Block(
                "image",
                line,
                unit=self.unit(alt, "image alt", line),
                text=alt,
                children=caption,
                src=str(image.attrs.get("src", "")),
                title=title,
                tight=tight,
            )
        text = inline.content
        unit = self.unit(text, comment, line)
        return Block("paragraph", line, unit=unit, text=text, tight=tight)

    def block(self) -> Block | None:
        token = self.tokens[self.pos]
        kind = token.type
        if kind == "html_block":
            self.pos += 1
            content = token.content.strip()
            if _CRITICAL.match(content):
                self.pending.critical = True
            elif match := _CONTEXT.match(content):
                self.pending.context = match.group(1)
            elif _IMAGE_MARK.match(content):
                pass  # read by _image_refs
            else:
                raise SourceError(_html_block_problem(content), self.path, self.line(token))
            return None
        if kind == "heading_open":
            inline = self.tokens[self.pos + 1]
            self.pos += 3
            self.inherited.append(self._flags())
            line = self.line(token)
            level = int(token.tag[1])
            unit = self.unit(inline.content, "heading", line)
            self.inherited.pop()
            return Block("heading", line, unit=unit, text=inline.content, level=level)
        if kind == "paragraph_open":
            inline = self.tokens[self.pos + 1]
            self.pos += 3
            comment = self._paragraph_comment()
            self.inherited.append(self._flags())
            # markdown-it hides the paragraphs of a tight list's items: no <p> around them.
            block = self.leaf(inline, comment, self.line(token), tight=token.hidden)
            self.inherited.pop()
            return block
        if kind == "bullet_list_open":
            return self.container("bullet_list", token, "bullet_list_close")
        if kind == "ordered_list_open":
            start = int(token.attrs.get("start", 1))
            return self.container("ordered_list", token, "ordered_list_close", start=start)
        if kind == "list_item_open":
            return self.container("item", token, "list_item_close")
        if kind == "blockquote_open":
            return self.container("quote", token, "blockquote_close")
        if kind == "table_open":
            return self.container("table", token, "table_close")
        if kind in ("thead_open", "tbody_open", "thead_close", "tbody_close"):
            self.pos += 1
            return None
        if kind == "tr_open":
            return self.container("row", token, "tr_close")
        if kind in ("th_open", "td_open"):
            inline = self.tokens[self.pos + 1]
            self.pos += 3
            style = str(token.attrs.get("style", ""))
            align = style.split(":", 1)[1] if style.startswith("text-align:") else None
            header = kind == "th_open"
            line = self.row_line
            self.inherited.append(self._flags())
            unit = self.unit(inline.content, "table header" if header else "table cell", line)
            self.inherited.pop()
            return Block("cell", line, unit=unit, text=inline.content, align=align, header=header)
        if kind in ("fence", "code_block"):
            self.pos += 1
            self.pending.take()
            return Block("code", self.line(token), text=token.content, info=_language(token.info))
        if kind == "hr":
            self.pos += 1
            self.pending.take()
            return Block("rule", self.line(token))
        raise SourceError(f"unexpected Markdown token {kind}", self.path, self.line(token))

    def _flags(self) -> tuple[bool, str | None]:
        critical, context = self.pending.take()
        if self.inherited:
            parent_critical, parent_context = self.inherited[-1]
            critical = critical or parent_critical
            context = context or parent_context
        return critical, context

    def _paragraph_comment(self) -> str:
        """What a paragraph is, from the innermost list item or quote around it."""
        for kind in reversed(self.containers):
            if kind == "item":
                return "list item"
            if kind == "quote":
                return "quote"
        return "paragraph"


def _language(info: str) -> str:
    """The language of a fence, as markdown-it reads it: the info string's first word, unescaped
    (```` ```f\\*o ```` is ``f*o``, ```` ```f&ouml;o ```` is ``föo``)."""
    words = _INFO_SPACE.split(unescapeAll(info))
    return next((word for word in words if word), "")


def _html_block_problem(content: str) -> str:
    """Why a block of raw HTML is refused: its text would be published nowhere."""
    if content.startswith("<!--") and "-->" not in content:
        return "a comment that is never closed ('-->'): everything after it would be lost"
    if re.match(r"^<!--.*?-->\s*\S", content, re.DOTALL):
        return "text after a comment on the same line; put the text on the next line"
    if content.startswith("<!--"):
        return (
            "an HTML comment other than <!-- critical -->, <!-- msgctxt: ... -->, "
            "<!-- decorative --> or <!-- image-text -->; "
            "pages are built from the Markdown alone, so remove it"
        )
    return "raw HTML is not published; write it in Markdown"


_LINE_BREAK = re.compile(r"\r\n?|\n")
_MARKERS = re.compile(r"(?:[ \t>]|[-+*](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$))*")
"""A line of list markers and quote marks alone (an empty item, ``2.`` or ``+``): no text."""
_LEAVES = frozenset({"inline", "fence", "code_block", "html_block", "hr", "tr_open"})
"""Tokens that hold the lines of text themselves (a table's rows hold its cells)."""


def _check_complete(
    tokens: Sequence[Token], env: dict[str, Any], body: str, path: str, first_line: int
) -> None:
    """Refuse Markdown the parser stopped reading (nesting deeper than it follows), and a link
    definition that repeats a label (Markdown ignores it: its target would be lost)."""
    for duplicate in env.get("duplicate_refs", []):
        first = env["references"][duplicate["label"]]["map"][0] + first_line
        raise SourceError(
            f"this link label is already defined at line {first}, and only that definition "
            "is used; remove or rename one of them",
            path,
            duplicate["map"][0] + first_line,
        )
    lines = _LINE_BREAK.split(body)  # markdown-it's lines, not str.splitlines()
    read = [False] * len(lines)
    spans = [token.map for token in tokens if token.type in _LEAVES and token.map]
    # Link reference definitions are read into env, not into tokens.
    spans += [d["map"] for d in env.get("references", {}).values() if d.get("map")]
    for start, end in spans:
        read[start:end] = [True] * (end - start)
    for number, (line, seen) in enumerate(zip(lines, read, strict=True)):
        text = line.strip() and line.strip("-*_ \t>=#`~|:") and not _MARKERS.fullmatch(line)
        if not seen and text:
            raise SourceError(
                f"lists and quotes nested too deeply (more than {MAX_NESTING} levels, a list "
                "counting two): the text from here on could not be read",
                path,
                number + first_line,
            )


def _check_html(tokens: Sequence[Token], path: str, first_line: int) -> None:
    """Refuse, at the first in the file, a block of HTML other than our two comments, and
    inline HTML other than ``<br>``, ``<sup>``, ``<sub>`` (properly nested).

    A block would be lost; any other inline tag would reach the catalog and be printed as a
    literal tag.
    """
    for token in tokens:
        line = (token.map[0] if token.map else 0) + first_line
        if token.type == "html_block":
            content = token.content.strip()
            if not any(mark.match(content) for mark in (_CRITICAL, _CONTEXT, _IMAGE_MARK)):
                raise SourceError(_html_block_problem(content), path, line)
        if token.type != "inline" or not token.children:
            continue
        tags = []
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "html_inline":
                tag = allowed_tag(child.content)
                if tag is None:
                    raise SourceError(
                        f"inline HTML {child.content.strip()!r} is not published; only <br>, "
                        "<sup>...</sup> and <sub>...</sub> are, otherwise write it in Markdown",
                        path,
                        line,
                    )
                tags.append(tag)
        if [tag for tag in tags if tag[0] != "br"] and not balanced(tags):
            line = (token.map[0] if token.map else 0) + first_line
            raise SourceError(
                "<sup> and <sub> must be closed, in order, within the same block", path, line
            )


def _alt_text(image: Token) -> str:
    return "".join(c.content for c in image.children or () if c.type in ("text", "code_inline"))


def _image_refs(tokens: Sequence[Token], path: str, first_line: int) -> tuple[ImageRef, ...]:
    """Every image of the body, in order, once per source; refuse one without alt text.

    ``<!-- decorative -->`` before a block allows its images an empty alt text (a screen
    reader then skips them); ``<!-- image-text -->`` says they show words, so each language
    should have its own version.
    """
    found: dict[str, ImageRef] = {}
    pending: set[str] = set()
    marked: list[tuple[int, set[str]]] = []  # (level of the block, its marks)
    figure_block = False  # a paragraph shown as such (not a heading, a cell, a tight item's)
    for token in tokens:
        if token.type == "html_block" and (mark := _IMAGE_MARK.match(token.content.strip())):
            pending.add(mark.group(1).lower())
            continue
        if token.nesting == 1:
            marked.append((token.level, pending))
            pending = set()
            figure_block = token.type == "paragraph_open" and not token.hidden
        elif token.nesting == -1:
            if marked and marked[-1][0] == token.level:
                marked.pop()
        elif token.type != "inline" and token.level == (marked[-1][0] + 1 if marked else 0):
            pending = set()  # a code block or rule took the marks
        if token.type != "inline" or not token.children:
            continue
        marks = set().union(*(m for _, m in marked))
        start = (token.map[0] if token.map else 0) + first_line
        line = start
        visible = [c for c in token.children if not (c.type == "text" and not c.content.strip())]
        alone = len(visible) == 1 and figure_block
        # Where each image starts in the block's text: line breaks inside a code span or an
        # alt text are not line-break tokens. (Counting breaks is the fallback.)
        openings = [m.start() for m in re.finditer(r"(?<!\\)!\[", token.content)]
        images = [c for c in token.children if c.type == "image"]
        exact = len(openings) == len(images)
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            if child.type != "image":
                continue
            if exact:
                line = start + token.content.count("\n", 0, openings[images.index(child)])
            src = str(child.attrs.get("src", ""))
            if not _alt_text(child).strip() and "decorative" not in marks:
                raise SourceError(
                    f"image {src!r} has no alt text: describe it for readers who cannot see "
                    "it, or put <!-- decorative --> on the line before its block",
                    path,
                    line,
                )
            known = found.get(src)
            has_text = "image-text" in marks or (known is not None and known.has_text)
            figure = (alone and visible[0] is child) or (known is not None and known.figure)
            found[src] = ImageRef(src, known.line if known else line, has_text, figure)
    return tuple(found.values())


def parse_article(text: str, path: str) -> Article:
    """Parse one article; ``path`` is how errors and PO references name the file."""
    yaml_text, body, first_line = split_front_matter(text, path)
    meta = parse_front_matter(yaml_text, path)
    env: dict[str, Any] = {}
    tokens = BLOCK_PARSER.parse(body, env)
    _check_complete(tokens, env, body, path, first_line)
    _check_html(tokens, path, first_line)
    blocks = _BodyBuilder(tokens, path, first_line).blocks_until(None)
    links = tuple(
        sorted(
            LinkDefinition(label, d["href"], d.get("title") or "")
            for label, d in env.get("references", {}).items()
        )
    )
    images = _image_refs(tokens, path, first_line)
    article = Article(path=path, meta=meta, blocks=blocks, links=links, images=images)
    _check_no_image_outside_body(article)
    _check_cover_image(article, yaml_text)
    return article


def _check_cover_image(article: Article, yaml_text: str) -> None:
    """``cover_image`` names a figure of the body: it is shown with that figure's alt text,
    translated, and the same file each language shows there."""
    src = article.meta.cover_image
    if not src or any(b.kind == "image" and b.src == src for b in article.walk()):
        return
    line = next(
        (
            n + 2
            for n, row in enumerate(yaml_text.splitlines())
            if re.match(r"cover_image\s*:", row)
        ),
        1,
    )
    raise SourceError(
        f"cover_image {src!r} is not a figure of this article: name the source of an image "
        "it shows on a line of its own (![alt text](images/photo.jpg)), so that it has alt text",
        article.path,
        line,
    )


def _check_no_image_outside_body(article: Article) -> None:
    """An image in the title, the description, a key point, a reference title or a caption
    would skip every check images get (and a title is not the place for one): refused at
    its line."""
    captions = [b.unit for b in article.walk() if b.kind == "caption" and b.unit is not None]
    meta = article.meta
    units = [
        meta.title_unit,
        meta.description_unit,
        *meta.key_points,
        *(r.unit for r in meta.references),
    ]
    for unit in [u for u in units if u is not None] + captions:
        if any(t.type == "image" for t in inline_tokens(unit.msgid, article.links)):
            raise SourceError(
                f"an image in the {unit.comment.split(' (')[0]} is not published; images go "
                "in the body, alone in their paragraph or within its text",
                article.path,
                unit.line,
            )
