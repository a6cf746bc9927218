"""What a build must do: gate every (article, language), find stale targets, render one.

Split from :mod:`pipeline.build` so that an unchanged project never imports
the parsers, Babel or WeasyPrint: this module is imported only when the
build has work to plan.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations

from pipeline.article import Article
from pipeline.build import (
    BuildOptions,
    BuildReport,
    Inputs,
    Manifest,
    Progress,
    RenderJob,
    Target,
    fingerprint,
    sha,
    write_atomic,
)
from pipeline.catalog import UI_DOMAIN, message_key
from pipeline.checks import CheckContext, Finding, GateDecision, check_catalog, gate
from pipeline.errors import CatalogError, ConfigError, PipelineError, SourceError
from pipeline.project import Config
from pipeline.render.html import render_index, render_page, render_sitemap
from pipeline.render.site import INDEX_PATH, SITEMAP_PATH, Site, make_site
from pipeline.translate import (
    PSEUDO_LOCALES,
    LocalizedArticle,
    PseudoTranslations,
    gettext_translations,
    pseudo_localize,
    translate,
)
from pipeline.workspace import load_article, load_translation


class Project:
    """The project's articles and catalogs, each read and parsed at most once."""

    def __init__(self, config: Config):
        self.config = config
        self._articles: dict[str, Article] = {}
        self._catalogs: dict[tuple[str, str], Catalog | None] = {}
        self._localized: dict[tuple[str, str], LocalizedArticle] = {}
        self._ui_mo: dict[str, bytes] = {}

    def article(self, path: str) -> Article:
        if path not in self._articles:
            self._articles[path] = load_article(self.config, self.config.root / path)
        return self._articles[path]

    def localized(self, path: str, lang: str) -> LocalizedArticle:
        """The article at ``path`` in ``lang``: translated, pseudo-translated, or the source."""
        if (path, lang) not in self._localized:
            article = self.article(path)
            source = self.config.source_language
            if lang in PSEUDO_LOCALES:
                keep = self.config.do_not_translate
                localized = pseudo_localize(article, lang, source_lang=source, keep=keep)
            else:
                catalog = None if lang == source else self.catalog(lang, article.slug)
                localized = translate(article, catalog, lang, source_lang=source)
            self._localized[(path, lang)] = localized
        return self._localized[(path, lang)]

    def ui_mo(self, lang: str) -> bytes:
        """The compiled ``ui`` catalog of ``lang`` (empty for none), to send to workers."""
        if lang not in self._ui_mo:
            catalog = None if lang in PSEUDO_LOCALES else self.catalog(lang, UI_DOMAIN)
            buffer = io.BytesIO()
            if catalog is not None:
                write_mo(buffer, catalog, use_fuzzy=False)
            self._ui_mo[lang] = buffer.getvalue()
        return self._ui_mo[lang]

    def catalog(self, lang: str, domain: str) -> Catalog | None:
        """The PO file of ``lang`` and ``domain``, or None when there is none."""
        if (lang, domain) not in self._catalogs:
            self._catalogs[(lang, domain)] = load_translation(self.config, lang, domain)
        return self._catalogs[(lang, domain)]


@dataclass
class Plan:
    project: Project
    inputs: Inputs
    published: dict[str, list[str]]
    """Slug -> languages published, source language first."""
    context: RenderContext
    pdf_jobs: list[RenderJob] = field(default_factory=list)
    page_jobs: list[RenderJob] = field(default_factory=list)


@dataclass(frozen=True)
class RenderContext:
    """What every worker needs besides the job itself."""

    site: Site
    root: Path
    keep: tuple[str, ...] = ()
    """Do-not-translate terms, which pseudo-locales leave as they are."""


def _critical_keys(article: Article) -> set[tuple[str, str | None]]:
    return {unit.key for unit in article.units() if unit.critical}


def _critical_ui_keys(catalog: Catalog | None) -> set[tuple[str, str | None]]:
    if catalog is None:
        return set()
    return {
        message_key(m) for m in catalog if m.id and any("critical" in c for c in m.auto_comments)
    }


def _decide(
    project: Project, path: str, slug: str, lang: str
) -> tuple[GateDecision, list[Finding], list[PipelineError]]:
    """Run the checks and the gate of one (article, language)."""
    config = project.config
    article = project.article(path)
    findings: list[Finding] = []
    reasons: list[str] = []
    errors: list[PipelineError] = []
    shares: list[float] = []
    context = CheckContext.from_config(config, lang)
    for domain, critical in ((slug, _critical_keys(article)), (UI_DOMAIN, None)):
        po_name = config.relative(config.po_path(lang, domain))
        try:
            catalog = project.catalog(lang, domain)
        except CatalogError as exc:
            errors.append(exc)
            reasons.append(f"{po_name} cannot be read")
            continue
        if catalog is None:
            if domain == slug:
                reasons.append(f"no catalog {po_name} (run pipeline update)")
            continue
        domain_findings = check_catalog(
            catalog, lang=lang, domain=domain, path=po_name, context=context
        )
        findings.extend(domain_findings)
        keys = critical if critical is not None else _critical_ui_keys(catalog)
        decision = gate(
            domain_findings,
            catalog,
            keys,
            lang=lang,
            domain=domain,
            min_translated=config.min_translated,
        )
        if domain == slug:
            shares.append(decision.translated_share)
        reasons.extend(f"{domain}: {reason}" for reason in decision.reasons)
    published = not reasons
    share = shares[0] if shares else 0.0
    return GateDecision(lang, slug, published, tuple(reasons), share), findings, errors


def _finding_from(data: dict[str, Any]) -> Finding:
    path, _, line = str(data["location"]).rpartition(":")
    return Finding(
        data["check"], data["severity"], data["message"], data["msgid"], data["lang"],
        data["domain"], path, int(line),
    )  # fmt: skip


def _gate_all(
    project: Project,
    inputs: Inputs,
    slugs: dict[str, str],
    languages: list[str],
    manifest: Manifest,
    report: BuildReport,
) -> dict[str, list[str]]:
    """Gate every (article, language), from the manifest's cache where the inputs match.

    Returns the languages published per slug, source language first; unpublishes the rest.
    """
    config = project.config
    published: dict[str, list[str]] = {}
    gate_keys: dict[tuple[str, str], str] = {}
    for path, slug in slugs.items():
        published[slug] = [config.source_language]
        for lang in languages:
            key = sha(
                "gate", inputs.sources[path], inputs.catalogs[(lang, slug)],
                inputs.catalogs[(lang, UI_DOMAIN)], inputs.code, inputs.config, inputs.fonts,
            )  # fmt: skip
            gate_keys[(slug, lang)] = key
            cached: dict[str, Any] | None = manifest.gates.get(key)
            if cached is None:
                decision, findings, errors = _decide(project, path, slug, lang)
                cached = {
                    "published": decision.published,
                    "reasons": list(decision.reasons),
                    "share": decision.translated_share,
                    "findings": [f.as_dict() for f in findings],
                    "errors": [[e.path, e.line, e.message] for e in errors],
                }
                manifest.gates[key] = cached
            report.findings.extend(_finding_from(f) for f in cached["findings"])
            for error_path, line, message in cached["errors"]:
                report.failed.append((None, CatalogError(message, error_path, line)))
            if cached["published"]:
                published[slug].append(lang)
            else:
                report.refused.append(
                    GateDecision(lang, slug, False, tuple(cached["reasons"]), cached["share"])
                )
                _unpublish(config, manifest, report, slug, lang)
    live = set(gate_keys.values())
    manifest.gates = {k: v for k, v in manifest.gates.items() if k in live}
    return published


def make_plan(
    config: Config,
    options: BuildOptions,
    manifest: Manifest,
    report: BuildReport,
    progress: Progress,
) -> Plan:
    project = Project(config)
    languages = config.languages()
    requested = _requested_languages(config, options, languages)

    slugs: dict[str, str] = {}
    sources = {config.relative(p): p for p in config.articles()}
    if not sources:
        raise SourceError("no articles (*.md) found", config.relative(config.source_path))
    for path, file in sources.items():
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        known = manifest.slugs.get(path)
        if known and known[0] == digest:
            slugs[path] = known[1]
        else:
            slugs[path] = project.article(path).slug
            manifest.slugs[path] = [digest, slugs[path]]
    for path in set(manifest.slugs) - set(sources):
        del manifest.slugs[path]
    inputs = fingerprint(config, languages, slugs)

    published = _gate_all(project, inputs, slugs, languages, manifest, report)

    plan = Plan(project, inputs, published, RenderContext(_empty_site(config), config.root))
    stale: dict[str, list[tuple[Target, str, str]]] = {"pdf": [], "html": []}
    for path, slug in slugs.items():
        langs = [lang for lang in published[slug] if lang in requested]
        if options.pseudo:
            langs += [lang for lang in PSEUDO_LOCALES if lang in requested or not options.languages]
        for lang in langs:
            ui_hash = inputs.catalogs.get((lang, UI_DOMAIN), "")
            base = sha(
                inputs.sources[path], inputs.catalogs.get((lang, slug), ""), ui_hash,
                inputs.code, inputs.config, lang,
            )  # fmt: skip
            pdf = Target(slug, lang, "pdf", sha("pdf", base, inputs.fonts))
            html = Target(slug, lang, "html", sha("html", base, pdf.key, *published[slug]))
            for target in (pdf, html):
                if _is_current(config, manifest, target):
                    report.skipped.append(target)
                else:
                    stale[target.fmt].append((target, path, lang))
    if stale["pdf"] or stale["html"]:
        site = _site(config, project, slugs, published, manifest)
        plan.context = RenderContext(site, config.root, config.do_not_translate)
        plan.pdf_jobs = [_job(project, *stale_target) for stale_target in stale["pdf"]]
        plan.page_jobs = [_job(project, *stale_target) for stale_target in stale["html"]]
    return plan


def _requested_languages(config: Config, options: BuildOptions, languages: list[str]) -> set[str]:
    everything = {config.source_language, *languages, *PSEUDO_LOCALES}
    if not options.languages:
        return everything
    unknown = [lang for lang in options.languages if lang not in everything]
    if unknown:
        raise ConfigError(
            f"no catalogs for {', '.join(unknown)}: start one with 'pipeline init LANG' "
            f"(known: {', '.join(sorted(everything - set(PSEUDO_LOCALES)))})"
        )
    return set(options.languages)


def _is_current(config: Config, manifest: Manifest, target: Target) -> bool:
    entry = manifest.targets.get(target.path)
    return (
        entry is not None
        and entry.get("key") == target.key
        and (config.output_path / target.path).is_file()
    )


def _unpublish(
    config: Config, manifest: Manifest, report: BuildReport, slug: str, lang: str
) -> None:
    """A language that fails its gate must not leave its old output behind."""
    for fmt in ("html", "pdf"):
        relative = f"{lang}/{slug}.{fmt}"
        file = config.output_path / relative
        if file.exists():
            file.unlink()
            report.removed.append(relative)
        manifest.targets.pop(relative, None)


def _job(project: Project, target: Target, path: str, lang: str) -> RenderJob:
    return RenderJob(target, project.localized(path, lang), project.ui_mo(lang))


def _empty_site(config: Config) -> Site:
    return Site(config.site_url, config.source_language, "", (), ())


def _site(
    config: Config,
    project: Project,
    slugs: dict[str, str],
    published: dict[str, list[str]],
    manifest: Manifest,
) -> Site:
    editions = [
        project.localized(path, lang) for path, slug in slugs.items() for lang in published[slug]
    ]
    sizes = {
        (target.lang, target.slug): int(entry["size"])
        for relative, entry in manifest.targets.items()
        for target in [Target.from_path(relative)]
        if target.fmt == "pdf"
    }
    return make_site(
        editions,
        site_url=config.site_url,
        source_lang=config.source_language,
        pdf_sizes=sizes,
        paper=config.paper,
    )


# --- rendering (in workers) -----------------------------------------------------------------


def _translations(
    lang: str, ui_mo: bytes, state: dict[str, Any], keep: tuple[str, ...] = ()
) -> Any:
    cache: dict[tuple[str, bytes], Any] = state.setdefault("translations", {})
    if (lang, ui_mo) not in cache:
        if lang in PSEUDO_LOCALES:
            cache[(lang, ui_mo)] = PseudoTranslations(lang, keep)
        elif ui_mo:
            cache[(lang, ui_mo)] = Translations(fp=io.BytesIO(ui_mo))
        else:
            cache[(lang, ui_mo)] = gettext_translations(None)
    return cache[(lang, ui_mo)]


def render_target(job: RenderJob, context: RenderContext, state: dict[str, Any]) -> bytes:
    """Render one target's bytes; ``state`` keeps per-process caches (fonts, CSS)."""
    target = job.target
    translations = _translations(target.lang, job.ui_mo, state, context.keep)
    site = context.site
    if job.pdf_size is not None:
        sizes = {**site.pdf_sizes, (target.lang, target.slug): job.pdf_size}
        site = dataclasses.replace(site, pdf_sizes=sizes)
    if target.fmt == "html":
        return render_page(job.localized, site, translations)
    from pipeline.render.pdf import PdfRenderer

    renderer = state.get("pdf")
    if renderer is None:  # in-process rendering; pool workers are warmed at start
        renderer = state["pdf"] = PdfRenderer(root=context.root)
    data: bytes = renderer.render(job.localized, site, translations)
    return data


# --- after rendering ------------------------------------------------------------------------


def finish(
    config: Config, plan: Plan, manifest: Manifest, report: BuildReport, progress: Progress
) -> None:
    """Write the index and sitemap when what they list changed."""
    built = {
        (lang, slug)
        for slug, langs in plan.published.items()
        for lang in langs
        if f"{lang}/{slug}.html" in manifest.targets and f"{lang}/{slug}.pdf" in manifest.targets
    }
    listing = sorted(
        f"{lang}/{slug}:{manifest.targets[f'{lang}/{slug}.pdf']['size']}:"
        f"{manifest.targets[f'{lang}/{slug}.html']['key']}"
        for lang, slug in built
    )
    source_ui_hash = plan.inputs.catalogs.get((config.source_language, UI_DOMAIN), "")
    key = sha("site", plan.inputs.code, plan.inputs.config, source_ui_hash, *listing)
    output = config.output_path
    listings = [INDEX_PATH, SITEMAP_PATH] if config.site_url else [INDEX_PATH]
    if key == manifest.site and all((output / name).exists() for name in listings):
        return
    project = plan.project
    slugs = {path: slug for path, (_, slug) in manifest.slugs.items()}
    visible = {
        slug: [lang for lang in langs if (lang, slug) in built]
        for slug, langs in plan.published.items()
    }
    site = _site(config, project, slugs, visible, manifest)
    source_ui = _translations(config.source_language, project.ui_mo(config.source_language), {})
    write_atomic(output / INDEX_PATH, render_index(site, source_ui))
    if config.site_url:
        write_atomic(output / SITEMAP_PATH, render_sitemap(site))
    manifest.site = key
    progress(f"index.html: {len(built)} editions")


__all__ = ["Plan", "Project", "RenderContext", "finish", "make_plan", "render_target"]
