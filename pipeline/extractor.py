"""Babel extractor for Markdown articles.

Registered as the ``pipeline`` method in the ``babel.extractors`` entry point
group, so ``pybabel extract -F babel.cfg`` finds the same messages, with the
same comments, as ``pipeline extract``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from pipeline.markdown import parse_article


def extract_markdown(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str | tuple[str, str], list[str]]]:
    name = getattr(fileobj, "name", "<article>")
    encoding = options.get("encoding", "utf-8")
    text = fileobj.read().decode(encoding)
    article = parse_article(text, _display_name(name))
    for unit in article.units():
        comment = f"{unit.comment} (critical)" if unit.critical else unit.comment
        if unit.context is None:
            yield unit.line, None, unit.msgid, [comment]
        else:
            yield unit.line, "pgettext", (unit.context, unit.msgid), [comment]


def _display_name(name: str) -> str:
    path = Path(name)
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return name
