"""Inline Markdown: the text of one unit, source or translation, and how it is rendered.

The same inline parser reads msgids and msgstrs, so a translation can carry
exactly the markup its source carries and nothing more: raw HTML other than
``<br>``, ``<sup>`` and ``<sub>`` is shown as text, never passed through, and
every link and image target of a translation is pinned to one of the source's
own (:func:`render_inline`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from pipeline.article import LinkDefinition

Links = tuple[LinkDefinition, ...]


@functools.cache
def inline_parser() -> MarkdownIt:
    """Inline text, source or translation; raw HTML is read as tags so that
    :func:`inline_tokens` can keep the few it allows and show the rest as text."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


_ALLOWED_TAG = re.compile(r"<(?P<close>/)?(?P<name>sup|sub)>|<(?P<br>br)\s*/?>", re.IGNORECASE)
"""The inline HTML an article may use, and so a translation: ``<br>``, ``<sup>``, ``<sub>``.

Nothing else (no attribute, no other element) is ever passed through."""


def allowed_tag(html: str) -> tuple[str, bool] | None:
    """``(name, closing)`` of an allowed inline tag written exactly, else None."""
    match = _ALLOWED_TAG.fullmatch(html.strip())
    if match is None:
        return None
    if match.group("br"):
        return "br", False
    return match.group("name").lower(), bool(match.group("close"))


def balanced(tags: Sequence[tuple[str, bool]]) -> bool:
    """Whether ``<sup>``/``<sub>`` open and close in order (``<br>`` stands alone)."""
    stack: list[str] = []
    for name, closing in tags:
        if name == "br":
            continue
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def _allow_html(tokens: list[Token]) -> list[Token]:
    """Keep allowed tags (written canonically) when they nest properly; the rest become text."""
    tags = [allowed_tag(t.content) for t in tokens if t.type == "html_inline"]
    pairs_ok = balanced([tag for tag in tags if tag is not None])
    result: list[Token] = []
    for token in tokens:
        if token.type == "html_inline":
            tag = allowed_tag(token.content)
            if tag is not None and (tag[0] == "br" or pairs_ok):
                name, closing = tag
                html = f"</{name}>" if closing else f"<{name}>"
                token = Token("html_inline", "", 0, content=html, meta={"tag": name})
            else:
                token = Token("text", "", 0, content=token.content)
        result.append(token)
    return result


@functools.lru_cache(maxsize=8192)
def inline_tokens(text: str, links: Links = ()) -> tuple[Token, ...]:
    """The inline children of ``text`` parsed as one paragraph, shared: do not modify them.

    ``links`` are the article's reference definitions, so that ``[text][label]``
    is a link as it is in the article. Checks look at each msgid and msgstr
    several times; parsing once is most of their cost (``update`` of 1,000 articles took
    1.6x longer with 2,048 entries). ``pipeline serve``, which sees new texts at every save,
    clears it after each rebuild.
    """
    env = {"references": {d.label: {"href": d.href, "title": d.title} for d in links}}
    tokens = inline_parser().parseInline(text, env)
    return tuple(_allow_html(tokens[0].children or [])) if tokens else ()


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
        elif token.type == "html_inline":
            if token.content == "<br>":
                result.append("hardbreak")
            elif not token.content.startswith("</"):
                result.append(token.meta["tag"])
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
    An empty target (``[link]()``) is a target like any other.
    """
    result: list[Token] = []
    index = 0
    drop_close = 0
    for token in tokens:
        if token.type == f"{kind}_open" or (kind == "image" and token.type == "image"):
            target: str | None = str(token.attrs[attr])
            if target not in allowed:
                target = allowed[index] if index < len(allowed) else None
            index += 1
            if target is None:
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


ImageAttributes = Mapping[str, Mapping[str, str]]
"""Image source as the article writes it -> the ``<img>`` attributes of its published file."""


def render_inline(
    text: str,
    *,
    source: str | None = None,
    links: Links = (),
    images: ImageAttributes | None = None,
) -> Markup:
    """Render inline Markdown to safe HTML.

    With ``source`` given (a translation being rendered), link targets and
    image sources are pinned to those of the source text, so a translation
    that names another definition (``[text][other]``) still links where its
    source does. ``images`` gives each (pinned) image source its published file.
    """
    # The renderer and the pinning write to token attributes: work on copies of the shared parse.
    tokens = [token.copy(attrs=dict(token.attrs)) for token in inline_tokens(text, links)]
    if source is not None:
        tokens = _pin_targets(tokens, "href", "link", link_targets(source, links))
        tokens = _pin_targets(tokens, "src", "image", image_sources(source, links))
    return render_tokens(tokens, images)


def render_tokens(tokens: Sequence[Token], images: ImageAttributes | None = None) -> Markup:
    """Inline tokens (copies: the renderer writes to them) to safe HTML."""
    for token in tokens:
        published = images.get(str(token.attrs.get("src", ""))) if images else None
        if token.type == "image" and published:
            title = token.attrs.get("title")
            token.attrs = {**published, **({"title": title} if title else {})}
    parser = inline_parser()
    html = parser.renderer.render(tokens, parser.options, {})
    # Line breaks only: str.strip() would also take a leading &nbsp; (U+00A0) the text starts with.
    return Markup(html.strip("\n"))


def map_words(text: str, function: Callable[[str], str], links: Links = ()) -> list[Token]:
    """Copies of the tokens of ``text`` with ``function`` applied to the words a reader sees.

    Only text changes (in links and emphasis, and the alt text of images): markup, link and
    image targets, titles, code, inline HTML and the address an autolink shows are the
    source's own, so the result has the source's structure whatever ``function`` does.
    """
    return _map_words(inline_tokens(text, links), function)


def _map_words(tokens: Iterable[Token], function: Callable[[str], str]) -> list[Token]:
    result: list[Token] = []
    in_autolink = False
    for token in tokens:
        copy = token.copy(attrs=dict(token.attrs))
        if token.type == "link_open":
            in_autolink = token.markup == "autolink"
        elif token.type == "link_close":
            in_autolink = False
        elif token.type == "text" and not in_autolink:
            copy.content = function(token.content)
        elif token.type == "image" and token.children:
            copy.children = _map_words(token.children, function)
        result.append(copy)
    return result


def plain_text(text: str, links: Links = ()) -> str:
    """Inline Markdown without its markup, for titles, metadata and word counts."""
    return tokens_plain_text(inline_tokens(text, links))


def tokens_plain_text(tokens: Iterable[Token]) -> str:
    """The text of inline tokens without their markup (:func:`plain_text`)."""
    return "".join(_plain(tokens))


def _plain(tokens: Iterable[Token]) -> Iterable[str]:
    for token in tokens:
        if token.type in ("text", "code_inline"):
            yield token.content
        elif token.type in ("softbreak", "hardbreak") or (
            token.type == "html_inline" and token.content == "<br>"
        ):
            yield " "
        elif token.type == "image":
            # The alt text as the page shows it (markdown-it's renderInlineAsText), not as written.
            yield from _plain(token.children or ())
