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
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
import weasyprint
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


RTL_PDFIUM = pytest.mark.xfail(
    strict=True,
    reason="PDFium cuts the /ActualText of a right-to-left word where a character's direction "
    "changes (a combining mark is weak, not right-to-left) and keeps the pieces in visual order; "
    "poppler reverses the word whole, so no one span suits both (README, 'The brochure's text "
    "layer'). Measured: ar 92.0%, fa 96.2% (ZWNJ words are split into spans; fa was 81.5%).",
)


@pytest.mark.parametrize(
    ("lang", "engine"),
    [
        *[(lang, poppler_text) for lang in LANGS],
        *[(lang, pdfium_text) for lang in ("en", "bn", "fr", "ru")],
        *[pytest.param(lang, pdfium_text, marks=RTL_PDFIUM) for lang in ("ar", "fa")],
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


def test_the_hooked_function_is_the_one_the_text_layer_was_written_against() -> None:
    """A WeasyPrint upgrade that changes draw_first_line fails here, not silently in a PDF."""
    textlayer.install()
    hooked = weasyprint_text.draw_first_line
    assert getattr(hooked, "pipeline_text_layer", False)
    source = inspect.getsource(hooked.__wrapped__)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == DRAW_FIRST_LINE_SHA
    assert weasyprint.__version__ == textlayer.WEASYPRINT_VERSION


def test_installing_twice_wraps_once() -> None:
    textlayer.install()
    textlayer.install.cache_clear()
    textlayer.install()
    hooked = weasyprint_text.draw_first_line
    assert not getattr(hooked.__wrapped__, "pipeline_text_layer", False)


# --- right-to-left word shapes, one by one ------------------------------------------------------

PDFIUM_SPLITS_RTL_WORDS = pytest.mark.xfail(
    strict=True,
    reason="PDFium cuts a right-to-left word's /ActualText where a character's direction "
    "changes (a combining mark is weak, not right-to-left) and keeps the pieces in visual "
    "order: 'مرشحًا' comes back as 'اًمرشح'; poppler reverses the word whole, so one span "
    "cannot suit both, and a mark's raised glyph cannot start or end a span (see the README)",
)

RTL_SHAPES = [
    pytest.param("ar", "مرشحًا", marks=(), id="tanwin"),
    pytest.param("ar", "يُبلغ", marks=(), id="damma-inside"),
    pytest.param("ar", "وتحسُّن", marks=(), id="shadda-and-vowel"),
    pytest.param("fa", "می‌توانند", marks=(), id="zwnj"),
    pytest.param("ar", "MedTravellers", marks=(), id="latin-run"),
    pytest.param("ar", "2024", marks=(), id="digits"),
    pytest.param("ar", "١٢٣", marks=(), id="arabic-indic-digits"),
]
"""Words of each shape a right-to-left brochure has, read back inside a line of plain words."""


_BEFORE, _AFTER = "في بداية السطر", "وفي نهاية السطر"
"""Enough Arabic around the word for poppler to take the line for right-to-left (it counts
letters: a line of more Latin than Arabic letters is read left to right)."""


def _rtl_line(tmp_path: Path, lang: str, word: str) -> Path:
    textlayer.install()
    pdf = tmp_path / "rtl.pdf"
    html = (
        f'<p lang="{lang}" dir="rtl" style="font-family:\'Noto Naskh Arabic\'">'
        f"{_BEFORE} {word} {_AFTER}</p>"
    )
    document = weasyprint.HTML(string=html).render()
    with textlayer.document_language(lang, "en"):
        pdf.write_bytes(document.write_pdf())
    return pdf


@pytest.mark.parametrize(
    ("engine", "pdfium_fails"),
    [(poppler_text, False), (pdfium_text, True)],
    ids=["poppler", "pdfium"],
)
@pytest.mark.parametrize(("lang", "word"), RTL_SHAPES)
def test_a_right_to_left_word_shape_comes_back_whole(
    tmp_path: Path, lang: str, word: str, engine: object, pdfium_fails: bool, request: Any
) -> None:
    assert callable(engine)
    if pdfium_fails and any(map(_splits_in_pdfium, word)):
        request.applymarker(PDFIUM_SPLITS_RTL_WORDS)
    extracted = words(engine(_rtl_line(tmp_path, lang, word)))
    assert extracted == [*words(_BEFORE), *words(word), *words(_AFTER)]


def _splits_in_pdfium(char: str) -> bool:
    """A combining mark: PDFium takes it for weak inside a right-to-left word, and the text
    layer does not give it a span of its own (a ZWNJ, weak too, gets one)."""
    return unicodedata.bidirectional(char) == "NSM"
