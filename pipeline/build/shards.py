"""Shards: one build split across CI jobs (``--shard I/N``), then merged (``--merge DIR...``).

Every shard plans the whole project (the gate of every language, the site
that pages link to) and renders only its part: the editions (an article in one
language, page and brochure together) that :func:`split` gives it. The split is
a pure function of the inputs, so N jobs on N machines agree on it without
talking: editions are dealt longest first to the part with the least work so
far, the expected cost of an edition being its article's size.

A shard writes into its own folder, ``<output_dir>-shard-I-of-N/``, with
:data:`SHARD_MANIFEST` beside what it rendered: each file's key, hash and size.
:func:`import_shards` checks every file against that record and the set of
shards for completeness, then copies them into ``output/`` and the project's
manifest, so that the build that follows renders nothing that a shard made
and only writes the index and sitemap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.build.files import bytes_sha, read_regular, shown, write_atomic
from pipeline.build.manifest import Manifest, Record
from pipeline.errors import ConfigError, OutputError

SHARD_MANIFEST = "shard.json"
Edition = tuple[str, str]
"""(slug, lang): a page and its brochure, always rendered by the same shard."""

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> ``(2, 3)``: the second of three parts, counted from 1."""
    match = _SHARD.match(text)
    if not match:
        raise ConfigError(f"--shard {text}: write it I/N, e.g. 2/3 for the second of three")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise ConfigError(f"--shard {text}: I must be between 1 and N")
    return index, count


def shard_dir(output_dir: str, shard: tuple[int, int]) -> str:
    """The folder a shard writes into, beside ``output/``."""
    return f"{output_dir}-shard-{shard[0]}-of-{shard[1]}"


def split(costs: dict[Edition, int], count: int) -> list[set[Edition]]:
    """``count`` parts of the editions, balanced by expected cost, the same on every machine.

    Longest first, each to the part with the least cost so far (the lowest
    numbered on a tie), the order of equal costs fixed by (slug, lang).
    """
    parts: list[set[Edition]] = [set() for _ in range(count)]
    loads = [0] * count
    for edition in sorted(costs, key=lambda e: (-costs[e], e)):
        lightest = min(range(count), key=lambda i: (loads[i], i))
        parts[lightest].add(edition)
        loads[lightest] += max(costs[edition], 1)
    return parts


def write_shard_manifest(
    folder: Path, shard: tuple[int, int], manifest: Manifest, *, ok: bool
) -> None:
    """What a shard published, for :func:`import_shards` to check and combine."""
    data = {
        "shard": list(shard),
        "ok": ok,
        "files": {path: record.as_dict() for path, record in sorted(manifest.files.items())},
    }
    write_atomic(folder / SHARD_MANIFEST, json.dumps(data, indent=1, sort_keys=True).encode())


def _read_shard(folder: Path) -> tuple[tuple[int, int], dict[str, Any]]:
    where = shown(folder / SHARD_MANIFEST)
    data = read_regular(folder / SHARD_MANIFEST, where)
    if data is None:
        raise ConfigError(f"not a shard's folder (no {SHARD_MANIFEST})", where)
    try:
        parsed = json.loads(data)
        index, count = (int(n) for n in parsed["shard"])
        files = dict(parsed["files"])
        ok = parsed["ok"] is True
    except (ValueError, KeyError, TypeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise ConfigError(f"unreadable shard manifest: {problem}", where) from None
    if not ok:
        raise ConfigError(f"shard {index}/{count} did not build in full: build it again", where)
    return (index, count), files


def import_shards(folders: Sequence[Path], output: Path, manifest: Manifest) -> int:
    """Copy every shard's files into ``output/`` and record them; returns how many.

    Refused, before anything is written: a folder without a shard manifest,
    shards of different splits or not all of them, a file whose bytes are not
    the ones its shard recorded, one path with two different contents.
    """
    shards: dict[int, tuple[Path, dict[str, Any]]] = {}
    counts: set[int] = set()
    for folder in folders:
        (index, count), files = _read_shard(folder)
        counts.add(count)
        if index in shards:
            raise ConfigError(f"shard {index}/{count} is given twice", shown(folder))
        shards[index] = folder, files
    if len(counts) != 1:
        raise ConfigError(f"shards of different splits: {', '.join(map(str, sorted(counts)))}")
    count = counts.pop()
    missing = sorted(set(range(1, count + 1)) - set(shards))
    if missing:
        raise ConfigError(
            f"shards {', '.join(f'{i}/{count}' for i in missing)} are missing: merge all "
            f"{count}, or their editions would be missing from output/"
        )
    chosen: dict[str, tuple[Record, Path]] = {}
    for _, (folder, files) in sorted(shards.items()):
        for path, entry in sorted(files.items()):
            record = _checked(folder, path, entry)
            known = chosen.get(path)
            if known is not None and known[0].sha != record.sha:
                raise ConfigError("two shards published different files", shown(folder / path))
            chosen[path] = record, folder
    for path, (record, folder) in sorted(chosen.items()):  # read again: memory stays flat
        info = write_atomic(output / path, _verified(folder, path, record))
        record.mtime_ns = info.st_mtime_ns
        manifest.files[path] = record
    manifest.complete = ""  # the build that follows plans the whole project
    return len(chosen)


def _checked(folder: Path, path: str, entry: Any) -> Record:
    where = shown(folder / path)
    if not isinstance(entry, dict) or path.startswith(("/", "..")) or "/../" in f"/{path}":
        raise ConfigError(f"{SHARD_MANIFEST}: not a published file's record", where)
    try:
        record = Record(
            str(entry["key"]), str(entry["sha"]), int(entry["size"]), 0, list(entry.get("uses", []))
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{SHARD_MANIFEST}: unreadable record: {exc}", where) from None
    _verified(folder, path, record)
    return record


def _verified(folder: Path, path: str, record: Record) -> bytes:
    where = shown(folder / path)
    data = read_regular(folder / path, where)
    if data is None:
        raise OutputError("missing from its shard's folder", where)
    if len(data) != record.size or bytes_sha(data) != record.sha:
        raise OutputError("not the file its shard published (its hash differs)", where)
    return data
