"""Translations are untrusted input: no markup or script a translator types may become
active in a page or PDF, and no link target may change.

A hostile French catalog is written into a copy of the project. The renderers are
called directly (as :mod:`pipeline.build.jobs` calls them) so that they are tested on
their own, independently of the gate, and the pages are inspected in a real
Chromium; the brochure with poppler and pypdf. Then the same catalog goes
through ``pipeline check`` and ``pipeline build``, which must refuse it.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import polib
import pypdf
import pytest
from babel.messages.catalog import Catalog
from helpers import FR_PO, SLUG, copy_project, edit_po, msgid_lines, run, write_source_ui_catalog

from pipeline.article import Article, Unit
from pipeline.project import Config, load_config
from pipeline.render.html import render_index, render_page, render_sitemap
from pipeline.render.pdf import PdfRenderer, render_pdf
from pipeline.render.site import Site, make_site
from pipeline.translate import LocalizedArticle, gettext_translations, translate
from pipeline.workspace import load_articles, load_translation

FR_UI = "locale/fr/LC_MESSAGES/ui.po"
EVIL = "evil.example"
PASSWD_MARK = "root:x:0:0"

TITLE = "Titre</title><script>alert('title')</script>"
DESCRIPTION = '"><script>alert("description")</script>'
HEADING = "<img src=x onerror=alert('heading')>"
REFERENCE = f'<a href="https://{EVIL}/ref">PubMed</a>'
BODY = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    f"[x](https://{EVIL}/)",
    f'<a href="https://{EVIL}">x</a>',
    "<style>body{display:none}</style>",
    '<link rel=attachment href="file:///etc/passwd">',
    f'<iframe src="https://{EVIL}/frame"></iframe>',
    f"![](http://{EVIL}/pixel.png)",
    f"<noscript><img src=http://{EVIL}/x></noscript>",
    "<svg onload=alert(1)>",
    f"Voir <https://{EVIL}/auto>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]
RAW_HTML = {
    TITLE,
    DESCRIPTION,
    HEADING,
    REFERENCE,
    *(text for text in BODY if re.search(r"<[a-z]+[\s/>]|javascript:", text)),
}
"""msgstrs the unsafe-markup check must report."""
LINKS = {
    REFERENCE,
    f"[x](https://{EVIL}/)",
    f'<a href="https://{EVIL}">x</a>',
    f"![](http://{EVIL}/pixel.png)",
    f"Voir <https://{EVIL}/auto>",
}
"""msgstrs the links check must report (a target the msgid does not have)."""
SHOWN_AS_TEXT = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    f'<a href="https://{EVIL}">x</a>',
    "<style>body{display:none}</style>",
    '<link rel=attachment href="file:///etc/passwd">',
    f'<iframe src="https://{EVIL}/frame"></iframe>',
    "<svg onload=alert(1)>",
]
ACTIVE_TAGS = (
    "script", "style", "link", "iframe", "frame", "object", "embed", "noscript", "img",
    "svg", "math", "meta", "base", "form", "input", "button", "video", "audio", "template",
)  # fmt: skip


# --- helpers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    root: Path
    config: Config
    article: Article
    strings: Mapping[Unit, str]
    """Unit -> the hostile msgstr given to it."""

    @property
    def reference_urls(self) -> set[str]:
        return {reference.url for reference in self.article.meta.references}


def hostile_units(article: Article) -> dict[Unit, str]:
    meta = article.meta
    assert meta.description_unit is not None and meta.references
    headings = [b.unit for b in article.walk() if b.kind == "heading" and b.unit is not None]
    body = [
        b.unit
        for b in article.walk()
        if b.kind != "heading" and b.unit is not None and not b.unit.critical
    ]
    assert len(body) >= len(BODY)
    chosen = {
        meta.title_unit: TITLE,
        meta.description_unit: DESCRIPTION,
        headings[0]: HEADING,
        meta.references[0].unit: REFERENCE,
    }
    chosen.update(zip(body, BODY, strict=False))
    return chosen


def write_hostile_catalog(root: Path, strings: Mapping[Unit, str]) -> None:
    """The real French catalog with the hostile msgstrs put in (polib, a translator's tool)."""
    by_msgid = {unit.msgid: text for unit, text in strings.items()}

    def edit(entry: polib.POEntry) -> None:
        if entry.msgid in by_msgid:
            entry.msgstr = by_msgid.pop(entry.msgid)
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")

    edit_po(root / FR_PO, edit)
    assert not by_msgid, f"not in the catalog: {list(by_msgid)}"


@dataclass
class Dom:
    """What a page became in Chromium, and what it tried to do."""

    tags: Counter[str]
    handlers: list[str]
    styled: list[str]
    links: list[tuple[str, str]]
    """(href attribute, resolved URL) of every a[href]."""
    images: list[str]
    text: str
    title: str
    dialogs: list[str]
    requests: list[str]
    """Every non-file, non-data URL the page asked for (all blocked)."""


INSPECT = """() => {
  const all = [...document.querySelectorAll('*')];
  return {
    tags: all.map(e => e.localName),
    handlers: all.flatMap(e => [...e.attributes]
      .filter(a => a.name.toLowerCase().startsWith('on'))
      .map(a => `${e.localName}[${a.name}]`)),
    styled: all.filter(e => e.hasAttribute('style')).map(e => e.localName),
    links: [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.href]),
    images: [...document.images].map(i => i.src),
    text: document.body.innerText,
    title: document.title,
  };
}"""


class Browser:
    def __init__(self, browser: Any):
        self.browser = browser

    def inspect(self, path: Path) -> Dom:
        context = self.browser.new_context()
        requests: list[str] = []
        dialogs: list[str] = []

        def route(route: Any) -> None:
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                requests.append(url)
                route.abort()

        context.route("**/*", route)
        page = context.new_page()

        def dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dialog)
        try:
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(100)
            data = page.evaluate(INSPECT)
        finally:
            context.close()
        return Dom(
            Counter(data["tags"]),
            data["handlers"],
            data["styled"],
            [tuple(link) for link in data["links"]],
            data["images"],
            data["text"],
            data["title"],
            dialogs,
            requests,
        )


def pdf_uris(path: Path) -> list[str]:
    uris = []
    for page in pypdf.PdfReader(path).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def pdf_annotation_subtypes(path: Path) -> set[str]:
    return {
        str(annotation.get_object().get("/Subtype"))
        for page in pypdf.PdfReader(path).pages
        for annotation in page.get("/Annots") or []
    }


def pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def pdfdetach_list(path: Path) -> str:
    if shutil.which("pdfdetach") is None:
        pytest.skip("poppler-utils (pdfdetach) is not installed")
    return subprocess.run(
        ["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    root = copy_project(tmp_path_factory.mktemp("hostile") / "project", min_translated=0)
    config = load_config(root)
    article = load_articles(config)[0]
    assert article.slug == SLUG
    strings = hostile_units(article)
    write_hostile_catalog(root, strings)
    return Hostile(root, config, article, strings)


@dataclass(frozen=True)
class Rendered:
    output: Path
    en: LocalizedArticle
    fr: LocalizedArticle
    site: Site

    def page(self, lang: str) -> Path:
        return self.output / lang / f"{SLUG}.html"

    def pdf(self, lang: str) -> Path:
        return self.output / lang / f"{SLUG}.pdf"


@pytest.fixture(scope="module")
def rendered(hostile: Hostile) -> Rendered:
    """The renderers called directly, the gate bypassed: en, and fr from the hostile catalog."""
    config = hostile.config
    catalog = load_translation(config, "fr", SLUG)
    assert catalog is not None
    en = translate(hostile.article, None, "en", source_lang="en")
    fr = translate(hostile.article, catalog, "fr", source_lang="en")
    for unit, text in hostile.strings.items():  # the renderer really got the hostile text
        assert not fr.text(unit).fallback, text
    site = make_site([en, fr], site_url=config.site_url, source_lang="en")
    output = hostile.root / "rendered"
    english_ui = gettext_translations(None)
    french_ui = gettext_translations(load_translation(config, "fr", "ui"))
    for localized, ui in ((en, english_ui), (fr, french_ui)):
        folder = output / localized.lang
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{SLUG}.html").write_bytes(render_page(localized, site, ui))
    (output / "en" / f"{SLUG}.pdf").write_bytes(
        PdfRenderer(root=hostile.root).render(en, site, english_ui)
    )
    (output / "fr" / f"{SLUG}.pdf").write_bytes(render_pdf(fr, site, french_ui, root=hostile.root))
    (output / "index.html").write_bytes(render_index(site, english_ui))
    (output / "sitemap.xml").write_bytes(render_sitemap(site))
    return Rendered(output, en, fr, site)


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Browser:
    return Browser(chromium)


@pytest.fixture(scope="module")
def doms(rendered: Rendered, browser: Browser) -> dict[str, Dom]:
    return {
        "en": browser.inspect(rendered.page("en")),
        "fr": browser.inspect(rendered.page("fr")),
        "index": browser.inspect(rendered.output / "index.html"),
    }


# --- the page -------------------------------------------------------------------------------


def test_page_runs_no_script_and_loads_nothing(doms: dict[str, Dom]) -> None:
    fr = doms["fr"]
    assert fr.dialogs == []
    assert fr.requests == []


def test_page_has_no_element_the_template_does_not_ship(doms: dict[str, Dom]) -> None:
    en, fr = doms["en"], doms["fr"]
    assert en.tags["script"] == 0
    for tag in ACTIVE_TAGS:
        assert fr.tags[tag] == en.tags[tag], f"{tag}: {fr.tags[tag]} in fr, {en.tags[tag]} in en"
    assert set(fr.tags) <= set(en.tags), set(fr.tags) - set(en.tags)


def test_page_has_no_event_handler_or_style_attribute(doms: dict[str, Dom]) -> None:
    assert doms["fr"].handlers == []
    assert sorted(doms["fr"].styled) == sorted(doms["en"].styled)


def test_page_links_are_the_outputs_or_the_sources_own(
    doms: dict[str, Dom], rendered: Rendered, hostile: Hostile
) -> None:
    output = rendered.output.resolve()
    for href, resolved in doms["fr"].links:
        assert EVIL not in resolved and "javascript" not in resolved.lower(), href
        if href.startswith("#") or href in hostile.reference_urls:
            continue
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/", href, re.I), href
        assert resolved.startswith("file://"), resolved
        target = Path(resolved.removeprefix("file://").split("#")[0]).resolve()
        assert target.is_relative_to(output), href
        assert target.suffix in (".html", ".pdf"), href
    # the references keep the source's URLs, whatever their translated titles say
    assert [h for h, _ in doms["fr"].links if h.startswith("http")] == [
        h for h, _ in doms["en"].links if h.startswith("http")
    ]


def test_page_has_no_external_image(doms: dict[str, Dom]) -> None:
    for src in doms["fr"].images:
        assert src.startswith(("file:", "data:")), src


def test_page_shows_the_hostile_text_as_text(doms: dict[str, Dom]) -> None:
    fr = doms["fr"]
    for text in SHOWN_AS_TEXT:
        assert text in fr.text, text
    assert fr.text.count("<script>alert(1)</script>") == 2  # and the entity-escaped one
    assert TITLE in fr.title
    assert "<img src=x onerror=alert('heading')>" in fr.text  # heading and its TOC entry
    assert fr.text.count("<img src=x onerror=alert('heading')>") == 2
    assert "PubMed</a>" in fr.text  # the reference title, link kept to the source URL


def test_index_and_sitemap_stay_inert(doms: dict[str, Dom], rendered: Rendered) -> None:
    index = doms["index"]
    assert index.tags["script"] == 0 and index.handlers == [] and index.dialogs == []
    assert "Titre</title><script>alert('title')</script>" in index.text
    for href, _ in index.links:
        assert EVIL not in href
    tree = ElementTree.parse(rendered.output / "sitemap.xml")
    locs = [e.text or "" for e in tree.iter() if e.tag.endswith("loc")]
    assert locs and not [loc for loc in locs if EVIL in loc]


# --- the brochure ---------------------------------------------------------------------------


def test_brochure_has_no_attachment(rendered: Rendered) -> None:
    pdf = rendered.pdf("fr")
    assert pdfdetach_list(pdf).strip() == "0 embedded files"
    catalog: Any = pypdf.PdfReader(pdf).trailer["/Root"]
    names = catalog.get("/Names")
    assert names is None or "/EmbeddedFiles" not in names.get_object()
    assert "/FileAttachment" not in pdf_annotation_subtypes(pdf)


def test_brochure_links_only_to_the_sources_urls(rendered: Rendered, hostile: Hostile) -> None:
    uris = pdf_uris(rendered.pdf("fr"))
    assert set(uris) <= hostile.reference_urls, uris
    assert set(uris) == set(pdf_uris(rendered.pdf("en")))


def test_brochure_has_no_script_or_file_content(rendered: Rendered) -> None:
    pdf = rendered.pdf("fr")
    root: Any = pypdf.PdfReader(pdf).trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    names = root.get("/Names")
    assert names is None or "/JavaScript" not in names.get_object()
    text = pdftotext(pdf)
    assert PASSWD_MARK not in text
    assert PASSWD_MARK.encode() not in pdf.read_bytes()
    assert "alert(1)" in text  # the hostile text is printed, as text


# --- the checks and the gate ----------------------------------------------------------------


def test_check_reports_unsafe_markup_and_links_at_their_places(hostile: Hostile) -> None:
    result = run(hostile.root, "check", "--lang", "fr", "--json")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    findings = json.loads(result.stdout)
    lines = msgid_lines((hostile.root / FR_PO).read_text(encoding="utf-8"))
    errors = {(f["check"], f["location"], f["msgid"]) for f in findings if f["severity"] == "error"}
    for unit, text in hostile.strings.items():
        location = f"{FR_PO}:{lines[unit.msgid]}"
        if text in RAW_HTML:
            assert ("unsafe-markup", location, unit.msgid) in errors, text
        if text in LINKS:
            assert ("links", location, unit.msgid) in errors, text
    for finding in findings:
        assert finding["lang"] == "fr"
        assert finding["location"].startswith(("locale/fr/LC_MESSAGES/",))


def test_build_refuses_the_hostile_language(hostile: Hostile, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(hostile.root, root, ignore=shutil.ignore_patterns("rendered", "output"))
    result = run(root, "build", "--lang", "fr", "--lang", "en")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    refusal = [line for line in result.stdout.splitlines() if line.startswith("not published:")]
    assert [line.split(":")[1].strip() for line in refusal] == [f"fr/{SLUG}"]
    assert "unsafe-markup" in refusal[0] and "links" in refusal[0]
    assert not (root / "output" / "fr").exists() or not list((root / "output" / "fr").iterdir())
    assert (root / "output" / "en" / f"{SLUG}.html").is_file()
    index = (root / "output" / "index.html").read_text(encoding="utf-8")
    assert 'hreflang="fr"' not in index and EVIL not in index


def test_hostile_fuzzy_entries_never_reach_a_published_page(
    hostile: Hostile, browser: Browser, tmp_path: Path
) -> None:
    """Fuzzy entries are published around, never shown: the links check skips them."""
    root = copy_project(tmp_path / "project", min_translated=0)
    po = polib.pofile(str(root / FR_PO), wrapwidth=78)
    link_only = [text for text in BODY if text in LINKS and text not in RAW_HTML]
    targets = [e for e in po if e.msgstr and "critical" not in e.comment][-len(link_only) :]
    for entry, text in zip(targets, link_only, strict=True):
        entry.msgstr = text
        entry.flags.append("fuzzy")
    po.save()
    result = run(root, "build", "--lang", "fr")
    assert result.returncode == 0, result.stdout + result.stderr
    dom = browser.inspect(root / "output" / "fr" / f"{SLUG}.html")
    assert not [href for href, resolved in dom.links if EVIL in resolved]
    assert EVIL not in dom.text and dom.requests == []
    published = (root / "output" / "images").resolve().as_uri() + "/"
    logo = "data:image/svg+xml;base64," + base64.b64encode(
        (root / "theme" / "logo.svg").read_bytes()
    ).decode("ascii")
    assert dom.images[0] == logo  # the publisher's, from the theme
    assert dom.images[1:] and all(src.startswith(published) for src in dom.images[1:])
    assert not [uri for uri in pdf_uris(root / "output" / "fr" / f"{SLUG}.pdf") if EVIL in uri]


# --- the ui catalog -------------------------------------------------------------------------

UI_HOSTILE = (
    f"<script>alert('ui')</script><a href=\"https://{EVIL}/ui\">Avertissement</a>"
    "<img src=x onerror=alert('ui')>"
)
NON_ASCII_TAG = (
    'Avertissement médical<bé style="position:fixed;top:auto;left:auto;'
    'background:red;font-size:xx-large">Cliquez ici</bé>'
)


def test_ui_translation_markup_is_not_active(
    rendered: Rendered, browser: Browser, tmp_path: Path
) -> None:
    """The renderer alone, no gate: interface text from ui.po is text, in page and brochure."""
    ui = Catalog(locale="fr")
    ui.add("Medical disclaimer", UI_HOSTILE)
    ui.add("Page %(page)s of %(pages)s", "Page %(page)s sur %(pages)s</style><script>x")
    translations = gettext_translations(ui)
    page = tmp_path / "fr" / f"{SLUG}.html"
    page.parent.mkdir()
    page.write_bytes(render_page(rendered.fr, rendered.site, translations))
    pdf = tmp_path / "fr" / f"{SLUG}.pdf"
    pdf.write_bytes(render_pdf(rendered.fr, rendered.site, translations))
    dom = browser.inspect(page)
    assert dom.tags["script"] == 0 and dom.handlers == [] and dom.dialogs == []
    assert not [href for href, _ in dom.links if EVIL in href]
    assert "<script>alert('ui')</script>" in dom.text
    assert not [uri for uri in pdf_uris(pdf) if EVIL in uri]
    assert pdfdetach_list(pdf).strip() == "0 embedded files"


def _non_ascii_tag_project(root: Path) -> Path:
    copy_project(root, min_translated=0)
    ui = polib.pofile(str(root / FR_UI), wrapwidth=78)
    entry = ui.find("Medical disclaimer")
    assert entry is not None
    entry.msgstr = NON_ASCII_TAG
    ui.save()
    return root


def test_ui_markup_with_a_non_ascii_tag_name_stays_inert(
    rendered: Rendered, browser: Browser, doms: dict[str, Dom], tmp_path: Path
) -> None:
    """The renderer alone, no gate: ``<bé style=...>`` in ui.po is shown as text."""
    ui = Catalog(locale="fr")
    ui.add("Medical disclaimer", NON_ASCII_TAG)
    page = tmp_path / "fr" / f"{SLUG}.html"
    page.parent.mkdir()
    page.write_bytes(render_page(rendered.fr, rendered.site, gettext_translations(ui)))
    fr, en = browser.inspect(page), doms["en"]
    assert fr.styled == en.styled, f"live styled elements in the French page: {fr.styled}"
    assert set(fr.tags) <= set(en.tags), set(fr.tags) - set(en.tags)
    assert "<bé style=" in fr.text


def test_build_refuses_ui_markup_with_a_non_ascii_tag_name(tmp_path: Path) -> None:
    root = _non_ascii_tag_project(tmp_path / "project")
    result = run(root, "build", "--lang", "fr")
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert "not published: fr/" in result.stdout and "unsafe-markup" in result.stdout
    assert not (root / "output" / "fr" / f"{SLUG}.html").exists()


def test_unsafe_markup_check_reports_non_ascii_tag_names(tmp_path: Path) -> None:
    root = _non_ascii_tag_project(tmp_path / "project")
    result = run(root, "check", "--lang", "fr", "--json")
    assert "Traceback" not in result.stderr
    findings = json.loads(result.stdout)
    line = msgid_lines((root / FR_UI).read_text(encoding="utf-8"))["Medical disclaimer"]
    unsafe = [
        f for f in findings if f["check"] == "unsafe-markup" and f["location"] == f"{FR_UI}:{line}"
    ]
    assert unsafe, findings
    assert result.returncode == 1


def test_source_language_ui_catalog_cannot_inject_markup(browser: Browser, tmp_path: Path) -> None:
    """``locale/en/LC_MESSAGES/ui.po`` is used for the English page and the index, ungated."""
    root = copy_project(tmp_path / "project", min_translated=0)
    write_source_ui_catalog(root, {"Medical disclaimer": UI_HOSTILE})
    result = run(root, "build", "--lang", "en")
    assert "Traceback" not in result.stderr
    if result.returncode != 0 and not (root / "output" / "index.html").exists():
        return  # refused
    for page in (root / "output" / "index.html", root / "output" / "en" / f"{SLUG}.html"):
        dom = browser.inspect(page)
        assert (dom.tags["script"], dom.handlers, dom.dialogs) == (0, [], []), page.name
        assert not [href for href, _ in dom.links if EVIL in href], page.name
        assert "<script>alert('ui')</script>" in dom.text, page.name
