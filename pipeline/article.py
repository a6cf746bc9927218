"""The typed model passed along the pipeline.

An :class:`Article` is parsed once from Markdown; its translatable strings are
:class:`Unit` objects attached to the blocks they come from, so extraction,
translation, checks and rendering all walk the same tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NamedTuple

BlockKind = Literal[
    "heading",
    "paragraph",
    "bullet_list",
    "ordered_list",
    "item",
    "quote",
    "table",
    "row",
    "cell",
    "image",
    "caption",
    "code",
    "rule",
]


@dataclass(frozen=True)
class Unit:
    """One translatable string and what a translator needs to know about it."""

    msgid: str
    comment: str
    """What the string is (``heading``, ``list item``, ``image alt``...): the ``#.`` comment."""
    path: str
    """Source file, relative to the project root (``source/<slug>.md``)."""
    line: int
    context: str | None = None
    critical: bool = False
    """Critical units must be translated and not fuzzy before a language is published."""
    reference: bool = False
    """The title of a cited source, which may stay in its original language."""

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.msgid, self.context)


@dataclass(frozen=True)
class Block:
    """A node of the article's block tree.

    Leaf blocks that hold text carry a :class:`Unit`; text that must not be
    translated (a bare URL, code, a figure alone) is kept in ``text``.
    """

    kind: BlockKind
    line: int
    unit: Unit | None = None
    text: str = ""
    children: tuple[Block, ...] = ()
    level: int = 0
    """Heading level (1-6)."""
    start: int | None = None
    """First number of an ordered list."""
    align: str | None = None
    """Alignment of a table cell (``left``, ``center``, ``right``)."""
    header: bool = False
    """A table header cell."""
    src: str = ""
    """Image source (never translated)."""
    title: str = ""
    """Image title, as written; an image block's title is also its ``caption`` child, a unit."""
    info: str = ""
    """Language of a fenced code block: the first word of its info string, unescaped."""
    tight: bool = False
    """A paragraph (or image) of a tight list's item, shown without ``<p>`` as CommonMark does."""

    def walk(self) -> Iterator[Block]:
        yield self
        for child in self.children:
            yield from child.walk()


class LinkDefinition(NamedTuple):
    """A link reference definition of the body (``[label]: href "title"``).

    ``label`` is normalised the CommonMark way (case-folded, spaces collapsed),
    as markdown-it stores it; ``[text][label]``, ``[label][]`` and ``[label]``
    in any unit of the article, source or translation, resolve against these.
    """

    label: str
    href: str
    title: str


@dataclass(frozen=True)
class ImageRef:
    """An image the article shows, as it names it (``![alt](images/knee.png)``)."""

    src: str
    """As written: a path relative to the article's file."""
    line: int
    has_text: bool = False
    """Marked ``<!-- image-text -->``: it shows words, so each language should have its own."""
    figure: bool = False
    """Alone in its paragraph: shown as a figure across the column (pages and brochures)."""


@dataclass(frozen=True)
class Reference:
    title: str
    url: str
    unit: Unit


@dataclass(frozen=True)
class Accountability:
    """Who answers for an article and when it was checked (front matter, all optional):
    printed on its page and brochure; a build warns once ``next_review`` is past."""

    published: date | None = None
    reviewed: date | None = None
    next_review: date | None = None
    next_review_line: int = 0
    version: str = ""
    author: str = ""
    medical_reviewer: str = ""


@dataclass(frozen=True)
class FrontMatter:
    title: str
    slug: str
    lang: str
    description: str
    publisher: str
    references: tuple[Reference, ...]
    title_unit: Unit
    description_unit: Unit | None
    key_points: tuple[Unit, ...] = ()
    """``key_points:``, the few things a reader should take away, shown before the article:
    one unit per point."""
    accountability: Accountability = field(default_factory=Accountability)
    cover_image: str = ""
    """``cover_image:``, the source of one of the article's figures, shown on the cover too."""


@dataclass(frozen=True)
class Article:
    path: str
    meta: FrontMatter
    blocks: tuple[Block, ...]
    links: tuple[LinkDefinition, ...] = ()
    """The body's link reference definitions, sorted by label."""
    images: tuple[ImageRef, ...] = ()
    """Every image of the body, in reading order, once per source."""

    @property
    def slug(self) -> str:
        return self.meta.slug

    def walk(self) -> Iterator[Block]:
        for block in self.blocks:
            yield from block.walk()

    def units(self) -> Iterator[Unit]:
        """Every unit in reading order: title, description, key points, body, references."""
        yield self.meta.title_unit
        if self.meta.description_unit is not None:
            yield self.meta.description_unit
        yield from self.meta.key_points
        for block in self.walk():
            if block.unit is not None:
                yield block.unit
        for reference in self.meta.references:
            yield reference.unit

    def headings(self) -> Iterator[Block]:
        return (block for block in self.walk() if block.kind == "heading")
