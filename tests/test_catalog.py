"""The gettext life cycle in memory: templates, merge, writing, statistics, reading errors."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from helpers import REAL_ARTICLE, msgfmt_check

import pipeline.catalog as catalog_module
from pipeline.catalog import article_template, catalog_stats, critical_ui_keys, init_catalog
from pipeline.errors import CatalogError
from pipeline.markdown import parse_article
from pipeline.msgmerge import FUZZY_THRESHOLD, merge, similarity
from pipeline.pofile import po_bytes, read_catalog, write_if_changed
from pipeline.workspace import template_files

DATE = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
LATER = datetime(2025, 6, 7, 8, 9, tzinfo=UTC)
PO_NAME = "locale/fr/LC_MESSAGES/demo.po"

ARTICLE = """\
---
title: Stem cells and stroke
slug: demo
lang: en
description: A short article.
publisher: Test Press
references:
  - title: A study of stem cells
    url: https://example.org/study
---

## How long after a stroke can stem cell therapy be considered?

Treatment can be considered at various stages after the stroke.

<!-- critical -->
Take the dose that your doctor prescribes.

<!-- msgctxt: button -->
Continue
"""


def template(*entries: str | tuple[str, str], date: datetime = DATE) -> Catalog:
    catalog = Catalog(project="demo", creation_date=date, fuzzy=False, charset="utf-8")
    for number, entry in enumerate(entries, 1):
        msgid, context = entry if isinstance(entry, tuple) else (entry, None)
        catalog.add(msgid, locations=[("source/demo.md", number)], context=context)
    return catalog


def translated(tmpl: Catalog, strings: dict[str, str], lang: str = "fr") -> Catalog:
    catalog = init_catalog(tmpl, lang, date=DATE)
    for message in catalog:
        if message.id in strings:
            message.string = strings[message.id]
    return catalog


def active(catalog: Catalog) -> dict[str, tuple[str, bool, list[str]]]:
    return {str(m.id): (str(m.string or ""), m.fuzzy, list(m.previous_id)) for m in catalog if m.id}


def obsolete(catalog: Catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog.obsolete.values()}


# --- templates ------------------------------------------------------------------------------


def test_article_template_comments_and_locations() -> None:
    article = parse_article(ARTICLE, "source/demo.md")
    pot = article_template(article, date=DATE)
    entries = [(str(m.id), m.context, m.auto_comments, m.locations) for m in pot if m.id]
    assert entries == [
        ("Stem cells and stroke", None, ["title"], [("source/demo.md", 2)]),
        ("A short article.", None, ["description"], [("source/demo.md", 5)]),
        (
            "How long after a stroke can stem cell therapy be considered?",
            None,
            ["heading"],
            [("source/demo.md", 12)],
        ),
        (
            "Treatment can be considered at various stages after the stroke.",
            None,
            ["paragraph"],
            [("source/demo.md", 14)],
        ),
        (
            "Take the dose that your doctor prescribes.",
            None,
            ["paragraph (critical)"],
            [("source/demo.md", 17)],
        ),
        ("Continue", "button", ["paragraph"], [("source/demo.md", 20)]),
        ("A study of stem cells", None, ["reference title (critical)"], [("source/demo.md", 8)]),
    ]
    text = po_bytes(pot).decode("utf-8")
    assert "#. heading\n#: source/demo.md:12\nmsgid " in text
    assert '#. paragraph\n#: source/demo.md:20\nmsgctxt "button"\nmsgid "Continue"' in text
    assert '"POT-Creation-Date: 2024-01-02 03:04+0000\\n"' in text
    assert pot.project == "Test Press demo"


def test_real_article_template_has_every_unit() -> None:
    article = parse_article(REAL_ARTICLE.read_text(encoding="utf-8"), "source/real.md")
    pot = article_template(article, date=DATE)
    keys = {(str(m.id), m.context) for m in pot if m.id}
    assert keys == {u.key for u in article.units()}
    for message in pot:
        if message.id:
            assert message.auto_comments, message.id
            assert all(path == "source/real.md" and line > 0 for path, line in message.locations)


# --- merge ----------------------------------------------------------------------------------

OLD_Q = "How long after a stroke can stem cell therapy be considered?"
OLD_Q_FR = "Combien de temps après un AVC envisager la thérapie cellulaire ?"
NEW_Q = "How soon after a stroke can stem cell therapy be considered?"
UNRELATED = "Who is a good candidate for stem cell therapy after a stroke?"
KEEP = "Treatment can be considered at various stages after the stroke."
KEEP_FR = "Le traitement peut être envisagé à différents stades après l'AVC."


def test_merge_unchanged_keeps_translation() -> None:
    old = translated(template(KEEP, OLD_Q), {KEEP: KEEP_FR, OLD_Q: OLD_Q_FR})
    merged = merge(old, template(KEEP, OLD_Q, date=LATER))
    assert active(merged) == {KEEP: (KEEP_FR, False, []), OLD_Q: (OLD_Q_FR, False, [])}
    assert obsolete(merged) == {}
    assert merged.creation_date == LATER
    assert merged.locale is not None and str(merged.locale) == "fr"


def test_merge_changed_string_becomes_fuzzy_with_previous() -> None:
    old = translated(template(KEEP, OLD_Q), {KEEP: KEEP_FR, OLD_Q: OLD_Q_FR})
    merged = merge(old, template(KEEP, NEW_Q))
    assert active(merged) == {
        KEEP: (KEEP_FR, False, []),
        NEW_Q: (OLD_Q_FR, True, [OLD_Q]),
    }
    text = po_bytes(merged).decode("utf-8")
    assert f'#, fuzzy\n#| msgid "{OLD_Q}"\nmsgid "{NEW_Q}"\nmsgstr "{OLD_Q_FR}"' in text
    # The old translation is also kept, obsolete, under its own msgid.
    assert obsolete(merged) == {OLD_Q: OLD_Q_FR}


def test_similarity_of_realistic_pairs() -> None:
    assert similarity(OLD_Q, UNRELATED) < FUZZY_THRESHOLD
    assert similarity(OLD_Q, NEW_Q) >= FUZZY_THRESHOLD
    assert similarity(KEEP, KEEP) == 1.0
    assert similarity("alpha beta", "gamma delta") == 0.0


def test_merge_unrelated_new_string_is_not_fuzzy() -> None:
    old = translated(template(KEEP, OLD_Q), {KEEP: KEEP_FR, OLD_Q: OLD_Q_FR})
    merged = merge(old, template(KEEP, UNRELATED))
    assert active(merged)[UNRELATED] == ("", False, [])
    assert obsolete(merged) == {OLD_Q: OLD_Q_FR}


def _real_units() -> list[str]:
    article = parse_article(REAL_ARTICLE.read_text(encoding="utf-8"), "source/real.md")
    body = [u.msgid for u in article.units() if u.comment != "reference title"]
    return list(dict.fromkeys(body))


def test_threshold_separates_unrelated_units_of_the_real_article() -> None:
    """No two different body strings of the real article are close enough to be paired."""
    units = _real_units()
    too_close = [
        (a[:40], b[:40], round(similarity(a, b), 2))
        for a, b in combinations(units, 2)
        if similarity(a, b) >= FUZZY_THRESHOLD
    ]
    assert too_close == []


def test_one_word_edit_of_every_real_unit_gets_fuzzy_match() -> None:
    """Replace one word of every unit with three or more words: merge offers the old one."""
    units = [u for u in _real_units() if len(u.split()) >= 3]
    old = translated(template(*units), {u: f"FR {u}" for u in units})
    edited = []
    for unit in units:
        words = unit.split()
        words[len(words) // 2] = "zzzz"
        edited.append(" ".join(words))
    merged = merge(old, template(*edited))
    for before, after in zip(units, edited, strict=True):
        message = merged.get(after)
        assert message is not None
        assert (message.string, message.fuzzy, message.previous_id) == (
            f"FR {before}",
            True,
            [before],
        ), before


def test_adding_a_link_still_offers_fuzzy_match() -> None:
    before = "See the study for details."
    after = "See the [study](https://pubmed.ncbi.nlm.nih.gov/31537484/) for details."
    assert similarity(before, after) >= FUZZY_THRESHOLD
    merged = merge(translated(template(before), {before: "Voir l'étude."}), template(after))
    assert active(merged)[after] == ("Voir l'étude.", True, [before])


def test_fuzzy_match_respects_context() -> None:
    old = translated(template((OLD_Q, "faq")), {OLD_Q: OLD_Q_FR})
    merged = merge(old, template(NEW_Q))
    assert active(merged)[NEW_Q] == ("", False, [])
    same = merge(old, template((NEW_Q, "faq")))
    message = same.get(NEW_Q, context="faq")
    assert message is not None and message.fuzzy and message.string == OLD_Q_FR


def test_merge_removed_translated_string_becomes_obsolete() -> None:
    old = translated(
        template(KEEP, OLD_Q, "Untranslated line here"), {KEEP: KEEP_FR, OLD_Q: OLD_Q_FR}
    )
    merged = merge(old, template(KEEP))
    assert list(active(merged)) == [KEEP]
    assert obsolete(merged) == {OLD_Q: OLD_Q_FR}
    text = po_bytes(merged).decode("utf-8")
    assert f'#~ msgid "{OLD_Q}"\n#~ msgstr "{OLD_Q_FR}"' in text
    assert "Untranslated line here" not in text


def test_obsolete_string_that_returns_is_restored_not_fuzzy() -> None:
    old = translated(template(KEEP, OLD_Q), {KEEP: KEEP_FR, OLD_Q: OLD_Q_FR})
    without = merge(old, template(KEEP))
    # Through the file, as the workflow does.
    reread = read_catalog(po_bytes(without), PO_NAME, locale="fr")
    assert obsolete(reread) == {OLD_Q: OLD_Q_FR}
    back = merge(reread, template(KEEP, OLD_Q))
    assert active(back) == {KEEP: (KEEP_FR, False, []), OLD_Q: (OLD_Q_FR, False, [])}
    assert obsolete(back) == {}


def test_obsolete_with_context_returns() -> None:
    old = translated(template((OLD_Q, "faq")), {OLD_Q: OLD_Q_FR})
    reread = read_catalog(po_bytes(merge(old, template(KEEP))), PO_NAME, locale="fr")
    back = merge(reread, template((OLD_Q, "faq")))
    message = back.get(OLD_Q, context="faq")
    assert message is not None
    assert (message.string, message.fuzzy) == (OLD_Q_FR, False)


def test_merge_keeps_fuzzy_flag_and_translator_comments() -> None:
    old = translated(template(KEEP), {KEEP: KEEP_FR})
    message = old.get(KEEP)
    assert message is not None
    message.flags.add("fuzzy")
    message.user_comments = ["checked by Marie"]
    merged = merge(old, template(KEEP))
    kept = merged.get(KEEP)
    assert kept is not None
    assert (kept.string, kept.fuzzy, kept.user_comments) == (KEEP_FR, True, ["checked by Marie"])


def test_previous_msgid_survives_a_po_round_trip() -> None:
    old = translated(template(OLD_Q), {OLD_Q: OLD_Q_FR})
    merged = merge(old, template(NEW_Q))
    reread = read_catalog(po_bytes(merged), PO_NAME, locale="fr")
    message = reread.get(NEW_Q)
    assert message is not None
    assert message.fuzzy
    assert message.user_comments == []
    assert list(message.previous_id) == [OLD_Q]


# --- writing --------------------------------------------------------------------------------


def test_write_if_changed(tmp_path: Path) -> None:
    path = tmp_path / "locale" / "demo.pot"
    first = po_bytes(template(KEEP, date=DATE))
    assert write_if_changed(path, first) is True
    assert path.read_bytes() == first
    later = po_bytes(template(KEEP, date=LATER))
    assert later != first
    assert write_if_changed(path, later) is False
    assert path.read_bytes() == first
    changed = po_bytes(template(KEEP, OLD_Q, date=LATER))
    assert write_if_changed(path, changed) is True
    assert path.read_bytes() == changed
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.pot"]


def test_write_if_changed_ignores_revision_date_only(tmp_path: Path) -> None:
    path = tmp_path / "fr.po"
    catalog = translated(template(KEEP), {KEEP: KEEP_FR})
    write_if_changed(path, po_bytes(catalog))
    catalog.revision_date = LATER
    assert write_if_changed(path, po_bytes(catalog)) is False
    message = catalog.get(KEEP)
    assert message is not None
    message.string = "Autre traduction"
    assert write_if_changed(path, po_bytes(catalog)) is True


def test_merged_po_passes_msgfmt_check(tmp_path: Path) -> None:
    old = translated(
        template(KEEP, OLD_Q, "Removed sentence here", ("Continue", "button")),
        {KEEP: KEEP_FR, OLD_Q: OLD_Q_FR, "Removed sentence here": "Phrase supprimée ici"},
    )
    merged = merge(old, template(KEEP, NEW_Q, UNRELATED, ("Continue", "button")))
    assert {m.fuzzy for m in merged if m.id} == {True, False}
    assert merged.obsolete
    path = tmp_path / "fr.po"
    path.write_bytes(po_bytes(merged))
    result = msgfmt_check(path)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr


def test_template_passes_msgfmt_check(tmp_path: Path) -> None:
    article = parse_article(REAL_ARTICLE.read_text(encoding="utf-8"), "source/real.md")
    path = tmp_path / "real.pot"
    path.write_bytes(po_bytes(article_template(article, date=DATE)))
    result = msgfmt_check(path)
    assert result.returncode == 0, result.stderr


# --- statistics -----------------------------------------------------------------------------


def test_catalog_stats_counts_and_words() -> None:
    tmpl = template(
        "One two three", "Four **five**", "Six [seven](https://x.example/) eight", "Nine"
    )
    catalog = translated(tmpl, {"One two three": "Un deux trois", "Four **five**": "Quatre cinq"})
    fuzzy = catalog.get("Four **five**")
    assert fuzzy is not None
    fuzzy.flags.add("fuzzy")
    stats = catalog_stats(catalog, "fr", "demo")
    assert (stats.translated, stats.fuzzy, stats.untranslated) == (1, 1, 2)
    assert (stats.words, stats.translated_words) == (3 + 2 + 3 + 1, 3)
    assert stats.total == 4
    assert stats.percent == 25.0
    assert stats.as_dict() == {
        "lang": "fr",
        "domain": "demo",
        "translated": 1,
        "fuzzy": 1,
        "untranslated": 2,
        "words": 9,
        "translated_words": 3,
        "reviewed": 0,
        "reviewed_words": 0,
        "total": 4,
        "percent": 25.0,
    }


def test_catalog_stats_ignores_obsolete_and_empty_is_complete() -> None:
    old = translated(template(KEEP, OLD_Q), {KEEP: KEEP_FR, OLD_Q: OLD_Q_FR})
    merged = merge(old, template(KEEP))
    stats = catalog_stats(merged, "fr", "demo")
    assert (stats.translated, stats.fuzzy, stats.untranslated, stats.total) == (1, 0, 0, 1)
    empty = catalog_stats(init_catalog(template(), "fr", date=DATE), "fr", "ui")
    assert (empty.total, empty.percent) == (0, 100.0)


# --- reading --------------------------------------------------------------------------------

HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'


def test_read_catalog_round_trip() -> None:
    catalog = translated(template(KEEP, ("Continue", "button")), {KEEP: KEEP_FR})
    reread = read_catalog(po_bytes(catalog), PO_NAME, locale="fr")
    assert active(reread) == active(catalog)
    assert str(reread.locale) == "fr"


def test_read_catalog_syntax_error_names_the_file() -> None:
    text = HEADER + 'msgid "Hello"\nmsgstr "Bonjour"\nbogus line\n'
    with pytest.raises(CatalogError) as info:
        read_catalog(text, PO_NAME)
    assert info.value.path == PO_NAME
    assert str(info.value).startswith(f"{PO_NAME}:")


def test_read_catalog_syntax_error_names_the_right_line() -> None:
    text = HEADER + 'msgid "Hello"\nmsgstr "Bonjour"\nbogus line\n'
    assert text.splitlines()[6] == "bogus line"  # line 7
    with pytest.raises(CatalogError) as info:
        read_catalog(text, PO_NAME)
    assert info.value.line == 7
    assert str(info.value).startswith(f"{PO_NAME}:7: ")


def test_read_catalog_unterminated_string_is_an_error() -> None:
    text = HEADER + 'msgid "Hello"\nmsgstr "unterminated\n'
    assert text.splitlines()[5] == 'msgstr "unterminated'  # line 6
    with pytest.raises(CatalogError) as info:
        read_catalog(text, PO_NAME)
    assert (info.value.path, info.value.line) == (PO_NAME, 6)


def test_read_catalog_not_utf8() -> None:
    with pytest.raises(CatalogError) as info:
        read_catalog(HEADER.encode() + b'msgid "Hello"\nmsgstr "\xff\xfe"\n', PO_NAME)
    assert info.value.path == PO_NAME


def test_long_previous_msgid_is_written_as_a_po_string_and_read_back(tmp_path: Path) -> None:
    """Babel wraps ``#| msgid`` as prose, splitting its quoted strings; ours must not."""
    old_text = " ".join(["Stem cell therapy supports recovery after a stroke"] * 3) + "."
    new_text = old_text.replace("supports", "may support", 1)
    old = translated(template(old_text), {old_text: "La thérapie cellulaire aide."})
    merged = merge(old, template(new_text))
    data = po_bytes(merged)
    previous = [line for line in data.decode().splitlines() if line.startswith("#|")]
    assert len(previous) > 1 and all(line.endswith('"') for line in previous)
    again = read_catalog(data, "fr.po")
    message = again.get(new_text)
    assert message is not None and message.previous_id == [old_text]
    assert po_bytes(merge(again, template(new_text))) == data
    path = tmp_path / "fr.po"
    path.write_bytes(data)
    assert msgfmt_check(path).returncode == 0


# --- the merge's edges (found by mutation testing) ---------------------------------------------


def test_merge_keeps_the_catalogs_language_header_comment_and_fuzzy_header() -> None:
    old = translated(template(KEEP), {KEEP: KEEP_FR})
    old.header_comment = "# French translation of demo.\n# Claire, 2026."
    old.fuzzy = True
    merged = merge(old, template(KEEP))
    assert str(merged.locale) == "fr"
    assert merged.header_comment == old.header_comment
    assert merged.fuzzy is True
    old.fuzzy = False
    assert merge(old, template(KEEP)).fuzzy is False


def test_a_string_still_in_the_template_is_not_offered_as_fuzzy_for_another() -> None:
    """Only strings that left the template lend their translation to a changed one."""
    base = "Take the dose that your doctor prescribes"
    old = translated(template(base), {base: "Prenez la dose que votre médecin prescrit"})
    merged = merge(old, template(base, base + " today"))
    assert active(merged)[base + " today"] == ("", False, [])


def test_merge_adds_the_templates_flags_to_the_translators_flags() -> None:
    msgid = "Published by %(publisher)s"
    old = translated(template(msgid), {msgid: "Publié par %(publisher)s"})
    old_message = old.get(msgid)
    assert old_message is not None
    old_message.flags = {"fuzzy"}
    merged = merge(old, template(msgid))
    message = merged.get(msgid)
    assert message is not None
    assert message.flags == {"fuzzy", "python-format"}


def test_a_candidate_in_another_context_does_not_stop_the_search() -> None:
    old_text = "How long after a stroke can the therapy start"
    old = translated(template((old_text, "faq"), old_text), {old_text: "Combien de temps"})
    old_plain = old.get(old_text)
    assert old_plain is not None and old_plain.string
    merged = merge(old, template(old_text + " now"))
    assert active(merged)[old_text + " now"] == ("Combien de temps", True, [old_text])


def test_a_similarity_of_exactly_the_threshold_is_enough() -> None:
    old_text, new_text = "stem cell therapy", "stem cell therapy for stroke recovery patients"
    assert similarity(old_text, new_text) == FUZZY_THRESHOLD
    merged = merge(translated(template(old_text), {old_text: "thérapie"}), template(new_text))
    assert active(merged)[new_text] == ("thérapie", True, [old_text])


def test_the_templates_critical_messages_are_parsed_once_whatever_order_they_come_in() -> None:
    """The gate lists the templates sorted, the renderer as the folder gives them: one parse."""
    listed = template_files()
    catalog_module._critical_keys.cache_clear()
    first = critical_ui_keys(listed)
    again = critical_ui_keys(list(reversed(listed)))
    assert first == again and first  # the medical disclaimer, at least
    assert catalog_module._critical_keys.cache_info().misses == 1
