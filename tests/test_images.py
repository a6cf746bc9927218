"""Article images: which file a language shows, what is refused, how copies are named.

Images here are made with Pillow (as a camera or an editor would save them)
or written as the SVG an illustrator's tool exports; the hostile ones are
the classic attacks: a PNG whose header claims billions of pixels, an SVG with
script, event handlers, external references and entity expansion.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from pipeline.article import ImageRef
from pipeline.errors import SourceError
from pipeline.images import (
    SVG_TYPE,
    check_svg,
    choose,
    is_remote,
    publish,
    resolve_src,
    variant_file,
)
from pipeline.layout import IMAGE_DIR

ARTICLE = "source/knee.md"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#08a"/></linearGradient></defs>'
    b'<rect width="640" height="360" fill="url(#g)"/><use href="#g"/></svg>'
)


def png(width: int, height: int, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 160)).save(out, format=fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with one row of data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def reader(files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    return files.get


def test_a_language_uses_its_variant_and_the_others_the_source() -> None:
    files = {"source/images/knee.png": png(300, 200), "source/images/knee.fr.png": png(320, 200)}
    ref = ImageRef("images/knee.png", 12)
    french = choose(ref, ARTICLE, "fr", reader(files))
    russian = choose(ref, ARTICLE, "ru", reader(files))
    assert french.file == "source/images/knee.fr.png" and french.width == 320
    assert russian.file == "source/images/knee.png" and russian.width == 300
    assert french.is_variant and not russian.is_variant
    assert french.path != russian.path
    assert variant_file("source/images/knee.png", "pt-BR") == "source/images/knee.pt-BR.png"


def test_published_names_change_with_the_content() -> None:
    first = publish("a.png", "source/a.png", png(100, 100))
    second = publish("a.png", "source/a.png", png(101, 100))
    assert first.path.startswith(f"{IMAGE_DIR}/a.") and first.path.endswith(".png")
    assert first.path != second.path
    assert publish("a.png", "source/a.png", png(100, 100)).path == first.path


def test_wide_raster_images_get_smaller_copies_for_srcset() -> None:
    image = publish("wide.jpg", "source/wide.jpg", png(1600, 900, "JPEG"))
    assert image.media_type == "image/jpeg" and (image.width, image.height) == (1600, 900)
    assert [r.width for r in image.renditions] == [1600, 480, 960]
    for rendition in image.renditions[1:]:
        with Image.open(io.BytesIO(rendition.data)) as copy:
            assert copy.format == "JPEG" and copy.width == rendition.width
            assert copy.height == round(900 * rendition.width / 1600)
    attrs = image.attrs.html("../", lazy=True)
    srcset = attrs["srcset"]
    assert srcset.split(", ")[0] == f"../{image.renditions[1].path} 480w"
    assert srcset.endswith(f"../{image.path} 1600w")
    assert (attrs["src"], attrs["width"], attrs["height"]) == (f"../{image.path}", "1600", "900")
    assert attrs["loading"] == "lazy"
    small = publish("s.png", "source/s.png", png(400, 300)).attrs.html("../", lazy=False)
    assert "srcset" not in small and "loading" not in small


def test_print_resolution_is_pixels_over_the_printed_width() -> None:
    image = publish("a.png", "source/a.png", png(600, 400))
    assert image.print_dpi(6.0) == pytest.approx(100.0)
    tall = publish("t.png", "source/t.png", png(1000, 2000))  # held to 120 mm high: 60 mm wide
    assert tall.print_dpi(6.0) == pytest.approx(1000 / (120 / 25.4 / 2))
    assert publish("d.svg", "source/d.svg", SVG).print_dpi(6.0) is None


def test_a_clean_svg_is_published_with_its_size() -> None:
    image = publish("d.svg", "source/d.svg", SVG)
    assert image.media_type == SVG_TYPE and (image.width, image.height) == (640, 360)
    assert image.data == SVG and image.path.endswith(".svg")
    sized = SVG.replace(b'viewBox="0 0 640 360"', b'width="320px" height="180"')
    assert check_svg(sized) == (320, 180)


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            b"<script>alert(1)</script></svg>",
            "<script>",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9" onload="alert(1)"/>',
            "onload",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink" '
            b'width="9" height="9"><image x:href="https://tracker.example/p.png"/></svg>',
            "links to",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            b'<rect style="fill: url(https://evil.example/x)"/></svg>',
            "loads another file",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            b"<style>@import url(https://evil.example/a.css);</style></svg>",
            "loads another file",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            b"<foreignObject><p>hi</p></foreignObject></svg>",
            "<foreignObject>",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text>&b;</text></svg>',
            "DOCTYPE",
        ),
        (b"<svg width='9' height='9'/>", "not an SVG image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "width and height"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="9"', "not a readable SVG"),
        (
            b'<?xml version="1.0"?><?xml-stylesheet href="http://host/x.css"?>'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
            "processing instruction",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            b'<style>@IMPORT "http://host/x.css"</style></svg>',
            "loads another file",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            b'<rect style="fill:u\\72l(http://host/y.svg#a)"/></svg>',
            "loads another file",
        ),
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE svg [<!ENTITY a "x">]>'
            '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'.encode("utf-16"),
            "UTF-8",
        ),
    ],
    ids=[
        "script",
        "event handler",
        "external image",
        "external url in style",
        "css import",
        "foreignObject",
        "entity expansion",
        "no namespace",
        "no size",
        "truncated",
        "stylesheet instruction",
        "css import in capitals",
        "css escape",
        "utf-16 with entities",
    ],
)
def test_unsafe_or_broken_svg_is_refused(svg: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=None) as error:
        check_svg(svg)
    assert reason in str(error.value)


def test_a_pixel_bomb_is_refused_before_it_is_decoded() -> None:
    bomb = png_header_only(100_000, 100_000)  # 10 gigapixels in a 100-byte file
    assert len(bomb) < 200
    with pytest.raises(ValueError, match="pixels"):
        publish("bomb.png", "source/bomb.png", bomb)
    with pytest.raises(ValueError, match="40,000,000 allowed"):
        publish("big.png", "source/big.png", png_header_only(8000, 6000))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a" + b"\0" * 3, "not a readable image"),
        (b"%PDF-1.7\n", "not a readable image"),
        (png(40, 30)[:60], "not a readable image"),
        (png(40, 30, "BMP"), "BMP images are not published"),
    ],
    ids=["truncated gif", "a pdf", "truncated png", "bmp"],
)
def test_files_that_are_not_publishable_images_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        publish("x.png", "source/x.png", data)


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        ("https://cdn.example/knee.png", "remote images are not fetched"),
        ("//cdn.example/knee.png", "remote images are not fetched"),
        ("data:image/png;base64,iVBORw0K", "remote images are not fetched"),
        ("../../etc/passwd", "the path leaves the project"),
        ("/etc/passwd", "the path leaves the project"),
        ("images/missing.png", "file not found"),
    ],
)
def test_bad_references_are_refused_at_the_article_line(src: str, reason: str) -> None:
    with pytest.raises(SourceError) as error:
        choose(ImageRef(src, 7), ARTICLE, "fr", reader({}))
    assert str(error.value).startswith(f"{ARTICLE}:7: image {src!r}: {reason}")


def test_a_refused_file_is_named_with_the_article_line() -> None:
    files = {"source/images/knee.png": png(10, 10), "source/images/knee.fr.png": b"not an image"}
    with pytest.raises(SourceError) as error:
        choose(ImageRef("images/knee.png", 3), ARTICLE, "fr", reader(files))
    assert str(error.value).startswith(
        f"{ARTICLE}:3: image 'source/images/knee.fr.png': not a readable image"
    )


def test_paths_resolve_against_the_article_folder() -> None:
    assert resolve_src("images/a.png", "source") == "source/images/a.png"
    assert resolve_src("../shared/a.png", "source") == "shared/a.png"
    assert resolve_src("../../a.png", "source") == ""
    assert resolve_src("a.png#frag", "source") == "source/a.png"
    assert is_remote("HTTPS://x") and is_remote("mailto:a@b") and not is_remote("a/b:c.png")


def test_the_project_sample_images_are_published() -> None:
    from helpers import ROOT

    paths = sorted((ROOT / "source" / "images").glob("*.svg"))
    assert [p.name for p in paths] == [
        "treatment-steps.ar.svg", "treatment-steps.fa.svg", "treatment-steps.svg"
    ]  # fmt: skip
    for path in paths:
        image = publish(path.name, f"source/images/{path.name}", path.read_bytes())
        assert (image.width, image.height) == (960, 360)
