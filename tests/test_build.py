"""End to end: ``pipeline build`` on a copy of the real project, in a temporary folder.

Every test works on its own copy (``pyproject.toml``, ``babel.cfg``, ``source/``,
``locale/``); the project's own ``output/`` is never touched. A full build is
made once per module and cloned, output and manifest included, by the tests
that change something, so that each one pays only for what it rebuilds.
The copies publish whatever share is translated (``min_translated = 0``): the
share rule of the gate is tested on its own; every other rule (errors,
critical entries) stays.

The code fingerprint is pinned for the module: the pipeline's code is edited
in parallel while the suite runs, and a change to it would (rightly) rebuild
everything and blur what these tests measure, which is how the build reacts
to the project's own inputs.
"""

from __future__ import annotations

import errno
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polib
import pypdf
import pytest
from helpers import (
    CRITICAL_MARK,
    FR_PO,
    SLUG,
    break_msgid_syntax,
    change_critical_figure,
    cli,
    copy_project,
    edit_po,
    run,
    set_min_translated,
    write_source_ui_catalog,
)

import pipeline.build.inputs
from pipeline.build import BuildOptions, BuildReport, build, remove_partial_files, write_atomic
from pipeline.errors import OutputError
from pipeline.project import load_config

REAL_CODE_FINGERPRINT = pipeline.build.inputs.code_fingerprint
"""The real function, before the module's fixture pins its value."""
LANGS = ("en", "ar", "bn", "fa", "fr", "ru")
TRANSLATED = tuple(lang for lang in LANGS if lang != "en")
PSEUDO = ("en-XA", "ar-XB")
ARTICLE = f"source/{SLUG}.md"


# --- helpers --------------------------------------------------------------------------------


def run_build(root: Path, **options: object) -> BuildReport:
    return build(load_config(root), BuildOptions(**options))  # type: ignore[arg-type]


def built_paths(report: BuildReport) -> set[str]:
    return {target.path for target, _ in report.built}


def all_targets(langs: tuple[str, ...] = LANGS) -> set[str]:
    return {f"{lang}/{SLUG}.{fmt}" for lang in langs for fmt in ("pdf", "html")}


def output_files(root: Path) -> dict[str, bytes]:
    output = root / "output"
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in sorted(output.rglob("*"))
        if p.is_file()
    }


def assert_valid_pdf(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), path
    assert data.rstrip().endswith(b"%%EOF"), f"{path} is truncated"
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) >= 1, path


def assert_valid_html(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html>"), path
    assert text.rstrip().endswith("</html>"), f"{path} is truncated"


class Tags(HTMLParser):
    """Start tags and their attributes, with the tags inside <article> counted apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.in_article: Counter[str] = Counter()
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "article":
            self._depth += 1
        elif self._depth:
            self.in_article[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._depth -= 1

    def attr_values(self, name: str, tag: str | None = None) -> list[str]:
        return [
            str(attrs[name])
            for t, attrs in self.tags
            if name in attrs and (tag is None or t == tag)
        ]


def parse(path: Path) -> Tags:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def hreflangs(path: Path) -> set[str]:
    """Languages a page links to: <link rel=alternate hreflang> and the switcher's hreflang."""
    return set(parse(path).attr_values("hreflang"))


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def pinned_code() -> Iterator[None]:
    value = pipeline.build.inputs.code_fingerprint()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline.build.inputs, "code_fingerprint", lambda: value)
        yield


@pytest.fixture(scope="module")
def built(pinned_code: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    """One full build of the real project (every language), shared by the module."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project", min_translated=0)
    report = run_build(root)
    return root, report


@pytest.fixture
def clone(built: tuple[Path, BuildReport], tmp_path: Path) -> Path:
    """A private copy of the built project, output and manifest included."""
    source, _ = built
    dest = tmp_path / "project"
    shutil.copytree(source, dest, symlinks=True)
    return dest


@pytest.fixture(scope="module")
def forced(
    built: tuple[Path, BuildReport], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, bytes], BuildReport]:
    """A clone of the built project, then ``build --force``: (root, output before, report)."""
    source, _ = built
    root = tmp_path_factory.mktemp("forced") / "project"
    shutil.copytree(source, root)
    before = output_files(root)
    report = run_build(root, force=True)
    return root, before, report


# --- full build -----------------------------------------------------------------------------


def test_full_build_writes_every_language_page_and_brochure(
    built: tuple[Path, BuildReport],
) -> None:
    root, report = built
    output = root / "output"
    assert report.ok, (report.refused, report.failed)
    assert built_paths(report) == all_targets()
    for lang in LANGS:
        assert_valid_pdf(output / lang / f"{SLUG}.pdf")
        assert_valid_html(output / lang / f"{SLUG}.html")
    assert_valid_html(output / "index.html")
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.startswith("<?xml") and sitemap.rstrip().endswith("</urlset>")
    for lang in LANGS:
        assert f"/{lang}/{SLUG}.html" in sitemap


def test_pages_declare_language_and_direction(built: tuple[Path, BuildReport]) -> None:
    root, _ = built
    for lang in LANGS:
        html = parse(root / "output" / lang / f"{SLUG}.html").tags[0]
        assert html[0] == "html"
        assert html[1]["lang"] == lang
        assert html[1]["dir"] == ("rtl" if lang in ("ar", "fa") else "ltr")


def test_index_lists_every_language(built: tuple[Path, BuildReport]) -> None:
    root, _ = built
    index = parse(root / "output" / "index.html")
    hrefs = set(index.attr_values("href", "a"))
    for lang in LANGS:
        assert f"{lang}/{SLUG}.html" in hrefs
        assert f"{lang}/{SLUG}.pdf" in hrefs


def test_output_files_are_readable_and_no_temporary_file_remains(
    built: tuple[Path, BuildReport],
) -> None:
    root, _ = built
    files = [p for p in (root / "output").rglob("*") if p.is_file()]
    assert files
    for path in files:
        mode = path.stat().st_mode & 0o777
        assert mode & 0o444 == 0o444, f"{path} is not world-readable: {mode:o}"
        assert mode & 0o022 == 0, f"{path} is writable by others: {mode:o}"
    assert not [p for p in (root / "output").rglob("*.part")]


# --- incremental builds ---------------------------------------------------------------------


def test_second_build_renders_nothing(clone: Path) -> None:
    before = output_files(clone)
    report = run_build(clone)
    assert report.ok
    assert report.built == []
    assert {t.path for t in report.skipped} == all_targets()
    assert output_files(clone) == before


def test_second_build_summary_says_built_0(clone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(clone)
    code, out, err = cli("build")
    assert code == 0, out + err
    assert re.search(r"^built 0 file\(s\), 12 up to date, 0 not published, 0 failed", out, re.M)
    assert "[1/" not in err


def test_changed_french_msgstr_rebuilds_only_french(clone: Path) -> None:
    marker = "Texte révisé par la traductrice."

    def edit(entry: polib.POEntry) -> None:
        if entry.msgid.startswith("According to a specialist"):
            entry.msgstr = entry.msgstr.rstrip() + " " + marker

    edit_po(clone / FR_PO, edit)
    report = run_build(clone)
    assert report.ok, (report.refused, report.failed)
    assert built_paths(report) == {f"fr/{SLUG}.pdf", f"fr/{SLUG}.html"}
    assert marker in (clone / "output" / "fr" / f"{SLUG}.html").read_text(encoding="utf-8")
    assert_valid_html(clone / "output" / "index.html")
    # and the next build has nothing left to do
    assert run_build(clone).built == []


def test_force_rebuilds_everything(forced: tuple[Path, dict[str, bytes], BuildReport]) -> None:
    _, _, report = forced
    assert report.ok
    assert built_paths(report) == all_targets()


def test_irrelevant_changes_rebuild_nothing(clone: Path) -> None:
    article = clone / ARTICLE
    later = time.time() + 60
    os.utime(article, (later, later))  # touched, not changed
    os.utime(clone / FR_PO, (later, later))
    (clone / "README.md").write_text("# notes\n", encoding="utf-8")
    (clone / "babel.cfg").write_text(
        (clone / "babel.cfg").read_text(encoding="utf-8") + "\n# comment\n", encoding="utf-8"
    )
    (clone / "locale" / "NOTES.txt").write_text("glossary to come\n", encoding="utf-8")
    (clone / "source" / "draft.txt").write_text("not an article\n", encoding="utf-8")
    report = run_build(clone)
    assert report.ok
    assert report.built == []


@pytest.mark.parametrize(
    "deleted",
    [
        [f"fr/{SLUG}.html"],
        [f"en/{SLUG}.pdf"],
        [f"ar/{SLUG}.pdf", f"ru/{SLUG}.html"],
    ],
)
def test_deleted_output_is_rebuilt(clone: Path, deleted: list[str]) -> None:
    before = output_files(clone)
    for name in deleted:
        (clone / "output" / name).unlink()
    report = run_build(clone)
    assert report.ok
    assert built_paths(report) == set(deleted)
    for name in deleted:
        assert (clone / "output" / name).read_bytes() == before[name]


def test_deleted_index_is_rebuilt(clone: Path) -> None:
    before = (clone / "output" / "index.html").read_bytes()
    (clone / "output" / "index.html").unlink()
    report = run_build(clone)
    assert report.ok
    assert report.built == []
    assert (clone / "output" / "index.html").read_bytes() == before


def test_deleted_sitemap_is_rebuilt(clone: Path) -> None:
    before = (clone / "output" / "sitemap.xml").read_bytes()
    (clone / "output" / "sitemap.xml").unlink()
    report = run_build(clone)
    assert report.ok
    assert (clone / "output" / "sitemap.xml").is_file(), "sitemap.xml was not rebuilt"
    assert (clone / "output" / "sitemap.xml").read_bytes() == before


def test_changed_source_language_ui_catalog_rebuilds_its_pages(clone: Path) -> None:
    write_source_ui_catalog(clone, {"Medical disclaimer": "Medical notice"})
    report = run_build(clone)
    assert report.ok
    assert {f"en/{SLUG}.html", f"en/{SLUG}.pdf"} <= built_paths(report)
    assert "Medical notice" in (clone / "output" / "en" / f"{SLUG}.html").read_text("utf-8")
    assert "Medical notice" in (clone / "output" / "index.html").read_text("utf-8")


# --- atomic writes --------------------------------------------------------------------------


def test_write_atomic_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "page.html"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_write_atomic_keeps_old_file_when_interrupted_before_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "fr" / "page.pdf"
    target.parent.mkdir()
    target.write_bytes(b"old complete file")

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new file" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"old complete file"
    assert [p.name for p in target.parent.iterdir()] == ["page.pdf"]


def test_write_atomic_keeps_old_file_when_the_disk_fills_mid_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "page.html"
    target.write_bytes(b"<!DOCTYPE html>old</html>")
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, stream: Any):
            self.stream = stream

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, data: bytes) -> int:
            self.stream.write(data[: len(data) // 2])
            self.stream.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> HalfWriter:
        return HalfWriter(real_fdopen(fd, *args, **kwargs))

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(OutputError, match="cannot write: No space left on device") as error:
        write_atomic(target, b"x" * 10_000)
    assert error.value.path is not None and error.value.path.endswith("page.html")
    monkeypatch.undo()
    assert target.read_bytes() == b"<!DOCTYPE html>old</html>"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_write_atomic_failure_leaves_no_new_file(tmp_path: Path) -> None:
    target = tmp_path / "new.pdf"
    with pytest.raises(TypeError):
        write_atomic(target, object())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_remove_partial_files(tmp_path: Path) -> None:
    output = tmp_path / "output"
    (output / "fr").mkdir(parents=True)
    leftovers = [output / "fr" / ".x.pdf.123.part", output / ".index.html.k2j4.part"]
    for path in leftovers:
        path.write_bytes(b"%PDF-1.7 half")
    keep = [output / "fr" / "x.pdf", output / "index.html"]
    for path in keep:
        path.write_bytes(b"complete")
    remove_partial_files(output)
    assert not any(p.exists() for p in leftovers)
    assert all(p.read_bytes() == b"complete" for p in keep)
    remove_partial_files(tmp_path / "missing")  # no output yet: nothing to do


def test_build_removes_partial_files_first(clone: Path) -> None:
    leftovers = [
        clone / "output" / "fr" / f".{SLUG}.pdf.123.part",
        clone / "output" / f".index.html.{os.getpid()}.part",
    ]
    for path in leftovers:
        path.write_bytes(b"%PDF-1.7 half")
    report = run_build(clone)
    assert report.ok
    assert not any(p.exists() for p in leftovers)
    assert not list((clone / "output").rglob("*.part"))


def _wait_for_progress(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first progress line the build prints on stderr ('' if it ends or times out)."""
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], timeout)
    return proc.stderr.readline() if ready else ""


def test_killed_build_leaves_only_complete_files(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", min_translated=0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "--force", "--jobs", "1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = _wait_for_progress(proc, timeout=60)
        if first.startswith("images:"):  # the article's images are written before the pages
            first = _wait_for_progress(proc, timeout=60)
        time.sleep(0.3)  # into the next brochure
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()
    assert first.startswith("[1/12] "), f"the build did not start rendering: {first!r}"
    assert proc.returncode == -signal.SIGKILL, "the build finished before it was killed"

    output = root / "output"
    finished = [p for p in output.rglob("*") if p.is_file() and not p.name.endswith(".part")]
    assert 1 <= len(finished) < 12, "the build was not interrupted mid-way"
    for path in finished:
        if path.suffix == ".pdf":
            assert_valid_pdf(path)
        elif path.suffix == ".html":
            assert_valid_html(path)
        elif path.suffix == ".xml":
            assert path.read_text(encoding="utf-8").rstrip().endswith("</urlset>")

    report = run_build(root)
    assert report.ok, (report.refused, report.failed)
    for lang in LANGS:
        assert_valid_pdf(output / lang / f"{SLUG}.pdf")
        assert_valid_html(output / lang / f"{SLUG}.html")
    assert_valid_html(output / "index.html")
    assert not list(output.rglob("*.part"))
    assert run_build(root).built == []


# --- the publication gate -------------------------------------------------------------------


def _fuzzy_critical(entry: polib.POEntry) -> None:
    if CRITICAL_MARK in entry.msgid:
        entry.flags.append("fuzzy")


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (_fuzzy_critical, "critical entry fuzzy: MedTravellers has treated 5,000+"),
        (change_critical_figure, "1 error (figures)"),
    ],
    ids=["fuzzy-critical", "changed-figure"],
)
def test_failing_language_is_unpublished_then_republished(
    clone: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[polib.POEntry], None],
    reason: str,
) -> None:
    output = clone / "output"
    original = (clone / FR_PO).read_bytes()
    edit_po(clone / FR_PO, edit)

    monkeypatch.chdir(clone)
    code, out, err = cli("build")
    assert code == 1, out + err
    assert "Traceback" not in err
    refusal = [line for line in out.splitlines() if line.startswith("not published: ")]
    assert len(refusal) == 1, out
    assert refusal[0].startswith(f"not published: fr/{SLUG}: ")
    assert reason in refusal[0]
    assert f"removed stale fr/{SLUG}.html" in out
    assert f"removed stale fr/{SLUG}.pdf" in out
    assert not (output / "fr" / f"{SLUG}.html").exists()
    assert not (output / "fr" / f"{SLUG}.pdf").exists()

    others = [lang for lang in LANGS if lang != "fr"]
    for lang in others:
        page = output / lang / f"{SLUG}.html"
        assert_valid_html(page)
        assert_valid_pdf(output / lang / f"{SLUG}.pdf")
        assert hreflangs(page) == {*others, "x-default"}, page
        assert "fr/" not in " ".join(parse(page).attr_values("href"))
    index = parse(output / "index.html")
    assert "fr" not in index.attr_values("hreflang")
    assert not [h for h in index.attr_values("href") if h.startswith("fr/")]
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert "/fr/" not in sitemap and 'hreflang="fr"' not in sitemap
    for lang in others:
        assert f"/{lang}/{SLUG}.html" in sitemap

    # the refusal is stable: a build with nothing changed says it again
    code, out, _ = cli("build")
    assert code == 1 and f"not published: fr/{SLUG}: " in out

    (clone / FR_PO).write_bytes(original)
    code, out, err = cli("build")
    assert code == 0, out + err
    assert "not published: " not in out
    assert_valid_html(output / "fr" / f"{SLUG}.html")
    assert_valid_pdf(output / "fr" / f"{SLUG}.pdf")
    for lang in others:
        assert "fr" in hreflangs(output / lang / f"{SLUG}.html")
    assert f"fr/{SLUG}.html" in parse(output / "index.html").attr_values("href")
    assert f"/fr/{SLUG}.html" in (output / "sitemap.xml").read_text(encoding="utf-8")


def test_language_below_min_translated_is_refused(clone: Path) -> None:
    def clear(entry: polib.POEntry) -> None:
        if "critical" not in entry.comment:
            entry.msgstr = ""

    edit_po(clone / FR_PO, clear)
    set_min_translated(clone, 0.8)
    report = run_build(clone)
    assert not report.ok
    refused = {decision.lang: decision for decision in report.refused}
    assert "fr" in refused
    decision = refused["fr"]
    assert decision.translated_share < 0.8
    share = [r for r in decision.reasons if r.startswith(f"{SLUG}: ") and "% translated" in r]
    assert share, decision.reasons
    assert re.fullmatch(rf"{SLUG}: \d{{1,2}}% translated, 80% required", share[0]), share[0]
    assert not (clone / "output" / "fr" / f"{SLUG}.html").exists()
    assert (clone / "output" / "en" / f"{SLUG}.html").exists()
    # the other languages' article catalogs are complete: their share is not the reason
    for lang, other in refused.items():
        if lang != "fr":
            assert not [r for r in other.reasons if r.startswith(f"{SLUG}: ")], other


# --- pseudo-locales -------------------------------------------------------------------------


def test_pseudo_locales(clone: Path) -> None:
    report = run_build(clone, pseudo=True)
    assert report.ok, (report.refused, report.failed)
    assert built_paths(report) == all_targets(PSEUDO)
    output = clone / "output"
    en = parse(output / "en" / f"{SLUG}.html")
    assert en.in_article["h2"] > 0 and en.in_article["li"] > 0 and en.in_article["strong"] > 0
    for lang in PSEUDO:
        assert_valid_pdf(output / lang / f"{SLUG}.pdf")
        page = output / lang / f"{SLUG}.html"
        assert_valid_html(page)
        tags = parse(page)
        root_attrs = tags.tags[0][1]
        assert root_attrs["lang"] == lang
        assert root_attrs["dir"] == ("rtl" if lang == "ar-XB" else "ltr")
        for tag in ("h2", "h3", "li", "strong", "a", "p", "blockquote"):
            assert tags.in_article[tag] == en.in_article[tag], (lang, tag)
        # links keep their targets
        assert tags.attr_values("href", "a")[-2:] == en.attr_values("href", "a")[-2:]
    html = output / "en-XA" / f"{SLUG}.html"
    assert "⟦" in html.read_text(encoding="utf-8")

    index = (output / "index.html").read_text(encoding="utf-8")
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    for lang in PSEUDO:
        assert lang not in index
        assert lang not in sitemap
    for page in output.glob(f"*/{SLUG}.html"):
        assert not set(PSEUDO) & hreflangs(page), page


def test_a_change_to_the_pipeline_code_rebuilds_everything(
    clone: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Code, templates and styles are inputs: a copy of the package, one template edited."""
    package = tmp_path / "pipeline"
    shutil.copytree(pipeline.build.inputs.PACKAGE_DIR, package)
    monkeypatch.setattr(pipeline.build.inputs, "PACKAGE_DIR", package)
    monkeypatch.setattr(pipeline.build.inputs, "code_fingerprint", REAL_CODE_FINGERPRINT)
    before = REAL_CODE_FINGERPRINT()
    assert REAL_CODE_FINGERPRINT() == before
    template = package / "templates" / "page.html"
    template.write_text(template.read_text("utf-8") + "\n", "utf-8")
    assert REAL_CODE_FINGERPRINT() != before
    report = run_build(clone)
    assert built_paths(report) == all_targets()


# --- broken input ---------------------------------------------------------------------------


def test_broken_po_file_is_reported_and_its_language_left_as_published(
    clone: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = clone / "output"
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    line = break_msgid_syntax(clone / "locale" / "ru" / "LC_MESSAGES" / f"{SLUG}.po")

    monkeypatch.chdir(clone)
    code, out, err = cli("build")
    assert code == 2
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("pipeline: error: ")]
    assert errors, err
    match = re.match(rf"pipeline: error: locale/ru/LC_MESSAGES/{SLUG}\.po:(\d+): \S", errors[0])
    assert match, errors[0]
    assert int(match.group(1)) in (line, line + 1)
    assert "not published" not in out.replace("0 not published", "")
    after = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert after == before
    assert "ru" in parse(output / "index.html").attr_values("hreflang")


@pytest.mark.parametrize(
    ("line", "replacement", "expected_line"),
    [
        (3, "slug: [stem-cells: broken", None),  # YAML syntax error
        (2, 'title: "Can": Stem Cells', 2),  # YAML syntax error on the title line
        (3, "slug: Stem Cells!", 3),  # not a valid slug
    ],
    ids=["unclosed-flow", "mapping-in-scalar", "bad-slug"],
)
def test_broken_front_matter_exits_2_with_its_place(
    tmp_path: Path, line: int, replacement: str, expected_line: int | None
) -> None:
    root = copy_project(tmp_path / "project", min_translated=0)
    article = root / ARTICLE
    lines = article.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = replacement + "\n"
    article.write_text("".join(lines), encoding="utf-8")
    result = run(root, "build", timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    match = re.fullmatch(rf"pipeline: error: {ARTICLE}:(\d+): (.+)\n", result.stderr)
    assert match, result.stderr
    reported = int(match.group(1))
    if expected_line is not None:
        assert reported == expected_line
    else:
        assert 2 <= reported <= 13  # inside the front matter
    assert not list((root / "output").rglob("*.html"))


# --- reproducibility ------------------------------------------------------------------------


def test_forced_builds_are_byte_identical(
    forced: tuple[Path, dict[str, bytes], BuildReport],
) -> None:
    root, before, _ = forced
    after = output_files(root)
    assert set(after) == set(before)
    published = [name for name in after if name.endswith((".pdf", ".html", ".xml"))]
    assert len(published) == 12 + 2
    different = [name for name in published if after[name] != before[name]]
    assert different == []
