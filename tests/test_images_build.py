"""Images through a whole build: published beside the pages, shown, printed, checked.

The project's own article shows one SVG illustration, with a mirrored version for the
right-to-left languages (``treatment-steps.ar.svg``, ``treatment-steps.fa.svg``). Raster
images are made here with Pillow, as a camera or an editor saves them.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import polib
import pytest
from helpers import SLUG, copy_project, run
from PIL import Image
from pypdf import PdfReader

from pipeline.render.l10n import column_inches

LANGS = ("en", "ar", "bn", "fa", "fr", "ru")
STEPS = "source/images/treatment-steps.svg"
ALT_SOURCE = "Diagram: stem cells, then a laboratory flask, then a head with the brain"


def png(width: int, height: int, color: tuple[int, int, int] = (20, 110, 150)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 40):  # something to see, not a flat colour
        for y in range(height):
            image.putpixel((x, y), (250, 250, 250))
    image.save(out, format="PNG")
    return out.getvalue()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def alt_texts(root: Path) -> dict[str, str]:
    """The image's alt text in every language, from the catalogs (the source for en)."""
    found = {"en": next(m.msgid for m in polib.pofile(str(root / "locale" / f"{SLUG}.pot"))
                        if "image alt" in m.comment)}  # fmt: skip
    for lang in LANGS[1:]:
        po = polib.pofile(str(root / "locale" / lang / "LC_MESSAGES" / f"{SLUG}.po"))
        found[lang] = next(e.msgstr for e in po if "image alt" in e.comment)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("images") / "project")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    return root


def test_every_page_shows_its_image_with_its_own_alt_text(built: Path, chromium: Any) -> None:
    alts = alt_texts(built)
    assert alts["en"].startswith(ALT_SOURCE)
    source = (built / STEPS).read_bytes()
    mirrored = (built / "source/images/treatment-steps.ar.svg").read_bytes()
    for lang in LANGS:
        page = chromium.new_page()
        page.goto((built / "output" / lang / f"{SLUG}.html").as_uri())
        page.eval_on_selector("main img", "e => e.scrollIntoView()")  # it loads lazily
        page.wait_for_function("[...document.images].every(i => i.complete)")
        images = page.eval_on_selector_all(
            "main img",  # the article's, not the publisher's logo in the header
            "els => els.map(e => [e.getAttribute('src'), e.naturalWidth, e.alt, "
            "e.getAttribute('width'), e.getAttribute('height'), e.complete])",
        )
        page.close()
        expected = mirrored if lang in ("ar", "fa") else source
        assert images == [
            [
                f"../images/treatment-steps.{digest(expected)}.svg",
                960,
                alts[lang],
                "960",
                "360",
                True,
            ]
        ], lang
    assert sorted(p.name for p in (built / "output" / "images").iterdir()) == sorted(
        {f"treatment-steps.{digest(source)}.svg", f"treatment-steps.{digest(mirrored)}.svg"}
    )


def figure_alts(node: Any) -> list[str]:
    """The /Alt of every /Figure of a PDF's structure tree under ``node``."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        return [alt for child in node for alt in figure_alts(child)]
    if not isinstance(node, dict):
        return []
    own = [str(node["/Alt"])] if node.get("/S") == "/Figure" and "/Alt" in node else []
    return own + figure_alts(node.get("/K"))


def test_the_brochure_tags_the_figure_with_the_alt_text(built: Path) -> None:
    alts = alt_texts(built)
    for lang in ("en", "ar", "bn"):
        reader = PdfReader(built / "output" / lang / f"{SLUG}.pdf")
        figures = figure_alts(reader.trailer["/Root"]["/StructTreeRoot"])
        assert alts[lang] in figures, (lang, figures)


def small_project(tmp_path: Path, body: str, files: dict[str, bytes]) -> Path:
    """The project with one article of ``body`` (besides the real one) and image ``files``."""
    root = copy_project(tmp_path / "project", min_translated=0)
    head = (
        "---\ntitle: Knee care\nslug: knee\nlang: en\ndescription: About knees.\n"
        "publisher: MedTravellers\nreferences: []\n---\n\n"
    )
    (root / "source" / "knee.md").write_text(head + body, encoding="utf-8")
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


FIGURE = (
    '## The knee\n\n![An X-ray of a knee](images/knee.png "The knee after surgery")\n\nAfter.\n'
)


def test_a_raster_figure_is_printed_across_the_column_with_its_caption(tmp_path: Path) -> None:
    photo = png(1400, 700)
    root = small_project(tmp_path, FIGURE, {"source/images/knee.png": photo})
    result = run(root, "build", "--lang", "en")
    assert result.returncode == 0, result.stderr
    pdf = root / "output" / "en" / "knee.pdf"
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    rows = [line.split() for line in listed.stdout.splitlines()[2:]]
    photos = [row for row in rows if row[3:5] == ["1400", "700"]]
    assert len(photos) == 1, listed.stdout
    page = photos[0][0]
    text = subprocess.run(
        ["pdftotext", "-f", page, "-l", page, str(pdf), "-"], capture_output=True, text=True
    ).stdout
    assert "The knee after surgery" in text  # the caption, on the image's page
    x_ppi = float(photos[0][12])
    assert x_ppi == pytest.approx(1400 / column_inches("A4"), rel=0.02)
    page_html = (root / "output" / "en" / "knee.html").read_text("utf-8")
    name = f"knee.{digest(photo)}"
    assert f'src="../images/{name}.png"' in page_html
    assert f"../images/{name}.480w.png 480w, ../images/{name}.960w.png 960w" in page_html
    for width in (480, 960):
        with Image.open(root / "output" / "images" / f"{name}.{width}w.png") as copy:
            assert copy.size == (width, width // 2)


def test_a_coarse_figure_is_reported_with_its_line(tmp_path: Path) -> None:
    root = small_project(tmp_path, FIGURE, {"source/images/knee.png": png(600, 300)})
    result = run(root, "build", "--lang", "en")
    assert result.returncode == 0, result.stderr
    needed = f"{int(150 * column_inches('A4')) + 1:,}"
    dpi = round(600 / column_inches("A4"))
    assert (
        "pipeline: warning: source/knee.md:12: en: image 'source/images/knee.png' prints at "
        f"{dpi} dpi across the brochure's column (150 wanted): use a file at least {needed} px wide"
    ) in result.stderr.splitlines()
    check = run(root, "check")
    assert "[print-resolution]" in check.stdout and "source/knee.md:12" in check.stdout


def test_an_image_with_words_wants_each_language_version(tmp_path: Path) -> None:
    body = "<!-- image-text -->\n![A consent form](images/form.png)\n"
    files = {"source/images/form.png": png(1200, 600), "source/images/form.fr.png": png(1200, 600)}
    root = small_project(tmp_path, body, files)
    check = run(root, "check")
    flagged = re.findall(r"^(\w+): source/knee.md$", check.stdout, re.MULTILINE)
    assert sorted(flagged) == ["ar", "bn", "fa", "ru"]  # fr has its version; en is the source
    assert "shows words but has no ar version (form.ar.png)" in check.stdout
    assert check.returncode == 0  # warnings only


def test_a_changed_image_rebuilds_exactly_the_editions_that_show_it(built: Path) -> None:
    root = built.parent / "changed"
    shutil.copytree(built, root)
    steps = root / STEPS
    steps.write_text(steps.read_text("utf-8").replace("#f4f8fb", "#f6faf7"), "utf-8")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    rebuilt = sorted(re.findall(r"\] (\S+) \(", result.stderr))
    users = [f"{lang}/{SLUG}.{fmt}" for lang in ("bn", "en", "fr", "ru") for fmt in ("html", "pdf")]
    assert rebuilt == sorted(users)  # ar and fa show their own version: untouched
    old = (
        built / "output" / "images" / f"treatment-steps.{digest((built / STEPS).read_bytes())}.svg"
    )
    assert old.exists() and not (root / "output" / "images" / old.name).exists()
    assert (
        root / "output" / "images" / f"treatment-steps.{digest(steps.read_bytes())}.svg"
    ).exists()
    again = run(root, "build")
    assert "built 0 file(s)" in again.stdout


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels: a few bytes on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b"")


BOMB = png_header_only(100_000, 100_000)


@pytest.mark.parametrize(
    ("body", "files", "message"),
    [
        ("Intro.\n\n![A knee](images/missing.png)\n", {}, "file not found"),
        ("Intro.\n\n![A knee](../../etc/passwd)\n", {}, "the path leaves the project"),
        ("Intro.\n\n![A knee](https://cdn.example/k.png)\n", {}, "remote images are not fetched"),
        (
            "Intro.\n\n![A knee](images/k.svg)\n",
            {
                "source/images/k.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="9" '
                b'height="9"><script>alert(1)</script></svg>'
            },
            "<script>",
        ),
        ("Intro.\n\n![A knee](images/k.png)\n", {"source/images/k.png": BOMB}, "pixels"),
        ("Intro.\n\n![](images/k.png)\n", {"source/images/k.png": png(10, 10)}, "no alt text"),
    ],
    ids=["missing", "traversal", "remote", "svg script", "pixel bomb", "no alt"],
)
def test_a_bad_image_stops_the_build_at_its_line_and_writes_nothing(
    tmp_path: Path, body: str, files: dict[str, bytes], message: str
) -> None:
    root = small_project(tmp_path, body, files)
    result = run(root, "build")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pipeline: error: source/knee.md:12: ")
    assert message in lines[0]
    assert not (root / "output").exists() or not [
        p for p in (root / "output").rglob("*") if p.is_file()
    ]


def test_a_decorative_image_may_have_no_alt_text(tmp_path: Path) -> None:
    body = "<!-- decorative -->\n![](images/line.png)\n\nText.\n"
    root = small_project(tmp_path, body, {"source/images/line.png": png(800, 20)})
    result = run(root, "build", "--lang", "en")
    assert result.returncode == 0, result.stderr
    page = (root / "output" / "en" / "knee.html").read_text("utf-8")
    assert re.search(r'<img src="\.\./images/line\.[0-9a-f]{10}\.png"[^>]* alt="">', page)


def test_an_image_no_article_shows_is_removed(built: Path) -> None:
    root = built.parent / "removed"
    shutil.copytree(built, root)
    article = root / "source" / f"{SLUG}.md"
    text = article.read_text("utf-8")
    article.write_text(re.sub(r"\n!\[Diagram[^\n]*\n", "\n", text), "utf-8")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    assert list((root / "output" / "images").iterdir()) == []
    assert "removed stale images/treatment-steps." in result.stdout
