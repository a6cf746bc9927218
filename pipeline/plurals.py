"""Plural forms: CLDR's rules, as the ``Plural-Forms`` header gettext reads.

One source of truth: the CLDR plural rules that the locked Babel ships. gettext
counts whole numbers only, so a category that no integer reaches (Russian
``other``, which CLDR keeps for fractions) is not a form of the catalog, and
every CLDR operand other than the number itself (``v``, ``f``, ``t``, ``e``
...) is zero. Babel's own table (``babel.messages.plurals``) is not used: it
is maintained by hand and disagrees with CLDR (Arabic 11-99 and 100-102).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel import Locale
from babel.plural import PluralRule

CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")
"""The order of forms in a catalog: CLDR's order of the categories that occur."""

SAMPLES: tuple[int, ...] = (
    *range(0, 2001),
    *(factor * 10**power for power in range(4, 10) for factor in (1, 2, 3, 5, 11)),
)
"""Integers on which rules are compared: every remainder CLDR's rules test (mod 10, 100,
1000) and the powers of ten its ``many`` categories single out (French 1 000 000)."""

REACH_SAMPLES: tuple[int, ...] = (*range(0, 1001), *SAMPLES[2001:])
"""Enough integers to reach every category CLDR gives whole numbers (every remainder mod 1000,
and the powers of ten); the tests check the result on all of :data:`SAMPLES`."""

_HEADER = re.compile(r"^\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*$", re.DOTALL)


Node = tuple[str, Any]
_ZERO_OPERANDS = frozenset("vwftec")
"""CLDR operands that are 0 for every integer: visible fraction digits, fraction, exponent."""


def _operand(node: Node) -> int | str:
    """An operand as a constant, or as C text in ``n``."""
    op, args = node
    if op == "value":
        return int(args[0])
    if op in ("n", "i"):
        return "n"
    if op in _ZERO_OPERANDS:
        return 0
    if op == "mod":
        left, right = _operand(args[0]), _operand(args[1])
        if isinstance(left, int) and isinstance(right, int):
            return left % right
        return f"{left} % {right}"
    raise ValueError(f"unknown plural rule node {op!r}")


def _grouped(text: str) -> str:
    """``text`` in parentheses, unless one pair already encloses all of it."""
    depth = 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and position < len(text) - 1:
            return f"({text})"
    return text if text.startswith("(") else f"({text})"


def _condition(node: Node) -> bool | str:
    """A CLDR condition over integers as C text, or as a constant where it is one.

    Babel's own gettext compiler leaves the exponent ``e`` in (French, Spanish,
    Portuguese ``many``), which no gettext implementation evaluates, and keeps
    every ``v = 0`` as ``(0 == 0)``; folding constants gives what GNU writes.
    """
    op, args = node
    if op in ("and", "or"):
        left, right = _condition(args[0]), _condition(args[1])
        stop = op == "or"
        if left is stop or right is stop:
            return stop
        if isinstance(left, bool):
            return right
        if isinstance(right, bool):
            return left
        joiner = " && " if op == "and" else " || "
        return f"({left}{joiner}{right})"
    if op == "not":
        inner = _condition(args[0])
        return (not inner) if isinstance(inner, bool) else f"!{_grouped(inner)}"
    if op == "relation":
        _method, expr, (_, ranges) = args
        value = _operand(expr)
        bounds = [(_operand(low), _operand(high)) for low, high in ranges]
        if isinstance(value, int):
            return any(low <= value <= high for low, high in bounds)  # type: ignore[operator]
        tests = [
            f"{value} == {low}" if low == high else f"({value} >= {low} && {value} <= {high})"
            for low, high in bounds
        ]
        return tests[0] if len(tests) == 1 else "(" + " || ".join(tests) + ")"
    raise ValueError(f"unknown plural rule node {op!r}")


@dataclass(frozen=True)
class PluralForms:
    nplurals: int
    expression: str

    @property
    def header(self) -> str:
        """The value of the ``Plural-Forms`` header."""
        return f"nplurals={self.nplurals}; plural={self.expression};"

    def index(self, n: int) -> int:
        return _evaluator(self.expression)(n)

    def same_as(self, other: PluralForms) -> bool:
        """Whether both send every sample integer to the same form (at once when both are
        written alike, as a catalog this pipeline made is)."""
        if self == other:
            return True
        return self.nplurals == other.nplurals and all(
            self.index(n) == other.index(n) for n in SAMPLES
        )


@cache
def _evaluator(expression: str) -> Callable[[int], int]:
    return gettext.c2py(expression)


def parse_plural_forms(value: str) -> PluralForms:
    """A ``Plural-Forms`` header value; ``ValueError`` when gettext could not use it."""
    match = _HEADER.match(value)
    if not match:
        raise ValueError(f"not 'nplurals=N; plural=EXPRESSION;': {value!r}")
    forms = PluralForms(int(match.group(1)), match.group(2).strip())
    try:
        _evaluator(forms.expression)
    except (ValueError, SyntaxError, RecursionError) as exc:
        raise ValueError(f"plural expression gettext cannot read: {exc}") from None
    if not 1 <= forms.nplurals <= 6:
        raise ValueError(f"nplurals={forms.nplurals} is not between 1 and 6")
    return forms


@cache
def cldr_plural_forms(locale: Locale) -> PluralForms:
    """The gettext plural forms of ``locale`` from its CLDR rules (tests check every sample)."""
    rule: PluralRule = locale.plural_form
    conditions = [(tag, _condition(ast)) for tag, ast in rule.abstract]
    reached = _reached(conditions)
    tags = [tag for tag in CLDR_ORDER if tag in reached]
    fallback = "other" if "other" in reached else tags[-1]
    branches = [
        f"{int(condition) if isinstance(condition, bool) else condition} ? {tags.index(tag)} : "
        for tag, condition in conditions
        if tag in reached and tag != fallback
    ]
    expression = "(" + "".join(branches) + f"{tags.index(fallback)})" if branches else "0"
    return PluralForms(len(tags), expression)


def _reached(conditions: list[tuple[str, bool | str]]) -> set[str]:
    """The categories that some integer of :data:`REACH_SAMPLES` falls in: the first whose
    condition holds, else ``other``, as CLDR reads its rules. The conditions are evaluated
    as gettext's C expression over integers, a twentieth of the time Babel's rule takes."""
    tags = [tag for tag, _ in conditions] + ["other"]
    chain = "".join(
        f"{int(condition) if isinstance(condition, bool) else condition} ? {index} : "
        for index, (_, condition) in enumerate(conditions)
    )
    category = _evaluator(chain + str(len(conditions)))
    return {tags[index] for index in set(map(category, REACH_SAMPLES))}
