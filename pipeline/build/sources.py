"""The project's articles and catalogs for one build: each read once, parsed at most once.

Everything is parsed from the bytes :class:`~pipeline.build.inputs.InputFiles`
read and hashed, so what is rendered is what the manifest's keys describe.
"""

from __future__ import annotations

import dataclasses
import functools

from babel.messages.catalog import Catalog

from pipeline.article import Article
from pipeline.build.inputs import InputFiles
from pipeline.catalog import critical_ui_keys
from pipeline.checks import Finding
from pipeline.errors import ConfigError, SourceError
from pipeline.glossary import Glossary
from pipeline.glossary import load as load_glossary
from pipeline.images import PublishedImage, choose, publish
from pipeline.pofile import read_catalog
from pipeline.project import PSEUDO_TAGS, UI_DOMAIN, Config
from pipeline.reading import check_inside
from pipeline.review import ReviewRecord, edition_credits
from pipeline.review import load as load_review
from pipeline.translate import LocalizedArticle, compile_mo, pseudo_localize, translate
from pipeline.workspace import parse_source, template_files


class Sources:
    def __init__(self, files: InputFiles):
        self.files = files
        self.config: Config = files.config
        self._articles: dict[str, Article] = {}
        self._catalogs: dict[tuple[str, str], Catalog | None] = {}
        self._localized: dict[tuple[str, str], LocalizedArticle] = {}
        self._ui_mo: dict[str, bytes] = {}
        self._critical_ui: frozenset[tuple[str, str | None]] | None = None
        self._images: dict[tuple[str, str], tuple[PublishedImage, ...]] = {}
        self._glossary: Glossary | None = None
        self._publish = functools.lru_cache(maxsize=None)(publish)
        """One check and one set of copies per image file, however many languages show it."""
        self._paths = {self.config.relative(p): p for p in self.config.articles()}
        self.ui_findings: dict[str, list[Finding]] = {}
        """Language -> the checks' findings on its ``ui`` catalog (the gate's, per build)."""

    def parsed(self) -> set[str]:
        """The articles this build has parsed (an unchanged one may never be)."""
        return set(self._articles)

    def article(self, path: str) -> Article:
        if path not in self._articles:
            data = self.files.read(self._paths.get(path, self.config.root / path))
            if data is None:
                raise SourceError("file not found", path)
            self._articles[path] = parse_source(self.config, data, path)
        return self._articles[path]

    def catalog(self, lang: str, domain: str) -> Catalog | None:
        """The PO file of ``lang`` and ``domain``, or None when there is none."""
        if (lang, domain) not in self._catalogs:
            path = self.config.po_path(lang, domain)
            data = self.files.read(path)
            self._catalogs[(lang, domain)] = (
                None
                if data is None
                else read_catalog(data, self.config.relative(path), locale=lang)
            )
        return self._catalogs[(lang, domain)]

    def glossary(self) -> Glossary:
        """The project's terminology (the ``glossary`` setting), empty when there is none."""
        if self._glossary is None:
            self._glossary = Glossary()
            if self.config.glossary:
                path = self.config.root / self.config.glossary
                data = self.files.read(path)
                if data is None:
                    raise ConfigError(
                        "glossary not found (the 'glossary' setting)", self.config.glossary
                    )
                self._glossary = load_glossary(
                    data, self.config.glossary, self.config.source_language
                )
        return self._glossary

    def review(self, lang: str, domain: str) -> ReviewRecord | None:
        """The review record of ``lang`` and ``domain``, or None when there is none."""
        path = self.config.review_path(lang, domain)
        data = self.files.read(path)
        return None if data is None else load_review(data, self.config.relative(path))

    def images(self, path: str, lang: str) -> tuple[PublishedImage, ...]:
        """The image files ``lang`` shows in the article at ``path``, checked (Pillow)."""
        if (path, lang) not in self._images:
            root = self.config.root

            def read(name: str) -> bytes | None:
                check_inside(root, name)
                return self.files.read(root / name)

            self._images[(path, lang)] = tuple(
                choose(ref, path, lang, read, self._publish) for ref in self.article(path).images
            )
        return self._images[(path, lang)]

    def localized(self, path: str, lang: str) -> LocalizedArticle:
        """The article at ``path`` in ``lang``: translated, pseudo-translated, or the source."""
        if (path, lang) not in self._localized:
            article = self.article(path)
            source = self.config.source_language
            images = {image.src: image.attrs for image in self.images(path, lang)}
            if lang in PSEUDO_TAGS:
                keep = self.config.do_not_translate
                localized = pseudo_localize(
                    article, lang, source_lang=source, keep=keep, images=images
                )
            else:
                catalog = None if lang == source else self.catalog(lang, article.slug)
                localized = translate(article, catalog, lang, source_lang=source, images=images)
                if catalog is not None:
                    credits = edition_credits(catalog, self.review(lang, article.slug))
                    localized = dataclasses.replace(localized, credits=credits)
            self._localized[(path, lang)] = localized
        return self._localized[(path, lang)]

    def critical_ui_keys(self) -> frozenset[tuple[str, str | None]]:
        """The template messages marked critical (``{# Critical: ... #}``)."""
        if self._critical_ui is None:
            self._critical_ui = critical_ui_keys(template_files())
        return self._critical_ui

    def ui_mo(self, lang: str) -> bytes:
        """The compiled ``ui`` catalog of ``lang`` (empty for none), to send to workers."""
        if lang not in self._ui_mo:
            catalog = None if lang in PSEUDO_TAGS else self.catalog(lang, UI_DOMAIN)
            self._ui_mo[lang] = compile_mo(catalog)
        return self._ui_mo[lang]
