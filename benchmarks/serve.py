"""The live preview: from saving a catalog to the rebuilt page and brochure being served.

``pipeline serve --lang fr --port 0`` runs in a fresh copy of the frozen project.
Each edit inserts a new word into one French paragraph (as
:func:`benchmarks.projects.change_one_translation` does for the build rows); the
suite listens to the server's event stream, as an open preview page does, and on
each event naming the page (the brochure) fetches it until it shows the word (its
bytes change): the time from the save to each. (Asking every 5 ms instead, as an
earlier version did, loaded the server it measured: every request for a page runs
the preview's annotation.) Against
them: a cold ``pipeline build --force --lang fr`` in a fresh process (what a
translator waits for without the server), and WeasyPrint alone rendering the same
French print document in a warm process (``_warm_render.py``, the first render
untimed). Then the server is made to rebuild many times, and its resident memory
is read from ``/proc`` before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks.builds import prepare_corpus
from benchmarks.common import (
    BENCH_DIR,
    PYTHON,
    BenchError,
    Row,
    Series,
    Target,
    child_env,
    log,
    pipeline_command,
    ratio_row,
    run,
    time_row,
)
from benchmarks.projects import article_slugs, change_one_translation
from pipeline.preview import EVENTS_PATH

S_SERVE = "7. Live preview (pipeline serve)"
PAGE_GOAL = 0.3
"""Seconds from a save to the page served with the change."""
BROCHURE = Target("<=", 1.2)
"""Brochure served after a save / WeasyPrint's own render of it in a warm process."""
LANG = "fr"


class Server:
    """``pipeline serve --lang fr --port 0`` in ``project``, its terminal read as it goes."""

    def __init__(self, project: Path):
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            pipeline_command("serve", "--lang", LANG, "--port", "0"),
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        threading.Thread(target=self._read, daemon=True).start()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", self.wait_for(r"^serving http"))
        if match is None:
            raise BenchError("pipeline serve did not say where it serves")
        self.port = int(match.group(1))
        self.wait_for(r"^rebuilt in ")
        self.announced: list[set[str]] = []
        """The paths of each ``built`` event of the server's event stream, as they came."""
        self._listening = threading.Event()
        threading.Thread(target=self._listen, daemon=True).start()
        if not self._listening.wait(10):
            raise BenchError("pipeline serve: its event stream did not open")

    def _listen(self) -> None:
        """Read the event stream the preview's pages reload by (what a browser waits on)."""
        url = f"http://127.0.0.1:{self.port}{EVENTS_PATH}"
        with urllib.request.urlopen(url, timeout=None) as stream:
            name = ""
            for raw in stream:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    name = line[len("event: ") :]
                    if name == "hello":
                        self._listening.set()
                elif line.startswith("data: ") and name == "built":
                    with self._changed:
                        self.announced.append(set(json.loads(line[len("data: ") :])))
                        self._changed.notify_all()

    def events(self) -> int:
        with self._changed:
            return len(self.announced)

    def wait_announced(self, path: str, after: int, timeout: float = 60) -> int:
        """The number of events read once one after ``after`` names ``path``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for number, paths in enumerate(self.announced[after:], after + 1):
                    if path in paths:
                        return number
                if time.monotonic() > deadline:
                    raise BenchError(f"pipeline serve announced no {path} in {timeout} s")
                self._changed.wait(timeout)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def count(self) -> int:
        with self._changed:
            return len(self.lines)

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if re.search(pattern, line):
                        return line
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise BenchError("pipeline serve: no " + pattern + "\n" + "\n".join(self.lines))
                self._changed.wait(0.5)

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=10) as reply:
            data: bytes = reply.read()
            return data

    def rss_mib(self) -> float:
        return _rss_mib(self.process.pid)

    def worker_rss_mib(self) -> float:
        """The resident memory of the server's rendering process."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="utf-8").split()
        workers = [
            int(child)
            for child in children
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        ]
        if len(workers) != 1:
            raise BenchError(f"the server has {len(workers)} rendering processes, not 1")
        return _rss_mib(workers[0])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT, as Ctrl-C
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    if match is None:
        raise BenchError(f"no VmRSS for process {pid}")
    return int(match.group(1)) / 1024


def _word(number: int) -> str:
    """A new word with no digit (a figure would make the gate refuse the language)."""
    return "zq" + "".join(chr(ord("a") + int(digit)) for digit in str(number))


def measure_edits(
    server: Server, project: Path, slug: str, edits: int, warm: WarmRenderer
) -> tuple[Series, Series, Series, Series]:
    """Seconds from each save to the page, and to the brochure, served with the change;
    WeasyPrint's warm render of the brochure right after each (the same moment's load), and
    the brochure's render inside the server's build (from its progress line)."""
    page_series, pdf_series, warm_series, inside = Series(), Series(), Series(), Series()
    page, pdf = f"{LANG}/{slug}.html", f"{LANG}/{slug}.pdf"
    progress = re.compile(rf"^\[\d+/\d+\] {re.escape(pdf)} \(([\d.]+) s\)")
    for number in range(edits):
        word = _word(number)
        before = hashlib.sha256(server.get(pdf)).digest()
        count, events = server.count(), server.events()
        saved = time.perf_counter()
        change_one_translation(project, LANG, slug, word)
        seen = events
        while True:  # each event naming the page: is the new word served now?
            seen = server.wait_announced(page, seen)
            if word.encode() in server.get(page):
                page_series.add(time.perf_counter() - saved)
                break
        seen = events
        while True:  # likewise the brochure: are its bytes new?
            seen = server.wait_announced(pdf, seen)
            if hashlib.sha256(server.get(pdf)).digest() != before:
                pdf_series.add(time.perf_counter() - saved)
                break
        match = progress.search(server.wait_for(progress.pattern, after=count))
        assert match is not None
        inside.add(float(match.group(1)))
        server.wait_for(r"^rebuilt in ", after=count)  # settled before the next edit
        time.sleep(0.3)  # and its memory collected
        warm_series.add(warm.render())
    return page_series, pdf_series, warm_series, inside


class WarmRenderer:
    """WeasyPrint alone in a long-lived process (``_warm_render.py``), rendering on request."""

    def __init__(self, documents: Path, name: str):
        self.process = subprocess.Popen(
            [PYTHON, "-P", str(BENCH_DIR / "_warm_render.py"), str(documents), name],
            cwd=documents,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        if self._line() != "ready":
            raise BenchError("_warm_render.py did not start")

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def render(self) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        return float(self._line())

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


def save_one_word_edit(project: Path, scratch: Path, slug: str, word: str) -> None:
    """Save the catalog as it was before the rebuilds, with ``word`` inserted: every rebuild's
    brochure has the same size (edits that each add a word grow it, and memory with it).
    Edited beside it and moved in, so the server sees one save."""
    relative = Path("locale", LANG, "LC_MESSAGES", f"{slug}.po")
    original = scratch / "original.po"
    if not original.exists():
        original.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / relative, original)
    (scratch / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(original, scratch / relative)
    change_one_translation(scratch, LANG, slug, word)
    os.replace(scratch / relative, project / relative)


def run_serve(work: Path, frozen: Path, runs: int, edits: int, rebuilds: int) -> list[Row]:
    here = work / "serve"
    here.mkdir()
    slug = next(iter(article_slugs(frozen).values()))
    corpus = prepare_corpus("serve", frozen, here)
    cold = Series()
    for index in range(runs):
        project = Path(shutil.copytree(frozen, here / f"cold-{index}"))
        cold.add(run(pipeline_command("build", "--force", "--lang", LANG), project).seconds)
        shutil.rmtree(project)

    project = Path(shutil.copytree(frozen, here / "served"))
    log(f"serve: {edits} edits, then {rebuilds} rebuilds")
    server = Server(project)
    renderer = WarmRenderer(corpus.documents, f"{LANG}__{slug}.html")
    try:
        page, pdf, warm, inside = measure_edits(server, project, slug, edits, renderer)
        start_rss, start_worker = server.rss_mib(), server.worker_rss_mib()
        settled = max(1, rebuilds // 4)  # caches fill over the first saves; then it should be flat
        mid_rss, mid_worker = start_rss, start_worker
        for number in range(rebuilds):
            if number == settled:
                mid_rss, mid_worker = server.rss_mib(), server.worker_rss_mib()
            count = server.count()
            save_one_word_edit(project, here / "scratch", slug, _word(10_000 + number))
            server.wait_for(r"^rebuilt in .* 2 file\(s\) written", after=count)
        end_rss, end_worker = server.rss_mib(), server.worker_rss_mib()
    finally:
        renderer.stop()
        server.stop()
    shutil.rmtree(here, ignore_errors=True)

    verdict = "PASS" if page.median <= PAGE_GOAL else "FAIL"
    return [
        time_row(S_SERVE, f"cold `pipeline build --force --lang {LANG}` (a new process)", cold),
        ratio_row(
            S_SERVE,
            f"save -> page served with the change (median of {edits} edits)",
            page,
            cold,
            "of the cold build",
            percent=True,
            note=f"goal <= {PAGE_GOAL} s: {verdict} (a draft from memory, then the build's page)",
        ),
        time_row(
            S_SERVE,
            f"WeasyPrint alone, warm process: the {LANG} brochure (after each edit)",
            warm,
            note=f"inside the server's build: {inside.median:.3f} s (median)",
        ),
        ratio_row(
            S_SERVE,
            f"save -> brochure served with the change (median of {edits} edits)",
            pdf,
            warm,
            "served / WeasyPrint warm",
            BROCHURE,
        ),
        Row(
            S_SERVE,
            f"server RSS after its first build -> after {settled} -> after {rebuilds} rebuilds",
            None,
            1,
            note=f"{end_rss - start_rss:+.1f} MB; {end_rss - mid_rss:+.1f} MB from the {settled}th",
            value=f"{start_rss:.0f} -> {mid_rss:.0f} -> {end_rss:.0f} MB",
        ),
        Row(
            S_SERVE,
            "its rendering process's RSS, the same moments (WeasyPrint and fonts loaded)",
            None,
            1,
            note=(
                f"{end_worker - start_worker:+.1f} MB; "
                f"{end_worker - mid_worker:+.1f} MB from the {settled}th"
            ),
            value=f"{start_worker:.0f} -> {mid_worker:.0f} -> {end_worker:.0f} MB",
        ),
    ]


__all__ = ["run_serve"]
