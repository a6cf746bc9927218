"""Images an article shows: which file each language uses, whether it is safe, how it is published.

An article names an image by a path relative to its own file
(``![Knee](images/knee.png)``). A language uses its own variant when one sits
next to the image, named ``<name>.<lang>.<ext>`` with the language's BCP 47 tag
(``images/knee.fr.png``), as Sphinx's ``figure_language_filename`` does, and
the source image otherwise.

Every image is read and checked before anything is published: PNG, JPEG, GIF
and WebP through Pillow (format, size, a pixel-count bomb, a truncated file);
SVG parsed as XML and refused when it could run script or fetch anything
(``<script>``, ``on*`` attributes, ``<foreignObject>``, a link or ``url()``
outside the file, a DOCTYPE). Nothing is fetched from the network: a remote
image would make the brochure depend on a server at build time and the page
on a server the publisher does not control.

Published images are content-addressed (``images/knee.3f2a9c1b7e.png``), so a
changed image is never served stale from a cache; raster images wider than a
phone screen get smaller copies for ``srcset``. This module reads and writes
no file: it works on bytes the build read once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import math
import posixpath
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote
from xml.etree import ElementTree

from pipeline.article import ImageRef
from pipeline.errors import PipelineError, SourceError
from pipeline.layout import IMAGE_DIR

MAX_BYTES = 20_000_000
"""Larger files are refused: no article image needs 20 MB."""
MAX_PIXELS = 40_000_000
"""Larger images are refused before they are decoded (a "pixel bomb" expands to gigabytes)."""
SRCSET_WIDTHS = (480, 960)
"""Smaller copies made for ``srcset`` when the image is wider."""
FIGURE_MAX_HEIGHT_IN = 120 / 25.4
"""A figure's height limit in a brochure (``print.css``: ``max-height: 120mm``)."""
PRINT_DPI = 150
"""Below this resolution at its printed size, an image is reported as too coarse to print."""
RASTER_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
SVG_TYPE = "image/svg+xml"
_SVG_NS = "{http://www.w3.org/2000/svg}"
_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


@dataclass(frozen=True)
class Rendition:
    path: str
    """Output-relative path (``images/knee.3f2a9c1b7e.960w.png``)."""
    width: int
    data: bytes


@dataclass(frozen=True)
class ImageAttrs:
    """What a page or a brochure needs to show one image (no bytes: it travels to workers)."""

    path: str
    """Output-relative path of the full-size file."""
    width: int
    height: int
    srcset: tuple[tuple[str, int], ...] = ()
    """(output-relative path, width) of every copy, narrowest first; empty for one size."""

    def html(self, prefix: str, *, lazy: bool) -> dict[str, str]:
        """``<img>`` attributes for a page ``prefix`` away from the output folder."""
        attrs = {"src": prefix + self.path, "width": str(self.width), "height": str(self.height)}
        if self.srcset:
            attrs["srcset"] = ", ".join(f"{prefix}{path} {width}w" for path, width in self.srcset)
            attrs["sizes"] = f"(max-width: 46rem) 100vw, {min(self.width, 736)}px"
        if lazy:
            attrs["loading"] = "lazy"
        attrs["decoding"] = "async"
        return attrs


@dataclass(frozen=True)
class PublishedImage:
    """One image file as a language publishes it."""

    src: str
    """As the article names it."""
    file: str
    """Project-relative path of the file used (the language's variant or the source image)."""
    media_type: str
    width: int
    height: int
    data: bytes
    renditions: tuple[Rendition, ...]
    """The published file first (full size), then smaller copies, narrowest first."""
    is_variant: bool = False
    """The file is a language's own version of the image (``knee.fr.png``)."""

    @property
    def path(self) -> str:
        return self.renditions[0].path

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def attrs(self) -> ImageAttrs:
        copies = sorted(self.renditions, key=lambda r: r.width) if len(self.renditions) > 1 else []
        return ImageAttrs(
            self.path, self.width, self.height, tuple((r.path, r.width) for r in copies)
        )

    def print_dpi(self, column_inches: float) -> float | None:
        """Resolution when printed as a figure: across a column ``column_inches`` wide, or
        narrower when the figure's height limit (:data:`FIGURE_MAX_HEIGHT_IN`) binds first;
        None for SVG."""
        if self.media_type == SVG_TYPE:
            return None
        printed = min(column_inches, FIGURE_MAX_HEIGHT_IN * self.width / self.height)
        return self.width / printed


def is_remote(src: str) -> bool:
    """A URL with a scheme (``https:``, ``data:``) or a host (``//cdn``), not a project file."""
    return bool(_REMOTE.match(src))


def resolve_src(src: str, article_dir: str) -> str:
    """The project-relative path an article's ``src`` names, or "" when it leaves the project.

    markdown-it percent-encodes a destination (``genou-é.png`` is ``genou-%C3%A9.png``):
    the file is the decoded name.
    """
    path = unquote(src.split("#", 1)[0].split("?", 1)[0])
    if not path or path.startswith("/") or "\\" in path:
        return ""
    joined = posixpath.normpath(posixpath.join(article_dir, path))
    return "" if joined.startswith("..") else joined


def variant_file(file: str, lang: str) -> str:
    """Where ``lang``'s own version of ``file`` would be: ``images/knee.fr.png``."""
    stem, dot, ext = file.rpartition(".")
    return f"{stem}.{lang}.{ext}" if dot else f"{file}.{lang}"


def published_type(path: str) -> str | None:
    """The media type of a published copy (``images/knee.3f2a9c1b7e.960w.png``), from the
    extension :func:`publish` gave it; None for another path."""
    ext = path.rpartition(".")[2].lower()
    if ext == "svg":
        return SVG_TYPE
    return next((t for t in RASTER_FORMATS.values() if _EXTENSIONS.get(t, t[6:]) == ext), None)


_EXTENSIONS = {"image/jpeg": "jpg"}
"""A published copy's extension where it is not its media type's subtype."""


def published_prefix(src: str, digest: str) -> str:
    """What every published copy of an image file starts with: ``images/<name>.<hash>.``,
    named after the image the article names (a variant with the same bytes is the same file).
    """
    name = posixpath.basename(unquote(src.split("#", 1)[0].split("?", 1)[0]))
    stem = unicodedata.normalize("NFKD", name.rpartition(".")[0] or name)
    stem = "".join(c for c in stem if not unicodedata.combining(c))
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "image"
    return f"{IMAGE_DIR}/{stem}.{digest[:10]}."


def _published_name(src: str, digest: str, ext: str, width: int | None = None) -> str:
    """``images/<name>.<hash>[.<width>w].<ext>``."""
    return published_prefix(src, digest) + (f"{width}w." if width else "") + ext


def _svg_size(root: ElementTree.Element) -> tuple[int, int]:
    sizes = []
    for name in ("width", "height"):
        match = _LENGTH.match(root.get(name, ""))
        sizes.append(float(match.group(1)) if match else 0.0)
    if not all(sizes):
        box = root.get("viewBox", "").replace(",", " ").split()
        if len(box) == 4:
            with contextlib.suppress(ValueError):
                sizes = [float(box[2]), float(box[3])]
    width, height = (round(s) for s in sizes)
    if width <= 0 or height <= 0:
        raise ValueError("an SVG needs a width and height, or a viewBox")
    return width, height


def check_svg(data: bytes) -> tuple[int, int]:
    """Size of a safe SVG; ``ValueError`` saying what makes it unsafe or unreadable.

    Strict by design: UTF-8 only, no DOCTYPE, no processing instruction
    (``<?xml-stylesheet?>``), no script or foreign content, no link or ``url()`` outside the
    file, no CSS ``@import`` and no CSS escape (``u\\72l(`` spells ``url(``).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("an SVG must be UTF-8 text") from None
    if "<!doctype" in text.lower() or "<!entity" in text.lower():
        raise ValueError("an SVG with a DOCTYPE or entities is not published")
    parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder(insert_pis=True))
    try:
        parser.feed(data)
        root = parser.close()
    except ElementTree.ParseError as exc:
        raise ValueError(f"not a readable SVG ({exc})") from None
    if root.tag != f"{_SVG_NS}svg":
        raise ValueError("not an SVG image (its root element is not <svg>)")
    if re.search(r"<\?(?!xml\s)", text.split("?>", 1)[-1] if text.startswith("<?xml") else text):
        raise ValueError("an SVG with a processing instruction is not published")
    for element in root.iter():
        if not isinstance(element.tag, str):  # a processing instruction the parser kept
            raise ValueError("an SVG with a processing instruction is not published")
        tag = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
        if tag in ("script", "foreignObject", "iframe", "embed", "object"):
            raise ValueError(f"an SVG with <{tag}> is not published (it could run or load)")
        style = (element.text or "") if tag == "style" else ""
        if _loads(style):
            raise ValueError("an SVG whose style loads another file is not published")
        for name, value in element.attrib.items():
            local = name.rpartition("}")[2]
            if local.lower().startswith("on"):
                raise ValueError(f"an SVG with an {local} attribute is not published")
            if local == "href" and not value.strip().startswith("#"):
                raise ValueError(f"an SVG that links to {value[:40]!r} is not published")
            if _loads(value):
                raise ValueError("an SVG whose style loads another file is not published")
    return _svg_size(root)


def _loads(css: str) -> bool:
    """CSS that could fetch something: ``url()`` not within the file, ``@import``, or an
    escape (which can spell either)."""
    return bool(_URL.search(css)) or "@import" in css.lower() or "\\" in css


def _raster(data: bytes) -> tuple[str, int, int]:
    """(media type, width, height) of a raster image; ``ValueError`` when unusable."""
    from PIL import Image  # only when an image is published: planning needs no Pillow

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
                width, height = image.size
                if kind not in RASTER_FORMATS:
                    raise ValueError(f"{kind or 'this'} images are not published (use PNG or JPEG)")
                if width * height > MAX_PIXELS:
                    raise ValueError(
                        f"{width} x {height} pixels is more than the {MAX_PIXELS:,} allowed"
                    )
                if _rotated(image):  # a phone's portrait photo: stored on its side
                    width, height = height, width
            with Image.open(io.BytesIO(data)) as image, _strict_decoding():
                image.load()  # every pixel decoded: a truncated file is refused here
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ValueError(f"too many pixels ({exc})") from None
        except (OSError, SyntaxError) as exc:
            raise ValueError(f"not a readable image ({exc})") from None
    return RASTER_FORMATS[kind], width, height


@contextlib.contextmanager
def _strict_decoding() -> Iterator[None]:
    """Pillow refusing truncated files, as it does by default (WeasyPrint, once imported,
    tells it to accept them for the whole process)."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _smaller(data: bytes, width: int) -> bytes:
    """The image scaled to ``width`` pixels wide, same format, turned upright as its EXIF
    orientation says, with its colour profile."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as original:
        kind = original.format
        profile = original.info.get("icc_profile")
        image = ImageOps.exif_transpose(original)
        height = max(1, round(image.height * width / image.width))
        resized = image.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        options: dict[str, object] = {"quality": 85} if kind == "JPEG" else {}
        if profile:
            options["icc_profile"] = profile
        resized.save(out, format=kind, **options)
        return out.getvalue()


def _rotated(image: object) -> bool:
    """Whether EXIF says the stored pixels are turned a quarter (orientations 5 to 8)."""
    getexif = getattr(image, "getexif", None)
    if getexif is None:
        return False
    return bool(getexif().get(0x0112, 1) in (5, 6, 7, 8))


def publish(src: str, file: str, data: bytes) -> PublishedImage:
    """Check one image file and name its published copies; ``ValueError`` when refused."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"{len(data):,} bytes is more than the {MAX_BYTES:,} allowed")
    head = data[:512].lstrip()
    digest = hashlib.sha256(data).hexdigest()
    ext = file.rpartition(".")[2].lower()
    if ext == "svg" or head.startswith((b"<?xml", b"<svg")):
        width, height = check_svg(data)
        full = Rendition(_published_name(src, digest, "svg"), width, data)
        return PublishedImage(src, file, SVG_TYPE, width, height, data, (full,))
    media_type, width, height = _raster(data)
    ext = _EXTENSIONS.get(media_type, media_type.rpartition("/")[2])
    renditions = [Rendition(_published_name(src, digest, ext), width, data)]
    if media_type in ("image/png", "image/jpeg", "image/webp"):
        for size in SRCSET_WIDTHS:
            if size < width * 0.8:
                copy = _smaller(data, size)
                name = _published_name(src, digest, ext, size)
                renditions.append(Rendition(name, size, copy))
    return PublishedImage(src, file, media_type, width, height, data, tuple(renditions))


Reader = Callable[[str], bytes | None]
"""Reads a project-relative file once per build: its bytes, or None when there is none."""


def choose(
    ref: ImageRef,
    article_path: str,
    lang: str,
    read: Reader,
    check: Callable[[str, str, bytes], PublishedImage] | None = None,
) -> PublishedImage:
    """The image ``lang`` shows for ``ref``: its variant when there is one, checked.

    Raises :class:`SourceError` at the article's line for a remote image, a
    path outside the project, a missing file, or a file that is refused.
    ``check`` is :func:`publish` or a memoized copy of it.
    """
    check = check or publish

    def refuse(reason: str) -> SourceError:
        return SourceError(f"image {ref.src!r}: {reason}", article_path, ref.line)

    if is_remote(ref.src):
        raise refuse(
            "remote images are not fetched at build time; save the file under the "
            "project and name it by a relative path"
        )
    file = resolve_src(ref.src, posixpath.dirname(article_path))
    if not file:
        raise refuse("the path leaves the project (use a path relative to the article)")
    candidates = [variant_file(file, lang), file]
    for candidate in candidates:
        try:
            data = read(candidate)
        except PipelineError as exc:  # a link, a FIFO, a folder where the image should be
            which = f"{ref.src!r}" if candidate == file else f"{ref.src!r} ({candidate})"
            raise SourceError(f"image {which}: {exc.message}", article_path, ref.line) from None
        if data is None:
            continue
        try:
            image = check(ref.src, candidate, data)
            return dataclasses.replace(image, is_variant=candidate != file)
        except ValueError as exc:
            raise SourceError(f"image {candidate!r}: {exc}", article_path, ref.line) from None
    raise refuse(f"file not found ({file})")


def image_problems(
    refs: Sequence[ImageRef],
    images: Sequence[PublishedImage],
    *,
    lang: str,
    source_lang: str,
    column_inches: float,
) -> list[tuple[ImageRef, str, str]]:
    """What a language's edition should fix about its images, as (image, check, message):
    warnings, never refusals. ``image-text``: an image marked as showing words has no
    version in this language; ``print-resolution``: a figure too coarse to print across
    the brochure's column."""
    problems: list[tuple[ImageRef, str, str]] = []
    for ref, image in zip(refs, images, strict=True):
        if ref.has_text and lang != source_lang and not image.is_variant:
            wanted = variant_file(posixpath.basename(image.file), lang)
            message = f"image {ref.src!r} shows words but has no {lang} version ({wanted})"
            problems.append((ref, "image-text", message))
        dpi = image.print_dpi(column_inches) if ref.figure else None
        if dpi is not None and dpi < PRINT_DPI:
            needed = math.ceil(PRINT_DPI * column_inches)
            message = (
                f"image {image.file!r} prints at {dpi:.0f} dpi across the brochure's "
                f"column ({PRINT_DPI} wanted): use a file at least {needed:,} px wide"
            )
            problems.append((ref, "print-resolution", message))
    return problems
