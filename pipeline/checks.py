"""Translation QA: checks run on every entry of a PO catalog, and the publication gate.

Each check is a small pure function ``(entry, context) -> list[(severity, message)]``
listed in :data:`CHECKS`; :func:`check_catalog` runs them over a Babel catalog and
turns their problems into :class:`Finding` objects that point at ``path:line`` of
the PO file. :func:`gate` decides from the findings whether a catalog is published.

Which checks run on which entries:

- ``untranslated`` and ``fuzzy`` run on every entry;
- an untranslated entry gets no other check (there is nothing to check);
- a fuzzy entry is never published (gettext ignores it), so its content is only
  checked by ``unsafe-markup``: an outdated translation is expected to disagree
  with its new msgid, but raw script in a catalog is a red flag wherever it is.

Plural entries are checked form by form: ``msgstr[0]`` against the singular msgid,
the other forms against the plural msgid. A form may spell out its number (Arabic
"one" and "two" forms do), so only placeholders a form *adds* are reported.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

from babel import Locale
from babel.core import get_global
from babel.messages.catalog import Catalog, Message
from babel.numbers import get_decimal_symbol, get_group_symbol

from pipeline.article import Unit
from pipeline.catalog import message_key
from pipeline.errors import CheckUnavailable, ConfigError, PipelineError
from pipeline.fonts import fontconfig_coverage
from pipeline.glossary import Glossary
from pipeline.glossary import problems as glossary_problems
from pipeline.inline import Links, inline_structure, inline_tokens, plain_text
from pipeline.numbering import digit_systems, native_digits, numbering_system
from pipeline.plurals import cldr_plural_forms, parse_plural_forms
from pipeline.project import parse_locale

if TYPE_CHECKING:
    from pipeline.project import Config

Severity = Literal["error", "warning"]
Problem = tuple[Severity, str]
Coverage = Callable[[str], bool]
"""Whether one character has a glyph in the font stack of a language."""


# --- model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str
    msgid: str
    lang: str
    domain: str
    path: str
    line: int
    """Line of the entry's msgid in the PO file (Babel's ``Message.lineno``)."""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def as_dict(self) -> dict[str, str]:
        return {
            "lang": self.lang,
            "domain": self.domain,
            "msgid": self.msgid,
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "location": self.location,
        }


@dataclass(frozen=True)
class Entry:
    """One msgid/msgstr pair as the checks see it (one plural form at a time)."""

    msgid: str
    msgstr: str
    msgctxt: str | None = None
    fuzzy: bool = False
    flags: frozenset[str] = frozenset()
    line: int = 0
    plural_form: int | None = None
    """Index of the msgstr form for a plural entry, ``None`` for a plain one."""
    is_reference_title: bool = False
    """The title of a cited source (from the article's model), which may stay untranslated."""
    links: Links = ()
    """The article's link reference definitions: ``[text][label]`` is a link, as on the page."""


def entries(message: Message, unit: Unit | None = None, links: Links = ()) -> list[Entry]:
    """The entries of a catalog message: one, or one per plural form."""

    def entry(msgid: str, msgstr: str | None, form: int | None = None) -> Entry:
        return Entry(
            msgid,
            msgstr or "",
            message.context,
            message.fuzzy,
            frozenset(message.flags),
            message.lineno or 0,
            form,
            unit is not None and unit.reference,
            links,
        )

    if isinstance(message.id, str):
        string = message.string
        return [entry(message.id, string[0] if isinstance(string, tuple | list) else string)]
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return [
        entry(message.id[0] if index == 0 else message.id[1], form, index)
        for index, form in enumerate(forms)
    ]


@dataclass(frozen=True)
class CheckContext:
    lang: str
    """Target language, BCP 47 (``fr``, ``pt-BR``)."""
    locale: Locale
    do_not_translate: tuple[str, ...] = ()
    coverage: Coverage | None = None
    """Font coverage of the target's font stack; ``None`` skips the font-coverage check."""
    source_locale: Locale = field(default_factory=lambda: Locale("en"))
    glossary: Glossary = field(default_factory=Glossary)
    """The project's terminology (``glossary`` setting)."""

    @classmethod
    def for_language(
        cls,
        lang: str,
        *,
        do_not_translate: Iterable[str] = (),
        coverage: Coverage | None = None,
        source_language: str = "en",
        glossary: Glossary | None = None,
    ) -> CheckContext:
        """The context of one target; ``coverage`` defaults to the fontconfig one."""
        return cls(
            lang=lang,
            locale=parse_locale(lang),
            do_not_translate=tuple(do_not_translate),
            coverage=coverage if coverage is not None else fontconfig_coverage(lang),
            source_locale=parse_locale(source_language),
            glossary=glossary or Glossary(),
        )

    @classmethod
    def from_config(
        cls,
        config: Config,
        lang: str,
        *,
        coverage: Coverage | None = None,
        glossary: Glossary | None = None,
    ) -> CheckContext:
        return cls.for_language(
            lang,
            do_not_translate=config.do_not_translate,
            coverage=coverage,
            source_language=config.source_language,
            glossary=glossary,
        )


CheckFunction = Callable[[Entry, CheckContext], list[Problem]]


# --- shared helpers -------------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING_KEEP = "/#-_=&+"
_PLACEHOLDER = re.compile(
    r"%%"
    r"|%\((?P<name>[A-Za-z_]\w*)\)[-#0+]*\d*(?:\.\d+)?[sdifrxXeEgGc]"
    r"|%(?:\d+|\.\d+)?[sdifr]"
    r"|\{(?P<field>[A-Za-z_]\w*|\d*)(?:[:!][^{}]*)?\}"
)
_HAS_LETTER = re.compile(r"[^\W\d_]")


def bare_urls(text: str) -> list[str]:
    """``http(s)://`` URLs in running text, without the punctuation that ends a sentence."""
    found = []
    for match in _URL.finditer(text):
        url = match.group()
        while url and unicodedata.category(url[-1]).startswith("P"):
            last = url[-1]
            if last in _URL_TRAILING_KEEP or (last == ")" and url.count("(") >= url.count(")")):
                break
            url = url[:-1]
        found.append(url)
    return found


def _prose(text: str) -> str:
    """What a reader sees of ``text``: no markup, link targets, URLs or placeholders."""
    visible = plain_text(text)
    visible = _URL.sub(" ", visible)
    return _PLACEHOLDER.sub(" ", visible)


def _listing(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _difference(label: str, source: Counter[str], target: Counter[str]) -> list[str]:
    parts = []
    missing = list((source - target).elements())
    extra = list((target - source).elements())
    if missing:
        parts.append(f"missing {label} {_listing(missing)}")
    if extra:
        parts.append(f"extra {label} {_listing(extra)}")
    return parts


# --- 1. figures -----------------------------------------------------------------------------

_DECIMAL_MARK = "\x01"  # ٫ ARABIC DECIMAL SEPARATOR, always a decimal mark
_GROUP_MARK = "\x02"  # ٬ ARABIC THOUSANDS SEPARATOR, always a group mark
_ALWAYS_GROUP = frozenset(" \u00a0\u202f\u2009'’" + _GROUP_MARK)
_PERCENT = re.compile(r"[ \u00a0\u202f]?[%٪％]")
_NUMBER = re.compile(
    r"[0-9]+(?:(?:[.,'’\x01\x02]|[ \u00a0\u202f\u2009](?=[0-9]{3}(?![0-9])))[0-9]+)*"
)


class _AsciiDigits(dict[int, int]):
    """A ``str.translate`` table, filled as characters are met: a native digit to its ASCII
    digit, the Arabic decimal and group separators to marks, anything else to itself."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        if code == 0x066B:
            found = ord(_DECIMAL_MARK)
        elif code == 0x066C:
            found = ord(_GROUP_MARK)
        else:
            digit = unicodedata.decimal(char, None)
            found = ord(str(digit)) if digit is not None else code
        self[code] = found
        return found


_ASCII_DIGITS = _AsciiDigits()


def _ascii_digits(text: str) -> str:
    """Native digits to ASCII, Arabic separators to marks; one character for one."""
    return text if text.isascii() else text.translate(_ASCII_DIGITS)


@functools.cache
def _convention(locale: Locale) -> tuple[str, str]:
    """The (decimal, group) symbols of a locale in Latin digits."""
    return get_decimal_symbol(locale), get_group_symbol(locale)


def _read_number(raw: str, convention: tuple[str, str]) -> Decimal | None:
    """The value of ``raw`` written with ``convention``, or ``None`` if it cannot be so written.

    Groups must look like groups: 1-3 digits first, then 2 (Indian lakh style)
    or 3 digits, and 3 digits last.
    """
    decimal, group = convention
    integer, fraction = raw, ""
    decimals = [i for i, char in enumerate(raw) if char in (decimal, _DECIMAL_MARK)]
    if decimals:  # a second decimal mark leaves the fraction not all digits
        integer, fraction = raw[: decimals[0]], raw[decimals[0] + 1 :]
        if not fraction.isdigit():
            return None
    groups = re.split(
        "[" + re.escape("".join(_ALWAYS_GROUP | ({group} & {",", "."}))) + "]", integer
    )
    if not all(g.isdigit() for g in groups):
        return None
    if len(groups) > 1 and not (
        1 <= len(groups[0]) <= 3
        and all(len(g) in (2, 3) for g in groups[1:-1])
        and len(groups[-1]) == 3
    ):
        return None
    return Decimal("".join(groups) + ("." + fraction if fraction else ""))


def figures(
    text: str, conventions: Sequence[tuple[str, str]]
) -> list[tuple[str, frozenset[Decimal]]]:
    """Every figure of ``text`` with the values it may stand for under ``conventions``.

    Signs are ignored (a range's dash is no minus) and so are currency symbols and
    percent signs: figures are compared by value. A run of digits no convention can
    read (``1.2.3``, ``2019 150``) counts as its separate integers.
    """
    return list(_figures(text, tuple(conventions)))


@functools.lru_cache(maxsize=4096)
def _figures(
    text: str, conventions: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, frozenset[Decimal]], ...]:
    """:func:`figures`, kept: a msgid is read alike for every language it is checked in."""
    visible = _prose(text)
    found: list[tuple[str, frozenset[Decimal]]] = []
    for match in _NUMBER.finditer(_ascii_digits(visible)):
        raw = match.group()
        percent = _PERCENT.match(visible, match.end())
        shown = visible[match.start() : percent.end() if percent else match.end()]
        values = {v for c in conventions if (v := _read_number(raw, c)) is not None}
        if values:
            found.append((shown, frozenset(values)))
        else:
            for part in re.finditer(r"[0-9]+", raw):
                found.append(
                    (
                        visible[match.start() + part.start() : match.start() + part.end()],
                        frozenset({Decimal(part.group())}),
                    )
                )
    return tuple(found)


def _match(sources: list[frozenset[Decimal]], targets: list[frozenset[Decimal]]) -> dict[int, int]:
    """A maximum matching of target figures to source figures of equal value (target -> source)."""
    owner: dict[int, int] = {}

    def assign(target: int, seen: set[int]) -> bool:
        for source, values in enumerate(sources):
            if source not in seen and values & targets[target]:
                seen.add(source)
                if source not in owner or assign(owner[source], seen):
                    owner[source] = target
                    return True
        return False

    for target in range(len(targets)):
        assign(target, set())
    return {target: source for source, target in owner.items()}


def check_figures(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """Every number of the msgid, by value, in the msgstr, and no other.

    The msgid is read with the source locale's conventions. A msgstr number is
    accepted if the target locale's conventions *or* the source's give the
    value: translators often keep Western formatting, so French "5,000" may mean
    five thousand; the ambiguity is resolved by matching against the source.
    """
    source_convention = _convention(ctx.source_locale)
    source = figures(entry.msgid, [source_convention])
    target = figures(entry.msgstr, [_convention(ctx.locale), source_convention])
    matched = _match([values for _, values in source], [values for _, values in target])
    used = set(matched.values())
    missing = [text for index, (text, _) in enumerate(source) if index not in used]
    extra = [text for index, (text, _) in enumerate(target) if index not in matched]
    parts = []
    if missing:
        parts.append(f"missing {_listing(missing)}")
    if extra:
        parts.append(f"not in the source: {_listing(extra)}")
    return [("error", "figures differ: " + "; ".join(parts))] if parts else []


# --- 2. links -------------------------------------------------------------------------------


def link_set(text: str, links: Links = ()) -> Counter[str]:
    """Link targets, image sources and bare URLs of inline Markdown."""
    found: Counter[str] = Counter()
    depth = 0
    prose: list[str] = []
    for token in inline_tokens(text, links):
        if token.type == "link_open":
            found[str(token.attrs["href"])] += 1
            depth += 1
        elif token.type == "link_close":
            depth -= 1
        elif token.type == "image":
            found[str(token.attrs["src"])] += 1
        elif token.type in ("text", "code_inline") and depth == 0:
            prose.append(token.content)
            continue
        prose.append(" ")
    found.update(bare_urls("".join(prose)))
    return found


def check_links(entry: Entry, ctx: CheckContext) -> list[Problem]:
    parts = _difference(
        "link", link_set(entry.msgid, entry.links), link_set(entry.msgstr, entry.links)
    )
    return [("error", "links differ: " + "; ".join(parts))] if parts else []


# --- 3. markup ------------------------------------------------------------------------------

_MARKUP_NAMES = {
    "strong": "bold",
    "em": "italic",
    "a": "link",
    "s": "strikethrough",
    "code_inline": "code",
    "image": "image",
    "hardbreak": "line break",
    "sup": "superscript",
    "sub": "subscript",
}


def check_markup(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """The same inline markup, in any order: a translation may move a bold phrase."""

    def structure(text: str) -> Counter[str]:
        return Counter(_MARKUP_NAMES.get(tag, tag) for tag in inline_structure(text, entry.links))

    parts = _difference("markup", structure(entry.msgid), structure(entry.msgstr))
    return [("error", "markup differs: " + "; ".join(parts))] if parts else []


# --- 4. unsafe markup -----------------------------------------------------------------------

_UNSAFE = re.compile(
    r"</?[^\W\d_][^\s/>:]*(?=[\s/>]|$)"  # a raw HTML tag (any letters; not an autolink)
    r"|<[!?]"  # comment, doctype, processing instruction
    r"|\bon[a-z]+\s*="  # event handler attribute
    r"|\b(?:javascript|vbscript)\s*:"
    r"|\bdata\s*:\s*[a-z]+/[a-z0-9.+-]+",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def _unsafe(text: str) -> frozenset[str]:
    found: set[str] = set()
    unescaped = html.unescape(text)
    for variant in (text, unescaped) if unescaped != text else (text,):
        found |= {re.sub(r"\s+", "", m.group()).lower() for m in _UNSAFE.finditer(variant)}
    return frozenset(found)


def check_unsafe_markup(entry: Entry, ctx: CheckContext) -> list[Problem]:
    added = sorted(_unsafe(entry.msgstr) - _unsafe(entry.msgid))
    return [("error", f"unsafe markup: {_listing(added)}")] if added else []


# --- 5. placeholders ------------------------------------------------------------------------


def check_placeholders(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """Named placeholders as a set, positional ones (``%s``, ``{}``) by count."""

    def split(text: str) -> tuple[Counter[str], Counter[str]]:
        named: Counter[str] = Counter()
        positional: Counter[str] = Counter()
        for match in _PLACEHOLDER.finditer(text):
            if match.group() == "%%":
                continue
            if match.group("name") or (match.group("field") or "").isidentifier():
                named[match.group()] = 1
            else:
                positional[match.group()] += 1
        return named, positional

    source_named, source_positional = split(entry.msgid)
    target_named, target_positional = split(entry.msgstr)
    source = source_named + source_positional
    target = target_named + target_positional
    if entry.plural_form is not None:
        source = source & target  # a plural form may spell out its number: report only additions
    parts = _difference("placeholder", source, target)
    return [("error", "placeholders differ: " + "; ".join(parts))] if parts else []


# --- 6. untranslated, fuzzy -----------------------------------------------------------------


def check_untranslated(entry: Entry, ctx: CheckContext) -> list[Problem]:
    return [] if entry.msgstr else [("warning", "not translated")]


def check_fuzzy(entry: Entry, ctx: CheckContext) -> list[Problem]:
    if entry.fuzzy and not entry.plural_form:
        return [("warning", "fuzzy: needs review, not published until the flag is removed")]
    return []


# --- 7. whitespace --------------------------------------------------------------------------

_DOUBLED_SPACE = re.compile(r"[ \t\u00a0\u202f]{2,}(?![ \t\u00a0\u202f\n])")


def _edges(text: str) -> tuple[str, str]:
    if not text.strip():
        return text, ""
    return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]


def check_whitespace(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """Edges as in the msgid; no doubled spaces inside unless the msgid has some.

    A run of spaces before a newline is a Markdown hard break, not a doubled space.
    """
    problems: list[Problem] = []
    source_lead, source_trail = _edges(entry.msgid)
    target_lead, target_trail = _edges(entry.msgstr)
    if source_lead != target_lead:
        problems.append(
            ("warning", f"leading whitespace {target_lead!r}, source has {source_lead!r}")
        )
    if source_trail != target_trail:
        problems.append(
            ("warning", f"trailing whitespace {target_trail!r}, source has {source_trail!r}")
        )
    if _DOUBLED_SPACE.search(entry.msgstr.strip()) and not _DOUBLED_SPACE.search(
        entry.msgid.strip()
    ):
        problems.append(("warning", "doubled space"))
    return problems


# --- 8. doubled word ------------------------------------------------------------------------

ALLOWED_DOUBLES: dict[str, frozenset[str]] = {
    "fr": frozenset({"nous", "vous"}),  # "nous nous sommes", "vous vous êtes"
    # Reduplication is grammatical: "sometimes", "now and then", "slowly", "little by little".
    "bn": frozenset({"কখনো", "কখনও", "মাঝে", "ধীরে", "আস্তে", "বারে", "দিন"}),
    "hi": frozenset({"कभी", "धीरे", "बार", "कहीं", "साथ"}),
    "fa": frozenset({"کم", "آرام", "گاه", "آهسته"}),
}
"""Words a language legitimately writes twice in a row (compared case-folded)."""


def _words(text: str) -> list[tuple[str, int, int]]:
    """Runs of letters, marks and digits (``\\w`` would split Bengali at its vowel signs)."""
    return [
        (text[match.start() : match.end()], match.start(), match.end())
        for match in _IN_WORD_RUN.finditer(text.translate(_IN_WORD))
    ]


class _WordCharacters(dict[int, str]):
    """Code point -> ``"w"`` for a letter, mark or digit, else a space, for ``str.translate``;
    filled as characters are met."""

    def __missing__(self, code: int) -> str:
        kind = "w" if unicodedata.category(chr(code))[0] in ("L", "M", "N") else " "
        self[code] = kind
        return kind


_IN_WORD = _WordCharacters()
_IN_WORD_RUN = re.compile("w+")


@functools.lru_cache(maxsize=4096)
def doubled_words(text: str) -> frozenset[str]:
    """Words written twice in a row (case-folded); kept, as a msgid's are asked per language."""
    words = _words(text)
    found = set()
    for (first, _, end), (second, start, _) in pairwise(words):
        separator = text[end:start]
        if (
            separator.isspace()
            and first.casefold() == second.casefold()
            and _HAS_LETTER.search(first)
        ):
            found.add(first.casefold())
    return frozenset(found)


def check_doubled_word(entry: Entry, ctx: CheckContext) -> list[Problem]:
    allowed = ALLOWED_DOUBLES.get(ctx.locale.language, frozenset())
    doubled = sorted(doubled_words(entry.msgstr) - doubled_words(entry.msgid) - allowed)
    return [("warning", f"doubled word: {_listing(doubled)}")] if doubled else []


# --- 9. end punctuation ---------------------------------------------------------------------

END_PUNCTUATION: dict[str, dict[str, tuple[str, ...]]] = {
    "ar": {"?": ("؟",)},
    "fa": {"?": ("؟",)},
    "ur": {"?": ("؟",), ".": ("۔", ".")},
    "bn": {".": ("।", ".")},
    "hi": {".": ("।", ".")},
    "zh": {"?": ("？", "?"), "!": ("！", "!"), ".": ("。",), ":": ("：", ":")},
    "ja": {"?": ("？", "?"), "!": ("！", "!"), ".": ("。",), ":": ("：", ":")},
    "el": {"?": (";", "\u037e")},
    "am": {".": ("።",)},
    "my": {".": ("။",)},
    "th": {".": ()},
}
"""How a language ends what English ends with ``? ! . :``, where it differs.

An empty tuple means the language has no equivalent (Thai ends a sentence with a
space), so nothing is required. Every other ending is expected as in the msgid;
French and others put a (narrow) no-break space *before* ``? ! : ;``, which the
comparison of the last visible character naturally allows.
"""
_END_MARKS = "?!.:"
_CLOSERS = "*_\"'”’»›)]）」』】\u200f\u200e"


def _last_visible(text: str) -> str:
    return text.rstrip().rstrip(_CLOSERS).rstrip()


def check_end_punctuation(entry: Entry, ctx: CheckContext) -> list[Problem]:
    source = _last_visible(entry.msgid)
    if not source or source[-1] not in _END_MARKS or source.endswith("..."):
        return []
    mark = source[-1]
    expected = END_PUNCTUATION.get(ctx.locale.language, {}).get(mark, (mark,))
    if not expected:
        return []
    target = _last_visible(entry.msgstr)
    if target.endswith(expected):
        return []
    wanted = " or ".join(repr(e) for e in expected)
    found = repr(target[-1]) if target else "nothing"
    return [("warning", f"source ends with {mark!r}: expected {wanted} at the end, found {found}")]


# --- 10. unchanged --------------------------------------------------------------------------


@functools.cache
def language_script(lang: str) -> str:
    """ISO 15924 script of a language tag: its own (``zh-Hant``) or CLDR's likely one."""
    try:
        locale = parse_locale(lang)
    except ConfigError:
        return "Latn"
    if locale.script:
        return str(locale.script)
    likely: Mapping[str, str] = get_global("likely_subtags")
    keys = [f"{locale.language}_{locale.territory}"] if locale.territory else []
    for key in [*keys, locale.language]:
        parts = likely.get(key, "").split("_")
        if len(parts) > 1 and len(parts[1]) == 4:
            return parts[1]
    return "Latn"


def _without_terms(text: str, terms: Iterable[str]) -> str:
    for term in sorted(terms, key=len, reverse=True):
        text = text.replace(term, " ")
    return text


def check_unchanged(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """A non-Latin target that keeps the English text has most likely not been translated.

    Exempt: strings without letters, strings made of do-not-translate terms only,
    and cited reference titles, which legitimately stay in the original language.
    """
    if language_script(ctx.lang) == "Latn" or entry.msgstr.strip() != entry.msgid.strip():
        return []
    if entry.is_reference_title:
        return []
    if not _HAS_LETTER.search(_without_terms(_prose(entry.msgid), ctx.do_not_translate)):
        return []
    return [("warning", "translation is identical to the source")]


# --- 11. do-not-translate -------------------------------------------------------------------


def check_do_not_translate(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """A protected term found as a whole word in the msgid must appear verbatim in the msgstr.

    In the msgstr it may be glued to other letters (Arabic prefixes, Finnish cases).
    """
    missing = [
        term
        for term in ctx.do_not_translate
        if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", entry.msgid) and term not in entry.msgstr
    ]
    return [("error", f"do-not-translate term changed: {_listing(missing)}")] if missing else []


# --- 12. font coverage ----------------------------------------------------------------------


@functools.cache
def _needs_glyph(char: str) -> bool:
    """Whitespace, controls and format characters (ZWNJ, ZWJ, bidi marks) need no glyph."""
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return False
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf")


def check_font_coverage(entry: Entry, ctx: CheckContext) -> list[Problem]:
    if ctx.coverage is None:
        return []
    coverage = ctx.coverage
    missing = sorted(c for c in set(entry.msgstr) if _needs_glyph(c) and not coverage(c))
    if not missing:
        return []
    names = [f"U+{ord(c):04X} {unicodedata.name(c, '')}".strip() for c in missing]
    return [("error", f"no font for {_listing(names)} in the {ctx.lang} font stack")]


# --- 13. invisible characters ---------------------------------------------------------------

_EMBEDDINGS = frozenset("\u202a\u202b\u202c\u202d\u202e")
"""LRE, RLE, PDF, LRO, RLO: they reorder the text after them, up to the end of the element."""
_ISOLATE_OPEN = frozenset("\u2066\u2067\u2068")
_ISOLATE_CLOSE = "\u2069"
_DIRECTION_MARKS = frozenset("\u200e\u200f\u061c\u00ad")
"""LRM, RLM, ALM and the soft hyphen: allowed wherever a translator needs them."""
_JOINERS = frozenset("\u200c\u200d")
_JOINING_SCRIPTS = (
    (0x0600, 0x08FF),  # Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic, Arabic Extended
    (0x0900, 0x0DFF),  # Devanagari to Sinhala
    (0x0F00, 0x109F),  # Tibetan, Myanmar
    (0x1780, 0x18AF),  # Khmer, Mongolian
    (0xA8E0, 0xA8FF),  # Devanagari Extended
    (0xFB50, 0xFDFF),  # Arabic presentation forms
    (0xFE70, 0xFEFF),
)


def _joins(char: str) -> bool:
    """A character next to which ZWNJ/ZWJ carry meaning: joining and Indic scripts, emoji."""
    code = ord(char)
    if any(low <= code <= high for low, high in _JOINING_SCRIPTS):
        return True
    return unicodedata.category(char) == "So"


def _invisible(text: str) -> list[tuple[int, str]]:
    """(offset, character) of every control or invisible character not allowed where it is."""
    if text.isprintable():  # no control, format (Cf) or separator character at all
        return []
    found: list[tuple[int, str]] = []
    isolates: list[int] = []
    for index, char in enumerate(text):
        if char in "\n\t" or char in _DIRECTION_MARKS:
            continue
        if char in _ISOLATE_OPEN:
            isolates.append(index)
        elif char == _ISOLATE_CLOSE:
            if isolates:
                isolates.pop()
            else:
                found.append((index, char))
        elif char in _JOINERS:
            neighbours = text[max(index - 1, 0) : index] + text[index + 1 : index + 2]
            if not any(_joins(c) for c in neighbours):
                found.append((index, char))
        elif char in _EMBEDDINGS or unicodedata.category(char) in ("Cc", "Cf"):
            found.append((index, char))
    found.extend((index, text[index]) for index in isolates)
    return sorted(found)


def check_invisible(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """Bidi overrides, unbalanced isolates and invisible characters a reader cannot see.

    An override (U+202E) reverses the words after it on the page, in the
    ``<title>`` and on the index; a zero-width space or a BOM hides inside a
    word and breaks search. Allowed: LRM/RLM/ALM, the soft hyphen, balanced
    isolates, ZWNJ/ZWJ next to Arabic or Indic letters (Persian ``می‌توانند``),
    and anything the source text itself contains.
    """
    in_source = set(entry.msgid)
    found = [(i, c) for i, c in _invisible(entry.msgstr) if c not in in_source]
    if not found:
        return []
    names = dict.fromkeys(
        f"U+{ord(c):04X} {unicodedata.name(c, 'control')} (character {i + 1})" for i, c in found
    )
    return [("error", f"invisible or direction-changing character: {_listing(names)}")]


# --- 14. glossary ---------------------------------------------------------------------------


def check_glossary(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """A term of the source without the translation the glossary requires, or with one it
    forbids: a warning, an error for a critical term (a drug, a procedure). A cited title
    kept in its language, or any translation identical to its source, is exempt."""
    if entry.is_reference_title or entry.msgstr.strip() == entry.msgid.strip():
        return []
    return glossary_problems(entry.msgid, entry.msgstr, ctx.lang, ctx.glossary)


# --- 15. length ------------------------------------------------------------------------------

LENGTH_FLOOR = 40
"""Sources shorter than this many characters are measured as if they had it ("FAQ")."""
LENGTH_WARNING = 3.0
LENGTH_ERROR = 10.0


def check_length(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """A translation many times longer than its source: pasted text, or a runaway edit.

    A one-megabyte msgstr for a three-word title made a 224-page brochure.
    """
    budget = max(len(entry.msgid), LENGTH_FLOOR)
    ratio = len(entry.msgstr) / budget
    if ratio <= LENGTH_WARNING:
        return []
    size = f"{len(entry.msgstr):,} characters for a source of {len(entry.msgid):,}"
    if ratio > LENGTH_ERROR:
        return [("error", f"translation is far too long: {size}")]
    return [("warning", f"translation is unusually long: {size}")]


_LATIN_WORD = re.compile(r"\S*[A-Za-z]\S*")
"""A word with a Latin letter (B12, COVID-19, a URL): its digits are the name's own."""


def check_digits(entry: Entry, ctx: CheckContext) -> list[Problem]:
    """Numbers in the digits the language's readers use (:mod:`pipeline.numbering`), as
    the page numbers, lists, dates and hours around them are written: an Arabic brochure
    counts its pages ١، ٢، ٣ and should not say "80%" on them."""
    text = plain_text(entry.msgstr, entry.links)
    for term in ctx.do_not_translate:
        text = text.replace(term, " ")
    other = digit_systems(_LATIN_WORD.sub(" ", text)) - {numbering_system(ctx.lang)}
    if not other:
        return []
    example = native_digits("0123456789", ctx.lang)
    return [
        (
            "warning",
            f"digits of another script ({', '.join(sorted(other))}): {ctx.lang} readers "
            f"write {example}, as this edition's page numbers and dates are",
        )
    ]


# --- running the checks ---------------------------------------------------------------------

CHECKS: list[tuple[str, CheckFunction]] = [
    ("untranslated", check_untranslated),
    ("fuzzy", check_fuzzy),
    ("figures", check_figures),
    ("links", check_links),
    ("markup", check_markup),
    ("unsafe-markup", check_unsafe_markup),
    ("placeholders", check_placeholders),
    ("do-not-translate", check_do_not_translate),
    ("font-coverage", check_font_coverage),
    ("invisible", check_invisible),
    ("length", check_length),
    ("digits", check_digits),
    ("glossary", check_glossary),
    ("whitespace", check_whitespace),
    ("doubled-word", check_doubled_word),
    ("end-punctuation", check_end_punctuation),
    ("unchanged", check_unchanged),
]
STATUS_CHECKS = frozenset({"untranslated", "fuzzy"})
"""Checks of an entry's state, run on every entry."""
FUZZY_CHECKS = frozenset({"unsafe-markup"})
"""Content checks also run on fuzzy entries, which are otherwise left alone."""


SILENCING_FLAGS: dict[str, frozenset[str]] = {
    "end-punctuation": frozenset(
        {
            "ignore-end-punctuation",
            "ignore-end-stop",
            "ignore-end-colon",
            "ignore-end-question",
            "ignore-end-exclamation",
        }
    ),
    "doubled-word": frozenset({"ignore-doubled-word", "ignore-duplicate"}),
    "unchanged": frozenset({"ignore-unchanged", "ignore-same"}),
    "whitespace": frozenset(
        {"ignore-whitespace", "ignore-double-space", "ignore-begin-space", "ignore-end-space"}
    ),
    "length": frozenset({"ignore-length", "ignore-max-length"}),
    "digits": frozenset({"ignore-digits"}),
}
"""The warnings a translator may silence on one entry with a flag (``#, ignore-same``), by our
name or Weblate's, so the same file works in both. Errors that protect patients (figures,
links, markup, placeholders, do-not-translate terms, fonts, invisible characters, length past
the absurd) and the state checks (untranslated, fuzzy) have no flag."""


def silenced(check: str, entry: Entry) -> bool:
    return bool(SILENCING_FLAGS.get(check, frozenset()) & entry.flags)


def applies(check: str, entry: Entry) -> bool:
    if check in STATUS_CHECKS:
        return True
    if not entry.msgstr:
        return False
    return check in FUZZY_CHECKS if entry.fuzzy else True


def check_plural_forms(catalog: Catalog, context: CheckContext) -> list[Problem]:
    """The header's Plural-Forms against CLDR's rule for the language (compared on integers)."""
    return list(_plural_forms_problems(catalog.plural_forms, context.locale, context.lang))


@functools.lru_cache(maxsize=256)
def _plural_forms_problems(declared: str, locale: Locale, lang: str) -> tuple[Problem, ...]:
    try:
        forms = parse_plural_forms(declared)
    except ValueError as exc:
        return (("error", f"Plural-Forms: {exc}"),)
    expected = cldr_plural_forms(locale)
    if forms.same_as(expected):
        return ()
    return (
        (
            "warning",
            f"Plural-Forms {forms.header!r} differs from CLDR's rule for {lang}: "
            f"{expected.header!r}",
        ),
    )


def check_catalog(
    catalog: Catalog,
    *,
    lang: str,
    domain: str,
    path: str,
    context: CheckContext,
    units: Mapping[tuple[str, str | None], Unit] | None = None,
    links: Links = (),
) -> list[Finding]:
    """Every check on every message of ``catalog`` except its header and obsolete entries.

    ``units`` are the article's units by key, which say what each entry is;
    ``links`` its link reference definitions.

    A check that cannot run here (no fontconfig) is reported once, as an error at
    line 1, and not tried again on this catalog.
    """
    findings: list[Finding] = [
        Finding("plural-forms", severity, text, "", lang, domain, path, 1)
        for severity, text in check_plural_forms(catalog, context)
    ]
    unavailable: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        key = message_key(message)
        msgid = key[0]
        for entry in entries(message, (units or {}).get(key), links):
            for name, function in CHECKS:
                if name in unavailable or not applies(name, entry):
                    continue
                try:
                    problems = function(entry, context)
                except CheckUnavailable as exc:
                    unavailable.add(name)
                    findings.append(Finding(name, "error", str(exc), "", lang, domain, path, 1))
                    continue
                prefix = f"msgstr[{entry.plural_form}]: " if entry.plural_form is not None else ""
                findings.extend(
                    Finding(name, severity, prefix + text, msgid, lang, domain, path, entry.line)
                    for severity, text in problems
                    if severity == "error" or not silenced(name, entry)
                )
    return list(dict.fromkeys(findings))


def unreadable_finding(error: PipelineError, *, lang: str, domain: str, path: str) -> Finding:
    """A catalog that cannot be read at all, as one error of ``check``, at its line."""
    return Finding("unreadable", "error", error.message, "", lang, domain, path, error.line or 1)
