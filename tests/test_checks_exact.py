"""What each check says, word for word, and the edges of the rules that protect patients.

A translator reads these messages in ``pipeline check`` and in the build's
refusals, so their words are part of the behaviour. The cases were written from
the rules (a figure is compared by value, a link by target, a group of digits
must look like one), and each expectation was read against its rule by hand.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from babel.messages.catalog import Catalog, Message

from pipeline.build.gating import gate
from pipeline.checks import (
    CheckContext,
    Entry,
    Problem,
    bare_urls,
    check_catalog,
    check_doubled_word,
    check_end_punctuation,
    check_figures,
    check_font_coverage,
    check_fuzzy,
    check_links,
    check_markup,
    check_placeholders,
    check_unchanged,
    check_unsafe_markup,
    check_whitespace,
    entries,
)
from pipeline.errors import CheckUnavailable
from pipeline.fonts import FontCoverage, print_stack
from pipeline.project import parse_locale

Check = Callable[[Entry, CheckContext], list[Problem]]


def ctx(lang: str) -> CheckContext:
    return CheckContext(lang, parse_locale(lang), coverage=lambda _: True)


MESSAGES: list[tuple[Check, str, str, str, list[Problem]]] = [
    (check_figures, "fr", "Over 5,000 patients, 80% improved.",
     "Plus de 5 000 patients, 90 % ont progressé.",
     [("error", "figures differ: missing 80%; not in the source: 90 %")]),
    (check_figures, "en", "Costs 1,500 dollars.", "Costs 1,50 dollars.",
     [("error", "figures differ: missing 1,500; not in the source: 1, 50")]),
    (check_figures, "en", "Take 5 to 10 mg.", "Take 5 to 10 mg, 3 times.",
     [("error", "figures differ: not in the source: 3")]),
    (check_figures, "en", "A 1.5 mm cut.", "A 1.5 mm cut.", []),
    (check_figures, "de", "A 1.5 mm cut.", "Ein 1,5 mm Schnitt.", []),
    (check_figures, "en", "A 1.5 mm cut.", "A 15 mm cut.",
     [("error", "figures differ: missing 1.5; not in the source: 15")]),
    (check_figures, "en", "Read 1.2.3 first.", "Read 1.2.3 first.", []),
    (check_links, "fr", "See [a](https://a.example/x) and https://b.example/y.",
     "Voir [a](https://a.example/x).",
     [("error", "links differ: missing link https://b.example/y")]),
    (check_links, "fr", "See [a](https://a.example/x) or [b](https://a.example/x).",
     "Voir [a](https://a.example/x).",
     [("error", "links differ: missing link https://a.example/x")]),
    (check_links, "fr", "See [a](https://a.example/x).",
     "Voir [a](https://a.example/x) et https://evil.example/.",
     [("error", "links differ: extra link https://evil.example/")]),
    (check_links, "fr", "Picture ![scan](images/scan.png).", "Image ![scan](images/other.png).",
     [("error", "links differ: missing link images/scan.png; extra link images/other.png")]),
    (check_links, "fr", "Run `https://a.example/x` now.", "Lancez `https://a.example/x`.", []),
    (check_markup, "fr", "**Bold** and *it*", "Gras et *it*",
     [("error", "markup differs: missing markup bold")]),
    (check_markup, "fr", "Plain text", "Texte `code`",
     [("error", "markup differs: extra markup code")]),
    (check_placeholders, "fr", "Hello %(name)s, 100%% sure, {count} {0} %s",
     "Bonjour, 100%% sûr %s %s",
     [("error", "placeholders differ: missing placeholder %(name)s, {count}, {0}; "
                "extra placeholder %s")]),
    (check_placeholders, "fr", "%(a)s and %(a)s", "%(a)s", []),
    (check_placeholders, "fr", "100%% of %s", "100%% de %s", []),
    (check_placeholders, "fr", "{0} of {1}", "{1} sur {0}", []),
    (check_whitespace, "fr", "Hello world", " Bonjour  monde ",
     [("warning", "leading whitespace ' ', source has ''"),
      ("warning", "trailing whitespace ' ', source has ''"),
      ("warning", "doubled space")]),
    (check_end_punctuation, "fr", "Is it safe?", "Est-ce sûr.",
     [("warning", "source ends with '?': expected '?' at the end, found '.'")]),
    (check_end_punctuation, "ar", "Is it safe?", "هل هو آمن?",
     [("warning", "source ends with '?': expected '؟' at the end, found '?'")]),
    (check_end_punctuation, "en", "Is it **safe?**", "Is it **safe?**", []),
    (check_end_punctuation, "en", "Is it safe?", "**",
     [("warning", "source ends with '?': expected '?' at the end, found nothing")]),
    (check_unchanged, "ar", "Stem cell therapy", "Stem cell therapy",
     [("warning", "translation is identical to the source")]),
    (check_unsafe_markup, "fr", "Hello", "Bonjour <script >x</script> <IMG SRC=x ONERROR = y>",
     [("error", "unsafe markup: </script, <img, <script, onerror=")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("check", "lang", "msgid", "msgstr", "expected"),
    MESSAGES,
    ids=[f"{c.__name__}-{i}" for i, (c, *_rest) in enumerate(MESSAGES)],
)
def test_check_says_exactly(
    check: Check, lang: str, msgid: str, msgstr: str, expected: list[Problem]
) -> None:
    assert check(Entry(msgid, msgstr), ctx(lang)) == expected


def test_fuzzy_says_why_it_is_not_published() -> None:
    assert check_fuzzy(Entry("x", "y", fuzzy=True), ctx("fr")) == [
        ("warning", "fuzzy: needs review, not published until the flag is removed")
    ]


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "msgstr", "lang"),
    [
        ("5,00 patients", "500 patients", "en"),  # a last group of 2 digits is no group
        ("12,3456 cells", "123456 cells", "en"),  # nor one of 4
        ("1234,567 cells", "1234567 cells", "en"),  # nor a first one of 4
        ("1,2345,678 cells", "12345678 cells", "en"),  # nor a middle one of 4
        ("1.5.2 release", "152 release", "en"),  # two decimal marks: no number
    ],
)
def test_digits_that_are_no_grouped_number_are_not_read_as_one(
    msgid: str, msgstr: str, lang: str
) -> None:
    assert check_figures(Entry(msgid, msgstr), ctx(lang)) != []


@pytest.mark.parametrize(
    ("msgid", "msgstr", "lang"),
    [
        ("1,00,000 rupees", "100000 rupees", "hi"),  # Indian lakh grouping
        ("1,234,567 cells", "1 234 567 cellules", "fr"),
        ("1,234,567 cells", "1.234.567 Zellen", "de"),
        ("0.5 ml", "0,5 ml", "fr"),
        ("80%", "٨٠٪", "ar"),
        ("5,000+", "۵٬۰۰۰+", "fa"),
    ],
)
def test_the_same_value_written_the_target_way_is_accepted(
    msgid: str, msgstr: str, lang: str
) -> None:
    assert check_figures(Entry(msgid, msgstr), ctx(lang)) == []


def test_ambiguous_figures_are_matched_as_a_whole_not_greedily() -> None:
    """French "1,500" may be 1.5 or 1500; taking it for 1.5 first would leave "1,5" unmatched."""
    entry = Entry("Take 1.5 mg, then 1,500 mg.", "Prenez 1,500 mg puis 1,5 mg.")
    assert check_figures(entry, ctx("fr")) == []


# --- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("See https://x.example/a_(b).", ["https://x.example/a_(b)"]),
        ("(see https://x.example/p).", ["https://x.example/p"]),
        ("Go to https://x.example/q?a=1&b=2, then.", ["https://x.example/q?a=1&b=2"]),
        ("https://x.example/path/", ["https://x.example/path/"]),
        ("https://x.example/#top!", ["https://x.example/#top"]),
        ("https://x.example/a-", ["https://x.example/a-"]),
        ("https://x.example/a_b=", ["https://x.example/a_b="]),
        ("https://x.example/c+", ["https://x.example/c+"]),
        ("«https://x.example/d».", ["https://x.example/d"]),
        ("https://x.example/e?!", ["https://x.example/e"]),
    ],
)
def test_bare_urls_lose_the_punctuation_that_ends_a_sentence(text: str, urls: list[str]) -> None:
    assert bare_urls(text) == urls


# --- glyphs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    ["\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef", "\x07", "\u2028", "\u2029", "\u00a0"],
)
def test_characters_that_need_no_glyph_are_not_reported(char: str) -> None:
    context = CheckContext("fr", parse_locale("fr"), coverage=lambda _: False)
    assert check_font_coverage(Entry("x", f"a{char}"), context) == [
        ("error", "no font for U+0061 LATIN SMALL LETTER A in the fr font stack")
    ]


@pytest.mark.parametrize("char", ["\ufdff", "\ufe10", "\U000e00ff", "\U000e01f0"])
def test_characters_beside_the_variation_selectors_need_a_glyph(char: str) -> None:
    context = CheckContext("fr", parse_locale("fr"), coverage=lambda c: c != char)
    problems = check_font_coverage(Entry("x", f"a{char}"), context)
    assert [severity for severity, _ in problems] == ["error"]
    assert f"U+{ord(char):04X}" in problems[0][1]


# --- the catalog and the gate -----------------------------------------------------------------


def test_entries_carry_context_flags_line_and_forms() -> None:
    catalog = Catalog(locale="fr")
    catalog.add("Hi", "Salut", context="greeting", flags=["fuzzy"], lineno=7)
    catalog.add(("a file", "files"), ("un fichier", "des fichiers"), lineno=9)
    plain = entries(catalog.get("Hi", context="greeting"))
    assert plain == [Entry("Hi", "Salut", "greeting", True, frozenset({"fuzzy"}), 7, None)]
    forms = entries(catalog.get("a file"))
    assert [(e.msgid, e.msgstr, e.plural_form, e.line) for e in forms] == [
        ("a file", "un fichier", 0, 9),
        ("files", "des fichiers", 1, 9),
    ]


def test_catalog_findings_name_their_form_place_and_language() -> None:
    catalog = Catalog(locale="fr")
    catalog.mime_headers = [("Plural-Forms", "nplurals=2; plural=(n > 1);")]  # GNU's French
    catalog.add(("%(n)s file", "%(n)s files"), ("%(n)s fichier", "%(n)s fichiers %(x)s"), lineno=4)
    findings = check_catalog(catalog, lang="fr", domain="ui", path="fr/ui.po", context=ctx("fr"))
    placeholder = [f for f in findings if f.check == "placeholders"]
    assert [(f.message, f.msgid, f.lang, f.domain, f.location) for f in placeholder] == [
        ("msgstr[1]: placeholders differ: extra placeholder %(x)s", "%(n)s file", "fr", "ui",
         "fr/ui.po:4"),
    ]  # fmt: skip
    header = [f for f in findings if f.check == "plural-forms"]
    assert [(f.severity, f.msgid, f.lang, f.domain, f.location) for f in header] == [
        ("warning", "", "fr", "ui", "fr/ui.po:1")
    ]


def test_a_check_that_cannot_run_is_reported_once_and_the_others_still_run() -> None:
    def unavailable(_: str) -> bool:
        raise CheckUnavailable("no fontconfig here")

    context = CheckContext("fr", parse_locale("fr"), coverage=unavailable)
    catalog = Catalog(locale="fr", fuzzy=False)
    catalog.add("One 5", "Un 6", lineno=3)
    catalog.add("Two 7", "Deux 8", lineno=5)
    findings = check_catalog(catalog, lang="fr", domain="d", path="fr/d.po", context=context)
    font = [f for f in findings if f.check == "font-coverage"]
    assert [(f.severity, f.message, f.msgid, f.lang, f.domain, f.location) for f in font] == [
        ("error", "no fontconfig here", "", "fr", "d", "fr/d.po:1")
    ]
    assert [f.location for f in findings if f.check == "figures"] == ["fr/d.po:3", "fr/d.po:5"]


def _critical_catalog(count: int) -> tuple[Catalog, set[tuple[str, str | None]]]:
    catalog = Catalog(locale="fr")
    keys = {(f"critical {n}", None if n % 2 else "ctx") for n in range(count)}
    return catalog, keys


def test_gate_lists_three_missing_critical_entries_in_order_then_counts_the_rest() -> None:
    catalog, keys = _critical_catalog(5)
    catalog.add("other", "autre")
    decision = gate([], catalog, keys, lang="fr", domain="d", min_translated=0)
    assert decision.reasons == (
        "critical entry missing from the catalog: critical 0",
        "critical entry missing from the catalog: critical 1",
        "critical entry missing from the catalog: critical 2",
        "2 more critical entries not ready",
    )


def test_gate_names_exactly_three_without_a_count() -> None:
    catalog, keys = _critical_catalog(3)
    decision = gate([], catalog, keys, lang="fr", domain="d", min_translated=0)
    assert len(decision.reasons) == 3 and not decision.reasons[-1].endswith("not ready")


def test_gate_shortens_long_msgids_to_forty_characters() -> None:
    text = "x" * 40
    decision = gate([], Catalog(locale="fr"), {(text, None)}, lang="fr", domain="d",
                    min_translated=0)  # fmt: skip
    assert decision.reasons == (f"critical entry missing from the catalog: {text}",)
    longer = gate([], Catalog(locale="fr"), {(text + "y", None)}, lang="fr", domain="d",
                  min_translated=0)  # fmt: skip
    assert longer.reasons == (f"critical entry missing from the catalog: {text}…",)


def test_an_empty_catalog_counts_as_wholly_translated() -> None:
    decision = gate([], Catalog(locale="fr"), set(), lang="fr", domain="d", min_translated=1.0)
    assert decision.published and decision.translated_share == 1.0


def test_gate_says_the_share_translated_and_the_share_required() -> None:
    catalog = Catalog(locale="fr")
    for n in range(3):
        catalog.add(f"text {n}", "texte" if n == 0 else "")
    decision = gate([], catalog, set(), lang="fr", domain="d", min_translated=0.5)
    assert decision.reasons == ("33% translated, 50% required",)


# --- what the first round of mutation testing found untested ---------------------------------


def test_a_decimal_part_counts() -> None:
    assert check_figures(Entry("A 1.5 mm cut.", "A 1.7 mm cut."), ctx("en")) == [
        ("error", "figures differ: missing 1.5; not in the source: 1.7")
    ]


def test_a_period_in_french_figures_is_no_group_mark() -> None:
    """ "1.500" is no French way to write 1500; a dose that can be read as 1.5 is an error."""
    assert check_figures(Entry("Take 1,500 mg.", "Prenez 1.500 mg."), ctx("fr")) != []


def test_a_figure_written_twice_is_one_too_many() -> None:
    assert check_figures(Entry("Take 5 mg.", "Take 5 mg, 5.0 mg."), ctx("en")) == [
        ("error", "figures differ: not in the source: 5.0")
    ]


def test_many_unsafe_things_are_listed_five_then_counted() -> None:
    msgstr = "<script> <iframe> <object> <embed> <style> <svg onload=x>"
    assert check_unsafe_markup(Entry("Hello", msgstr), ctx("fr")) == [
        ("error", "unsafe markup: <embed, <iframe, <object, <script, <style and 2 more")
    ]
    five = "<script> <iframe> <object> <embed> <style>"
    assert check_unsafe_markup(Entry("Hello", five), ctx("fr")) == [
        ("error", "unsafe markup: <embed, <iframe, <object, <script, <style")
    ]


def test_markup_lists_what_is_missing_and_what_is_extra() -> None:
    assert check_markup(Entry("**a** b", "a `b`"), ctx("fr")) == [
        ("error", "markup differs: missing markup bold; extra markup code")
    ]


def test_a_link_target_written_in_prose_next_to_code_is_still_a_link() -> None:
    entry = Entry("See https://a.example/x `code`", "Voir `code` https://b.example/y")
    assert check_links(entry, ctx("fr")) == [
        ("error", "links differ: missing link https://a.example/x; extra link https://b.example/y")
    ]


def test_the_same_image_twice_is_counted_twice() -> None:
    entry = Entry("![a](x.png) ![b](x.png)", "![a](x.png)")
    assert check_links(entry, ctx("fr")) == [("error", "links differ: missing link x.png")]


def test_text_inside_a_link_is_not_read_for_bare_urls() -> None:
    entry = Entry("[https://a.example/](https://a.example/)", "[voir](https://a.example/)")
    assert check_links(entry, ctx("fr")) == []


def test_end_punctuation_looks_past_closing_marks_and_spaces() -> None:
    entry = Entry("**Is it safe?** ", "**Ist es sicher.** ")
    assert check_end_punctuation(entry, ctx("de")) == [
        ("warning", "source ends with '?': expected '?' at the end, found '.'")
    ]


def test_a_target_may_end_with_any_of_its_language_marks() -> None:
    problems = check_end_punctuation(Entry("Done.", "বাস"), ctx("bn"))
    assert [message for _, message in problems] == [
        "source ends with '.': expected '।' or '.' at the end, found 'স'"
    ]


def test_do_not_translate_terms_are_removed_longest_first() -> None:
    context = CheckContext(
        "ar", parse_locale("ar"), do_not_translate=("Travel", "MedTravellers"), coverage=None
    )
    assert check_unchanged(Entry("MedTravellers", "MedTravellers"), context) == []


def test_an_unnamed_character_is_shown_by_its_code_point() -> None:
    context = CheckContext("fr", parse_locale("fr"), coverage=lambda c: c != "\ue000")
    assert check_font_coverage(Entry("x", "a\ue000"), context) == [
        ("error", "no font for U+E000 in the fr font stack")
    ]


def test_entries_of_messages_without_a_line_or_with_odd_strings() -> None:
    plain = Message("plain", ("un", "deux"))  # msgstr[1] on a plain entry
    plural = Message(("one", "many"), "xy")  # a plural entry read with one string
    assert [(e.msgstr, e.line) for e in entries(plain)] == [("un", 0)]
    assert [(e.msgstr, e.plural_form) for e in entries(plural)] == [("xy", 0)]


def test_the_default_source_language_is_english() -> None:
    context = CheckContext.for_language("fr", coverage=lambda _: True)
    assert str(context.source_locale) == "en"


def test_after_a_check_that_cannot_run_the_later_checks_still_run() -> None:
    def unavailable(_: str) -> bool:
        raise CheckUnavailable("no fontconfig here")

    context = CheckContext("fr", parse_locale("fr"), coverage=unavailable)
    catalog = Catalog(locale="fr")
    catalog.add("One", "Un ", lineno=3)
    findings = check_catalog(catalog, lang="fr", domain="d", path="fr/d.po", context=context)
    assert [(f.check, f.message, f.location) for f in findings if f.check == "whitespace"] == [
        ("whitespace", "trailing whitespace ' ', source has ''", "fr/d.po:3")
    ]


def test_the_plural_forms_finding_says_what_differs() -> None:
    catalog = Catalog(locale="fr")
    catalog.mime_headers = [("Plural-Forms", "nplurals=2; plural=(n > 1);")]
    (finding,) = check_catalog(catalog, lang="fr", domain="d", path="fr/d.po", context=ctx("fr"))
    assert finding.message.startswith(
        "Plural-Forms 'nplurals=2; plural=(n > 1);' differs from CLDR's rule for fr: 'nplurals=3;"
    )


def test_gate_sorts_missing_entries_by_msgid_then_context() -> None:
    keys = {("same", "B"), ("same", None), ("same", "A"), ("other", None)}
    decision = gate([], Catalog(locale="fr"), keys, lang="fr", domain="d", min_translated=0)
    assert decision.reasons == (
        "critical entry missing from the catalog: other",
        "critical entry missing from the catalog: same",
        "critical entry missing from the catalog: same",
        "1 more critical entries not ready",
    )


def test_gate_counts_two_thirds_down() -> None:
    catalog = Catalog(locale="fr")
    for n in range(3):
        catalog.add(f"text {n}", "" if n == 0 else "texte")
    decision = gate([], catalog, set(), lang="fr", domain="d", min_translated=0.9)
    assert decision.reasons == ("66% translated, 90% required",)


def test_a_context_for_a_language_has_every_setting_it_was_given() -> None:
    def coverage(_: str) -> bool:
        return True

    context = CheckContext.for_language(
        "pt-BR", do_not_translate=["MedTravellers"], coverage=coverage, source_language="de"
    )
    assert (context.lang, str(context.locale), context.do_not_translate) == (
        "pt-BR", "pt_BR", ("MedTravellers",)
    )  # fmt: skip
    assert context.coverage is coverage and str(context.source_locale) == "de"
    default = CheckContext.for_language("bn")
    assert isinstance(default.coverage, FontCoverage)
    assert default.coverage.families == print_stack("bn").families


def test_figures_of_the_source_are_read_the_source_languages_way() -> None:
    """A German source's "1,5" is one and a half."""
    context = CheckContext(
        "fr", parse_locale("fr"), coverage=None, source_locale=parse_locale("de")
    )
    assert check_figures(Entry("Nehmen Sie 1,5 mg.", "Prenez 1,5 mg."), context) == []


def test_a_url_in_a_code_span_is_a_link_target_too() -> None:
    entry = Entry("Open `https://a.example/x` now.", "Ouvrez `code`.")
    assert check_links(entry, ctx("fr")) == [
        ("error", "links differ: missing link https://a.example/x")
    ]


def test_a_bare_url_ends_where_its_line_ends() -> None:
    entry = Entry("See https://a.example/x\nnow.", "Voir https://a.example/x maintenant.")
    assert check_links(entry, ctx("fr")) == []


def test_an_escaped_percent_sign_is_no_placeholder() -> None:
    assert check_placeholders(Entry("100%% sure", "sûr à 100 %"), ctx("fr")) == []


def test_a_word_with_digits_doubled_is_a_doubled_word() -> None:
    problems = check_doubled_word(Entry("The A320 leaves.", "Le A320 A320 part."), ctx("fr"))
    assert problems == [("warning", "doubled word: a320")]


def test_two_languages_with_the_same_catalog_bytes_are_judged_apart() -> None:
    from pipeline.build.gating import gate_key
    from pipeline.build.inputs import Inputs

    inputs = Inputs(
        {"source/a.md": "s"},
        {("fr", "a"): "same", ("fr", "ui"): "ui", ("it", "a"): "same", ("it", "ui"): "ui"},
        "code", "fonts", "config",
    )  # fmt: skip
    assert gate_key(inputs, "source/a.md", "a", "fr") != gate_key(inputs, "source/a.md", "a", "it")


@pytest.mark.parametrize(
    "path", ["../victim.html", "fr/../x.pdf", "/x.html", "fr/.x.pdf", "fr/a/b.pdf", "fr/a.txt"]
)
def test_a_manifest_path_a_build_never_writes_is_no_target(path: str) -> None:
    from pipeline.layout import parse_target_path

    assert parse_target_path(path) is None
    assert parse_target_path("pt-BR/stem-cells.pdf") == ("pt-BR", "stem-cells", "pdf")
