"""A brochure rendered while its catalog is checked, on a worker kept across builds.

``pipeline serve`` keeps one rendering process for all its rebuilds and hands it to
:func:`pipeline.build.build`; a language published by the last build is then sent to
it before its checks run, and the process gives the memory a rebuild freed back to the
system once it is served. These tests use a real process pool and the sample project.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import SLUG, change_critical_figure, copy_project, edit_po

import pipeline.build.plan as planning
import pipeline.cli as cli
from pipeline import engine
from pipeline.build import BuildOptions, build, executors, jobs
from pipeline.build.executors import Executor, InProcess, ProcessPool
from pipeline.build.jobs import RenderContext, RenderJob, Result, release_memory
from pipeline.project import load_config
from pipeline.serve import Preview

FR_PDF = f"fr/{SLUG}.pdf"


class Recording(Executor):
    """A process pool that notes, in ``events``, each job it is given."""

    def __init__(self, pool: ProcessPool, events: list[tuple[str, str]]):
        self.pool = pool
        self.events = events

    def submit(self, job: RenderJob, context: RenderContext) -> None:
        self.events.append(("submitted", job.target.path))
        self.pool.submit(job, context)

    def results(self) -> Iterator[tuple[RenderJob, Result]]:
        return self.pool.results()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    """The sample built once, a warm pool, and a log of jobs submitted and languages checked."""
    root = copy_project(tmp_path / "project")
    assert build(load_config(root), BuildOptions(jobs=1)).ok
    events: list[tuple[str, str]] = []
    checked = planning.cached_verdict

    def checking(*args: Any) -> Any:
        events.append(("checked", args[-1]))
        return checked(*args)

    monkeypatch.setattr(planning, "cached_verdict", checking)
    pool = ProcessPool(1, root)
    try:
        yield root, Recording(pool, events)
    finally:
        pool.close()


def _add_word(entry: Any) -> None:
    """One more word at the end of the first plain paragraph's translation."""
    if entry.msgstr.endswith(".") and "<" not in entry.msgstr and not _add_word.done:
        entry.msgstr = entry.msgstr[:-1] + " aussi."
        _add_word.done = True


def test_a_published_language_is_rendered_while_its_catalog_is_checked(
    project: tuple[Path, Recording],
) -> None:
    root, executor = project
    _add_word.done = False  # type: ignore[attr-defined]
    edit_po(root / "locale" / "fr" / "LC_MESSAGES" / f"{SLUG}.po", _add_word)
    report = build(load_config(root), BuildOptions(("fr",)), executor=executor)
    assert report.ok, report.failed
    assert {target.path for target, _ in report.built} == {FR_PDF, f"fr/{SLUG}.html"}
    events = executor.events
    assert events.index(("submitted", FR_PDF)) < events.index(("checked", "fr")), events
    # The same bytes as a build in this process makes of the same inputs.
    again = copy_project(root.parent / "again")
    catalog = Path("locale", "fr", "LC_MESSAGES", f"{SLUG}.po")
    (again / catalog).write_bytes((root / catalog).read_bytes())
    assert build(load_config(again), BuildOptions(jobs=1)).ok
    assert (again / "output" / FR_PDF).read_bytes() == (root / "output" / FR_PDF).read_bytes()


def test_a_brochure_the_checks_then_refuse_is_never_written(
    project: tuple[Path, Recording],
) -> None:
    root, executor = project
    catalog = root / "locale" / "fr" / "LC_MESSAGES" / f"{SLUG}.po"
    good_catalog, good_pdf = catalog.read_bytes(), (root / "output" / FR_PDF).read_bytes()
    edit_po(catalog, change_critical_figure)
    config = load_config(root)
    report = build(config, BuildOptions(("fr",)), executor=executor)
    assert [decision.lang for decision in report.refused] == ["fr"]
    assert ("submitted", FR_PDF) in executor.events  # rendered on speculation...
    assert not (root / "output" / FR_PDF).exists()  # ...and dropped: unpublished, not rewritten
    assert not report.built
    # The dropped job does not reach the next build on the same pool.
    catalog.write_bytes(good_catalog)
    executor.events.clear()
    report = build(config, BuildOptions(("fr",)), executor=executor)
    assert report.ok and [t.path for t, _ in report.built] == [FR_PDF, f"fr/{SLUG}.html"]
    assert (root / "output" / FR_PDF).read_bytes() == good_pdf


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(
    jobs._malloc_trim() is None or not Path("/proc/self/statm").exists(),
    reason="glibc's malloc_trim and /proc are Linux's",
)
def test_release_memory_gives_the_c_heaps_free_pages_back() -> None:
    """64 MiB of small C blocks, freed below the last one, still in use: glibc keeps them
    until trimmed."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(4096) for _ in range(16384)]
    for block in blocks:
        ctypes.memset(block, 1, 4096)
    pinned = blocks.pop()  # the highest: the heap cannot simply shrink from its top
    for block in blocks:
        libc.free(block)
    before = _resident_bytes()
    release_memory()
    after = _resident_bytes()
    libc.free(pinned)
    assert before - after > 32 * 2**20, (before, after)


def test_a_preview_worker_tidies_in_its_own_process(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    pool = ProcessPool(1, root, long_lived=True)
    try:
        tidied = pool.tidy()
        assert tidied is not None
        assert tidied.result(timeout=120) != os.getpid()  # in the worker, not here
    finally:
        pool.close()


def test_the_preview_has_its_worker_tidy_once_each_rebuild_is_served(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    said: list[str] = []
    preview = Preview(load_config(root), ("fr",), said.append)
    preview.start_worker()
    worker = preview.worker()
    assert worker is not None
    tidy = worker.tidy
    tidied: list[int] = []

    def recording() -> Any:
        tidied.append(len(said))  # how much the preview had said by then
        return tidy()

    worker.tidy = recording  # type: ignore[method-assign]
    try:
        preview.rebuild()
        preview.rebuild()  # nothing changed: still served, still tidied
    finally:
        preview.stop_worker()
    served = [i for i, line in enumerate(said, 1) if line.startswith("rebuilt in")]
    assert len(served) == 2 and tidied == served, (said, tidied)


def test_one_process_imports_weasyprint_on_a_thread_and_renders_once_it_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--jobs 1``: the PDF engine is imported while the build plans, not after."""
    imported = threading.Event()
    order: list[str] = []

    def import_engine() -> None:
        order.append(threading.current_thread().name)
        imported.wait(5)
        order.append("imported")

    monkeypatch.setattr(engine, "_thread", None)  # as in a process that has not started it
    monkeypatch.setattr(engine, "_import", import_engine)
    monkeypatch.setattr(executors, "make", lambda job, context: order.append("rendered"))
    executor = InProcess()
    executor.submit(None, None)  # type: ignore[arg-type]
    results = executor.results()
    threading.Timer(0.05, imported.set).start()
    next(results)
    executor.close()
    assert order == ["import WeasyPrint", "imported", "rendered"]


@pytest.mark.parametrize(
    ("args", "cache", "early"),
    [
        (["--force", "--jobs", "1"], True, True),
        (["--jobs", "1"], False, True),  # the first build: everything is rendered
        (["--jobs", "1"], True, False),  # maybe nothing to render: not before the plan says
        (["--force", "--jobs", "2"], True, False),  # the workers import it, not this process
        (["--force", "--jobs", "1", "--executor", "dask"], True, False),
    ],
)
def test_a_build_that_renders_everything_here_starts_importing_weasyprint_first(
    args: list[str],
    cache: bool,
    early: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before it imports the build's own modules and reads the project."""
    project = copy_project(tmp_path / "project")
    if cache:
        load_config(project).cache_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(project)
    calls: list[str] = []
    monkeypatch.setattr(engine, "import_ahead", lambda: calls.append("import WeasyPrint"))

    def build_(*_: object, **__: object) -> Any:
        calls.append("build")
        from pipeline.build.report import BuildReport

        return BuildReport()

    monkeypatch.setattr("pipeline.build.build", build_)
    assert cli.main(["build", *args]) == 0
    assert calls == (["import WeasyPrint", "build"] if early else ["build"])
