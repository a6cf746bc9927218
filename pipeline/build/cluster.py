"""Render jobs on a Dask distributed cluster: ``--executor dask``, the ``dask`` extra.

Each worker imports WeasyPrint and loads its fonts once, when it joins
(:class:`WarmRenderer`, a worker plugin), and says which fonts it has: a
brochure is keyed by the fonts it was laid out with, so a worker whose fonts
differ from the coordinator's is refused by name rather than trusted. Jobs
carry everything they render from (the article, catalogs, site and image
bytes); the worker returns the bytes. The context (the site) goes with each
job: broadcasting it once (``Client.scatter``) waited forever on a worker that
had just died. A worker that dies mid-job loses nothing but time: the
scheduler runs the job again elsewhere, and nothing is written until the
coordinator holds the whole result.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from distributed import Client, WorkerPlugin, as_completed, get_worker

from pipeline.build.executors import Executor, cost, font_mismatch
from pipeline.build.jobs import _WORKER_STATE, Made, RenderContext, RenderJob, Result, make
from pipeline.errors import ConfigError, RenderError

PLUGIN_NAME = "pipeline-renderer"
RETRIES = 2
"""Runs of a job that raised unexpectedly (a job whose worker died is rescheduled by Dask
itself, up to ``distributed.scheduler.allowed-failures`` times)."""
_RENDER_LOCK = threading.Lock()
"""One renderer per worker process: jobs on a worker with several threads take turns."""


def worker_fonts() -> str:
    """The fingerprint of this worker's fonts, computed once."""
    from pipeline.build.inputs import font_fingerprint

    if "fonts" not in _WORKER_STATE:
        _WORKER_STATE["fonts"] = font_fingerprint()
    fonts: str = _WORKER_STATE["fonts"]
    return fonts


class WarmRenderer(WorkerPlugin):
    """Loads WeasyPrint and the font configuration when a worker joins, before any job."""

    def setup(self, worker: Any) -> None:
        from pipeline.build.jobs import warm_worker

        with _RENDER_LOCK:
            warm_worker(None)  # jobs carry their files: nothing is read from a project folder
            worker_fonts()


def render_on_worker(job: RenderJob, context: RenderContext) -> Result:
    """The task a worker runs: one target's bytes, with the worker's name and fonts."""
    with _RENDER_LOCK:
        result = make(job, context)
        fonts = worker_fonts()
    if isinstance(result, Made):
        return Made(result.data, result.seconds, fonts, get_worker().address)
    return result


class DaskExecutor(Executor):
    """Submits jobs to the scheduler at ``address``; results come back as bytes."""

    def __init__(self, address: str, *, timeout: float = 30) -> None:
        try:
            self._client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            self._client.register_plugin(WarmRenderer(), name=PLUGIN_NAME)
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self.close()
            raise ConfigError(f"no Dask worker joined the scheduler at {address}") from None
        self._pending: dict[Any, RenderJob] = {}
        self._finished = as_completed(loop=self._client.loop)

    def check_fonts(self, fonts: str) -> None:
        found: dict[str, str] = self._client.run(worker_fonts)
        for worker, theirs in sorted(found.items()):
            if theirs != fonts:
                raise ConfigError(font_mismatch(worker, theirs, fonts))

    def submit(self, job: RenderJob, context: RenderContext) -> None:
        future = self._client.submit(
            render_on_worker,
            job,
            context,
            pure=False,
            retries=RETRIES,
            priority=cost(job),
        )
        self._pending[future] = job
        self._finished.add(future)

    def results(self) -> Iterator[tuple[RenderJob, Result]]:
        while self._pending:
            future = next(self._finished)
            job = self._pending.pop(future)
            try:
                yield job, future.result()
            except Exception as exc:  # failed on every worker that tried it
                yield job, RenderError(f"{type(exc).__name__}: {exc}", job.target.path)

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._client.close()
