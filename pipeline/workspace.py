"""Catalog operations on the project's files: extract, init, update, stats.

The pure work lives in :mod:`pipeline.catalog` and :mod:`pipeline.markdown`;
this module reads the project, calls it, and writes what changed.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from pipeline.article import Article, FrontMatter
from pipeline.catalog import (
    Stats,
    article_template,
    build_date,
    catalog_stats,
    init_catalog,
    init_header,
    is_translated,
    template_header,
    ui_template,
    update_header,
)
from pipeline.errors import CatalogError, ConfigError, PipelineError, SourceError
from pipeline.glossary import Glossary
from pipeline.glossary import comment as glossary_comment
from pipeline.glossary import load as load_glossary
from pipeline.markdown import parse_article, parse_front_matter, split_front_matter
from pipeline.memory import Memory, fill, memories, read_tmx
from pipeline.msgmerge import merge
from pipeline.pofile import (
    Header,
    header_value,
    load_catalog,
    po_bytes,
    read_catalog,
    read_header,
    with_fields,
    write_if_changed,
)
from pipeline.project import UI_DOMAIN, Config, language_tag, to_bcp47
from pipeline.reading import check_inside, read_regular
from pipeline.resources import TEMPLATES_DIR
from pipeline.review import ReviewRecord, reviewed, sign
from pipeline.review import dump as dump_review
from pipeline.review import load as load_review

if TYPE_CHECKING:
    from pipeline.checks import Finding, Severity

_POT_DATE = re.compile(rb'^"POT-Creation-Date: ([^"\\]*)\\n"$', re.MULTILINE)


@dataclass(frozen=True)
class FileChange:
    path: str
    action: str
    """``created``, ``updated`` or ``unchanged``."""
    lang: str = ""
    memory: tuple[int, int] = (0, 0)
    """Entries translation memory filled: (exact, close and so fuzzy)."""


def _read(path: Path, name: str) -> bytes:
    """A source file's bytes: a regular file under the project, or a one-line error."""
    data = read_regular(path, name)
    if data is None:
        raise SourceError("file not found", name)
    return data


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
"""Control characters: Markdown turns NUL into U+FFFD and passes the rest to the page."""


def decode_source(data: bytes, name: str) -> str:
    """An article's text: UTF-8 without control characters, or an error at the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise SourceError(reason, name, line) from None
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        reason = f"control character U+{ord(control.group()):04X} in the text"
        raise SourceError(reason, name, line)
    return text


def _read_source(path: Path, name: str) -> str:
    return decode_source(_read(path, name), name)


def load_article(config: Config, path: Path) -> Article:
    name = config.relative(path)
    return parse_source(config, _read(path, name), name)


def parse_source(config: Config, data: bytes, name: str) -> Article:
    """An article from the bytes of its file."""
    return _checked(config, parse_article(decode_source(data, name), name), name)


def _checked(config: Config, article: Article, name: str) -> Article:
    if article.meta.lang != config.source_language:
        raise SourceError(
            f"article language {article.meta.lang!r} is not the project's source language "
            f"{config.source_language!r}",
            name,
            1,
        )
    return article


def load_front_matters(config: Config) -> dict[Path, FrontMatter]:
    """Every article's front matter (not its body), with unique slugs."""
    paths = config.articles()
    if not paths:
        raise SourceError("no articles (*.md) found", config.relative(config.source_path))
    metas: dict[Path, FrontMatter] = {}
    owners: dict[str, str] = {UI_DOMAIN: "the ui domain"}
    for path in paths:
        name = config.relative(path)
        yaml_text, _, _ = split_front_matter(_read_source(path, name), name)
        meta = parse_front_matter(yaml_text, name)
        if meta.slug in owners:
            raise SourceError(f"slug {meta.slug!r} is already used by {owners[meta.slug]}", name, 1)
        owners[meta.slug] = name
        metas[path] = meta
    return metas


def load_articles(config: Config) -> list[Article]:
    return [load_article(config, path) for path in load_front_matters(config)]


def template_files() -> list[tuple[Path, str]]:
    """The package's templates, each with the name its references give it.

    References name a template by its place in the package's source tree
    (``pipeline/templates/page.html``), wherever the package is installed, so
    a catalog never carries a path of one machine.
    """
    return [
        (path, f"pipeline/templates/{path.name}") for path in sorted(TEMPLATES_DIR.glob("*.html"))
    ]


def _write(
    config: Config,
    path: Path,
    catalog: Catalog,
    header: Header,
    *,
    lang: str = "",
    memory: tuple[int, int] = (0, 0),
) -> FileChange:
    existed = path.exists()
    data = po_bytes(
        catalog, header, format_flags=path.stem == UI_DOMAIN, name=config.relative(path)
    )
    changed = write_if_changed(path, data)
    action = "unchanged" if not changed else ("updated" if existed else "created")
    return FileChange(config.relative(path), action, lang, memory)


_MEMORIES: dict[str, Memory] = {}
"""The translation memory of each language ``update`` fills from, in this process."""
_GLOSSARY = Glossary()
"""The project's terminology, shown to translators on the entries that use its terms."""


def _use_memories(memories: dict[str, Memory], glossary: Glossary | None = None) -> None:
    global _GLOSSARY
    _MEMORIES.clear()
    _MEMORIES.update(memories)
    _GLOSSARY = glossary or Glossary()


def _add_glossary_comments(catalog: Catalog, lang: str, glossary: Glossary) -> None:
    """``#. glossary: stroke = AVC (critical)`` on each entry whose source uses a term."""
    for message in catalog:
        if message.id and isinstance(message.id, str):
            line = glossary_comment(message.id, lang, glossary)
            if line and line not in message.auto_comments:
                message.auto_comments.append(line)


def _parallel(
    function: Callable[..., list[FileChange]],
    items: Sequence[Any],
    jobs: int,
    memories: dict[str, Memory] | None = None,
    glossary: Glossary | None = None,
) -> list[FileChange]:
    """``function`` over ``items`` on a process pool when there is enough work to share;
    ``memories`` and the ``glossary`` are sent once to each process."""
    workers = min(jobs or os.cpu_count() or 1, len(items))
    if workers <= 1 or len(items) < 16:
        _use_memories(memories or {}, glossary)
        results = [function(*item) for item in items]
    else:
        chunk = max(1, len(items) // (workers * 8))
        with ProcessPoolExecutor(
            max_workers=workers, initializer=_use_memories, initargs=(memories or {}, glossary)
        ) as pool:
            results = list(pool.map(function, *zip(*items, strict=True), chunksize=chunk))
    return [change for changes in results for change in changes]


def _extract_article(config: Config, path: Path) -> tuple[Catalog, FileChange]:
    """Write one article's POT; the template comes back dated as the file on disk says."""
    article = load_article(config, path)
    template = article_template(article, project=article.meta.publisher)
    pot_path = config.pot_path(article.slug)
    change = _write_template(config, pot_path, template)
    if change.action == "unchanged":
        found = _POT_DATE.search(pot_path.read_bytes())
        if found:
            template.mime_headers = [("POT-Creation-Date", found.group(1).decode())]
    return template, change


def _write_template(config: Config, path: Path, template: Catalog) -> FileChange:
    """Write a POT; fields a tool or a person added to its header stay."""
    existing = read_header(path.read_bytes()) if path.exists() else []
    return _write(config, path, template, with_fields(existing, template_header(template)))


def _extract_one(config: Config, path: Path) -> list[FileChange]:
    return [_extract_article(config, path)[1]]


def _write_ui_template(config: Config, metas: dict[Path, FrontMatter]) -> FileChange:
    publisher = next(iter(metas.values())).publisher
    ui = ui_template(template_files(), project=publisher)
    return _write_template(config, config.pot_path(UI_DOMAIN), ui)


def extract(config: Config, *, jobs: int = 0) -> list[FileChange]:
    """Write ``locale/<domain>.pot`` for every article and for the templates."""
    metas = load_front_matters(config)
    changes = _parallel(_extract_one, [(config, path) for path in metas], jobs)
    changes.append(_write_ui_template(config, metas))
    return changes


def _read_template(config: Config, domain: str) -> Catalog:
    path = config.pot_path(domain)
    return load_catalog(path, config.relative(path))


def domains(config: Config) -> list[str]:
    return sorted(path.stem for path in config.locale_path.glob("*.pot"))


def init(config: Config, lang: str) -> list[FileChange]:
    """Create ``locale/<lang>/LC_MESSAGES/<domain>.po`` for every domain that lacks one."""
    lang = language_tag(lang, source_language=config.source_language)
    changes = []
    for domain in domains(config) or _extract_domains(config):
        po_path = config.po_path(lang, domain)
        if po_path.exists():
            changes.append(FileChange(config.relative(po_path), "exists"))
            continue
        catalog = init_catalog(_read_template(config, domain), lang)
        changes.append(_write(config, po_path, catalog, init_header(catalog)))
    return changes


def _extract_domains(config: Config) -> list[str]:
    extract(config)
    return domains(config)


def _update_domain(
    config: Config, domain: str, languages: list[str], source: Path | None
) -> list[FileChange]:
    """Extract an article (when ``source`` is given) and merge its template into each language.

    Doing both in one task spares writing the template and reading it back.
    """
    changes: list[FileChange] = []
    if source is not None:
        template, change = _extract_article(config, source)
        changes.append(change)
    else:
        template = _read_template(config, domain)
    for lang in languages:
        po_path = config.po_path(lang, domain)
        data = read_regular(po_path, config.relative(po_path))
        if data is not None:
            catalog = read_catalog(data, config.relative(po_path), locale=lang)
            merged = merge(catalog, template)
            header = update_header(read_header(data), template)
        else:
            merged = init_catalog(template, lang)
            header = init_header(merged)
        filled = fill(merged, _MEMORIES[lang]) if lang in _MEMORIES else (0, 0)
        _add_glossary_comments(merged, lang, _GLOSSARY)
        changes.append(_write(config, po_path, merged, header, lang=lang, memory=filled))
    return changes


def load_project_glossary(config: Config) -> Glossary:
    """The project's terminology (the ``glossary`` setting), empty when there is none."""
    if not config.glossary:
        return Glossary()
    data = read_regular(config.root / config.glossary, config.glossary)
    if data is None:
        raise ConfigError("glossary not found (the 'glossary' setting)", config.glossary)
    return load_glossary(data, config.glossary, config.source_language)


def load_memories(config: Config, languages: Sequence[str]) -> dict[str, Memory]:
    """Each language's translation memory: every catalog it has in the project, then the
    compendia of the ``memory`` setting (a PO file serves its ``Language``; a TMX file
    every language it holds)."""
    catalogs: list[tuple[str, Catalog]] = []
    tmx_units: list[tuple[str, str, str]] = []
    for lang in languages:
        folder = config.po_path(lang, UI_DOMAIN).parent
        for path in sorted(folder.glob("*.po")):
            data = read_regular(path, config.relative(path))
            # Read leniently: a catalog that is not valid is refused, at its line, when it
            # is merged; memory only needs its translations.
            with contextlib.suppress(PoFileError, ValueError, LookupError):
                catalogs.append((lang, read_po(io.BytesIO(data or b""))))
    for name in config.memory:
        data = read_regular(config.root / name, name)
        if data is None:
            raise CatalogError("translation memory not found (the 'memory' setting)", name)
        if name.endswith(".tmx"):
            tmx_units.extend(read_tmx(data, name, config.source_language))
            continue
        compendium = read_catalog(data, name, strict=True)
        declared = header_value(read_header(data), "Language")
        if not declared:
            raise CatalogError("a compendium needs its Language header", name, 1)
        catalogs.append((to_bcp47(declared), compendium))
    found = memories(catalogs, tmx_units, languages)
    return {lang: memory for lang, memory in found.items() if lang in languages}


def update(
    config: Config, languages: list[str] | None = None, *, jobs: int = 0, memory: bool = True
) -> list[FileChange]:
    """Extract every template and merge it into every language's catalog, creating missing ones.

    A template whose article is gone is merged as it is on disk, so its
    translations stay where they are until the template is removed. With
    ``memory``, untranslated entries are filled from translation memory
    (:mod:`pipeline.memory`).
    """
    targets = [language_tag(lang) for lang in languages] if languages else config.languages()
    metas = load_front_matters(config)
    changes = [_write_ui_template(config, metas)]
    sources = {meta.slug: path for path, meta in metas.items()}
    names = sorted({*domains(config), *sources})
    items = [(config, name, targets, sources.get(name)) for name in names]
    memories = load_memories(config, targets) if memory else {}
    glossary = load_project_glossary(config)
    return changes + _parallel(_update_domain, items, jobs, memories, glossary)


def load_translation(config: Config, lang: str, domain: str) -> Catalog | None:
    po_path = config.po_path(lang, domain)
    data = read_regular(po_path, config.relative(po_path))
    return None if data is None else read_catalog(data, config.relative(po_path), locale=lang)


def stats(config: Config, languages: list[str] | None = None) -> Iterator[Stats]:
    for lang in [language_tag(lang) for lang in languages or ()] or config.languages():
        for domain in domains(config):
            catalog = load_translation(config, lang, domain)
            if catalog is None:
                template = _read_template(config, domain)
                catalog = init_catalog(template, lang)
            signed = reviewed(load_review_record(config, lang, domain), catalog)
            yield catalog_stats(catalog, lang, domain, signed.keys())


def load_review_record(config: Config, lang: str, domain: str) -> ReviewRecord | None:
    path = config.review_path(lang, domain)
    data = read_regular(path, config.relative(path))
    return None if data is None else load_review(data, config.relative(path))


@dataclass(frozen=True)
class ReviewChange:
    path: str
    signed: int
    """Entries newly signed off."""
    reviewed: int
    translated: int


def review(
    config: Config, lang: str, reviewer: str, *, article: str | None = None, day: date | None = None
) -> list[ReviewChange]:
    """Record that ``reviewer`` revised the current translations of ``lang`` (of one article's
    catalog, or of every catalog): ``locale/<lang>/reviews/<domain>.json``."""
    lang = language_tag(lang, source_language=config.source_language)
    if not reviewer.strip():
        raise PipelineError("--reviewer needs the reviewer's name")
    names = [article] if article else domains(config)
    if article and article not in domains(config):
        raise PipelineError(f"no article {article!r} (known: {', '.join(domains(config))})")
    changes = []
    for domain in names:
        catalog = load_translation(config, lang, domain)
        if catalog is None:
            continue
        path = config.review_path(lang, domain)
        record = load_review_record(config, lang, domain) or ReviewRecord(domain)
        record, added = sign(record, catalog, reviewer.strip(), day or build_date().date())
        path.parent.mkdir(parents=True, exist_ok=True)
        data = dump_review(record)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        translated = sum(1 for m in catalog if m.id and is_translated(m))
        changes.append(ReviewChange(config.relative(path), added, len(record.entries), translated))
    return changes


def check(config: Config, languages: list[str] | None = None) -> list[Finding]:
    """Every check on every catalog of the named (or all) languages."""
    from pipeline.checks import CheckContext, check_catalog, unreadable_finding

    articles = {article.slug: article for article in load_articles(config)}
    units = {slug: {unit.key: unit for unit in a.units()} for slug, a in articles.items()}
    findings: list[Finding] = []
    glossary = load_project_glossary(config)
    for lang in [language_tag(lang) for lang in languages or ()] or config.languages():
        context = CheckContext.from_config(config, lang, glossary=glossary)
        for domain in domains(config):
            name = config.relative(config.po_path(lang, domain))
            try:
                catalog = load_translation(config, lang, domain)
            except PipelineError as exc:
                findings.append(unreadable_finding(exc, lang=lang, domain=domain, path=name))
                continue
            if catalog is None:
                continue
            findings.extend(
                check_catalog(
                    catalog,
                    lang=lang,
                    domain=domain,
                    path=name,
                    context=context,
                    units=units.get(domain),
                    links=articles[domain].links if domain in articles else (),
                )
            )
        for article in articles.values():
            findings.extend(image_findings(config, article, lang))
    # A file refused for every language is said once, not once per language.
    seen: set[tuple[str, int, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.path, finding.line, finding.message)
        if finding.check == "image" and key in seen:
            continue
        seen.add(key)
        unique.append(finding)
    return unique


def image_findings(config: Config, article: Article, lang: str) -> list[Finding]:
    """The article's images as ``lang`` shows them: refused files (errors), a missing
    language version of an image with words, or a figure too coarse to print (warnings)."""
    from pipeline.checks import Finding
    from pipeline.images import choose, image_problems
    from pipeline.render.l10n import column_inches, paper_size

    def read(name: str) -> bytes | None:
        check_inside(config.root, name)
        return read_regular(config.root / name, name)

    def finding(severity: Severity, check: str, src: str, line: int, text: str) -> Finding:
        return Finding(check, severity, text, src, lang, article.slug, article.path, line)

    images = []
    for ref in article.images:
        try:
            images.append(choose(ref, article.path, lang, read))
        except PipelineError as exc:
            return [finding("error", "image", ref.src, exc.line or ref.line, exc.message)]
    column = column_inches(paper_size(lang, config.paper))
    problems = image_problems(
        article.images, images, lang=lang, source_lang=config.source_language, column_inches=column
    )
    return [finding("warning", check, ref.src, ref.line, text) for ref, check, text in problems]
