"""Extraction and update on a generated corpus, against mdpo (md2po) and po4a.

Every side gets the same generated articles. The pipeline runs as its CLI,
one process for all of them. mdpo cannot read YAML front matter, so it gets
each article's body alone (the same text minus the front matter); po4a reads
the front matter itself (``-o yfm_keys=title,description``) and gets the same
files as the pipeline. Tools that work one file per process pay their start-up
per file: they are timed on an evenly spread sample of the files and the time
is scaled to the whole corpus (labelled so in the table).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import (
    PYTHON,
    REPO,
    BenchError,
    Row,
    Series,
    Target,
    child_env,
    log,
    ratio_row,
    run,
    run_pipeline,
    time_row,
)
from benchmarks.corpus import edit, generate, material_from

FASTER = Target("<", 1.0)
MEMORY_COST = Target("<=", 1.5)
"""Translation memory may cost update at most half again its time without."""
S_EXTRACT = "5. Extraction and update"
PO4A_OPTIONS = ("-M", "UTF-8", "-f", "text", "-o", "markdown", "-o", "yfm_keys=title,description")
LANG = "fr"

_MDPO_LIBRARY = """
import sys
from pathlib import Path
from mdpo.md2po import markdown_to_pofile
src, out, suffix = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
for path in sorted(src.glob("*.md")):
    markdown_to_pofile(str(path), po_filepath=str(out / (path.stem + suffix)), save=True)
"""
"""mdpo as a library: one process, one catalog per article (merged when it exists)."""


def find_tool(name: str) -> str | None:
    """A command from the virtual environment's bin folder first, then from PATH."""
    local = Path(PYTHON).parent / name
    if local.is_file():
        return str(local)
    return shutil.which(name)


def tool_version(command: Sequence[str]) -> str:
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, check=False)
    except OSError:
        return "?"
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0] if text else "?"


@dataclass
class Setup:
    """The generated corpus, frozen, and the states each side's update starts from."""

    work: Path
    count: int
    sample: list[str]
    """Slugs of the sample that per-file tools are timed on."""
    edited: list[str]
    project: Path
    """Project with the corpus: sources, ``pyproject.toml``, no catalogs."""
    bodies: Path
    initialized: Path
    """The project after ``pipeline extract`` and ``pipeline init fr``."""
    translated: Path | None = None
    """The initialized project with every entry translated: what translation memory reads."""
    mdpo_po: Path | None = None
    """mdpo catalogs of every body (``<slug>.fr.po``) before the edit."""
    po4a_po: Path | None = None
    """po4a catalogs of the sample (``<slug>.fr.po``) before the edit."""
    edited_sources: Path | None = None
    edited_bodies: Path | None = None


def _sample(slugs: list[str], size: int) -> list[str]:
    if size >= len(slugs):
        return list(slugs)
    step = len(slugs) / size
    return [slugs[int(i * step)] for i in range(size)]


def prepare(work: Path, count: int, sample_size: int, md2po: str | None, po4a: bool) -> Setup:
    project = work / "corpus-project"
    project.mkdir()
    shutil.copy2(REPO / "pyproject.toml", project / "pyproject.toml")
    (project / "locale").mkdir()
    articles = sorted((REPO / "source").glob("*.md"))
    bodies = work / "corpus-bodies"
    slugs = generate(articles, project / "source", count, bodies=bodies)
    rng = random.Random(5)
    edited = sorted(rng.sample(slugs, max(1, count // 20)))
    setup = Setup(work, count, _sample(slugs, sample_size), edited, project, bodies,
                  work / "corpus-initialized")  # fmt: skip

    shutil.copytree(project, setup.initialized)
    run_pipeline(setup.initialized, "extract")
    run_pipeline(setup.initialized, "init", LANG)
    setup.translated = work / "corpus-translated"
    shutil.copytree(setup.initialized, setup.translated)
    _translate_all(setup.translated / "locale" / LANG / "LC_MESSAGES")

    # The same edits, to the full articles and to the bodies alike.
    setup.edited_sources = work / "corpus-edited-sources"
    setup.edited_bodies = work / "corpus-edited-bodies"
    shutil.copytree(project / "source", setup.edited_sources)
    shutil.copytree(bodies, setup.edited_bodies)
    material = material_from(articles)
    for slug in edited:
        edit(setup.edited_sources / f"{slug}.md", setup.edited_bodies / f"{slug}.md", rng, material)

    if md2po is not None:
        setup.mdpo_po = work / "mdpo-initial"
        setup.mdpo_po.mkdir()
        run([PYTHON, "-c", _MDPO_LIBRARY, bodies, setup.mdpo_po, f".{LANG}.po"], work)
    if po4a:
        setup.po4a_po = work / "po4a-initial"
        setup.po4a_po.mkdir()
        for slug in setup.sample:
            _po4a(project / "source" / f"{slug}.md", setup.po4a_po / f"{slug}.{LANG}.po")
    return setup


def _translate_all(folder: Path) -> None:
    """Every entry of every catalog translated (a marker and the source): a language that is
    done, whose translations memory offers to the edited articles."""
    import polib

    for path in sorted(folder.glob("*.po")):
        po = polib.pofile(str(path))
        for entry in po:
            if entry.msgid and not entry.msgid_plural:
                entry.msgstr = f"[{LANG}] {entry.msgid}"
        po.save()


def _po4a(master: Path, po: Path) -> None:
    # po4a-gettextize needs a translated document (-l) since po4a 0.58: without one it
    # refuses and points at po4a-updatepo, which writes a new POT or merges into a PO.
    result = subprocess.run(
        ["po4a-updatepo", *PO4A_OPTIONS, "-m", str(master), "-p", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"po4a-updatepo {master} exited {result.returncode}:\n{result.stderr}")


def _per_file(slugs: Sequence[str], step: Callable[[str], None], total: int) -> tuple[float, float]:
    """Time ``step`` over the sample; returns (seconds measured, seconds scaled to ``total``)."""
    started = time.perf_counter()
    for slug in slugs:
        step(slug)
    seconds = time.perf_counter() - started
    return seconds, seconds * total / len(slugs)


def _md2po(md2po: str, body: Path, po: Path) -> None:
    result = subprocess.run(
        [md2po, str(body), "-q", "-p", str(po), "-s"],
        capture_output=True,
        text=True,
        check=False,
        env=child_env(),
    )
    if result.returncode != 0:
        raise BenchError(f"md2po {body} exited {result.returncode}:\n{result.stderr}")


@dataclass
class ExtractionSeries:
    extract: Series = field(default_factory=Series)
    update: Series = field(default_factory=Series)
    update_memory: Series = field(default_factory=Series)
    update_no_memory: Series = field(default_factory=Series)
    mdpo_lib_extract: Series = field(default_factory=Series)
    mdpo_lib_update: Series = field(default_factory=Series)
    md2po_extract: Series = field(default_factory=Series)
    md2po_update: Series = field(default_factory=Series)
    po4a_extract: Series = field(default_factory=Series)
    po4a_update: Series = field(default_factory=Series)
    sample_seconds: dict[str, list[float]] = field(default_factory=dict)

    def sampled(self, key: str, series: Series, measured: tuple[float, float]) -> None:
        self.sample_seconds.setdefault(key, []).append(measured[0])
        series.add(measured[1])


def one_round(index: int, setup: Setup, md2po: str | None, po4a: bool, s: ExtractionSeries) -> None:
    here = setup.work / f"extract-round-{index}"
    here.mkdir()
    assert setup.edited_sources is not None and setup.edited_bodies is not None

    # Extraction: every article's template, from nothing.
    project = Path(shutil.copytree(setup.project, here / "project"))
    result = run_pipeline(project, "extract")
    created = result.stdout.count("created")
    if created != setup.count + 1:
        raise BenchError(f"pipeline extract created {created} files, expected {setup.count + 1}")
    s.extract.add(result.seconds)
    if md2po is not None:
        out = here / "mdpo-lib"
        out.mkdir()
        lib = run([PYTHON, "-c", _MDPO_LIBRARY, setup.bodies, out, ".pot"], here)
        s.mdpo_lib_extract.add(lib.seconds)
        out = here / "md2po"
        out.mkdir()
        s.sampled("md2po_extract", s.md2po_extract, _per_file(
            setup.sample,
            lambda slug: _md2po(md2po, setup.bodies / f"{slug}.md", out / f"{slug}.pot"),
            setup.count,
        ))  # fmt: skip
    if po4a:
        out = here / "po4a"
        out.mkdir()
        source = setup.project / "source"
        s.sampled("po4a_extract", s.po4a_extract, _per_file(
            setup.sample,
            lambda slug: _po4a(source / f"{slug}.md", out / f"{slug}.pot"),
            setup.count,
        ))  # fmt: skip

    # Update: 5% of the articles edited since the catalogs of one language were made.
    project = Path(shutil.copytree(setup.initialized, here / "initialized"))
    shutil.rmtree(project / "source")
    shutil.copytree(setup.edited_sources, project / "source")
    result = run_pipeline(project, "update", "--lang", LANG)
    updated = sum(1 for line in result.stdout.splitlines() if line.strip().startswith("updated"))
    if updated < len(setup.edited):
        raise BenchError(f"pipeline update changed {updated} files, expected {len(setup.edited)}+")
    s.update.add(result.seconds)
    # Translation memory: the same edit on a translated corpus, with memory and without.
    assert setup.translated is not None
    for series, flags in ((s.update_memory, ()), (s.update_no_memory, ("--no-memory",))):
        project = Path(shutil.copytree(setup.translated, here / f"translated{len(flags)}"))
        shutil.rmtree(project / "source")
        shutil.copytree(setup.edited_sources, project / "source")
        result = run_pipeline(project, "update", "--lang", LANG, *flags)
        if not flags and "translation memory" not in result.stdout:
            raise BenchError("pipeline update filled nothing from translation memory")
        series.add(result.seconds)
    if md2po is not None and setup.mdpo_po is not None:
        pos = Path(shutil.copytree(setup.mdpo_po, here / "mdpo-lib-po"))
        lib = run([PYTHON, "-c", _MDPO_LIBRARY, setup.edited_bodies, pos, f".{LANG}.po"], here)
        s.mdpo_lib_update.add(lib.seconds)
        pos = Path(shutil.copytree(setup.mdpo_po, here / "md2po-po"))
        bodies = setup.edited_bodies
        s.sampled("md2po_update", s.md2po_update, _per_file(
            setup.sample,
            lambda slug: _md2po(md2po, bodies / f"{slug}.md", pos / f"{slug}.{LANG}.po"),
            setup.count,
        ))  # fmt: skip
    if po4a and setup.po4a_po is not None:
        pos = Path(shutil.copytree(setup.po4a_po, here / "po4a-po"))
        sources = setup.edited_sources
        s.sampled("po4a_update", s.po4a_update, _per_file(
            setup.sample,
            lambda slug: _po4a(sources / f"{slug}.md", pos / f"{slug}.{LANG}.po"),
            setup.count,
        ))  # fmt: skip
    shutil.rmtree(here)


def rows(s: ExtractionSeries, setup: Setup, md2po: str | None, po4a: bool) -> list[Row]:
    n = setup.count
    k = len(setup.sample)
    scaled = f"timed on {k} files, x{n / k:g}" if k < n else ""
    edited = f"{len(setup.edited)} of {n} articles edited"
    out = [
        time_row(S_EXTRACT, f"pipeline extract: {n} articles -> {n} POTs (1 process)", s.extract),
    ]
    if md2po is not None:
        out += [
            time_row(S_EXTRACT, f"mdpo library, 1 process: {n} bodies -> {n} POTs",
                     s.mdpo_lib_extract),
            ratio_row(S_EXTRACT, "  pipeline extract / mdpo library", s.extract,
                      s.mdpo_lib_extract, "pipeline / mdpo", FASTER, show_seconds=False),
            time_row(S_EXTRACT, f"md2po CLI, 1 process per file, {n} files", s.md2po_extract,
                     scaled),
            ratio_row(S_EXTRACT, "  pipeline extract / md2po per file", s.extract,
                      s.md2po_extract, "pipeline / mdpo", FASTER, show_seconds=False),
        ]  # fmt: skip
    else:
        out.append(Row(S_EXTRACT, "mdpo (md2po): not installed, skipped", note="make bench"))
    if po4a:
        out += [
            time_row(S_EXTRACT, f"po4a-updatepo, 1 process per file, {n} files",
                     s.po4a_extract, scaled),
            ratio_row(S_EXTRACT, "  pipeline extract / po4a per file", s.extract,
                      s.po4a_extract, "pipeline / po4a", FASTER, show_seconds=False),
        ]  # fmt: skip
    else:
        out.append(Row(S_EXTRACT, "po4a: not installed, skipped", note="apt-get install po4a"))
    out.append(time_row(S_EXTRACT, f"pipeline update --lang {LANG} ({edited})", s.update))
    out += [
        time_row(S_EXTRACT, f"pipeline update, {LANG} translated, translation memory on",
                 s.update_memory, "memory: every catalog of the language"),
        time_row(S_EXTRACT, f"pipeline update --no-memory, {LANG} translated", s.update_no_memory),
        ratio_row(S_EXTRACT, "  update with memory / without", s.update_memory,
                  s.update_no_memory, "memory / none", MEMORY_COST, show_seconds=False),
    ]  # fmt: skip
    if md2po is not None:
        out += [
            time_row(S_EXTRACT, f"mdpo library, 1 process: update {n} POs", s.mdpo_lib_update),
            ratio_row(S_EXTRACT, "  pipeline update / mdpo library", s.update,
                      s.mdpo_lib_update, "pipeline / mdpo", FASTER, show_seconds=False),
            time_row(S_EXTRACT, f"md2po -p PO -s, 1 process per file, {n} files",
                     s.md2po_update, scaled),
            ratio_row(S_EXTRACT, "  pipeline update / md2po per file", s.update,
                      s.md2po_update, "pipeline / mdpo", FASTER, show_seconds=False),
        ]  # fmt: skip
    if po4a:
        out += [
            time_row(S_EXTRACT, f"po4a-updatepo -p PO, 1 process per file, {n} files",
                     s.po4a_update, scaled),
            ratio_row(S_EXTRACT, "  pipeline update / po4a per file", s.update,
                      s.po4a_update, "pipeline / po4a", FASTER, show_seconds=False),
        ]  # fmt: skip
    return out


def run_extraction(work: Path, runs: int, count: int, sample_size: int) -> tuple[list[Row], str]:
    md2po = find_tool("md2po")
    po4a = shutil.which("po4a-updatepo") is not None
    versions = []
    if md2po is not None:
        versions.append("mdpo " + tool_version([md2po, "--version"]).split()[-1])
    if po4a:
        versions.append("po4a " + tool_version(["po4a-updatepo", "--version"]).split()[-1])
    log(f"extraction: generating {count} articles; tools: {', '.join(versions) or 'none'}")
    setup = prepare(work, count, sample_size, md2po, po4a)
    series = ExtractionSeries()
    for index in range(runs):
        started = time.perf_counter()
        one_round(index, setup, md2po, po4a, series)
        log(f"  round {index + 1}/{runs}: {time.perf_counter() - started:.0f} s")
    return rows(series, setup, md2po, po4a), ", ".join(v.rstrip(".") for v in versions)
