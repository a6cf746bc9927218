"""What the preview adds to a served page: markers found with an HTML parser, a panel, a script."""

from __future__ import annotations

from html.parser import HTMLParser

from pipeline.checks import Finding
from pipeline.preview import Entry, PageNotes, annotate

PO = "locale/fr/LC_MESSAGES/a.po"
PAGE = """<!DOCTYPE html>
<html lang="fr"><head><title>Les <b>chats</b></title></head>
<body class="page">
<h1 id="s1">Les <em>chats</em> &amp; les chiens</h1>
<ul>
<li><p>Un   chat
noir.</p></li>
<li>Deux chats.</li>
</ul>
<p>Les <em>chats</em> &amp; les chiens, encore</p>
<img src="x.png" alt="Un chat">
</body>
</html>
"""


def finding(msgid: str, check: str = "figures", severity: str = "error") -> Finding:
    return Finding(check, severity, "figures differ: <12>", msgid, "fr", "a", PO, 7)  # type: ignore[arg-type]


class Elements(HTMLParser):
    """Each element's attributes, and the text inside each element with a class."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def test_a_block_is_marked_with_its_entry_where_its_visible_text_is_the_entry() -> None:
    entries = {
        "Les chats & les chiens": (Entry(f"{PO}:12", "Cats & dogs", True),),
        "Un chat noir.": (Entry(f"{PO}:20", "A black cat.", True),),
    }
    html = annotate(PAGE, PageNotes(entries, (), (), "g1"))
    marked = [
        (tag, a["data-pipeline-po"]) for tag, a in parse(html).attrs if "data-pipeline-po" in a
    ]
    # The <p> inside the <li>, not the <li> too; not the paragraph that only starts alike.
    assert marked == [("h1", f"{PO}:12"), ("p", f"{PO}:20")]
    assert 'title="locale/fr/LC_MESSAGES/a.po:12 (translated)"' in html


def test_a_finding_is_shown_in_its_block_and_in_the_panel_escaped() -> None:
    found = finding("Cats & dogs")
    entries = {"Les chats & les chiens": (Entry(f"{PO}:12", "Cats & dogs", True, (found,)),)}
    notes = PageNotes(entries, (found,), ("Would not be published: <1 error>",), "g1")
    html = annotate(PAGE, notes)
    assert (
        '<h1 id="s1" data-pipeline-po="locale/fr/LC_MESSAGES/a.po:12" title="locale/fr/'
        'LC_MESSAGES/a.po:12 (translated: error [figures])" data-pipeline-finding>'
        '<span class="pipeline-marker pipeline-error" lang="en" dir="ltr"><code>'
        "locale/fr/LC_MESSAGES/a.po:12</code> error [figures] figures differ: &lt;12&gt;</span> "
        "Les <em>chats</em>"
    ) in html
    assert '<p class="pipeline-banner">Would not be published: &lt;1 error&gt;</p>' in html
    assert "<code>locale/fr/LC_MESSAGES/a.po:7</code> error [figures]" in html
    assert html.index('<aside id="pipeline-preview"') > html.index('<body class="page">')


def test_the_page_is_otherwise_unchanged_and_the_script_ends_the_body() -> None:
    html = annotate(PAGE, PageNotes(generation="x'y</script>"))
    start = html.index("<style>")
    end = html.index("</aside>") + len("</aside>")
    script = html.index("<script>")
    assert html[:start] + html[end:script] + html[html.index("</script>") + 9 :] == PAGE
    assert html[script:].startswith("<script>") and html.rstrip().endswith("</html>")
    (code,) = parse(html).scripts
    assert "EventSource('/_pipeline/events')" in code
    assert "x\\u0027y\\u003c\\u002fscript\\u003e" in code
