"""Translation memory: what a language already says, offered to the entries it does not yet.

``update`` fills an entry that is new or untranslated from translations the same language
already has anywhere in the project (every article's catalog and ``ui``) and in the
compendia the project names (a PO file, or a TMX file as CAT tools export it), as GNU
``msgmerge --compendium`` does:

- the same msgid in the same context is an **exact** match: filled, not fuzzy;
- the same msgid in another context, or a msgid close enough by word-level similarity
  (:data:`pipeline.msgmerge.FUZZY_THRESHOLD`), is a **close** match: filled, marked fuzzy,
  with the matching source as ``#| msgid`` so the translator sees what differs.

A translation is never overwritten, and fuzzy entries (which have one) are left as they are.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from xml.etree import ElementTree

from babel.messages.catalog import Catalog

from pipeline.catalog import is_translated
from pipeline.errors import CatalogError
from pipeline.msgmerge import FUZZY_THRESHOLD, similarity

_WORD = re.compile(r"\w{4,}")
"""Words that select candidates for a close match (short words are in every sentence)."""
CANDIDATES = 40
"""Close-match candidates scored per entry, those sharing the most words."""
RAREST = 4
"""Candidates come from the entries sharing the text's rarest words (common words are in
thousands of entries and tell none apart)."""
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass
class Memory:
    """Translations of one language: (msgid, context) -> msgstr, searchable by words."""

    exact: dict[tuple[str, str | None], str] = field(default_factory=dict)
    by_text: dict[str, str] = field(default_factory=dict)
    """msgid -> a translation, whatever its context."""
    _words: dict[str, list[str]] = field(default_factory=dict)

    def add(self, msgid: str, msgstr: str, context: str | None = None) -> None:
        if not msgid or not msgstr or (msgid, context) in self.exact:
            return
        self.exact[(msgid, context)] = msgstr
        if msgid not in self.by_text:
            self.by_text[msgid] = msgstr
            for word in set(_WORD.findall(msgid.lower())):
                self._words.setdefault(word, []).append(msgid)

    def add_catalog(self, catalog: Catalog) -> None:
        for message in catalog:
            if message.id and isinstance(message.id, str) and is_translated(message):
                self.add(message.id, str(message.string), message.context)

    def __len__(self) -> int:
        return len(self.exact)

    def find(self, msgid: str, context: str | None) -> Match | None:
        """The best translation of ``msgid`` in ``context``: exact, else close, else None."""
        if (msgid, context) in self.exact:
            return Match(self.exact[(msgid, context)], msgid, exact=True)
        if msgid in self.by_text:
            return Match(self.by_text[msgid], msgid, exact=False)
        postings = sorted(
            (
                self._words[word]
                for word in set(_WORD.findall(msgid.lower()))
                if word in self._words
            ),
            key=len,
        )[:RAREST]
        shared = Counter(text for texts in postings for text in texts)
        best: Match | None = None
        best_score = FUZZY_THRESHOLD
        words = msgid.split()
        for text, _ in shared.most_common(CANDIDATES):
            if SequenceMatcher(None, text.split(), words).real_quick_ratio() < best_score:
                continue
            score = similarity(text, msgid)
            if score >= best_score:
                best, best_score = Match(self.by_text[text], text, exact=False), score
        return best


@dataclass(frozen=True)
class Match:
    msgstr: str
    source: str
    """The msgid the translation was made for."""
    exact: bool


def fill(catalog: Catalog, memory: Memory) -> tuple[int, int]:
    """Fill ``catalog``'s untranslated singular entries from ``memory``: (exact, close)."""
    exact = close = 0
    if not len(memory):
        return 0, 0
    for message in catalog:
        if not message.id or not isinstance(message.id, str) or message.string:
            continue
        match = memory.find(message.id, message.context)
        if match is None:
            continue
        message.string = match.msgstr
        if match.exact:
            exact += 1
        else:
            message.flags.add("fuzzy")
            message.previous_id = [match.source]
            close += 1
    return exact, close


def read_tmx(data: bytes, name: str, source_lang: str) -> Iterator[tuple[str, str, str]]:
    """(target language, source text, translation) of every unit of a TMX file.

    A segment with inline markup (``<bpt>``, ``<ph>``...) is skipped: its text alone would
    drop what the markup stood for.
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise CatalogError("a TMX file with a DOCTYPE or entities is not read", name)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise CatalogError(f"not a readable TMX file ({exc})", name, exc.position[0]) from None
    source = _base(source_lang)
    for unit in root.iter("tu"):
        segments: dict[str, str] = {}
        for variant in unit.iter("tuv"):
            lang = variant.get(_XML_LANG) or variant.get("lang") or ""
            seg = variant.find("seg")
            if seg is None or len(seg):
                continue
            segments[lang.replace("_", "-")] = seg.text or ""
        text = next((t for lang, t in segments.items() if _base(lang) == source), "")
        for lang, translation in segments.items():
            if _base(lang) != source and text and translation:
                yield lang, text, translation


def _base(lang: str) -> str:
    return lang.split("-")[0].lower()


def tmx_languages_match(tmx_lang: str, lang: str) -> bool:
    """A TMX ``fr-FR`` unit serves ``fr``; ``pt-BR`` serves ``pt-BR``, not ``pt-PT``."""
    tmx, wanted = tmx_lang.lower(), lang.lower()
    return tmx == wanted or (tmx.split("-")[0] == wanted and "-" not in wanted)


def memories(
    catalogs: Iterable[tuple[str, Catalog]],
    tmx_units: Iterable[tuple[str, str, str]] = (),
    languages: Iterable[str] = (),
) -> dict[str, Memory]:
    """One memory per language from its catalogs, then from TMX units (project first)."""
    found = {lang: Memory() for lang in languages}
    for lang, catalog in catalogs:
        found.setdefault(lang, Memory()).add_catalog(catalog)
    units = list(tmx_units)
    for lang, memory in found.items():
        for tmx_lang, text, translation in units:
            if tmx_languages_match(tmx_lang, lang):
                memory.add(text, translation)
    return found
