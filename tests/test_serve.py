"""``pipeline serve``: the real server on a free localhost port, a real project copy, real edits
of its catalogs, and Chromium watching the page reload by itself."""

from __future__ import annotations

import fcntl
import http.client
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import FR_PO, SLUG, copy_project
from pypdf import PdfReader

PAGE = f"fr/{SLUG}.html"
PDF = f"fr/{SLUG}.pdf"
TITLE = "Les cellules souches peuvent-elles aider les patients"
"""The start of the French title's msgstr (the page's <h1>)."""


class Served:
    """``pipeline serve --lang fr --port 0`` running in a copy of the project."""

    def __init__(self, root: Path):
        self.root = root
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--lang", "fr", "--port", "0"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_for(r"serving http://127\.0\.0\.1:(\d+)/")
        self.port = int(re.search(r":(\d+)/", line).group(1))  # type: ignore[union-attr]
        self.wait_for(r"^rebuilt in ")

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 60) -> str:
        """The first terminal line from index ``after`` matching ``pattern``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"no line {pattern!r} in:\n" + "\n".join(self.lines))
                self._changed.wait(left)

    def count(self) -> int:
        with self._changed:
            return len(self.lines)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def get(self, path: str) -> tuple[int, bytes]:
        """Sends ``path`` exactly as written (no normalisation of ``..``)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def edit(self, path: str, change: Callable[[str], str]) -> int:
        """Rewrite a project file as an editor saves it; the terminal line count before."""
        file = self.root / path
        text = file.read_text(encoding="utf-8")
        changed = change(text)
        assert changed != text
        with self._changed:
            count = len(self.lines)
        file.write_text(changed, encoding="utf-8")
        return count

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(30)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(copy_project(tmp_path / "project"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the tests that only read."""
    server = Served(copy_project(tmp_path_factory.mktemp("shared") / "project"))
    try:
        yield server
    finally:
        server.stop()


def _rewrite_title(prefix: str) -> Callable[[str], str]:
    """Put ``prefix`` before the French title, in place of what was there."""

    def change(text: str) -> str:
        line = re.compile(r'^"[^"\n]*?' + re.escape(TITLE), re.MULTILINE)
        return line.sub(lambda _: f'"{prefix}{TITLE}', text, count=1)

    return change


def _line_of(text: str, needle: str) -> int:
    """The line of the msgid whose msgstr holds ``needle`` (its entry's first line)."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if needle in line)
    while not lines[index].startswith("msgid "):
        index -= 1
    return index + 1


def _published_files_hold_no_preview(root: Path) -> None:
    for file in (root / "output").rglob("*.html"):
        text = file.read_text(encoding="utf-8")
        assert "pipeline-preview" not in text and "EventSource" not in text, file


def test_the_page_reloads_by_itself_with_the_new_text_and_its_entry_marked(
    served: Served, chromium: Any
) -> None:
    page = chromium.new_page()
    try:
        page.goto(served.url(PAGE))
        heading = page.locator("h1").first
        po_text = (served.root / FR_PO).read_text(encoding="utf-8")
        where = f"{FR_PO}:{_line_of(po_text, TITLE)}"
        assert heading.get_attribute("data-pipeline-po") == where
        assert page.locator("[data-pipeline-po]").count() > 20
        page.evaluate("window.notReloaded = true")

        count = served.edit(FR_PO, _rewrite_title("Zèbres et "))
        page.wait_for_function(
            "document.querySelector('h1').textContent.includes('Zèbres et')", timeout=20_000
        )
        assert page.evaluate("window.notReloaded === undefined")  # a new document, not a patch
        assert page.locator("h1 .pipeline-marker").count() == 0
        served.wait_for(r"^rebuilt in .*: 2 file\(s\) written", after=count)
        assert "Zèbres et" in (served.root / "output" / PAGE).read_text(encoding="utf-8")

        # A figure the source does not have: the gate refuses French, the preview shows why.
        count = served.edit(FR_PO, _rewrite_title("12 "))
        marker = page.locator("h1 .pipeline-marker.pipeline-error")
        marker.wait_for(timeout=20_000)
        assert f"{where} error [figures]" in marker.inner_text()
        assert page.locator("h1").get_attribute("data-pipeline-finding") is not None
        banner = page.locator("#pipeline-preview .pipeline-banner")
        assert "Would not be published" in banner.inner_text()
        assert f"{where}" in page.locator("#pipeline-preview li.pipeline-error").inner_text()
        served.wait_for(r"1 not published \(previewed\)", after=count)
        assert not (served.root / "output" / PAGE).exists()
        assert not (served.root / "output" / PDF).exists()
        status, pdf = served.get("/" + PDF)  # previewed from memory
        assert status == 200 and pdf.startswith(b"%PDF")
        _published_files_hold_no_preview(served.root)
    finally:
        page.close()


def test_the_brochure_is_rebuilt_and_the_pages_links_to_it_refresh(
    served: Served, chromium: Any
) -> None:
    page = chromium.new_page()
    try:
        page.goto(served.url(""))  # the index links to the brochure, and is not rebuilt by it
        link = page.locator(f'a[href$="{PDF}"]').first
        before = link.get_attribute("href")
        assert before is not None and "v=" not in before
        count = served.edit(FR_PO, _rewrite_title("Girafes et "))
        served.wait_for(rf"^\[\d+/\d+\] {re.escape(PDF)}", after=count)
        page.wait_for_function(
            f"[...document.querySelectorAll('a[href*=\"{PDF}\"]')]"
            ".some(a => a.href.includes('v='))",
            timeout=20_000,
        )
        status, data = served.get("/" + PDF)
        assert status == 200
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages[:1])
        assert "Girafes" in text
    finally:
        page.close()


def _rendering_process(server: Served) -> int:
    """The pid of the server's rendering process (spawned by multiprocessing)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="utf-8").split()
    found = [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    assert len(found) == 1, children
    return int(found[0])


def test_a_rendering_process_that_dies_is_replaced_and_the_save_still_published(
    served: Served,
) -> None:
    os.kill(_rendering_process(served), signal.SIGKILL)
    count = served.edit(FR_PO, _rewrite_title("Girafes et "))
    served.wait_for("rendering process stopped: starting another", after=count)
    served.wait_for(r"^rebuilt in .*: 2 file\(s\) written, .* 0 error", after=count)
    status, data = served.get("/" + PDF)
    assert status == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages[:1])
    assert "Girafes" in text
    assert _rendering_process(served) > 0  # one again


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/fr/../../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/fr/%2E%2E/%2e%2e/pyproject.toml",
        "/..%2fpyproject.toml",
        "/images/..%5c..%5cpyproject.toml",
        "/%00index.html",
    ],
)
def test_paths_outside_the_output_folder_are_refused(shared: Served, path: str) -> None:
    status, body = shared.get(path)
    assert status in (403, 404)
    assert b"[tool.pipeline]" not in body


def test_a_link_out_of_the_output_folder_is_not_followed(shared: Served) -> None:
    output = shared.root / "output"
    (output / "secret.txt").symlink_to(shared.root / "pyproject.toml")
    (output / "fr" / "up").symlink_to(shared.root)
    (output / "inside.html").symlink_to(output / PAGE)
    for path in ("/secret.txt", "/fr/up/pyproject.toml", "/fr/up/source/"):
        status, body = shared.get(path)
        assert status == 404, path
        assert b"tool.pipeline" not in body
    status, body = shared.get("/inside.html")  # a link that stays inside is served
    assert status == 200 and b"<h1" in body


def test_a_broken_catalog_is_shown_and_the_last_good_build_served(
    served: Served, chromium: Any
) -> None:
    good = (served.root / "output" / PAGE).read_bytes()
    count = served.edit(FR_PO, lambda text: text + '\nmsgid "x"\nmsgstr "unterminated\n')
    error = served.wait_for(rf"^pipeline: error: {re.escape(FR_PO)}:\d+: ", after=count)
    assert "still serving the last good build" in error
    page = chromium.new_page()
    try:
        page.goto(served.url(PAGE))
        banner = page.locator("#pipeline-preview .pipeline-banner").first.inner_text()
        assert banner.startswith(f"pipeline: error: {FR_PO}:")
        assert TITLE in page.locator("h1").inner_text()
    finally:
        page.close()
    assert (served.root / "output" / PAGE).read_bytes() == good

    count = served.edit(FR_PO, lambda text: text.split('\nmsgid "x"')[0])
    served.wait_for(r"^rebuilt in .*0 error\(s\)", after=count)
    status, body = served.get("/" + PAGE)
    assert status == 200 and b"pipeline: error" not in body


def test_ctrl_c_stops_cleanly_with_no_partial_file_and_no_lock_held(served: Served) -> None:
    count = served.edit(FR_PO, _rewrite_title("Loutres et "))
    served.wait_for(r"^preview: ", after=count)
    assert served.stop() == 0  # interrupted while the brochure renders
    assert served.lines[-1] == "stopped"
    output = served.root / "output"
    assert not [p for p in output.rglob("*") if p.name.startswith(".")]
    lock = served.root / ".pipeline-cache" / "build.lock"
    descriptor = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
    finally:
        os.close(descriptor)
    with pytest.raises(ConnectionRefusedError):
        served.get("/")
    # What the interrupted server wrote is what a build of the same inputs writes.
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "--lang", "fr", "--no-wait"],
        cwd=served.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "built 0 file(s)" in result.stdout


def test_a_change_of_the_styles_restarts_the_server_and_the_page_follows(
    served: Served, chromium: Any
) -> None:
    """Templates and styles are compiled once per process: a change restarts it on its port."""
    from pipeline.resources import STATIC_DIR

    page = chromium.new_page()
    try:
        page.goto(served.url(PAGE))
        page.evaluate("window.notReloaded = true")
        count = served.count()
        os.utime(STATIC_DIR / "page.css")  # the bytes stay as they are
        served.wait_for(r"^the templates or styles changed: restarting", after=count)
        served.wait_for(rf"^serving http://127\.0\.0\.1:{served.port}/", after=count)
        served.wait_for(r"^rebuilt in ", after=count)
        page.wait_for_function("window.notReloaded === undefined", timeout=20_000)
        assert page.locator("h1[data-pipeline-po]").count() == 1
    finally:
        page.close()
    assert served.stop() == 0


def test_a_change_of_the_theme_is_rebuilt_and_served(served: Served) -> None:
    """The publisher's theme folder is watched like the catalogs: a new tint is on the page."""
    count = served.edit("theme/theme.toml", lambda text: text.replace("#e8f3f1", "#eef2f8"))
    served.wait_for(r"^rebuilt in ", after=count)
    status, data = served.get("/" + PAGE)
    assert status == 200 and b"--tint: #eef2f8;" in data
    assert b"--tint: #eef2f8;" in (served.root / "output" / PAGE).read_bytes()
