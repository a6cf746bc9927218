"""What a build is asked to do, and what it says it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import OutputError, PipelineError

if TYPE_CHECKING:
    from pipeline.build.gating import GateDecision
    from pipeline.build.manifest import Target
    from pipeline.checks import Finding

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    languages: tuple[str, ...] = ()
    """Only these languages (all when empty): nothing of another language is written or removed."""
    pseudo: bool = False
    force: bool = False
    jobs: int = 0
    """Worker processes; 0 means one per core."""
    wait: bool = True
    """Wait for another build of the project to finish, rather than stop at once."""
    executor: str = "local"
    """Where pages and brochures are rendered: ``local`` processes, or a ``dask`` cluster."""
    scheduler: str = ""
    """The Dask scheduler's address (``tcp://HOST:PORT``); empty: ``DASK_SCHEDULER_ADDRESS``."""
    shard: tuple[int, int] | None = None
    """``(I, N)``: build only the I-th of N deterministic parts, into its own folder."""
    merge: tuple[Path, ...] = ()
    """Shard folders to combine into ``output/`` (then the index and sitemap are written)."""


@dataclass
class BuildReport:
    built: list[tuple[Target, float]] = field(default_factory=list)
    skipped: list[Target] = field(default_factory=list)
    refused: list[GateDecision] = field(default_factory=list)
    failed: list[tuple[Target | None, PipelineError]] = field(default_factory=list)
    unreadable: list[PipelineError] = field(default_factory=list)
    """Inputs that could not be read; the output of their language was left as it was."""
    removed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """``file:line: message`` of what should be fixed but does not stop publication."""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.refused and not self.failed and not self.unreadable

    @property
    def exit_code(self) -> int:
        """2 when an input could not be read or an output written, 1 when a language was
        refused or a target failed to render."""
        if self.unreadable or any(isinstance(error, OutputError) for _, error in self.failed):
            return 2
        return 0 if self.ok else 1
