"""Where render jobs run: this process, a local process pool, or a Dask cluster.

Every executor takes self-contained jobs (:class:`~pipeline.build.jobs.RenderJob`)
and hands back the bytes each one made, as jobs finish; it never writes a file.
The coordinator (:func:`pipeline.build.build`) alone writes ``output/``, each
file atomically, and keeps the manifest, whichever executor rendered it.

A job may be submitted while results are being read (a page once its brochure
is done): :meth:`Executor.results` runs until nothing is pending.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import multiprocessing
import queue
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from pipeline import engine
from pipeline.build.jobs import (
    Made,
    RenderContext,
    RenderJob,
    Result,
    long_lived_worker,
    make,
    tidy,
    warm_worker,
)
from pipeline.errors import RenderError

EXECUTORS = ("local", "dask")
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
"""Where ``--executor dask`` finds the scheduler when ``--scheduler`` is not given (Dask's own
name for it)."""


class Executor(ABC):
    """Runs render jobs somewhere and yields ``(job, bytes or error)`` as they finish."""

    concurrent = True
    """Whether jobs render elsewhere while this process goes on (so that a job submitted
    before its language's checks costs nothing if they refuse it)."""

    @abstractmethod
    def submit(self, job: RenderJob, context: RenderContext) -> None: ...

    @abstractmethod
    def results(self) -> Iterator[tuple[RenderJob, Result]]:
        """Each submitted job's result, in the order they finish, until none is pending."""

    def check_fonts(self, fonts: str) -> None:  # noqa: B027 (the local ones share our fonts)
        """Raise when a worker's fonts differ from ``fonts``, this machine's."""

    def close(self) -> None:  # noqa: B027
        """Stop what the executor started; pending jobs are cancelled."""


class InProcess(Executor):
    """Renders in this process, one job at a time (``--jobs 1``).

    WeasyPrint is imported on a thread of its own (:mod:`pipeline.engine`) while this
    process reads and checks the project, as the pool's workers import it while it plans:
    a one-process build of the six brochures took 0.10-0.16 s less (3.41-3.48 s instead of
    3.53-3.61 s, five runs each way). A build that will render everything starts that
    import before it reads anything; otherwise it starts when this executor is made.
    Rendering waits for the import to end.
    """

    concurrent = False

    def __init__(self) -> None:
        self._queue: deque[tuple[RenderJob, RenderContext]] = deque()
        engine.import_ahead()

    def submit(self, job: RenderJob, context: RenderContext) -> None:
        self._queue.append((job, context))

    def results(self) -> Iterator[tuple[RenderJob, Result]]:
        engine.imported()
        while self._queue:
            job, context = self._queue.popleft()
            yield job, make(job, context)

    def close(self) -> None:
        engine.imported()  # never leave an import running when the process ends


class ProcessPool(Executor):
    """A pool of this machine's processes, each importing WeasyPrint once, at start.

    Jobs wait here, not in the pool's queue: each time a worker frees up (a
    callback, even while the coordinator is still planning) it gets the
    longest waiting job, pages before brochures, so that the build does not
    end on one long brochure while the other workers are idle.
    """

    def __init__(
        self,
        workers: int,
        root: Path,
        *,
        long_lived: bool = False,
        submitted: Callable[[], None] | None = None,
    ) -> None:
        """``long_lived``: a pool kept across builds by a process with threads (``pipeline
        serve``): workers are started fresh (not forked from a threaded process) and leave
        Ctrl-C to that process, which stops them once its current build is written.
        ``submitted`` is called after each job is submitted."""
        self._submitted = submitted
        if long_lived:
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=long_lived_worker,
            )
        else:
            self._pool = ProcessPoolExecutor(max_workers=workers)
        self._broken = False
        for _ in range(workers):  # they import the PDF engine while the coordinator plans
            self._pool.submit(warm_worker, str(root))
        self._slots = workers + 1  # one more, so that no worker waits for the coordinator
        self._lock = threading.RLock()
        self._waiting: list[tuple[int, int, RenderJob, RenderContext]] = []
        self._order = itertools.count()
        self._running = 0
        self._pending = 0
        self._done: queue.SimpleQueue[tuple[RenderJob, Future[Result]]] = queue.SimpleQueue()

    def submit(self, job: RenderJob, context: RenderContext) -> None:
        with self._lock:
            self._pending += 1
            heapq.heappush(self._waiting, (-cost(job), next(self._order), job, context))
            self._feed()
        if self._submitted is not None:
            self._submitted()

    def _feed(self) -> None:
        with self._lock:
            while self._waiting and self._running < self._slots:
                _, _, job, context = heapq.heappop(self._waiting)
                self._running += 1
                try:
                    future = self._pool.submit(make, job, context)
                except BrokenProcessPool as exc:
                    self._broken = True
                    future = Future()
                    future.set_exception(exc)
                future.add_done_callback(functools.partial(self._finished, job))

    def _finished(self, job: RenderJob, future: Future[Result]) -> None:
        with self._lock:
            self._running -= 1
            self._feed()
        self._done.put((job, future))

    def results(self) -> Iterator[tuple[RenderJob, Result]]:
        while self._pending:
            job, future = self._done.get()
            self._pending -= 1
            try:
                yield job, future.result()
            except Exception as exc:  # a worker that crashed: report it, keep building
                self._broken = self._broken or isinstance(exc, BrokenProcessPool)
                yield job, RenderError(f"{type(exc).__name__}: {exc}", job.target.path)

    def tidy(self) -> Future[int] | None:
        """Have a worker collect its garbage and give freed memory back to the system, after
        the jobs already given to it: ``pipeline serve`` between builds, on its pool of one
        (on the worker's own thread, never beside a job). None when the pool has broken."""
        try:
            return self._pool.submit(tidy)
        except (BrokenProcessPool, RuntimeError):
            return None

    @property
    def broken(self) -> bool:
        """Whether a worker died: the pool takes no more jobs (a long-lived one is replaced).
        The standard pool notices a dead worker by itself, before any job is given to it."""
        return self._broken or bool(getattr(self._pool, "_broken", False))

    def close(self) -> None:
        with self._lock:
            self._waiting.clear()
        self._pool.shutdown(cancel_futures=True)


def cost(job: RenderJob) -> int:
    """A job's expected cost, to start the longest first: a page costs next to nothing and is
    awaited by nobody else, so it goes before any brochure."""
    if job.target.fmt == "html":
        return 1 << 30
    return len(job.localized.texts) + (job.target.lang != job.localized.source_lang)


def font_mismatch(worker: str, theirs: str, ours: str) -> str:
    return (
        f"Dask worker {worker} has other fonts than this machine (fingerprint {theirs[:12]}, "
        f"here {ours[:12]}): its brochures would not be the ones this build is keyed by; "
        "install the same fonts on every worker"
    )


def wrong_fonts(made: Made, fonts: str) -> str | None:
    """Why bytes made on a worker cannot be published (its fonts are not ``fonts``), if so."""
    if made.fonts and made.fonts != fonts:
        return font_mismatch(made.worker or "?", made.fonts, fonts)
    return None
