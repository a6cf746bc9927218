"""Domain names reserved for documentation and tests, which no one can reach.

RFC 2606 reserves the top-level domains ``.example``, ``.test``, ``.invalid`` and
``.localhost`` and the second-level ``example.com``, ``example.net`` and
``example.org``; RFC 6761 makes them special-use names that resolve nowhere on the
Internet (``localhost`` only to the reader's own machine). An address under one of
them, printed on a brochure or in a QR code, leads a patient nowhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TOP_LEVEL = ("example", "test", "invalid", "localhost")


def reserved_domain(url: str) -> str | None:
    """The reserved name the host of ``url`` is or falls under (``"example"``,
    ``"example.com"``), or None for an address that may be real."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # an unclosed IPv6 bracket: not a reserved name
        return None
    if not host:
        return None
    host = host.rstrip(".")
    for name in (*RESERVED_DOMAINS, *RESERVED_TOP_LEVEL):
        if host == name or host.endswith("." + name):
            return name
    return None
