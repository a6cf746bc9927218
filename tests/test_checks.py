from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from helpers import msgfmt_check, msgid_lines

from pipeline.article import Unit
from pipeline.build.gating import gate
from pipeline.checks import (
    CHECKS,
    CheckContext,
    Coverage,
    Entry,
    Finding,
    Severity,
    check_catalog,
    check_do_not_translate,
    check_doubled_word,
    check_end_punctuation,
    check_figures,
    check_font_coverage,
    check_fuzzy,
    check_invisible,
    check_length,
    check_links,
    check_markup,
    check_placeholders,
    check_unchanged,
    check_unsafe_markup,
    check_untranslated,
    check_whitespace,
    entries,
    language_script,
)
from pipeline.fonts import (
    LATIN,
    PRINT_FONTS,
    family_charset,
    fontconfig_coverage,
    parse_charset,
    print_font_css,
    print_stack,
)
from pipeline.glossary import Glossary, Term
from pipeline.pofile import load_catalog
from pipeline.project import parse_locale

FIXTURES = Path(__file__).parent / "fixtures" / "checks"
TERMS = ("MedTravellers", "PubMed", "India", "New Delhi")
NNBSP = "\u202f"
HAS_FONTCONFIG = shutil.which("fc-list") is not None


def private_use_missing(char: str) -> bool:
    """A deterministic stand-in for fontconfig: every character but private use is covered."""
    return not 0xE000 <= ord(char) <= 0xF8FF


def ctx(lang: str = "fr", coverage: Coverage | None = None) -> CheckContext:
    return CheckContext(lang, parse_locale(lang), do_not_translate=TERMS, coverage=coverage)


# --- Finding --------------------------------------------------------------------------------


def test_finding_location_and_dict() -> None:
    finding = Finding("figures", "error", "figures differ", "Hi", "fr", "ui", "locale/fr/x.po", 12)
    assert finding.location == "locale/fr/x.po:12"
    assert finding.as_dict() == {
        "lang": "fr",
        "domain": "ui",
        "msgid": "Hi",
        "check": "figures",
        "severity": "error",
        "message": "figures differ",
        "location": "locale/fr/x.po:12",
    }


def test_registry_names() -> None:
    assert [name for name, _ in CHECKS] == [
        "untranslated",
        "fuzzy",
        "figures",
        "links",
        "markup",
        "unsafe-markup",
        "placeholders",
        "do-not-translate",
        "font-coverage",
        "invisible",
        "length",
        "digits",
        "glossary",
        "whitespace",
        "doubled-word",
        "end-punctuation",
        "unchanged",
    ]


# --- 1. figures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr"),
    [
        ("fr", "Over 5,000+ patients", f"Plus de 5{NNBSP}000+ patients"),
        ("fr", "Over 5,000+ patients", "Plus de 5\u00a0000+ patients"),
        ("fr", "Over 5,000+ patients", "Plus de 5 000+ patients"),
        ("ar", "80% improved", "تحسن ٨٠٪"),
        ("fa", "5,000+ patients", "۵٬۰۰۰+ بیمار"),
        ("bn", "5,000 patients", "৫,০০০ রোগী"),
        ("bn", "500,000 patients", "৫,০০,০০০ রোগী"),
        ("fr", "A dose of 1.5 mg", "Une dose de 1,5 mg"),
        ("fr", "A dose of 1.5 mg", "Une dose de 1.5 mg"),
        ("fr", "5,000 cases", "5,000 cas"),
        ("ar", "3.5 million", "٣٫٥ مليون"),
        ("fr", "10–20 days", "10 à 20 jours"),
        ("fr", "$5,000", "5 000 $"),
        ("fr", "In 2015 and 2020, 40 and 15", "15 et 40, en 2020 et 2015"),
        ("fr", "See [study 12](https://x.org/1234) at https://y.org/56", "Voir l’étude 12"),
        ("fr", "%(count)d items in {0}", "%(count)d éléments dans {0}"),
        ("fr", "No figure here", "Aucun chiffre"),
    ],
)
def test_figures_match(lang: str, msgid: str, msgstr: str) -> None:
    assert check_figures(Entry(msgid, msgstr), ctx(lang)) == []


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr", "part"),
    [
        ("fr", "80% of patients", "90 % des patients", "missing 80%"),
        ("ar", "80% improved", "تحسن ٩٠٪", "missing 80%"),
        ("fr", "Many patients", "2 000 patients", "not in the source: 2 000"),
        ("fr", "5,000 patients", "patients", "missing 5,000"),
        ("fr", "5 and 5 days", "5 jours", "missing 5"),
        ("bn", "5,000 patients", "৫০০ রোগী", "not in the source: ৫০০"),
    ],
)
def test_figures_differ(lang: str, msgid: str, msgstr: str, part: str) -> None:
    [(severity, message)] = check_figures(Entry(msgid, msgstr), ctx(lang))
    assert severity == "error"
    assert part in message


# --- 2. links -------------------------------------------------------------------------------


def test_links_in_any_order() -> None:
    msgid = "See [A](https://a.org/x) and [B](https://b.org/y), or https://c.org/z."
    msgstr = "Voir [B](https://b.org/y), [A](https://a.org/x) ou https://c.org/z."
    assert check_links(Entry(msgid, msgstr), ctx()) == []
    assert check_links(Entry("Go to <https://a.org>.", "Allez sur <https://a.org>."), ctx()) == []


@pytest.mark.parametrize(
    ("msgstr", "part"),
    [
        ("Voir [A](https://evil.org/x).", "extra link https://evil.org/x"),
        ("Voir A.", "missing link https://a.org/x"),
        ("Voir [A](https://a.org/x) et https://new.org.", "extra link https://new.org"),
    ],
)
def test_links_differ(msgstr: str, part: str) -> None:
    [(severity, message)] = check_links(Entry("See [A](https://a.org/x).", msgstr), ctx())
    assert severity == "error"
    assert part in message


# --- 3. markup ------------------------------------------------------------------------------


def test_markup_may_be_reordered() -> None:
    msgid = "**Bold** then *italic* and `code`"
    msgstr = "*italique* puis `code` et **gras**"
    assert check_markup(Entry(msgid, msgstr), ctx()) == []


def test_markup_differs() -> None:
    [(severity, message)] = check_markup(
        Entry("This is **important**.", "C’est `important`."), ctx()
    )
    assert severity == "error"
    assert "missing markup bold" in message and "extra markup code" in message


# --- 4. unsafe markup -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "msgstr",
    [
        "<script>alert(1)</script>Texte",
        "Un <b>gras</b> brut",
        "Texte </div>",
        '<img src="x" onerror="alert(1)">',
        "[lien](javascript:alert(1))",
        "[lien](JavaScript&#58;alert(1))",
        "VBScript: msgbox",
        "![x](data:text/html;base64,PHNjcmlwdD4=)",
        "<!-- caché -->",
    ],
)
def test_unsafe_markup_found(msgstr: str) -> None:
    [(severity, _)] = check_unsafe_markup(Entry("Plain text", msgstr), ctx())
    assert severity == "error"


@pytest.mark.parametrize(
    ("msgid", "msgstr"),
    [
        ("Use the <kbd> key", "Utilisez la touche <kbd>"),
        ("a < b and c > d", "a < b et c > d"),
        ("Go to <https://a.org>", "Allez sur <https://a.org>"),
        ("Source data: 2020", "Données source (data: 2020)"),
        ("Call us online", "Appelez-nous en ligne"),
    ],
)
def test_unsafe_markup_clean(msgid: str, msgstr: str) -> None:
    assert check_unsafe_markup(Entry(msgid, msgstr), ctx()) == []


# --- 5. placeholders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr"),
    [
        ("%(count)d of %(total)d", "%(total)d dont %(count)d"),
        ("%s and %d", "%d et %s"),
        ("{name} has {0}", "{0} pour {name}"),
        ("100%% sure", "sûr à 100 %%"),
        ("80% of patients", "80 % des patients"),
    ],
)
def test_placeholders_match(msgid: str, msgstr: str) -> None:
    assert check_placeholders(Entry(msgid, msgstr), ctx()) == []


@pytest.mark.parametrize(
    ("msgid", "msgstr", "part"),
    [
        ("Hello %(name)s", "Bonjour %(nom)s", "missing placeholder %(name)s"),
        ("%s and %s", "%s et", "missing placeholder %s"),
        ("Hello", "Bonjour {name}", "extra placeholder {name}"),
    ],
)
def test_placeholders_differ(msgid: str, msgstr: str, part: str) -> None:
    [(severity, message)] = check_placeholders(Entry(msgid, msgstr), ctx())
    assert severity == "error"
    assert part in message


def test_placeholders_plural_form_may_spell_out_its_number() -> None:
    one = Entry("%(count)d file", "ملف واحد", plural_form=1)
    assert check_placeholders(one, ctx("ar")) == []
    extra = Entry("%(count)d file", "%(count)d ملف %(x)s", plural_form=1)
    assert "extra placeholder %(x)s" in check_placeholders(extra, ctx("ar"))[0][1]


# --- 6. untranslated, fuzzy -----------------------------------------------------------------


def test_untranslated() -> None:
    assert check_untranslated(Entry("Hello", ""), ctx()) == [("warning", "not translated")]
    assert check_untranslated(Entry("Hello", "Bonjour"), ctx()) == []


def test_fuzzy() -> None:
    [(severity, _)] = check_fuzzy(Entry("Hello", "Bonjour", fuzzy=True), ctx())
    assert severity == "warning"
    assert check_fuzzy(Entry("Hello", "Bonjour"), ctx()) == []
    assert check_fuzzy(Entry("Hello", "Bonjour", fuzzy=True, plural_form=1), ctx()) == []


# --- 7. whitespace --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr"),
    [
        ("Hello", "Bonjour"),
        (" Hello ", " Bonjour "),
        ("Line one  \nline two", "Ligne un  \nligne deux"),
        ("Two  spaces", "Deux  espaces"),
        ("Safe?", f"Sûr{NNBSP}?"),
    ],
)
def test_whitespace_clean(msgid: str, msgstr: str) -> None:
    assert check_whitespace(Entry(msgid, msgstr), ctx()) == []


@pytest.mark.parametrize(
    ("msgid", "msgstr", "part"),
    [
        ("Welcome", " Bienvenue", "leading whitespace"),
        ("Welcome", "Bienvenue\n", "trailing whitespace"),
        ("Welcome home", "Bienvenue  chez vous", "doubled space"),
    ],
)
def test_whitespace_differs(msgid: str, msgstr: str, part: str) -> None:
    [(severity, message)] = check_whitespace(Entry(msgid, msgstr), ctx())
    assert severity == "warning"
    assert part in message


# --- 8. doubled word ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "msgstr", "word"),
    [
        ("fr", "Le le traitement", "le"),
        ("fr", "Le traitement est est sûr", "est"),
        ("bn", "আমি আমি ভালো আছি", "আমি"),
        ("ru", "Это это лечение", "это"),
    ],
)
def test_doubled_word_found(lang: str, msgstr: str, word: str) -> None:
    [(severity, message)] = check_doubled_word(Entry("The treatment", msgstr), ctx(lang))
    assert severity == "warning"
    assert word in message


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr"),
    [
        ("fr", "We met", "Nous nous sommes rencontrés"),
        ("en", "He said that that was fine", "He said that that was fine"),
        ("bn", "Sometimes it works", "কখনো কখনো এটা কাজ করে"),
        ("fr", "Le **le**", "Le **le**"),
        ("fr", "From 10 10", "De 10 10"),
        ("fr", "The treatment", "Le traitement"),
    ],
)
def test_doubled_word_clean(lang: str, msgid: str, msgstr: str) -> None:
    assert check_doubled_word(Entry(msgid, msgstr), ctx(lang)) == []


# --- 9. end punctuation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr"),
    [
        ("fr", "Is it safe?", f"Est-ce sûr{NNBSP}?"),
        ("fr", "**Note:**", "**Remarque :**"),
        ("fr", "He said “yes.”", "Il a dit « oui. »"),
        ("ar", "Is it safe?", "هل هو آمن؟"),
        ("fa", "Is it safe?", "آیا بی‌خطر است؟"),
        ("bn", "It works.", "এটা কাজ করে।"),
        ("bn", "It works.", "এটা কাজ করে."),
        ("hi", "It works.", "यह काम करता है।"),
        ("zh", "Is it safe?", "安全吗？"),
        ("ja", "Done.", "完了。"),
        ("zh", "Note:", "注意："),
        ("el", "Is it safe?", "Είναι ασφαλές;"),
        ("fr", "Wait...", "Attendez"),
        ("fr", "A heading", "Un titre."),
    ],
)
def test_end_punctuation_clean(lang: str, msgid: str, msgstr: str) -> None:
    assert check_end_punctuation(Entry(msgid, msgstr), ctx(lang)) == []


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr"),
    [
        ("fr", "Can stem cells help?", "Les cellules souches peuvent-elles aider"),
        ("fr", "Is it safe?", "C’est sûr !"),
        ("ar", "Is it safe?", "هل هو آمن?"),
        ("zh", "It works.", "它有效."),
        ("bn", "It works?", "এটা কাজ করে।"),
    ],
)
def test_end_punctuation_differs(lang: str, msgid: str, msgstr: str) -> None:
    [(severity, _)] = check_end_punctuation(Entry(msgid, msgstr), ctx(lang))
    assert severity == "warning"


# --- 10. unchanged --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "fa", "bn", "ru", "zh", "ja", "ko", "hi", "el", "he"])
def test_unchanged_in_non_latin_target(lang: str) -> None:
    [(severity, _)] = check_unchanged(Entry("Stem cell therapy", "Stem cell therapy"), ctx(lang))
    assert severity == "warning"


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr", "reference"),
    [
        ("fr", "Stem cell therapy", "Stem cell therapy", False),
        ("ar", "Stem cell therapy", "العلاج بالخلايا الجذعية", False),
        ("ar", "5,000+", "5,000+", False),
        ("ar", "https://example.org/", "https://example.org/", False),
        ("ar", "MedTravellers", "MedTravellers", False),
        ("ar", "PubMed – MedTravellers", "PubMed – MedTravellers", False),
        ("ar", "Stem Cells (PubMed)", "Stem Cells (PubMed)", True),
    ],
)
def test_unchanged_allowed(lang: str, msgid: str, msgstr: str, reference: bool) -> None:
    assert check_unchanged(Entry(msgid, msgstr, is_reference_title=reference), ctx(lang)) == []


def test_unchanged_warns_for_an_untranslated_english_title_that_is_no_reference() -> None:
    entry = Entry("Stem Cells (PubMed)", "Stem Cells (PubMed)")
    assert [s for s, _ in check_unchanged(entry, ctx("ar"))] == ["warning"]


def test_a_comment_mentioning_reference_title_does_not_make_one() -> None:
    """The role comes from the article's model, never from the words of a comment."""
    catalog = Catalog(locale="ar")
    catalog.add("Stem Cells", "Stem Cells", auto_comments=["not a reference title"])
    findings = check_catalog(catalog, lang="ar", domain="d", path="ar.po", context=ctx("ar"))
    assert [f.check for f in findings if f.check == "unchanged"] == ["unchanged"]


def test_language_script() -> None:
    assert language_script("bn") == "Beng"
    assert language_script("fa") == "Arab"
    assert language_script("zh-TW") == "Hant"
    assert language_script("pt-BR") == "Latn"


# --- 11. do-not-translate -------------------------------------------------------------------


def test_do_not_translate_changed() -> None:
    message = Entry("Contact MedTravellers in New Delhi", "Contactez Med Travellers à New Delhi")
    [(severity, text)] = check_do_not_translate(message, ctx())
    assert severity == "error"
    assert "MedTravellers" in text and "New Delhi" not in text


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr"),
    [
        ("fr", "Contact MedTravellers", "Contactez MedTravellers"),
        ("fr", "Indian hospitals", "Hôpitaux indiens"),
        ("ar", "Treatment in India", "العلاج في India"),
        ("ar", "Ask MedTravellers", "اسأل لـMedTravellers"),
    ],
)
def test_do_not_translate_kept(lang: str, msgid: str, msgstr: str) -> None:
    assert check_do_not_translate(Entry(msgid, msgstr), ctx(lang)) == []


# --- 12. font coverage ----------------------------------------------------------------------


def test_font_coverage_with_injected_coverage() -> None:
    context = ctx(coverage=private_use_missing)
    [(severity, message)] = check_font_coverage(Entry("Icon", "Icône \ue000"), context)
    assert severity == "error" and "U+E000" in message
    assert check_font_coverage(Entry("Icon", "Icône"), context) == []
    assert check_font_coverage(Entry("Icon", "Icône \ue000"), ctx()) == []  # no coverage: skipped


def test_font_coverage_ignores_invisible_characters() -> None:
    def nothing(char: str) -> bool:
        return False

    invisible = " \u200c\u200d\u200e\u200f\u00a0\u202f\ufe0f\n"
    assert check_font_coverage(Entry("x", invisible), ctx("fa", coverage=nothing)) == []


def test_parse_charset() -> None:
    assert parse_charset("20-7e a0 a1-ff 980-983") == ((0x20, 0x7E), (0xA0, 0xFF), (0x980, 0x983))


def test_font_stacks() -> None:
    assert print_stack("bn").serif[:2] == ("Noto Serif Bengali", "Noto Sans Bengali")
    assert print_stack("ar").serif[:2] == ("Noto Naskh Arabic", "Noto Sans Arabic")
    assert print_stack("fa") == print_stack("ar")
    assert print_stack("ur").serif[0] == "Noto Nastaliq Urdu"
    assert print_stack("ru") == LATIN
    assert print_stack("zh-TW").serif[0] == "Noto Sans CJK TC"
    assert print_stack("zh-Hant-HK").serif[0] == "Noto Sans CJK TC"
    assert print_stack("zh").serif[0] == "Noto Sans CJK SC"
    assert print_stack("pt-BR") == LATIN
    for stack in (LATIN, *PRINT_FONTS):
        assert "DejaVu Sans" in stack.serif and stack.sans[-1] == "DejaVu Sans", stack


@pytest.mark.parametrize("lang", ["en", "ar", "bn", "fa", "fr", "ru", "ur", "zh-TW", "ja", "hi"])
def test_coverage_check_asks_about_the_fonts_the_brochure_css_names(lang: str) -> None:
    """The generated print CSS, read back: the families its rule for ``lang`` names."""
    css = print_font_css()
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    families: list[str] = []
    for selectors, body in rules:
        langs = re.findall(r":lang\(([^)]+)\)", selectors)
        if not langs or any(lang == x or lang.startswith(x + "-") for x in langs):
            families = re.findall(r'"([^"]+)"', body)  # the last matching rule wins, as in CSS
    assert tuple(dict.fromkeys(families)) == fontconfig_coverage(lang).families


@pytest.mark.skipif(not HAS_FONTCONFIG, reason="fontconfig (fc-list) is not installed")
def test_fontconfig_coverage_bengali() -> None:
    context = ctx("bn", coverage=fontconfig_coverage("bn"))
    bengali = "স্টেম সেল থেরাপি ৮০% রোগীর উন্নতি করে। MedTravellers, New Delhi – “৫,০০০+”"
    assert check_font_coverage(Entry("x", bengali), context) == []
    for char in ("\ue000", "\u4e2d"):  # private use; a CJK ideograph no Bengali stack font has
        [(severity, message)] = check_font_coverage(Entry("x", f"রোগী {char}"), context)
        assert severity == "error"
        assert f"U+{ord(char):04X}" in message


@pytest.mark.skipif(not HAS_FONTCONFIG, reason="fontconfig (fc-list) is not installed")
def test_fontconfig_coverage_cjk_and_arabic() -> None:
    assert fontconfig_coverage("zh")("\u4e2d")
    assert fontconfig_coverage("fa")("\u06cc")  # ARABIC LETTER FARSI YEH
    assert family_charset("No Such Font Family At All") == ()


@pytest.mark.skipif(not HAS_FONTCONFIG, reason="fontconfig (fc-list) is not installed")
def test_one_fc_list_for_all_fonts_finds_what_fontconfig_finds_per_family() -> None:
    """Fontconfig's own match (``fc-list FAMILY``, case and blanks ignored) for every family
    of every stack, in other spellings, and for a family that is not installed."""
    families = {family for stack in PRINT_FONTS for family in stack.families}
    asked = [*families, "noto sans", "NotoSans", "DejaVu Sans Condensed", "No Such Font"]
    for family in asked:
        escaped = re.sub(r"([\\\-:,])", r"\\\1", family)
        listed = subprocess.run(
            ["fc-list", "--format", "%{charset}\\n", escaped],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert family_charset(family) == parse_charset(listed), family
    assert family_charset("Noto Sans") != ()


def test_missing_fontconfig_is_one_clear_error() -> None:
    catalog = Catalog(locale="bn")
    catalog.add("One", "এক", lineno=5)
    catalog.add("Two", "দুই", lineno=8)
    context = ctx("bn", coverage=fontconfig_coverage("bn", fc_list="/nonexistent/fc-list"))
    findings = check_catalog(catalog, lang="bn", domain="ui", path="ui.po", context=context)
    [finding] = [f for f in findings if f.check == "font-coverage"]
    assert finding.severity == "error"
    assert "fontconfig" in finding.message


# --- check_catalog on fixtures --------------------------------------------------------------

DEFECTS_FR = {
    "Improvement was seen in 80% of patients.": "figures",
    "Read [the study](https://example.org/study).": "links",
    "This is **important**.": "markup",
    "Read the leaflet.": "unsafe-markup",
    "Hello %(name)s": "placeholders",
    "Nobody translated this sentence.": "untranslated",
    "Results vary from patient to patient.": "fuzzy",
    "Welcome": "whitespace",
    "The treatment is safe.": "doubled-word",
    "Can stem cells help?": "end-punctuation",
    "Contact MedTravellers today": "do-not-translate",
    "Icon": "font-coverage",
    "Take one tablet a day.": "invisible",
    "Side effects": "length",
    "Swallow the tablet whole.": "glossary",
}
CLEAN_FR = [
    "Over 5,000+ patients treated since 2015.",
    "A dose of 1.5 mg, **twice** a day: see [the guide](https://example.org/guide).",
    "Is it safe?",
    "Book with MedTravellers",
    "Stem Cell Therapy for Ischemic Stroke (PubMed)",
    "%(count)d article",
    "We met in New Delhi.",
]
DEFECTS_AR = {
    "Stem cell therapy": "unchanged",
    "Is it safe?": "end-punctuation",
    "Take 2 tablets a day.": "digits",
}
CLEAN_AR = [
    "80% of patients improved.",
    "Is the treatment safe?",
    "U.S. National Library of Medicine (PubMed) – Stem Cell Therapy",
    "MedTravellers",
    "5,000+",
    "Results reported by MedTravellers.",
]


GLOSSARY = Glossary((Term("tablet", required={"fr": ("comprimé",)}),))
"""The fixtures' terminology: a tablet is a comprimé in French."""

REFERENCE_TITLES = {"U.S. National Library of Medicine (PubMed) – Stem Cell Therapy"}
"""The fixtures' entries that stand for an article's reference titles."""


def run_fixture(name: str, lang: str) -> tuple[str, list[Finding]]:
    path = FIXTURES / name
    catalog = load_catalog(path, name, locale=lang)
    context = dataclasses.replace(ctx(lang, coverage=private_use_missing), glossary=GLOSSARY)
    units = {
        (title, None): Unit(title, "reference title", "source/checks.md", 1, reference=True)
        for title in REFERENCE_TITLES
    }
    return path.read_text(encoding="utf-8"), check_catalog(
        catalog,
        lang=lang,
        domain="checks",
        path=f"locale/{lang}/LC_MESSAGES/checks.po",
        context=context,
        units=units,
    )


@pytest.mark.parametrize(
    ("name", "lang", "defects", "clean"),
    [("defects.po", "fr", DEFECTS_FR, CLEAN_FR), ("defects-ar.po", "ar", DEFECTS_AR, CLEAN_AR)],
)
def test_fixture_defects_found_at_their_lines(
    name: str, lang: str, defects: dict[str, str], clean: list[str]
) -> None:
    text, findings = run_fixture(name, lang)
    findings = [f for f in findings if f.check != "plural-forms"]  # the header, not an entry
    lines = msgid_lines(text)
    for msgid, check in defects.items():
        found = [f for f in findings if f.msgid == msgid]
        assert [f.check for f in found] == [check], msgid
        assert found[0].line == lines[msgid]
        assert found[0].location == f"locale/{lang}/LC_MESSAGES/checks.po:{lines[msgid]}"
        assert found[0].lang == lang and found[0].domain == "checks"
    for msgid in clean:
        assert [f for f in findings if f.msgid == msgid] == [], msgid
    assert {f.msgid for f in findings} == set(defects)


def test_fixture_covers_every_check() -> None:
    seeded = set(DEFECTS_FR.values()) | set(DEFECTS_AR.values())
    assert seeded == {name for name, _ in CHECKS}


def test_fixture_obsolete_entries_are_not_checked() -> None:
    text, findings = run_fixture("defects.po", "fr")
    assert "#~ msgid" in text
    assert not any("obsolete" in f.msgid for f in findings)


@pytest.mark.parametrize("name", ["defects.po", "defects-ar.po"])
def test_fixture_is_valid_po(name: str) -> None:
    result = msgfmt_check(FIXTURES / name)
    assert result.returncode == 0, result.stderr


def test_fuzzy_entries_get_only_status_and_safety_checks() -> None:
    catalog = Catalog(locale="fr")
    catalog.add("80% of patients", "90 % des patients", flags=["fuzzy"], lineno=3)
    catalog.add("Read this", "<script>x</script>Lisez", flags=["fuzzy"], lineno=6)
    findings = check_catalog(catalog, lang="fr", domain="ui", path="ui.po", context=ctx())
    assert [(f.check, f.line) for f in findings] == [
        ("fuzzy", 3),
        ("fuzzy", 6),
        ("unsafe-markup", 6),
    ]


def test_plural_entries_are_checked_per_form() -> None:
    catalog = Catalog(locale="fr")
    catalog.add(("%(count)d file", "%(count)d files"), ("%(count)d fichier", ""), lineno=4)
    catalog.add(("%(n)d day", "%(n)d days"), ("%(n)d jour", "%(x)d jours"), lineno=9)
    [first] = entries(next(m for m in catalog if m.lineno == 4))[:1]
    assert first.plural_form == 0 and first.msgid == "%(count)d file"
    findings = check_catalog(catalog, lang="fr", domain="ui", path="ui.po", context=ctx())
    assert [(f.check, f.message.split(":")[0], f.msgid, f.line) for f in findings] == [
        ("untranslated", "msgstr[1]", "%(count)d file", 4),
        ("placeholders", "msgstr[1]", "%(n)d day", 9),
    ]


# --- gate -----------------------------------------------------------------------------------


def small_catalog(translated: int, untranslated: int = 0, fuzzy: int = 0) -> Catalog:
    catalog = Catalog(locale="fr")
    for index in range(translated):
        catalog.add(f"Sentence {index} translated", f"Phrase {index}")
    for index in range(untranslated):
        catalog.add(f"Sentence {index} untranslated", "")
    for index in range(fuzzy):
        catalog.add(f"Sentence {index} fuzzy", f"Floue {index}", flags=["fuzzy"])
    return catalog


def finding(
    check: str, severity: Severity = "error", lang: str = "fr", domain: str = "a"
) -> Finding:
    return Finding(check, severity, "x", "m", lang, domain, "a.po", 1)


def test_gate_publishes_clean_catalog() -> None:
    decision = gate(
        [
            finding("whitespace", "warning"),
            finding("figures", lang="ar"),
            finding("links", domain="b"),
        ],
        small_catalog(4),
        {("Sentence 0 translated", None)},
        lang="fr",
        domain="a",
        min_translated=0.8,
    )
    assert decision.published
    assert decision.reasons == ()
    assert decision.translated_share == 1.0
    assert (decision.lang, decision.domain) == ("fr", "a")


def test_gate_blocks_on_errors() -> None:
    findings = [finding("figures"), finding("links"), finding("figures")]
    decision = gate(findings, small_catalog(2), set(), lang="fr", domain="a", min_translated=0.8)
    assert not decision.published
    assert decision.reasons == ("3 errors (figures, links)",)
    one = gate(
        [finding("markup")], small_catalog(1), set(), lang="fr", domain="a", min_translated=0
    )
    assert one.reasons == ("1 error (markup)",)


def test_gate_blocks_on_critical_entries() -> None:
    catalog = small_catalog(8, untranslated=1, fuzzy=1)
    long_msgid = "A critical sentence that is much longer than forty characters"
    catalog.add(long_msgid, "")
    critical = {
        ("Sentence 0 translated", None),
        ("Sentence 0 untranslated", None),
        ("Sentence 0 fuzzy", None),
        (long_msgid, None),
    }
    decision = gate([], catalog, critical, lang="fr", domain="a", min_translated=0.5)
    assert not decision.published
    assert decision.reasons == (
        "critical entry untranslated: Sentence 0 untranslated",
        "critical entry fuzzy: Sentence 0 fuzzy",
        "critical entry untranslated: A critical sentence that is much longer…",
    )


def test_gate_blocks_on_missing_critical_entry() -> None:
    decision = gate(
        [], small_catalog(3), {("Gone", "ctx")}, lang="fr", domain="a", min_translated=0.5
    )
    assert decision.reasons == ("critical entry missing from the catalog: Gone",)


def test_gate_blocks_below_min_translated_counting_fuzzy_as_untranslated() -> None:
    catalog = small_catalog(18, untranslated=5, fuzzy=2)
    decision = gate([], catalog, set(), lang="fr", domain="a", min_translated=0.8)
    assert not decision.published
    assert decision.translated_share == pytest.approx(0.72)
    assert decision.reasons == ("72% translated, 80% required",)
    exact = gate(
        [], small_catalog(4, untranslated=1), set(), lang="fr", domain="a", min_translated=0.8
    )
    assert exact.published


def test_gate_on_fixture() -> None:
    _, findings = run_fixture("defects.po", "fr")
    catalog = load_catalog(FIXTURES / "defects.po", "defects.po", locale="fr")
    decision = gate(
        findings,
        catalog,
        {("Stem Cell Therapy for Ischemic Stroke (PubMed)", None)},
        lang="fr",
        domain="checks",
        min_translated=0.8,
    )
    assert not decision.published
    assert decision.reasons == (
        "8 errors (figures, links, markup, unsafe-markup, placeholders, do-not-translate, "
        "font-coverage, invisible)",
    )
    assert decision.translated_share == pytest.approx(20 / 22)


# --- invisible characters and length -------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr", "named"),
    [
        ("fr", "Take the dose.", "Prenez la dose\u202e.esod", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("fr", "Take the dose.", "Prenez\u202a la dose.", "U+202A LEFT-TO-RIGHT EMBEDDING"),
        ("ar", "Call us", "اتصل \u2067بنا", "U+2067 RIGHT-TO-LEFT ISOLATE"),
        ("ar", "Call us", "اتصل\u2069 بنا", "U+2069 POP DIRECTIONAL ISOLATE"),
        ("fr", "Stroke", "AV\u200bC", "U+200B ZERO WIDTH SPACE"),
        ("fr", "Stroke", "\ufeffAVC", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("fr", "Stroke", "A\u2060VC", "U+2060 WORD JOINER"),
        ("fr", "Stroke", "AVC\x07", "U+0007 control"),
        ("fr", "Stroke", "A\u200cVC", "U+200C ZERO WIDTH NON-JOINER"),
        ("fr", "Stroke", "AVC \U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
    ],
)
def test_invisible_characters_are_errors(lang: str, msgid: str, msgstr: str, named: str) -> None:
    problems = check_invisible(Entry(msgid, msgstr), ctx(lang))
    assert len(problems) == 1 and problems[0][0] == "error"
    assert named in problems[0][1]


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr"),
    [
        ("fa", "They can", "می\u200cتوانند"),  # ZWNJ inside a Persian word
        ("bn", "Stem", "স্ট\u200dেম"),  # ZWJ in Bengali
        ("hi", "Kshatriya", "क्\u200dष"),
        ("ar", "MedTravellers results", "نتائج \u2068MedTravellers\u2069\u200f"),
        ("he", "Call +1 555", "התקשרו \u200e+1 555"),
        ("de", "Rehabilitation", "Rehabili\u00adtation"),
        ("fr", "Family \U0001f468\u200d\U0001f469", "Famille \U0001f468\u200d\U0001f469"),
        ("fr", "A\u200bB", "A\u200bB"),  # the source has it: the translation may keep it
        ("fr", "Two\nlines", "Deux\nlignes\tici"),
    ],
)
def test_marks_a_script_needs_are_allowed(lang: str, msgid: str, msgstr: str) -> None:
    assert check_invisible(Entry(msgid, msgstr), ctx(lang)) == []


def test_length_warns_then_refuses() -> None:
    title = "Stroke recovery guide"
    assert check_length(Entry(title, "Guide de récupération après un AVC"), ctx()) == []
    assert check_length(Entry("FAQ", "Questions fréquemment posées par nos patients"), ctx()) == []
    warning = check_length(Entry(title, "x" * 121), ctx())
    assert warning == [
        ("warning", "translation is unusually long: 121 characters for a source of 21")
    ]
    assert check_length(Entry(title, "x" * 120), ctx()) == []
    error = check_length(Entry(title, "x" * 1_000_000), ctx())
    assert error == [
        ("error", "translation is far too long: 1,000,000 characters for a source of 21")
    ]
    assert check_length(Entry(title, "x" * 400), ctx())[0][0] == "warning"
    assert check_length(Entry(title, "x" * 401), ctx())[0][0] == "error"
