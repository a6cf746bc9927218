"""The project's terminology: for each source term, what each language must and must not say.

Read from TBX (ISO 30042, what Weblate, memoQ and Trados export; TBX-Basic ``termEntry``/
``langSet``/``tig`` and TBX v3 ``conceptEntry``/``langSec``/``termSec`` alike) or from a
documented YAML file. In TBX, a term whose ``administrativeStatus`` is
``deprecatedTerm-admn-sts`` or ``supersededTerm-admn-sts`` is forbidden, any other term of
the language is required (one of them), and an entry is critical when it carries
``<descrip type="note">critical</descrip>`` (a drug, a procedure). In YAML::

    terms:
      - source: stroke
        critical: true
        fr: {required: [AVC, accident vasculaire cérébral], forbidden: [attaque]}
        ru: {required: [инсульт]}

Matching: case-insensitive; a source term matches whole words of the msgid. A required
translation is found when each of its words starts a word of the msgstr, or ends inside
one: an ending (Russian ``инсульт`` in ``инсульта``), a compound (``постинсультный``), a
prefix glued to the word (Arabic ``السكتة`` in ``بالسكتة``). A forbidden one is found when
it starts a word (anywhere in a word in Arabic, Persian, Urdu, Hebrew). Inflections that
change a word's start are listed as variants. Entries that keep the source text (a cited
title in its original language) are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from xml.etree import ElementTree

import yaml

from pipeline.errors import ConfigError

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_FORBIDDEN_STATUS = {
    "deprecatedterm-admn-sts",
    "supersededterm-admn-sts",
    "deprecated",
    "forbidden",
}
_GLUING = ("ar", "fa", "ur", "he")
"""Languages whose prefixes (articles, prepositions) are written joined to the word."""


@dataclass(frozen=True)
class Term:
    source: str
    critical: bool = False
    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    forbidden: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...] = ()

    def in_text(self, msgid: str) -> list[Term]:
        """The terms a source text contains."""
        return [t for t in self.terms if _source_pattern(t.source).search(msgid)]


def _source_pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)


def contains(text: str, term: str, lang: str, *, within: bool = False) -> bool:
    """Whether ``text`` says ``term`` in ``lang`` (see the module's matching rule);
    ``within``: a word of the term may also end a longer word (a compound)."""
    words = [re.escape(word) for word in term.split()]
    glued = within or lang.split("-")[0] in _GLUING
    start = r"" if glued else r"(?<!\w)"
    pattern = r"\w*\s+".join(start + word for word in words)
    return re.search(pattern, text, re.IGNORECASE) is not None


def problems(
    msgid: str, msgstr: str, lang: str, glossary: Glossary
) -> list[tuple[Literal["error", "warning"], str]]:
    """(severity, message) for each term the translation misses or breaks."""
    found: list[tuple[Literal["error", "warning"], str]] = []
    for term in glossary.in_text(msgid):
        severity: Literal["error", "warning"] = "error" if term.critical else "warning"
        required = _for(term.required, lang)
        said = any(contains(msgstr, variant, lang, within=True) for variant in required)
        if required and not said:
            wanted = " or ".join(f"'{v}'" for v in required)
            found.append((severity, f"glossary: '{term.source}' is {wanted} in {lang}"))
        for word in _for(term.forbidden, lang):
            if contains(msgstr, word, lang):
                found.append((severity, f"glossary: '{word}' must not translate '{term.source}'"))
    return found


def comment(msgid: str, lang: str, glossary: Glossary) -> str | None:
    """The ``#.`` line a translator sees on an entry with terms: what the glossary says."""
    parts = []
    for term in glossary.in_text(msgid):
        said = " / ".join(_for(term.required, lang)) or "(no translation given)"
        avoid = _for(term.forbidden, lang)
        note = f"; not {' / '.join(avoid)}" if avoid else ""
        parts.append(f"{term.source} = {said}{note}{' (critical)' if term.critical else ''}")
    return "glossary: " + "; ".join(parts) if parts else None


def load(data: bytes, name: str, source_lang: str = "en") -> Glossary:
    """A glossary from a ``.tbx`` or ``.yaml`` file's bytes; a :class:`ConfigError` if bad."""
    if name.endswith(".tbx"):
        return _load_tbx(data, name, source_lang)
    return _load_yaml(data, name)


def _for(rules: Mapping[str, tuple[str, ...]], lang: str) -> tuple[str, ...]:
    """A language's rule: its own (``pt-BR``), else its base language's (``fr`` for ``fr``
    from a ``fr-FR`` entry)."""
    if lang in rules:
        return rules[lang]
    base = lang.split("-")[0].lower()
    return next((v for k, v in rules.items() if k.split("-")[0].lower() == base), ())


def _names(values: object, name: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigError("a list of terms was expected", name)
    return tuple(values)


def _load_yaml(data: bytes, name: str) -> Glossary:
    try:
        root = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"not a readable glossary: {exc}", name) from None
    if not isinstance(root, dict) or not isinstance(root.get("terms"), list):
        raise ConfigError("a glossary is a mapping with a 'terms' list", name)
    terms = []
    for item in root["terms"]:
        if not isinstance(item, dict) or not isinstance(item.get("source"), str):
            raise ConfigError("each term needs its 'source'", name)
        required: dict[str, tuple[str, ...]] = {}
        forbidden: dict[str, tuple[str, ...]] = {}
        for lang, rule in item.items():
            if lang in ("source", "critical"):
                continue
            if not isinstance(rule, dict):
                raise ConfigError(f"{item['source']!r}: {lang} needs required/forbidden", name)
            if words := _names(rule.get("required"), name):
                required[str(lang)] = words
            if words := _names(rule.get("forbidden"), name):
                forbidden[str(lang)] = words
        terms.append(Term(item["source"], bool(item.get("critical")), required, forbidden))
    return Glossary(tuple(terms))


def _load_tbx(data: bytes, name: str, source_lang: str) -> Glossary:
    if b"<!DOCTYPE" in data and b"<!ENTITY" in data:
        raise ConfigError("a TBX file with entities is not read", name)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ConfigError(f"not a readable TBX file ({exc})", name) from None
    source = source_lang.split("-")[0].lower()
    terms = []
    entries = [e for e in root.iter() if _local(e.tag) in ("termEntry", "conceptEntry")]
    for entry in entries:
        critical = any(
            _local(d.tag) == "descrip" and (d.text or "").strip().lower() == "critical"
            for d in entry.iter()
        )
        by_lang: dict[str, tuple[list[str], list[str]]] = {}
        for lang_set in (e for e in entry if _local(e.tag) in ("langSet", "langSec")):
            lang = (lang_set.get(_XML_LANG) or "").replace("_", "-")
            ok, bad = by_lang.setdefault(lang, ([], []))
            for group in (e for e in lang_set if _local(e.tag) in ("tig", "termSec", "ntig")):
                term = next((e.text for e in group.iter() if _local(e.tag) == "term"), None)
                if not term:
                    continue
                status = " ".join(
                    (e.text or "").strip().lower()
                    for e in group.iter()
                    if _local(e.tag) == "termNote" and e.get("type") == "administrativeStatus"
                )
                (bad if status in _FORBIDDEN_STATUS else ok).append(term.strip())

        def is_source(lang: str) -> bool:
            return lang.split("-")[0].lower() == source

        text = next((ok[0] for lang, (ok, _) in by_lang.items() if is_source(lang) and ok), "")
        if not text:
            continue
        required = {lang: tuple(ok) for lang, (ok, _) in by_lang.items() if not is_source(lang)}
        forbidden = {lang: tuple(bad) for lang, (_, bad) in by_lang.items() if bad}
        terms.append(Term(text, critical, required, forbidden))
    return Glossary(tuple(terms))


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
