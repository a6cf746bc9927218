"""Build benchmarks: overhead over WeasyPrint alone, speed-up, no-op, one language, memory.

Every build runs ``python -m pipeline build ...`` as a subprocess in a fresh
copy of a frozen template of the project (copied once from the repository at
the start, so edits made to the repository meanwhile do not leak in), with
no ``output/``: a cold build is really cold. Measurements that are compared
are taken in the same round, alternating which goes first.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BENCH_DIR,
    PYTHON,
    BenchError,
    Row,
    Series,
    Target,
    child_env,
    copy_project,
    log,
    parallel_jobs,
    ratio_row,
    run,
    run_pipeline,
    time_row,
)
from benchmarks.projects import (
    article_slugs,
    change_one_translation,
    make_multi_article_project,
    manifest_targets,
    parse_build,
)

OVERHEAD = Target("<=", 1.10)
SPEEDUP = Target(">=", 1.6)
FLOOR_GAP = Target(">=", 0.95)
"""The build's speed-up within 5% of WeasyPrint's own."""
NOOP = Target("<", 0.05)
ONE_LANGUAGE = Target("<", 1.2)
COPIES = 4
"""Copies of the article in the larger corpus: 4 x 6 languages = 24 brochures."""

S_OVERHEAD = "1. Overhead vs the floor (WeasyPrint alone)"
S_SPEEDUP = "2. Parallel speed-up"
S_NOOP = "3. No-op rebuild"
S_ONE = "4. One language changed"
S_MEMORY = "6. Peak memory of a cold build"

_MIN_TRANSLATED = re.compile(r"^min_translated\s*=.*$", re.MULTILINE)


@dataclass
class Corpus:
    """A frozen project to copy for each build, and its print documents for the floor."""

    name: str
    template: Path
    documents: Path
    names: list[str]
    """The print documents (``<lang>__<slug>.html``), one per PDF the build makes."""
    sizes: dict[str, int]
    languages: int
    """Editions of one article (source language included)."""

    @property
    def pdfs(self) -> int:
        return len(self.names)


@dataclass
class FloorTimes:
    """What the floor workers said about themselves: WeasyPrint's import, each document."""

    imports: list[float] = field(default_factory=list)
    documents: dict[str, list[float]] = field(default_factory=dict)


def _script(name: str) -> list[str]:
    # -P: do not put benchmarks/ on sys.path, so nothing here shadows a library module.
    return [PYTHON, "-P", str(BENCH_DIR / name)]


def _published_languages(stdout: str) -> list[str]:
    return re.findall(r"^not published: (\S+?)/", stdout, re.MULTILINE)


def freeze_project(dest: Path) -> tuple[Path, str]:
    """Copy the project once; relax the gate in the copy if it would refuse a language.

    A benchmark measures speed, not translation progress: when the gate
    refuses languages (catalogs being edited meanwhile), the copy gets
    ``min_translated = 0`` so that every language is still rendered, and the
    report says so. Returns the copy and that note (empty when not needed).
    """
    copy_project(dest)
    probe = dest.parent / f"{dest.name}-probe"
    shutil.copytree(dest, probe)
    result = run_pipeline(probe, "build", "--force", "--jobs", "1")
    shutil.rmtree(probe)
    refused = _published_languages(result.stdout)
    if not refused and result.returncode == 0:
        return dest, ""
    pyproject = dest / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if _MIN_TRANSLATED.search(text):
        text = _MIN_TRANSLATED.sub("min_translated = 0", text, count=1)
    else:
        text = text.replace("[tool.pipeline]\n", "[tool.pipeline]\nmin_translated = 0\n", 1)
    pyproject.write_text(text, encoding="utf-8")
    probe.mkdir()
    shutil.copytree(dest, probe, dirs_exist_ok=True)
    again = run_pipeline(probe, "build", "--force", "--jobs", "1")
    shutil.rmtree(probe)
    still = _published_languages(again.stdout)
    if still or again.returncode != 0:
        raise BenchError(
            "the project's build refuses languages even with min_translated = 0; "
            f"benchmarks need a publishable project:\n{again.stdout}\n{again.stderr}"
        )
    return dest, (
        f"gate relaxed in the temporary copy (min_translated = 0): the repository's "
        f"catalogs refused {', '.join(sorted(set(refused)))} when the suite started"
    )


def prepare_corpus(name: str, template: Path, work: Path) -> Corpus:
    """Write the print documents of ``template`` once, with the pipeline's own code."""
    documents = work / f"{name}-documents"
    scratch = work / f"{name}-scratch"
    shutil.copytree(template, scratch)
    run([*_script("_print_documents.py"), documents], scratch)
    shutil.rmtree(scratch)
    index = json.loads((documents / "documents.json").read_text(encoding="utf-8"))
    docs = index["documents"]
    slugs = {doc["target"].split("/", 1)[1] for doc in docs}
    return Corpus(
        name,
        template,
        documents,
        [doc["html"] for doc in docs],
        {doc["html"]: int(doc["bytes"]) for doc in docs},
        len(docs) // max(1, len(slugs)),
    )


def split(names: Sequence[str], sizes: dict[str, int], parts: int) -> list[list[str]]:
    """Share documents among ``parts`` processes, largest first onto the lightest share."""
    shares: list[list[str]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for name in sorted(names, key=lambda n: -sizes[n]):
        lightest = loads.index(min(loads))
        shares[lightest].append(name)
        loads[lightest] += sizes[name]
    return [share for share in shares if share]


def run_floor(
    corpus: Corpus,
    out: Path,
    processes: int,
    times: FloorTimes | None = None,
    names: Sequence[str] | None = None,
) -> float:
    """Wall-clock of ``processes`` floor workers started together, until the last one ends."""
    out.mkdir(parents=True, exist_ok=True)
    groups = split(corpus.names if names is None else names, corpus.sizes, processes)
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [*_script("_floor_worker.py"), str(corpus.documents), str(out), *group],
            cwd=out,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        for group in groups
    ]
    outputs = [worker.communicate() for worker in workers]
    seconds = time.perf_counter() - started
    for worker, (stdout, stderr) in zip(workers, outputs, strict=True):
        if worker.returncode != 0:
            raise BenchError(f"floor worker exited {worker.returncode}:\n{stderr[-2000:]}")
        if times is not None:
            report: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
            times.imports.append(float(report["import"]))
            for name, value in report["documents"].items():
                times.documents.setdefault(name, []).append(float(value))
    return seconds


def cold_build(project: Path, corpus: Corpus, *args: str) -> float:
    """A forced build in a fresh copy; checks that it rendered every PDF and page."""
    result = run_pipeline(project, "build", "--force", *args)
    outcome = parse_build(result.stdout, result.stderr)
    expected = 2 * corpus.pdfs if "--lang" not in args else 2 * corpus.pdfs // corpus.languages
    if outcome.built != expected:
        raise BenchError(
            f"cold build {' '.join(args)} built {outcome.built} files, expected {expected}:\n"
            f"{result.stdout}"
        )
    return result.seconds


def _page_images(pdf: Path, prefix: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(prefix)], check=True)
    return sorted(prefix.parent.glob(f"{prefix.name}-*.png"))


PIXEL_TOLERANCE = 8
"""How far (of 255) a pixel of the build's page may be from the floor's and still be the same
page: the text layer draws a combining mark just after its letter instead of just before,
at the same place, and the rasterizer's rounding of two overlapping edges then differs by a
level or two. A missing figure or a line laid out elsewhere differs by far more."""


def _same_pages(first: list[Path], second: list[Path]) -> bool:
    from PIL import Image, ImageChops

    if len(first) != len(second):
        return False
    for one, other in zip(first, second, strict=True):
        with Image.open(one) as a, Image.open(other) as b:
            if a.size != b.size:
                return False
            extrema = ImageChops.difference(a.convert("L"), b.convert("L")).getextrema()
            if extrema[1] > PIXEL_TOLERANCE:
                return False
    return True


def identical_pdfs(floor_out: Path, project: Path) -> tuple[int, int]:
    """How many floor PDFs look the same as the build's (every page, rasterized), of how many.

    Not byte for byte: the build's PDFs also carry a text layer (``/ActualText`` spans) that
    WeasyPrint alone does not write; not pixel for pixel either (see :data:`PIXEL_TOLERANCE`).
    """
    same = total = 0
    scratch = floor_out / "pages"
    scratch.mkdir(exist_ok=True)
    for pdf in sorted(floor_out.glob("*.pdf")):
        lang, _, slug = pdf.stem.partition("__")
        total += 1
        built = project / "output" / lang / f"{slug}.pdf"
        if built.is_file():
            floor_pages = _page_images(pdf, scratch / f"floor-{pdf.stem}")
            same += _same_pages(floor_pages, _page_images(built, scratch / f"built-{pdf.stem}"))
    return same, total


@dataclass
class Rounds:
    """All series of the build benchmarks, filled round by round."""

    floor1: Series = field(default_factory=Series)
    cold1: Series = field(default_factory=Series)
    floor_n: Series = field(default_factory=Series)
    cold_n: Series = field(default_factory=Series)
    noop: Series = field(default_factory=Series)
    change: Series = field(default_factory=Series)
    lang_alone: Series = field(default_factory=Series)
    floor_lang: Series = field(default_factory=Series)
    big_floor1: Series = field(default_factory=Series)
    big_cold1: Series = field(default_factory=Series)
    big_floor_n: Series = field(default_factory=Series)
    big_cold_n: Series = field(default_factory=Series)
    floor_times: FloorTimes = field(default_factory=FloorTimes)
    identical: tuple[int, int] = (0, 0)
    changed_lang: str = ""


def _pair(first: Callable[[], object], second: Callable[[], object], swap: bool) -> None:
    """Run two measurements back to back, in alternating order from round to round."""
    for step in (second, first) if swap else (first, second):
        step()


def _changed_language(corpus: Corpus) -> str:
    langs = sorted(p.name for p in (corpus.template / "locale").iterdir() if p.is_dir())
    return "fr" if "fr" in langs else langs[0]


def one_round(index: int, small: Corpus, big: Corpus, work: Path, rounds: Rounds) -> None:
    jobs = str(parallel_jobs())
    swap = index % 2 == 1
    here = work / f"round-{index}"
    here.mkdir()

    def fresh(tag: str, corpus: Corpus) -> Path:
        return Path(shutil.copytree(corpus.template, here / tag))

    # 1 and 2: cold builds against the floor, one process, then every core.
    cold1 = fresh("cold1", small)
    _pair(
        lambda: rounds.cold1.add(cold_build(cold1, small, "--jobs", "1")),
        lambda: rounds.floor1.add(
            run_floor(small, here / "floor1", 1, rounds.floor_times if index == 0 else None)
        ),
        swap,
    )
    if index == 0:
        rounds.identical = identical_pdfs(here / "floor1", cold1)
    cold_n = fresh("coldN", small)
    _pair(
        lambda: rounds.cold_n.add(cold_build(cold_n, small, "--jobs", jobs)),
        lambda: rounds.floor_n.add(run_floor(small, here / "floorN", parallel_jobs())),
        swap,
    )

    # 3: nothing changed since the cold build.
    noop = run_pipeline(cold_n, "build", "--jobs", jobs)
    outcome = parse_build(noop.stdout, noop.stderr)
    if outcome.built != 0 or outcome.rendered:
        raise BenchError(f"no-op build rebuilt something:\n{noop.stdout}\n{noop.stderr}")
    rounds.noop.add(noop.seconds)

    # 4: one msgstr of one language changed; exactly its PDF, its page and the index rebuilt.
    lang = rounds.changed_lang = _changed_language(small)
    slug = next(iter(article_slugs(cold_n).values()))
    before = manifest_targets(cold_n)
    change_one_translation(cold_n, lang, slug)
    rebuilt = run_pipeline(cold_n, "build", "--jobs", jobs)
    outcome = parse_build(rebuilt.stdout, rebuilt.stderr)
    expected = (f"{lang}/{slug}.html", f"{lang}/{slug}.pdf")
    after = manifest_targets(cold_n)
    changed = tuple(sorted(path for path in after if after[path] != before.get(path)))
    if outcome.rendered != expected or changed != expected or outcome.index_editions is None:
        raise BenchError(
            f"changing {lang} rebuilt {outcome.rendered} (manifest: {changed}), "
            f"index rewritten: {outcome.index_editions is not None}; expected {expected}"
        )
    rounds.change.add(rebuilt.seconds)
    one = [f"{lang}__{slug}.html"]
    rounds.floor_lang.add(run_floor(small, here / "floor-lang", 1, names=one))
    alone = fresh("alone", small)
    rounds.lang_alone.add(cold_build(alone, small, "--lang", lang, "--jobs", jobs))

    # 2 again, on 24 brochures: one process against every core, and the floor alike.
    big1, big_n = fresh("big1", big), fresh("bigN", big)
    _pair(
        lambda: rounds.big_cold1.add(cold_build(big1, big, "--jobs", "1")),
        lambda: rounds.big_cold_n.add(cold_build(big_n, big, "--jobs", jobs)),
        swap,
    )
    _pair(
        lambda: rounds.big_floor1.add(run_floor(big, here / "bigfloor1", 1)),
        lambda: rounds.big_floor_n.add(run_floor(big, here / "bigfloorN", parallel_jobs())),
        swap,
    )
    shutil.rmtree(here)


def warm_up(small: Corpus, work: Path) -> None:
    """One untimed build and floor: fills the page cache and fontconfig's cache."""
    here = work / "warm-up"
    project = Path(shutil.copytree(small.template, here / "project"))
    cold_build(project, small, "--jobs", "1")
    run_floor(small, here / "floor", 1)
    shutil.rmtree(here)


def build_rows(rounds: Rounds, small: Corpus, big: Corpus, note: str) -> list[Row]:
    n = parallel_jobs()
    langs = small.languages
    what = f"{small.pdfs} PDFs + {small.pdfs} pages"
    big_what = f"{big.pdfs} PDFs + {big.pdfs} pages"
    same, total = rounds.identical
    identical = f"floor PDFs rendering the same pages as the build's: {same}/{total}"
    floor_import = (
        f"WeasyPrint import in the floor: {min(rounds.floor_times.imports):.2f} s"
        if rounds.floor_times.imports
        else ""
    )
    share = Series([value / langs for value in rounds.cold_n.values])
    lang = rounds.changed_lang
    return [
        time_row(S_OVERHEAD, f"floor: WeasyPrint alone, 1 process, {small.pdfs} PDFs",
                 rounds.floor1, floor_import),
        ratio_row(S_OVERHEAD, f"cold build --jobs 1 ({what})", rounds.cold1, rounds.floor1,
                  "build / floor", OVERHEAD, note=" ".join(filter(None, [identical, note]))),
        time_row(S_OVERHEAD, f"floor: {n} processes in parallel, {small.pdfs} PDFs split",
                 rounds.floor_n),
        ratio_row(S_OVERHEAD, f"cold build --jobs {n} ({what})", rounds.cold_n, rounds.floor_n,
                  "build / floor", OVERHEAD),
        time_row(S_OVERHEAD, f"floor: 1 process, {big.pdfs} PDFs", rounds.big_floor1),
        ratio_row(S_OVERHEAD, f"cold build --jobs 1 ({big_what})", rounds.big_cold1,
                  rounds.big_floor1, "build / floor", OVERHEAD),
        time_row(S_OVERHEAD, f"floor: {n} processes, {big.pdfs} PDFs split",
                 rounds.big_floor_n),
        ratio_row(S_OVERHEAD, f"cold build --jobs {n} ({big_what})", rounds.big_cold_n,
                  rounds.big_floor_n, "build / floor", OVERHEAD),
        ratio_row(S_SPEEDUP, f"speed-up, {small.pdfs} brochures: --jobs 1 / --jobs {n}",
                  rounds.cold1, rounds.cold_n, f"j1 / j{n}", SPEEDUP, show_seconds=False),
        ratio_row(S_SPEEDUP, f"speed-up, {big.pdfs} brochures: --jobs 1 / --jobs {n}",
                  rounds.big_cold1, rounds.big_cold_n, f"j1 / j{n}", SPEEDUP,
                  show_seconds=False),
        ratio_row(S_SPEEDUP, f"floor's own speed-up, {small.pdfs} PDFs: 1 / {n} processes",
                  rounds.floor1, rounds.floor_n, f"1 / {n} proc", show_seconds=False,
                  note="what WeasyPrint alone gains: the attainable bound"),
        ratio_row(S_SPEEDUP, f"floor's own speed-up, {big.pdfs} PDFs: 1 / {n} processes",
                  rounds.big_floor1, rounds.big_floor_n, f"1 / {n} proc", show_seconds=False),
        _gap_row(f"build's speed-up / floor's, {small.pdfs} brochures", rounds.cold1,
                 rounds.cold_n, rounds.floor1, rounds.floor_n),
        _gap_row(f"build's speed-up / floor's, {big.pdfs} brochures", rounds.big_cold1,
                 rounds.big_cold_n, rounds.big_floor1, rounds.big_floor_n),
        ratio_row(S_NOOP, f"no-op rebuild (build --jobs {n}, nothing changed)", rounds.noop,
                  rounds.cold_n, f"of cold j{n}", NOOP, percent=True),
        ratio_row(S_ONE, f"one {lang} msgstr changed: rebuild (--jobs {n})", rounds.change,
                  share, f"/ (cold j{n} / {langs})", ONE_LANGUAGE,
                  note=f"rebuilt exactly {lang} PDF + page + index (checked)"),
        ratio_row(S_ONE, f"cold build of {lang} alone (--force --lang {lang} --jobs {n})",
                  rounds.lang_alone, share, f"/ (cold j{n} / {langs})"),
        ratio_row(S_ONE, f"one {lang} msgstr changed vs cold {lang} alone", rounds.change,
                  rounds.lang_alone, "rebuild / alone", show_seconds=False),
        ratio_row(S_ONE, f"floor: WeasyPrint alone, 1 fresh process, the {lang} PDF only",
                  rounds.floor_lang, share, f"/ (cold j{n} / {langs})",
                  note="what any one-language rebuild in a new process costs at least"),
        ratio_row(S_ONE, f"one {lang} msgstr changed vs its floor", rounds.change,
                  rounds.floor_lang, "rebuild / floor", show_seconds=False),
    ]  # fmt: skip


def _gap_row(name: str, cold1: Series, cold_n: Series, floor1: Series, floor_n: Series) -> Row:
    """How much of WeasyPrint's own parallel gain the build keeps, round by round."""
    gaps = Series(
        [
            (c1 / cn) / (f1 / fn)
            for c1, cn, f1, fn in zip(
                cold1.values, cold_n.values, floor1.values, floor_n.values, strict=True
            )
        ]
    )
    return Row(S_SPEEDUP, name, None, gaps.runs, gaps.median, "build / floor gain", FLOOR_GAP,
               note=f"per round: {', '.join(f'{g:.3f}' for g in gaps.values)}")  # fmt: skip


def run_builds(work: Path, runs: int, frozen: Path, note: str) -> list[Row]:
    small = prepare_corpus("small", frozen, work)
    big_template = make_multi_article_project(work / "big-template", COPIES)
    big = prepare_corpus("big", big_template, work)
    log(f"builds: {small.pdfs} and {big.pdfs} brochures, {runs} round(s)")
    warm_up(small, work)
    rounds = Rounds()
    for index in range(runs):
        started = time.perf_counter()
        one_round(index, small, big, work, rounds)
        log(f"  round {index + 1}/{runs}: {time.perf_counter() - started:.0f} s")
    return build_rows(rounds, small, big, note)


# --- memory ---------------------------------------------------------------------------------


def peak_memory(work: Path, frozen: Path, runs: int) -> list[Row]:
    """Max RSS of the main process and of the largest worker of cold builds (median of runs)."""
    n = parallel_jobs()
    samples: dict[str, list[float]] = {"main1": [], "main_n": [], "worker_n": []}
    for index in range(runs):
        for jobs in ("1", str(n)):
            project = Path(shutil.copytree(frozen, work / f"memory-{index}-{jobs}"))
            result_file = project / "rss.json"
            run(
                [*_script("_rss_wrapper.py"), result_file, "build", "--force", "--jobs", jobs],
                project,
            )
            data = json.loads(result_file.read_text(encoding="utf-8"))
            if jobs == "1":
                samples["main1"].append(data["main_kib"] / 1024)
            else:
                samples["main_n"].append(data["main_kib"] / 1024)
                samples["worker_n"].append(data["largest_child_kib"] / 1024)
            shutil.rmtree(project)

    def row(name: str, key: str, note: str = "") -> Row:
        values = sorted(samples[key])
        median = values[len(values) // 2]
        return Row(S_MEMORY, name, None, len(values), note=note, value=f"{median:.0f} MB")

    return [
        row("max RSS, --jobs 1 (one process does everything)", "main1"),
        row(f"max RSS, --jobs {n}: main process", "main_n"),
        row(f"max RSS, --jobs {n}: largest worker", "worker_n",
            "workers are forked: their RSS counts pages shared with the main process"),
    ]  # fmt: skip


__all__ = ["freeze_project", "peak_memory", "run_builds"]
