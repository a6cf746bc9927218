"""The site every page links into: published editions and the paths between outputs.

The output layout is :mod:`pipeline.layout`. Pages link to each other with
relative URLs so the folder works from ``file://`` and from any web server
path; only the sitemap and the QR code on a brochure use absolute URLs, built
from ``site_url``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin

from pipeline.contact import Contact
from pipeline.errors import RenderError
from pipeline.layout import page_path, pdf_path
from pipeline.pseudo import PSEUDO_LOCALES
from pipeline.theme import NO_THEME, Theme
from pipeline.translate import LocalizedArticle, display_name, text_direction


def relative_url(from_path: str, to_path: str) -> str:
    """The URL of output file ``to_path`` as written in output file ``from_path``."""
    start = posixpath.dirname(from_path) or "."
    return quote(posixpath.relpath(to_path, start))


@dataclass(frozen=True)
class Edition:
    """One published language and the articles published in it."""

    lang: str
    name: str
    """The language's name for itself (CLDR): "العربية", "বাংলা"."""
    direction: str
    slugs: tuple[str, ...]

    def html_path(self, slug: str) -> str:
        return page_path(self.lang, slug)

    def pdf_path(self, slug: str) -> str:
        return pdf_path(self.lang, slug)


def make_edition(lang: str, slugs: Iterable[str]) -> Edition:
    return Edition(lang, display_name(lang), text_direction(lang), tuple(slugs))


@dataclass(frozen=True)
class SiteArticle:
    slug: str
    titles: Mapping[str, str]
    """Plain-text title per language whose title is translated (the source's always is)."""


@dataclass(frozen=True)
class Site:
    """What every page needs to know about the others.

    ``editions`` lists published languages only (source language first):
    they make the language switcher, the hreflang alternates, the index and
    the sitemap. Pseudo-locales are never among them, but their pages render.
    """

    site_url: str
    source_lang: str
    publisher: str
    editions: tuple[Edition, ...]
    articles: tuple[SiteArticle, ...]
    pdf_sizes: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """PDF size in bytes by (lang, slug), for every brochure already rendered (pseudo too)."""
    paper: Mapping[str, str] = field(default_factory=dict)
    """Paper size per language overriding CLDR's (``Config.paper``)."""
    contact: Contact = field(default_factory=Contact)
    """How readers reach the publisher (``[tool.pipeline.contact]``)."""
    theme: Theme = NO_THEME
    """The publisher's logo, colours, fonts and overrides (``[tool.pipeline] theme``)."""
    terms: tuple[str, ...] = ()
    """Names kept as the source writes them (``do_not_translate``): in another language's
    text they are marked as the source language's (:func:`pipeline.render.html.mark_terms`)."""

    def __post_init__(self) -> None:
        pseudo = [e.lang for e in self.editions if e.lang in PSEUDO_LOCALES]
        if pseudo:
            raise RenderError(f"pseudo-locales are never published: {', '.join(pseudo)}")

    def edition(self, lang: str) -> Edition | None:
        return next((e for e in self.editions if e.lang == lang), None)

    def editions_of(self, slug: str) -> list[Edition]:
        """Published editions that carry ``slug``, in site order."""
        return [e for e in self.editions if slug in e.slugs]

    def is_published(self, lang: str, slug: str) -> bool:
        edition = self.edition(lang)
        return edition is not None and slug in edition.slugs

    def pdf_size(self, lang: str, slug: str) -> int | None:
        return self.pdf_sizes.get((lang, slug))

    def absolute_url(self, path: str) -> str:
        """``site_url`` joined with an output path, for the sitemap and QR codes."""
        if not self.site_url:
            raise RenderError("site_url is not set in [tool.pipeline]: absolute URLs need it")
        base = self.site_url if self.site_url.endswith("/") else self.site_url + "/"
        return urljoin(base, quote(path))


def make_site(
    published: Iterable[LocalizedArticle],
    *,
    site_url: str,
    source_lang: str,
    publisher: str = "",
    pdf_sizes: Mapping[tuple[str, str], int] | None = None,
    paper: Mapping[str, str] | None = None,
    contact: Contact | None = None,
    theme: Theme = NO_THEME,
    terms: tuple[str, ...] = (),
) -> Site:
    """Build the :class:`Site` from every published (article, language).

    Pseudo-locale articles in ``published`` are ignored. Editions come source
    language first, then by tag; articles in the order first seen. The
    publisher defaults to the first article's.
    """
    slugs_by_lang: dict[str, list[str]] = {}
    titles: dict[str, dict[str, str]] = {}
    for localized in published:
        if localized.lang in PSEUDO_LOCALES:
            continue
        slug = localized.article.slug
        slugs_by_lang.setdefault(localized.lang, [])
        if slug not in slugs_by_lang[localized.lang]:
            slugs_by_lang[localized.lang].append(slug)
        article_titles = titles.setdefault(slug, {})
        if not localized.title.fallback:
            article_titles[localized.lang] = localized.title.plain
        publisher = publisher or localized.article.meta.publisher
    order = sorted(slugs_by_lang, key=lambda lang: (lang != source_lang, lang))
    return Site(
        site_url=site_url,
        source_lang=source_lang,
        publisher=publisher,
        editions=tuple(make_edition(lang, slugs_by_lang[lang]) for lang in order),
        articles=tuple(SiteArticle(slug, titles[slug]) for slug in titles),
        pdf_sizes=dict(pdf_sizes or {}),
        paper=dict(paper or {}),
        contact=contact or Contact(),
        theme=theme,
        terms=terms,
    )
