"""A three-way merge of PO files, message by message: the git merge driver of ``.gitattributes``.

Two translators on two branches, and the source changing on main, all touch
the same few header lines (``POT-Creation-Date`` beside ``PO-Revision-Date``)
and the same wrapped strings, so git's line merge conflicts where nothing
conflicts. Here each message is merged on its own:

- a message only one side changed takes that side's translation;
- both sides changed it the same way: that translation;
- both changed it differently: ours is kept, marked fuzzy, with theirs in a
  translator comment, and the merge reports a conflict (git then stops);
- the entries and their order come from the side whose template is newer
  (it ran ``pipeline update``); an entry the other side alone still has is
  kept as obsolete if it carries a translation that side changed, so no
  translation is ever lost;
- header fields merge the same way, except the dates, which take the newer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.messages.catalog import Catalog, Message

from pipeline.catalog import message_key, obsolete_key
from pipeline.pofile import DATE_FIELDS, Header, po_bytes, read_catalog, read_header

Key = tuple[str, str | None]
State = tuple[object, ...]


@dataclass(frozen=True)
class MergeResult:
    data: bytes
    conflicts: tuple[str, ...]
    """The msgids (and header fields) both sides changed differently."""


def _state(message: Message | None) -> State | None:
    """What a translator owns of a message: its text, fuzziness, comments, previous msgid."""
    if message is None:
        return None
    string = tuple(message.string) if isinstance(message.string, tuple | list) else message.string
    return (string, message.fuzzy, tuple(message.user_comments), tuple(message.previous_id))


def _messages(catalog: Catalog) -> dict[Key, tuple[Message, bool]]:
    """Every entry by key, with whether it is obsolete."""
    found = {message_key(m): (m, False) for m in catalog if m.id}
    for message in catalog.obsolete.values():
        found.setdefault(message_key(message), (message, True))
    return found


def _date(header: Header, name: str) -> str:
    return next((value for key, value in header if key == name), "")


def _newer(first: str, second: str) -> str:
    def parse(value: str) -> datetime | None:
        try:
            return datetime.strptime(value, "%Y-%m-%d %H:%M%z")
        except ValueError:
            return None

    a, b = parse(first), parse(second)
    if a is None or b is None:
        return first if b is None else second
    return first if a >= b else second


def _merge_header(base: Header, ours: Header, theirs: Header) -> tuple[Header, list[str]]:
    base_fields, their_fields = dict(base), dict(theirs)
    merged: Header = []
    conflicts: list[str] = []
    names = [k for k, _ in ours] + [k for k, _ in theirs if k not in dict(ours)]
    our_fields = dict(ours)
    for name in names:
        mine, other, old = our_fields.get(name), their_fields.get(name), base_fields.get(name)
        if name in DATE_FIELDS and mine is not None and other is not None:
            value: str | None = _newer(mine, other)
        elif mine == other or other == old:
            value = mine
        elif mine == old:
            value = other
        else:
            value = mine
            conflicts.append(f"header field {name}")
        if value is not None:
            merged.append((name, value))
    return merged, conflicts


def merge_po(base: bytes, ours: bytes, theirs: bytes, name: str = "<po>") -> MergeResult:
    """Merge ``theirs`` into ``ours`` given their common ancestor ``base``."""
    catalogs = [
        read_catalog(base, name),
        *(read_catalog(side, name, strict=bool(side.strip())) for side in (ours, theirs)),
    ]
    headers = [read_header(data) for data in (base, ours, theirs)]
    header, conflicts = _merge_header(*headers)
    old, mine, other = (_messages(catalog) for catalog in catalogs)

    our_date = _date(headers[1], "POT-Creation-Date")
    their_date = _date(headers[2], "POT-Creation-Date")
    theirs_lead = _newer(their_date, our_date) == their_date and their_date != our_date
    lead, follow = (other, mine) if theirs_lead else (mine, other)
    skeleton = catalogs[2] if theirs_lead else catalogs[1]

    merged = Catalog(
        locale=skeleton.locale, header_comment=skeleton.header_comment, fuzzy=skeleton.fuzzy
    )
    for key, (message, obsolete) in lead.items():
        result = message.clone()
        picked = _pick(old.get(key), mine.get(key), other.get(key))
        if picked is None:
            conflicts.append(key[0])
            result = _conflicted(message, mine[key][0], other[key][0])
        elif picked is not message:
            _take_translation(result, picked)
        _add(merged, result, obsolete)
    for key, (message, _) in follow.items():
        if key in lead:
            continue
        before = old.get(key)
        if before is not None and _state(before[0]) == _state(message):
            continue  # the lead side dropped an entry this side did not touch
        if message.string:
            _add(merged, message.clone(), True)
    data = po_bytes(merged, header, format_flags=name.endswith("ui.po"), name=name)
    return MergeResult(data, tuple(conflicts))


def _pick(
    base: tuple[Message, bool] | None,
    ours: tuple[Message, bool] | None,
    theirs: tuple[Message, bool] | None,
) -> Message | None:
    """The message whose translation wins; ``None`` when both sides changed it differently."""
    old, mine, other = (_state(entry[0]) if entry else None for entry in (base, ours, theirs))
    if ours is None or theirs is None:
        return (ours or theirs or (None, False))[0]
    if mine == other or other == old:
        return ours[0]
    if mine == old:
        return theirs[0]
    return None


def _take_translation(target: Message, source: Message) -> None:
    target.string = source.string
    target.flags = set(source.flags)
    target.user_comments = list(source.user_comments)
    target.previous_id = list(source.previous_id)


def _conflicted(lead: Message, ours: Message, theirs: Message) -> Message:
    result = lead.clone()
    _take_translation(result, ours)
    other = " | ".join(theirs.string) if isinstance(theirs.string, tuple | list) else theirs.string
    result.flags.add("fuzzy")
    other = (other or "").replace("\\", "\\\\").replace("\n", "\\n")  # one comment line
    result.user_comments = [*result.user_comments, f"merge conflict: the other side has: {other}"]
    return result


def _add(catalog: Catalog, message: Message, obsolete: bool) -> None:
    if obsolete:
        catalog.obsolete[obsolete_key(message)] = message
    else:
        catalog[message.id] = message
