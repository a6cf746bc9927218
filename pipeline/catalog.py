"""The gettext life cycle: templates from articles and templates, init, update, stats.

Pure functions build :class:`babel.messages.catalog.Catalog` objects and PO
text; :func:`write_if_changed` is the one place that touches disk, and it
leaves a file alone when nothing but its dates would change.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import PoFileError, normalize, read_po, unescape, write_po

from pipeline.article import Article
from pipeline.errors import CatalogError
from pipeline.markdown import plain_text
from pipeline.project import parse_locale, to_gettext

UI_DOMAIN = "ui"
PO_WIDTH = 76
FUZZY_THRESHOLD = 0.6
"""Least word-level similarity for an old translation to be offered, fuzzy, for a changed string."""

_DATE_HEADER = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', re.MULTILINE)


def build_date() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` for reproducible catalogs."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)


# --- templates ------------------------------------------------------------------------------


def article_template(
    article: Article, *, project: str = "", date: datetime | None = None
) -> Catalog:
    """The POT of one article: one entry per distinct (msgctxt, msgid), in reading order."""
    catalog = _new_template(project or article.meta.publisher, article.slug, date)
    for unit in article.units():
        comment = f"{unit.comment} (critical)" if unit.critical else unit.comment
        catalog.add(
            unit.msgid,
            locations=[(unit.path, unit.line)],
            auto_comments=[comment],
            context=unit.context,
        )
    return _dedupe_comments(catalog)


def ui_template(
    template_files: Iterable[tuple[Path, str]], *, project: str = "", date: datetime | None = None
) -> Catalog:
    """The POT of the page and brochure templates, through Babel's Jinja2 extractor.

    ``template_files`` pairs each template's path with how references name it.
    """
    catalog = _new_template(project, UI_DOMAIN, date)
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    for path, name in template_files:
        for lineno, message, comments, context in extract_from_file(
            "jinja2.ext:babel_extract",
            str(path),
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)},
            comment_tags=("Translators:",),
            options=options,
            strip_comment_tags=True,
        ):
            catalog.add(
                message,
                locations=[(name, lineno)],
                auto_comments=comments,
                context=context,
                flags=("python-format",) if _has_named_placeholder(message) else (),
            )
    return _dedupe_comments(catalog)


def _has_named_placeholder(message: str | tuple[str, ...]) -> bool:
    text = message if isinstance(message, str) else message[0]
    return bool(re.search(r"%\([a-z_]+\)[sd]", text))


def _new_template(project: str, domain: str, date: datetime | None) -> Catalog:
    return Catalog(
        project=f"{project} {domain}".strip(),
        version="1.0",
        copyright_holder=project or None,
        msgid_bugs_address="",
        charset="utf-8",
        creation_date=date or build_date(),
        header_comment=f"# Translations of {domain}.\n#",
        fuzzy=False,
    )


def _dedupe_comments(catalog: Catalog) -> Catalog:
    for message in catalog:
        message.auto_comments = list(dict.fromkeys(message.auto_comments))
    return catalog


# --- reading and writing --------------------------------------------------------------------


_PO_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_PO_KEYWORD = re.compile(
    r"^(?:#~\s*)?(?:#\|\s*)?(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)?\s*(.*)$"
)


def _check_strings(data: bytes, name: str) -> None:
    """Reject what Babel's lenient reader would quietly mangle: a string not properly quoted."""
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith(("#~", "#|"))):
            continue
        match = _PO_KEYWORD.match(line)
        rest = match.group(2) if match else line
        if match and not match.group(1) and not rest.startswith('"'):
            if line.startswith(("#~", "#|")) and not rest:
                continue
            raise CatalogError(f"unexpected text {line[:40]!r}", name, number)
        if not _PO_STRING.fullmatch(rest.strip()):
            raise CatalogError(f"malformed string {rest[:40]!r}: unterminated quote?", name, number)


def _restore_previous(catalog: Catalog) -> Catalog:
    """Babel writes ``#| msgid`` but reads it back as a comment; make it ``previous_id`` again."""
    for message in [*catalog, *catalog.obsolete.values()]:
        previous = [c for c in message.user_comments if c.startswith("|")]
        if not previous:
            continue
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
        parts: dict[str, list[str]] = {}
        field = ""
        for comment in previous:
            text = comment[1:].strip()
            keyword, _, rest = text.partition(" ")
            if keyword in ("msgid", "msgid_plural", "msgctxt"):
                field, text = keyword, rest
            parts.setdefault(field, []).append(unescape(text))
        ids = ["".join(parts.get("msgid", []))]
        if "msgid_plural" in parts:
            ids.append("".join(parts["msgid_plural"]))
        message.previous_id = ids
    return catalog


def read_catalog(text: bytes | str, name: str, *, locale: str | None = None) -> Catalog:
    """Parse PO/POT text; a syntax error becomes a :class:`CatalogError` with file and line."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        _check_strings(data, name)
        catalog = read_po(
            io.BytesIO(data), locale=to_gettext(locale) if locale else None, abort_invalid=True
        )
    except PoFileError as exc:
        message = re.sub(r" on \d+$", "", str(exc.args[0]) if exc.args else "syntax error")
        raise CatalogError(message, name, exc.lineno + 1) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogError(f"cannot read catalog: {exc}", name) from None
    return _restore_previous(catalog)


def load_catalog(path: Path, name: str, *, locale: str | None = None) -> Catalog:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError("file not found", name) from None
    return read_catalog(data, name, locale=locale)


AUTO_FORMAT_FLAGS = frozenset({"python-format", "python-brace-format"})


def po_bytes(catalog: Catalog, *, format_flags: bool = True) -> bytes:
    """PO text of ``catalog``, wrapped and ordered stably.

    Babel flags any msgid that looks like a format string; article text never
    is one ("80% reported" is not ``% r``), so article domains are written
    with ``format_flags=False`` and msgfmt does not hold translators to it.
    """
    if not format_flags:
        for message in catalog:
            message.flags -= AUTO_FORMAT_FLAGS
        for message in catalog.obsolete.values():
            message.flags -= AUTO_FORMAT_FLAGS
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=PO_WIDTH,
        sort_output=False,
        sort_by_file=False,
        ignore_obsolete=False,
        include_previous=False,
    )
    return _with_previous(buffer.getvalue().decode("utf-8"), catalog).encode("utf-8")


def _with_previous(text: str, catalog: Catalog) -> str:
    """Insert ``#| msgid`` lines, which Babel's writer breaks for long msgids.

    Babel wraps the previous msgid as prose (``TextWrapper``), splitting quoted
    strings across lines; this writes it as a PO string with a ``#| `` prefix.
    """
    for message in catalog:
        if not message.id or not message.previous_id:
            continue
        anchor = "\n"
        if message.context is not None:
            anchor += f"msgctxt {normalize(message.context, width=PO_WIDTH)}\n"
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        anchor += f"msgid {normalize(msgid, width=PO_WIDTH)}\n"
        position = text.find(anchor)
        if position < 0:
            continue
        lines = [f"#| msgid {normalize(message.previous_id[0], prefix='#| ', width=PO_WIDTH)}"]
        if len(message.previous_id) > 1:
            plural = normalize(message.previous_id[1], prefix="#| ", width=PO_WIDTH)
            lines.append(f"#| msgid_plural {plural}")
        text = text[: position + 1] + "\n".join(lines) + text[position:]
    return text


def _without_dates(data: bytes) -> bytes:
    return _DATE_HEADER.sub(b"", data)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already says the same apart from its date headers."""
    try:
        if _without_dates(path.read_bytes()) == _without_dates(data):
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


# --- init and update ------------------------------------------------------------------------


def init_catalog(template: Catalog, lang: str, *, date: datetime | None = None) -> Catalog:
    """A new, empty translation of ``template`` with CLDR's headers for ``lang``."""
    catalog = read_catalog(po_bytes(template), "<template>", locale=lang)
    catalog.locale = parse_locale(lang)
    catalog.revision_date = date or build_date()
    catalog.fuzzy = False
    catalog.language_team = f"{catalog.locale.get_display_name('en')} <>"
    return catalog


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
                message.previous_id = [best.id] if isinstance(best.id, str) else list(best.id)
                message.user_comments = list(best.user_comments)
        merged[message.id] = message

    for key, old in [*old_active.items(), *old_obsolete.items()]:
        if key not in wanted and old.string:
            merged.obsolete[_obsolete_key(old)] = old
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


def message_key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return (msgid, message.context)


def _obsolete_key(message: Message) -> str | tuple[str, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid if message.context is None else (msgid, message.context)


def _obsolete_items(catalog: Catalog) -> Iterator[tuple[tuple[str, str | None], Message]]:
    for message in catalog.obsolete.values():
        yield message_key(message), message


# --- statistics -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    lang: str
    domain: str
    translated: int
    fuzzy: int
    untranslated: int
    words: int
    translated_words: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "total": self.total, "percent": round(self.percent, 1)}


def catalog_stats(catalog: Catalog, lang: str, domain: str) -> Stats:
    translated = fuzzy = untranslated = words = translated_words = 0
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        count = len(plain_text(msgid).split())
        words += count
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if not all(strings):
            untranslated += 1
        elif message.fuzzy:
            fuzzy += 1
        else:
            translated += 1
            translated_words += count
    return Stats(lang, domain, translated, fuzzy, untranslated, words, translated_words)
