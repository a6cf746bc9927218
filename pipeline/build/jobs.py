"""Rendering jobs and where they run: a process pool, or this process.

A job is self-contained (the localized article, the compiled ``ui`` catalog,
the site): a worker needs nothing from the main process's memory or disk
except the project's own files that brochures may fetch. Each worker imports
WeasyPrint and loads its fonts once, when the pool starts.
"""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.support import Translations

from pipeline.build.files import bytes_sha, write_atomic
from pipeline.build.manifest import Target
from pipeline.errors import PipelineError, RenderError
from pipeline.project import PSEUDO_TAGS
from pipeline.render.html import render_page
from pipeline.render.site import Site
from pipeline.translate import LocalizedArticle, PseudoTranslations, gettext_translations


@dataclass(frozen=True)
class RenderContext:
    """What every job needs besides itself."""

    site: Site
    root: Path
    keep: tuple[str, ...] = ()
    """Do-not-translate terms, which pseudo-locales leave as they are."""


@dataclass(frozen=True)
class RenderJob:
    target: Target
    localized: LocalizedArticle
    ui_mo: bytes
    pdf_size: int | None = None
    files: tuple[tuple[str, bytes], ...] = ()
    """Output path -> bytes of the images a brochure embeds."""
    uses: tuple[str, ...] = ()
    """Output paths of the published images the target shows (recorded in the manifest)."""


@dataclass(frozen=True)
class Rendered:
    """A target written: its hash and size, and how long it took."""

    sha: str
    size: int
    seconds: float


Outcome = Rendered | PipelineError
_WORKER_STATE: dict[str, Any] = {}


def ui_translations(
    lang: str, ui_mo: bytes, state: dict[str, Any], keep: tuple[str, ...] = ()
) -> Any:
    """The gettext object of the templates for ``lang``, cached in ``state``."""
    cache: dict[tuple[str, bytes], Any] = state.setdefault("translations", {})
    if (lang, ui_mo) not in cache:
        if lang in PSEUDO_TAGS:
            cache[(lang, ui_mo)] = PseudoTranslations(lang, keep)
        elif ui_mo:
            cache[(lang, ui_mo)] = Translations(fp=io.BytesIO(ui_mo))
        else:
            cache[(lang, ui_mo)] = gettext_translations(None)
    return cache[(lang, ui_mo)]


def render_target(job: RenderJob, context: RenderContext, state: dict[str, Any]) -> bytes:
    """One target's bytes; ``state`` keeps per-process caches (fonts, translations)."""
    target = job.target
    translations = ui_translations(target.lang, job.ui_mo, state, context.keep)
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
    data: bytes = renderer.render(job.localized, site, translations, files=dict(job.files))
    return data


def _warm_worker(root: str) -> None:
    """Import WeasyPrint and load its font configuration once per worker process."""
    from pipeline.render.pdf import PdfRenderer

    if "pdf" not in _WORKER_STATE:
        _WORKER_STATE["pdf"] = PdfRenderer(root=Path(root))


def start_pool(workers: int, root: Path) -> ProcessPoolExecutor:
    executor = ProcessPoolExecutor(max_workers=workers)
    for _ in range(workers):
        executor.submit(_warm_worker, str(root))
    return executor


def render_and_write(job: RenderJob, context: RenderContext, output: str) -> Rendered:
    """Render one target and write it atomically; runs in a pool worker or in this process."""
    started = time.perf_counter()
    data = render_target(job, context, _WORKER_STATE)
    write_atomic(Path(output) / job.target.path, data)
    return Rendered(bytes_sha(data), len(data), time.perf_counter() - started)


def render_here(job: RenderJob, context: RenderContext, output: Path) -> Outcome:
    try:
        return render_and_write(job, context, str(output))
    except PipelineError as exc:
        return exc


def execute(
    jobs: list[RenderJob],
    executor: ProcessPoolExecutor | None,
    context: RenderContext,
    output: Path,
) -> Iterator[tuple[RenderJob, Outcome]]:
    """Run ``jobs``, longest first, yielding each as it finishes."""
    ordered = sorted(jobs, key=lambda job: -len(job.localized.texts) - (job.target.lang != "en"))
    if executor is None:
        for job in ordered:
            yield job, render_here(job, context, output)
        return
    pending: dict[Future[Rendered], RenderJob] = {
        executor.submit(render_and_write, job, context, str(output)): job for job in ordered
    }
    while pending:
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            job = pending.pop(future)
            try:
                yield job, future.result()
            except PipelineError as exc:
                yield job, exc
            except Exception as exc:  # a crash inside a worker: report it, keep building
                yield job, RenderError(f"{type(exc).__name__}: {exc}", job.target.path)
