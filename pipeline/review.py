"""A second linguist's sign-off (ISO 17100 revision), recorded beside the catalogs.

``pipeline review LANG --reviewer NAME`` records, for each translated entry of a catalog,
a hash of what was revised (context, source and translation) with the reviewer and the
date, in ``locale/<lang>/reviews/<domain>.json``: plain JSON, one entry a line, sorted,
so a pull request shows who signed off what. Nothing depends on an editor keeping a
custom flag: an entry whose translation or source changes after the review hashes
differently and is unreviewed again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.messages.catalog import Catalog, Message

from pipeline.catalog import is_translated, message_key
from pipeline.errors import CatalogError
from pipeline.translate import Credits

Key = tuple[str, str | None]
FORMAT = 1


@dataclass(frozen=True)
class Signoff:
    reviewer: str
    date: str
    """ISO 8601 day of the review."""


@dataclass
class ReviewRecord:
    domain: str
    entries: dict[str, Signoff] = field(default_factory=dict)
    """Hash of a revised entry (:func:`entry_hash`) -> who revised it, when."""


def _strings(message: Message) -> tuple[str, ...]:
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return (message.context or "", *ids, "", *(str(s) for s in strings))


def entry_hash(message: Message) -> str:
    """What a reviewer signed: the entry's context, source and translation."""
    digest = hashlib.sha256("\0".join(_strings(message)).encode("utf-8"))
    return digest.hexdigest()[:20]


def sign(
    record: ReviewRecord, catalog: Catalog, reviewer: str, day: date
) -> tuple[ReviewRecord, int]:
    """The record after ``reviewer`` revised every translated entry of ``catalog`` on ``day``.

    An entry already signed keeps its first sign-off; sign-offs of entries that are no
    longer in the catalog as they were are dropped. Returns the record and how many
    entries were newly signed.
    """
    current = {entry_hash(m): m for m in catalog if m.id and is_translated(m)}
    entries = {h: s for h, s in record.entries.items() if h in current}
    added = 0
    for digest in current:
        if digest not in entries:
            entries[digest] = Signoff(reviewer, day.isoformat())
            added += 1
    return ReviewRecord(record.domain, dict(sorted(entries.items()))), added


def reviewed(record: ReviewRecord | None, catalog: Catalog) -> dict[Key, Signoff]:
    """(msgid, msgctxt) -> sign-off of each entry revised as it now stands."""
    if record is None:
        return {}
    return {
        message_key(m): record.entries[entry_hash(m)]
        for m in catalog
        if m.id and is_translated(m) and entry_hash(m) in record.entries
    }


def dump(record: ReviewRecord) -> bytes:
    """The record as committed: sorted, one entry a line."""
    lines = [
        f'    "{digest}": {json.dumps([s.reviewer, s.date], ensure_ascii=False)}'
        for digest, s in sorted(record.entries.items())
    ]
    body = ",\n".join(lines)
    head = f'{{\n  "format": {FORMAT},\n  "domain": {json.dumps(record.domain)},\n  "entries": {{\n'
    return (head + body + ("\n" if lines else "") + "  }\n}\n").encode("utf-8")


def load(data: bytes, name: str) -> ReviewRecord:
    """A record from its file; anything else is a :class:`CatalogError` naming the file."""
    try:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"not a review record of format {FORMAT}")
        entries = raw["entries"]
        if not isinstance(entries, dict):
            raise ValueError("'entries' is not an object")
        parsed = {}
        for digest, value in entries.items():
            if not (
                isinstance(value, list)
                and len(value) == 2
                and all(isinstance(v, str) for v in value)
            ):
                raise ValueError(f"entry {digest!r} is not [reviewer, date]")
            date.fromisoformat(value[1])
            parsed[str(digest)] = Signoff(value[0], value[1])
        return ReviewRecord(str(raw["domain"]), parsed)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"not a review record: {exc.msg}", name, exc.lineno) from None
    except (UnicodeDecodeError, KeyError, ValueError) as exc:
        raise CatalogError(f"not a review record: {exc}", name) from None


def edition_credits(catalog: Catalog, record: ReviewRecord | None) -> Credits:
    """The translator (the catalog's ``Last-Translator``, without the address) and, when
    every translated entry is signed off as it stands, the reviser and the last day."""
    translator = re.sub(r"\s*<[^>]*>\s*$", "", str(catalog.last_translator or "")).strip()
    if translator.upper().startswith("FULL NAME"):
        translator = ""
    revised = catalog.revision_date  # the POT's "YEAR-MO-DA HO:MI+ZONE" stays a string
    on = revised.date() if isinstance(revised, datetime) and translator else None
    signed = reviewed(record, catalog)
    translated = [m for m in catalog if m.id and is_translated(m)]
    if not translated or len(signed) < len({message_key(m) for m in translated}):
        return Credits(translator, translated_on=on)
    reviewer = Counter(s.reviewer for s in signed.values()).most_common(1)[0][0]
    day = max(date.fromisoformat(s.date) for s in signed.values())
    return Credits(translator, reviewer, day, on)
