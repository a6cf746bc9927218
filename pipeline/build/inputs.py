"""What a build reads: every input file read once, and hashed from exactly those bytes.

A target's key is a hash of the bytes it was rendered from, never of the
files as they are on disk at some later moment: a catalog edited while a
build runs gives the next build a different key, so it renders again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.build.files import MISSING, bytes_sha, read_regular, sha
from pipeline.project import UI_DOMAIN, Config

PACKAGE_DIR = Path(__file__).resolve().parent.parent
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


class InputFiles:
    """The project's input files, each read at most once per build and kept as bytes."""

    def __init__(self, config: Config):
        self.config = config
        self._data: dict[Path, bytes | None] = {}

    def read(self, path: Path) -> bytes | None:
        """The file's bytes as first read in this build; ``None`` when it does not exist."""
        if path not in self._data:
            self._data[path] = read_regular(path, self.config.relative(path))
        return self._data[path]

    def digest(self, path: Path) -> str:
        data = self.read(path)
        return MISSING if data is None else bytes_sha(data)


def code_fingerprint() -> str:
    """The pipeline itself: its version, code, templates and stylesheets."""
    files = sorted(
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and p.suffix in {".py", ".html", ".css", ".svg", ".xml"}
    )
    return sha(
        __version__, *(f"{p.relative_to(PACKAGE_DIR)}:{bytes_sha(p.read_bytes())}" for p in files)
    )


def font_fingerprint(dirs: Iterable[Path] = FONT_DIRS) -> str:
    """Installed fonts, by name, size and modification time: a font change rebuilds PDFs."""
    entries: list[str] = []
    for root in dirs:
        for folder, _, names in os.walk(root):
            for name in names:
                with contextlib.suppress(OSError):
                    info = os.stat(os.path.join(folder, name))
                    entries.append(f"{folder}/{name}:{info.st_size}:{int(info.st_mtime)}")
    return sha(*sorted(entries))


def settings_fingerprint(config: Config) -> str:
    """The settings that change what is published."""
    return sha(
        json.dumps(
            {
                "source_language": config.source_language,
                "site_url": config.site_url,
                "do_not_translate": config.do_not_translate,
                "min_translated": config.min_translated,
                "paper": dict(config.paper),
            },
            sort_keys=True,
        )
    )


@dataclass(frozen=True)
class Inputs:
    """Hashes of the bytes a build read."""

    sources: Mapping[str, str]
    """Project-relative path of each article -> hash."""
    catalogs: Mapping[tuple[str, str], str]
    """(lang, domain) -> hash of its PO file; domain is an article's slug or ``ui``."""
    code: str
    fonts: str
    config: str

    def edition_key(self, path: str, slug: str, lang: str) -> str:
        """Hash of what one article in one language is made from (before format and fonts)."""
        return sha(
            self.sources[path],
            self.catalogs.get((lang, slug), MISSING),
            self.catalogs.get((lang, UI_DOMAIN), MISSING),
            self.code,
            self.config,
            lang,
        )

    def key(self, *options: str) -> str:
        """One hash of every input and the given options."""
        return sha(
            *sorted(f"{k}:{v}" for k, v in self.sources.items()),
            *sorted(f"{lang}/{domain}:{v}" for (lang, domain), v in self.catalogs.items()),
            self.code,
            self.fonts,
            self.config,
            *options,
        )


def fingerprint(files: InputFiles, languages: Iterable[str], slugs: Mapping[str, str]) -> Inputs:
    """Hash every input: the articles, each language's catalogs, code, fonts, settings."""
    config = files.config
    sources = {config.relative(p): files.digest(p) for p in config.articles()}
    catalogs = {
        (lang, domain): files.digest(config.po_path(lang, domain))
        for lang in languages
        for domain in [*slugs.values(), UI_DOMAIN]
    }
    # The source language may have a ui catalog too (to reword the templates' English).
    source_ui = config.po_path(config.source_language, UI_DOMAIN)
    catalogs[(config.source_language, UI_DOMAIN)] = files.digest(source_ui)
    return Inputs(
        sources, catalogs, code_fingerprint(), font_fingerprint(), settings_fingerprint(config)
    )
