"""Build: plan stale targets, gate each language, render on a process pool, write atomically.

The build works in phases, as MkDocs does: fingerprint every input from its
raw bytes, decide what is stale against the manifest in ``output/``, gate each
(article, language) on its checks, then render only the stale targets, PDFs
first (pages show the PDF's size), and write the index, sitemap and manifest.
An unchanged project is answered from hashes alone, without parsing anything.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.errors import PipelineError, RenderError
from pipeline.project import Config

if TYPE_CHECKING:
    from pipeline.checks import Finding, GateDecision
    from pipeline.translate import LocalizedArticle

MANIFEST = ".manifest.json"
PACKAGE_DIR = Path(__file__).parent
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


# --- atomic output --------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def remove_partial_files(output: Path) -> None:
    """Temporary files left by a build that was killed outright."""
    if output.is_dir():
        for stale in output.rglob(".*.part"):
            stale.unlink(missing_ok=True)


# --- fingerprints ---------------------------------------------------------------------------


def sha(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _filesha(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "missing"


def code_fingerprint() -> str:
    """The pipeline itself: its version, code, templates and stylesheets."""
    files = sorted(
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and p.suffix in {".py", ".html", ".css", ".svg", ".xml"}
    )
    return sha(__version__, *(f"{p.relative_to(PACKAGE_DIR)}:{_filesha(p)}" for p in files))


def font_fingerprint(dirs: Iterable[Path] = FONT_DIRS) -> str:
    """Installed fonts, by name, size and modification time: a font change rebuilds PDFs."""
    entries: list[str] = []
    for root in dirs:
        for folder, _, names in os.walk(root):
            for name in names:
                with contextlib.suppress(OSError):
                    info = os.stat(os.path.join(folder, name))
                    entries.append(f"{folder}/{name}:{info.st_size}:{int(info.st_mtime)}")
    return sha(*sorted(entries))


@dataclass(frozen=True)
class Inputs:
    """Raw-byte hashes of everything a build reads."""

    sources: Mapping[str, str]
    """Project-relative path of each article -> hash."""
    catalogs: Mapping[tuple[str, str], str]
    """(lang, domain) -> hash of its PO file; domain is an article's slug or ``ui``."""
    code: str
    fonts: str
    config: str


def fingerprint(config: Config, languages: Iterable[str], slugs: Mapping[str, str]) -> Inputs:
    sources = {config.relative(p): _filesha(p) for p in config.articles()}
    catalogs = {
        (lang, domain): _filesha(config.po_path(lang, domain))
        for lang in languages
        for domain in [*slugs.values(), "ui"]
    }
    # The source language may have a ui catalog too (to reword the templates' English).
    source_ui = config.po_path(config.source_language, "ui")
    catalogs[(config.source_language, "ui")] = _filesha(source_ui)
    settings = json.dumps(
        {
            "source_language": config.source_language,
            "site_url": config.site_url,
            "do_not_translate": config.do_not_translate,
            "min_translated": config.min_translated,
            "paper": dict(config.paper),
        },
        sort_keys=True,
    )
    return Inputs(sources, catalogs, code_fingerprint(), font_fingerprint(), sha(settings))


# --- manifest -------------------------------------------------------------------------------


@dataclass
class Manifest:
    """What the last build produced, kept in ``output/.manifest.json``."""

    slugs: dict[str, list[str]] = field(default_factory=dict)
    """Source path -> [source hash, slug]: lets a no-op build skip parsing."""
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Gate key -> decision and findings of one (article, language)."""
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Output path -> {"key": input hash, "size": bytes}."""
    site: str = ""
    complete: str = ""
    """Key of the inputs and options of the last build that succeeded in full."""

    @classmethod
    def load(cls, output: Path) -> Manifest:
        try:
            data = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
            return cls(
                data["slugs"], data["gates"], data["targets"], data["site"], data["complete"]
            )
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return cls()

    def save(self, output: Path) -> None:
        data = {
            "slugs": self.slugs,
            "gates": self.gates,
            "targets": self.targets,
            "site": self.site,
            "complete": self.complete,
        }
        write_atomic(output / MANIFEST, json.dumps(data, indent=1, sort_keys=True).encode())


# --- plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    slug: str
    lang: str
    fmt: str
    """``pdf`` or ``html``."""
    key: str

    @property
    def path(self) -> str:
        return f"{self.lang}/{self.slug}.{self.fmt}"

    @classmethod
    def from_path(cls, path: str, key: str = "") -> Target:
        """The target written at output path ``<lang>/<slug>.<fmt>``."""
        lang, _, name = path.partition("/")
        slug, _, fmt = name.rpartition(".")
        return cls(slug, lang, fmt, key)


@dataclass(frozen=True)
class BuildOptions:
    languages: tuple[str, ...] = ()
    """Only these languages (all when empty)."""
    pseudo: bool = False
    force: bool = False
    jobs: int = 0
    """Worker processes; 0 means one per core."""


@dataclass
class BuildReport:
    built: list[tuple[Target, float]] = field(default_factory=list)
    skipped: list[Target] = field(default_factory=list)
    refused: list[GateDecision] = field(default_factory=list)
    failed: list[tuple[Target | None, PipelineError]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.refused and not self.failed


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def build(
    config: Config, options: BuildOptions | None = None, progress: Progress = _quiet
) -> BuildReport:
    options = options or BuildOptions()
    started = time.perf_counter()
    report = BuildReport()
    output = config.output_path
    output.mkdir(parents=True, exist_ok=True)
    remove_partial_files(output)
    manifest = Manifest() if options.force else Manifest.load(output)
    key = _unchanged_key(config, options, manifest)
    if key is not None and key == manifest.complete and _outputs_exist(config, manifest):
        report.skipped = [
            Target.from_path(path, str(entry.get("key", "")))
            for path, entry in manifest.targets.items()
        ]
    else:
        workers = options.jobs or os.cpu_count() or 1
        # Workers start importing the PDF engine now, while this process plans.
        executor = _start_pool(workers, config.root) if workers > 1 else None
        try:
            from pipeline import plan as planning

            plan = planning.make_plan(config, options, manifest, report, progress)
            if plan.pdf_jobs or plan.page_jobs:
                gc.freeze()  # the parsed project lives until the end: keep it out of GC passes
                _run(
                    plan.pdf_jobs, plan.page_jobs, executor,
                    output, manifest, report, progress, plan.context,
                )  # fmt: skip
            planning.finish(config, plan, manifest, report, progress)
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
        complete = _unchanged_key(config, options, manifest) if report.ok else None
        manifest.complete = complete or ""
        manifest.save(output)
    report.seconds = time.perf_counter() - started
    return report


def _unchanged_key(config: Config, options: BuildOptions, manifest: Manifest) -> str | None:
    """A hash of every input and option, from raw bytes only; None when a source is new."""
    slugs: dict[str, str] = {}
    for path in config.articles():
        name = config.relative(path)
        cached = manifest.slugs.get(name)
        if cached is None or cached[0] != _filesha(path):
            return None
        slugs[name] = cached[1]
    if len(slugs) != len(manifest.slugs):
        return None
    inputs = fingerprint(config, config.languages(), slugs)
    return sha(
        *sorted(f"{k}:{v}" for k, v in inputs.sources.items()),
        *sorted(f"{lang}/{domain}:{v}" for (lang, domain), v in inputs.catalogs.items()),
        inputs.code,
        inputs.fonts,
        inputs.config,
        ",".join(sorted(options.languages)),
        str(options.pseudo),
    )


def _outputs_exist(config: Config, manifest: Manifest) -> bool:
    listings = ["index.html", "sitemap.xml"] if config.site_url else ["index.html"]
    return bool(manifest.targets) and all(
        (config.output_path / path).is_file() for path in [*manifest.targets, *listings]
    )


# --- rendering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderJob:
    target: Target
    localized: LocalizedArticle
    ui_mo: bytes
    pdf_size: int | None = None


_WORKER_STATE: dict[str, Any] = {}


def _warm_worker(root: str) -> None:
    """Import WeasyPrint and load its font configuration once per worker process."""
    from pipeline.render.pdf import PdfRenderer

    if "pdf" not in _WORKER_STATE:
        _WORKER_STATE["pdf"] = PdfRenderer(root=Path(root))


def _start_pool(workers: int, root: Path) -> ProcessPoolExecutor:
    executor = ProcessPoolExecutor(max_workers=workers)
    for _ in range(workers):
        executor.submit(_warm_worker, str(root))
    return executor


def _render_in_worker(job: RenderJob, context: Any, output: str) -> tuple[int, float]:
    """Render one target and write it; runs in a pool worker (or in-process with one job)."""
    from pipeline import plan as planning

    started = time.perf_counter()
    data = planning.render_target(job, context, _WORKER_STATE)
    write_atomic(Path(output) / job.target.path, data)
    return len(data), time.perf_counter() - started


def _run(
    pdf_jobs: list[RenderJob],
    page_jobs: list[RenderJob],
    executor: ProcessPoolExecutor | None,
    output: Path,
    manifest: Manifest,
    report: BuildReport,
    progress: Progress,
    context: Any,
) -> None:
    """Render brochures (on the pool), and each page here as soon as its brochure is done.

    A page shows its PDF's size; rendering it takes milliseconds, so it is not
    worth a round trip to a worker, and the main process is idle meanwhile.
    """
    total = len(pdf_jobs) + len(page_jobs)
    done = 0
    pages = {(job.target.lang, job.target.slug): job for job in page_jobs}

    def record(job: RenderJob, outcome: tuple[int, float] | PipelineError) -> None:
        nonlocal done
        done += 1
        target = job.target
        if isinstance(outcome, PipelineError):
            report.failed.append((target, outcome))
            manifest.targets.pop(target.path, None)
            progress(f"[{done}/{total}] FAILED {target.path}: {outcome}")
            return
        size, seconds = outcome
        manifest.targets[target.path] = {"key": target.key, "size": size}
        report.built.append((target, seconds))
        progress(f"[{done}/{total}] {target.path} ({seconds:.2f} s)")

    for job, outcome in _execute(pdf_jobs, executor, context, output):
        record(job, outcome)
        page = pages.pop((job.target.lang, job.target.slug), None)
        if page is not None:
            if not isinstance(outcome, PipelineError):
                page = dataclasses.replace(page, pdf_size=outcome[0])
            record(page, _render_here(page, context, output))
    for page in pages.values():  # pages whose brochure was already up to date
        record(page, _render_here(page, context, output))


def _render_here(job: RenderJob, context: Any, output: Path) -> tuple[int, float] | PipelineError:
    try:
        return _render_in_worker(job, context, str(output))
    except PipelineError as exc:
        return exc


def _execute(
    jobs: list[RenderJob],
    executor: ProcessPoolExecutor | None,
    context: Any,
    output: Path,
) -> Iterator[tuple[RenderJob, tuple[int, float] | PipelineError]]:
    """Run ``jobs``, longest first, yielding each as it finishes."""
    ordered = sorted(jobs, key=lambda job: -len(job.localized.texts) - (job.target.lang != "en"))
    if executor is None:
        for job in ordered:
            yield job, _render_here(job, context, output)
        return
    pending: dict[Future[tuple[int, float]], RenderJob] = {
        executor.submit(_render_in_worker, job, context, str(output)): job for job in ordered
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
