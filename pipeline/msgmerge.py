"""Bring a translation up to date with its template, never losing a translation.

What ``msgmerge`` does, on Babel's types, with two differences from Babel's
own ``Catalog.update``: a changed string is paired with an old one by
*word*-level similarity (Babel's character-level 0.6 pairs unrelated
sentences), and a translation whose string returns from obsolete gets its
translation back.
"""

from __future__ import annotations

from collections.abc import Iterator
from difflib import SequenceMatcher

from babel.messages.catalog import Catalog, Message

from pipeline.catalog import message_key, obsolete_key

FUZZY_THRESHOLD = 0.6
"""Least word-level similarity for an old translation to be offered, fuzzy, for a changed string."""


def similarity(old: str, new: str) -> float:
    """Word-level likeness of two msgids, 0 to 1; unrelated sentences score low."""
    return SequenceMatcher(None, old.split(), new.split(), autojunk=False).ratio()


def merge(catalog: Catalog, template: Catalog) -> Catalog:
    """Bring a translation up to date with its template, never losing a translation.

    - An unchanged msgid keeps its translation and flags.
    - A msgid that was obsolete and is back gets its translation back.
    - A new msgid close enough to an old translated one takes its translation,
      marked fuzzy, with the old msgid as ``#| msgid`` (previous).
    - Every old translated msgid no longer in the template becomes obsolete.
    """
    merged = Catalog(
        locale=catalog.locale, header_comment=catalog.header_comment, fuzzy=catalog.fuzzy
    )
    merged.mime_headers = catalog.mime_headers
    merged.creation_date = template.creation_date

    old_active = {message_key(m): m for m in catalog if m.id}
    old_obsolete = dict(_obsolete_items(catalog))
    wanted = {message_key(m) for m in template if m.id}
    candidates = [
        m
        for key, m in [*old_active.items(), *old_obsolete.items()]
        if key not in wanted and m.string and isinstance(m.id, str)
    ]

    for new in template:
        if not new.id:
            continue
        key = message_key(new)
        message = new.clone()
        old = old_active.get(key) or old_obsolete.get(key)
        if old is not None:
            message.string = old.string
            message.flags |= old.flags - {"python-format"}
            message.user_comments = list(old.user_comments)
            if "fuzzy" in old.flags:
                message.previous_id = list(old.previous_id)
        elif isinstance(new.id, str):
            best = _closest(new.id, new.context, candidates)
            if best is not None:
                message.string = best.string
                message.flags.add("fuzzy")
                message.previous_id = [str(best.id)]  # candidates are singular entries
                message.user_comments = list(best.user_comments)
        merged[message.id] = message

    for key, old in [*old_active.items(), *old_obsolete.items()]:
        if key not in wanted and old.string:
            merged.obsolete[obsolete_key(old)] = old
    return merged


def _closest(msgid: str, context: str | None, candidates: list[Message]) -> Message | None:
    best: Message | None = None
    best_score = FUZZY_THRESHOLD
    for candidate in candidates:
        if candidate.context != context:
            continue
        old = str(candidate.id)
        words = SequenceMatcher(None, old.split(), msgid.split(), autojunk=False)
        if words.real_quick_ratio() < best_score:
            continue
        score = similarity(old, msgid)
        if score >= best_score:
            best, best_score = candidate, score
    return best


def _obsolete_items(catalog: Catalog) -> Iterator[tuple[tuple[str, str | None], Message]]:
    for message in catalog.obsolete.values():
        yield message_key(message), message
