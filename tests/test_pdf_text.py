"""The brochure's text layer, read back as patients' viewers read it: poppler and PDFium.

For every shipped language (and the pseudo-locales, Hindi and Tamil), the words
of the article's translations must be found in the text extracted from the
built brochure, in order within each entry, whole: a word the layout
hyphenated at a line end counts only if the extractor joins it again.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import subprocess
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import pypdf
import pypdfium2 as pdfium
import pytest
import weasyprint
import weasyprint.draw as weasyprint_draw
from helpers import SLUG, copy_project, run
from weasyprint.draw import text as weasyprint_text

from pipeline.errors import RenderError
from pipeline.inline import plain_text
from pipeline.markdown import parse_article
from pipeline.pofile import load_catalog
from pipeline.render import textlayer
from pipeline.render.pdf import PdfRenderer
from pipeline.render.site import make_site
from pipeline.translate import gettext_translations, localize, pseudo_localize

LANGS = ("en", "ar", "bn", "fa", "fr", "ru")
PSEUDO = ("en-XA", "ar-XB")
THRESHOLD = 0.99
DRAW_FIRST_LINE_SHA = "1bb8eae6d88e71b1"
"""SHA-256 (first 16 digits) of WeasyPrint 70.0's ``draw_first_line`` source, which the text
layer wraps: read the new one against pipeline/render/textlayer.py before changing this."""
DRAW_INLINE_LEVEL_SHA = "068162a401d00efd"
"""The same for ``draw_inline_level``, whose children the text layer reorders."""

_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_SEPARATORS = re.compile("[\u202a-\u202e\u2066-\u2069\\-\u2010\u2011]")
"""Bidi embeddings (poppler brackets right-to-left runs with them) and hyphens separate words:
a compound broken after its own hyphen at a line end is searched as its parts."""


def words(text: str) -> list[str]:
    """Words as a reader searches for them: split at spaces, punctuation at the edges dropped,
    other invisible format characters (bidi marks, PDFium's U+FFFE for a joined line-end hyphen)
    ignored, but ZWNJ and ZWJ kept."""
    text = _SEPARATORS.sub(" ", text)
    kept = "".join(
        ch
        for ch in text
        if ch in "\u200c\u200d" or unicodedata.category(ch) not in ("Cf", "Cn", "Co")
    )
    found = []
    for token in kept.split():
        token = _EDGE.sub("", token)
        if token:
            found.append(token)
    return found


def poppler_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdfium_text(path: Path) -> str:
    document = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


WINDOW = 40
"""How far after the previous word of an entry the next one may be (a running header or a
page footer can come between two lines of a paragraph)."""


def _matched(tokens: list[str], positions: dict[str, list[int]], text: list[str]) -> list[bool]:
    """Which words of ``text`` are found in order, aligned on the anchor that finds the most."""
    best: list[bool] = [False] * len(text)
    anchors = {p for word in text[:3] for p in positions.get(word, [])}
    for anchor in sorted(anchors):
        found = [False] * len(text)
        at = anchor - 1
        for index, word in enumerate(text):
            nxt = next((p for p in positions.get(word, []) if at < p <= at + WINDOW), None)
            if nxt is not None:
                found[index] = True
                at = nxt
        if sum(found) > sum(best):
            best = found
            if all(best):
                break
    return best


def share_found(extracted: str, texts: Iterable[str]) -> tuple[float, list[str]]:
    """The share of the texts' words found, each text's words in order; and the missed ones."""
    tokens = words(extracted)
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(tokens):
        positions.setdefault(token, []).append(index)
    total = 0
    missed: list[str] = []
    for text in texts:
        entry = words(text)
        total += len(entry)
        missed += [
            w for w, ok in zip(entry, _matched(tokens, positions, entry), strict=True) if not ok
        ]
    return (1 - len(missed) / total if total else 1.0), missed


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("text") / "project", min_translated=0)
    done = run(root, "build", "--pseudo")
    assert done.returncode == 0, done.stderr
    return root


def translations(root: Path, lang: str) -> list[str]:
    """Every printed string of the article in ``lang`` (an image's alt text is not printed:
    it is the figure's /Alt in the tagged structure)."""
    if lang == "en":
        template = load_catalog(root / "locale" / f"{SLUG}.pot", "pot")
        return [m.id for m in template if m.id and "image alt" not in m.auto_comments]
    catalog = load_catalog(root / "locale" / lang / "LC_MESSAGES" / f"{SLUG}.po", "po", locale=lang)
    return [
        plain_text(str(m.string))
        for m in catalog
        if m.id and m.string and not m.fuzzy and "image alt" not in m.auto_comments
    ]


@pytest.mark.parametrize(
    ("lang", "engine"),
    [
        *[(lang, poppler_text) for lang in LANGS],
        *[(lang, pdfium_text) for lang in LANGS],
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_every_translated_word_can_be_found_in_the_brochure(
    built: Path, lang: str, engine: object
) -> None:
    assert callable(engine)
    text = engine(built / "output" / lang / f"{SLUG}.pdf")
    share, missed = share_found(text, [plain_text(t) for t in translations(built, lang)])
    assert share >= THRESHOLD, (f"{share:.1%}", missed[:20])


@pytest.mark.parametrize("engine", [poppler_text, pdfium_text], ids=["poppler", "pdfium"])
@pytest.mark.parametrize("lang", PSEUDO)
def test_pseudo_locale_brochures_can_be_read_back(built: Path, lang: str, engine: object) -> None:
    assert callable(engine)
    article = parse_article((built / "source" / f"{SLUG}.md").read_text("utf-8"), "a.md")
    localized = pseudo_localize(article, lang, source_lang="en", keep=("MedTravellers", "PubMed"))
    alts = {unit.key for unit in article.units() if unit.comment == "image alt"}
    texts = [text.plain for key, text in localized.texts.items() if key not in alts]
    extracted = engine(built / "output" / lang / f"{SLUG}.pdf")
    if lang == "ar-XB":
        # Latin letters forced right to left by override marks: both extractors give the
        # words whole, in the order they are seen. Each word counts, not their order.
        texts = [word for text in texts for word in words(text)]
    share, missed = share_found(extracted, texts)
    assert share >= THRESHOLD, (f"{share:.1%}", missed[:20])


# --- scripts we do not ship yet, through the same renderer -------------------------------------

INDIC = {
    "hi": [
        "क्या स्टेम सेल स्ट्रोक से उबरने में मदद कर सकती हैं",
        "परिवार के सदस्य अक्सर पूछते हैं कि उपचार के बाद क्या बदलता है।",
        "विशेषज्ञ चिकित्सक हर मरीज़ की स्थिति का पूरा मूल्यांकन करते हैं।",
        "पुनर्वास की सीमाएँ और स्टेम सेल चिकित्सा की संभावनाएँ",
    ],
    "ta": [
        "ஸ்டெம் செல்கள் பக்கவாதத்திலிருந்து மீள உதவுமா",
        "சிகிச்சைக்குப் பிறகு என்ன மாறுகிறது என்று குடும்பத்தினர் கேட்கிறார்கள்.",
        "ஒவ்வொரு நோயாளியின் நிலையையும் நிபுணர்கள் முழுமையாக மதிப்பீடு செய்கிறார்கள்.",
        "மறுவாழ்வின் வரம்புகளும் ஸ்டெம் செல் சிகிச்சையின் வாய்ப்புகளும்",
    ],
}


@pytest.mark.parametrize("engine", [poppler_text, pdfium_text], ids=["poppler", "pdfium"])
@pytest.mark.parametrize("lang", sorted(INDIC))
def test_devanagari_and_tamil_come_back_whole(lang: str, engine: object, tmp_path: Path) -> None:
    from pipeline.markdown import parse_article

    assert callable(engine)
    lines = INDIC[lang]
    source = (
        "---\ntitle: Can stem cells help\nslug: t\nlang: en\ndescription: One.\n"
        "publisher: MedTravellers\nreferences: []\n---\n\n## Heading\n\nFirst paragraph.\n\n"
        "Second paragraph.\n"
    )
    article = parse_article(source, "source/t.md")
    units = list(article.units())
    translations = {unit.key: line for unit, line in zip(units, lines, strict=False)}
    localized = localize(article, lang, translations, source_lang="en")
    site = make_site([localized], site_url="", source_lang="en")
    pdf = tmp_path / f"{lang}.pdf"
    pdf.write_bytes(PdfRenderer().render(localized, site, gettext_translations(None)))
    share, missed = share_found(engine(pdf), lines)
    assert share >= THRESHOLD, (f"{share:.1%}", missed)


# --- hyphens, languages, alternative text ------------------------------------------------------


def _narrow_brochure(tmp_path: Path, html: str) -> Path:
    textlayer.install()
    pdf = tmp_path / "narrow.pdf"
    document = weasyprint.HTML(string=html).render()
    with textlayer.document_language("en", "en"):
        pdf.write_bytes(document.write_pdf())
    return pdf


@pytest.mark.parametrize("engine", [poppler_text, pdfium_text], ids=["poppler", "pdfium"])
def test_a_word_the_layout_hyphenated_is_found_whole(tmp_path: Path, engine: object) -> None:
    assert callable(engine)
    text = "Rehabilitation characteristically neuroinflammation " * 6
    pdf = _narrow_brochure(
        tmp_path,
        f'<p lang="en" style="width:35mm; hyphens:auto; font-family:\'Noto Serif\'">{text}</p>',
    )
    raw = poppler_text(pdf)
    assert "\u2010" not in raw and "-\n" not in raw
    extracted = words(engine(pdf))
    assert extracted == words(text)


@pytest.mark.parametrize("engine", [poppler_text, pdfium_text], ids=["poppler", "pdfium"])
def test_a_hyphen_of_the_text_itself_stays_at_a_line_end(tmp_path: Path, engine: object) -> None:
    assert callable(engine)
    pdf = _narrow_brochure(
        tmp_path,
        '<p lang="en" style="width:24mm; font-family:\'Noto Serif\'">after post-stroke care</p>',
    )
    assert "post" in engine(pdf) and "stroke" in engine(pdf)
    assert "poststroke" not in engine(pdf).replace("\ufffe", "")


def _marked_languages(pdf: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for page in pypdf.PdfReader(pdf).pages:
        for match in re.finditer(rb"/Lang \(([^)]*)\)", page.get_contents().get_data()):
            found[match.group(1).decode()] = found.get(match.group(1).decode(), 0) + 1
    return found


@pytest.mark.parametrize("lang", ["ar", "bn", "fa"])
def test_english_runs_in_a_brochure_are_tagged_english(built: Path, lang: str) -> None:
    pdf = built / "output" / lang / f"{SLUG}.pdf"
    assert _marked_languages(pdf).get("en", 0) >= 10  # reference titles, MedTravellers, PubMed
    assert set(_marked_languages(pdf)) == {"en"}


def test_an_english_brochure_marks_no_language_run(built: Path) -> None:
    assert _marked_languages(built / "output" / "en" / f"{SLUG}.pdf") == {}


@pytest.mark.parametrize(
    ("lang", "alt"),
    [("en", "QR code: link to this brochure online"), ("fr", "Code QR : lien vers cette brochure")],
)
def test_the_qr_code_has_a_human_alternative_text(built: Path, lang: str, alt: str) -> None:
    def alts(element: object) -> list[str]:
        element = element.get_object()  # type: ignore[attr-defined]
        found = [str(element["/Alt"])] if "/Alt" in element else []  # type: ignore[operator,index]
        kids = element.get("/K")  # type: ignore[attr-defined]
        for kid in kids if isinstance(kids, list) else [kids]:
            if isinstance(kid, pypdf.generic.IndirectObject):
                found += alts(kid)
        return found

    root = pypdf.PdfReader(built / "output" / lang / f"{SLUG}.pdf").trailer["/Root"]
    assert next(a for a in alts(root["/StructTreeRoot"]) if "QR" in a).startswith(alt)


# --- the hook -----------------------------------------------------------------------------------


def test_the_text_layer_refuses_a_weasyprint_it_was_not_written_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    textlayer.install.cache_clear()
    try:
        with pytest.raises(RenderError, match=r"WeasyPrint 70\.0, not 71\.0"):
            textlayer.install()
    finally:
        textlayer.install.cache_clear()


@pytest.mark.parametrize(
    ("module", "name", "sha"),
    [
        (weasyprint_text, "draw_first_line", DRAW_FIRST_LINE_SHA),
        (weasyprint_draw, "draw_inline_level", DRAW_INLINE_LEVEL_SHA),
    ],
    ids=["draw_first_line", "draw_inline_level"],
)
def test_the_hooked_functions_are_those_the_text_layer_was_written_against(
    module: Any, name: str, sha: str
) -> None:
    """A WeasyPrint upgrade that changes a hooked function fails here, not silently in a PDF."""
    textlayer.install()
    hooked = getattr(module, name)
    assert getattr(hooked, "pipeline_text_layer", False)
    source = inspect.getsource(hooked.__wrapped__)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == sha
    assert weasyprint.__version__ == textlayer.WEASYPRINT_VERSION


def test_installing_twice_wraps_once() -> None:
    textlayer.install()
    textlayer.install.cache_clear()
    textlayer.install()
    for hooked in (weasyprint_text.draw_first_line, weasyprint_draw.draw_inline_level):
        assert not getattr(hooked.__wrapped__, "pipeline_text_layer", False)


def test_installing_again_after_one_hook_was_undone_wraps_each_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    textlayer.install()
    monkeypatch.setattr(
        weasyprint_text, "draw_first_line", weasyprint_text.draw_first_line.__wrapped__
    )
    textlayer.install.cache_clear()
    textlayer.install()
    for hooked in (weasyprint_text.draw_first_line, weasyprint_draw.draw_inline_level):
        assert getattr(hooked, "pipeline_text_layer", False)
        assert not getattr(hooked.__wrapped__, "pipeline_text_layer", False)


# --- right-to-left word shapes, one by one ------------------------------------------------------

MORE_RUNS_THAN_GLYPHS = pytest.mark.xfail(
    strict=True,
    reason="'يُصنَّف' has five runs of one direction (ي, damma, صن, shadda and fatha, ف) and "
    "four groups of glyphs to carry them (a mark is drawn with its letter): it stays one span, "
    "reversed, which poppler reads and PDFium, which reverses each run in place, does not",
)

POINTS_ON_THE_BASELINE = pytest.mark.xfail(
    strict=True,
    reason="Hebrew points are glyphs of no width drawn on the baseline, each its own cluster: "
    "a span of one alone starts over the letter before it and poppler reads it as a word, so "
    "such a word stays one span, reversed, which poppler reads and PDFium does not",
)

RTL_SHAPES = [
    pytest.param("ar", "مرشحًا", (), id="tanwin"),
    pytest.param("ar", "يُبلغ", (), id="damma-inside"),
    pytest.param("ar", "وتحسُّن", (), id="shadda-and-vowel"),
    pytest.param("ar", "كثيرٌ", (), id="mark-on-the-last-letter"),
    pytest.param("fa", "تقریباً", (), id="tanwin-on-alef"),
    pytest.param("fa", "می‌توانند", (), id="zwnj"),
    pytest.param("ar", "الدماغية؟", (), id="question-mark"),
    pytest.param("ar", "يُصنَّف", (MORE_RUNS_THAN_GLYPHS,), id="more-runs-than-glyphs"),
    pytest.param("he", "שְׁלוֹמְךָ", (POINTS_ON_THE_BASELINE,), id="hebrew-points"),
    pytest.param("he", "שלום", (), id="hebrew-unpointed"),
    pytest.param("ar", "MedTravellers", (), id="latin-run"),
    pytest.param("ar", "2024", (), id="digits"),
    pytest.param("ar", "١٢٣", (), id="arabic-indic-digits"),
]
"""Words of each shape a right-to-left brochure has, read back inside a line of plain words;
with the marks PDFium's reading of the word gets."""


_BEFORE, _AFTER = "في بداية السطر", "وفي نهاية السطر"
"""Enough Arabic around the word for poppler to take the line for right-to-left (it counts
letters: a line of more Latin than Arabic letters is read left to right)."""


def _rtl_pdf(tmp_path: Path, lang: str, body: str, name: str = "rtl.pdf") -> Path:
    textlayer.install()
    pdf = tmp_path / name
    html = (
        f'<p lang="{lang}" dir="rtl" style="font-family:\'Noto Naskh Arabic\'; width:15cm">'
        f"{body}</p>"
    )
    document = weasyprint.HTML(string=html).render()
    with textlayer.document_language(lang, "en"):
        pdf.write_bytes(document.write_pdf())
    return pdf


@pytest.mark.parametrize("engine", [poppler_text, pdfium_text], ids=["poppler", "pdfium"])
@pytest.mark.parametrize(("lang", "word", "pdfium_marks"), RTL_SHAPES)
def test_a_right_to_left_word_shape_comes_back_whole(
    tmp_path: Path,
    lang: str,
    word: str,
    pdfium_marks: tuple[Any, ...],
    engine: object,
    request: Any,
) -> None:
    assert callable(engine)
    if engine is pdfium_text:
        for mark in pdfium_marks:
            request.applymarker(mark)
    extracted = words(engine(_rtl_pdf(tmp_path, lang, f"{_BEFORE} {word} {_AFTER}")))
    assert extracted == [*words(_BEFORE), *words(word), *words(_AFTER)]


LEAD_IN = "<b>تراجع الإرهاق التالي للسكتة الدماغية:</b> نتيجةٌ لا تحظى عادةً بالتقدير الكافي"
"""A list item's bold lead-in, then its text, with marks: one line of two pieces."""


@pytest.mark.parametrize("engine", [poppler_text, pdfium_text], ids=["poppler", "pdfium"])
def test_a_right_to_left_line_of_several_pieces_reads_in_order(
    tmp_path: Path, engine: object
) -> None:
    """PDFium read the words after a mark before the bold lead-in, drawn first."""
    assert callable(engine)
    extracted = words(engine(_rtl_pdf(tmp_path, "ar", LEAD_IN)))
    assert extracted == words(plain_text(LEAD_IN.replace("<b>", "").replace("</b>", "")))


def _pixels(pdf: Path) -> bytes:
    done = subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-singlefile", str(pdf)],
        capture_output=True,
        check=True,
    )
    return done.stdout


def test_the_text_layer_does_not_move_a_pixel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marks drawn after their letter, lines drawn left to right: the page is the same."""
    body = f"{LEAD_IN} مرشحًا يُبلغ وتحسُّن كثيرٌ تقریباً می‌توانند الدماغية؟ {_AFTER}"
    hooked = _rtl_pdf(tmp_path, "ar", body, "hooked.pdf")
    for module, name in (
        (weasyprint_text, "draw_first_line"),
        (weasyprint_draw, "draw_inline_level"),
    ):
        monkeypatch.setattr(module, name, getattr(module, name).__wrapped__)
    plain = _rtl_pdf(tmp_path, "ar", body, "plain.pdf")
    assert _pixels(hooked) == _pixels(plain)
    assert words(pdfium_text(hooked)) == words(plain_text(re.sub("<[^>]+>", "", body)))


def _content(pdf: Path) -> bytes:
    return b"".join(
        page.get_contents().get_data()  # type: ignore[union-attr]
        for page in pypdf.PdfReader(pdf).pages
    )


@pytest.mark.parametrize(
    ("body", "reordered"),
    [
        (LEAD_IN, True),
        ('<mark style="background:#ff0">تراجع الإرهاق:</mark> نتيجةٌ لا تحظى عادةً', False),
        ('<b style="border:1px solid">تراجع الإرهاق:</b> نتيجةٌ لا تحظى عادةً', False),
    ],
    ids=["lead-in", "background", "border"],
)
def test_only_lines_of_unpainted_pieces_are_drawn_left_to_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, reordered: bool
) -> None:
    """A piece with a background or a border could cover its neighbour differently."""
    hooked = _content(_rtl_pdf(tmp_path, "ar", body, "hooked.pdf"))
    monkeypatch.setattr(
        weasyprint_draw, "draw_inline_level", weasyprint_draw.draw_inline_level.__wrapped__
    )
    in_text_order = _content(_rtl_pdf(tmp_path, "ar", body, "plain.pdf"))
    assert (hooked != in_text_order) is reordered


def test_cuts_keep_a_mark_with_its_letter_and_end_its_group_there() -> None:
    # Drawing order: letter, mark, letter, letter, letter; three groups wanted.
    raised = [False, True, False, False, False]
    cuts = textlayer._cuts(raised, [1, 1])
    assert cuts == [1, 3]  # the mark starts the second group, which ends with its letter
    assert _valid_cuts(raised, cuts)
    assert textlayer._cuts([True, False], [1]) is None  # one unit cannot be two groups
    assert textlayer._cuts([False, True], [1]) is None  # a mark drawn last has no letter
    assert textlayer._cuts([], []) is None


def _valid_cuts(raised: list[bool], cuts: list[int]) -> bool:
    groups = list(zip([0, *cuts], [*cuts, len(raised)], strict=True))
    return (
        all(
            begin < end
            and not raised[end - 1]  # no group ends before a mark's letter
            and not any(raised[i - 1] and not raised[i] for i in range(begin + 1, end - 1))
            for begin, end in groups[:-1]
        )
        and groups[-1][0] < groups[-1][1]
    )


def test_cuts_of_a_long_word_are_found_at_once() -> None:
    """A search that does not remember the groups it failed to make tried more than two
    million ways for these 60 glyphs (measured, then stopped)."""
    raised = [False] * 30 + [True, False] * 15
    cuts = textlayer._cuts(raised, [30] * 33)
    assert cuts is not None and len(cuts) == 33
    assert _valid_cuts(raised, cuts)


# --- marks drawn after their letter, operator by operator --------------------------------------


class _Font:
    hash = "F1"
    bitmap = False
    widths: ClassVar[dict[int, int]] = {0x01: 400, 0x57C: 0, 0x57D: 120, 0x8B: 666, 0x106: 500}


class _Recorder:
    """A content stream that keeps the operators it is given."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, Any]] = []
        self.stream = self  # the raw operator list the text layer appends to

    def append(self, raw: bytes) -> None:
        self.ops.append(("raw", raw.decode()))

    def add_font(self, pango_font: Any) -> tuple[_Font, int]:
        return _Font(), 16

    def set_font_size(self, font: str, size: float) -> None:
        self.ops.append(("font", size))

    def set_text_rise(self, height: float) -> None:
        self.ops.append(("rise", height))

    def show_text(self, string: str) -> None:
        self.ops.append(("show", string))

    def begin_marked_content(self, tag: str, properties: bytes) -> None:
        self.ops.append(("span", properties))

    def end_marked_content(self) -> None:
        self.ops.append(("emc", None))

    def set_text_matrix(self, *values: float) -> None:
        self.ops.append(("matrix", values))

    set_color = begin_text = set_text_matrix


def _glyphs_drawn(ops: list[tuple[str, Any]], size: float = 16) -> list[tuple[int, float, float]]:
    """(glyph, x, rise) of every glyph the operators draw, in the order drawn."""
    pen = spacing = rise = 0.0
    drawn = []
    for op, value in ops:
        if op == "rise":
            rise = value
        elif op == "raw" and value.endswith(" Tc"):
            spacing = float(value.split()[0])
        elif op == "show":
            for match in re.finditer(r"<([0-9a-f]*)>|([^<>]+)", value):
                if match.group(2):
                    pen -= float(match.group(2)) / 1000 * size
                    continue
                for start in range(0, len(match.group(1)), 4):
                    glyph = int(match.group(1)[start : start + 4], 16)
                    drawn.append((glyph, round(pen, 6), rise))
                    pen += _Font.widths[glyph] / 1000 * size + spacing
    return drawn


def _draw(words: list[Any], after_letter: frozenset[int], calls: list[tuple[Any, ...]]) -> Any:
    recorder = _Recorder()
    spanning = textlayer._SpanningStream(recorder, words, after_letter)
    spanning.add_font(None)
    spanning.set_font_size("F1", 16)
    for name, *arguments in calls:
        getattr(spanning, name)(*arguments)
    spanning.close()
    return recorder.ops


# What WeasyPrint 70 calls for a letter, a raised mark over the next letter, that letter and
# another: the mark is shown in an operator of its own, before its letter.
_CALLS = [
    ("show_text", "<0001>"),
    ("set_text_rise", -2.064),
    ("show_text", "-219.125<057c>"),
    ("set_text_rise", 0),
    ("show_text", "<>219<008b>0<0106>0"),
]


def test_a_held_mark_is_drawn_after_its_letter_at_the_same_place() -> None:
    first, second = textlayer.Word("a", None), textlayer.Word("b", None)
    words = [first, second, second, second]
    as_weasyprint = _draw(words, frozenset(), _CALLS)
    after = _draw(words, frozenset({1}), _CALLS)
    assert sorted(_glyphs_drawn(after)) == sorted(_glyphs_drawn(as_weasyprint))
    assert [g for g, _, _ in _glyphs_drawn(after)] == [0x01, 0x8B, 0x57C, 0x106]
    assert [g for g, _, _ in _glyphs_drawn(as_weasyprint)] == [0x01, 0x57C, 0x8B, 0x106]
    # The mark's span starts with its letter, on the baseline, and the spacing is reset.
    shown = [value for op, value in after if op in ("show", "rise", "span", "raw")]
    assert shown.index(second.properties) < shown.index("<008b>") < shown.index(-2.064)
    assert [value for op, value in after if op == "raw"][-1] == "0 Tc"
    assert after[-2:] == [("show", "0<0106>0"), ("emc", None)]


def test_two_held_marks_are_drawn_after_their_letter_at_their_places() -> None:
    """Shadda and a vowel over one letter: two raised glyphs, an adjustment between them."""
    calls = [
        ("show_text", "<0001>"),
        ("set_text_rise", -2.5),
        ("show_text", "-150.5<057c>"),
        ("set_text_rise", 0),
        ("show_text", "<>150"),
        ("set_text_rise", -4.25),
        ("show_text", "-320.25<057d>"),
        ("set_text_rise", 0),
        ("show_text", "<>320<008b>0<0106>0"),
    ]
    first, second = textlayer.Word("a", None), textlayer.Word("b", None)
    words = [first, second, second, second, second]
    as_weasyprint = _glyphs_drawn(_draw(words, frozenset(), calls))
    after = _glyphs_drawn(_draw(words, frozenset({1, 2}), calls))
    assert sorted(after) == sorted(as_weasyprint)
    assert [glyph for glyph, _, _ in after] == [0x01, 0x8B, 0x57C, 0x57D, 0x106]


def test_a_held_mark_without_its_letter_is_drawn_as_weasyprint_drew_it() -> None:
    """A line that ends, or changes font, after a raised mark: nothing is reordered."""
    word = textlayer.Word("a", None)
    calls = [*_CALLS[:4], ("show_text", "")]
    assert _draw([word, word], frozenset({1}), calls) == _draw([word, word], frozenset(), calls)
    calls = [*_CALLS[:4], ("set_font_size", "F1", 12), *_CALLS[4:]]
    words = [word] * 4
    assert _draw(words, frozenset({1}), calls) == _draw(words, frozenset(), calls)
