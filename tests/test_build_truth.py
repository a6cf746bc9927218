"""Builds that never lie: after any edit, crash or overlap, ``output/`` is what the inputs say.

Each scenario runs real ``python -m pipeline build`` processes on a copy of the
project cut down to two translations (fr, ru), so that a build takes about a
second; the property test at the end runs random sequences of edits, killed
builds, edits during builds and hand edits of the output, and compares the
result with a fresh ``--force`` build of the same inputs in an empty folder.
Set ``PIPELINE_SOAK=N`` to run N sequences instead of the default 12 (about 8 s each on
2 cores: ``make test`` keeps to its 10 minutes with 12).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from helpers import SLUG, copy_project, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

LANGS = ("fr", "ru")
PO = {lang: f"locale/{lang}/LC_MESSAGES/{SLUG}.po" for lang in LANGS}
TITLE = "Can Stem Cells Help Stroke Recovery Patients"


def small_project(dest: Path) -> Path:
    root = copy_project(dest, min_translated=0)
    for folder in (root / "locale").iterdir():
        if folder.is_dir() and folder.name not in LANGS:
            shutil.rmtree(folder)
    return root


def outputs(root: Path) -> dict[str, bytes]:
    out = root / "output"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def build(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(root, "build", "--jobs", "2", *args)


def set_title(root: Path, lang: str, prefix: str) -> None:
    """Prefix (or, with "", restore) the title's translation, as a translator's editor would."""
    path = root / PO[lang]
    po = polib.pofile(str(path), wrapwidth=79)
    entry = po.find(TITLE)
    assert entry is not None
    entry.msgstr = prefix + entry.msgstr.removeprefix("WITHDRAWN ")
    po.save()


def anywhere(root: Path, needle: bytes) -> list[str]:
    return [name for name, data in outputs(root).items() if needle in data]


def start_build(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_progress(process: subprocess.Popen[str], step: int) -> bool:
    """Read the build's progress until line ``[step/``; False if it ended first."""
    assert process.stderr is not None
    return any(line.startswith(f"[{step}/") for line in process.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = small_project(tmp_path / "project")
    done = build(root)
    assert done.returncode == 0, done.stderr
    return root


def reference(tmp_path: Path, root: Path) -> dict[str, bytes]:
    """A fresh ``--force`` build of ``root``'s inputs in an empty folder."""
    fresh = tmp_path / f"fresh-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for name in ("pyproject.toml", "babel.cfg", "source", "locale", "theme"):
        source = root / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, fresh / name)
    done = build(fresh, "--force")
    assert done.returncode in (0, 1), done.stderr
    return outputs(fresh)


# --- the scenarios of the issue ---------------------------------------------------------------


def test_inputs_restored_during_a_build_are_rebuilt_next_time(project: Path) -> None:
    for lang in LANGS:
        set_title(project, lang, "WITHDRAWN ")
    process = start_build(project, "--jobs", "1")
    assert wait_for_progress(process, 1)
    for lang in LANGS:
        set_title(project, lang, "")
    process.communicate(timeout=120)
    assert anywhere(project, b"WITHDRAWN")  # what the build read, while it ran
    again = build(project)
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout and not again.stdout.startswith("built 0 ")
    assert anywhere(project, b"WITHDRAWN") == []


def test_a_killed_build_then_reverted_inputs_leave_no_withdrawn_text(
    project: Path, tmp_path: Path
) -> None:
    for lang in LANGS:
        set_title(project, lang, "WITHDRAWN ")
    process = start_build(project, "--jobs", "1")
    assert wait_for_progress(process, 2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    for lang in LANGS:
        set_title(project, lang, "")
    done = build(project)
    assert done.returncode == 0, done.stderr
    assert anywhere(project, b"WITHDRAWN") == []
    assert outputs(project) == reference(tmp_path, project)


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        (f"fr/{SLUG}.pdf", lambda data: data + b"garbage"),
        (f"ru/{SLUG}.html", lambda data: b""),
        (f"en/{SLUG}.html", lambda data: data.replace(b"Stem", b"Stam", 1)),
        ("index.html", lambda data: data[:-10]),
    ],
)
def test_outputs_changed_by_hand_are_rebuilt(
    project: Path, name: str, damage: Callable[[bytes], bytes]
) -> None:
    before = outputs(project)
    path = project / "output" / name
    path.write_bytes(damage(path.read_bytes()))
    done = build(project)
    assert done.returncode == 0, done.stderr
    assert outputs(project) == before


def test_an_output_removed_by_hand_is_rebuilt(project: Path) -> None:
    before = outputs(project)
    (project / "output" / f"ru/{SLUG}.pdf").unlink()
    assert build(project).returncode == 0
    assert outputs(project) == before


def test_touched_but_unchanged_outputs_are_not_rebuilt(project: Path) -> None:
    for path in (project / "output").rglob("*.html"):
        os.utime(path)
    done = build(project)
    assert done.stdout.startswith("built 0 file(s), 6 up to date"), done.stdout


def test_a_build_of_one_language_leaves_another_unreadable_one_alone(project: Path) -> None:
    before = outputs(project)
    ui = project / "locale/fr/LC_MESSAGES/ui.po"
    ui.write_text(ui.read_text("utf-8").replace('msgid "References"', 'msgid "References\n'))
    done = build(project, "--lang", "ru", "--force")
    assert done.returncode == 0, done.stderr
    assert {k: v for k, v in outputs(project).items() if k.startswith("fr/")} == {
        k: v for k, v in before.items() if k.startswith("fr/")
    }
    assert b'hreflang="fr"' in (project / "output" / "index.html").read_bytes()


def test_a_build_of_all_languages_with_an_unreadable_catalog_changes_nothing_of_it(
    project: Path,
) -> None:
    before = outputs(project)
    ui = project / "locale/fr/LC_MESSAGES/ui.po"
    ui.write_text(ui.read_text("utf-8").replace('msgid "References"', 'msgid "References\n'))
    (project / "source" / f"{SLUG}.md").write_text(
        (project / "source" / f"{SLUG}.md")
        .read_text("utf-8")
        .replace("neuroinflammation", "inflammation", 1)
    )
    done = build(project, "--force")
    assert done.returncode == 2
    assert "locale/fr/LC_MESSAGES/ui.po:" in done.stderr
    assert {k: v for k, v in outputs(project).items() if k.startswith("fr/")} == {
        k: v for k, v in before.items() if k.startswith("fr/")
    }


def test_build_state_lives_outside_the_published_folder(project: Path) -> None:
    assert [p.name for p in (project / "output").rglob(".*")] == []
    assert (project / ".pipeline-cache" / "manifest.json").is_file()


def test_a_second_build_waits_for_the_first_or_stops_with_no_wait(project: Path) -> None:
    lock = project / ".pipeline-cache" / "build.lock"
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        refused = build(project, "--no-wait")
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1 and "another build" in refused.stderr
        waiting = start_build(project)
        assert waiting.stderr is not None
        assert "waiting for another build" in waiting.stderr.readline()
    out, _ = waiting.communicate(timeout=60)
    assert waiting.returncode == 0 and "up to date" in out


def test_a_killed_build_leaves_no_stale_lock(project: Path) -> None:
    set_title(project, "fr", "WITHDRAWN ")
    process = start_build(project, "--jobs", "1")
    assert wait_for_progress(process, 1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert build(project, "--no-wait").returncode == 0


# --- crash consistency ------------------------------------------------------------------------

Edit = tuple[str, int]
EDITS = ["title", "withdraw", "fuzzy-critical", "source", "damage", "remove-output", "restore"]


def apply(root: Path, original: Path, edit: Edit) -> None:
    kind, choice = edit
    lang = LANGS[choice % 2]
    if kind == "title":
        set_title(root, lang, f"V{choice} ")
    elif kind == "withdraw":
        set_title(root, lang, "WITHDRAWN ")
    elif kind == "fuzzy-critical":
        path = root / PO[lang]
        po = polib.pofile(str(path), wrapwidth=79)
        entry = next(e for e in po if "(critical)" in " ".join(e.comment.split()))
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        else:
            entry.flags.append("fuzzy")
        po.save()
    elif kind == "source":
        article = root / "source" / f"{SLUG}.md"
        text = article.read_text("utf-8")
        article.write_text(
            text.replace("neuroinflammation", f"brain inflammation {choice}", 1)
            if "neuroinflammation" in text
            else (original / "source" / f"{SLUG}.md").read_text("utf-8")
        )
    elif kind in ("damage", "remove-output"):
        files = sorted((root / "output").rglob("*.*"))
        if files:
            target = files[choice % len(files)]
            if kind == "damage":
                target.write_bytes(target.read_bytes()[: choice % 50] + b"x")
            else:
                target.unlink()
    else:
        for name in ("source", "locale"):
            shutil.rmtree(root / name)
            shutil.copytree(original / name, root / name)


Step = tuple[str, list[Edit], int]
"""(how the build ends: ``done``, ``killed`` or ``edited``, the edits before it, progress step)."""

steps = st.lists(
    st.tuples(
        st.sampled_from(["done", "killed", "edited"]),
        st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 99)), max_size=3),
        st.integers(1, 5),
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=int(os.environ.get("PIPELINE_SOAK", "12")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_output_always_matches_a_fresh_build_of_the_same_inputs(
    sequence: list[Step], tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.mktemp("soak")
    original = small_project(base / "original")
    root = base / "project"
    shutil.copytree(original, root)
    build(root)
    for ending, edits, step in sequence:
        for edit in edits:
            apply(root, original, edit)
        if ending == "done":
            build(root)
            continue
        process = start_build(root, "--jobs", "1")
        if wait_for_progress(process, step):
            if ending == "killed":
                process.send_signal(signal.SIGKILL)
            else:
                apply(root, original, ("withdraw", step))
        process.communicate(timeout=120)
    final = build(root)
    assert final.returncode in (0, 1), final.stderr
    assert outputs(root) == reference(base, root)


def test_a_language_added_while_a_build_runs_is_built_by_the_next(project: Path) -> None:
    set_title(project, "fr", "WITHDRAWN ")  # something to render, so the build takes a while
    process = start_build(project, "--jobs", "1")
    assert wait_for_progress(process, 1)
    shutil.copytree(project / "locale" / "fr", project / "locale" / "de")
    process.communicate(timeout=120)
    done = build(project)
    assert done.returncode == 0, done.stderr
    assert (project / "output" / "de" / f"{SLUG}.pdf").is_file()


def test_each_article_shows_its_own_publisher(project: Path, tmp_path: Path) -> None:
    article = (project / "source" / f"{SLUG}.md").read_text("utf-8")
    other = article.replace(f"slug: {SLUG}", "slug: aaa-second").replace(
        "publisher: MedTravellers", "publisher: SecondPub"
    )
    (project / "source" / "aaa-second.md").write_text(other, "utf-8")
    done = build(project)
    assert done.returncode in (0, 1), done.stderr
    assert b"MedTravellers" in (project / "output" / "en" / f"{SLUG}.html").read_bytes()
    assert b"SecondPub" not in (project / "output" / "en" / f"{SLUG}.html").read_bytes()
    assert b"SecondPub" in (project / "output" / "en" / "aaa-second.html").read_bytes()
    assert outputs(project) == reference(tmp_path, project)
