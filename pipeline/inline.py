"""Inline Markdown: the text of one unit, source or translation, and how it is rendered.

The same inline parser reads msgids and msgstrs, so a translation can carry
exactly the markup its source carries and nothing more: raw HTML is shown as
text, never passed through, and every link and image target of a
translation is pinned to one of the source's own (:func:`render_inline`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from pipeline.article import LinkDefinition

Links = tuple[LinkDefinition, ...]


@functools.cache
def inline_parser() -> MarkdownIt:
    """Inline text, source or translation: raw HTML is shown as text, never passed through."""
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


@functools.lru_cache(maxsize=8192)
def inline_tokens(text: str, links: Links = ()) -> tuple[Token, ...]:
    """The inline children of ``text`` parsed as one paragraph, shared: do not modify them.

    ``links`` are the article's reference definitions, so that ``[text][label]``
    is a link as it is in the article. Checks look at each msgid and msgstr
    several times; parsing once is most of their cost.
    """
    env = {"references": {d.label: {"href": d.href, "title": d.title} for d in links}}
    tokens = inline_parser().parseInline(text, env)
    return tuple(tokens[0].children or []) if tokens else ()


def link_targets(text: str, links: Links = ()) -> list[str]:
    return [str(t.attrs["href"]) for t in inline_tokens(text, links) if t.type == "link_open"]


def image_sources(text: str, links: Links = ()) -> list[str]:
    return [str(t.attrs["src"]) for t in inline_tokens(text, links) if t.type == "image"]


def inline_structure(text: str, links: Links = ()) -> list[str]:
    """The markup skeleton of inline text: the tag of every opening token, in order."""
    result: list[str] = []
    for token in inline_tokens(text, links):
        if token.type in ("code_inline", "image", "hardbreak"):
            result.append(token.type)
        elif token.nesting == 1:
            result.append(token.tag)
    return result


def _pin_targets(
    tokens: Sequence[Token], attr: str, kind: str, allowed: Sequence[str]
) -> list[Token]:
    """Force every link (or image) target to one of the source's own, by position.

    A translation may reorder or reword links, but it cannot add a target: one
    that is not the source's own is replaced by the source's target in the
    same position, or the link is dropped (its text kept) when there is none.
    """
    result: list[Token] = []
    index = 0
    drop_close = 0
    for token in tokens:
        if token.type == f"{kind}_open" or (kind == "image" and token.type == "image"):
            target = str(token.attrs[attr])
            if target not in allowed:
                target = allowed[index] if index < len(allowed) else ""
            index += 1
            if not target:
                if kind == "link":
                    drop_close += 1
                    continue
                result.append(Token("text", "", 0, content=token.content))
                continue
            token.attrSet(attr, target)
        elif kind == "link" and token.type == "link_close" and drop_close:
            drop_close -= 1
            continue
        result.append(token)
    return result


def render_inline(text: str, *, source: str | None = None, links: Links = ()) -> Markup:
    """Render inline Markdown to safe HTML.

    With ``source`` given (a translation being rendered), link targets and
    image sources are pinned to those of the source text, so a translation
    that names another definition (``[text][other]``) still links where its
    source does.
    """
    # The renderer and the pinning write to token attributes: work on copies of the shared parse.
    tokens = [token.copy(attrs=dict(token.attrs)) for token in inline_tokens(text, links)]
    if source is not None:
        tokens = _pin_targets(tokens, "href", "link", link_targets(source, links))
        tokens = _pin_targets(tokens, "src", "image", image_sources(source, links))
    parser = inline_parser()
    html = parser.renderer.render(tokens, parser.options, {})
    return Markup(html.strip())


def plain_text(text: str, links: Links = ()) -> str:
    """Inline Markdown without its markup, for titles, metadata and word counts."""
    return "".join(_plain(inline_tokens(text, links)))


def _plain(tokens: Iterable[Token]) -> Iterable[str]:
    for token in tokens:
        if token.type in ("text", "code_inline"):
            yield token.content
        elif token.type in ("softbreak", "hardbreak"):
            yield " "
        elif token.type == "image":
            yield token.content
