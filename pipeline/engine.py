"""WeasyPrint's import, started on a thread of its own ahead of the first brochure.

Importing WeasyPrint (Pango, HarfBuzz, fontconfig and its CSS machinery) takes about a
third of a second. A build that renders in its own process (``--jobs 1``) starts it here,
as early as it knows it will render, and goes on reading and checking the project while
it runs; the first brochure waits for it (:func:`imported`). Only WeasyPrint is imported
on that thread, none of the pipeline's modules.
"""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None


def import_ahead() -> None:
    """Start importing WeasyPrint on a thread, once per process (again: nothing)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_import, name="import WeasyPrint")
            _thread.start()


def imported() -> None:
    """Wait for the import :func:`import_ahead` started, if any. An import that failed there
    fails again, with its message, where the first brochure imports WeasyPrint."""
    with _lock:
        thread = _thread
    if thread is not None:
        thread.join()


def renders_here(jobs: int, executor: str) -> bool:
    """Whether a build asked for ``jobs`` processes on ``executor`` renders in this one
    (as :func:`pipeline.build.start_executor` decides)."""
    return executor == "local" and (jobs or os.cpu_count() or 1) == 1


def _import() -> None:
    try:
        import weasyprint  # noqa: F401
    except Exception:  # raised again, and reported, where the first brochure is rendered
        return
