"""The Jinja2 environment shared by the page, index and print templates.

One environment per UI language: gettext callables are environment globals
in Jinja's i18n extension, so a language gets its own environment (cached
per translations object) while compiled template code is shared through a
bytecode cache, in memory within a process and on disk between processes.
"""

from __future__ import annotations

import functools
import hashlib
import re
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import jinja2
from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
)
from jinja2.bccache import Bucket
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from pipeline.article import Block
from pipeline.catalog import critical_ui_keys
from pipeline.errors import RenderError
from pipeline.resources import (
    STATIC_DIR,
    TEMPLATES_DIR,
    derived_cache_directory,
    write_atomically,
)
from pipeline.theme import NO_THEME, Theme
from pipeline.translate import LocalizedArticle, text_direction

PAGE_MARK = "\ue000"
PAGES_MARK = "\ue001"
"""Private-use characters standing in for the page counters in "Page %(page)s of %(pages)s"."""

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


class GettextTranslations(Protocol):
    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


class CompiledTemplates(BytecodeCache):
    """Compiled templates shared by every environment of a process and, like Python's own
    bytecode, kept on disk for the next process (``directory``; None: in memory only).

    Jinja checks a stored template against the checksum of its source and its own and
    Python's versions, and compiles again when any differs. The code Jinja generates also
    depends on the environment (a sandboxed one routes every call through its checks;
    filters and i18n settings are looked up at compile time), so the key of a template
    includes the environment's configuration: a theme's sandbox never runs code compiled
    for the package's plain environment. A directory that cannot be written is given up
    for the rest of the process, silently: it only ever saves time.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._code: dict[str, bytes] = {}

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        autoescaped = environment.autoescape(name) if callable(environment.autoescape) else None
        return super().get_bucket(
            environment,
            f"{_configuration(environment)}\0{autoescaped}\0{name}",
            filename,
            source,
        )

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is None and self.directory is not None:
            try:
                code = (self.directory / f"{bucket.key}.jinja").read_bytes()
            except OSError:
                return
        if code is None:
            return
        try:
            bucket.bytecode_from_string(code)
        except Exception:  # a file cut short: its checksum fails to unpickle in many ways
            bucket.reset()
        if bucket.code is not None:
            self._code[bucket.key] = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        self._code[bucket.key] = code
        if self.directory is None:
            return
        if not write_atomically(self.directory / f"{bucket.key}.jinja", code):
            self.directory = None


def _configuration(environment: Environment) -> str:
    """What the code Jinja compiles for a template depends on, besides its source."""
    settings = (
        type(environment).__qualname__,
        jinja2.__version__,
        sorted(environment.extensions),
        _callables(environment.filters),
        _callables(environment.tests),
        _named(environment.autoescape),
        _named(environment.finalize),
        environment.optimized,
        environment.is_async,
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.keep_trailing_newline,
        environment.newline_sequence,
        getattr(environment, "newstyle_gettext", None),
        sorted((k, repr(v)) for k, v in environment.policies.items()),
    )
    return hashlib.sha1(repr(settings).encode()).hexdigest()


def _callables(table: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Filters or tests by name, with what Jinja passes them first (the context, the
    evaluation context, the environment): compiled into each call."""
    return sorted((name, repr(getattr(f, "jinja_pass_arg", None))) for name, f in table.items())


def _named(setting: object) -> object:
    """A callable setting by its name (its repr holds an address that changes each run)."""
    return getattr(setting, "__qualname__", setting)


@functools.cache
def _bytecode_cache() -> CompiledTemplates:
    directory = derived_cache_directory()
    return CompiledTemplates(None if directory is None else directory / "templates")


def _autoescape(name: str | None) -> bool:
    """Escape everything: HTML and XML templates and templates from strings alike."""
    return True


def make_environment(theme: Theme = NO_THEME) -> Environment:
    """A Jinja2 environment over ``pipeline/templates`` with no translations installed.

    A theme's templates replace the package's of the same name, in Jinja's immutable
    sandbox: a theme is the publisher's, but a template may not reach Python's internals
    (``cycler.__init__.__globals__.os``) or change the objects it is given.
    """
    package = FileSystemLoader(TEMPLATES_DIR)
    kind = ImmutableSandboxedEnvironment if theme.templates else Environment
    env = kind(
        loader=ChoiceLoader([DictLoader(dict(theme.templates)), package])
        if theme.templates
        else package,
        autoescape=_autoescape,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(),
    )
    # babel.cfg extracts with trimmed=true: whitespace in {% trans %} must be trimmed alike.
    env.policies["ext.i18n.trimmed"] = True
    env.globals.update(
        direction=text_direction,
        fallback_lang=fallback_lang,
        PAGE_MARK=PAGE_MARK,
        PAGES_MARK=PAGES_MARK,
    )
    env.globals["ui_attrs"] = functools.partial(_ui_attrs, None)
    env.filters["css_counters"] = css_counters
    env.filters["unisolated"] = unisolated
    return env


def fallback_lang(localized: LocalizedArticle, block: Block) -> str | None:
    """The language a block is shown in when it is not the page's, else None.

    A container (list, quote, table...) has one when all the text in it fell
    back to the same language, so that a wholly untranslated list is marked
    once, and laid out left-to-right as a whole in a right-to-left page.
    """
    if block.unit is not None:
        return localized.block_lang(block)
    langs = {localized.block_lang(b) for b in block.walk() if b.unit is not None}
    return langs.pop() if len(langs) == 1 else None


_ENVIRONMENTS: OrderedDict[tuple[int, str | None, str], tuple[weakref.ref[Any], Environment]] = (
    OrderedDict()
)
MAX_ENVIRONMENTS = 32
"""Environments kept, most recently used first. An environment's gettext holds its
translations, so a cache keyed weakly by them never let either go: a long-lived preview grew
by every rebuild's catalogs and compiled templates (about 200 kB a rebuild)."""

FSI, PDI = "\u2068", "\u2069"
"""Unicode first-strong isolate and its closing pop: bidi isolation in plain text."""


def environment_for(
    translations: GettextTranslations,
    *,
    untranslated_lang: str | None = None,
    theme: Theme = NO_THEME,
) -> Environment:
    """The environment rendering in the language of ``translations`` (cached per object).

    Translations are installed newstyle, so ``_("Page %(page)s", page=n)``
    formats after escaping. Translations are text, not HTML: a msgstr
    ``<script>`` shows as such (Jinja's own gettext would trust it). A msgstr
    whose placeholders do not match its msgid's (which would raise at render
    time) is ignored for the msgid.

    ``untranslated_lang`` is the language of the msgids (the source
    language), given when the page is in another. A message with no
    translation then comes back wrapped in FSI...PDI, so that it keeps its
    own order in plain-text contexts (titles, CSS strings); in element
    content the ``ui_attrs(text)`` global gives it ``lang``/``dir`` and the
    ``unisolated`` filter drops the isolates: an English sentence left in an
    Arabic page reads "Published by MedTravellers.", not ".MedTravellers Published by".
    WeasyPrint needs the element attributes: it loses isolates at line breaks.
    """
    key = (id(translations), untranslated_lang, theme.digest)
    cached = _ENVIRONMENTS.get(key)
    if cached is not None and cached[0]() is translations:
        _ENVIRONMENTS.move_to_end(key)
        return cached[1]
    env = make_environment(theme)
    gettext, ngettext = _checked(translations, isolate=untranslated_lang is not None)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext, ngettext=ngettext, newstyle=True
    )
    if untranslated_lang is not None:
        env.globals["ui_attrs"] = functools.partial(_ui_attrs, untranslated_lang)
    _ENVIRONMENTS[key] = (weakref.ref(translations), env)
    while len(_ENVIRONMENTS) > MAX_ENVIRONMENTS:
        _ENVIRONMENTS.popitem(last=False)
    return env


def _checked(
    translations: GettextTranslations, *, isolate: bool
) -> tuple[Callable[[str], str], Callable[[str, str, int], str]]:
    def usable(translated: str, message: str) -> str:
        names = set(_PLACEHOLDER.findall(message)) | {"num"}
        try:
            translated % dict.fromkeys(names, "")
        except (KeyError, ValueError, TypeError):
            translated = message
        if isolate and translated == message:
            translated = f"{FSI}{message}{PDI}"
        # Jinja marks a translation safe HTML; ours are text, escaped like any other.
        return escape(translated)

    def gettext(message: str) -> str:
        return usable(translations.gettext(message), message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return usable(translations.ngettext(singular, plural, n), singular if n == 1 else plural)

    return gettext, ngettext


def _is_isolated(text: str) -> bool:
    return text.startswith(FSI) and text.endswith(PDI)


def _ui_attrs(lang: str | None, text: str) -> Markup:
    """``lang``/``dir`` attributes for a UI message that was not translated, else nothing."""
    if lang is None or not _is_isolated(text):
        return Markup("")
    return Markup(' lang="%s" dir="%s"') % (lang, text_direction(lang))


def unisolated(text: str) -> str:
    """``text`` without the FSI...PDI that marks an untranslated message."""
    if not _is_isolated(text):
        return text
    inner = text[1:-1]
    return Markup(inner) if isinstance(text, Markup) else inner


# --- CSS from translated text ---------------------------------------------------------------


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end the string, the rule or the <style>."""
    escaped = "".join(
        f"\\{ord(ch):x} " if ch in '"\\<>&' or ord(ch) < 0x20 or ord(ch) == 0x7F else ch
        for ch in text
    )
    return f'"{escaped}"'


def css_counters(message: str, style: str = "decimal") -> Markup:
    """A CSS ``content`` value from a message formatted with :data:`PAGE_MARK`/:data:`PAGES_MARK`.

    ``"Page \\ue000 of \\ue001"`` -> ``"Page " counter(page) " of " counter(pages)``.
    """
    text = message.unescape() if isinstance(message, Markup) else message
    counters = {PAGE_MARK: f"counter(page, {style})", PAGES_MARK: f"counter(pages, {style})"}
    parts: list[str] = []
    for piece in re.split(f"({PAGE_MARK}|{PAGES_MARK})", text):
        if piece in counters:
            parts.append(counters[piece])
        elif piece:
            parts.append(css_string(piece))
    return Markup(" ".join(parts) or '""')


@functools.cache
def static_text(name: str) -> str:
    """A file of ``pipeline/static``, read once per process."""
    return (STATIC_DIR / name).read_text(encoding="utf-8")


@functools.cache
def critical_messages() -> frozenset[tuple[str, str | None]]:
    """The package templates' messages marked ``{# Critical: ... #}`` (the medical disclaimer)."""
    return critical_ui_keys(
        [(p, f"pipeline/templates/{p.name}") for p in TEMPLATES_DIR.glob("*.html")]
    )


def require_critical(html: str, translations: GettextTranslations, where: str) -> None:
    """Refuse a rendered page or brochure that does not show every critical message, in its
    language or, untranslated, in the source's: whatever a theme's templates do, no edition
    goes out without the medical disclaimer."""
    for message, _ in sorted(critical_messages(), key=str):
        shown = {str(escape(translations.gettext(message))), str(escape(message))}
        if not any(text in html for text in shown):
            raise RenderError(
                f"it would go out without its critical message {message[:60]!r}...: "
                "a theme template leaves it out",
                where,
            )


def stylesheet(name: str, theme: Theme = NO_THEME) -> Markup:
    """``page.css`` or ``print.css``: the theme's colours, the package's rules, then the
    theme's own stylesheet of that name (which so wins over the package's)."""
    return Markup(theme.colours_css() + static_text(name) + theme.stylesheet(name))
