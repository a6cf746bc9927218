"""``pipeline serve``: build, watch the inputs, rebuild, and serve ``output/`` for preview.

One long-lived process keeps the templates loaded, and one worker process WeasyPrint and
its fonts: every rebuild is :func:`pipeline.build.build` in this process on that worker,
so it writes exactly what ``pipeline build`` would (same manifest, same gate, same atomic
writes) and renders only what is stale; a brochure published before is rendered while
its catalog is checked, and dropped if the checks now refuse it. A change is answered
in two steps: the changed languages' pages are first rendered into memory and served at
once (a draft with the brochure's previous size), then the build renders the brochure
and the page into ``output/``. A language the gate refuses is previewed from memory, never written.

The server adds the preview's panel, markers and reload script
(:mod:`pipeline.preview`) to the HTML it sends; files in ``output/`` are never changed
by it. It answers only paths inside ``output/`` (after following links) or in its
memory, binds 127.0.0.1 unless told otherwise, and stops between rebuilds on
Ctrl-C or SIGTERM, so no partial file is left and the build lock is released.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import ipaddress
import json
import mimetypes
import os
import queue
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from pipeline.build import BuildOptions, BuildReport, build
from pipeline.build.executors import ProcessPool
from pipeline.checks import Finding
from pipeline.errors import PipelineError
from pipeline.inline import inline_tokens
from pipeline.layout import INDEX_PATH, page_path, parse_target_path, pdf_path
from pipeline.preview import EVENTS_PATH, Entry, PageNotes, annotate, visible
from pipeline.project import Config, load_config, to_gettext
from pipeline.resources import STATIC_DIR, TEMPLATES_DIR

Say = Callable[[str], None]
WATCH_STEP = 10
"""Milliseconds without a new change before a batch of changes is rebuilt (an editor's save
is a few writes and a rename within a millisecond or two)."""
DRAFT_WAIT = 0.15
"""Seconds the drafts of a rebuild wait at most for its build to send the brochure out."""
HEARTBEAT = 15.0
"""Seconds between the comments that keep an event stream open through proxies."""


@dataclass
class PreviewState:
    """What the server shows besides ``output/``; replaced whole under :attr:`lock`."""

    generation: str
    memory: dict[str, bytes] = field(default_factory=dict)
    """Output-relative path -> bytes served instead of ``output/``: drafts of pages being
    rebuilt, and the pages, brochures and images of languages the gate refuses."""
    notes: dict[tuple[str, str], PageNotes] = field(default_factory=dict)
    """(lang, slug) -> the panel and markers of its page."""
    error: str = ""
    """The one-line error of the last rebuild; the last good build is served meanwhile."""
    events: int = 0
    built: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    """(event number, paths rebuilt), the last few, for the pages listening."""
    lock: threading.Condition = field(default_factory=threading.Condition)


class Preview:
    """The rebuild side: a :class:`PreviewState` kept up to date with the project's files."""

    def __init__(self, config: Config, languages: tuple[str, ...], say: Say):
        self.config = config
        self.requested = languages
        self.say = say
        self.state = PreviewState(generation=f"{os.getpid()}-{time.time_ns()}")
        self._editions: dict[tuple[str, str], tuple[tuple[str, str], Any]] = {}
        """(article, language) -> (hashes of its article and catalog, its edition), for the
        titles of the language menu."""
        self._worker: ProcessPool | None = None
        self._submitted = threading.Event()
        """Set when the running build has sent a job to the worker, or has ended."""

    # --- the warm worker -------------------------------------------------------------------

    def start_worker(self) -> None:
        """Start the process that renders for every rebuild, keeping WeasyPrint and its fonts
        loaded: it renders a brochure while this process checks the catalog it comes from."""
        self._worker = ProcessPool(
            1, self.config.root, long_lived=True, submitted=self._submitted.set
        )

    def worker(self) -> ProcessPool | None:
        if self._worker is not None and self._worker.broken:  # it died: start another
            self.say("preview: the rendering process stopped: starting another")
            self._worker.close()
            self.start_worker()
        return self._worker

    def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    # --- what to watch ---------------------------------------------------------------------

    def watched(self) -> list[Path]:
        config = self.config
        paths = [config.source_path, config.locale_path, TEMPLATES_DIR, STATIC_DIR]
        paths.append(config.root / "pyproject.toml")
        if config.glossary:
            paths.append(config.root / config.glossary)
        if config.theme:  # the publisher's logo, colours, fonts and templates
            paths.append(config.root / config.theme)
        return [path for path in paths if path.exists()]

    def theme_changed(self, changed: Iterable[Path]) -> bool:
        return any(path.is_relative_to(d) for path in changed for d in (TEMPLATES_DIR, STATIC_DIR))

    def languages(self) -> list[str]:
        """The languages served: those asked for, else the source and every catalog's."""
        if self.requested:
            return list(self.requested)
        return [self.config.source_language, *self.config.languages()]

    def affected(self, changed: Iterable[Path] | None) -> list[str]:
        """Languages whose pages a change may alter: a catalog's own, else every one."""
        languages = self.languages()
        if changed is None:
            return languages
        folders = {to_gettext(lang): lang for lang in languages}
        found: set[str] = set()
        locale = self.config.locale_path.resolve()
        for path in changed:
            try:
                parts = path.resolve().relative_to(locale).parts
            except ValueError:
                return languages
            if len(parts) < 2:  # a template (.pot): every language's catalogs follow it
                return languages
            if parts[0] in folders:
                found.add(folders[parts[0]])
        return [lang for lang in languages if lang in found]

    # --- one rebuild -----------------------------------------------------------------------

    def rebuild(self, changed: Iterable[Path] | None = None) -> None:
        """Drafts of the affected pages, the build, then findings and refused previews;
        errors are shown, never raised."""
        started = time.perf_counter()
        changed = None if changed is None else list(changed)
        if changed is not None and any(p.name == "pyproject.toml" for p in changed):
            try:
                self.config = load_config(self.config.root)
            except PipelineError as exc:
                self._failed(str(exc))
                return
        languages = self.affected(changed)
        if not languages:
            return
        sources = self._sources()
        problems: list[str] = []
        # The build starts first, in a thread: its worker renders the brochure while this
        # thread drafts the pages and the build checks the catalogs.
        outcome: list[Any] = []
        builder = threading.Thread(
            target=self._run_build, args=(outcome,), name="preview-build", daemon=True
        )
        builder.start()
        # Drafting waits until the build has sent its first job (or for DRAFT_WAIT at most):
        # both need this process, and the brochure is the longer of the two to make.
        self._submitted.wait(DRAFT_WAIT)
        try:
            drafts = self._drafts(sources, languages)
        except PipelineError as exc:  # the build names it too, and builds the other languages
            self._failed(str(exc))
            problems.append(str(exc))
            drafts = {}
        if drafts:
            with self.state.lock:
                self.state.memory.update(drafts)
            self._announce(drafts)
            self.say(f"preview: {len(drafts)} page(s) drafted in {_since(started)}")
        builder.join()
        report = outcome[0]
        if self._worker is not None and self._worker.broken:  # it died during the build
            outcome.clear()
            self._run_build(outcome)  # once more, on a new one
            report = outcome[0]
        if isinstance(report, PipelineError):
            if str(report) not in problems:  # not said already by the draft
                self._failed(str(report))
            return
        if isinstance(report, BaseException):
            raise report
        self._built(report, sources, languages, started, problems)

    def _run_build(self, outcome: list[Any]) -> None:
        """One build, its report (or error) put in ``outcome``; each file is announced as
        soon as it is written, so that a page's brochure link follows at once."""
        options = BuildOptions(tuple(self.requested), jobs=1)
        self._submitted.clear()
        try:
            outcome.append(
                build(
                    self.config,
                    options,
                    progress=self.say,
                    executor=self.worker(),
                    written=lambda target: self._announce([target.path]),
                )
            )
        except BaseException as exc:  # raised again in the thread that waits for it
            outcome.append(exc)
        finally:
            self._submitted.set()
            gc.unfreeze()  # the build freezes what it parsed; here the process lives on

    def _built(
        self,
        report: BuildReport,
        sources: Any,
        languages: list[str],
        started: float,
        problems: list[str],
    ) -> None:
        for warning in report.warnings:
            self.say(f"pipeline: warning: {warning}")
        found = [str(error) for error in report.unreadable]
        found += [str(error) for _, error in report.failed]
        for problem in found:
            if problem not in problems:
                self.say(f"pipeline: error: {problem}")
                problems.append(problem)
        notes: dict[tuple[str, str], PageNotes] = {}
        previews: dict[str, bytes] = {}
        try:
            notes = self._all_notes(sources, languages)
            if report.refused:
                previews = self._refused_previews(sources, languages)
        except PipelineError as exc:
            problems.append(str(exc))
        written = [target.path for target, _ in report.built]
        with self.state.lock:
            for path in [p for p in self.state.memory if _lang_of(p) in languages]:
                del self.state.memory[path]
            self.state.memory.update(previews)
            self.state.notes.update(notes)
            self.state.error = f"pipeline: error: {problems[0]}" if problems else ""
        pages = [page_path(lang, slug) for lang, slug in notes]
        self._announce([*written, *previews, *report.removed, *pages])
        self.say(
            f"rebuilt in {_since(started)}: {len(written)} file(s) written, "
            f"{len(report.refused)} not published (previewed), {len(problems)} error(s)"
        )
        # What the build parsed is cyclic garbage now; served and announced, collect it here
        # rather than let it pile up until the collector's rare full pass.
        inline_tokens.cache_clear()  # texts of every save: parsed again next time, not kept
        gc.collect()
        from pipeline.build.jobs import release_memory

        release_memory()  # and what the collector freed goes back to the system
        worker = self._worker
        if worker is not None:
            worker.tidy()  # the rendering process does the same, now that it is idle

    def _failed(self, message: str) -> None:
        line = f"pipeline: error: {message}"
        self.say(f"{line} (still serving the last good build)")
        with self.state.lock:
            self.state.error = line
        self._announce(self._all_pages())

    def _all_pages(self) -> list[str]:
        with self.state.lock:
            pages = [page_path(lang, slug) for lang, slug in self.state.notes]
        return [*pages, INDEX_PATH]

    def _announce(self, paths: Iterable[str]) -> None:
        names = tuple(dict.fromkeys(paths))
        if not names:
            return
        with self.state.lock:
            self.state.events += 1
            self.state.built = [*self.state.built[-20:], (self.state.events, names)]
            self.state.lock.notify_all()

    # --- pages rendered into memory ---------------------------------------------------------

    def _sources(self) -> Any:
        from pipeline.build.inputs import InputFiles
        from pipeline.build.sources import Sources

        return Sources(InputFiles(self.config))

    def _articles(self, sources: Any) -> list[tuple[str, str]]:
        """(source path, slug) of every article."""
        config = self.config
        paths = [config.relative(p) for p in config.articles()]
        return [(path, sources.article(path).slug) for path in paths]

    def _drafts(self, sources: Any, languages: list[str]) -> dict[str, bytes]:
        """The pages of ``languages`` as the next build will write them (the brochure's
        size aside), to serve while it renders."""
        return {
            page_path(lang, slug): self._render_page(sources, path, lang)
            for path, slug in self._articles(sources)
            for lang in languages
        }

    def _all_notes(self, sources: Any, languages: list[str]) -> dict[tuple[str, str], PageNotes]:
        """The findings of ``languages`` (the checks and gate the build runs) for each page."""
        from pipeline.build.gating import decide

        notes: dict[tuple[str, str], PageNotes] = {}
        for path, slug in self._articles(sources):
            for lang in languages:
                if lang == self.config.source_language:
                    notes[(lang, slug)] = PageNotes(generation=self.state.generation)
                    continue
                verdict = decide(sources, path, slug, lang)
                if verdict.unreadable:
                    raise verdict.unreadable[0]
                notes[(lang, slug)] = self._notes(
                    sources, path, lang, verdict.findings, verdict.decision.reasons
                )
        return notes

    def _notes(
        self, sources: Any, path: str, lang: str, findings: list[Finding], reasons: Iterable[str]
    ) -> PageNotes:
        config = self.config
        slug = sources.article(path).slug
        localized = sources.localized(path, lang)
        catalog = sources.catalog(lang, slug)
        po_name = config.relative(config.po_path(lang, slug))
        entries: dict[str, list[Entry]] = {}
        for key, text in localized.texts.items():
            message = catalog.get(key[0], context=key[1]) if catalog is not None else None
            if message is None or not visible(text.plain):
                continue
            own = tuple(f for f in findings if f.domain == slug and f.msgid == key[0])
            entry = Entry(f"{po_name}:{message.lineno}", key[0], not text.fallback, own)
            entries.setdefault(visible(text.plain), []).append(entry)
        banners = [f"Would not be published: {'; '.join(reasons)}"] if reasons else []
        return PageNotes(
            {text: tuple(found) for text, found in entries.items()},
            tuple(findings),
            tuple(banners),
            self.state.generation,
        )

    def _site(self, sources: Any, lang: str, pdf_sizes: dict[tuple[str, str], int]) -> Any:
        """The site as a page of ``lang`` sees it: every published edition, and its own.

        Other languages are read for their titles only (the language menu); each is kept
        until its article or catalog changes, so a draft parses only its own catalog.
        """
        from pipeline.build.plan import project_site

        config = self.config
        output = config.output_path
        editions = []
        for path, slug in self._articles(sources):
            for other in [config.source_language, *config.languages()]:
                pdf = output / pdf_path(other, slug)
                if pdf.is_file():
                    pdf_sizes.setdefault((other, slug), pdf.stat().st_size)
                if other == lang:
                    editions.append(sources.localized(path, other))
                elif (output / page_path(other, slug)).is_file():
                    with contextlib.suppress(PipelineError):
                        editions.append(self._other_edition(sources, path, other))
        return project_site(sources, editions, pdf_sizes)

    def _other_edition(self, sources: Any, path: str, lang: str) -> Any:
        config = self.config
        files = sources.files
        slug = sources.article(path).slug
        catalog = "" if lang == config.source_language else config.po_path(lang, slug)
        key = (files.digest(config.root / path), files.digest(catalog) if catalog else "")
        cached = self._editions.get((path, lang))
        if cached is None or cached[0] != key:
            cached = self._editions[(path, lang)] = (key, sources.localized(path, lang))
        return cached[1]

    def _render_page(
        self,
        sources: Any,
        path: str,
        lang: str,
        pdf_sizes: dict[tuple[str, str], int] | None = None,
    ) -> bytes:
        from pipeline.build import jobs
        from pipeline.render.html import render_page

        site = self._site(sources, lang, dict(pdf_sizes or {}))
        ui = jobs.ui_translations(
            lang, sources.ui_mo(lang), jobs._WORKER_STATE, self.config.do_not_translate
        )
        return render_page(sources.localized(path, lang), site, ui)

    def _refused_previews(self, sources: Any, languages: list[str]) -> dict[str, bytes]:
        """Page, brochure and images of each refused (article, language), in memory."""
        from pipeline.build import jobs
        from pipeline.build.manifest import Target

        config = self.config
        files: dict[str, bytes] = {}
        for path, slug in self._articles(sources):
            for lang in languages:
                published = (config.output_path / page_path(lang, slug)).is_file()
                if lang == config.source_language or published:
                    continue
                images = sources.images(path, lang)
                for image in images:
                    for copy in image.renditions:
                        if not (config.output_path / copy.path).is_file():
                            files[copy.path] = copy.data
                job = jobs.RenderJob(
                    Target(slug, lang, "pdf", ""),
                    sources.localized(path, lang),
                    sources.ui_mo(lang),
                    files=tuple((image.path, image.data) for image in images),
                )
                site = self._site(sources, lang, {})
                context = jobs.RenderContext(site, config.root, config.do_not_translate)
                pdf = jobs.render_target(job, context, jobs._WORKER_STATE)
                files[pdf_path(lang, slug)] = pdf
                files[page_path(lang, slug)] = self._render_page(
                    sources, path, lang, {(lang, slug): len(pdf)}
                )
        return files

    # --- what the server sends ---------------------------------------------------------------

    def page(self, relative: str, data: bytes) -> bytes:
        """``data`` of the page at ``relative`` with the preview added."""
        target = parse_target_path(relative)
        with self.state.lock:
            notes = PageNotes(generation=self.state.generation)
            if target is not None:
                notes = self.state.notes.get((target[0], target[1]), notes)
            error = self.state.error
        if error:
            notes = PageNotes(
                notes.entries, notes.findings, (error, *notes.banners), notes.generation
            )
        return annotate(data.decode("utf-8"), notes).encode("utf-8")


def resolve(root: Path, url_path: str) -> str | None:
    """The output-relative path a URL asks for, or None when it leaves ``root``.

    ``..`` and ``.`` segments (also percent-encoded), backslashes and NUL are refused
    before anything is looked up; a path whose real location (links followed) is not
    inside ``root`` is refused when the file is read (:func:`read_inside`).
    """
    path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path, errors="strict")
    if "\0" in path or "\\" in path:
        return None
    parts = [part for part in path.split("/") if part]
    if any(part in (".", "..") for part in parts):
        return None
    relative = "/".join(parts)
    if not relative or path.endswith("/"):
        relative = f"{relative}/{INDEX_PATH}".lstrip("/")
    return relative


def read_inside(root: Path, relative: str) -> bytes | None:
    """The bytes of a regular file at ``relative`` whose real path is inside ``root``."""
    base = os.path.realpath(root)
    real = os.path.realpath(os.path.join(base, relative))
    if os.path.commonpath([base, real]) != base or not os.path.isfile(real):
        return None
    try:
        with open(real, "rb") as stream:
            return stream.read()
    except OSError:
        return None


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_HEAD(self) -> None:
        self._get(body=False)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == EVENTS_PATH:
            self._events()
        else:
            self._get(body=True)

    def _get(self, *, body: bool) -> None:
        preview = self.server.preview
        try:
            relative = resolve(self.server.root, self.path)
        except UnicodeDecodeError:
            relative = None
        if relative is None:
            self._send(HTTPStatus.FORBIDDEN, b"outside the preview\n", "text/plain", body)
            return
        with preview.state.lock:
            data = preview.state.memory.get(relative)
        if data is None:
            data = read_inside(self.server.root, relative)
        if data is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", body)
            return
        kind = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        if kind == "text/html":
            data = preview.page(relative, data)
            kind = "text/html; charset=utf-8"
        self._send(HTTPStatus.OK, data, kind, body)

    def _send(self, status: HTTPStatus, data: bytes, kind: str, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self) -> None:
        state = self.server.preview.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        stopping = self.server.stopping
        with state.lock:
            seen = state.events
        try:
            self._event("hello", state.generation)
            while not stopping.is_set():
                with state.lock:
                    state.lock.wait_for(functools.partial(_news, state, seen, stopping), HEARTBEAT)
                    news = [paths for number, paths in state.built if number > seen]
                    seen = state.events
                for paths in news:
                    self._event("built", json.dumps(list(paths)))
                if not news:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
        except OSError:  # the page went away
            return

    def _event(self, name: str, data: str) -> None:
        self.wfile.write(f"event: {name}\ndata: {data}\n\n".encode())
        self.wfile.flush()


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], preview: Preview):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.preview = preview
        self.root = preview.config.output_path
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def stop(self) -> None:
        self.stopping.set()
        with self.preview.state.lock:
            self.preview.state.lock.notify_all()
        self.shutdown()
        self.server_close()


def serve(
    config: Config,
    languages: tuple[str, ...] = (),
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    say: Say = print,
) -> int:
    """Build, serve and rebuild on every change until Ctrl-C or SIGTERM; returns the exit code."""
    from watchfiles import watch

    preview = Preview(config, languages, say)
    preview.start_worker()  # before this process has threads
    stop = threading.Event()

    def stop_now(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            say("stopping after the current rebuild...")
        stop.set()

    previous = {sig: signal.signal(sig, stop_now) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = PreviewServer((host, port), preview)
    thread = threading.Thread(target=server.serve_forever, name="preview-http", daemon=True)
    thread.start()
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    say(f"serving http://{_url_host(bound_host)}:{bound_port}/ (Ctrl-C stops)")
    if not ipaddress.ip_address(bound_host).is_loopback:
        say(f"pipeline: warning: {bound_host} is not a loopback address: whoever reaches this "
            "machine can read the previews, refused languages included")  # fmt: skip
    changes: queue.Queue[set[Path] | None] = queue.Queue()
    ready = threading.Event()

    def watching() -> None:
        """Changes as the system reports them, batched; also while a rebuild runs."""
        try:
            while not stop.is_set():
                paths = preview.watched()
                ready.set()
                for batch in watch(*paths, stop_event=stop, step=WATCH_STEP, rust_timeout=500):
                    changed = {Path(name) for _, name in batch}
                    changes.put(changed)
                    if any(path.name == "pyproject.toml" for path in changed):
                        break  # watch the files the new settings name
        finally:
            ready.set()
            changes.put(None)

    watcher = threading.Thread(target=watching, name="preview-watch", daemon=True)
    watcher.start()
    ready.wait(5)
    time.sleep(0.1)  # the watcher registers its folders before the first build reads them
    restart = False
    try:
        preview.rebuild(None)
        while not stop.is_set() and not restart:
            try:
                changed = changes.get(timeout=0.5)
            except queue.Empty:
                continue
            while changed is not None:  # every change reported meanwhile, in one rebuild
                try:
                    more = changes.get_nowait()
                except queue.Empty:
                    break
                changed = None if more is None else changed | more
            if changed is None:
                break
            if preview.theme_changed(changed):
                restart = True  # templates and styles are compiled once per process
            else:
                preview.rebuild(changed)
    finally:
        stop.set()
        watcher.join(5)
        server.stop()
        thread.join(5)
        preview.stop_worker()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if restart:
        say("the templates or styles changed: restarting")
        argv = [sys.executable, "-m", "pipeline", "serve", f"--host={host}"]
        argv += [f"--port={bound_port}", *(f"--lang={lang}" for lang in languages)]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)
    say("stopped")
    return 0


def _news(state: PreviewState, seen: int, stopping: threading.Event) -> bool:
    return state.events != seen or stopping.is_set()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _lang_of(path: str) -> str:
    return path.partition("/")[0]


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.2f} s"
