"""What a build reads: every input file read once, and hashed from exactly those bytes.

A target's key is a hash of the bytes it was rendered from, never of the
files as they are on disk at some later moment: a catalog edited while a
build runs gives the next build a different key, so it renders again.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.build.files import MISSING, bytes_sha, read_regular, sha
from pipeline.errors import ConfigError
from pipeline.fonts import family_charset
from pipeline.images import is_remote, resolve_src, variant_file
from pipeline.project import PSEUDO_TAGS, UI_DOMAIN, Config
from pipeline.resources import PACKAGE_DIR, TEMPLATES_DIR
from pipeline.theme import (
    STYLESHEETS,
    THEME_LOGO,
    THEME_SETTINGS,
    Theme,
    load_theme,
    theme_templates,
)

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


class InputFiles:
    """The project's input files, each read at most once per build and kept as bytes."""

    def __init__(self, config: Config):
        self.config = config
        self._data: dict[Path, bytes | None] = {}
        self._digests: dict[Path, str] = {}
        self.fingerprints: dict[object, Inputs] = {}
        """:func:`fingerprint`'s answers for this build's files, by its arguments."""

    def read(self, path: Path) -> bytes | None:
        """The file's bytes as first read in this build; ``None`` when it does not exist."""
        if path not in self._data:
            self._data[path] = read_regular(path, self.config.relative(path))
        return self._data[path]

    def digest(self, path: Path) -> str:
        found = self._digests.get(path)
        if found is None:
            data = self.read(path)
            found = self._digests[path] = MISSING if data is None else bytes_sha(data)
        return found


def code_fingerprint() -> str:
    """The pipeline itself: its version, code, templates and stylesheets."""
    files = sorted(
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and p.suffix in {".py", ".html", ".css", ".svg", ".xml"}
    )
    return sha(__version__, *(f"{p.relative_to(PACKAGE_DIR)}:{_file_sha(p)}" for p in files))


_FILE_SHAS: dict[Path, tuple[int, int, str]] = {}
"""Package file -> (modification time, size, hash): a long-lived process (``pipeline serve``)
hashes again only the files that changed."""


def _file_sha(path: Path) -> str:
    status = path.stat()
    known = _FILE_SHAS.get(path)
    if known is not None and known[:2] == (status.st_mtime_ns, status.st_size):
        return known[2]
    digest = bytes_sha(path.read_bytes())
    _FILE_SHAS[path] = (status.st_mtime_ns, status.st_size, digest)
    return digest


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


def theme_files(config: Config) -> list[Path]:
    """The files of the theme folder a build reads, in a stable order (none without a
    theme): an editor's backup or swap file beside them changes nothing."""
    if not config.theme:
        return []
    folder = config.root / config.theme
    read = [folder / name for name in (THEME_SETTINGS, THEME_LOGO, *STYLESHEETS)]
    templates = folder / "templates"
    return read + (theme_templates(templates) if templates.is_dir() else [])


def read_theme(config: Config, files: InputFiles) -> Theme:
    """The theme, from the bytes this build hashed; refused if one of its templates leaves
    out a critical message (the medical disclaimer) of the template it replaces."""
    theme = load_theme(
        config.root,
        config.theme,
        files.read,
        templates=[p.name for p in TEMPLATES_DIR.glob("*.html")],
        installed=lambda family: bool(family_charset(family)),
    )
    if theme.templates:
        _keep_critical_messages(theme)
    return theme


def _keep_critical_messages(theme: Theme) -> None:
    from pipeline.catalog import critical_ui_keys, template_text_keys  # Babel: not for a no-op

    package = dict(template_files_by_name())
    for name, text in sorted(theme.templates):
        lost = critical_ui_keys([(package[name], name)]) - template_text_keys(text)
        if lost:
            message = sorted(lost, key=str)[0][0]
            raise ConfigError(
                f"replaces {name} but leaves out its critical message {message[:60]!r}...: "
                "the pages or brochures would go out without it",
                f"{theme.folder}/templates/{name}",
            )


def template_files_by_name() -> list[tuple[str, Path]]:
    return [(p.name, p) for p in sorted(TEMPLATES_DIR.glob("*.html"))]


def settings_fingerprint(config: Config, files: InputFiles | None = None) -> str:
    """The settings that change what is published."""
    return sha(
        json.dumps(
            {
                "source_language": config.source_language,
                "site_url": config.site_url,
                "do_not_translate": config.do_not_translate,
                "min_translated": config.min_translated,
                "min_translated_words": config.min_translated_words,
                "require_review": dict(config.require_review),
                "min_reviewed": config.min_reviewed,
                "paper": dict(config.paper),
                "contact": repr(config.contact),
                "theme": config.theme,
            },
            sort_keys=True,
        ),
        *(
            f"{config.relative(p)}:{files.digest(p)}"
            for p in theme_files(config)
            if files is not None
        ),
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
    images: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    """(article path, lang) -> hash of each image file that language shows (its variant or
    the source image), in the article's order."""
    glossary: str = MISSING
    """Hash of the glossary file (the ``glossary`` setting)."""
    reviews: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(lang, domain) -> hash of its review record (:mod:`pipeline.review`)."""

    def edition_key(self, path: str, slug: str, lang: str) -> str:
        """Hash of what one article in one language is made from (before format and fonts)."""
        return sha(
            self.sources[path],
            self.catalogs.get((lang, slug), MISSING),
            self.catalogs.get((lang, UI_DOMAIN), MISSING),
            self.reviews.get((lang, slug), MISSING),  # the edition names its reviser
            *self.images.get((path, lang), ()),
            self.code,
            self.config,
            lang,
        )

    def key(self, *options: str) -> str:
        """One hash of every input and the given options."""
        return sha(
            *sorted(f"{k}:{v}" for k, v in self.sources.items()),
            *sorted(f"{lang}/{domain}:{v}" for (lang, domain), v in self.catalogs.items()),
            *sorted(f"{p}/{lang}:{','.join(v)}" for (p, lang), v in self.images.items()),
            *sorted(f"review {lang}/{d}:{v}" for (lang, d), v in self.reviews.items()),
            f"glossary:{self.glossary}",
            self.code,
            self.fonts,
            self.config,
            *options,
        )


def image_files(files: InputFiles, article: str, srcs: Iterable[str], lang: str) -> tuple[str, ...]:
    """Hash of the file ``lang`` shows for each image ``src`` of ``article``.

    The same choice as :func:`pipeline.images.choose` (the language's variant,
    else the source image), made on hashes only; a source that names no
    project file hashes as missing, and the build refuses it when it plans.
    """
    config = files.config
    digests = []
    for src in srcs:
        file = "" if is_remote(src) else resolve_src(src, posixpath.dirname(article))
        digest = MISSING
        for candidate in (variant_file(file, lang), file) if file else ():
            digest = files.digest(config.root / candidate)
            if digest != MISSING:
                break
        digests.append(digest)
    return tuple(digests)


def fingerprint(
    files: InputFiles,
    languages: Iterable[str],
    slugs: Mapping[str, str],
    images: Mapping[str, Sequence[str]] | None = None,
) -> Inputs:
    """Hash every input: the articles, each language's catalogs and images, code, fonts,
    settings. ``images`` are the image sources of each article (by path)."""
    languages = list(languages)
    key = (
        tuple(languages),
        tuple(slugs.items()),
        tuple((path, tuple(srcs)) for path, srcs in (images or {}).items()),
    )
    if key not in files.fingerprints:
        files.fingerprints[key] = _fingerprint(files, languages, slugs, images)
    return files.fingerprints[key]


def _fingerprint(
    files: InputFiles,
    languages: list[str],
    slugs: Mapping[str, str],
    images: Mapping[str, Sequence[str]] | None,
) -> Inputs:
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
    every = [config.source_language, *languages, *PSEUDO_TAGS]
    shown = {
        (path, lang): image_files(files, path, srcs, lang)
        for path, srcs in (images or {}).items()
        if srcs
        for lang in every
    }
    reviews = {
        (lang, domain): files.digest(config.review_path(lang, domain))
        for lang in languages
        for domain in [*slugs.values(), UI_DOMAIN]
    }
    return Inputs(
        sources,
        catalogs,
        code_fingerprint(),
        font_fingerprint(),
        settings_fingerprint(config, files),
        shown,
        files.digest(config.root / config.glossary) if config.glossary else MISSING,
        reviews,
    )
