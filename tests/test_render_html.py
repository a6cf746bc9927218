"""Web pages, index and sitemap, checked as a browser sees them (headless Chromium)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest
from helpers import CatalogFactory, SampleLocalized, published_images, write_published_images

from pipeline.article import Article
from pipeline.layout import page_path, pdf_path
from pipeline.project import Config
from pipeline.render.environment import environment_for
from pipeline.render.html import render_index, render_page, render_sitemap
from pipeline.render.l10n import format_size, language_name, numbering_system
from pipeline.render.site import Site, make_site, relative_url
from pipeline.translate import (
    LocalizedArticle,
    gettext_translations,
    pseudo_localize,
    translate,
)

HOSTILE = (
    "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> "
    "[y](https://evil.example)"
)
PDF_SIZE = 312_345


# --- pure parts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("here", "there", "expected"),
    [
        ("en/a.html", "ar/a.html", "../ar/a.html"),
        ("en/a.html", "en/a.pdf", "a.pdf"),
        ("en/a.html", "index.html", "../index.html"),
        ("index.html", "bn/a.pdf", "bn/a.pdf"),
        ("ar-XB/a.html", "en/a.html", "../en/a.html"),
    ],
)
def test_relative_url_links_outputs_to_each_other(here: str, there: str, expected: str) -> None:
    assert relative_url(here, there) == expected


def test_file_size_is_formatted_in_the_page_language() -> None:
    assert format_size(PDF_SIZE, "en") == "312 kB"
    assert format_size(1_450_000, "fr") == "1,4\u202fMo"  # narrow no-break space
    assert format_size(PDF_SIZE, "ar") == "٣١٢ كيلوبايت"
    assert format_size(PDF_SIZE, "bn").startswith("৩১২")


def test_numbering_system_comes_from_the_likely_territory() -> None:
    assert numbering_system("ar") == "arab"
    assert numbering_system("fa") == "arabext"
    assert numbering_system("bn") == "beng"
    assert numbering_system("ru") == "latn"
    assert numbering_system("ar-XB") == "latn"


def test_language_names_are_given_in_the_page_language() -> None:
    assert language_name("en", "ar") == "الإنجليزية"
    assert language_name("en", "fr") == "anglais"


def test_untranslated_ui_text_keeps_its_own_language_and_direction(
    make_catalog: CatalogFactory,
) -> None:
    translations = gettext_translations(make_catalog("ar", {"Contents": "المحتويات"}))
    env = environment_for(translations, untranslated_lang="en")
    template = env.from_string(
        '{% from "_ui.html" import ui_block %}'
        '{{ ui_block("h2", _("Contents")) }}{{ ui_block("p", _("Medical disclaimer")) }}'
    )
    assert template.render() == '<h2>المحتويات</h2><p lang="en" dir="ltr">Medical disclaimer</p>'


def test_a_translation_with_wrong_placeholders_falls_back_to_the_msgid(
    make_catalog: CatalogFactory,
) -> None:
    catalog = make_catalog("fr", {"Published by %(publisher)s": "Publié par %(editeur)s"})
    env = environment_for(gettext_translations(catalog))
    rendered = env.from_string('{{ _("Published by %(publisher)s", publisher="X") }}').render()
    assert rendered == "Published by X"


# --- a small site in a temporary folder -----------------------------------------------------


def _site(config: Config, published: list[LocalizedArticle], article: Article) -> Site:
    sizes = {(lang, article.slug): PDF_SIZE for lang in ("en", "ar", "ar-XB")}
    return make_site(
        published,
        site_url=config.site_url,
        source_lang=config.source_language,
        pdf_sizes=sizes,
    )


@pytest.fixture(scope="module")
def output(
    tmp_path_factory: pytest.TempPathFactory,
    config: Config,
    article: Article,
    sample_localized: SampleLocalized,
) -> Path:
    """en and ar pages (ar partly translated), the ar-XB pseudo page, the index, fake PDFs."""
    folder = tmp_path_factory.mktemp("site")
    (en, en_ui), (ar, ar_ui) = sample_localized["en"], sample_localized["ar"]
    images = published_images(article, "ar-XB")
    pseudo = pseudo_localize(article, "ar-XB", source_lang="en", images=images)
    site = _site(config, [en, ar, pseudo], article)
    write_published_images(folder, article, ("en", "ar", "ar-XB"))
    ui = {"en": en_ui, "ar": ar_ui, "ar-XB": en_ui}
    for localized in (en, ar, pseudo):
        target = folder / page_path(localized.lang, article.slug)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render_page(localized, site, ui[localized.lang]))
        (folder / pdf_path(localized.lang, article.slug)).write_bytes(b"%PDF-1.7\n%%EOF\n")
    (folder / "index.html").write_bytes(render_index(site, ui["en"]))
    (folder / "sitemap.xml").write_bytes(render_sitemap(site))
    return folder


class Opened:
    """A page loaded in Chromium, with the console errors and dialogs it produced."""

    def __init__(self, browser: Any, path: Path, *, width: int = 1024) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 800})
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.on("requestfailed", lambda request: self.errors.append(f"failed {request.url}"))
        self.page.goto(path.as_uri())

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def eval(self, script: str) -> Any:
        return self.page.evaluate(script)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Callable[..., Opened]]:
    opened: list[Opened] = []

    def open_(path: Path, **kwargs: int) -> Opened:
        page = Opened(chromium, path, **kwargs)
        opened.append(page)
        return page

    yield open_
    for page in opened:
        page.close()


def _page(output: Path, lang: str, article: Article) -> Path:
    return output / page_path(lang, article.slug)


@pytest.mark.parametrize(("lang", "direction"), [("en", "ltr"), ("ar", "rtl"), ("ar-XB", "rtl")])
def test_page_has_the_language_and_direction_of_its_language(
    open_page: Callable[..., Opened], output: Path, article: Article, lang: str, direction: str
) -> None:
    page = open_page(_page(output, lang, article))
    assert page.eval("document.documentElement.lang") == lang
    assert page.eval("getComputedStyle(document.body).direction") == direction
    assert page.eval("document.querySelectorAll('h1').length") == 1
    assert page.errors == []


@pytest.mark.parametrize("lang", ["en", "ar", "ar-XB"])
def test_every_local_link_opens_an_existing_file(
    open_page: Callable[..., Opened], output: Path, article: Article, lang: str
) -> None:
    page = open_page(_page(output, lang, article))
    hrefs: list[str] = page.eval("[...document.querySelectorAll('a[href]')].map(a => a.href)")
    local = [href for href in hrefs if href.startswith("file:")]
    assert any(href.endswith(".pdf") for href in local)
    assert any(href.endswith("/index.html") for href in local)
    for href in local:
        path = Path(unquote(urlsplit(href).path))
        assert path.is_file(), href
        assert output in path.parents
    remote = {href for href in hrefs if not href.startswith("file:")}
    assert remote == {ref.url for ref in article.meta.references}


def test_pdf_link_names_the_brochure_and_its_size(
    open_page: Callable[..., Opened], output: Path, article: Article
) -> None:
    page = open_page(_page(output, "en", article))
    text = page.eval("document.querySelector('a[type=\"application/pdf\"]').textContent")
    assert " ".join(text.split()) == "Download the brochure (PDF, 312 kB)"


def test_language_switcher_lists_published_languages_by_native_name(
    open_page: Callable[..., Opened], output: Path, article: Article
) -> None:
    switcher = "[...document.querySelectorAll('nav.languages a[hreflang]')]"
    script = f"{switcher}.map(a => [a.hreflang, a.lang, a.dir, a.textContent])"
    en = open_page(_page(output, "en", article))
    assert en.eval(script) == [["ar", "ar", "rtl", "العربية"]]
    pseudo = open_page(_page(output, "ar-XB", article))
    assert pseudo.eval(script) == [["en", "en", "ltr", "English"], ["ar", "ar", "rtl", "العربية"]]


def test_hreflang_alternates_cover_published_languages_only(
    open_page: Callable[..., Opened], output: Path, article: Article
) -> None:
    script = (
        "[...document.querySelectorAll('link[rel=alternate]')]"
        ".map(l => [l.hreflang, l.getAttribute('href')])"
    )
    base = "https://medtravellers.example/"
    expected = [
        ["en", f"{base}en/{article.slug}.html"],
        ["ar", f"{base}ar/{article.slug}.html"],
        ["x-default", f"{base}en/{article.slug}.html"],
    ]
    for lang in ("en", "ar"):
        assert open_page(_page(output, lang, article)).eval(script) == expected
    pseudo = open_page(_page(output, "ar-XB", article))
    assert pseudo.eval(script) == []
    assert pseudo.eval("document.querySelector('meta[name=robots]').content") == "noindex"


def test_text_that_fell_back_is_marked_with_the_source_language(
    open_page: Callable[..., Opened], output: Path, article: Article
) -> None:
    page = open_page(_page(output, "ar", article))
    langs = page.eval(
        """[...document.querySelectorAll('.article-body p, .article-body h2')].map(e => [
            e.textContent.slice(0, 20), e.closest('[lang]').lang,
            getComputedStyle(e).direction])"""
    )
    by_start = {text: (lang, direction) for text, lang, direction in langs}
    assert by_start["Yes – stem cell ther"] == ("en", "ltr")
    assert by_start["بحسب أخصائي في MedTr"] == ("ar", "rtl")
    assert by_start["لماذا يتوقف التعافي "] == ("ar", "rtl")
    assert by_start["FAQ"] == ("en", "ltr")
    notice = page.eval("document.querySelector('.notice').textContent")
    assert notice == "بعض أجزاء هذه الصفحة لم تُترجم بعد وتظهر باللغة الإنجليزية."
    disclaimer = page.eval("document.querySelector('.disclaimer p')")
    assert disclaimer is not None
    assert page.eval("document.querySelector('.disclaimer p').lang") == "en"


@pytest.mark.parametrize("lang", ["en", "ar", "ar-XB"])
def test_page_fits_a_phone_screen(
    open_page: Callable[..., Opened], output: Path, article: Article, lang: str
) -> None:
    page = open_page(_page(output, lang, article), width=375)
    width = page.eval("document.documentElement.scrollWidth")
    assert width <= page.eval("document.documentElement.clientWidth")
    assert page.eval("document.body.scrollWidth") <= 375


def test_index_lists_every_language_by_its_own_name(
    open_page: Callable[..., Opened], output: Path, article: Article
) -> None:
    page = open_page(output / "index.html")
    names = page.eval(
        "[...document.querySelectorAll('.language-name')]"
        ".map(e => [e.closest('[lang]').lang, e.closest('[dir]').dir, e.textContent])"
    )
    assert names == [["en", "ltr", "English"], ["ar", "rtl", "العربية"]]
    hrefs: list[str] = page.eval("[...document.querySelectorAll('a[href]')].map(a => a.href)")
    assert {Path(unquote(urlsplit(h).path)).relative_to(output).as_posix() for h in hrefs} == {
        "index.html",
        f"en/{article.slug}.html",
        f"en/{article.slug}.pdf",
        f"ar/{article.slug}.html",
        f"ar/{article.slug}.pdf",
    }
    assert "(312 kB)" in page.eval("document.body.textContent")
    assert page.errors == []


def test_sitemap_has_absolute_alternates_and_x_default(output: Path, article: Article) -> None:
    namespaces = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "x": "http://www.w3.org/1999/xhtml",
    }
    root = ElementTree.parse(output / "sitemap.xml").getroot()
    base = "https://medtravellers.example/"
    locs = [loc.text for loc in root.findall("s:url/s:loc", namespaces)]
    assert locs == [
        f"{base}index.html",
        f"{base}en/{article.slug}.html",
        f"{base}ar/{article.slug}.html",
    ]
    for url in root.findall("s:url", namespaces)[1:]:
        links = [(a.get("hreflang"), a.get("href")) for a in url.findall("x:link", namespaces)]
        assert links == [
            ("en", f"{base}en/{article.slug}.html"),
            ("ar", f"{base}ar/{article.slug}.html"),
            ("x-default", f"{base}en/{article.slug}.html"),
        ]


def test_hostile_translation_cannot_inject_markup_or_links(
    tmp_path: Path,
    open_page: Callable[..., Opened],
    config: Config,
    article: Article,
    make_catalog: CatalogFactory,
) -> None:
    unit = next(
        b.unit
        for b in article.walk()
        if b.unit is not None and b.kind == "paragraph" and "](" not in b.unit.msgid
    )
    strings = {unit.msgid: HOSTILE, article.meta.title_unit.msgid: HOSTILE}
    fr = translate(article, make_catalog("fr", strings), "fr", source_lang="en")
    en = translate(article, None, "en", source_lang="en")
    site = _site(config, [en, fr], article)
    ui = make_catalog("fr", {"Contents": HOSTILE, "Published by %(publisher)s": HOSTILE})
    target = tmp_path / page_path("fr", article.slug)
    target.parent.mkdir(parents=True)
    target.write_bytes(render_page(fr, site, gettext_translations(ui)))
    shutil.copy(target, target.with_suffix(".pdf"))

    page = open_page(target)
    assert page.eval("document.querySelectorAll('script').length") == 0
    handlers = page.eval(
        """[...document.querySelectorAll('*')].flatMap(e =>
            [...e.attributes].filter(a => a.name.startsWith('on')).map(a => a.name))"""
    )
    assert handlers == []
    hrefs: list[str] = page.eval(
        "[...document.querySelectorAll('[href], [src]')].map(e => e.href || e.src)"
    )
    foreign = [h for h in hrefs if not h.startswith(("file:", config.site_url))]
    assert set(foreign) <= {ref.url for ref in article.meta.references}
    assert not [h for h in hrefs if "evil" in h or h.startswith("javascript:")]
    sources = page.eval("[...document.images].map(i => i.getAttribute('src'))")
    assert sources == [image.src for image in article.images]  # the source's own, pinned
    assert page.dialogs == []
    assert "<script>alert(1)</script>" in page.eval("document.querySelector('h1').textContent")


BLOCKS_SOURCE = """\
---
title: Every kind of block
slug: every-block
lang: en
description: A page with one block of each kind.
publisher: Example Clinic
---

# A top-level heading

Intro with a [link](https://example.org/a).

3. three
4. four

> A quote.

| Name | Dose |
|:-----|-----:|
| Aspirin | 100 mg |

![A diagram of the brain](images/brain.png)

```python
x = "<b>"
```

---
"""


def test_every_block_kind_renders_with_source_urls_and_shifted_headings(
    make_catalog: CatalogFactory,
) -> None:
    from pipeline.markdown import parse_article

    source = parse_article(BLOCKS_SOURCE, "source/every-block.md")
    strings = {
        "A top-level heading": "عنوان رئيسي",
        "Intro with a [link](https://example.org/a).": "مقدمة مع [رابط](https://evil.example/).",
        "A diagram of the brain": "رسم بياني للدماغ",
        "Name": "الاسم",
    }
    localized = translate(source, make_catalog("ar", strings), "ar", source_lang="en")
    site = make_site([localized], site_url="https://example.org/", source_lang="en")
    html = render_page(localized, site, gettext_translations(None)).decode()
    assert html.count("<h1") == 1
    assert '<h2 id="s9">عنوان رئيسي</h2>' in html
    assert '<p>مقدمة مع <a href="https://example.org/a">رابط</a>.</p>' in html
    assert "evil" not in html
    assert '<ol start="3" lang="en" dir="ltr">' in html
    assert '<blockquote lang="en" dir="ltr">' in html
    assert '<th scope="col" class="align-start">الاسم</th>' in html
    assert '<th scope="col" class="align-end" lang="en" dir="ltr">Dose</th>' in html
    assert '<tr lang="en" dir="ltr">\n<td class="align-start">Aspirin</td>' in html
    assert '<td class="align-end">100 mg</td>' in html
    assert "<thead>" in html
    assert '<img src="images/brain.png" alt="رسم بياني للدماغ">' in html
    assert (
        '<pre dir="ltr"><code class="language-python">x = &#34;&lt;b&gt;&#34;\n</code></pre>'
        in html
    )
    assert "<hr>" in html
