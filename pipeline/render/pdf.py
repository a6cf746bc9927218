"""PDF brochures: the print template laid out by WeasyPrint.

WeasyPrint loads every resource a document names through a URL fetcher; the
default one reads anything, including ``<link rel=attachment
href=file:///etc/passwd>``, which it embeds. :class:`ProjectURLFetcher` serves
only the project's own files and ``data:`` URLs.

A build renders many brochures per process: make one :class:`PdfRenderer`
per worker and reuse it, so that fonts are configured once.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import segno
from jinja2 import TemplateError
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from pipeline.collector import space_out_collections
from pipeline.errors import RenderError
from pipeline.fonts import print_font_css
from pipeline.images import published_type
from pipeline.layout import page_path, pdf_path
from pipeline.render import textlayer
from pipeline.render.environment import (
    GettextTranslations,
    environment_for,
    require_critical,
    stylesheet,
)
from pipeline.render.html import article_view, mark_terms
from pipeline.render.l10n import counter_style, format_hours, page_margins, paper_size
from pipeline.render.pagination import render_keeping_words
from pipeline.render.site import Site
from pipeline.resources import STATIC_DIR, read_derived, write_derived
from pipeline.theme import Theme
from pipeline.translate import LocalizedArticle, display_name

PDF_VARIANT = "pdf/ua-1"
"""Tagged PDF: a structure tree, ``/Lang``, the title shown; for screen readers."""

__all__ = [
    "PDF_VARIANT",
    "PdfRenderer",
    "ProjectURLFetcher",
    "paper_size",
    "render_pdf",
    "render_print_html",
]


PUBLISHED_ROOT = "file:///published/"
"""The output folder as a brochure sees it: a page's ``../images/x.png`` is fetched from the
bytes sent with the job (:attr:`ProjectURLFetcher.published`), never from the disk."""


class ProjectURLFetcher(URLFetcher):
    """Serves ``file:`` URLs under the allowed roots and ``data:`` URLs; refuses the rest.

    A refusal raises :class:`~weasyprint.urls.URLFetchingError`: WeasyPrint
    logs it on its ``weasyprint`` logger and renders on without the resource.
    Paths are resolved first, so ``..`` and symbolic links cannot leave a root.
    """

    def __init__(self, roots: Iterable[Path] = (), **kwargs: object) -> None:
        super().__init__(allowed_protocols=("file", "data"), **kwargs)
        self.roots = tuple(Path(root).resolve() for root in (*roots, STATIC_DIR))
        self.published: Mapping[str, bytes] = {}
        """Output path -> bytes of the published files the current document shows."""

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if url.startswith(PUBLISHED_ROOT):
            name = unquote(url[len(PUBLISHED_ROOT) :])
            data = self.published.get(name)
            if data is None:
                raise URLFetchingError(f"refused, not an image of this brochure: {url}")
            # Its type said, as a file's extension says it: WeasyPrint then reads an SVG as
            # one, without first asking Pillow (which loads every image plugin it has).
            media_type = published_type(name)
            headers = {"Content-Type": media_type} if media_type else None
            return URLFetcherResponse(url, body=data, headers=headers)
        if scheme != "file":
            raise URLFetchingError(f"refused, not a project file: {url}")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise URLFetchingError(f"refused, not a local file: {url}")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise URLFetchingError(f"refused, outside the project: {url}")
        return super().fetch(url, headers)


@functools.lru_cache(maxsize=512)
def _qr_code(url: str) -> str:
    """A QR code for ``url`` as an SVG data URI (error correction M survives a worn print).

    Kept between processes (:func:`~pipeline.resources.read_derived`): segno tries its eight
    masks in Python, 3.5 ms a code, and a brochure's address seldom changes."""
    scale, border, dark = 4, 0, "#1d2327"
    source = json.dumps([segno.__version__, url, "m", scale, border, dark])
    kept = read_derived("qr-codes", source)
    if kept is not None:
        return kept.decode("utf-8")
    code = str(segno.make(url, error="m").svg_data_uri(scale=scale, border=border, dark=dark))
    write_derived("qr-codes", source, code.encode("utf-8"))
    return code


@functools.lru_cache(maxsize=8)
def print_stylesheet(theme: Theme) -> Markup:
    """The brochure's stylesheet before its per-edition rules: fonts, colours, print.css
    (made once per theme: the print document and the renderer both ask for it)."""
    return Markup(print_font_css(theme.fonts)) + stylesheet("print.css", theme)


def render_print_html(
    localized: LocalizedArticle, site: Site, translations: GettextTranslations
) -> str:
    """The print document of a brochure (HTML with its CSS inline), as WeasyPrint gets it."""
    view = article_view(localized)
    env = environment_for(translations, untranslated_lang=view.untranslated_lang, theme=site.theme)
    lang = localized.lang
    web_url = site.absolute_url(page_path(lang, view.slug)) if site.site_url else ""
    language_name = display_name(lang)
    name = localized.article.meta.publisher  # each article's own, as its key covers
    paper = paper_size(lang, site.paper, source_lang=site.source_lang)
    inner, outer = page_margins(paper)
    publisher = Markup("<bdi>%s</bdi>") % name
    try:
        document = env.get_template("print.html").render(
            page=view,
            site=site,
            publisher=publisher,
            publisher_name=name,
            css=print_stylesheet(site.theme),
            paper=paper,
            margins={"inner": f"{inner:g}", "outer": f"{outer:g}"},
            counter=counter_style(lang),
            language_name=language_name,
            keywords=[k for k in (name, view.title.plain, language_name) if k],
            web_url=web_url,
            qr_code=_qr_code(web_url) if web_url else "",
            contact_hours=format_hours(site.contact.hours, lang),
        )
        require_critical(document, translations, pdf_path(lang, view.slug))
        return mark_terms(document, site.terms, lang, localized.source_lang)
    except TemplateError as exc:
        raise RenderError(f"print.html: {exc}", pdf_path(lang, view.slug)) from exc


_OTHER_STYLES = re.compile(r"<(style|link|svg)\b|\sstyle\s*=", re.IGNORECASE)
"""Styles a document may hold besides its one ``<style>``: another sheet, an SVG's
presentational sizes, a ``style`` attribute (which WeasyPrint weighs as an id selector)."""

_PER_DOCUMENT_CSS = (
    "url(",
    "@import",
    "\\",
    "!",
    "@font-face",
    "@counter-style",
    "@color-profile",
    "@layer",
)
"""What a print stylesheet moved out of its document may not hold: see
:meth:`PdfRenderer._stylesheets`."""


class PdfRenderer:
    """Renders brochures, reusing one font configuration and URL fetcher.

    ``root`` is the project root: the fetcher serves files under it (and
    ``pipeline/static``), and relative image sources resolve against the
    article's folder in it. ``stylesheets`` are extra CSS, applied after the
    brochure's own.
    """

    def __init__(
        self,
        *,
        root: Path | None = None,
        fetcher: URLFetcher | None = None,
        font_config: FontConfiguration | None = None,
        stylesheets: Sequence[CSS] = (),
        pdf_variant: str | None = PDF_VARIANT,
    ) -> None:
        self.root = root.resolve() if root is not None else None
        self.fetcher = fetcher or ProjectURLFetcher([self.root] if self.root else [])
        self.font_config = font_config or FontConfiguration()
        self.stylesheets = list(stylesheets)
        self.pdf_variant = pdf_variant
        self._shared: OrderedDict[str, CSS] = OrderedDict()
        textlayer.install()
        space_out_collections()  # a process that renders brochures

    def base_url(self, localized: LocalizedArticle) -> str:
        if self.root is None:
            return STATIC_DIR.as_uri() + "/"
        folder = posixpath.dirname(localized.article.path)
        return (self.root / folder).as_uri() + "/"

    def render(
        self,
        localized: LocalizedArticle,
        site: Site,
        translations: GettextTranslations,
        *,
        files: Mapping[str, bytes] | None = None,
    ) -> bytes:
        """The PDF brochure ``<lang>/<slug>.pdf``; ``files`` are the published images it
        shows (output path -> bytes), linked as a page links them."""
        document = render_print_html(localized, site, translations)
        base_url = self.base_url(localized)
        if isinstance(self.fetcher, ProjectURLFetcher):
            self.fetcher.published = files or {}
            base_url = f"{PUBLISHED_ROOT}{localized.lang}/"
        try:
            return self.write(
                document,
                base_url=base_url,
                source_lang=localized.source_lang,
                shared_css=str(print_stylesheet(site.theme)),
            )
        finally:
            if isinstance(self.fetcher, ProjectURLFetcher):
                self.fetcher.published = {}

    def write(
        self,
        document: str,
        *,
        base_url: str | None = None,
        source_lang: str | None = None,
        shared_css: str = "",
    ) -> bytes:
        """Lay out a print document and return the PDF.

        ``shared_css``: CSS that every document of this renderer begins its stylesheet with
        (:func:`print_stylesheet`), parsed once rather than once a brochure (11 ms of each);
        see :meth:`_stylesheets`.
        """
        base_url = base_url or STATIC_DIR.as_uri() + "/"
        document, sheets = self._stylesheets(document, shared_css, base_url)
        html = HTML(string=document, base_url=base_url, url_fetcher=self.fetcher)
        rendered = render_keeping_words(
            html, stylesheets=[*sheets, *self.stylesheets], font_config=self.font_config
        )
        options = {"pdf_variant": self.pdf_variant} if self.pdf_variant else {}
        with textlayer.document_language(rendered.metadata.lang, source_lang):
            pdf = rendered.write_pdf(**options)
        if pdf is None:  # only when a target is given
            raise RenderError("WeasyPrint returned no PDF")
        return bytes(pdf)

    def _stylesheets(self, document: str, shared_css: str, base_url: str) -> tuple[str, list[CSS]]:
        """The document without its stylesheet, and that stylesheet as parsed CSS: the
        ``shared_css`` it begins with kept from one document to the next, its own rules after.

        WeasyPrint gives stylesheets passed to it the user origin, below the document's own
        styles and above the user agent's. Moved whole, the print stylesheet keeps its order
        and its precedence over the user agent's, so the PDF is byte for byte the same
        (tested). The move is made only when nothing of the author origin is left to rank
        differently against it: the document holds no other stylesheet, ``style`` attribute
        (weighed as an id selector, which an inline id rule beats) or SVG (its sizes are
        author hints), the renderer is given no extra CSS, and the stylesheet has no
        ``!important`` (whose precedence the origins reverse) and nothing that resolves
        against the document's address or needs WeasyPrint's per-document state
        (``url()``, ``@import``, escapes, ``@font-face``, ``@counter-style``,
        ``@color-profile``, ``@layer``). Otherwise the document is laid out as it is.
        """
        opening = f"<style>\n{shared_css}"
        start = document.find(opening) if shared_css else -1
        end = document.find("</style>", start)
        if start < 0 or end < 0 or self.stylesheets or _OTHER_STYLES.findall(document) != ["style"]:
            return document, []
        own = document[start + len(opening) : end]
        lowered = (shared_css + own).lower()
        if any(sign in lowered for sign in _PER_DOCUMENT_CSS):
            return document, []
        shared = self._shared.get(shared_css)
        if shared is None:
            shared = CSS(string=shared_css, base_url=base_url, font_config=self.font_config)
            self._shared[shared_css] = shared
            while len(self._shared) > 4:  # a preview's themes, edited
                self._shared.popitem(last=False)
        self._shared.move_to_end(shared_css)
        own_css = CSS(string=own, base_url=base_url, font_config=self.font_config)
        return document[:start] + document[end + len("</style>") :], [shared, own_css]


def render_pdf(
    localized: LocalizedArticle,
    site: Site,
    translations: GettextTranslations,
    *,
    fetcher: URLFetcher | None = None,
    font_config: FontConfiguration | None = None,
    stylesheets: Sequence[CSS] | None = None,
    root: Path | None = None,
) -> bytes:
    """One brochure as PDF bytes (tagged PDF/UA-1). For many, reuse a :class:`PdfRenderer`."""
    renderer = PdfRenderer(
        root=root, fetcher=fetcher, font_config=font_config, stylesheets=stylesheets or ()
    )
    return renderer.render(localized, site, translations)
