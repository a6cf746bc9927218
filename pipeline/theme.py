"""A publisher's theme: logo, colours, fonts and overrides, from a folder of the project.

Like MkDocs' ``custom_dir``, the folder named by ``[tool.pipeline] theme``
restyles pages and brochures without touching the package::

    theme/
      theme.toml          colours and fonts (below); every key optional
      logo.svg            the publisher's logo, on every cover, page and the index
      page.css            applied after the pipeline's page stylesheet
      print.css           applied after the pipeline's brochure stylesheet
      templates/*.html    a template of pipeline/templates, replaced by file name

.. code-block:: toml

    [colours]
    primary = "#085652"   # headings, links, rules (7:1 on white at least)
    tint = "#e8f3f1"      # the key points and contact boxes (text 4.5:1 on it at least)

    [fonts.body]          # installed families, before the pipeline's own for that language
    default = ["Noto Serif"]
    [fonts.headings]
    ar = ["Noto Kufi Arabic"]

A theme is read once per build from the bytes the build hashed, and travels
with every render job as text and bytes (:class:`Theme` is self-contained):
a worker never reads the project's disk for it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tinycss2

from pipeline.errors import ConfigError, SourceError
from pipeline.images import check_svg

COLOURS: Mapping[str, str] = {"primary": "#0b5c8a", "tint": "#eef5fa"}
"""The pipeline's own colours, as CSS custom properties ``--primary``/``--tint`` set them."""
TEXT_COLOUR = "#1d2327"
"""Body text, on white and on the tint."""
MIN_CONTRAST = 7.0
"""Text on white: WCAG 2.2 AAA (1.4.6), the bar the brochures hold for older readers."""
MIN_CONTRAST_TINT = 4.5
"""Text on the tint (the boxes' headings are large text): WCAG 2.2 AA (1.4.3) at least."""
FONT_ROLES = ("body", "headings")
STYLESHEETS = ("page.css", "print.css")
THEME_SETTINGS = "theme.toml"
THEME_LOGO = "logo.svg"

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FAMILY = re.compile(r"^[\w][\w .-]*$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")

Reader = Callable[[Path], "bytes | None"]


@dataclass(frozen=True)
class Theme:
    """Everything a renderer needs of a theme, as values (no paths)."""

    folder: str = ""
    """The theme's folder as messages name it; empty for the pipeline's own look."""
    logo_svg: bytes = b""
    colours: tuple[tuple[str, str], ...] = ()
    fonts: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """(role, language or "default", families) in file order."""
    templates: tuple[tuple[str, str], ...] = ()
    """Template file name -> source, replacing the package's template of that name."""
    stylesheets: tuple[tuple[str, str], ...] = ()
    """``page.css``/``print.css`` -> CSS applied after the package's stylesheet."""
    digest: str = ""

    @property
    def logo_uri(self) -> str:
        if not self.logo_svg:
            return ""
        return "data:image/svg+xml;base64," + base64.b64encode(self.logo_svg).decode("ascii")

    def stylesheet(self, name: str) -> str:
        return dict(self.stylesheets).get(name, "")

    def colours_css(self) -> str:
        """The colours as ``:root`` custom properties, the theme's over the pipeline's."""
        colours = {**COLOURS, **dict(self.colours)}
        return ":root { " + " ".join(f"--{k}: {v};" for k, v in colours.items()) + " }\n"


NO_THEME = Theme()


_ACTIVE = re.compile(
    r"<\s*/?\s*(?:script|iframe|frame|object|embed|applet|base|form)\b"
    r"|<\s*link\b[^>]*\brel\s*=\s*[\"']?[^\"'>]*\b(?:stylesheet|preload|prefetch|import|icon"
    r"|manifest|modulepreload|dns-prefetch|preconnect|prerender)"
    r"|<\s*meta\b[^>]*http-equiv"
    r"|\son[a-z]+\s*=|javascript:|vbscript:"
    r"|\b(?:src|srcset|poster|data|action|formaction|background)\s*=\s*[\"']?\s*(?:[a-z]+:|//)",
    re.IGNORECASE,
)
"""What in a theme template could run or load something: a page is read by patients, who
must not be tracked or served another site's script. Links (``href``) stay allowed."""


_INLINE_CSS = re.compile(
    r"<style\b[^>]*>(?P<sheet>.*?)</style>|\sstyle\s*=\s*(?:\"(?P<attr>[^\"]*)\"|'[^']*')",
    re.IGNORECASE | re.DOTALL,
)
"""CSS inside a theme template, checked as its stylesheets are."""


def theme_templates(folder: Path) -> list[Path]:
    """The templates of a theme's folder, not an editor's hidden, swap or backup files."""
    return sorted(
        path
        for path in folder.iterdir()
        if not path.name.startswith(".") and not path.name.endswith(("~", ".swp", ".bak"))
    )


def css_problem(css: str) -> tuple[int, str] | None:
    """(line, why) when a theme stylesheet could load something or escape its <style>.

    Read with tinycss2 (WeasyPrint's CSS tokenizer), so escapes are decoded as a browser
    decodes them: ``@\\69mport`` is an ``@import``. Only ``data:`` and relative URLs load.
    """
    if re.search(r"</\s*style", css, re.IGNORECASE):
        return 1 + css[: re.search(r"</\s*style", css, re.IGNORECASE).start()].count("\n"), (  # type: ignore[union-attr]
            "a theme stylesheet may not close the <style> it is put in"
        )

    def remote(value: str) -> bool:
        text = value.strip().lower()
        return text.startswith("//") or (
            bool(re.match(r"[a-z][a-z0-9+.-]*:", text)) and not (text.startswith("data:"))
        )

    def walk(tokens: Iterable[Any]) -> tuple[int, str] | None:
        for token in tokens:
            kind = getattr(token, "type", "")
            line = getattr(token, "source_line", 1)
            if kind == "at-rule" and token.lower_at_keyword in ("import", "namespace"):
                return line, f"a theme stylesheet may not @{token.lower_at_keyword} another file"
            if kind == "at-keyword" and token.lower_value in ("import", "namespace"):
                return line, f"a theme stylesheet may not @{token.lower_value} another file"
            if kind == "url" and remote(token.value):
                return line, f"a theme stylesheet may not load {token.value[:60]!r}"
            if kind == "string" and remote(token.value):
                return line, f"a theme stylesheet may not load {token.value[:60]!r}"
            if kind == "function" and token.lower_name == "url":
                args = [a for a in token.arguments if getattr(a, "type", "") == "string"]
                if any(remote(a.value) for a in args):
                    return line, "a theme stylesheet may not load another site's file"
            for attr in ("prelude", "content", "arguments"):
                inner = getattr(token, attr, None)
                if inner:
                    found = walk(inner)
                    if found:
                        return found
        return None

    return walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)) or walk(
        tinycss2.parse_component_value_list(css, skip_comments=True)  # a style="" attribute
    )


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2.2) of ``#rgb``/``#rrggbb``."""
    hexa = colour.lstrip("#")
    if len(hexa) == 3:
        hexa = "".join(ch * 2 for ch in hexa)
    channels = [int(hexa[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _line_of(text: str, section: str, key: str) -> int | None:
    """The line of ``key = ...`` in the ``[section]`` table of a TOML text (tomllib keeps no
    positions); the first such line anywhere when the table is written otherwise."""
    rows = text.splitlines()
    header = re.compile(rf"\s*\[\s*{re.escape(section)}\s*\]\s*(#.*)?$")
    assignment = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
    starts = [n for n, row in enumerate(rows) if header.match(row)]
    for start in starts:
        for number in range(start + 1, len(rows)):
            if re.match(r"\s*\[", rows[number]):
                break
            if assignment.match(rows[number]):
                return number + 1
    return next((n for n, row in enumerate(rows, 1) if assignment.match(row)), None)


def parse_theme_toml(
    text: str, where: str, installed: Callable[[str], bool]
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, tuple[str, ...]], ...]]:
    """Colours and fonts of ``theme.toml``; every problem raises at its line."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        message = str(exc)[: at.start()].rstrip() if at else str(exc)
        raise ConfigError(f"invalid TOML: {message}", where, int(at[1]) if at else None) from None

    def refuse(message: str, key: str, section: str = "colours") -> ConfigError:
        return ConfigError(message, where, _line_of(text, section, key))

    unknown = sorted(set(table) - {"colours", "fonts"})
    if unknown:
        raise ConfigError(f"unknown table {unknown[0]!r} (known: colours, fonts)", where)
    colours = table.get("colours", {})
    if not isinstance(colours, dict):
        raise ConfigError("colours must be a table", where)
    for key, value in colours.items():
        if key not in COLOURS:
            raise refuse(f"unknown colour {key!r} (known: {', '.join(COLOURS)})", key)
        if not isinstance(value, str) or not _HEX.match(value):
            raise refuse(f"colour {key} {value!r} is not like '#0b6e6e'", key)
    chosen = {**COLOURS, **colours}
    pairs = (
        ("primary", "primary", "white", chosen["primary"], "#ffffff", MIN_CONTRAST),
        ("tint", "the text", "the tint", TEXT_COLOUR, chosen["tint"], MIN_CONTRAST_TINT),
        ("primary", "primary", "the tint", chosen["primary"], chosen["tint"], MIN_CONTRAST_TINT),
    )
    for key, what, ground, fore, back, least in pairs:
        ratio = contrast(fore, back)
        if ratio < least:
            raise refuse(
                f"{what} colour {fore} on {ground} {back} has a contrast of {ratio:.2f}:1, under "
                f"the {least:g}:1 the pages and brochures keep: readers with low vision could "
                "not read it",
                key,
            )
    fonts: list[tuple[str, str, tuple[str, ...]]] = []
    font_table = table.get("fonts", {})
    if not isinstance(font_table, dict):
        raise ConfigError("fonts must be a table of body and headings", where)
    for role, by_lang in font_table.items():
        if role not in FONT_ROLES or not isinstance(by_lang, dict):
            raise refuse(f"unknown font role {role!r} (known: body, headings)", role, "fonts")
        for lang, families in by_lang.items():
            if lang != "default" and not _LANG.match(lang):
                raise refuse(
                    f"{lang!r} is not a language tag (or 'default')", lang, f"fonts.{role}"
                )
            if isinstance(families, str):
                families = [families]
            if not isinstance(families, list) or not families:
                raise refuse(
                    f"fonts.{role}.{lang} must be a list of font families", lang, f"fonts.{role}"
                )
            for family in families:
                if not isinstance(family, str) or not _FAMILY.match(family):
                    raise refuse(f"{family!r} is not a font family name", lang, f"fonts.{role}")
                if not installed(family):
                    raise refuse(
                        f"font {family!r} is not installed (fontconfig does not know it): "
                        "install it, or name one that `fc-list : family` lists",
                        lang,
                        f"fonts.{role}",
                    )
            fonts.append((role, lang, tuple(families)))
    return tuple(sorted(colours.items())), tuple(fonts)


def load_theme(
    root: Path,
    folder: str,
    read: Reader,
    *,
    templates: Iterable[str],
    installed: Callable[[str], bool],
) -> Theme:
    """The theme in ``root/folder`` read through ``read`` (the build's hashed reader).

    ``templates`` are the package's template names a theme may replace;
    ``installed`` says whether fontconfig knows a family.
    """
    if not folder:
        return NO_THEME
    base = root / folder
    if base.is_symlink() or (base.exists() and not base.resolve().is_relative_to(root.resolve())):
        raise ConfigError(
            f"the theme folder {folder}/ is a link: name the folder itself", "pyproject.toml"
        )
    if not base.is_dir():
        raise ConfigError(f"the theme folder {folder}/ does not exist", "pyproject.toml")
    known = set(templates)
    digest = hashlib.sha256()

    def take(path: Path) -> bytes | None:
        data = read(path)
        digest.update(f"{path.relative_to(base).as_posix()}\0".encode())
        digest.update(b"-" if data is None else hashlib.sha256(data).digest())
        return data

    def where(path: Path) -> str:
        return f"{folder}/{path.relative_to(base).as_posix()}"

    def text_of(path: Path) -> str | None:
        data = take(path)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise SourceError("not UTF-8 text", where(path), line) from None

    colours: tuple[tuple[str, str], ...] = ()
    fonts: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    settings = text_of(base / THEME_SETTINGS)
    if settings is not None:
        colours, fonts = parse_theme_toml(settings, where(base / THEME_SETTINGS), installed)
    logo = take(base / THEME_LOGO) or b""
    if logo:
        try:
            check_svg(logo)
        except ValueError as exc:
            raise SourceError(f"the logo is refused: {exc}", where(base / THEME_LOGO)) from None
    stylesheets = []
    for name in STYLESHEETS:
        css = text_of(base / name)
        if css is not None:
            problem = css_problem(css)
            if problem:
                raise SourceError(problem[1], where(base / name), problem[0])
            stylesheets.append((name, css))
    overrides = []
    template_dir = base / "templates"
    if template_dir.is_dir():
        for path in theme_templates(template_dir):
            if path.name not in known:
                raise ConfigError(
                    f"no template of the pipeline is called {path.name} (a theme replaces one "
                    f"of: {', '.join(sorted(known))})",
                    where(path),
                )
            source = text_of(path)
            if source is not None:
                active = _ACTIVE.search(source)
                if active:
                    line = source.count("\n", 0, active.start()) + 1
                    raise SourceError(
                        f"{active.group().strip()!r}: a theme template may not run script, "
                        "embed or load anything from another site; link to it instead",
                        where(path),
                        line,
                    )
                for inline in _INLINE_CSS.finditer(source):
                    problem = css_problem(inline.group("sheet") or inline.group("attr") or "")
                    if problem:
                        line = source.count("\n", 0, inline.start()) + problem[0]
                        raise SourceError(problem[1], where(path), line)
                overrides.append((path.name, source))
    return Theme(
        folder=folder,
        logo_svg=logo,
        colours=colours,
        fonts=fonts,
        templates=tuple(overrides),
        stylesheets=tuple(stylesheets),
        digest=digest.hexdigest(),
    )
