"""A build that cannot write names the file and why in one line, exits 2, leaves no half file.

The disk is filled for real: the build runs under a file-size limit
(``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored), so the kernel refuses the write
the way a full disk does, in the worker that writes the brochure.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SLUG, copy_project

PDF = f"output/en/{SLUG}.pdf"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def build(root: Path, *, file_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if file_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "--lang", "en", "--jobs", "1"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=limit,
    )


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("pipeline: error:")]


def leftovers(root: Path) -> list[Path]:
    return sorted((root / "output").rglob(".*.part"))


def test_a_full_disk_is_one_line_per_file_and_leaves_no_partial_file(project: Path) -> None:
    result = build(project, file_limit=30_000)  # the page (~19 kB) fits, the brochure does not
    assert result.returncode == 2, result.stderr
    assert errors(result) == [f"pipeline: error: {PDF}: cannot write: File too large"]
    assert "Traceback" not in result.stderr
    assert not (project / PDF).exists() and leftovers(project) == []
    again = build(project)  # space again: the missing brochure is built, nothing else is stale
    assert again.returncode == 0, again.stderr
    assert (project / PDF).read_bytes().startswith(b"%PDF")
    assert "built 1 file(s)" in again.stdout


def test_output_that_is_a_file_is_named(project: Path) -> None:
    (project / "output").write_text("not a folder", "utf-8")
    result = build(project)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "pipeline: error: output: cannot write the output folder: it is not a folder"
    ]


def test_a_folder_where_the_brochure_goes_is_named(project: Path) -> None:
    (project / PDF).mkdir(parents=True)
    result = build(project)
    assert result.returncode == 2
    assert errors(result) == [f"pipeline: error: {PDF}: cannot write: Is a directory"]
    assert leftovers(project) == []
    assert (project / f"output/en/{SLUG}.html").exists()  # the rest is still built


def _read_only(folder: Path) -> bool:
    """Make ``folder`` unwritable, even for root (the immutable attribute) when possible."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode == 0


def test_permission_denied_on_output_is_named(project: Path) -> None:
    folder = project / "output" / "en"
    folder.mkdir(parents=True)
    if not _read_only(folder):
        pytest.skip("cannot make a folder read-only here (root without chattr support)")
    try:
        result = build(project)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)
    assert result.returncode == 2
    lines = errors(result)
    assert len(lines) == 2 and all("cannot write:" in line for line in lines)
    assert {line.split(": ")[2] for line in lines} == {PDF, f"output/en/{SLUG}.html"}
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "manifest",
    [
        {"complete": 5, "files": {"en/x.html": {"key": 1, "sha": None, "size": "big"}}},
        {"slugs": [], "gates": "no", "files": [], "complete": ""},
        [1, 2, 3],
    ],
    ids=["wrong field types", "wrong container types", "not an object"],
)
def test_a_manifest_with_wrong_json_types_rebuilds_and_says_so(
    project: Path, manifest: object
) -> None:
    assert build(project).returncode == 0
    cache = project / ".pipeline-cache" / "manifest.json"
    cache.write_text(json.dumps(manifest), "utf-8")
    result = build(project)
    assert result.returncode == 0, result.stderr
    assert ".pipeline-cache: unreadable manifest" in result.stderr
    assert "built 2 file(s)" in result.stdout  # brochure and page: nothing trusted
    assert "index.html: 1 editions" in result.stderr
    assert json.loads(cache.read_text("utf-8"))["files"][f"en/{SLUG}.pdf"]["size"] > 0
