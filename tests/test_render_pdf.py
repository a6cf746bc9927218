"""PDF brochures, read back with pypdf and poppler (pdfinfo, pdftotext, pdffonts)."""

from __future__ import annotations

import gc
import io
import logging
import re
import shutil
import subprocess
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import zxingcpp
from helpers import SampleLocalized, SampleStrings
from PIL import Image
from pypdf import PdfReader
from weasyprint import CSS
from weasyprint.urls import URLFetchingError

from pipeline.article import Article
from pipeline.collector import COLLECTOR_THRESHOLD
from pipeline.project import Config
from pipeline.render.environment import PAGE_MARK, PAGES_MARK, css_counters, css_string
from pipeline.render.l10n import counter_style, paper_size
from pipeline.render.pdf import (
    PUBLISHED_ROOT,
    PdfRenderer,
    ProjectURLFetcher,
    render_print_html,
)
from pipeline.render.site import Site, make_site
from pipeline.translate import gettext_translations, translate

POPPLER = all(shutil.which(tool) for tool in ("pdfinfo", "pdftotext", "pdffonts"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _normalized(text: str) -> str:
    """Extracted Arabic comes in presentation forms, with bidi controls: compare loosely."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


# --- pure parts -----------------------------------------------------------------------------


def test_css_string_cannot_break_out_of_the_string_or_the_style_element() -> None:
    assert css_string('a "b" \\ </style>\n') == '"a \\22 b\\22  \\5c  \\3c /style\\3e \\a "'


def test_page_footer_becomes_css_counters_around_translated_text() -> None:
    footer = css_counters(f"صفحة {PAGE_MARK} من {PAGES_MARK}", "arabic-indic")
    assert footer == '"صفحة " counter(page, arabic-indic) " من " counter(pages, arabic-indic)'
    reordered = css_counters(f'{PAGES_MARK}"{PAGE_MARK}', "decimal")
    assert reordered == 'counter(pages, decimal) "\\22 " counter(page, decimal)'


def test_page_numbers_use_the_native_digits_of_the_language() -> None:
    assert counter_style("ar") == "arabic-indic"
    assert counter_style("fa") == "persian"
    assert counter_style("bn") == "bengali"
    assert counter_style("en") == "decimal"
    assert counter_style("ar-XB") == "decimal"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "letter"), ("es-MX", "letter"), ("fr-CA", "letter"), ("es", "A4"), ("ar", "A4")],
)
def test_paper_size_follows_the_likely_territory(lang: str, expected: str) -> None:
    assert paper_size(lang) == expected


def test_paper_size_override_wins_for_its_language_only() -> None:
    assert paper_size("en", {"en": "A4"}) == "A4"
    assert paper_size("ar", {"ar": "letter"}) == "letter"
    assert paper_size("en", {"fr": "A4"}) == "letter"


# --- the URL fetcher ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.css",
        "ftp://example.org/x",
        "file:///etc/passwd",
        "file://otherhost/work/x",
    ],
)
def test_fetcher_refuses_what_is_not_a_project_file(config: Config, url: str) -> None:
    with pytest.raises(URLFetchingError):
        ProjectURLFetcher([config.root]).fetch(url)


def test_fetcher_refuses_a_path_that_climbs_out_of_the_project(config: Config) -> None:
    url = (config.root / "source").as_uri() + "/../../../../etc/passwd"
    with pytest.raises(URLFetchingError):
        ProjectURLFetcher([config.root]).fetch(url)


def test_fetcher_serves_project_files_and_data_urls(config: Config) -> None:
    fetcher = ProjectURLFetcher([config.root])
    response = fetcher.fetch((config.root / "pyproject.toml").as_uri())
    assert b"[tool.pipeline]" in response.read()
    response.close()
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("images/steps.3f2a9c1b7e.svg", "image/svg+xml"),
        ("images/knee.3f2a9c1b7e.960w.png", "image/png"),
        ("images/knee.3f2a9c1b7e.jpg", "image/jpeg"),
    ],
)
def test_fetcher_says_the_type_of_a_published_image(
    config: Config, name: str, media_type: str
) -> None:
    """As a file's extension says it: WeasyPrint reads an SVG as one without asking Pillow
    first (which then loads every image plugin it has, about 40 modules)."""
    fetcher = ProjectURLFetcher([config.root])
    fetcher.published = {name: b"<svg/>"}
    response = fetcher.fetch(f"{PUBLISHED_ROOT}{name}")
    assert response.content_type == media_type
    assert response.read() == b"<svg/>"


@pytest.fixture
def weasyprint_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        yield caplog


def test_rendering_does_not_load_remote_or_foreign_files(
    config: Config, weasyprint_log: pytest.LogCaptureFixture
) -> None:
    document = (
        "<html lang=en><title>t</title><body><p>Hello</p>"
        '<img src="http://127.0.0.1:9/x.png">'
        '<link rel="attachment" href="file:///etc/passwd">'
        '<link rel="stylesheet" href="https://example.org/x.css">'
    )
    pdf = PdfRenderer(root=config.root).write(document)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    assert b"root:" not in _inflated(pdf)
    refused = [r.getMessage() for r in weasyprint_log.records if "refused" in r.getMessage()]
    assert len(refused) == 3, weasyprint_log.text


def test_rendering_attaches_a_project_file_when_asked(config: Config) -> None:
    """The fetcher is no blanket refusal: the same attachment from inside the project works."""
    href = (config.root / "pyproject.toml").as_uri()
    document = f'<html lang=en><title>t</title><link rel="attachment" href="{href}"><p>x</p>'
    reader = PdfReader(io.BytesIO(PdfRenderer(root=config.root).write(document)))
    assert list(reader.attachments) == ["pyproject.toml"]


def _inflated(pdf: bytes) -> bytes:
    """The PDF with every Flate stream decompressed, to search its content."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"".join(parts)


# --- real brochures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def brochures(
    tmp_path_factory: pytest.TempPathFactory, config: Config, sample_localized: SampleLocalized
) -> dict[str, Path]:
    """The en brochure, and ar and bn ones from partial synthetic catalogs, on disk."""
    folder = tmp_path_factory.mktemp("brochures")
    localized = {lang: sample_localized[lang][0] for lang in ("en", "ar", "bn")}
    ui = {lang: sample_localized[lang][1] for lang in ("en", "ar", "bn")}
    site = make_site(
        localized.values(), site_url=config.site_url, source_lang="en", paper=config.paper
    )
    renderer = PdfRenderer(root=config.root)
    paths = {}
    for lang, item in localized.items():
        paths[lang] = folder / f"{lang}.pdf"
        paths[lang].write_bytes(renderer.render(item, site, ui[lang]))
    return paths


@needs_poppler
def test_brochure_has_cover_contents_and_body_pages(
    brochures: dict[str, Path], article: Article
) -> None:
    path = str(brochures["en"])
    pages = len(PdfReader(path).pages)

    def page(number: int) -> str:
        text = _run("pdftotext", "-layout", "-f", str(number), "-l", str(number), path, "-")
        # A line may end at a hyphen of the text ("post-" + "stroke"): the text layer gives
        # it as U+2010, which pdftotext keeps at the line end.
        return " ".join(text.split()).replace("\u2010 ", "-")

    cover, contents, last = page(1), page(2), page(pages)
    assert article.meta.title in cover and "MedTravellers" in cover and "Page 1" not in cover
    assert re.search(
        r"Contents .*What is stem cell therapy .*\.{5,} \d .*References \.+ \d", contents
    )
    assert all(heading.unit and heading.unit.msgid in " ".join(page(n) for n in range(3, pages + 1))
               for heading in article.headings() if heading.level == 2)  # fmt: skip
    assert "Medical disclaimer" in last and f"Page {pages} of {pages}" in last


def test_brochure_metadata_comes_from_the_localized_article(
    brochures: dict[str, Path], article: Article, sample_strings: SampleStrings
) -> None:
    en = PdfReader(brochures["en"]).metadata
    assert en is not None
    assert en.title == article.meta.title
    assert en.author == "MedTravellers"
    assert en.subject == article.meta.description
    ar = PdfReader(brochures["ar"]).metadata
    assert ar is not None
    assert ar.title == sample_strings["ar"][0][article.meta.title]
    assert ar.author == "MedTravellers"
    assert "العربية" in (ar.get("/Keywords") or "")


@needs_poppler
@pytest.mark.parametrize("lang", ["en", "ar", "bn"])
def test_brochure_is_a_tagged_pdf_in_its_language(brochures: dict[str, Path], lang: str) -> None:
    assert re.search(r"^Tagged:\s+yes$", _run("pdfinfo", str(brochures[lang])), re.MULTILINE)
    root: Any = PdfReader(brochures[lang]).trailer["/Root"]
    assert root["/Lang"] == lang
    assert "/StructTreeRoot" in root


def _page_size(path: Path) -> tuple[int, int]:
    box = PdfReader(path).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


A4, LETTER = (595, 842), (612, 792)


def test_paper_follows_cldr_unless_the_config_overrides_it(
    brochures: dict[str, Path], config: Config, tmp_path: Path, sample_localized: SampleLocalized
) -> None:
    assert dict(config.paper) == {"en": "A4"}  # the project prints English on A4
    assert _page_size(brochures["en"]) == A4
    assert _page_size(brochures["ar"]) == A4  # CLDR: Egypt
    english, ui = sample_localized["en"]
    cldr_only = make_site([english], site_url=config.site_url, source_lang="en")
    letter = tmp_path / "en.pdf"
    letter.write_bytes(PdfRenderer(root=config.root).render(english, cldr_only, ui))
    assert _page_size(letter) == LETTER  # CLDR: English is likely read in the US


@needs_poppler
def test_english_brochure_text_title_contents_footer_and_end_matter(
    brochures: dict[str, Path], article: Article
) -> None:
    text = " ".join(_run("pdftotext", str(brochures["en"]), "-").split())
    pages = len(PdfReader(brochures["en"]).pages)
    assert article.meta.title in text
    assert "Scan to read this brochure online" in text
    assert f"Page 2 of {pages}" in text
    assert "Medical disclaimer" in text
    assert "does not replace advice from your doctor" in text
    assert "https://pubmed.ncbi.nlm.nih.gov/30257067/" in text
    contents = " ".join(_run("pdftotext", "-f", "2", "-l", "2", str(brochures["en"]), "-").split())
    assert re.search(
        r"What is stem cell therapy actually doing in the post-stroke brain\? \.+ \d", contents
    )


@needs_poppler
def test_arabic_brochure_text_from_the_catalog_with_native_page_numbers(
    brochures: dict[str, Path], sample_strings: SampleStrings
) -> None:
    text = _normalized(_run("pdftotext", str(brochures["ar"]), "-"))
    for word in ("الجذعية", "السكتة", "الدماغية", "المحتويات", "المراجع", "صفحة"):
        assert _normalized(word) in text
    assert "MedTravellers" in text
    pages = len(PdfReader(brochures["ar"]).pages)
    arabic_digits = str(pages).translate({ord("0") + n: 0x0660 + n for n in range(10)})
    assert arabic_digits in text
    assert "Scan to read this brochure online" not in text


@needs_poppler
@pytest.mark.parametrize(
    ("lang", "family"),
    [("en", "Noto-Serif"), ("ar", "Noto-Naskh-Arabic"), ("bn", "Noto-Sans-Bengali")],
)
def test_every_font_is_embedded_and_the_script_font_is_used(
    brochures: dict[str, Path], lang: str, family: str
) -> None:
    rows = _run("pdffonts", str(brochures[lang])).splitlines()[2:]
    assert rows
    fonts = {row.split()[0].split("+", 1)[-1]: row.split() for row in rows}
    assert family in fonts, fonts
    for name, columns in fonts.items():
        assert columns[-5] == "yes", f"{name} is not embedded"


def test_bookmarks_follow_the_headings_not_the_cover_or_contents(
    brochures: dict[str, Path], article: Article
) -> None:
    reader = PdfReader(brochures["en"])
    titles = _outline_titles(reader.outline)
    assert titles[0] == article.meta.title
    assert "Why choose MedTravellers for post-stroke stem cell therapy?" in titles
    assert "References" in titles
    assert "Contents" not in titles


def _outline_titles(outline: Any) -> list[str]:
    titles: list[str] = []
    for item in outline:
        if isinstance(item, list):
            titles.extend(_outline_titles(item))
        else:
            titles.append(str(item.title))
    return titles


@needs_poppler
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_printed_qr_code_opens_the_web_page_of_its_language(
    brochures: dict[str, Path], article: Article, lang: str, tmp_path: Path
) -> None:
    """Rasterize the back page as a printer would and decode the QR code with ZXing."""
    prefix = tmp_path / "back"
    last = re.search(r"^Pages:\s+(\d+)$", _run("pdfinfo", str(brochures[lang])), re.MULTILINE)
    assert last is not None
    pages = last[1]
    _run(
        "pdftoppm", "-r", "200", "-f", pages, "-l", pages, "-png", str(brochures[lang]), str(prefix)
    )
    (image,) = tmp_path.glob("back*.png")
    codes = zxingcpp.read_barcodes(Image.open(image))
    assert [(c.format.name, c.text) for c in codes] == [
        ("QRCode", f"https://medtravellers.example/{lang}/{article.slug}.html")
    ]


def test_print_document_without_site_url_has_no_qr_code(article: Article) -> None:
    localized = translate(article, None, "en", source_lang="en")
    site = Site("", "en", "MedTravellers", (), ())
    document = render_print_html(localized, site, gettext_translations(None))
    assert "data:image/svg+xml" not in document


def test_rendering_is_deterministic(config: Config, article: Article) -> None:
    from pipeline.render.pdf import render_pdf

    localized = translate(article, None, "en", source_lang="en")
    site = make_site([localized], site_url=config.site_url, source_lang="en")
    first = render_pdf(localized, site, gettext_translations(None), root=config.root)
    second = PdfRenderer(root=config.root).render(localized, site, gettext_translations(None))
    assert first == second


def test_the_stylesheet_parsed_once_gives_the_pdf_of_the_stylesheet_inline(
    config: Config, sample_localized: SampleLocalized
) -> None:
    """One renderer parses the print stylesheet once for every brochure; each PDF is byte for
    byte the one WeasyPrint makes of the whole document, its stylesheet inline."""
    langs = ("en", "ar", "bn")
    site = make_site(
        [sample_localized[lang][0] for lang in langs],
        site_url=config.site_url,
        source_lang="en",
        paper=config.paper,
    )
    shared = PdfRenderer(root=config.root)
    for lang in langs:
        localized, ui = sample_localized[lang]
        made = shared.render(localized, site, ui)
        document = render_print_html(localized, site, ui)
        assert document.count("<style>") == 1
        inline = PdfRenderer(root=config.root).write(
            document, base_url=f"{PUBLISHED_ROOT}{lang}/", source_lang="en"
        )
        assert made == inline, lang
    assert len(shared._shared) == 1


@pytest.mark.parametrize(
    "css",
    [
        "p { color: red !important; }",
        "p { background: url(tile.png); }",
        '@import "more.css";',
        "p::before { content: '\\2014'; }",
        "@font-face { font-family: X; src: local(X); }",
        "@counter-style thumbs { system: cyclic; symbols: x; }",
    ],
)
def test_a_stylesheet_that_depends_on_its_document_stays_in_it(config: Config, css: str) -> None:
    document = f"<html lang=en><style>\n{css}\np {{ margin: 0 }}</style><p>x</p></html>"
    plain, base = "p { color: red }", "file:///tmp/"
    renderer = PdfRenderer(root=config.root)
    assert renderer._stylesheets(document, css, base) == (document, [])
    moved, sheets = renderer._stylesheets(document.replace(css, plain), plain, base)
    assert "<style>" not in moved and len(sheets) == 2
    extra = PdfRenderer(root=config.root, stylesheets=[CSS(string="p { color: blue }")])
    assert extra._stylesheets(document.replace(css, plain), plain, base)[1] == []
    lifted = document.replace(css, plain)
    for other in (
        "<style>p { color: blue }</style>",
        '<LINK rel="stylesheet" href="x.css">',
        '<p style="color: blue">y</p>',
        '<svg width="10" height="10"></svg>',
    ):
        assert renderer._stylesheets(lifted.replace("<p>x</p>", other), plain, base)[1] == []


@pytest.mark.parametrize(
    ("before", "after"), [(700, COLLECTOR_THRESHOLD), (0, 0), (100_000, 100_000)]
)
def test_a_rendering_process_collects_garbage_less_often(before: int, after: int) -> None:
    """Python's default (700) raised; the collector turned off, or set higher, left alone."""
    saved = gc.get_threshold()
    gc.set_threshold(before, 10, 10)
    try:
        PdfRenderer()
        assert gc.get_threshold() == (after, 10, 10)
    finally:
        gc.set_threshold(*saved)


def test_a_build_from_the_command_line_collects_garbage_less_often_from_its_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The threshold is raised before the build parses anything, not when it first renders."""
    import pipeline.build
    from pipeline import cli
    from pipeline.build import BuildReport

    seen: list[tuple[int, int, int]] = []

    def build(*args: object, **kwargs: object) -> BuildReport:
        seen.append(gc.get_threshold())
        return BuildReport()

    monkeypatch.setattr(pipeline.build, "build", build)
    monkeypatch.setattr(cli, "load_config", lambda: SimpleNamespace(cache_path=Path.cwd()))
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        assert cli.main(["build"], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    finally:
        gc.set_threshold(*saved)
    assert seen == [(COLLECTOR_THRESHOLD, 10, 10)]
