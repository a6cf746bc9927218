"""Build: gate each language, render what is stale on an executor, write atomically.

The build works in phases, as MkDocs does: read and hash every input once,
decide what is stale against the manifest, gate each requested (article,
language), render only the stale targets, brochures first (a page shows its
brochure's size), then write the index, sitemap and manifest.

What ``output/`` holds is always what the inputs say: targets are keyed by the
hashes of the bytes they were rendered from, and every file written is
recorded with its own hash, so a file edited by hand, a build killed half
way, or an input edited while the build ran is rendered again next time.
An unchanged project is answered from hashes alone, without parsing anything.

Modules, each using only those above it: :mod:`~pipeline.build.files`,
:mod:`~pipeline.build.inputs`, :mod:`~pipeline.build.manifest`,
:mod:`~pipeline.build.lock`, :mod:`~pipeline.build.report`,
:mod:`~pipeline.build.sources`, :mod:`~pipeline.build.gating`,
:mod:`~pipeline.build.jobs`, :mod:`~pipeline.build.executors` (and
:mod:`~pipeline.build.cluster`, for Dask), :mod:`~pipeline.build.shards`,
:mod:`~pipeline.build.plan`, and this one.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.build.files import bytes_sha, remove_partial_files, shown, write_atomic
from pipeline.build.inputs import InputFiles, fingerprint
from pipeline.build.lock import BuildLocked, build_lock
from pipeline.build.manifest import Manifest, Record, Target, cached_source
from pipeline.build.report import BuildOptions, BuildReport, Progress
from pipeline.domains import reserved_domain
from pipeline.errors import ConfigError, OutputError, PipelineError, RenderError
from pipeline.layout import IMAGE_DIR
from pipeline.project import Config

if TYPE_CHECKING:
    from pipeline.build.executors import Executor
    from pipeline.build.jobs import Outcome, RenderJob, Result
    from pipeline.build.plan import Plan

__all__ = [
    "BuildLocked",
    "BuildOptions",
    "BuildReport",
    "Manifest",
    "Target",
    "build",
    "remove_partial_files",
    "write_atomic",
]

LOCK_NAME = "build.lock"
OLD_MANIFEST = ".manifest.json"
"""Where the manifest once lived, inside the published folder."""


def _quiet(_: str) -> None:
    return None


def build(
    config: Config,
    options: BuildOptions | None = None,
    progress: Progress = _quiet,
    executor: Executor | None = None,
    written: Callable[[Target], None] | None = None,
) -> BuildReport:
    """Build ``output/`` from the project's inputs; one build at a time per project.

    ``executor``, when given, renders instead of the one ``options`` name, and stays open
    for the caller's next build (``pipeline serve`` keeps one warm worker). ``written`` is
    told of each target as soon as it is written.
    """
    options = options or BuildOptions()
    started = time.perf_counter()
    report = BuildReport()
    if options.shard is not None:
        config = _shard_config(config, options)
    with build_lock(config.cache_path / LOCK_NAME, wait=options.wait, say=progress):
        if options.merge:
            _merge(config, options, progress)
            # What the shards did not provide is rendered here, in this process.
            options = dataclasses.replace(options, executor="local", jobs=1)
            executor = None
        _build(config, options, report, progress, executor, written)
    report.warnings.extend(w for w in (site_url_warning(config), email_warning(config)) if w)
    report.seconds = time.perf_counter() - started
    return report


def _shard_config(config: Config, options: BuildOptions) -> Config:
    """A shard builds into its own folder, with its own cache, so shards can run side by side."""
    from pipeline.build.shards import shard_dir

    assert options.shard is not None
    if options.merge:
        raise ConfigError("--shard builds a part and --merge combines parts: give one of them")
    name = shard_dir(config.output_dir, options.shard)
    return dataclasses.replace(config, output_dir=name, cache_dir=f"{config.cache_dir}/{name}")


def _merge(config: Config, options: BuildOptions, progress: Progress) -> None:
    """Check and copy the shards' files into ``output/`` and the manifest."""
    from pipeline.build.shards import import_shards

    output = config.output_path
    output.mkdir(parents=True, exist_ok=True)
    remove_partial_files(output)
    manifest, _ = Manifest.load(config.cache_path)
    count = import_shards(options.merge, output, manifest)
    manifest.save(config.cache_path)
    progress(f"merged {count} file(s) from {len(options.merge)} shard(s)")


def site_url_warning(config: Config) -> str | None:
    """Said once per build while ``site_url`` is an address reserved for examples: every
    brochure prints it, with its QR code, as the place to read it online."""
    name = reserved_domain(config.site_url)
    if name is None:
        return None
    where = "pyproject.toml"
    line = _setting_line(config, "site_url")
    domain = name if "." in name else f".{name}"
    return (
        f"{where}{f':{line}' if line else ''}: NOT A REAL ADDRESS: site_url {config.site_url} "
        f"is in {domain}, a domain reserved for examples and tests (RFC 2606) that leads "
        "nowhere, yet every brochure prints it and its QR code for readers to open: set "
        "[tool.pipeline] site_url to the site's public address before printing"
    )


def email_warning(config: Config) -> str | None:
    """Said once per build while the contact email printed on every brochure and page is in
    a domain reserved for examples: mail to it goes nowhere."""
    email = config.contact.email
    name = reserved_domain("https://" + email.rpartition("@")[2]) if email else None
    if name is None:
        return None
    line = _setting_line(config, "email")
    domain = name if "." in name else f".{name}"
    return (
        f"pyproject.toml{f':{line}' if line else ''}: NOT A REAL ADDRESS: the contact email "
        f"{email} is in {domain}, a domain reserved for examples (RFC 2606): mail to it goes "
        "nowhere, yet every brochure and page prints it; set [tool.pipeline.contact] email"
    )


def _setting_line(config: Config, name: str) -> int | None:
    try:
        text = (config.root / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"\s*{name}\s*=")
    return next((n for n, row in enumerate(text.splitlines(), 1) if pattern.match(row)), None)


def _build(
    config: Config,
    options: BuildOptions,
    report: BuildReport,
    progress: Progress,
    given: Executor | None = None,
    written: Callable[[Target], None] | None = None,
) -> None:
    output = config.output_path
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        cause = "it is not a folder" if output.exists() else exc.strerror
        raise OutputError(f"cannot write the output folder: {cause}", shown(output)) from None
    remove_partial_files(output)
    (output / OLD_MANIFEST).unlink(missing_ok=True)
    manifest, problem = Manifest.load(config.cache_path)
    if problem:
        progress(f"{config.relative(config.cache_path)}: unreadable manifest ({problem}): "
                 "rebuilding everything")  # fmt: skip
    if options.force:
        manifest = dataclasses.replace(manifest, slugs={}, gates={}, complete="")
        for path, record in manifest.files.items():
            target = Target.from_path(path)
            if target is None or not options.languages or target.lang in options.languages:
                record.key = ""
    files = InputFiles(config)
    key = _unchanged_key(config, options, manifest, files)
    if (
        key is not None
        and key == manifest.complete
        and manifest.all_current(output)
        and not _unrecorded_images(output, manifest)
    ):
        report.skipped = manifest.targets()
        manifest.save(config.cache_path)  # records touched files' new times
        return
    # Local workers (or, with one process, a thread of this one) start importing the PDF
    # engine now, while this process plans.
    executor = given or start_executor(
        options.executor, options.scheduler, options.jobs, config.root
    )
    try:
        from pipeline.build import plan as planning

        plan = planning.make_plan(
            config, options, files, manifest, report, executor.submit, executor.concurrent
        )
        _publish_images(plan, output, manifest, progress)
        if plan.pdf_jobs or plan.page_jobs or plan.discarded:
            executor.check_fonts(plan.inputs.fonts)
            gc.freeze()  # the parsed project lives until the end: keep it out of GC passes
            _run(plan, executor, output, manifest, report, progress, written)
        if not report.unreadable and options.shard is None:
            _finish(config, plan, manifest, report, progress)
        if report.ok and not options.languages:
            planning.remove_unused_images(output, manifest, report)
    finally:
        if given is None:
            executor.close()
        else:  # a job of this build left pending (an error stopped it) must not reach the next
            for _ in executor.results():
                pass
    # The key of the inputs the plan read, never of what the disk holds after the build.
    manifest.complete = plan.inputs.key(*_option_key(options)) if report.ok else ""
    manifest.save(config.cache_path)
    if options.shard is not None:
        from pipeline.build.shards import write_shard_manifest

        write_shard_manifest(output, options.shard, manifest, ok=report.ok)


def start_executor(name: str, scheduler: str, jobs: int, root: Path) -> Executor:
    """The executor a build asked for: ``local`` (``jobs`` processes of this machine, 0 for
    one per core) or ``dask`` (the cluster whose scheduler is at ``scheduler``)."""
    from pipeline.build.executors import EXECUTORS, SCHEDULER_VARIABLE, InProcess, ProcessPool
    from pipeline.engine import renders_here

    if name == "dask":
        address = scheduler or os.environ.get(SCHEDULER_VARIABLE, "")
        if not address:
            raise ConfigError(
                f"--executor dask needs the scheduler's address: --scheduler tcp://HOST:PORT "
                f"or {SCHEDULER_VARIABLE}"
            )
        try:
            from pipeline.build.cluster import DaskExecutor
        except ImportError:
            raise ConfigError(
                "--executor dask needs Dask's distributed: pip install 'pipeline[dask]'"
            ) from None
        return DaskExecutor(address)
    if name != "local":
        raise ConfigError(f"unknown executor {name!r} (known: {', '.join(EXECUTORS)})")
    if renders_here(jobs, name):
        return InProcess()
    return ProcessPool(jobs or os.cpu_count() or 1, root)


def _unrecorded_images(output: Path, manifest: Manifest) -> bool:
    """An image file in ``output/`` that no build recorded (one killed after writing it)."""
    folder = output / IMAGE_DIR
    if not folder.is_dir():
        return False
    names = (name for name in os.listdir(folder) if not name.startswith("."))
    return any(f"{IMAGE_DIR}/{name}" not in manifest.files for name in names)


def _unchanged_key(
    config: Config, options: BuildOptions, manifest: Manifest, files: InputFiles
) -> str | None:
    """A hash of every input (as this build read it) and option; None when a source is new."""
    slugs: dict[str, str] = {}
    images: dict[str, list[str]] = {}
    for path in config.articles():
        name = config.relative(path)
        cached = cached_source(manifest.slugs.get(name), files.digest(path))
        if cached is None:
            return None
        slugs[name], images[name] = cached
    if len(slugs) != len(manifest.slugs):
        return None
    inputs = fingerprint(files, config.languages(), slugs, images)
    return inputs.key(*_option_key(options))


def _option_key(options: BuildOptions) -> tuple[str, str, str]:
    return ",".join(sorted(options.languages)), str(options.pseudo), str(options.shard)


def _publish_images(plan: Plan, output: Path, manifest: Manifest, progress: Progress) -> None:
    """Write the image files pages show, before the pages: content-addressed, each once."""
    written = 0
    for path, (digest, data) in sorted(plan.image_files.items()):
        record = manifest.files.get(path)
        if record is not None and record.key == digest and record.still_there(output / path):
            continue
        write_atomic(output / path, data)
        manifest.files[path] = Record.of(digest, data, output / path)
        written += 1
    if written:
        progress(f"images: {written} file(s) written")


def _run(
    plan: Plan,
    executor: Executor,
    output: Path,
    manifest: Manifest,
    report: BuildReport,
    progress: Progress,
    written: Callable[[Target], None] | None = None,
) -> None:
    """Render brochures, longest first, and each page as soon as its brochure is done (a page
    shows its PDF's size); write each file here, atomically, as its bytes arrive."""
    from pipeline.build.jobs import longest_first

    total = len(plan.pdf_jobs) + len(plan.page_jobs)
    done = 0
    pages = {(job.target.lang, job.target.slug): job for job in plan.page_jobs}
    for job in longest_first(plan.pdf_jobs):
        if job.target.path not in plan.started:
            executor.submit(job, plan.context)
    brochures = {(job.target.lang, job.target.slug) for job in plan.pdf_jobs}
    for edition in [edition for edition in pages if edition not in brochures]:
        executor.submit(pages.pop(edition), plan.context)  # its brochure is up to date

    def record(job: RenderJob, outcome: Outcome) -> None:
        nonlocal done
        done += 1
        target = job.target
        if isinstance(outcome, PipelineError):
            report.failed.append((target, outcome))
            manifest.files.pop(target.path, None)
            progress(f"[{done}/{total}] FAILED {target.path}: {outcome}")
            return
        report.built.append((target, outcome.seconds))
        progress(f"[{done}/{total}] {target.path} ({outcome.seconds:.2f} s)")
        if written is not None:
            written(target)

    for job, result in executor.results():
        if job.target.path in plan.discarded:
            continue  # rendered while its language was checked, and refused: never written
        outcome = _write(output, manifest, job, result, plan.inputs.fonts)
        record(job, outcome)
        page = pages.pop((job.target.lang, job.target.slug), None)
        if page is not None:
            if not isinstance(outcome, PipelineError):
                page = dataclasses.replace(page, pdf_size=outcome.size)
            executor.submit(page, plan.context)


def _write(output: Path, manifest: Manifest, job: RenderJob, result: Result, fonts: str) -> Outcome:
    """Write what a job made, atomically, and record it; or say why it was not written."""
    from pipeline.build.executors import wrong_fonts
    from pipeline.build.jobs import Rendered

    if isinstance(result, PipelineError):
        return result
    target = job.target
    problem = wrong_fonts(result, fonts) if target.fmt == "pdf" else None
    if problem:
        return RenderError(problem, target.path)
    try:
        info = write_atomic(output / target.path, result.data)
    except PipelineError as exc:
        return exc
    digest = bytes_sha(result.data)
    manifest.files[target.path] = Record(
        target.key, digest, len(result.data), info.st_mtime_ns, list(job.uses)
    )
    return Rendered(digest, len(result.data), result.seconds)


def _finish(
    config: Config, plan: Plan, manifest: Manifest, report: BuildReport, progress: Progress
) -> None:
    """Write the index and sitemap when what they list changed, or they were touched."""
    from pipeline.build import plan as planning
    from pipeline.build.jobs import ui_translations
    from pipeline.layout import INDEX_PATH, SITEMAP_PATH
    from pipeline.render.html import render_index, render_sitemap

    output = config.output_path
    key = planning.listing_key(config, plan, manifest)
    names = planning.listings(config)
    if all(
        name in manifest.files
        and manifest.files[name].key == key
        and manifest.files[name].still_there(output / name)
        for name in names
    ):
        return
    site = planning.listing_site(config, plan, manifest, report)
    source = config.source_language
    state: dict[str, object] = {}
    source_ui = ui_translations(source, plan.sources.ui_mo(source), state)
    # Each row of the index is in its own language (a page's key covers its ui catalog).
    # A language this build did not ask for may have an unreadable catalog: its row,
    # still listed with the page and brochure it had, then shows the source's labels.
    editions_ui = {}
    for edition in site.editions:
        try:
            ui_mo = plan.sources.ui_mo(edition.lang)
        except PipelineError:
            continue
        editions_ui[edition.lang] = ui_translations(edition.lang, ui_mo, state)
    rendered = {INDEX_PATH: render_index(site, source_ui, editions_ui)}
    if config.site_url:
        rendered[SITEMAP_PATH] = render_sitemap(site)
    for name, data in rendered.items():
        write_atomic(output / name, data)
        manifest.files[name] = Record.of(key, data, output / name)
    progress(f"index.html: {sum(len(e.slugs) for e in site.editions)} editions")
