"""Image files as cameras, phones and file systems make them: rotated, truncated, linked,
named with accents."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from helpers import copy_project, run
from PIL import Image

from pipeline.article import ImageRef
from pipeline.errors import SourceError
from pipeline.images import choose, publish
from pipeline.reading import check_inside, read_regular


def jpeg(width: int, height: int, orientation: int | None = None) -> bytes:
    image = Image.new("RGB", (width, height), (200, 40, 40))
    for x in range(width // 2):  # the left half dark: shows which way is up
        for y in range(0, height, 7):
            image.putpixel((x, y), (10, 10, 10))
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def test_a_phone_photo_taken_upright_is_sized_and_copied_upright() -> None:
    photo = jpeg(1200, 800, orientation=6)  # stored landscape, shown portrait
    image = publish("p.jpg", "source/p.jpg", photo)
    assert (image.width, image.height) == (800, 1200)
    copy = next(r for r in image.renditions if r.width == 480)
    with Image.open(io.BytesIO(copy.data)) as small:
        assert small.size == (480, 720)
        assert small.getexif().get(0x0112, 1) == 1


def test_a_truncated_jpeg_is_refused_at_the_article_line() -> None:
    photo = jpeg(1200, 800)
    files = {"source/images/p.jpg": photo[: len(photo) // 2]}
    with pytest.raises(SourceError) as error:
        choose(ImageRef("images/p.jpg", 9), "source/a.md", "en", files.get)
    assert str(error.value).startswith("source/a.md:9: image 'source/images/p.jpg': not a readable")


def test_a_file_name_with_accents_and_spaces_is_found() -> None:
    files = {"source/images/genou opéré.jpg": jpeg(100, 80)}
    ref = ImageRef("images/genou%20op%C3%A9r%C3%A9.jpg", 3)  # as markdown-it gives it
    image = choose(ref, "source/a.md", "fr", files.get)
    assert image.file == "source/images/genou opéré.jpg"
    assert image.path.startswith("images/genou-opere.") and image.path.endswith(".jpg")


def test_a_folder_where_an_image_should_be_is_named_with_the_article_line(tmp_path: Path) -> None:
    (tmp_path / "source" / "images" / "p.jpg").mkdir(parents=True)

    def read(name: str) -> bytes | None:
        return read_regular(tmp_path / name, name)

    with pytest.raises(SourceError) as error:
        choose(ImageRef("images/p.jpg", 4), "source/a.md", "en", read)
    assert str(error.value) == (
        "source/a.md:4: image 'images/p.jpg': not a regular file; only regular files are read"
    )


def test_a_linked_folder_cannot_bring_a_file_from_outside(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", min_translated=0)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(jpeg(50, 50))
    os.symlink(outside, root / "source" / "ext")
    with pytest.raises(Exception, match="leads outside the project"):
        check_inside(root, "source/ext/secret.jpg")
    article = root / "source" / "linked.md"
    article.write_text(
        "---\ntitle: Linked\nslug: linked\nlang: en\ndescription: D.\npublisher: P\n"
        "references: []\n---\n\n![A red square](ext/secret.jpg)\n",
        encoding="utf-8",
    )
    result = run(root, "build", "--lang", "en")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        "pipeline: error: source/linked.md:10: image 'ext/secret.jpg' (source/ext/secret.en.jpg): "
        "a symbolic link leads outside the project"
    ), result.stderr
    assert not list((root / "output").rglob("secret*"))


@pytest.mark.parametrize(
    ("front", "body", "line", "where"),
    [
        ("title: Test ![t](https://evil.example/t.png)", "Text.\n", 2, "title"),
        ("description: See ![d](images/d.png)", "Text.\n", 5, "description"),
        (
            "title: T",
            '![A knee](k.png "See ![t](https://evil.example/t.png)")\n',
            10,
            "image caption",
        ),
    ],
)
def test_an_image_outside_the_body_is_refused(front: str, body: str, line: int, where: str) -> None:
    from pipeline.markdown import parse_article

    fields = {"title": "T", "slug": "t", "lang": "en", "description": "D.", "publisher": "P"}
    key = front.split(":", 1)[0]
    head = "".join(
        f"{front}\n" if name == key else f"{name}: {value}\n" for name, value in fields.items()
    )
    text = f"---\n{head}references: []\n---\n\n{body}"
    with pytest.raises(SourceError) as error:
        parse_article(text, "source/t.md")
    assert str(error.value).startswith(
        f"source/t.md:{line}: an image in the {where} is not published"
    )


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("Intro `a\nb` text\nmore ![](x.png)\n", 12),  # a code span across lines
        ("Intro ![first\nalt](a.png) and\n\n![](b.png)\n", 13),  # an alt text across lines
        ("Line one\nline two ![](x.png)\n", 11),
    ],
)
def test_an_image_is_named_at_its_own_line(body: str, line: int) -> None:
    from pipeline.markdown import parse_article

    head = (
        "---\ntitle: T\nslug: t\nlang: en\ndescription: D.\npublisher: P\nreferences: []\n---\n\n"
    )
    with pytest.raises(SourceError) as error:
        parse_article(head + body, "source/t.md")
    assert str(error.value).startswith(f"source/t.md:{line}: image ")


def test_a_truncated_image_is_refused_even_after_weasyprint_relaxed_pillow() -> None:
    import weasyprint  # noqa: F401  (it sets ImageFile.LOAD_TRUNCATED_IMAGES for the process)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    photo = jpeg(1200, 800)
    with pytest.raises(ValueError, match="not a readable image"):
        publish("p.jpg", "source/p.jpg", photo[: len(photo) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # left as WeasyPrint wants it
