"""Published images stay true to the editions that show them, whatever happened before.

Each case is one a real project meets: a manifest written before the build knew about images,
a catalog that breaks while an image changes, a build killed after writing an image.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from helpers import FR_PO, SLUG, copy_project, run

STEPS = "source/images/treatment-steps.svg"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def recolour(root: Path, old: str = "#f4f8fb", new: str = "#f6faf7") -> None:
    steps = root / STEPS
    steps.write_text(steps.read_text("utf-8").replace(old, new), "utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("truth") / "project")
    assert run(root, "build").returncode == 0
    return root


def fresh(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(built, root)
    return root


def test_a_manifest_from_before_images_is_not_trusted_for_them(built: Path, tmp_path: Path) -> None:
    root = fresh(built, tmp_path)
    manifest = root / ".pipeline-cache" / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    data["slugs"] = {path: entry[:2] for path, entry in data["slugs"].items()}  # [hash, slug]
    manifest.write_text(json.dumps(data), "utf-8")
    recolour(root)
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    assert "built 8 file(s)" in result.stdout  # en, bn, fr, ru show the changed image
    assert (root / "output" / "images" / f"treatment-steps.{digest(root / STEPS)}.svg").exists()


def test_a_language_left_as_it_was_keeps_its_images(built: Path, tmp_path: Path) -> None:
    root = fresh(built, tmp_path)
    page = (root / "output" / "fr" / f"{SLUG}.html").read_text("utf-8")
    shown = f"treatment-steps.{digest(root / STEPS)}.svg"
    assert f"../images/{shown}" in page
    po = root / FR_PO
    po.write_text(po.read_text("utf-8") + '\nmsgid "FAQ"\nmsgstr "FAQ"\n', "utf-8")  # a duplicate
    recolour(root)
    result = run(root, "build")
    assert result.returncode == 2
    assert (root / "output" / "fr" / f"{SLUG}.html").read_text("utf-8") == page
    assert (root / "output" / "images" / shown).exists()  # fr still shows it


def test_an_image_file_no_build_recorded_is_removed(built: Path, tmp_path: Path) -> None:
    root = fresh(built, tmp_path)
    orphan = root / "output" / "images" / "treatment-steps.0123456789.svg"
    orphan.write_bytes((root / STEPS).read_bytes())  # what a build killed after writing it leaves
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    assert not orphan.exists()
    assert "removed stale images/treatment-steps.0123456789.svg" in result.stdout


def test_force_reads_every_article_again(built: Path, tmp_path: Path) -> None:
    root = fresh(built, tmp_path)
    manifest = root / ".pipeline-cache" / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    for entry in data["slugs"].values():
        del entry[3:]  # a cache that forgot the article's images
    manifest.write_text(json.dumps(data), "utf-8")
    shutil.rmtree(root / "output" / "images")
    result = run(root, "build", "--force")
    assert result.returncode == 0, result.stderr
    assert len(list((root / "output" / "images").iterdir())) == 2
