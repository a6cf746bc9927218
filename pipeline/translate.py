"""Article + catalog -> :class:`LocalizedArticle`, and the pseudo-locales.

A unit with no usable translation (missing, fuzzy, or with an empty form)
shows its source text, marked with the source language, so that screen
readers, fonts and hyphenation stay right. Link targets and image sources
always come from the source (see :func:`pipeline.inline.render_inline`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from markdown_it.token import Token
from markupsafe import Markup

from pipeline.article import Article, Block, Unit
from pipeline.catalog import is_translated
from pipeline.images import ImageAttrs
from pipeline.inline import (
    image_sources,
    map_words,
    plain_text,
    render_inline,
    render_tokens,
    tokens_plain_text,
)
from pipeline.layout import PAGE_TO_ROOT
from pipeline.project import parse_locale
from pipeline.pseudo import PSEUDO_LOCALES

Key = tuple[str, str | None]


@dataclass(frozen=True)
class Text:
    """One unit as the reader sees it."""

    html: Markup
    plain: str
    lang: str
    """The language the text is really in: the target, or the source when it fell back."""
    fallback: bool


@dataclass(frozen=True)
class Credits:
    """Who made a language's edition: its translator, and its reviser when every
    translated entry has a reviewer's sign-off as it stands."""

    translator: str = ""
    reviewer: str = ""
    reviewed_on: date | None = None
    translated_on: date | None = None
    """The catalog's ``PO-Revision-Date``: when its translator last saved it."""


@dataclass(frozen=True)
class LocalizedArticle:
    article: Article
    lang: str
    direction: str
    source_lang: str
    texts: Mapping[Key, Text]
    credits: Credits = field(default_factory=Credits)
    images: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Image source as the article writes it -> ``<img>`` attributes of the published file
    this language shows (``src``, size, ``srcset``, loading), as seen from its page."""

    def image_attrs(self, block: Block) -> Markup:
        """The ``<img>`` attributes of an image block: its published file, else its source."""
        attrs = self.images.get(block.src) or {"src": block.src}
        return Markup("").join(Markup(' {}="{}"').format(k, v) for k, v in attrs.items())

    def text(self, unit: Unit) -> Text:
        return self.texts[unit.key]

    def block_html(self, block: Block) -> Markup:
        """Inline HTML of a leaf block, translated when it has a unit."""
        if block.unit is not None:
            return self.texts[block.unit.key].html
        return render_inline(block.text, links=self.article.links)

    def block_plain(self, block: Block) -> str:
        """Plain text of a leaf block (an image's alt text), translated when it has a unit."""
        if block.unit is not None:
            return self.texts[block.unit.key].plain
        return plain_text(block.text, self.article.links)

    def block_lang(self, block: Block) -> str | None:
        """The block's language when it differs from the page's (a fallback), else None."""
        if block.unit is None:
            return None
        text = self.texts[block.unit.key]
        return text.lang if text.lang != self.lang else None

    @property
    def title(self) -> Text:
        return self.texts[self.article.meta.title_unit.key]

    @property
    def description(self) -> Text | None:
        unit = self.article.meta.description_unit
        return self.texts[unit.key] if unit is not None else None

    @property
    def key_points(self) -> tuple[Text, ...]:
        return tuple(self.texts[unit.key] for unit in self.article.meta.key_points)

    @property
    def fallback_count(self) -> int:
        return sum(1 for text in self.texts.values() if text.fallback)

    @property
    def complete(self) -> bool:
        return self.fallback_count == 0


def text_direction(lang: str) -> str:
    if lang in PSEUDO_LOCALES:
        return PSEUDO_LOCALES[lang].direction
    return "rtl" if parse_locale(lang).text_direction == "rtl" else "ltr"


def usable_translations(catalog: Catalog | None) -> dict[Key, str]:
    """msgid key -> msgstr for every (singular) entry that is translated and not fuzzy."""
    if catalog is None:
        return {}
    return {
        (message.id, message.context): message.string
        for message in catalog
        if isinstance(message.id, str)
        and isinstance(message.string, str)
        and message.id
        and is_translated(message)
    }


EAGER_BLOCKS = 3
"""Images in the article's first blocks load at once; the rest when the reader nears them."""


def _html_attrs(article: Article, images: Mapping[str, ImageAttrs]) -> dict[str, dict[str, str]]:
    """``<img>`` attributes of every published image, from a page (``<lang>/<slug>.html``)."""
    first = {
        src
        for block in article.blocks[:EAGER_BLOCKS]
        for inner in block.walk()
        for src in (
            [inner.src] if inner.kind == "image" else image_sources(inner.text, article.links)
        )
    }
    return {src: image.html(PAGE_TO_ROOT, lazy=src not in first) for src, image in images.items()}


def localize(
    article: Article,
    lang: str,
    translations: Mapping[Key, str],
    *,
    source_lang: str,
    images: Mapping[str, ImageAttrs] | None = None,
) -> LocalizedArticle:
    """``article`` in ``lang`` from its usable translations; ``images`` are the published
    files this language shows (none: sources are left as written)."""
    images = images or {}
    attrs = _html_attrs(article, images)
    texts: dict[Key, Text] = {}
    for unit in article.units():
        if unit.key in texts:
            continue
        msgstr = translations.get(unit.key)
        if msgstr:
            # A translation identical to its source (a cited title, a brand) is source text.
            text_lang = source_lang if msgstr == unit.msgid else lang
            texts[unit.key] = Text(
                render_inline(msgstr, source=unit.msgid, links=article.links, images=attrs),
                plain_text(msgstr, article.links),
                text_lang,
                False,
            )
        else:
            texts[unit.key] = Text(
                render_inline(unit.msgid, links=article.links, images=attrs),
                plain_text(unit.msgid, article.links),
                source_lang,
                lang != source_lang,
            )
    return LocalizedArticle(article, lang, text_direction(lang), source_lang, texts, images=attrs)


def translate(
    article: Article,
    catalog: Catalog | None,
    lang: str,
    *,
    source_lang: str,
    images: Mapping[str, ImageAttrs] | None = None,
) -> LocalizedArticle:
    translations = usable_translations(catalog)
    return localize(article, lang, translations, source_lang=source_lang, images=images)


def pseudo_localize(
    article: Article,
    lang: str,
    *,
    source_lang: str,
    keep: Sequence[str] = (),
    images: Mapping[str, ImageAttrs] | None = None,
) -> LocalizedArticle:
    """Every unit in a pseudo-locale: the source's own markup, its words transformed.

    ``keep``: terms left as they are (the project's do-not-translate list).
    """
    pseudo = PSEUDO_LOCALES[lang]
    images = images or {}
    attrs = _html_attrs(article, images)
    texts: dict[Key, Text] = {}
    for unit in article.units():
        before, after = pseudo.frame(unit.msgid)
        tokens = [
            Token("text", "", 0, content=before),
            *map_words(unit.msgid, lambda text: pseudo.letters(text, keep), article.links),
            Token("text", "", 0, content=after),
        ]
        html = render_tokens(tokens, attrs)
        texts[unit.key] = Text(html, tokens_plain_text(tokens), lang, False)
    return LocalizedArticle(article, lang, text_direction(lang), source_lang, texts, images=attrs)


def compile_mo(catalog: Catalog | None) -> bytes:
    """The MO file of ``catalog`` without its fuzzy entries; empty bytes for no catalog."""
    if catalog is None:
        return b""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def gettext_translations(catalog: Catalog | None) -> Translations:
    """A gettext object for Jinja2's i18n extension; fuzzy entries are left out."""
    mo = compile_mo(catalog)
    return Translations(fp=io.BytesIO(mo)) if mo else Translations()


def display_name(lang: str) -> str:
    """The language's own name for itself (CLDR): "العربية", "বাংলা", "Русский"."""
    if lang in PSEUDO_LOCALES:
        return PSEUDO_LOCALES[lang].name
    locale: Locale = parse_locale(lang)
    name = locale.get_display_name(locale) or lang
    return name[:1].upper() + name[1:]


class PseudoTranslations(Translations):
    """Template strings pseudo-translated on the fly, placeholders kept."""

    def __init__(self, lang: str, keep: Sequence[str] = ()):
        super().__init__()
        self._transform = PSEUDO_LOCALES[lang].transform
        self._keep = tuple(keep)

    def gettext(self, message: str) -> str:
        return self._transform(message, self._keep)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._transform(singular if n == 1 else plural, self._keep)
