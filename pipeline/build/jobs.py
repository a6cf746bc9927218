"""Rendering jobs: what one page or brochure needs, and the function that renders it.

A job is self-contained (the localized article, the compiled ``ui`` catalog,
the site, the bytes of the images a brochure embeds): a worker needs nothing
from the coordinator's memory or disk, and returns the bytes it made. Where
jobs run is :mod:`pipeline.build.executors`' business.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import gc
import io
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.support import Translations

from pipeline.build.manifest import Target
from pipeline.errors import PipelineError
from pipeline.inline import inline_tokens
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
class Made:
    """A target's bytes as a worker returns them; only the coordinator writes them."""

    data: bytes
    seconds: float
    fonts: str = ""
    """Fingerprint of the fonts of the worker that rendered it (empty: this machine's)."""
    worker: str = ""
    """Which worker rendered it (empty: this process or the local pool)."""


@dataclass(frozen=True)
class Rendered:
    """A target written: its hash and size, and how long it took."""

    sha: str
    size: int
    seconds: float


Outcome = Rendered | PipelineError
Result = Made | PipelineError
_WORKER_STATE: dict[str, Any] = {}
MAX_TRANSLATIONS = 64
"""Compiled ``ui`` catalogs a process keeps (each language's, and a few earlier versions)."""


def ui_translations(
    lang: str, ui_mo: bytes, state: dict[str, Any], keep: tuple[str, ...] = ()
) -> Any:
    """The gettext object of the templates for ``lang``, cached in ``state``."""
    cache: dict[tuple[str, bytes], Any] = state.setdefault("translations", {})
    if (lang, ui_mo) not in cache:
        if len(cache) >= MAX_TRANSLATIONS:  # a long-lived worker sees every edit of a catalog
            cache.clear()
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


def warm_worker(root: str | None) -> None:
    """Import WeasyPrint and load its font configuration once per worker process."""
    from pipeline.render.pdf import PdfRenderer

    if "pdf" not in _WORKER_STATE:
        _WORKER_STATE["pdf"] = PdfRenderer(root=Path(root) if root else None)
    if _WORKER_STATE.get("long_lived"):
        # WeasyPrint, the fonts and the pipeline stay for the process's life: the collector
        # need never scan them again, so each tidy() is a short collection. (Collected first:
        # nothing frozen is garbage; a cycle of these dropped later would stay, none is.)
        gc.collect()
        gc.freeze()


def long_lived_worker() -> None:
    """Set up a worker kept across builds (``pipeline serve``): Ctrl-C is its parent's to
    handle, and the texts it parses are not kept from one job to the next (every save
    brings new ones)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_STATE["long_lived"] = True


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None on a C library without it (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Give the C heap's free pages back to the system, for a process that lives across builds.

    WeasyPrint, Pango and HarfBuzz allocate and free many small blocks per brochure; glibc
    keeps the freed ones, scattered, so a preview's rendering process grew ~5 MB per 100
    saves (measured) though nothing was kept. A trim costs under a millisecond; the preview
    runs one in each process after each rebuild (:func:`tidy` in its worker).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def tidy() -> int:
    """Collect what the last jobs left (the layout's cycles, which a collector run every
    10,000 allocations lets pile up in a process that lives for hours) and give the freed
    memory back; run in a long-lived worker as a job of its own, once its build is served.
    Returns the worker's process id."""
    gc.collect()
    release_memory()
    return os.getpid()


def make(job: RenderJob, context: RenderContext) -> Result:
    """Render one target to bytes (never to disk); runs in a worker or in this process.

    An error of the target's own (a template that fails) is returned, not raised,
    so that an executor that retries crashed jobs does not retry it.
    """
    started = time.perf_counter()
    try:
        data = render_target(job, context, _WORKER_STATE)
    except PipelineError as exc:
        return exc
    finally:
        if _WORKER_STATE.get("long_lived"):
            inline_tokens.cache_clear()
    return Made(data, time.perf_counter() - started)


def longest_first(jobs: list[RenderJob]) -> list[RenderJob]:
    """The order to start jobs in, so that the last one to finish is a short one."""
    return sorted(jobs, key=lambda job: -len(job.localized.texts) - (job.target.lang != "en"))
