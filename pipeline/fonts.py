"""Fonts: the one table of font stacks per language, and what fontconfig says they cover.

The print stylesheet's ``font-family`` rules are generated from :data:`PRINT_FONTS`
(:func:`print_font_css`), and the font-coverage check asks fontconfig about
exactly the families of that table, so the check tests the fonts the brochure
uses. Every stack ends with Latin fonts (brand names, URLs, digits) and DejaVu
as the last resort for symbols.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.errors import CheckUnavailable


class FontconfigUnavailable(CheckUnavailable):
    pass


@dataclass(frozen=True)
class FontStack:
    langs: tuple[str, ...]
    """Language tags it applies to, as CSS ``:lang()`` matches them (the tag and its subtags)."""
    serif: tuple[str, ...]
    """Body text."""
    sans: tuple[str, ...]
    """Headings, contents, captions."""
    scale: float = 1.0
    """Size of this script's text relative to Latin text of the same role, so that both look
    the same size. At one nominal size, Noto Naskh Arabic's letter bodies are about 0.35 em
    high (bowls and teeth of م س و ص) against Noto Serif's 0.54 em x-height, and Bengali and
    Devanagari letters hang under their headline in less room than a Latin x-height: compared
    side by side at 12 pt, Naskh matches Latin at about 1.25 times the size, Bengali and
    Devanagari at about 1.15. Compared the same way, Hebrew, Tamil, Nastaliq Urdu and Chinese,
    Japanese and Korean look as large as Latin at 1: their letters reach the Latin x-height or
    above (CJK ideographs fill the em), so they keep 1."""

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.serif, *self.sans)))


_SERIF = ("Noto Serif", "DejaVu Serif", "DejaVu Sans")
_SANS = ("Noto Sans", "DejaVu Sans")
LATIN = FontStack((), _SERIF, _SANS)
"""Latin, Cyrillic and Greek, and the fallback of every other stack."""

PRINT_FONTS: tuple[FontStack, ...] = (
    FontStack(
        ("ar", "fa"),
        ("Noto Naskh Arabic", "Noto Sans Arabic", *_SERIF),
        ("Noto Sans Arabic", "Noto Naskh Arabic", *_SANS),
        scale=1.25,
    ),
    FontStack(
        ("ur",),
        ("Noto Nastaliq Urdu", "Noto Naskh Arabic", *_SERIF),
        ("Noto Nastaliq Urdu", "Noto Sans Arabic", *_SANS),
    ),
    FontStack(
        ("he", "yi"),
        ("Noto Serif Hebrew", "Noto Sans Hebrew", *_SERIF),
        ("Noto Sans Hebrew", *_SANS),
    ),
    FontStack(
        ("bn", "as"),
        ("Noto Serif Bengali", "Noto Sans Bengali", *_SERIF),
        ("Noto Sans Bengali", *_SANS),
        scale=1.15,
    ),
    FontStack(
        ("hi", "mr", "ne"),
        ("Noto Serif Devanagari", "Noto Sans Devanagari", *_SERIF),
        ("Noto Sans Devanagari", *_SANS),
        scale=1.15,
    ),
    FontStack(
        ("ta",), ("Noto Serif Tamil", "Noto Sans Tamil", *_SERIF), ("Noto Sans Tamil", *_SANS)
    ),
    FontStack(("zh",), ("Noto Sans CJK SC", *_SANS), ("Noto Sans CJK SC", *_SANS)),
    FontStack(
        ("zh-Hant", "zh-TW", "zh-HK", "zh-MO"),
        ("Noto Sans CJK TC", *_SANS),
        ("Noto Sans CJK TC", *_SANS),
    ),
    FontStack(("ja",), ("Noto Sans CJK JP", *_SANS), ("Noto Sans CJK JP", *_SANS)),
    FontStack(("ko",), ("Noto Sans CJK KR", *_SANS), ("Noto Sans CJK KR", *_SANS)),
)
"""In CSS order: a later, more specific entry (``zh-TW``) wins over an earlier one (``zh``)."""


def _matches(tag: str, selector: str) -> bool:
    """CSS ``:lang(selector)``: the tag itself, or the tag with more subtags."""
    tag, selector = tag.lower(), selector.lower()
    return tag == selector or tag.startswith(selector + "-")


def print_stack(lang: str) -> FontStack:
    """The stack the brochure uses for ``lang``, as the generated CSS selects it."""
    tag = lang.replace("_", "-")
    found = LATIN
    for stack in PRINT_FONTS:
        if any(_matches(tag, selector) for selector in stack.langs):
            found = stack
    return found


def _css_list(families: Sequence[str], generic: str) -> str:
    return ", ".join([*(f'"{family}"' for family in families), generic])


def _stack_css(selectors: str, stack: FontStack) -> str:
    return (
        f"{selectors} {{\n"
        f"  --serif: {_css_list(stack.serif, 'serif')};\n"
        f"  --sans: {_css_list(stack.sans, 'sans-serif')};\n"
        f"  --script-scale: {stack.scale:g};\n}}"
    )


FontChoice = tuple[str, str, tuple[str, ...]]
"""(role ``body``/``headings``, language tag or ``default``, families): a theme's fonts."""


def _chosen(stack: FontStack, body: Sequence[str], headings: Sequence[str]) -> FontStack:
    """``stack`` with a theme's families first."""
    return dataclasses.replace(
        stack,
        serif=tuple(dict.fromkeys((*body, *stack.serif))),
        sans=tuple(dict.fromkeys((*headings, *stack.sans))),
    )


def print_font_css(choices: Sequence[FontChoice] = ()) -> str:
    """The brochure's font rules: ``--serif``, ``--sans`` and ``--script-scale`` (which
    ``print.css`` multiplies every font size by) for every stack of the table.

    Every element with a language of its own (an English fallback inside an
    Arabic brochure) resets to the Latin stack before its own rule applies.
    A theme's ``default`` families go before the Latin stack's; its families for
    one language go before that language's stack, in a rule of their own that
    comes last and so wins.
    """

    def families(role: str, lang: str) -> list[str]:
        return [f for r, tag, names in choices if r == role and tag == lang for f in names]

    latin = _chosen(LATIN, families("body", "default"), families("headings", "default"))
    rules = [_stack_css(":root, [lang]", latin)]
    rules += [_stack_css(", ".join(f":lang({lang})" for lang in s.langs), s) for s in PRINT_FONTS]
    for lang in dict.fromkeys(tag for _, tag, _ in choices if tag != "default"):
        stack = print_stack(lang)
        stack = latin if stack is LATIN else stack
        chosen = _chosen(stack, families("body", lang), families("headings", lang))
        rules.append(_stack_css(f":lang({lang})", chosen))
    return "\n".join(rules) + "\n"


def _merge(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def parse_charset(text: str) -> tuple[tuple[int, int], ...]:
    """Fontconfig's charset notation (``20-7e a0 ad``) as merged code point ranges."""
    ranges = []
    for item in text.split():
        start, _, end = item.partition("-")
        ranges.append((int(start, 16), int(end or start, 16)))
    return _merge(ranges)


@functools.cache
def family_charset(family: str, fc_list: str = "fc-list") -> tuple[tuple[int, int], ...]:
    """Code points of every installed face of ``family``; empty if it is not installed."""
    charsets = _installed_charsets(fc_list).get(_fold(family), [])
    return parse_charset(" ".join(charsets))


def _fold(family: str) -> str:
    """A family name as fontconfig compares it: case and blanks ignored."""
    return "".join(family.split(" ")).casefold()


@functools.cache
def _installed_charsets(fc_list: str) -> dict[str, list[str]]:
    """Every installed face's charset under each of its family names (folded): one ``fc-list``
    for all the fonts (13 ms here), not one per family asked (5 ms each, nine per build)."""
    try:
        result = subprocess.run(
            [fc_list, "--format", "%{family}\t%{charset}\n"],
            capture_output=True,
            encoding="utf-8",
            errors="replace",  # names in every language are listed; only charsets are read
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise FontconfigUnavailable(
            f"cannot check font coverage: fontconfig ({fc_list}) is not available: {exc}"
        ) from None
    if result.returncode != 0:
        raise FontconfigUnavailable(
            f"cannot check font coverage: {fc_list} failed: {result.stderr.strip()}"
        )
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        families, _, charset = line.partition("\t")
        for name in families.split(","):  # fontconfig joins a face's names with bare commas
            found.setdefault(_fold(name), []).append(charset)
    return found


class FontCoverage:
    """Whether a character is in any font of a stack, from fontconfig's charsets.

    Charsets are read once per process (one ``fc-list`` for every font, see
    :func:`family_charset`) and only on first use; answers are cached per character.
    """

    def __init__(self, families: Sequence[str], *, fc_list: str = "fc-list"):
        self.families = tuple(families)
        self.fc_list = fc_list
        self._starts: list[int] | None = None
        self._ends: list[int] = []
        self._cache: dict[str, bool] = {}

    def _load(self) -> list[int]:
        ranges = [(f, family_charset(f, self.fc_list)) for f in self.families]
        if not any(charset for _, charset in ranges):
            raise FontconfigUnavailable(
                f"cannot check font coverage: none of the fonts {', '.join(self.families)} "
                "is installed"
            )
        merged = _merge(r for _, charset in ranges for r in charset)
        self._ends = [end for _, end in merged]
        return [start for start, _ in merged]

    def __call__(self, char: str) -> bool:
        cached = self._cache.get(char)
        if cached is not None:
            return cached
        if self._starts is None:
            self._starts = self._load()
        code = ord(char)
        index = bisect_right(self._starts, code) - 1
        covered = index >= 0 and code <= self._ends[index]
        self._cache[char] = covered
        return covered


def fontconfig_coverage(lang: str, *, fc_list: str = "fc-list") -> FontCoverage:
    """Coverage of every font the brochure may use for ``lang``."""
    return FontCoverage(print_stack(lang).families, fc_list=fc_list)
