"""What a build must do: gate every requested (article, language), find stale targets.

Imported only when the build has work to plan, so that an unchanged project
never imports the parsers, Babel or WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build.files import MISSING, sha
from pipeline.build.gating import cached_verdict, prune_gates
from pipeline.build.inputs import InputFiles, Inputs, fingerprint, read_theme
from pipeline.build.jobs import RenderContext, RenderJob
from pipeline.build.manifest import IMAGES_MARK, Manifest, Target, cached_source
from pipeline.build.report import BuildOptions, BuildReport
from pipeline.build.shards import split
from pipeline.build.sources import Sources
from pipeline.catalog import build_date
from pipeline.errors import ConfigError, PipelineError, SourceError
from pipeline.images import image_problems
from pipeline.layout import FORMATS, IMAGE_DIR, INDEX_PATH, SITEMAP_PATH, Format, target_path
from pipeline.project import PSEUDO_TAGS, UI_DOMAIN, Config
from pipeline.render.l10n import column_inches, paper_size
from pipeline.render.site import Site, make_site
from pipeline.translate import LocalizedArticle, translate


@dataclass
class Plan:
    sources: Sources
    inputs: Inputs
    slugs: dict[str, str]
    """Source path -> slug."""
    published: dict[str, list[str]]
    """Slug -> languages published, source language first."""
    frozen: set[tuple[str, str]]
    """(lang, slug) whose inputs could not be read: left exactly as they are."""
    context: RenderContext
    pdf_jobs: list[RenderJob] = field(default_factory=list)
    page_jobs: list[RenderJob] = field(default_factory=list)
    image_files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """Output path -> (hash of the source image, bytes) of image files to publish."""
    started: set[str] = field(default_factory=set)
    """Output paths of the brochures already submitted while planning."""
    discarded: set[str] = field(default_factory=set)
    """Output paths of brochures submitted before their language's checks, which then refused
    it: their bytes are dropped, never written."""


Submit = Callable[[RenderJob, RenderContext], None]


def _requested_languages(config: Config, options: BuildOptions, languages: list[str]) -> set[str]:
    everything = {config.source_language, *languages, *PSEUDO_TAGS}
    if not options.languages:
        return everything
    unknown = [lang for lang in options.languages if lang not in everything]
    if unknown:
        raise ConfigError(
            f"no catalogs for {', '.join(unknown)}: start one with 'pipeline init LANG' "
            f"(known: {', '.join(sorted(everything - set(PSEUDO_TAGS)))})"
        )
    return set(options.languages)


def _slugs(sources: Sources, manifest: Manifest) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Source path -> slug and -> image sources, parsing only the articles that changed.

    Slugs must be unique.
    """
    config = sources.config
    paths = {config.relative(p): p for p in config.articles()}
    if not paths:
        raise SourceError("no articles (*.md) found", config.relative(config.source_path))
    slugs: dict[str, str] = {}
    images: dict[str, list[str]] = {}
    owners: dict[str, str] = {UI_DOMAIN: "the ui domain"}
    for name, file in paths.items():
        digest = sources.files.digest(file)
        known = cached_source(manifest.slugs.get(name), digest)
        if known is not None:
            slug, srcs = known
        else:
            article = sources.article(name)
            slug, srcs = article.slug, [image.src for image in article.images]
        if slug in owners:
            raise SourceError(f"slug {slug!r} is already used by {owners[slug]}", name, 1)
        owners[slug] = name
        slugs[name], images[name] = slug, srcs
        manifest.slugs[name] = [digest, slug, IMAGES_MARK, *srcs]
    for name in set(manifest.slugs) - set(paths):
        del manifest.slugs[name]
    return slugs, images


def unpublish(output: Path, manifest: Manifest, report: BuildReport, slug: str, lang: str) -> None:
    """Remove a page and brochure that must no longer be published."""
    for fmt in FORMATS:
        relative = target_path(lang, slug, fmt)
        file = output / relative
        if file.exists():
            file.unlink()
            report.removed.append(relative)
        manifest.files.pop(relative, None)


def make_plan(
    config: Config,
    options: BuildOptions,
    files: InputFiles,
    manifest: Manifest,
    report: BuildReport,
    early: Submit | None = None,
    speculate: bool = False,
) -> Plan:
    """Gate, find what is stale, make the jobs.

    ``early``, when given, gets each stale brochure's job as soon as its language
    is known to be published, while the other languages are still being checked:
    a brochure shows nothing of the others, unlike a page. Those jobs are in the
    plan's ``pdf_jobs`` too, and listed in its ``started``.

    With ``speculate`` (an executor that renders elsewhere), a language published by
    the last build is submitted before its checks run, so that they overlap its
    rendering (a saved catalog in ``pipeline serve``); if the checks refuse it, its
    job is listed in the plan's ``discarded`` and its bytes are never written.
    """
    sources = Sources(files)
    output = config.output_path
    languages = config.languages()
    requested = _requested_languages(config, options, languages)
    slugs, images = _slugs(sources, manifest)
    inputs = fingerprint(files, languages, slugs, images)
    print_context = RenderContext(
        project_site(sources, (), {}), config.root, config.do_not_translate
    )
    started: dict[str, RenderJob] = {}

    def start(path: str, slug: str, lang: str) -> None:
        if early is None or options.shard is not None or lang not in requested:
            return
        target = Target(slug, lang, "pdf", sha("pdf", inputs.edition_key(path, slug, lang),
                                               inputs.fonts))  # fmt: skip
        if target.path in started or manifest.is_current(output, target):
            return
        try:
            job = _job(sources, target, path, lang)
        except PipelineError:
            return  # reported where the plan makes its jobs
        started[target.path] = job
        early(job, print_context)

    discarded: set[str] = set()

    def discard(slug: str, lang: str) -> None:
        path = target_path(lang, slug, "pdf")
        if started.pop(path, None) is not None:
            discarded.add(path)

    published: dict[str, list[str]] = {}
    frozen: set[tuple[str, str]] = set()
    live_gates: list[str] = []
    for path, slug in slugs.items():
        published[slug] = [config.source_language]
        start(path, slug, config.source_language)
        for lang in languages:
            if lang not in requested:
                if manifest.published(lang, slug):
                    published[slug].append(lang)
                continue
            if speculate and manifest.published(lang, slug):
                start(path, slug, lang)
            key, verdict = cached_verdict(sources, inputs, manifest, path, slug, lang)
            live_gates.append(key)
            report.findings.extend(verdict.findings)
            if not verdict.decision.published or verdict.unreadable:
                discard(slug, lang)
            if verdict.unreadable:
                report.unreadable.extend(verdict.unreadable)
                frozen.add((lang, slug))
                if manifest.published(lang, slug):
                    published[slug].append(lang)
            elif verdict.decision.published:
                published[slug].append(lang)
                start(path, slug, lang)
            else:
                report.refused.append(verdict.decision)
                unpublish(output, manifest, report, slug, lang)
    prune_gates(manifest, live_gates, requested if options.languages else ())

    plan = Plan(
        sources, inputs, slugs, published, frozen, RenderContext(_empty_site(config), config.root)
    )
    stale: dict[Format, list[tuple[Target, str, str]]] = {"pdf": [], "html": []}
    wanted: set[str] = set()
    editions: dict[str, list[str]] = {}
    for path, slug in slugs.items():
        langs = [
            lang for lang in published[slug] if lang in requested and (lang, slug) not in frozen
        ]
        if options.pseudo:
            langs += [lang for lang in PSEUDO_TAGS if lang in requested or not options.languages]
        editions[path] = langs
    if options.shard is not None:
        _keep_shard(files, slugs, editions, options.shard)
    for path, slug in slugs.items():
        for lang in editions[path]:
            base = inputs.edition_key(path, slug, lang)
            pdf = Target(slug, lang, "pdf", sha("pdf", base, inputs.fonts))
            html = Target(slug, lang, "html", sha("html", base, pdf.key, *published[slug]))
            current = True
            for target in (pdf, html):
                wanted.add(target.path)
                if target.path in started:
                    current = False
                    stale[target.fmt].append((target, path, lang))
                elif manifest.is_current(output, target):
                    report.skipped.append(target)
                else:
                    current = False
                    stale[target.fmt].append((target, path, lang))
            if not current and sources.article(path).images:
                _report_image_problems(sources, path, lang, report)
            digests = inputs.images.get((path, lang), ())
            if digests and not (current and manifest.images_current(output, digests)):
                for image in sources.images(path, lang):
                    for copy in image.renditions:
                        plan.image_files[copy.path] = (image.digest, copy.data)
    if not options.languages:
        _remove_leftovers(output, manifest, report, wanted, frozen)
    if stale["pdf"] or stale["html"]:
        site = _site(config, sources, slugs, published, manifest, report)
        plan.context = RenderContext(site, config.root, config.do_not_translate)
        plan.pdf_jobs = [started.get(item[0].path) or _job(sources, *item) for item in stale["pdf"]]
        plan.started = set(started)
        plan.page_jobs = [_job(sources, *item) for item in stale["html"]]
    plan.discarded = discarded
    for path in slugs:
        _report_review_due(sources, path, report)
    return plan


def _keep_shard(
    files: InputFiles,
    slugs: dict[str, str],
    editions: dict[str, list[str]],
    shard: tuple[int, int],
) -> None:
    """Keep in ``editions`` only those of this shard; an edition's cost is its article's size."""
    config = files.config
    costs = {
        (slug, lang): len(files.read(config.root / path) or b"")
        for path, slug in slugs.items()
        for lang in editions[path]
    }
    part = split(costs, shard[1])[shard[0] - 1]
    for path, slug in slugs.items():
        editions[path] = [lang for lang in editions[path] if (slug, lang) in part]


def _remove_leftovers(
    output: Path,
    manifest: Manifest,
    report: BuildReport,
    wanted: set[str],
    frozen: set[tuple[str, str]],
) -> None:
    """Pages and brochures an earlier build wrote that no input asks for any more."""
    for target in manifest.targets():
        if target.path in wanted or (target.lang, target.slug) in frozen:
            continue
        file = output / target.path
        if file.exists():
            file.unlink()
            report.removed.append(target.path)
        del manifest.files[target.path]


def _report_review_due(sources: Sources, path: str, report: BuildReport) -> None:
    """An article whose ``next_review`` day is past: published still, said on every build
    that plans it."""
    if path not in sources.parsed():
        return
    due = sources.article(path).meta.accountability
    today = build_date().date()
    if due.next_review is not None and due.next_review < today:
        report.warnings.append(
            f"{path}:{due.next_review_line}: next_review {due.next_review.isoformat()} is past: "
            "the article is due for its medical review"
        )


def _report_image_problems(sources: Sources, path: str, lang: str, report: BuildReport) -> None:
    config = sources.config
    column = column_inches(paper_size(lang, config.paper, source_lang=config.source_language))
    article = sources.article(path)
    problems = image_problems(
        article.images,
        sources.images(path, lang),
        lang=lang,
        source_lang=config.source_language,
        column_inches=column,
    )
    report.warnings.extend(f"{path}:{ref.line}: {lang}: {text}" for ref, _, text in problems)


def remove_unused_images(output: Path, manifest: Manifest, report: BuildReport) -> None:
    """Published images no recorded page or brochure shows any more, and image files no
    build recorded (a build killed after writing them). After a full build that succeeded:
    a page left as it was (its catalog unreadable, its render failed) keeps its images."""
    used = manifest.images_in_use()
    for path in manifest.images():
        if path not in used:
            (output / path).unlink(missing_ok=True)
            report.removed.append(path)
            del manifest.files[path]
    folder = output / IMAGE_DIR
    if folder.is_dir():
        for file in folder.iterdir():
            name = f"{IMAGE_DIR}/{file.name}"
            if file.is_file() and not file.name.startswith(".") and name not in manifest.files:
                file.unlink()
                report.removed.append(name)


def _job(sources: Sources, target: Target, path: str, lang: str) -> RenderJob:
    images = sources.images(path, lang)
    files: tuple[tuple[str, bytes], ...] = ()
    if target.fmt == "pdf":  # the brochure embeds them: sent with the job, never read back
        files = tuple((image.path, image.data) for image in images)
    uses = tuple(copy.path for image in images for copy in image.renditions)
    localized = sources.localized(path, lang)
    return RenderJob(target, localized, sources.ui_mo(lang), files=files, uses=uses)


def _empty_site(config: Config) -> Site:
    return Site(config.site_url, config.source_language, "", (), ())


def _editions(
    sources: Sources, slugs: dict[str, str], published: dict[str, list[str]], report: BuildReport
) -> list[LocalizedArticle]:
    """Every published (article, language); a catalog that cannot be read shows the source."""
    editions = []
    for path, slug in slugs.items():
        for lang in published[slug]:
            try:
                editions.append(sources.localized(path, lang))
            except PipelineError as exc:
                if exc not in report.unreadable:
                    report.unreadable.append(exc)
                article = sources.article(path)
                editions.append(
                    translate(article, None, lang, source_lang=sources.config.source_language)
                )
    return editions


def _site(
    config: Config,
    sources: Sources,
    slugs: dict[str, str],
    published: dict[str, list[str]],
    manifest: Manifest,
    report: BuildReport,
) -> Site:
    sizes = {
        (target.lang, target.slug): manifest.files[target.path].size
        for target in manifest.targets()
        if target.fmt == "pdf"
    }
    return project_site(sources, _editions(sources, slugs, published, report), sizes)


def project_site(
    sources: Sources,
    editions: Iterable[LocalizedArticle],
    pdf_sizes: Mapping[tuple[str, str], int],
) -> Site:
    """The site of ``editions`` with the project's settings: its address, paper, contact
    details, theme (read from the bytes this build hashed) and do-not-translate names."""
    config = sources.config
    return make_site(
        editions,
        site_url=config.site_url,
        source_lang=config.source_language,
        pdf_sizes=pdf_sizes,
        paper=config.paper,
        contact=config.contact,
        theme=read_theme(config, sources.files),
        terms=config.do_not_translate,
    )


def listings(config: Config) -> list[str]:
    return [INDEX_PATH, SITEMAP_PATH] if config.site_url else [INDEX_PATH]


def listed(plan: Plan, manifest: Manifest) -> dict[str, list[str]]:
    """Slug -> the published languages whose page and brochure are both in place."""
    return {
        slug: [lang for lang in langs if manifest.published(lang, slug)]
        for slug, langs in plan.published.items()
    }


def listing_key(config: Config, plan: Plan, manifest: Manifest) -> str:
    visible = listed(plan, manifest)
    entries = sorted(
        f"{lang}/{slug}:{manifest.files[target_path(lang, slug, 'pdf')].size}:"
        f"{manifest.files[target_path(lang, slug, 'html')].key}"
        for slug, langs in visible.items()
        for lang in langs
    )
    source_ui = plan.inputs.catalogs.get((config.source_language, UI_DOMAIN), MISSING)
    return sha("site", plan.inputs.code, plan.inputs.config, source_ui, *entries)


def listing_site(config: Config, plan: Plan, manifest: Manifest, report: BuildReport) -> Site:
    return _site(config, plan.sources, plan.slugs, listed(plan, manifest), manifest, report)
