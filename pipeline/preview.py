"""What a page shows in the live preview (``pipeline serve``), added to its HTML as it is served.

The published page is never changed: the server reads it (from ``output/``, or
from memory for a language the gate refuses) and adds, for the translator, a
panel of the language's check findings, a banner saying why it would not be
published or why the last rebuild failed, on every translated block the PO
entry it comes from (``locale/<lang>/LC_MESSAGES/<domain>.po:LINE``) and its
findings, and the script that reloads the page when it is rebuilt.

Blocks are found with an HTML parser and matched to catalog entries by the text a
reader sees, never by patterns over the markup. Pure: text in, text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from pipeline.checks import Finding

EVENTS_PATH = "/_pipeline/events"
"""Where the page listens for rebuilds (server-sent events)."""

BLOCK_TAGS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "figcaption", "dt", "dd"}
)
"""Elements a translated text fills whole."""


@dataclass(frozen=True)
class Entry:
    """A catalog entry as a page shows it."""

    location: str
    """``locale/<lang>/LC_MESSAGES/<domain>.po:LINE`` of its msgid."""
    msgid: str
    translated: bool
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class PageNotes:
    """Everything the preview adds to one page."""

    entries: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)
    """Text of a block as a reader sees it (:func:`visible`) -> the entries it shows."""
    findings: Sequence[Finding] = ()
    """The language's findings, for the panel."""
    banners: Sequence[str] = ()
    """Why the language would not be published; the error of the last rebuild."""
    generation: str = ""


def visible(text: str) -> str:
    """Text as compared: whitespace collapsed, ends trimmed."""
    return " ".join(text.split())


@dataclass
class _Open:
    tag: str
    end_of_start: int
    """Offset just before the start tag's closing ``>`` (or ``/>``)."""
    after_start: int
    text: list[str] = field(default_factory=list)
    inner_matched: bool = False


class _Blocks(HTMLParser):
    """Finds the blocks whose text is an entry's, and where ``<body>`` starts and ends."""

    def __init__(self, html: str, entries: Mapping[str, tuple[Entry, ...]]):
        super().__init__(convert_charrefs=True)
        self._starts = [0]
        for index, char in enumerate(html):
            if char == "\n":
                self._starts.append(index + 1)
        self._entries = entries
        self._stack: list[_Open] = []
        self.matches: list[tuple[_Open, tuple[Entry, ...]]] = []
        self.body_start: int | None = None
        self.body_end: int | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        raw = self.get_starttag_text() or ""
        after = start + len(raw)
        if tag == "body":
            self.body_start = after
        if tag in BLOCK_TAGS:
            closing = 2 if raw.endswith("/>") else 1
            self._stack.append(_Open(tag, after - closing, after))

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.body_end = self._offset()
        if tag not in BLOCK_TAGS:
            return
        while self._stack:  # an element closed without its end tag closes with its parent
            block = self._stack.pop()
            if not block.inner_matched:
                entries = self._entries.get(visible("".join(block.text)))
                if entries:
                    self.matches.append((block, entries))
                    for outer in self._stack:
                        outer.inner_matched = True
            if block.tag == tag:
                return

    def handle_data(self, data: str) -> None:
        for block in self._stack:
            block.text.append(data)


def annotate(html: str, notes: PageNotes) -> str:
    """``html`` with the preview's panel, markers and reload script; the page otherwise
    unchanged."""
    parser = _Blocks(html, notes.entries)
    parser.feed(html)
    parser.close()
    inserts: list[tuple[int, str]] = []
    for block, entries in parser.matches:
        inserts.append((block.end_of_start, _block_attributes(entries)))
        found = [finding for entry in entries for finding in entry.findings]
        if found:
            inserts.append((block.after_start, _marker(entries, found)))
    start = parser.body_start if parser.body_start is not None else 0
    end = parser.body_end if parser.body_end is not None else len(html)
    inserts.append((start, _panel(notes)))
    inserts.append((end, _script(notes.generation)))
    for offset, text in sorted(inserts, key=lambda item: item[0], reverse=True):
        html = html[:offset] + text + html[offset:]
    return html


def _block_attributes(entries: Sequence[Entry]) -> str:
    where = " ".join(entry.location for entry in entries)
    state = "translated" if all(entry.translated for entry in entries) else "untranslated"
    findings = ", ".join(
        f"{finding.severity} [{finding.check}]" for entry in entries for finding in entry.findings
    )
    title = f"{where} ({state}{': ' + findings if findings else ''})"
    flagged = " data-pipeline-finding" if findings else ""
    return f' data-pipeline-po="{escape(where)}" title="{escape(title)}"{flagged}'


def _marker(entries: Sequence[Entry], findings: Sequence[Finding]) -> str:
    severity = "error" if any(f.severity == "error" for f in findings) else "warning"
    lines = "; ".join(f"{f.severity} [{f.check}] {f.message}" for f in findings)
    where = " ".join(entry.location for entry in entries)
    return (
        f'<span class="pipeline-marker pipeline-{severity}" lang="en" dir="ltr">'
        f"<code>{escape(where)}</code> {escape(lines)}</span> "
    )


_STYLE = """<style>
#pipeline-preview{font:14px/1.4 system-ui,sans-serif;background:#fffbe6;color:#222;
border-bottom:2px solid #b58900;padding:.5em 1em;position:relative;z-index:10}
#pipeline-preview .pipeline-banner{background:#b00020;color:#fff;padding:.4em .6em;margin:.3em 0}
#pipeline-preview ol{margin:.3em 0;padding-inline-start:1.5em;max-height:30vh;overflow:auto}
.pipeline-marker{font:12px/1.3 system-ui,sans-serif;display:inline-block;padding:0 .3em;
border-radius:3px;background:#fdf0c2;color:#5c4400;border:1px solid #b58900}
.pipeline-marker.pipeline-error{background:#fde2e4;color:#8a0010;border-color:#b00020}
[data-pipeline-finding]{outline:2px solid #b58900;outline-offset:2px}
[data-pipeline-po]:hover{outline:1px dashed #268bd2;outline-offset:2px}
</style>"""


def _panel(notes: PageNotes) -> str:
    parts = [_STYLE, '<aside id="pipeline-preview" lang="en" dir="ltr" aria-label="Preview">']
    parts += [f'<p class="pipeline-banner">{escape(text)}</p>' for text in notes.banners]
    errors = sum(1 for f in notes.findings if f.severity == "error")
    warnings = len(notes.findings) - errors
    parts.append(
        f"<details{' open' if notes.findings else ''}><summary>Preview: {errors} error(s), "
        f"{warnings} warning(s) for this language</summary><ol>"
    )
    for finding in sorted(notes.findings, key=lambda f: (f.path, f.line, f.check)):
        msgid = visible(finding.msgid)
        msgid = msgid if len(msgid) <= 80 else msgid[:79] + "…"
        parts.append(
            f'<li class="pipeline-{finding.severity}"><code>{escape(finding.location)}</code> '
            f"{finding.severity} [{escape(finding.check)}] {escape(finding.message)}"
            f" <q>{escape(msgid)}</q></li>"
        )
    parts.append("</ol></details></aside>")
    return "".join(parts)


def _script(generation: str) -> str:
    """Reload when this page is rebuilt or the server restarts; refresh links to rebuilt
    files (the brochure); keep the reading position across a reload."""
    return (
        "<script>(function(){"
        f"var gen={_js_string(generation)},key='pipeline-scroll';"
        "var y=sessionStorage.getItem(key);"
        "if(y!==null){sessionStorage.removeItem(key);window.scrollTo(0,+y);}"
        "function here(){return decodeURIComponent(location.pathname).replace(/^\\//,'')"
        "||'index.html';}"
        "function reload(){sessionStorage.setItem(key,String(window.scrollY));"
        "location.reload();}"
        f"var events=new EventSource('{EVENTS_PATH}');"
        "events.addEventListener('hello',function(e){if(e.data!==gen){reload();}});"
        "events.addEventListener('built',function(e){var paths=JSON.parse(e.data);"
        "if(paths.indexOf(here())>=0){reload();return;}"
        "document.querySelectorAll('a[href]').forEach(function(a){"
        "var url=new URL(a.getAttribute('href'),location.href);"
        "if(url.origin!==location.origin){return;}"
        "if(paths.indexOf(decodeURIComponent(url.pathname).replace(/^\\//,''))>=0){"
        "url.searchParams.set('v',String(Date.now()));a.href=url.href;}});});"
        "})();</script>"
    )


def _js_string(text: str) -> str:
    safe = (ch if ch.isalnum() or ch in "-_." else f"\\u{ord(ch):04x}" for ch in text)
    return "'" + "".join(safe) + "'"
