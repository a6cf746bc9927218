"""The brochure as a patient holds it: type size, line length, contrast, measured on PDFs.

Readers are stroke survivors, often older, reading in a second script. Everything here is
read back from the PDF with poppler: ``pdftotext -bbox-layout`` (where each line of text
is) and ``pdftohtml -xml`` (size and colour of each run of text, in thirds of a point).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import statistics
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from helpers import SLUG, SampleLocalized, copy_project
from helpers import run as run_pipeline
from pypdf import PdfReader

from pipeline.article import Article
from pipeline.build import site_url_warning
from pipeline.domains import reserved_domain
from pipeline.images import choose
from pipeline.markdown import parse_article
from pipeline.project import Config
from pipeline.render.l10n import paper_size
from pipeline.render.pdf import PdfRenderer
from pipeline.render.site import make_site
from pipeline.translate import gettext_translations, translate

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdftohtml")),
    reason="poppler-utils is not installed",
)

BODY_PAGES_FROM = 3
"""Page 1 is the cover, page 2 the contents."""


# --- reading a PDF back ---------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    page: int
    top: float
    height: float
    """Of the line's box, in points: the same for every line set in one font and size."""
    left: float
    right: float
    text: str

    @property
    def width(self) -> float:
        return self.right - self.left


def text_lines(pdf: Path) -> list[Line]:
    """Every line of text, in reading order per page (``pdftotext -bbox-layout``)."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    root = ElementTree.fromstring(re.sub(r'xmlns="[^"]+"', "", xml, count=1))
    lines = []
    for number, page in enumerate(root.iter("page"), 1):
        for line in page.iter("line"):
            top, bottom = float(line.attrib["yMin"]), float(line.attrib["yMax"])
            text = " ".join(word.text or "" for word in line.iter("word"))
            left, right = float(line.attrib["xMin"]), float(line.attrib["xMax"])
            lines.append(Line(number, top, round(bottom - top, 1), left, right, text))
    return lines


def body_lines(pdf: Path) -> list[Line]:
    """The lines of body text: on the text pages, in the size that sets the most characters."""
    lines = [line for line in text_lines(pdf) if line.page >= BODY_PAGES_FROM]
    heights: Counter[float] = Counter()
    for line in lines:
        heights[line.height] += len(line.text)
    body = heights.most_common(1)[0][0]
    return [line for line in lines if line.height == body]


def full_lines(pdf: Path) -> list[Line]:
    """Body lines that fill the column: not the last line of a paragraph."""
    lines = body_lines(pdf)
    column: dict[int, float] = defaultdict(float)
    for line in lines:
        column[line.page] = max(column[line.page], line.width)
    return [line for line in lines if line.width >= 0.85 * column[line.page]]


@dataclass(frozen=True)
class Run:
    page: int
    size: float
    """In points, to a third of a point (pdftohtml's precision)."""
    color: str
    text: str


def text_runs(pdf: Path) -> list[Run]:
    """Every run of text with its size and colour (``pdftohtml -xml``, at its finest zoom)."""
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-stdout", "-zoom", "3", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xml))
    fonts = {}
    runs = []
    for page in root.iter("page"):
        for spec in page.iter("fontspec"):
            fonts[spec.attrib["id"]] = (int(spec.attrib["size"]) / 3, spec.attrib["color"])
        for text in page.iter("text"):
            size, color = fonts[text.attrib["font"]]
            content = "".join(text.itertext())
            if content.strip():
                runs.append(Run(int(page.attrib["number"]), size, color, content))
    return runs


def body_size(pdf: Path) -> float:
    """The size that sets the most characters of the text pages."""
    sizes: Counter[float] = Counter()
    for run in text_runs(pdf):
        if run.page >= BODY_PAGES_FROM:
            sizes[run.size] += len(run.text)
    return sizes.most_common(1)[0][0]


def contrast_on_white(color: str) -> float:
    """WCAG 2 contrast ratio of a ``#rrggbb`` colour against white."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


HALF_STEP = 1 / 6
"""pdftohtml rounds sizes to thirds of a point: 12.5 pt reads as 12.33."""


# --- brochures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The project with its real catalogs, built with the pseudo-locales: (root, the build)."""
    root = copy_project(tmp_path_factory.mktemp("layout") / "project", min_translated=0)
    done = run_pipeline(root, "build", "--pseudo")
    assert done.returncode == 0, done.stderr
    return root, done


@pytest.fixture(scope="module")
def built(build_run: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    """The output folder of that build."""
    return build_run[0] / "output"


def brochure(output: Path, lang: str) -> Path:
    return output / lang / f"{SLUG}.pdf"


def render(
    localized_items: SampleLocalized, config: Config, lang: str, paper: dict[str, str]
) -> bytes:
    """One brochure rendered here, with its figure, on the given paper."""
    localized, ui = localized_items[lang]
    article = localized.article
    files = {}
    for ref in article.images:
        image = choose(ref, article.path, lang, _project_file(config))
        files.update({copy.path: copy.data for copy in image.renditions})
    site = make_site([localized], site_url=config.site_url, source_lang="en", paper=paper)
    return PdfRenderer(root=config.root).render(localized, site, ui, files=files)


def _project_file(config: Config) -> Callable[[str], bytes | None]:
    def read(name: str) -> bytes | None:
        path = config.root / name
        return path.read_bytes() if path.is_file() else None

    return read


@pytest.fixture(scope="module")
def english_on_letter(
    tmp_path_factory: pytest.TempPathFactory, config: Config, sample_localized: SampleLocalized
) -> Path:
    path = tmp_path_factory.mktemp("letter") / "en.pdf"
    path.write_bytes(render(sample_localized, config, "en", {"en": "letter"}))
    return path


@pytest.fixture(scope="module")
def arabic_with_english_runs(
    tmp_path_factory: pytest.TempPathFactory, config: Config, sample_localized: SampleLocalized
) -> Path:
    """An Arabic brochure most of whose blocks fell back to English (``lang="en"``)."""
    path = tmp_path_factory.mktemp("fallback") / "ar.pdf"
    path.write_bytes(render(sample_localized, config, "ar", dict(config.paper)))
    return path


# --- 1. type size, line length, contrast ------------------------------------------------------

LANGS = ["en", "fr", "ru", "ar", "fa", "bn"]


@pytest.mark.parametrize("lang", LANGS)
def test_body_text_is_at_least_12_pt(built: Path, lang: str) -> None:
    assert body_size(brochure(built, lang)) >= 12 - HALF_STEP


@pytest.mark.parametrize("lang", [*LANGS, "en-XA"])
def test_no_text_is_smaller_than_11_pt_or_paler_than_7_to_1(built: Path, lang: str) -> None:
    """Page headers and footers, cover, contents, captions and references included."""
    runs = text_runs(brochure(built, lang))
    small = {(run.page, run.size, run.text) for run in runs if run.size < 11 - HALF_STEP}
    pale = {(run.color, run.text) for run in runs if contrast_on_white(run.color) < 7}
    assert not small, sorted(small)[:5]
    assert not pale, sorted(pale)[:5]


def test_page_headers_and_footers_are_in_the_text_size_range(built: Path) -> None:
    """The running title and "Page N of M" are real text a reader can use, not fine print."""
    runs = text_runs(brochure(built, "en"))
    footers = [run for run in runs if re.fullmatch(r"Page \d+ of \d+", run.text.strip())]
    pages = max(run.page for run in runs)
    assert [run.page for run in footers] == list(range(2, pages + 1))
    assert all(run.size >= 11 - HALF_STEP for run in footers)


def characters_per_line(pdf: Path) -> float:
    return statistics.median(len(line.text) for line in full_lines(pdf))


@pytest.mark.parametrize("lang", ["en", "fr", "ru"])
def test_lines_hold_60_to_75_characters_on_a4(built: Path, lang: str) -> None:
    assert 60 <= characters_per_line(brochure(built, lang)) <= 75


def test_lines_hold_60_to_75_characters_on_letter(english_on_letter: Path) -> None:
    assert 60 <= characters_per_line(english_on_letter) <= 75


def test_a_wider_paper_gets_wider_margins_not_longer_lines(
    built: Path, english_on_letter: Path
) -> None:
    a4, letter = full_lines(brochure(built, "en")), full_lines(english_on_letter)
    assert max(line.width for line in letter) == pytest.approx(
        max(line.width for line in a4), abs=3
    )


@pytest.mark.parametrize(("lang", "at_least"), [("ar", 1.2), ("fa", 1.2), ("bn", 1.1)])
def test_arabic_and_bengali_are_set_larger_than_latin(
    built: Path, lang: str, at_least: float
) -> None:
    """At one nominal size, Naskh and Bengali letters look smaller than Latin ones."""
    assert body_size(brochure(built, lang)) >= at_least * body_size(brochure(built, "en"))


def test_an_english_run_in_an_arabic_brochure_is_set_as_english(
    built: Path, arabic_with_english_runs: Path, sample_localized: SampleLocalized
) -> None:
    """The script's size follows the text's language, not the brochure's: an untranslated
    paragraph (``lang="en"``) is set as in the English brochure, the Arabic around it larger."""
    english = body_size(brochure(built, "en"))
    article: Article = sample_localized["en"][0].article
    first = next(b for b in article.walk() if b.kind == "paragraph")
    opening = first.text.split()[:4]
    runs = text_runs(arabic_with_english_runs)
    fallback = [r for r in runs if r.text.split()[:4] == opening]
    arabic = [r for r in runs if r.page >= BODY_PAGES_FROM and ARABIC.search(r.text)]
    assert fallback, "the English fallback paragraph is not in the Arabic brochure"
    assert arabic, "no Arabic text on the text pages"
    assert {run.size for run in fallback} == {english}
    assert min(run.size for run in arabic) > english


ARABIC = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")


# --- 2. hyphenation -------------------------------------------------------------------------

LAYOUT_HYPHEN = re.compile(r"(\w+)-$")
"""A line that ends in a word the layout hyphenated: the text layer gives that hyphen as
``-`` (a hyphen of the text itself, "post-" + "stroke", as U+2010)."""


def layout_breaks(pdf: Path) -> list[tuple[str, str]]:
    """(end of the line, start of the next line of the same size) of every word the layout
    hyphenated; a break at the foot of a page continues on the next page's first line."""
    lines = text_lines(pdf)
    breaks = []
    for index, line in enumerate(lines):
        end = LAYOUT_HYPHEN.search(line.text)
        if end is None:
            continue
        following = next((n for n in lines[index + 1 :] if n.height == line.height), None)
        start = re.match(r"\w*", following.text).group(0) if following else ""
        breaks.append((end.group(1), start))
    return breaks


@pytest.mark.parametrize("lang", ["en", "fr", "ru"])
def test_a_word_breaks_with_three_letters_or_more_on_each_side(built: Path, lang: str) -> None:
    breaks = layout_breaks(brochure(built, lang))
    assert breaks, "nothing is hyphenated: the test would see nothing"
    short = [f"{end}-{start}" for end, start in breaks if len(end) < 3 or len(start) < 3]
    assert not short


@pytest.mark.parametrize("lang", [*LANGS, "en-XA"])
def test_no_word_is_hyphenated_across_a_page_break(built: Path, lang: str) -> None:
    lines = text_lines(brochure(built, lang))
    across = []
    for index, line in enumerate(lines):
        if LAYOUT_HYPHEN.search(line.text):
            following = next((n for n in lines[index + 1 :] if n.height == line.height), None)
            if following is not None and following.page != line.page:
                across.append((line.page, line.text[-30:]))
    assert not across


MIN_FILL = 0.2
"""Share of a page's text area a page holds at least, but the cover and the last page: a
page with one reference or only the disclaimer on it holds under a tenth."""


def page_fill(pdf: Path) -> dict[int, float]:
    """How far down its text area each page's text goes (0 empty, 1 full), headers and
    footers left out, from the page size and margins print.css gives every page."""
    lines = text_lines(pdf)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    height = float(re.search(r"Page size:\s+[\d.]+ x ([\d.]+)", info.stdout)[1])
    top, bottom = 22 * 72 / 25.4, height - 24 * 72 / 25.4  # @page margin-block: 22mm 24mm
    fill = {}
    for page in range(1, max(line.page for line in lines) + 1):
        ends = [line.top + line.height for line in lines if line.page == page]
        inside = [end for end in ends if top < end <= bottom]
        fill[page] = (max(inside) - top) / (bottom - top) if inside else 0.0
    return fill


@pytest.mark.parametrize("lang", [*LANGS, "en-XA"])
def test_no_page_is_left_mostly_empty_but_the_cover_and_the_last(built: Path, lang: str) -> None:
    fill = page_fill(brochure(built, lang))
    inner = {page: round(share, 2) for page, share in fill.items() if 1 < page < len(fill)}
    assert inner and min(inner.values()) >= MIN_FILL, inner


@pytest.mark.parametrize("lang", LANGS)
def test_the_last_page_holds_contact_disclaimer_and_qr_code_together(
    built: Path, lang: str
) -> None:
    lines = text_lines(brochure(built, lang))
    last = max(line.page for line in lines)
    text = " ".join(line.text for line in lines if line.page == last)
    assert "+44 20 7946 0958" in text and "medtravellers.example/" in text
    assert "MedTravellers" in text  # "Published by MedTravellers", in every language


LONG_WORDS = (
    "Neuroinflammation, neuroplasticity, neuroprotection, rehabilitation, reorganisation, "
    "revascularisation, immunomodulation, physiotherapeutic, electrophysiological"
)
SHORT_WORDS = " ".join(["Some of the text is here, and it is not long at all."] * 8)
SCANNED = f"""---
title: {LONG_WORDS}
slug: scanned
lang: en
description: {LONG_WORDS}, {LONG_WORDS.lower()}
publisher: MedTravellers
references:
  - title: {LONG_WORDS}
    url: https://pubmed.ncbi.nlm.nih.gov/30257067/
  - title: {LONG_WORDS.lower()}
    url: https://pubmed.ncbi.nlm.nih.gov/31537484/
---

{SHORT_WORDS}

## {LONG_WORDS}

{SHORT_WORDS}

### {LONG_WORDS.lower()}

{SHORT_WORDS}
"""
"""What a reader scans rather than reads, all in long words; the body text has no word of
six letters, the shortest that may be hyphenated."""


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Path:
    article = parse_article(SCANNED, "source/scanned.md")
    localized = translate(article, None, "en", source_lang="en")
    site = make_site([localized], site_url=config.site_url, source_lang="en")
    path = tmp_path_factory.mktemp("scanned") / "en.pdf"
    path.write_bytes(
        PdfRenderer(root=config.root).render(localized, site, gettext_translations(None))
    )
    return path


def test_headings_contents_cover_and_reference_titles_are_not_hyphenated(scanned: Path) -> None:
    text = " ".join(line.text for line in text_lines(scanned))
    assert text.count("electrophysiological") >= 8  # every place, not one line each
    assert layout_breaks(scanned) == []


def test_a_run_in_another_language_is_not_hyphenated(arabic_with_english_runs: Path) -> None:
    """English that fell back into an Arabic brochure is read by someone for whom English is
    not the brochure's language: its words stay whole."""
    lines = text_lines(arabic_with_english_runs)
    english = [line for line in lines if re.search(r"[a-z]{4} [a-z]{4}", line.text)]
    assert len(english) > 50
    assert layout_breaks(arabic_with_english_runs) == []


# --- 3. pagination --------------------------------------------------------------------------

MARKERS = ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India")
SECTIONS = "".join(
    f"## Section {marker}\n\n"
    + (f"### Part {marker}\n\n" if n % 3 == 1 else "")
    + ("- One.\n- Two.\n- Three.\n\n" if n % 3 == 2 else "")
    + f"{SHORT_WORDS[: 40 + 25 * (n % 4)]}\n\n"
    for n, marker in enumerate(MARKERS[:6])
)
REFERENCES = "".join(
    f"  - title: {marker} – a long study of recovery after a stroke, of rehabilitation and of "
    f"the repair of the brain over many months\n"
    f"    url: https://pubmed.ncbi.nlm.nih.gov/{31537480 + n}/\n"
    for n, marker in enumerate(MARKERS)
)
SHIFTS = range(0, 40, 2)
"""Lines of text before the sections: every even position of the end matter on a page."""


def paginated_article(shift: int) -> str:
    opening = "<br>\n".join(["Line."] * (shift + 1))
    return (
        "---\ntitle: Pagination\nslug: pagination\nlang: en\ndescription: Where pages break.\n"
        f"publisher: MedTravellers\nreferences:\n{REFERENCES}---\n\n{opening}\n\n{SECTIONS}"
    )


@pytest.fixture(scope="module")
def paginated(tmp_path_factory: pytest.TempPathFactory, config: Config) -> dict[int, list[Line]]:
    """The lines of a brochure with headings and nine references, whose end matter starts
    lower each time: its page breaks fall between every two lines of the end matter."""
    folder = tmp_path_factory.mktemp("pagination")
    renderer = PdfRenderer(root=config.root)
    lines = {}
    for shift in SHIFTS:
        article = parse_article(paginated_article(shift), "source/pagination.md")
        localized = translate(article, None, "en", source_lang="en")
        site = make_site([localized], site_url=config.site_url, source_lang="en")
        path = folder / f"{shift}.pdf"
        path.write_bytes(renderer.render(localized, site, gettext_translations(None)))
        lines[shift] = text_lines(path)
    return lines


def page_of(lines: list[Line], text: str) -> int:
    (page,) = {line.page for line in lines if text in line.text}
    return page


@pytest.mark.parametrize("shift", SHIFTS)
def test_no_reference_is_split_across_pages(paginated: dict[int, list[Line]], shift: int) -> None:
    lines = paginated[shift]
    for n, marker in enumerate(MARKERS):
        title = [line.page for line in lines if line.text.startswith(f"{n + 1}. {marker} ")]
        url = page_of(lines, f"/{31537480 + n}/")
        assert title == [url], f"reference {n + 1}: title on page {title}, address on {url}"


@pytest.mark.parametrize("shift", SHIFTS)
def test_the_disclaimer_is_never_alone_on_a_page(
    paginated: dict[int, list[Line]], shift: int
) -> None:
    lines = paginated[shift]
    page = page_of(lines, "Medical disclaimer")
    assert any("pubmed.ncbi.nlm.nih.gov" in line.text for line in lines if line.page == page)


@pytest.mark.parametrize("shift", SHIFTS)
def test_a_heading_is_kept_with_the_text_after_it(
    paginated: dict[int, list[Line]], shift: int
) -> None:
    lines = [
        line
        for line in paginated[shift]
        if line.page >= BODY_PAGES_FROM and not FURNITURE.fullmatch(line.text)
    ]
    for index, line in enumerate(lines):
        if line.text.startswith(HEADINGS) or line.text in ("References", "Medical disclaimer"):
            after = [n for n in lines[index + 1 :] if n.page == line.page]
            assert after and after[0].height < line.height, f"{line.text!r} ends page {line.page}"


HEADINGS = ("Section ", "Part ")
FURNITURE = re.compile(r"Pagination|Page \d+ of \d+")
"""The running title and the footer of the pagination brochure."""


# --- 4. paper -------------------------------------------------------------------------------


def page_size(pdf: Path) -> tuple[int, int]:
    box = PdfReader(pdf).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


@pytest.mark.parametrize("lang", ["en-XA", "ar-XB"])
def test_a_pseudo_locale_brochure_is_on_the_source_languages_paper(built: Path, lang: str) -> None:
    """The project prints English on A4 (``en = "A4"``): so do its pseudo-locales, which
    are the English text in disguise, checked before the real languages go to print."""
    assert page_size(brochure(built, "en")) == (595, 842)
    assert page_size(brochure(built, lang)) == page_size(brochure(built, "en"))


@pytest.mark.parametrize("pseudo", ["en-XA", "ar-XB"])
@pytest.mark.parametrize(
    ("source", "overrides"), [("en", {}), ("en", {"en": "A4"}), ("es", {}), ("es-MX", {})]
)
def test_pseudo_locale_paper_follows_the_source_language(
    pseudo: str, source: str, overrides: dict[str, str]
) -> None:
    expected = paper_size(source, overrides)
    assert paper_size(pseudo, overrides, source_lang=source) == expected


# --- 5. the address printed on every brochure -----------------------------------------------


@pytest.mark.parametrize(
    ("url", "reserved"),
    [
        ("https://medtravellers.example/", "example"),
        ("https://EXAMPLE.com/brochures/", "example.com"),
        ("http://www.example.org./", "example.org"),
        ("https://example.net", "example.net"),
        ("https://clinic.test:8443/", "test"),
        ("https://site.invalid/", "invalid"),
        ("http://localhost:8000/", "localhost"),
        ("http://preview.localhost/", "localhost"),
        ("https://medtravellers.com/", None),
        ("https://example.co/", None),
        ("https://example.com.au/", None),
        ("https://notexample.com/", None),
        ("https://examples.org/", None),
        ("https://test.medtravellers.com/", None),
        ("", None),
    ],
)
def test_reserved_example_domains_are_recognised(url: str, reserved: str | None) -> None:
    assert reserved_domain(url) == reserved


def reserved_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("pipeline: warning: ")
            and "NOT A REAL ADDRESS: site_url" in line]  # fmt: skip


def test_build_warns_once_that_the_printed_address_is_not_real(
    build_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, first = build_run
    line = next(
        n
        for n, row in enumerate((root / "pyproject.toml").read_text("utf-8").splitlines(), 1)
        if row.startswith("site_url")
    )
    (warning,) = reserved_warnings(first.stderr)
    assert warning.startswith(f"pipeline: warning: pyproject.toml:{line}: NOT A REAL ADDRESS: ")
    assert "https://medtravellers.example/" in warning and "brochure" in warning
    again = run_pipeline(root, "build", "--pseudo")  # the brochures are current: said again
    assert len(reserved_warnings(again.stderr)) == 1


def test_a_real_address_or_none_is_not_warned_about(config: Config) -> None:
    assert site_url_warning(config) is not None  # the sample project's, for contrast
    for url in ("https://medtravellers.com/", ""):
        assert site_url_warning(dataclasses.replace(config, site_url=url)) is None
