"""How patients reach the publisher: ``[tool.pipeline.contact]``, validated once.

Printed on every brochure's cover and back page and at the foot of every web
page. Nothing here is translated by translators: a phone number, an email and a
postal address are the same in every language (they are shown left-to-right,
isolated, inside right-to-left text), and opening hours are data that each
language formats with CLDR's own day names, times and digits
(:func:`pipeline.render.l10n.format_hours`).

.. code-block:: toml

    [tool.pipeline.contact]
    phone = "+44 20 7946 0958"
    whatsapp = "+44 7700 900123"
    email = "care@medtravellers.example"
    address = ["MedTravellers", "12 Harley Street", "London W1G 9PF", "United Kingdom"]
    hours = ["Mon-Fri 09:00-18:00", "Sat 10:00-14:00"]
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import time
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekdays as the ``hours`` setting names them; their index is Python's ``date.weekday()``."""

_HOURS = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})\s*$",
    re.IGNORECASE,
)
_PHONE = re.compile(r"^\+[1-9][0-9 ]{5,20}[0-9]$")
"""International format (E.123): a plus, the country code, digits in groups of spaces."""
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_KEYS = ("phone", "whatsapp", "email", "address", "hours")


@dataclass(frozen=True)
class OpeningHours:
    """Open from ``opens`` to ``closes`` on the weekdays ``first`` to ``last`` (0 is Monday)."""

    first: int
    last: int
    opens: time
    closes: time


@dataclass(frozen=True)
class Contact:
    phone: str = ""
    """International format, as dialled from abroad: ``+44 20 7946 0958``."""
    whatsapp: str = ""
    email: str = ""
    address: tuple[str, ...] = ()
    """Postal address, a line each, as the post office of its country expects it."""
    hours: tuple[OpeningHours, ...] = ()

    def __bool__(self) -> bool:
        return any((self.phone, self.whatsapp, self.email, self.address, self.hours))

    @property
    def phone_uri(self) -> str:
        """``tel:+442079460958`` (RFC 3966)."""
        return "tel:" + self.phone.replace(" ", "")

    @property
    def whatsapp_uri(self) -> str:
        """WhatsApp's click-to-chat address: the number's digits, no plus."""
        return "https://wa.me/" + re.sub(r"\D", "", self.whatsapp)


def _time(text: str, where: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        hint = " (for midnight, close at 23:59)" if text.startswith("24") else ""
        raise ValueError(f"{where}: {text!r} is not a time of day{hint}")
    return time(hours, minutes)


def parse_hours(text: str) -> OpeningHours:
    """``"Mon-Fri 09:00-18:00"`` or ``"Sat 10:00-14:00"``."""
    match = _HOURS.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not like 'Mon-Fri 09:00-18:00' (English day abbreviations, 24-hour times)"
        )
    first = match["first"].lower()
    last = (match["last"] or first).lower()
    for day in (first, last):
        if day not in DAYS:
            raise ValueError(f"{text!r}: {day!r} is not one of {', '.join(DAYS)}")
    opens = _time(match["opens"], text)
    closes = _time(match["closes"], text)
    if DAYS.index(last) < DAYS.index(first):
        raise ValueError(f"{text!r}: the days run backwards")
    if closes <= opens:
        raise ValueError(
            f"{text!r}: closes before it opens (hours past midnight are not supported)"
        )
    return OpeningHours(DAYS.index(first), DAYS.index(last), opens, closes)


def contact_from_table(value: Any) -> Contact:
    """Validate ``[tool.pipeline.contact]``; a wrong value raises ``ValueError`` naming it."""
    if not isinstance(value, dict):
        raise ValueError("must be a table: phone, whatsapp, email, address, hours")
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise ValueError(f"has unknown keys {', '.join(unknown)} (known: {', '.join(_KEYS)})")
    fields: dict[str, Any] = {}
    for key in ("phone", "whatsapp"):
        if key in value:
            text = value[key]
            if not isinstance(text, str) or not _PHONE.match(text.strip()):
                raise ValueError(
                    f"{key} {text!r} must be in international format, like '+44 20 7946 0958'"
                )
            fields[key] = " ".join(text.split())
    if "email" in value:
        text = value["email"]
        if not isinstance(text, str) or not _EMAIL.match(text.strip()):
            raise ValueError(f"email {text!r} is not an email address")
        fields["email"] = text.strip()
    if "address" in value:
        lines = value["address"]
        if isinstance(lines, str):
            lines = [lines]
        if not isinstance(lines, list) or not all(isinstance(t, str) and t.strip() for t in lines):
            raise ValueError("address must be a list of lines")
        fields["address"] = tuple(line.strip() for line in lines)
    if "hours" in value:
        rows = value["hours"]
        if isinstance(rows, str):
            rows = [rows]
        if not isinstance(rows, list) or not all(isinstance(t, str) for t in rows):
            raise ValueError("hours must be a list like ['Mon-Fri 09:00-18:00']")
        hours = tuple(parse_hours(row) for row in rows)
        for earlier, later in itertools.pairwise(hours):
            if later.first <= earlier.last:
                raise ValueError(
                    "hours must list each day once, Monday first: "
                    f"{rows[hours.index(later)]!r} comes after {rows[hours.index(earlier)]!r}"
                )
        fields["hours"] = hours
    return Contact(**fields)
