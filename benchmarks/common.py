"""What every benchmark shares: project copies, timed subprocesses, series and result rows."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable
PROJECT_FILES = ("source", "locale", "theme", "pyproject.toml", "babel.cfg")
"""What a temporary copy of the project holds: never ``output/``, so every build starts cold."""


_ENV: dict[str, str] | None = None


def use_pycache(prefix: Path) -> None:
    """Let every child Python keep its bytecode under ``prefix``, outside the repository.

    Some environments set ``PYTHONDONTWRITEBYTECODE``, which makes every
    process compile the pipeline's modules again; a user's machine caches
    them. With a cache prefix, children run as on such a machine (after the
    warm-up) and nothing is written into the repository.
    """
    global _ENV
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    _ENV = env


def child_env() -> dict[str, str] | None:
    """The environment of every benchmarked process (None: this process's own)."""
    return None if _ENV is None else dict(_ENV)


class BenchError(RuntimeError):
    """A benchmark step did not do what it must (a failed build, an unexpected rebuild)."""


def cores() -> int:
    return os.cpu_count() or 1


def parallel_jobs() -> int:
    """The ``--jobs`` of the all-cores runs: every core, and at least two."""
    return max(2, cores())


def copy_project(dest: Path, repo: Path = REPO) -> Path:
    """A fresh copy of the project's inputs (sources, catalogs, configuration) at ``dest``."""
    dest.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = repo / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        elif source.is_file():
            shutil.copy2(source, dest / name)
    return dest


@dataclass(frozen=True)
class Completed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str


def run(
    command: Sequence[str | Path],
    cwd: Path,
    *,
    check: bool = True,
) -> Completed:
    """Run ``command`` in ``cwd`` and return its wall-clock time, measured around the process."""
    args = [str(part) for part in command]
    started = time.perf_counter()
    process = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=child_env(),
        check=False,
    )
    seconds = time.perf_counter() - started
    if check and process.returncode != 0:
        raise BenchError(
            f"{' '.join(args)} (in {cwd}) exited {process.returncode}:\n"
            f"{process.stdout[-2000:]}\n{process.stderr[-2000:]}"
        )
    return Completed(seconds, process.returncode, process.stdout, process.stderr)


def pipeline_command(*args: str) -> list[str]:
    """The CLI, run by the same Python as the benchmarks (the project's virtual environment)."""
    return [PYTHON, "-m", "pipeline", *args]


def run_pipeline(project: Path, *args: str) -> Completed:
    return run(pipeline_command(*args), project)


@dataclass
class Series:
    """Repeated wall-clock measurements of one thing."""

    values: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> float:
        self.values.append(seconds)
        return seconds

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def runs(self) -> int:
        return len(self.values)

    def spread(self) -> str:
        if len(self.values) < 2:
            return ""
        return f"{min(self.values):.2f}-{max(self.values):.2f}"


@dataclass(frozen=True)
class Target:
    """A goal for a ratio: ``ratio <op> value``."""

    op: str
    value: float

    def passes(self, ratio: float) -> bool:
        if self.op == "<=":
            return ratio <= self.value
        if self.op == "<":
            return ratio < self.value
        if self.op == ">=":
            return ratio >= self.value
        if self.op == ">":
            return ratio > self.value
        raise ValueError(self.op)

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    section: str
    name: str
    seconds: float | None = None
    """Median wall-clock seconds of what the row names (None for a pure ratio)."""
    runs: int = 0
    ratio: float | None = None
    ratio_label: str = ""
    """What the ratio divides, e.g. ``build / floor``."""
    target: Target | None = None
    note: str = ""
    spread: str = ""
    percent: bool = False
    """Show the ratio as a percentage (a share) rather than ``1.23x``."""
    value: str = ""
    """What to show instead of seconds (a memory size)."""

    @property
    def verdict(self) -> str:
        if self.target is None or self.ratio is None:
            return ""
        return "PASS" if self.target.passes(self.ratio) else "FAIL"


def time_row(section: str, name: str, series: Series, note: str = "") -> Row:
    return Row(section, name, series.median, series.runs, note=note, spread=series.spread())


def ratio_row(
    section: str,
    name: str,
    numerator: Series,
    denominator: Series,
    label: str,
    target: Target | None = None,
    *,
    show_seconds: bool = True,
    note: str = "",
    percent: bool = False,
) -> Row:
    """A ratio of two medians measured side by side in the same run of the suite."""
    return Row(
        section,
        name,
        numerator.median if show_seconds else None,
        numerator.runs,
        numerator.median / denominator.median,
        label,
        target,
        note,
        numerator.spread() if show_seconds else "",
        percent,
    )


def log(message: str) -> None:
    """Progress on stderr, so that stdout carries the table alone."""
    print(message, file=sys.stderr, flush=True)
