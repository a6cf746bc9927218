"""The gettext life cycle: templates from articles and templates, init, update, stats.

Pure functions build :class:`babel.messages.catalog.Catalog` objects and
their headers; :mod:`pipeline.pofile` turns them into text and is the one
place that touches disk.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file

from pipeline.article import Article
from pipeline.markdown import plain_text
from pipeline.plurals import cldr_plural_forms
from pipeline.pofile import Header, with_fields
from pipeline.project import UI_DOMAIN, parse_locale

Key = tuple[str, str | None]
FUZZY_THRESHOLD = 0.6
"""Least word-level similarity for an old translation to be offered, fuzzy, for a changed string."""


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


def _template_messages(
    template_files: Iterable[tuple[Path, str]], comment_tags: tuple[str, ...]
) -> Iterator[tuple[str, int, str | tuple[str, ...], list[str], str | None]]:
    """(name, line, message, comments, context) of every gettext call in the templates."""
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    for path, name in template_files:
        for lineno, message, comments, context in extract_from_file(
            "jinja2.ext:babel_extract",
            str(path),
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)},
            comment_tags=comment_tags,
            options=options,
            strip_comment_tags=True,
        ):
            yield name, lineno, message, comments, context


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
    they are translated and not fuzzy."""
    return frozenset(
        (message if isinstance(message, str) else message[0], context)
        for _, _, message, comments, context in _template_messages(template_files, (CRITICAL_TAG,))
        if comments
    )


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
        if is_translated(message):
            translated += 1
            translated_words += count
        elif message.fuzzy and not _has_empty_form(message):
            fuzzy += 1
        else:
            untranslated += 1
    return Stats(lang, domain, translated, fuzzy, untranslated, words, translated_words)
