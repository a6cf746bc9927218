"""Errors that carry the place they come from.

The CLI prints every :class:`PipelineError` as ``path:line: message`` and
maps its class to an exit status; none of them is shown as a traceback.
"""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """Base of every error the pipeline reports to its user."""

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ConfigError(PipelineError):
    """The project's configuration (``[tool.pipeline]``) is invalid."""


class SourceError(PipelineError):
    """A source article cannot be read or parsed."""


class CatalogError(PipelineError):
    """A POT or PO file cannot be read or parsed."""


class OutputError(PipelineError):
    """A file of ``output/`` or of the build cache cannot be written (no space, no right)."""


class RenderError(PipelineError):
    """A template or stylesheet failed while rendering a page or brochure."""


class CheckUnavailable(Exception):
    """A check cannot run at all here (a missing tool); reported once per catalog."""
