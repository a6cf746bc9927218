"""Web pages: one HTML page per (article, language), the download index and the sitemap.

Pure functions of the localized article and the :class:`~pipeline.render.site.Site`;
they return bytes and write nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from babel.dates import format_date
from jinja2 import Environment, TemplateError
from markupsafe import Markup
from markupsafe import escape as html_escape

from pipeline.article import Accountability, Block, Reference
from pipeline.errors import RenderError
from pipeline.fonts import print_stack
from pipeline.layout import INDEX_PATH, page_path, pdf_path
from pipeline.render.environment import (
    GettextTranslations,
    environment_for,
    require_critical,
    stylesheet,
)
from pipeline.render.l10n import (
    babel_locale,
    counter_style,
    format_hours,
    format_size,
    language_name,
    native_digits,
    unbreakable_punctuation_spaces,
)
from pipeline.render.site import Site, relative_url
from pipeline.translate import LocalizedArticle, Text, text_direction

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class LanguageLink:
    """A link to the same content in another language."""

    lang: str
    name: str
    direction: str
    href: str


@dataclass(frozen=True)
class Alternate:
    hreflang: str
    href: str


@dataclass(frozen=True)
class ReferenceItem:
    url: str
    text: Text
    lang: str | None = None
    """The title's language where it differs from the page's (a title cited in the original)."""


@dataclass(frozen=True)
class ArticleView:
    """What the page and the brochure templates show of one localized article."""

    localized: LocalizedArticle
    shift: int
    """Added to every heading level, so that the page's title is its only h1."""
    toc: tuple[Block, ...]
    references: tuple[ReferenceItem, ...]
    description: str
    fallback_language: str | None
    """The source language's name in the page language, when some text fell back to it."""
    reviewed_on: str = ""
    translated_on: str = ""
    """The day of the translation's review, as the page's language writes a date."""

    def date(self, day: date | None) -> str:
        """A day as the page's language writes it ("30 novembre 2026")."""
        if day is None:
            return ""
        lang = self.localized.lang
        return native_digits(format_date(day, "long", locale=babel_locale(lang)), lang)

    @property
    def accountability(self) -> Accountability:
        return self.localized.article.meta.accountability

    @property
    def has_accountability(self) -> bool:
        a = self.accountability
        return bool(
            a.author or a.medical_reviewer or a.published or (a.reviewed and a.next_review)
            or a.version
        )  # fmt: skip

    @property
    def has_credits(self) -> bool:
        return bool(self.localized.credits.translator or self.localized.credits.reviewer)

    @property
    def cover_image(self) -> Block | None:
        """The figure the front matter's ``cover_image`` names, shown on the cover too."""
        src = self.localized.article.meta.cover_image
        if not src:
            return None
        return next(
            (b for b in self.localized.article.walk() if b.kind == "image" and b.src == src),
            None,
        )

    @property
    def has_people(self) -> bool:
        return self.has_accountability or self.has_credits

    def isolated(self, name: str) -> Markup:
        return _publisher(name)

    @property
    def translator(self) -> Markup:
        return _publisher(self.localized.credits.translator)

    @property
    def reviewer(self) -> Markup:
        return _publisher(self.localized.credits.reviewer)

    @property
    def lang(self) -> str:
        return self.localized.lang

    @property
    def direction(self) -> str:
        return self.localized.direction

    @property
    def title(self) -> Text:
        return self.localized.title

    @property
    def slug(self) -> str:
        return self.localized.article.slug

    @property
    def untranslated_lang(self) -> str | None:
        """The language of UI text left untranslated, when not the page's (``environment_for``)."""
        source = self.localized.source_lang
        return source if self.localized.lang != source else None

    @property
    def title_lang(self) -> str | None:
        """The title's language when it fell back, else None."""
        title = self.localized.title
        return title.lang if title.fallback else None

    @property
    def description_lang(self) -> str | None:
        description = self.localized.description
        return description.lang if description is not None and description.fallback else None


def article_view(localized: LocalizedArticle) -> ArticleView:
    article = localized.article
    headings = list(article.headings())
    shift = 1 if any(h.level == 1 for h in headings) else 0
    toc = tuple(h for h in headings if h.level + shift == 2)
    references = tuple(_reference(localized, ref) for ref in article.meta.references)
    description = localized.description.plain if localized.description else ""
    fallback = None
    if localized.fallback_count and localized.lang != localized.source_lang:
        fallback = language_name(localized.source_lang, localized.lang)
    view = ArticleView(localized, shift, toc, references, description, fallback)
    return dataclasses.replace(
        view,
        reviewed_on=view.date(localized.credits.reviewed_on),
        translated_on=view.date(localized.credits.translated_on),
    )


def _reference(localized: LocalizedArticle, reference: Reference) -> ReferenceItem:
    text = localized.text(reference.unit)
    return ReferenceItem(reference.url, text, text.lang if text.lang != localized.lang else None)


@dataclass(frozen=True)
class PageLinks:
    """The links of one page, relative to it (absolute for hreflang when a site URL is known)."""

    published: bool
    alternates: tuple[Alternate, ...]
    languages: tuple[LanguageLink, ...]
    pdf_href: str
    pdf_size: str | None
    index_href: str
    canonical: str | None


def page_links(site: Site, lang: str, slug: str) -> PageLinks:
    here = page_path(lang, slug)
    published = site.is_published(lang, slug)
    editions = site.editions_of(slug)

    def href(path: str) -> str:
        return site.absolute_url(path) if site.site_url else relative_url(here, path)

    alternates: list[Alternate] = []
    if published:
        alternates = [Alternate(e.lang, href(e.html_path(slug))) for e in editions]
        if site.is_published(site.source_lang, slug):
            alternates.append(Alternate("x-default", href(page_path(site.source_lang, slug))))
    size = site.pdf_size(lang, slug)
    return PageLinks(
        published=published,
        alternates=tuple(alternates),
        languages=tuple(
            LanguageLink(e.lang, e.name, e.direction, relative_url(here, e.html_path(slug)))
            for e in editions
            if e.lang != lang
        ),
        pdf_href=relative_url(here, pdf_path(lang, slug)),
        pdf_size=format_size(size, lang) if size is not None else None,
        index_href=relative_url(here, INDEX_PATH),
        canonical=site.absolute_url(here) if published and site.site_url else None,
    )


_NOT_TEXT = re.compile(
    r"<(style|script|pre|code|textarea)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.DOTALL | re.IGNORECASE
)
"""What in a rendered page is not running text: tags, comments, code and style sheets."""


def spaced(html: str, lang: str) -> str:
    """``html`` with :func:`unbreakable_punctuation_spaces` applied to its text only.

    Run on the rendered page, so that article text, interface messages and titles
    are all spaced alike; markup, attributes, code and CSS (``a :focus``) are left as
    they are. Jinja escapes ``<`` and ``>`` in text, so every ``<`` here opens a tag.
    """
    pieces: list[str] = []
    start = 0
    for match in _NOT_TEXT.finditer(html):
        pieces.append(unbreakable_punctuation_spaces(html[start : match.start()], lang))
        pieces.append(match.group())
        start = match.end()
    pieces.append(unbreakable_punctuation_spaces(html[start:], lang))
    return "".join(pieces)


_NOT_MARKABLE = re.compile(
    r"<(style|script|pre|code|textarea|title)\b.*?</\1>|<!--.*?-->|<[^>]*>",
    re.DOTALL | re.IGNORECASE,
)


def mark_terms(html: str, terms: Sequence[str], lang: str, source_lang: str) -> str:
    """``html`` with every do-not-translate term in its text marked as the source
    language's: ``<span lang="en" dir="ltr">MedTravellers</span>`` on an Arabic page.

    A name left in Latin letters is then set as Latin text (not enlarged with the Arabic
    or Bengali around it), hyphenated as English or not at all, read by a screen reader in
    English, and tagged ``/Lang (en)`` in the brochure. Tags, attributes, the title, code
    and the source language's own pages are left as they are; the text is never changed.
    """
    if not terms or lang == source_lang:
        return html
    names = sorted({str(html_escape(term)) for term in terms}, key=len, reverse=True)  # as written
    pattern = re.compile(r"(?<![\w&])(" + "|".join(re.escape(n) for n in names) + r")(?![\w;])")
    wrap = f'<span lang="{source_lang}" dir="{text_direction(source_lang)}">\\1</span>'
    pieces: list[str] = []
    start = 0
    for match in _NOT_MARKABLE.finditer(html):
        pieces.append(pattern.sub(wrap, html[start : match.start()]))
        pieces.append(match.group())
        start = match.end()
    pieces.append(pattern.sub(wrap, html[start:]))
    return "".join(pieces)


def _publisher(name: str) -> Markup:
    """A name isolated (the publisher's, a translator's), as it may be Latin in any script."""
    return Markup("<bdi>%s</bdi>") % name


def _script_size(lang: str) -> str:
    """The page's root size for its script, by the factor the brochure uses
    (:attr:`pipeline.fonts.FontStack.scale`): Arabic and Bengali letters look as large as
    Latin ones, and every size of page.css, in rem, follows."""
    scale = print_stack(lang).scale
    return f"\n:root {{ font-size: {100 * scale:g}%; }}\n" if scale != 1 else ""


def render_page(
    localized: LocalizedArticle, site: Site, translations: GettextTranslations
) -> bytes:
    """The HTML page ``<lang>/<slug>.html`` (UTF-8 HTML5, CSS inline).

    ``translations`` is the ``ui`` catalog of the page's language
    (:func:`pipeline.translate.gettext_translations`). The PDF's size shows
    when ``site.pdf_sizes`` has it, so render brochures first.
    """
    view = article_view(localized)
    env = environment_for(translations, untranslated_lang=view.untranslated_lang, theme=site.theme)
    try:
        html = env.get_template("page.html").render(
            page=view,
            lang=localized.lang,
            text_dir=localized.direction,
            links=page_links(site, localized.lang, view.slug),
            site=site,
            publisher=_publisher(localized.article.meta.publisher),
            publisher_name=localized.article.meta.publisher,
            css=stylesheet("page.css", site.theme) + _script_size(localized.lang),
            counter=counter_style(localized.lang),
            contact_hours=format_hours(site.contact.hours, localized.lang),
        )
    except TemplateError as exc:
        raise RenderError(f"page.html: {exc}", page_path(localized.lang, view.slug)) from exc
    require_critical(html, translations, page_path(localized.lang, view.slug))
    html = mark_terms(html, site.terms, localized.lang, localized.source_lang)
    return spaced(html, localized.lang).encode("utf-8")


@dataclass(frozen=True)
class IndexEntry:
    lang: str
    name: str
    direction: str
    title: str | None
    html_href: str
    pdf_href: str
    pdf_size: str | None


def render_index(
    site: Site,
    translations: GettextTranslations,
    editions_ui: Mapping[str, GettextTranslations] | None = None,
) -> bytes:
    """``index.html``: every article in every published language, page and PDF.

    ``translations`` is the source language's ``ui`` catalog: the index is
    in the source language, each language named in its own. Each row (an
    article in one language) is in that language: its labels come from
    ``editions_ui[lang]`` (the source's messages, marked as such, where a
    language has no ui catalog), its sizes in its digits, its text aligned
    to its direction. The source-language row omits the title its section's
    heading already shows.
    """
    env = environment_for(translations, theme=site.theme)
    source = site.source_lang
    articles = []
    for article in site.articles:
        rows = []
        for e in site.editions_of(article.slug):
            size = site.pdf_size(e.lang, article.slug)
            entry = IndexEntry(
                lang=e.lang,
                name=e.name,
                direction=e.direction,
                title=article.titles.get(e.lang) if e.lang != source else None,
                html_href=relative_url(INDEX_PATH, e.html_path(article.slug)),
                pdf_href=relative_url(INDEX_PATH, e.pdf_path(article.slug)),
                pdf_size=format_size(size, e.lang) if size is not None else None,
            )
            ui = (editions_ui or {}).get(e.lang, translations)
            untranslated = source if e.lang != source else None
            rows.append(
                _index_row(
                    environment_for(ui, untranslated_lang=untranslated, theme=site.theme),
                    entry,
                    article.slug,
                    site,
                )
            )
        title = article.titles.get(source) or next(iter(article.titles.values()), "")
        articles.append((article.slug, title, rows))
    try:
        html = env.get_template("index.html").render(
            site=site,
            lang=source,
            text_dir=text_direction(source),
            articles=articles,
            publisher=_publisher(site.publisher),
            publisher_name=site.publisher,
            css=stylesheet("page.css", site.theme),
            contact_hours=format_hours(site.contact.hours, site.source_lang),
        )
    except TemplateError as exc:
        raise RenderError(f"index.html: {exc}", INDEX_PATH) from exc
    return html.encode("utf-8")


def _index_row(env: Environment, entry: IndexEntry, slug: str, site: Site) -> Markup:
    try:
        row = env.get_template("_edition.html").render(entry=entry, slug=slug)
    except TemplateError as exc:
        raise RenderError(f"_edition.html: {exc}", INDEX_PATH) from exc
    marked = mark_terms(row, site.terms, entry.lang, site.source_lang)
    return Markup(spaced(marked, entry.lang))


def render_sitemap(site: Site) -> bytes:
    """``sitemap.xml``: every published page with its hreflang alternates and x-default."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">',
        f"  <url><loc>{escape(site.absolute_url(INDEX_PATH))}</loc></url>",
    ]
    for article in site.articles:
        editions = site.editions_of(article.slug)
        alternates = [(e.lang, site.absolute_url(e.html_path(article.slug))) for e in editions]
        if site.is_published(site.source_lang, article.slug):
            default = site.absolute_url(page_path(site.source_lang, article.slug))
            alternates.append(("x-default", default))
        for edition in editions:
            lines.append("  <url>")
            lines.append(
                f"    <loc>{escape(site.absolute_url(edition.html_path(article.slug)))}</loc>"
            )
            lines.extend(
                f'    <xhtml:link rel="alternate" hreflang={quoteattr(hreflang)} '
                f"href={quoteattr(href)}/>"
                for hreflang, href in alternates
            )
            lines.append("  </url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")
