"""The gettext life cycle: templates from articles and templates, init, update, stats.

Pure functions build :class:`babel.messages.catalog.Catalog` objects and
their headers; :mod:`pipeline.pofile` turns them into text and is the one
place that touches disk.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import babel
import jinja2
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract, extract_from_file

from pipeline.article import Article
from pipeline.inline import plain_text
from pipeline.plurals import cldr_plural_forms
from pipeline.pofile import Header, with_fields
from pipeline.project import UI_DOMAIN, parse_locale
from pipeline.resources import read_derived, write_derived

Key = tuple[str, str | None]


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


_KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
"""The gettext calls of the templates, as Babel's extractor takes them."""
_EXTRACT_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
_CRITICAL_KEYS_FORMAT = 1
"""Raised when what :func:`_critical_keys` finds, or how, changes: older kept results are
then never read."""


def _template_messages(
    template_files: Iterable[tuple[Path, str]], comment_tags: tuple[str, ...]
) -> Iterator[tuple[str, int, str | tuple[str, ...], list[str], str | None]]:
    """(name, line, message, comments, context) of every gettext call in the templates."""
    for path, name in template_files:
        for lineno, message, comments, context in extract_from_file(
            "jinja2.ext:babel_extract",
            str(path),
            keywords=_KEYWORDS,
            comment_tags=comment_tags,
            options=_EXTRACT_OPTIONS,
            strip_comment_tags=True,
        ):
            yield name, lineno, message, comments, context


def template_text_keys(text: str) -> frozenset[Key]:
    """(msgid, context) of every gettext call in a template given as text (a theme's)."""
    found = extract(
        "jinja2.ext:babel_extract",
        io.BytesIO(text.encode("utf-8")),
        keywords=_KEYWORDS,
        options=_EXTRACT_OPTIONS,
    )
    return frozenset(
        (message if isinstance(message, str) else message[0], context)
        for _, message, _, context in found
    )


def ui_template(
    template_files: Iterable[tuple[Path, str]], *, project: str = "", date: datetime | None = None
) -> Catalog:
    """The POT of the page and brochure templates, through Babel's Jinja2 extractor.

    ``template_files`` pairs each template's path with how references name it.
    Comments tagged ``Translators:`` or ``Critical:`` are shown to translators.
    """
    catalog = _new_template(project, UI_DOMAIN, date)
    for name, lineno, message, comments, context in _template_messages(
        template_files, ("Translators:", CRITICAL_TAG)
    ):
        catalog.add(
            message,
            locations=[(name, lineno)],
            auto_comments=comments,
            context=context,
            flags=("python-format",) if _has_named_placeholder(message) else (),
        )
    return _dedupe_comments(catalog)


CRITICAL_TAG = "Critical:"
"""The template comment that makes the next message critical (``{# Critical: why #}``)."""


def critical_ui_keys(template_files: Iterable[tuple[Path, str]]) -> frozenset[Key]:
    """The template messages marked ``{# Critical: ... #}``: a language is published only when
    they are translated and not fuzzy. Only templates with such a comment are parsed."""
    texts = [(p, n, p.read_text("utf-8")) for p, n in template_files]
    return _critical_keys(
        tuple(sorted((p, n, text) for p, n, text in texts if CRITICAL_TAG in text))
    )


@functools.lru_cache(maxsize=4)
def _critical_keys(marked: tuple[tuple[Path, str, str], ...]) -> frozenset[Key]:
    """Keyed by the templates' text: a long-lived process (``pipeline serve``) parses them
    once, not at every rebuild, and again as soon as one changes; the next process reads
    what the last one found (:func:`~pipeline.resources.read_derived`)."""
    source = json.dumps(
        [
            _CRITICAL_KEYS_FORMAT,
            babel.__version__,
            jinja2.__version__,
            CRITICAL_TAG,
            _KEYWORDS,
            _EXTRACT_OPTIONS,
            [t for _, _, t in marked],
        ]
    )
    known = _keys_from(read_derived("critical-messages", source))
    if known is not None:
        return known
    keys = frozenset(
        (message if isinstance(message, str) else message[0], context)
        for _, _, message, comments, context in _template_messages(
            [(p, n) for p, n, _ in marked], (CRITICAL_TAG,)
        )
        if comments
    )
    data = json.dumps(sorted(keys, key=repr), ensure_ascii=False).encode("utf-8")
    write_derived("critical-messages", source, data)
    return keys


def _keys_from(data: bytes | None) -> frozenset[Key] | None:
    """The keys ``data`` lists, or None when it lists none or not as written."""
    try:
        pairs = json.loads(data) if data is not None else None
    except ValueError:
        return None
    if not isinstance(pairs, list) or not all(
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and (pair[1] is None or isinstance(pair[1], str))
        for pair in pairs
    ):
        return None
    return frozenset((msgid, context) for msgid, context in pairs)


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


# --- init and update ------------------------------------------------------------------------


def init_catalog(template: Catalog, lang: str, *, date: datetime | None = None) -> Catalog:
    """A new, empty translation of ``template`` for ``lang``."""
    locale = parse_locale(lang)
    catalog = Catalog(
        locale=locale,
        project=template.project,
        version=template.version,
        msgid_bugs_address=template.msgid_bugs_address,
        creation_date=template.creation_date,
        revision_date=date or build_date(),
        language_team=f"{locale.get_display_name('en')} <>",
        header_comment=template.header_comment,
        charset="utf-8",
        fuzzy=False,
    )
    nplurals = cldr_plural_forms(locale).nplurals
    for message in template:
        if not message.id:
            continue
        copy = message.clone()
        copy.string = ("",) * nplurals if isinstance(message.id, tuple | list) else ""
        copy.flags -= {"fuzzy"}
        catalog[copy.id] = copy
    return catalog


def template_header(template: Catalog) -> Header:
    """The header of a POT: Babel's fields for it, less its ``Generated-By``."""
    return [(k, v.rstrip("\n")) for k, v in template.mime_headers if k != "Generated-By"]


def init_header(catalog: Catalog) -> Header:
    """The header of a new translation: CLDR's plural forms for its language."""
    header = template_header(catalog)
    if catalog.locale is not None:
        header = with_fields(header, [("Plural-Forms", cldr_plural_forms(catalog.locale).header)])
    return header


def update_header(existing: Header, template: Catalog) -> Header:
    """A translation's header after ``update``: as the translator left it, with the template's
    date. Like ``msgmerge``, nothing else is touched."""
    date = dict(template_header(template))["POT-Creation-Date"]
    return with_fields(existing, [("POT-Creation-Date", date)])


def message_key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return (msgid, message.context)


def obsolete_key(message: Message) -> str | tuple[str, str]:
    """How Babel keys an obsolete entry (``Catalog.obsolete``)."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid if message.context is None else (msgid, message.context)


def _has_empty_form(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return not all(strings)


def is_translated(message: Message) -> bool:
    """Every form has a translation and the entry is not fuzzy: what gettext would use."""
    return not message.fuzzy and not _has_empty_form(message)


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
    reviewed: int = 0
    """Entries a second linguist revised as they now stand (:mod:`pipeline.review`)."""
    reviewed_words: int = 0

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "total": self.total, "percent": round(self.percent, 1)}


def catalog_stats(
    catalog: Catalog, lang: str, domain: str, reviewed: Collection[Key] = ()
) -> Stats:
    """Entries and source words, translated, fuzzy, untranslated; ``reviewed`` are the keys
    of the entries revised as they stand."""
    translated = fuzzy = untranslated = words = translated_words = 0
    revised = revised_words = 0
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        count = len(plain_text(msgid).split())
        words += count
        if message_key(message) in reviewed:
            revised += 1
            revised_words += count
        if is_translated(message):
            translated += 1
            translated_words += count
        elif message.fuzzy and not _has_empty_form(message):
            fuzzy += 1
        else:
            untranslated += 1
    return Stats(
        lang, domain, translated, fuzzy, untranslated, words, translated_words, revised,
        revised_words,
    )  # fmt: skip
