"""Catalog operations on the project's files: extract, init, update, stats.

The pure work lives in :mod:`pipeline.catalog` and :mod:`pipeline.markdown`;
this module reads the project, calls it, and writes what changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.catalog import Catalog

from pipeline.article import Article
from pipeline.catalog import (
    UI_DOMAIN,
    Stats,
    article_template,
    catalog_stats,
    init_catalog,
    load_catalog,
    merge,
    po_bytes,
    read_catalog,
    ui_template,
    write_if_changed,
)
from pipeline.errors import SourceError
from pipeline.markdown import parse_article
from pipeline.project import Config, parse_locale

if TYPE_CHECKING:
    from pipeline.checks import Finding

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class FileChange:
    path: str
    action: str
    """``created``, ``updated`` or ``unchanged``."""


def load_article(config: Config, path: Path) -> Article:
    name = config.relative(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError("file not found", name) from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", name) from None
    article = parse_article(text, name)
    if article.meta.lang != config.source_language:
        raise SourceError(
            f"article language {article.meta.lang!r} is not the project's source language "
            f"{config.source_language!r}",
            name,
            1,
        )
    return article


def load_articles(config: Config) -> list[Article]:
    paths = config.articles()
    if not paths:
        raise SourceError("no articles (*.md) found", config.relative(config.source_path))
    articles = [load_article(config, path) for path in paths]
    seen: dict[str, str] = {}
    for article in articles:
        if article.slug in seen or article.slug == UI_DOMAIN:
            owner = seen.get(article.slug, "the ui domain")
            raise SourceError(
                f"slug {article.slug!r} is already used by {owner}",
                article.path,
                1,
            )
        seen[article.slug] = article.path
    return articles


def template_files(config: Config) -> list[tuple[Path, str]]:
    return [(path, config.relative(path)) for path in sorted(TEMPLATES_DIR.glob("*.html"))]


def templates(config: Config, articles: list[Article]) -> dict[str, Catalog]:
    """Every domain's template, built in memory: one per article plus ``ui``."""
    result = {a.slug: article_template(a, project=a.meta.publisher) for a in articles}
    publisher = articles[0].meta.publisher if articles else ""
    result[UI_DOMAIN] = ui_template(template_files(config), project=publisher)
    return result


def _write(config: Config, path: Path, catalog: Catalog) -> FileChange:
    existed = path.exists()
    data = po_bytes(catalog, format_flags=path.stem == UI_DOMAIN)
    changed = write_if_changed(path, data)
    action = "unchanged" if not changed else ("updated" if existed else "created")
    return FileChange(config.relative(path), action)


def extract(config: Config) -> list[FileChange]:
    """Write ``locale/<domain>.pot`` for every article and for the templates."""
    articles = load_articles(config)
    return [
        _write(config, config.pot_path(domain), catalog)
        for domain, catalog in templates(config, articles).items()
    ]


def _read_template(config: Config, domain: str) -> Catalog:
    path = config.pot_path(domain)
    return load_catalog(path, config.relative(path))


def domains(config: Config) -> list[str]:
    return sorted(path.stem for path in config.locale_path.glob("*.pot"))


def init(config: Config, lang: str) -> list[FileChange]:
    """Create ``locale/<lang>/LC_MESSAGES/<domain>.po`` for every domain that lacks one."""
    parse_locale(lang)
    changes = []
    for domain in domains(config) or _extract_domains(config):
        po_path = config.po_path(lang, domain)
        if po_path.exists():
            changes.append(FileChange(config.relative(po_path), "exists"))
            continue
        catalog = init_catalog(_read_template(config, domain), lang)
        changes.append(_write(config, po_path, catalog))
    return changes


def _extract_domains(config: Config) -> list[str]:
    extract(config)
    return domains(config)


def update(config: Config, languages: list[str] | None = None) -> list[FileChange]:
    """Merge every template into every language's catalog, creating missing ones."""
    changes = []
    for domain in domains(config):
        template = _read_template(config, domain)
        for lang in languages or config.languages():
            po_path = config.po_path(lang, domain)
            name = config.relative(po_path)
            if po_path.exists():
                catalog = load_catalog(po_path, name, locale=lang)
                merged = merge(catalog, template)
            else:
                merged = init_catalog(template, lang)
            changes.append(_write(config, po_path, merged))
    return changes


def load_translation(config: Config, lang: str, domain: str) -> Catalog | None:
    po_path = config.po_path(lang, domain)
    if not po_path.exists():
        return None
    return read_catalog(po_path.read_bytes(), config.relative(po_path), locale=lang)


def stats(config: Config, languages: list[str] | None = None) -> Iterator[Stats]:
    for lang in languages or config.languages():
        for domain in domains(config):
            catalog = load_translation(config, lang, domain)
            if catalog is None:
                template = _read_template(config, domain)
                catalog = init_catalog(template, lang)
            yield catalog_stats(catalog, lang, domain)


def check(config: Config, languages: list[str] | None = None) -> list[Finding]:
    """Every check on every catalog of the named (or all) languages."""
    from pipeline.checks import CheckContext, check_catalog

    findings: list[Finding] = []
    for lang in languages or config.languages():
        parse_locale(lang)
        context = CheckContext.from_config(config, lang)
        for domain in domains(config):
            catalog = load_translation(config, lang, domain)
            if catalog is None:
                continue
            name = config.relative(config.po_path(lang, domain))
            findings.extend(
                check_catalog(catalog, lang=lang, domain=domain, path=name, context=context)
            )
    return findings
