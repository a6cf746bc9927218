"""What is derived from templates is kept between processes, and never used stale."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment, pass_environment
from jinja2.bccache import bc_magic
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pipeline import catalog
from pipeline.render import environment as env_module
from pipeline.render import pdf
from pipeline.render.environment import CompiledTemplates, make_environment
from pipeline.resources import (
    TEMPLATES_DIR,
    derived_cache_directory,
    read_derived,
    write_derived,
)

PACKAGE_TEMPLATES = sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.suffix == ".html")


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from here on."""
    compiled: list[str] = []
    original = Environment.compile

    def counting(self: Environment, source: str, name: str | None = None, *args: Any) -> Any:
        compiled.append(str(name))
        return original(self, source, name, *args)

    monkeypatch.setattr(Environment, "compile", counting)
    return compiled


def test_the_next_process_loads_the_package_templates_without_compiling_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _compiles(monkeypatch)
    first = make_environment()
    first.bytecode_cache = CompiledTemplates(tmp_path)
    sources = {name: first.get_template(name) for name in PACKAGE_TEMPLATES}
    assert sorted(compiled) == PACKAGE_TEMPLATES
    assert len(list(tmp_path.glob("*.jinja"))) == len(PACKAGE_TEMPLATES)

    compiled.clear()
    second = make_environment()  # as in a new process: nothing in memory
    second.bytecode_cache = CompiledTemplates(tmp_path)
    loaded = {name: second.get_template(name) for name in PACKAGE_TEMPLATES}
    assert compiled == []
    for name in PACKAGE_TEMPLATES:
        assert loaded[name].blocks.keys() == sources[name].blocks.keys()
        assert (
            loaded[name].root_render_func.__code__.co_code
            == sources[name].root_render_func.__code__.co_code
        )


def test_a_changed_template_is_compiled_again(tmp_path: Path) -> None:
    def render(text: str) -> str:
        env = Environment(
            loader=DictLoader({"t.html": text}), bytecode_cache=CompiledTemplates(tmp_path)
        )
        return env.get_template("t.html").render(n=1)

    assert render("before {{ n }}") == "before 1"
    assert render("after {{ n }}") == "after 1"


def test_a_damaged_cache_file_is_compiled_again(tmp_path: Path) -> None:
    def env() -> Environment:
        return Environment(
            loader=DictLoader({"t.html": "x{{ n }}"}), bytecode_cache=CompiledTemplates(tmp_path)
        )

    assert env().get_template("t.html").render(n=2) == "x2"
    (stored,) = tmp_path.glob("*.jinja")
    whole = stored.read_bytes()
    cut_in_checksum = whole[: len(bc_magic) + 5]
    for damaged in (b"j2" + b"\x00" * 40, cut_in_checksum, whole[: len(whole) // 2]):
        stored.write_bytes(damaged)
        assert env().get_template("t.html").render(n=3) == "x3"


def test_a_filter_that_takes_other_arguments_is_compiled_for_again(tmp_path: Path) -> None:
    """Jinja compiles what it passes a filter (the context, the environment...) into the call."""

    def plain(value: str) -> str:
        return f"[{value}]"

    @pass_environment
    def with_environment(environment: Environment, value: str) -> str:
        return f"<{value}>"

    def render(shout: object) -> str:
        env = Environment(
            loader=DictLoader({"t.html": "{{ 'a'|shout }}"}),
            bytecode_cache=CompiledTemplates(tmp_path),
        )
        env.filters["shout"] = shout
        return env.get_template("t.html").render()

    assert render(plain) == "[a]"
    assert render(with_environment) == "<a>"


def test_a_sandbox_never_runs_code_compiled_for_a_plain_environment(tmp_path: Path) -> None:
    """A plain environment's code calls what it is given directly; the sandbox's asks first."""

    def dangerous() -> str:
        return "ran"

    dangerous.unsafe_callable = True  # type: ignore[attr-defined]
    shared = CompiledTemplates(tmp_path)
    loader = DictLoader({"t.html": "{{ f() }}"})
    plain = Environment(loader=loader, bytecode_cache=shared)
    assert plain.get_template("t.html").render(f=dangerous) == "ran"
    sandboxed = ImmutableSandboxedEnvironment(loader=loader, bytecode_cache=shared)
    with pytest.raises(SecurityError):
        sandboxed.get_template("t.html").render(f=dangerous)
    again = ImmutableSandboxedEnvironment(loader=loader, bytecode_cache=CompiledTemplates(tmp_path))
    with pytest.raises(SecurityError):
        again.get_template("t.html").render(f=dangerous)


def test_a_folder_that_cannot_be_written_is_given_up(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    cache = CompiledTemplates(blocked / "templates")
    env = Environment(loader=DictLoader({"t.html": "y{{ n }}"}), bytecode_cache=cache)
    assert env.get_template("t.html").render(n=4) == "y4"
    assert cache.directory is None
    assert list(tmp_path.iterdir()) == [blocked]


def test_where_derived_files_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert derived_cache_directory() is None
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    assert derived_cache_directory() == tmp_path / "prefix" / "pipeline"
    monkeypatch.setattr(sys, "pycache_prefix", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert derived_cache_directory() == tmp_path / "xdg" / "pipeline"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert derived_cache_directory() == tmp_path / "home" / ".cache" / "pipeline"
    monkeypatch.setattr(sys, "pycache_prefix", "relative")  # as Python leaves it: ignored
    assert derived_cache_directory() == tmp_path / "home" / ".cache" / "pipeline"
    shared = tmp_path / "home" / ".cache" / "pipeline"
    shared.mkdir(parents=True)
    shared.chmod(0o777)  # another user could put compiled code there
    assert derived_cache_directory() is None
    shared.chmod(0o700)
    assert derived_cache_directory() == shared
    shared.rmdir()
    shared.symlink_to(tmp_path)
    assert derived_cache_directory() is None


def test_kept_files_are_this_users_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    write_derived("kind", "source", b"derived")
    for folder in (tmp_path / "pipeline", tmp_path / "pipeline" / "kind"):
        assert folder.stat().st_mode & 0o777 == 0o700


def test_critical_messages_are_read_back_and_found_again_when_a_template_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    template = tmp_path / "t.html"
    template.write_text(
        "{# Critical: must be read #}{{ _('Call a doctor') }} {{ _('Welcome') }}", "utf-8"
    )
    parses: list[int] = []
    original = catalog._template_messages

    def counting(*args: object) -> object:
        parses.append(1)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog, "_template_messages", counting)
    catalog._critical_keys.cache_clear()
    assert catalog.critical_ui_keys([(template, "t.html")]) == {("Call a doctor", None)}
    assert len(parses) == 1
    catalog._critical_keys.cache_clear()  # as in a new process
    assert catalog.critical_ui_keys([(template, "t.html")]) == {("Call a doctor", None)}
    assert len(parses) == 1
    (stored,) = (tmp_path / "prefix" / "pipeline" / "critical-messages").iterdir()
    for forged in (b"damaged" + stored.read_bytes(), _with_checksum(b'[["forged", 5]]')):
        stored.write_bytes(forged)
        parses.clear()
        catalog._critical_keys.cache_clear()
        assert catalog.critical_ui_keys([(template, "t.html")]) == {("Call a doctor", None)}
        assert parses == [1]  # not read: found again
    template.write_text("{# Critical: now this #}{{ _('Welcome') }}", "utf-8")
    assert catalog.critical_ui_keys([(template, "t.html")]) == {("Welcome", None)}
    catalog._critical_keys.cache_clear()


def _with_checksum(data: bytes) -> bytes:
    return hashlib.sha256(data).hexdigest().encode() + b"\n" + data


def test_derived_data_is_read_back_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    assert read_derived("kind", "source") is None
    write_derived("kind", "source", b"derived")
    assert read_derived("kind", "source") == b"derived"
    assert read_derived("kind", "another source") is None
    (stored,) = (tmp_path / "pipeline" / "kind").iterdir()
    stored.write_bytes(stored.read_bytes()[:-1])  # cut short
    assert read_derived("kind", "source") is None
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    write_derived("kind", "other", b"x")
    assert len(list((tmp_path / "pipeline" / "kind").iterdir())) == 1


def test_a_qr_code_is_made_once_per_address_and_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    made: list[str] = []
    original = pdf.segno.make

    def counting(content: str, **options: Any) -> Any:
        made.append(content)
        return original(content, **options)

    monkeypatch.setattr(pdf.segno, "make", counting)
    pdf._qr_code.cache_clear()
    first = pdf._qr_code("https://example.org/fr/a.html")
    pdf._qr_code.cache_clear()  # as in a new process
    assert pdf._qr_code("https://example.org/fr/a.html") == first
    assert made == ["https://example.org/fr/a.html"]
    assert pdf._qr_code("https://example.org/ar/a.html") != first
    assert len(made) == 2
    pdf._qr_code.cache_clear()


def test_the_build_uses_one_cache_for_every_environment() -> None:
    assert env_module._bytecode_cache() is make_environment().bytecode_cache
