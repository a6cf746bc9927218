"""The build's memory: what each published file was made from, and what it is.

It lives in the project's cache folder (``cache_dir``), never in ``output/``:
the output folder holds only what is published. Each written file is recorded
with the key of the inputs it was rendered from and the hash, size and
modification time of the bytes written, so a later build can tell a file that
is still what it made from one edited, truncated or replaced by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.build.files import bytes_sha, write_atomic
from pipeline.layout import Format, is_image_path, parse_target_path, target_path

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Target:
    """One file to publish: an article in one language as a page or a brochure."""

    slug: str
    lang: str
    fmt: Format
    key: str
    """Hash of every input it is rendered from."""

    @property
    def path(self) -> str:
        return target_path(self.lang, self.slug, self.fmt)

    @classmethod
    def from_path(cls, path: str, key: str = "") -> Target | None:
        parsed = parse_target_path(path)
        return None if parsed is None else cls(parsed[1], parsed[0], parsed[2], key)


@dataclass
class Record:
    """A file the build wrote."""

    key: str
    sha: str
    size: int
    mtime_ns: int
    uses: list[str] = field(default_factory=list)
    """Published images a page or brochure shows: kept while a record uses them."""

    @classmethod
    def of(cls, key: str, data: bytes, path: Path) -> Record:
        info = path.stat()
        return cls(key, bytes_sha(data), len(data), info.st_mtime_ns)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {k: v for k, v in vars(self).items() if k != "uses"}
        if self.uses:
            data["uses"] = sorted(self.uses)
        return data

    def still_there(self, path: Path) -> bool:
        """Whether ``path`` still holds the bytes written: size and time first, then the hash."""
        try:
            info = path.stat()
        except OSError:
            return False
        if info.st_size != self.size:
            return False
        if info.st_mtime_ns == self.mtime_ns:
            return True
        if bytes_sha(path.read_bytes()) != self.sha:
            return False
        self.mtime_ns = info.st_mtime_ns  # touched, not changed
        return True


def _record(data: Any) -> Record:
    if not isinstance(data, dict):
        raise TypeError("a file record is not an object")
    key, digest, size, mtime = data["key"], data["sha"], data["size"], data["mtime_ns"]
    if not (isinstance(key, str) and isinstance(digest, str)):
        raise TypeError("key and sha must be strings")
    if not (isinstance(size, int) and isinstance(mtime, int)):
        raise TypeError("size and mtime_ns must be integers")
    uses = data.get("uses", [])
    if not (isinstance(uses, list) and all(isinstance(u, str) for u in uses)):
        raise TypeError("uses must be a list of paths")
    return Record(key, digest, size, mtime, list(uses))


IMAGES_MARK = "images:"
"""Third item of a source entry: the image sources follow (an entry without it predates
images, and its article is read again)."""


def _slug_entry(data: Any) -> list[str]:
    if not (isinstance(data, list) and len(data) >= 2 and all(isinstance(v, str) for v in data)):
        raise TypeError("a source entry is not [hash, slug, 'images:', image sources...]")
    return list(data)


def cached_source(entry: list[str] | None, digest: str) -> tuple[str, list[str]] | None:
    """(slug, image sources) of an article whose bytes still hash to ``digest``."""
    if entry is None or len(entry) < 3 or entry[0] != digest or entry[2] != IMAGES_MARK:
        return None
    return entry[1], entry[3:]


def _gate(data: Any) -> dict[str, Any]:
    if not (
        isinstance(data, dict)
        and isinstance(data.get("published"), bool)
        and isinstance(data.get("reasons"), list)
        and isinstance(data.get("share"), int | float)
        and isinstance(data.get("findings"), list)
        and all(isinstance(f, dict) for f in data["findings"])
    ):
        raise TypeError("a gate verdict is not what a build writes")
    return data


@dataclass
class Manifest:
    slugs: dict[str, list[str]] = field(default_factory=dict)
    """Source path -> [source hash, slug, image sources...]: lets a no-op build skip parsing."""
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Gate key -> decision and findings of one (article, language)."""
    files: dict[str, Record] = field(default_factory=dict)
    """Output path -> what was written there (pages, brochures, index, sitemap)."""
    complete: str = ""
    """Key of the inputs and options of the last build that succeeded in full."""

    @classmethod
    def load(cls, cache: Path) -> tuple[Manifest, str | None]:
        """The manifest, or an empty one and why the file could not be used."""
        path = cache / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(
                {str(k): _slug_entry(v) for k, v in data["slugs"].items()},
                {str(k): _gate(v) for k, v in data["gates"].items()},
                {str(k): _record(v) for k, v in data["files"].items()},
                str(data["complete"]),
            )
        except FileNotFoundError:
            return cls(), None
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
            return cls(), f"{type(exc).__name__}: {exc}"
        return manifest, None

    def save(self, cache: Path) -> None:
        data = {
            "slugs": self.slugs,
            "gates": self.gates,
            "files": {path: r.as_dict() for path, r in sorted(self.files.items())},
            "complete": self.complete,
        }
        write_atomic(cache / MANIFEST_NAME, json.dumps(data, indent=1, sort_keys=True).encode())

    def is_current(self, output: Path, target: Target) -> bool:
        """Whether ``target`` is published, made from the same inputs, and untouched since."""
        record = self.files.get(target.path)
        return (
            record is not None
            and record.key == target.key
            and record.still_there(output / target.path)
        )

    def all_current(self, output: Path) -> bool:
        return bool(self.files) and all(
            record.still_there(output / path) for path, record in self.files.items()
        )

    def images_current(self, output: Path, digests: Iterable[str]) -> bool:
        """Whether every published copy of the images with these hashes is in place."""
        for digest in digests:
            copies = [(p, r) for p, r in self.files.items() if is_image_path(p) and r.key == digest]
            if not copies or not all(r.still_there(output / p) for p, r in copies):
                return False
        return True

    def images_in_use(self) -> set[str]:
        """Every published image some recorded page or brochure shows."""
        return {path for record in self.files.values() for path in record.uses}

    def images(self) -> dict[str, Record]:
        """Published image files: output path -> record (its key is the source file's hash)."""
        return {path: record for path, record in self.files.items() if is_image_path(path)}

    def targets(self) -> list[Target]:
        found = [Target.from_path(path, record.key) for path, record in self.files.items()]
        return [target for target in found if target is not None]

    def published(self, lang: str, slug: str) -> bool:
        return all(target_path(lang, slug, fmt) in self.files for fmt in ("pdf", "html"))
