"""PO and POT text: read it with Babel, write it exactly as GNU gettext does.

Translators open these files in Poedit, Lokalize or Weblate, and run
``msgmerge`` or ``msgcat`` on them; each of those rewrites a file in GNU
gettext's layout (79 columns, GNU's line breaking). Writing any other layout
would turn every save into a diff of the whole file, so :func:`po_bytes` lays
out a catalog through GNU ``msgcat`` itself: the reference implementation,
not an imitation of it.

Babel keeps only the header fields it knows; the header is therefore carried
as its own list of fields (:data:`Header`), read from the file as written, so
``X-Generator``, ``X-Poedit-*`` and every other field a tool or a translator
set survives a round trip.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.pofile import PoFileError, denormalize, read_po, unescape

from pipeline.errors import CatalogError
from pipeline.project import to_gettext
from pipeline.reading import read_regular

Header = list[tuple[str, str]]
"""The header entry's fields, in the file's order."""

DATE_FIELDS = ("POT-Creation-Date", "PO-Revision-Date")
AUTO_FORMAT_FLAGS = frozenset({"python-format", "python-brace-format"})
GNU_FLAGS = re.compile(r"^(fuzzy|(no-)?[a-z0-9+-]+-format|range:.*|(no-)?wrap)$")
"""Flags GNU gettext knows; it drops every other flag when it rewrites a file."""

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a",
            "\b": "\\b", "\f": "\\f", "\v": "\\v"}  # fmt: skip
_TO_ESCAPE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
_DATE_LINE = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', re.MULTILINE)
_PO_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_PO_KEYWORD = re.compile(
    r"^(?:#~\s*)?(?:#\|\s*)?(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)?\s*(.*)$"
)
_OBSOLETE_PREVIOUS = re.compile(rb"^#~\|", re.MULTILINE)
"""GNU's ``#~|`` (an obsolete entry's previous msgid), which Babel cannot read but ``#|``."""
_HEADER_ENTRY = re.compile(r'^msgid ""\s*\nmsgstr ((?:"(?:[^"\\\n]|\\.)*"\s*\n?)+)', re.MULTILINE)


# --- reading --------------------------------------------------------------------------------

_CHARSET = re.compile(rb'^"Content-Type:[^"\n]*?charset=([^"\\\s;]*)', re.MULTILINE | re.IGNORECASE)
_MSGFMT_PROBLEM = re.compile(r"^<stdin>:(\d+):(?:\d+:)? (?!warning:)(.*)$", re.MULTILINE)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def check_charset(data: bytes, name: str) -> None:
    """The bytes are text in the charset the header declares, and that charset exists.

    A file saved as UTF-8 under a header that still says ``charset=ISO-8859-1``
    decodes without error in Latin-1 and publishes mojibake ("RÃ©fÃ©rences"),
    so a non-UTF-8 charset whose bytes read as UTF-8 text is refused too.
    """
    match = _CHARSET.search(data)
    declared = match.group(1).decode("ascii", "replace") if match else "UTF-8"
    where = _line_of(data, match.start()) if match else None
    try:
        codec = codecs.lookup(declared).name if declared.upper() != "CHARSET" else ""
    except LookupError:
        codec = ""
    if not codec:
        raise CatalogError(
            f"unknown charset {declared!r} in the Content-Type header; save the file as UTF-8 "
            "and declare charset=UTF-8",
            name,
            where,
        )
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"bytes that are not {declared} text ({data[exc.start : exc.start + 4]!r}); "
            "the file was saved in another encoding than its header declares",
            name,
            _line_of(data, exc.start),
        ) from None
    if codec != "utf-8" and not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
        sample = next(line for line in text.splitlines() if not line.isascii())
        shown = sample.encode("utf-8").decode(codec, "replace").strip()[:40]
        raise CatalogError(
            f"the header declares charset={declared} but the text is UTF-8 (it would be "
            f"published as {shown!r}); declare charset=UTF-8",
            name,
            where,
        )


def check_with_msgfmt(data: bytes, name: str) -> None:
    """What GNU ``msgfmt`` refuses, refused with its file and line.

    Babel reads a duplicate msgid (keeping one), ``msgstr[1]`` on an entry
    without plural, an unknown escape or a missing header without a word;
    msgfmt, the reference, rejects each. Its warnings are not errors, and
    format strings are left to the placeholder check, which names every entry
    instead of refusing the whole file at the first.
    """
    try:
        command = ["msgfmt", "--check-header", "--check-domain", "-o", os.devnull, "-"]
        english = {**os.environ, "LC_ALL": "C", "LANGUAGE": ""}  # its messages are parsed
        result = subprocess.run(command, input=data, capture_output=True, env=english)
    except FileNotFoundError:
        raise CatalogError("GNU gettext's msgfmt is needed to read catalogs", name) from None
    if result.returncode == 0:
        return
    errors = result.stderr.decode("utf-8", "replace")
    problem = _MSGFMT_PROBLEM.search(errors)
    if problem:
        raise CatalogError(problem.group(2).rstrip("."), name, int(problem.group(1)))
    if "header missing" in errors:
        raise CatalogError('the header entry (msgid "") is missing or invalid', name, 1)
    lines = [line.removeprefix("msgfmt: ").replace("<stdin>: ", "") for line in errors.splitlines()]
    reason = next((line for line in lines if "warning" not in line and line.strip()), "invalid")
    raise CatalogError(f"msgfmt refuses it: {reason.strip()}", name)


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
    """Babel reads ``#| msgid`` as a translator comment; make it ``previous_id`` again."""
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


def read_catalog(
    text: bytes | str, name: str, *, locale: str | None = None, strict: bool | None = None
) -> Catalog:
    """Parse PO/POT text; a syntax error becomes a :class:`CatalogError` with file and line.

    A translation (``locale`` given, or ``strict``) must also be what GNU
    ``msgfmt --check`` accepts, in the charset its header declares.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    check_charset(data, name)
    original, data = data, _OBSOLETE_PREVIOUS.sub(b"#|", data)
    try:
        _check_strings(data, name)
        declared = read_header(data)
        if header_value(declared, "Plural-Forms") is not None:  # before msgfmt: names the entry
            _check_plural_counts(data, _nplurals(declared), name)
        if strict or (strict is None and locale is not None):
            check_with_msgfmt(original, name)
        catalog = read_po(
            io.BytesIO(data), locale=to_gettext(locale) if locale else None, abort_invalid=True
        )
    except PoFileError as exc:
        message = re.sub(r" on \d+$", "", str(exc.args[0]) if exc.args else "syntax error")
        raise CatalogError(message, name, exc.lineno + 1) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogError(f"cannot read catalog: {exc}", name) from None
    _check_plural_counts(data, catalog.num_plurals, name)
    return _restore_previous(catalog)


def _check_plural_counts(data: bytes, nplurals: int, name: str) -> None:
    """Every plural entry has one ``msgstr[N]`` per form of the header, as msgfmt requires.

    Babel fills a missing form with an empty string without a word.
    """
    plural_line = 0
    forms = 0
    for number, line in enumerate([*data.splitlines(), b""], 1):
        if line.startswith(b"msgid_plural"):
            plural_line, forms = number - 1, 0
        elif line.startswith(b"msgstr["):
            forms += 1
        elif plural_line and not line.strip():
            if forms != nplurals:
                raise CatalogError(
                    f"{forms} msgstr[] forms, but the header's Plural-Forms has {nplurals}",
                    name,
                    plural_line,
                )
            plural_line = 0


def load_catalog(path: Path, name: str, *, locale: str | None = None) -> Catalog:
    data = read_regular(path, name)
    if data is None:
        raise CatalogError("file not found", name)
    return read_catalog(data, name, locale=locale)


def read_header(text: bytes | str) -> Header:
    """The header fields of PO text as written, every field kept, in order."""
    data = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    match = _HEADER_ENTRY.search(data)
    if not match:
        return []
    fields: Header = []
    for line in denormalize(match.group(1)).splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip():
            fields.append((name.strip(), value.strip()))
    return fields


def header_value(header: Header, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in header if key.lower() == wanted), None)


def with_fields(header: Header, owned: Iterable[tuple[str, str]]) -> Header:
    """``header`` with the ``owned`` fields set: replaced where present, appended otherwise."""
    result = list(header)
    for name, value in owned:
        for index, (key, _) in enumerate(result):
            if key.lower() == name.lower():
                result[index] = (key, value)
                break
        else:
            result.append((name, value))
    return result


# --- writing --------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return '"' + _TO_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text) + '"'


def _strings(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, tuple | list) else (string or "",)


def _flags(message: Message, format_flags: bool) -> list[str]:
    flags = set(message.flags) - {"no-python-format"}
    if not format_flags:
        flags -= AUTO_FORMAT_FLAGS
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        if any(PYTHON_FORMAT.search(msgid) for msgid in ids):
            flags.add("no-python-format")
    fuzzy = ["fuzzy"] if "fuzzy" in flags else []
    return fuzzy + sorted(flags - {"fuzzy"})


def _message_lines(message: Message, nplurals: int, format_flags: bool) -> Iterator[str]:
    for comment in message.user_comments:
        yield f"# {comment}".rstrip()
    for comment in message.auto_comments:
        yield f"#. {comment}".rstrip()
    for path, line in message.locations:
        yield f"#: {path}:{line}" if line else f"#: {path}"
    flags = _flags(message, format_flags)
    if flags:
        yield "#, " + ", ".join(flags)
    if message.previous_id:
        yield f"#| msgid {_quote(message.previous_id[0])}"
        if len(message.previous_id) > 1:
            yield f"#| msgid_plural {_quote(message.previous_id[1])}"
    if message.context is not None:
        yield f"msgctxt {_quote(message.context)}"
    if isinstance(message.id, tuple | list):
        yield f"msgid {_quote(message.id[0])}"
        yield f"msgid_plural {_quote(message.id[1])}"
        strings = _strings(message)
        for index in range(max(nplurals, 1)):
            yield f"msgstr[{index}] {_quote(strings[index] if index < len(strings) else '')}"
    else:
        yield f"msgid {_quote(message.id)}"
        yield f"msgstr {_quote(_strings(message)[0])}"


def _nplurals(header: Header) -> int:
    from pipeline.plurals import parse_plural_forms

    value = header_value(header, "Plural-Forms")
    if value is None:
        return 2
    try:
        return parse_plural_forms(value).nplurals
    except ValueError:
        return 2


def generate_po(catalog: Catalog, header: Header, *, format_flags: bool = True) -> Iterator[str]:
    """PO text of ``catalog`` and ``header``, one line per string, in the catalog's order.

    Article text is no format string ("80% reported" is not ``% r``), so article
    domains are written with ``format_flags=False``: where Babel would guess
    ``python-format`` they say ``no-python-format``, as gettext's tools expect.
    """
    for line in catalog.header_comment.splitlines():
        yield (line if line.startswith("#") else f"# {line}").rstrip() + "\n"
    if catalog.fuzzy:
        yield "#, fuzzy\n"
    yield 'msgid ""\n'
    yield 'msgstr ""\n'
    for name, value in header:
        yield _quote(f"{name}: {value}\n") + "\n"
    nplurals = _nplurals(header)
    for message in catalog:
        if not message.id:
            continue
        yield "\n"
        yield from (line + "\n" for line in _message_lines(message, nplurals, format_flags))
    for message in catalog.obsolete.values():
        yield "\n"
        for line in _message_lines(message, nplurals, format_flags):
            if line.startswith("#| "):
                line = f"#~| {line[3:]}"
            elif not line.startswith("#"):
                line = f"#~ {line}"
            yield line + "\n"


def gnu_layout(text: bytes, name: str = "<catalog>") -> bytes:
    """``text`` laid out by GNU ``msgcat``: 79 columns, GNU's line breaking and references.

    GNU drops flags it does not know (a Weblate check flag, say); they are put
    back, entry by entry, so nothing a translator set is lost.
    """
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANGUAGE": ""}
    try:
        done = subprocess.run(
            ["msgcat", "--width=79", "-"], input=text, capture_output=True, env=env, check=False
        )
    except FileNotFoundError:
        raise CatalogError(
            "GNU gettext's msgcat is needed to write catalogs (Debian: apt-get install gettext)",
            name,
        ) from None
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise CatalogError(f"msgcat refused the catalog: {' '.join(problem)[:300]}", name)
    return _restore_flags(text, done.stdout, name)


def _entries(text: bytes) -> list[bytes]:
    return text.split(b"\n\n")


def _restore_flags(original: bytes, laid_out: bytes, name: str) -> bytes:
    before, after = _entries(original), _entries(laid_out)
    if len(before) != len(after):
        raise CatalogError("msgcat changed the number of entries; nothing was written", name)
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        flags_line = next((ln for ln in old.split(b"\n") if ln.startswith(b"#, ")), None)
        if flags_line is None:
            continue
        flags = flags_line[3:].decode().split(", ")
        if all(GNU_FLAGS.match(flag) for flag in flags):
            continue
        lines = new.split(b"\n")
        position = next((i for i, ln in enumerate(lines) if ln.startswith(b"#, ")), None)
        if position is None:
            position = max(
                (i + 1 for i, ln in enumerate(lines) if ln.startswith((b"# ", b"#.", b"#:"))),
                default=0,
            )
            lines.insert(position, flags_line)
        else:
            lines[position] = flags_line
        after[index] = b"\n".join(lines)
    return b"\n\n".join(after)


def po_bytes(
    catalog: Catalog,
    header: Header | None = None,
    *,
    format_flags: bool = True,
    name: str = "<catalog>",
) -> bytes:
    """The file of ``catalog``, in GNU gettext's layout.

    Without ``header``, the fields Babel knows for the catalog are written,
    less ``Generated-By``: a tool's version is no reason for a file to change.
    """
    if header is None:
        header = [(k, v.rstrip("\n")) for k, v in catalog.mime_headers if k != "Generated-By"]
    header = [(k, _utf8(v) if k.lower() == "content-type" else v) for k, v in header]
    text = "".join(generate_po(catalog, header, format_flags=format_flags))
    return gnu_layout(text.encode("utf-8"), name)


def _utf8(content_type: str) -> str:
    """The header's Content-Type saying UTF-8: a catalog is always written in UTF-8 (a
    Latin-1 or Windows-1252 file read as such is converted, and says so)."""
    found = re.search(r"(?i)charset=([^;\s]*)", content_type)
    if found is None or found.group(1).lower() in ("utf-8", "utf8"):
        return content_type  # already UTF-8, however it is spelled: no churn
    return content_type[: found.start()] + "charset=UTF-8" + content_type[found.end() :]


def without_dates(data: bytes) -> bytes:
    return _DATE_LINE.sub(b"", data)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already says the same apart from its date headers."""
    try:
        if without_dates(path.read_bytes()) == without_dates(data):
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True
