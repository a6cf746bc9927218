"""The project on disk: its root, its one typed configuration, and where things live."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel import Locale, UnknownLocaleError

from pipeline.contact import Contact, contact_from_table
from pipeline.errors import ConfigError
from pipeline.pseudo import PSEUDO_LOCALES

PAPER_SIZES = ("A4", "letter", "legal", "A5")
UI_DOMAIN = "ui"
"""The gettext domain of the page and brochure templates; every article is a domain of its own."""

Validator = Callable[[Any], Any]


def _setting(default: Any, validate: Validator, doc: str) -> Any:
    """A field of ``[tool.pipeline]``: its default, how a value is checked, what it means."""
    metadata = {"validate": validate, "doc": doc}
    if isinstance(default, Mapping):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _folder(value: Any) -> str:
    text = _string(value)
    if not text or Path(text).is_absolute() or ".." in Path(text).parts:
        raise ValueError("must be a folder inside the project, like 'output'")
    return text


def _optional_folder(value: Any) -> str:
    return _folder(value) if value != "" else ""


def _language(value: Any) -> str:
    text = _string(value)
    parse_locale(text)
    return text


def _url(value: Any) -> str:
    text = _string(value)
    if text and not re.match(r"^https?://[^/\s]+", text):
        raise ValueError("must be an http(s):// address, or empty")
    return text


def _terms(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise ValueError("must be a list of names")
    return tuple(value)


def _files(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of files inside the project")
    for text in value:
        if not text or Path(text).is_absolute() or ".." in Path(text).parts:
            raise ValueError(f"{text!r} is not a file inside the project")
        if not text.endswith((".po", ".tmx")):
            raise ValueError(f"{text!r} is neither a PO compendium (.po) nor a TMX file (.tmx)")
    return tuple(value)


def _review_rule(value: Any) -> Mapping[str, bool]:
    """``true``/``false`` for every language, or a table: ``{default = true, fr = false}``."""
    if isinstance(value, bool):
        return {"default": value}
    if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
        raise ValueError("must be true, false, or a table of languages to true/false")
    return {k if k == "default" else to_bcp47(str(k)): v for k, v in value.items()}


def _glossary_file(value: Any) -> str:
    text = _string(value)
    if text and (Path(text).is_absolute() or ".." in Path(text).parts):
        raise ValueError("must be a file inside the project")
    if text and not text.endswith((".tbx", ".yaml", ".yml")):
        raise ValueError("must be a TBX (.tbx) or YAML (.yaml) glossary")
    return text


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("must be a number between 0 and 1")
    return float(value)


def _paper(value: Any) -> Mapping[str, str]:
    if not isinstance(value, dict) or not all(v in PAPER_SIZES for v in value.values()):
        raise ValueError(f"must map languages to one of {', '.join(PAPER_SIZES)}")
    return {to_bcp47(str(k)): str(v) for k, v in value.items()}


@functools.lru_cache(maxsize=64)
def _resolved(path: Path) -> Path:
    return path.resolve()


@dataclass(frozen=True)
class Config:
    """``[tool.pipeline]`` of ``pyproject.toml``, validated once."""

    root: Path
    source_language: str = _setting("en", _language, "language of source/*.md")
    source_dir: str = _setting("source", _folder, "where the articles are")
    locale_dir: str = _setting("locale", _folder, "where the catalogs are")
    output_dir: str = _setting("output", _folder, "what is published")
    cache_dir: str = _setting(".pipeline-cache", _folder, "the build's own state (manifest, lock)")
    site_url: str = _setting("", _url, "public address of output/")
    do_not_translate: tuple[str, ...] = _setting(
        (), _terms, "names every translation keeps verbatim"
    )
    glossary: str = _setting(
        "", _glossary_file, "terminology each translation follows (.tbx, .yaml)"
    )
    memory: tuple[str, ...] = _setting(
        (), _files, "translation memories besides the project's catalogs (.po, .tmx)"
    )
    min_translated: float = _setting(
        0.8, _share, "share of entries a language needs to be published"
    )
    min_translated_words: float = _setting(
        0.0, _share, "share of the source's words a language needs translated to be published"
    )
    require_review: Mapping[str, bool] = _setting(
        MappingProxyType({"default": False}),
        _review_rule,
        "publish only revised translations (pipeline review); per language in a table",
    )
    min_reviewed: float = _setting(
        1.0, _share, "share of words revised when review is required (critical ones always)"
    )
    theme: str = _setting(
        "", _optional_folder, "the publisher's theme: logo, colours, fonts, overrides (a folder)"
    )
    contact: Contact = field(
        default_factory=Contact,
        metadata={
            "validate": contact_from_table,
            "doc": "phone, whatsapp, email, address, hours of the publisher",
        },
    )
    paper: Mapping[str, str] = _setting(
        MappingProxyType({}), _paper, "paper size per language, over CLDR's (a copy is kept)"
    )

    @property
    def source_path(self) -> Path:
        return self.root / self.source_dir

    @property
    def locale_path(self) -> Path:
        return self.root / self.locale_dir

    @property
    def output_path(self) -> Path:
        return self.root / self.output_dir

    @property
    def cache_path(self) -> Path:
        return self.root / self.cache_dir

    def relative(self, path: Path) -> str:
        """How messages and PO references name a project file."""
        root = _resolved(self.root)
        for candidate in (path.absolute(), path.resolve()):  # a symbolic link by its own name
            try:
                return candidate.relative_to(root).as_posix()
            except ValueError:
                continue
        return str(path)

    def articles(self) -> list[Path]:
        return sorted(self.source_path.glob("*.md"))

    def languages(self) -> list[str]:
        """Target languages: every ``locale/<lang>/LC_MESSAGES`` folder, as BCP 47 tags.

        A folder whose name is not the gettext spelling of a language the
        project can publish (``fr_FR@evil``, ``en_XA``, ``pt_br``) is an error.
        """
        if not self.locale_path.is_dir():
            return []
        found = []
        for entry in self.locale_path.iterdir():
            if not (entry / "LC_MESSAGES").is_dir() or entry.name == self.source_language:
                continue
            where = self.relative(entry)
            tag = language_tag(entry.name, where=where)
            if to_gettext(tag) != entry.name:
                raise ConfigError(f"name the folder {to_gettext(tag)!r}, as gettext does", where)
            found.append(tag)
        return sorted(found)

    def pot_path(self, domain: str) -> Path:
        return self.locale_path / f"{domain}.pot"

    def po_path(self, lang: str, domain: str) -> Path:
        return self.locale_path / to_gettext(lang) / "LC_MESSAGES" / f"{domain}.po"

    def review_path(self, lang: str, domain: str) -> Path:
        """The record of a second linguist's sign-off (:mod:`pipeline.review`)."""
        return self.locale_path / to_gettext(lang) / "reviews" / f"{domain}.json"

    def review_required(self, lang: str) -> bool:
        rule = self.require_review
        return bool(rule.get(lang, rule.get("default", False)))


def to_gettext(lang: str) -> str:
    """``pt-BR`` -> ``pt_BR``: the folder name gettext and PO editors expect."""
    return lang.replace("-", "_")


def to_bcp47(lang: str) -> str:
    """``pt_BR`` -> ``pt-BR``: the tag HTML, hreflang and output folders use."""
    return lang.replace("_", "-")


PSEUDO_TAGS = tuple(PSEUDO_LOCALES)
"""Pseudo-locales: rendered by ``build --pseudo`` from the source, never from a catalog."""
_SUBTAG = re.compile(r"^[A-Za-z0-9]+$")


def language_tag(text: str, *, source_language: str | None = None, where: str = "") -> str:
    """The BCP 47 tag (``pt-BR``, ``zh-Hans``) of a language a translator names.

    Accepts any spelling of a tag CLDR knows (``pt_br``, ``PT-br``, ``zh_Hans``)
    and refuses, with one line, what the project cannot publish: the source
    language, ``C``/``POSIX``/``und``, an encoding (``de_DE.UTF-8``), a
    ``@modifier``, a pseudo-locale, and codes CLDR does not know or knows under
    another name (``iw`` is ``he``).
    """
    raw = text.strip()

    def refuse(reason: str) -> ConfigError:
        return ConfigError(f"language {text!r}: {reason}", where or None)

    if "." in raw:
        raise refuse(f"drop the encoding: catalogs are always UTF-8 (say {raw.split('.')[0]!r})")
    if "@" in raw:
        raise refuse("'@' modifiers are not supported; name the script instead (sr-Latn)")
    parts = raw.replace("_", "-").split("-")
    if not raw or not all(_SUBTAG.match(part) for part in parts):
        raise refuse("not a language tag (like fr, pt-BR or zh-Hans)")
    if parts[0].lower() in ("c", "posix", "und", "mul", "zxx"):
        raise refuse("not a language")
    language = parts[0].lower()
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    territory = next((p.upper() for p in parts[1:] if len(p) in (2, 3) and p != script), None)
    if len(parts) - 1 != (script is not None) + (territory is not None):
        raise refuse("only language, script and region subtags are supported")
    tag = "-".join(p for p in (language, script, territory) if p)
    if tag in PSEUDO_TAGS:
        raise refuse("a pseudo-locale; 'pipeline build --pseudo' renders it without a catalog")
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise refuse("CLDR does not know this language") from None
    if (
        locale.language != language
        or (territory and locale.territory != territory)
        or (script and locale.script != script)
    ):
        known = [locale.language, script and locale.script, territory and locale.territory]
        raise refuse(f"CLDR knows it as {'-'.join(p for p in known if p)!r}")
    if source_language is not None and tag == to_bcp47(source_language):
        raise refuse("this is the source language; its text is the articles themselves")
    return tag


def parse_locale(lang: str, *, where: str = "") -> Locale:
    try:
        return Locale.parse(to_gettext(lang))
    except (UnknownLocaleError, ValueError) as exc:
        raise ConfigError(f"unknown language {lang!r}: {exc}", where or None) from None


def find_root(start: Path | None = None) -> Path:
    """The nearest folder, from ``start`` up, whose ``pyproject.toml`` has ``[tool.pipeline]``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "pipeline" in _read_toml(candidate).get("tool", {}):
            return folder
    raise ConfigError(
        "no project here: no pyproject.toml with a [tool.pipeline] table in this folder "
        "or above it",
        here,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", path) from None


def load_config(root: Path | None = None) -> Config:
    """Read and validate ``[tool.pipeline]``; every problem is reported at once."""
    root = find_root() if root is None else root
    pyproject = root / "pyproject.toml"
    table = _read_toml(pyproject).get("tool", {}).get("pipeline", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.pipeline] must be a table", pyproject)
    return config_from_table(table, root, where=str(pyproject))


def config_from_table(table: Mapping[str, Any], root: Path, *, where: str = "") -> Config:
    """Validate every setting against its field of :class:`Config`; all problems at once."""
    settings = {f.name: f for f in fields(Config) if "validate" in f.metadata}
    errors = [f"unknown setting {key!r}" for key in sorted(set(table) - set(settings))]
    values: dict[str, Any] = {}
    for name, setting in settings.items():
        if name not in table:
            continue
        try:
            values[name] = setting.metadata["validate"](table[name])
        except (ValueError, ConfigError) as exc:
            reason = exc.message if isinstance(exc, ConfigError) else str(exc)
            errors.append(f"{name} {reason}")
    if errors:
        raise ConfigError("[tool.pipeline]: " + "; ".join(errors), where or None)
    return Config(root=root, **values)
