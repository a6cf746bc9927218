"""Catalogs that GNU gettext, Poedit and git leave alone, and plural forms gettext evaluates.

Every test here runs the real GNU tools (msgcat, msgfmt, ngettext) or real git.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from babel import Locale
from babel.localedata import locale_identifiers
from helpers import ROOT, SLUG, copy_project, run

from pipeline.catalog import article_template, init_catalog, init_header, update_header
from pipeline.checks import CheckContext, check_catalog
from pipeline.errors import CatalogError, ConfigError
from pipeline.markdown import parse_article
from pipeline.msgmerge import merge
from pipeline.plurals import CLDR_ORDER, SAMPLES, cldr_plural_forms, parse_plural_forms
from pipeline.pofile import po_bytes, read_catalog, read_header
from pipeline.project import language_tag

SHIPPED_PO = sorted(ROOT.glob("locale/*/LC_MESSAGES/*.po"))
SHIPPED = sorted(ROOT.glob("locale/*.pot")) + SHIPPED_PO
LANGUAGES = ["fr", "ru", "ar", "bn", "fa", "pl", "cs", "ga", "cy", "lt", "sl", "ja", "pt", "he"]


def msgcat(data: bytes) -> bytes:
    return subprocess.run(["msgcat", "-"], input=data, capture_output=True, check=True).stdout


# --- layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_msgcat_leaves_every_shipped_catalog_byte_identical(path: Path) -> None:
    data = path.read_bytes()
    assert msgcat(data) == data


def test_written_catalog_is_what_msgcat_writes() -> None:
    """Long strings, multi-line strings, references and previous msgids wrapped as GNU does."""
    template = article_template(
        parse_article((ROOT / "source" / f"{SLUG}.md").read_text("utf-8"), f"source/{SLUG}.md")
    )
    catalog = init_catalog(template, "fr")
    first = next(m for m in catalog if m.id and len(str(m.id)) > 100)
    first.string = "Une traduction\nsur deux lignes, " + "très longue " * 12
    first.flags.add("fuzzy")
    first.previous_id = ["Une ancienne phrase source " * 6]
    data = po_bytes(catalog, init_header(catalog), format_flags=False)
    assert msgcat(data) == data
    assert max(len(line) for line in data.decode().splitlines()) <= 79
    assert '#| msgid "' in data.decode()


def test_po_editors_keep_weblate_flags_gnu_drops() -> None:
    catalog = init_catalog(article_template(parse_article(_ARTICLE, "source/x.md")), "fr")
    message = next(m for m in catalog if m.id)
    message.flags.add("ignore-end-punctuation")
    data = po_bytes(catalog, init_header(catalog), format_flags=False).decode()
    assert "#, ignore-end-punctuation\n" in data


# --- headers ----------------------------------------------------------------------------------


_ARTICLE = """\
---
title: A title
slug: x
lang: en
description: One line.
publisher: Press
references: []
---

About 80% reported better walking.
"""


def test_update_keeps_header_fields_it_does_not_own() -> None:
    template = article_template(parse_article(_ARTICLE, "source/x.md"))
    catalog = init_catalog(template, "fr")
    header = [
        *init_header(catalog),
        ("X-Generator", "Poedit 3.4.2"),
        ("X-Poedit-SourceCharset", "UTF-8"),
        ("Generated-By", "Babel 2.18.0"),
    ]
    header = [(k, "Claire <c@x.example>" if k == "Last-Translator" else v) for k, v in header]
    data = po_bytes(catalog, header, format_flags=False)
    again = read_catalog(data, "fr.po", locale="fr")
    merged = merge(again, template)
    written = po_bytes(merged, update_header(read_header(data), template), format_flags=False)
    fields = dict(read_header(written))
    assert fields["X-Generator"] == "Poedit 3.4.2"
    assert fields["X-Poedit-SourceCharset"] == "UTF-8"
    assert fields["Generated-By"] == "Babel 2.18.0"
    assert fields["Last-Translator"] == "Claire <c@x.example>"


def test_article_text_with_percent_is_marked_no_python_format() -> None:
    catalog = init_catalog(article_template(parse_article(_ARTICLE, "source/x.md")), "fr")
    text = po_bytes(catalog, init_header(catalog), format_flags=False).decode()
    entry = text.split("About 80%")[0].rsplit("\n\n", 1)[1]
    assert "#, no-python-format" in entry
    assert "python-format" not in entry.replace("no-python-format", "")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def test_extract_and_update_write_nothing_on_an_unchanged_tree(project: Path) -> None:
    files = sorted([*project.glob("locale/*.pot"), *project.glob("locale/*/LC_MESSAGES/*.po")])
    for path in files:
        text = path.read_text("utf-8")
        text = re.sub(r'"Generated-By: [^"]*"', '"Generated-By: Some Tool 99.1\\\\n"', text)
        if "Generated-By" not in text:
            text = text.replace('"MIME-Version', '"Generated-By: Some Tool 99.1\\n"\n"MIME-Version')
        path.write_text(text, "utf-8")
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files}
    for verb in ("extract", "update"):
        done = run(project, verb, env={**os.environ, "SOURCE_DATE_EPOCH": "1900000000"})
        assert done.returncode == 0, done.stderr
        assert "updated" not in done.stdout and "created" not in done.stdout
    assert before == {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files}


def test_template_references_are_project_relative_from_any_folder(
    project: Path, tmp_path: Path
) -> None:
    """The package lives outside the project here (as when installed from a wheel)."""
    (project / "locale" / "ui.pot").unlink()
    assert run(project, "extract").returncode == 0
    refs = [o for e in polib.pofile(str(project / "locale" / "ui.pot")) for o, _ in e.occurrences]
    assert refs and all(ref.startswith("pipeline/templates/") for ref in refs), refs


# --- plural forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_agree_with_cldr_as_gnu_gettext_evaluates_them(
    lang: str, tmp_path: Path
) -> None:
    """Compile a plural message with msgfmt and ask GNU ngettext which form each n gets."""
    locale = Locale.parse(lang)
    forms = cldr_plural_forms(locale)
    po = tmp_path / "locale" / lang / "LC_MESSAGES" / "t.po"
    po.parent.mkdir(parents=True)
    strings = "\n".join(f'msgstr[{i}] "form{i}"' for i in range(forms.nplurals))
    po.write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        f'"Plural-Forms: {forms.header}\\n"\n\nmsgid "one"\nmsgid_plural "many"\n{strings}\n',
        "utf-8",
    )
    subprocess.run(["msgfmt", "--check", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    numbers = [0, 1, 2, 3, 5, 11, 12, 21, 22, 25, 101, 102, 111, 1000, 1000000, 2000000]
    env = {"TEXTDOMAINDIR": str(tmp_path / "locale"), "LANGUAGE": lang, "LC_ALL": "C.UTF-8"}
    for n in numbers:
        got = subprocess.run(
            ["ngettext", "-d", "t", "one", "many", str(n)],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            check=True,
        ).stdout
        expected = ("zero", "one", "two", "few", "many", "other")
        reached = [t for t in expected if any(locale.plural_form(k) == t for k in SAMPLES)]
        tag = locale.plural_form(n)
        assert got == f"form{reached.index(tag) if tag in reached else forms.nplurals - 1}", n


@pytest.mark.parametrize(
    "lang", [*LANGUAGES, "lv", "ro", "mt", "br", "gd", "kw", "uk", "sr", "hr", "is", "mk", "zh"]
)
def test_plural_expression_sends_every_sample_to_its_cldr_category(lang: str) -> None:
    locale = Locale.parse(lang)
    forms = cldr_plural_forms(locale)
    reached = [t for t in CLDR_ORDER if any(locale.plural_form(n) == t for n in SAMPLES)]
    for n in SAMPLES:
        tag = locale.plural_form(n)
        assert forms.index(n) == reached.index(tag), (lang, n, tag)


def test_russian_drops_the_fraction_only_category() -> None:
    forms = cldr_plural_forms(Locale.parse("ru"))
    assert forms.nplurals == 3
    gnu = parse_plural_forms(
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    )
    assert forms.same_as(gnu)


def test_arabic_follows_cldr_not_babels_table() -> None:
    forms = cldr_plural_forms(Locale.parse("ar"))
    assert forms.nplurals == 6
    assert [forms.index(n) for n in (0, 1, 2, 3, 11, 99, 100, 102)] == [0, 1, 2, 3, 4, 4, 5, 5]


@pytest.mark.parametrize("path", SHIPPED_PO, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_catalogs_carry_cldr_plural_forms(path: Path) -> None:
    lang = path.parts[-3]
    declared = parse_plural_forms(dict(read_header(path.read_bytes()))["Plural-Forms"])
    assert declared.same_as(cldr_plural_forms(Locale.parse(lang)))


def _catalog_with(plural_forms: str, forms: int) -> bytes:
    strings = "\n".join(f'msgstr[{i}] "fichiers"' for i in range(forms))
    return (
        f'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        f'"Plural-Forms: {plural_forms}\\n"\n\nmsgid "a file"\nmsgid_plural "files"\n{strings}\n'
    ).encode()


def test_check_warns_on_plural_forms_other_than_cldr() -> None:
    context = CheckContext.for_language("fr", coverage=lambda _: True)
    gnu_french = _catalog_with("nplurals=2; plural=(n > 1);", 2)
    findings = check_catalog(
        read_catalog(gnu_french, "fr.po"), lang="fr", domain="d", path="fr.po", context=context
    )
    assert [(f.check, f.severity) for f in findings] == [("plural-forms", "warning")]
    cldr = _catalog_with(cldr_plural_forms(Locale.parse("fr")).header, 3)
    findings = check_catalog(
        read_catalog(cldr, "fr.po"), lang="fr", domain="d", path="fr.po", context=context
    )
    assert findings == []


@pytest.mark.parametrize("forms", [1, 3])
def test_msgstr_forms_other_than_nplurals_are_refused_at_the_entry(forms: int) -> None:
    with pytest.raises(CatalogError) as error:
        read_catalog(_catalog_with("nplurals=2; plural=(n > 1);", forms), "fr.po")
    assert str(error.value).startswith("fr.po:7: ")


# --- language codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "tag"),
    [("pt_br", "pt-BR"), ("PT-br", "pt-BR"), ("zh-Hans", "zh-Hans"), ("zh_hans", "zh-Hans"),
     ("FR", "fr"), ("sr_Latn", "sr-Latn"), ("es-419", "es-419")],
)  # fmt: skip
def test_language_spellings_are_normalised(spelling: str, tag: str) -> None:
    assert language_tag(spelling, source_language="en") == tag


@pytest.mark.parametrize(
    "spelling", ["en", "EN", "C", "POSIX", "und", "de_DE.UTF-8", "sr@latin", "xx", "iw", "en_XA",
                 "fr-FR-x-private", "", "fr/../x"],
)  # fmt: skip
def test_unpublishable_languages_are_refused_with_one_line(spelling: str) -> None:
    with pytest.raises(ConfigError) as error:
        language_tag(spelling, source_language="en")
    assert "\n" not in str(error.value)


def test_init_uses_the_normalised_folder_header_and_page_language(project: Path) -> None:
    done = run(project, "init", "PT_br")
    assert done.returncode == 0, done.stderr
    po = project / "locale" / "pt_BR" / "LC_MESSAGES" / f"{SLUG}.po"
    assert dict(read_header(po.read_bytes()))["Language"] == "pt_BR"
    refused = run(project, "init", "de_DE.UTF-8")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "encoding" in refused.stderr
    assert not (project / "locale" / "de_DE.UTF-8").exists()


def test_a_locale_folder_that_is_no_language_is_refused(project: Path) -> None:
    shutil.copytree(project / "locale" / "fr", project / "locale" / "fr_FR@evil")
    done = run(project, "stats")
    assert done.returncode == 2
    assert "locale/fr_FR@evil" in done.stderr


# --- the merge driver -------------------------------------------------------------------------


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x.example",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x.example",
    }
    return subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=check
    )


def _translate(path: Path, needle: str, text: str, date: str) -> None:
    po = polib.pofile(str(path), wrapwidth=79)
    entry = next(e for e in po if needle in e.msgid)
    entry.msgstr = text
    po.metadata["PO-Revision-Date"] = date
    po.save()
    path.write_bytes(msgcat(path.read_bytes()))  # as Poedit saves it


def _two_translators(project: Path, driver: bool) -> subprocess.CompletedProcess[str]:
    shutil.copy2(ROOT / ".gitattributes", project / ".gitattributes")
    git(project, "init", "-q", "-b", "main")
    if driver:
        pipeline = str(Path(sys.executable).parent / "pipeline")
        git(project, "config", "merge.pipeline-po.driver", f"{pipeline} merge-po %O %A %B %P")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "start")
    fr = f"locale/fr/LC_MESSAGES/{SLUG}.po"
    git(project, "checkout", "-qb", "french")
    _translate(project / fr, "According to a specialist", "NOUVELLE", "2030-01-01 10:00+0000")
    git(project, "commit", "-qam", "fr")
    git(project, "checkout", "-q", "main")
    article = project / "source" / f"{SLUG}.md"
    article.write_text(
        article.read_text("utf-8").replace("neuroinflammation", "brain inflammation"), "utf-8"
    )
    done = run(project, "update", env={**os.environ, "SOURCE_DATE_EPOCH": "1900000000"})
    assert done.returncode == 0, done.stderr
    git(project, "commit", "-qam", "source changed")
    return git(project, "merge", "-q", "--no-edit", "french", check=False)


def test_without_the_merge_driver_git_conflicts_on_the_header(project: Path) -> None:
    assert _two_translators(project, driver=False).returncode != 0


def test_merge_driver_merges_translators_and_source_changes_without_conflict(
    project: Path,
) -> None:
    merged = _two_translators(project, driver=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    po = polib.pofile(str(project / f"locale/fr/LC_MESSAGES/{SLUG}.po"))
    assert next(e for e in po if "According to a specialist" in e.msgid).msgstr == "NOUVELLE"
    assert any(e.previous_msgid and "neuroinflammation" in e.previous_msgid for e in po)
    assert po.metadata["PO-Revision-Date"] == "2030-01-01 10:00+0000"
    assert po.metadata["POT-Creation-Date"].startswith("2030-03-17")
    before = polib.pofile(str(ROOT / f"locale/fr/LC_MESSAGES/{SLUG}.po"))
    replaced = next(e for e in before if "According to a specialist" in e.msgid).msgstr
    kept = {e.msgstr for e in po}
    assert [e.msgid for e in before if e.msgstr not in (kept | {replaced})] == []
    assert (
        msgcat((project / f"locale/fr/LC_MESSAGES/{SLUG}.po").read_bytes())
        == (project / f"locale/fr/LC_MESSAGES/{SLUG}.po").read_bytes()
    )


def test_every_plural_rule_babel_ships_gives_every_sample_its_cldr_category() -> None:
    """All of CLDR's rules (each distinct one once), not only the languages above."""
    rules: dict[tuple[tuple[str, str], ...], Locale] = {}
    for identifier in locale_identifiers():
        locale = Locale.parse(identifier)
        rules.setdefault(tuple(sorted(locale.plural_form.rules.items())), locale)
    assert len(rules) > 30  # 39 in the locked Babel
    for locale in rules.values():
        forms = cldr_plural_forms(locale)
        categories = [locale.plural_form(n) for n in SAMPLES]
        reached = [t for t in CLDR_ORDER if t in categories]
        assert forms.nplurals == len(reached), locale
        for n, tag in zip(SAMPLES, categories, strict=True):
            assert forms.index(n) == reached.index(tag), (str(locale), n, tag)
