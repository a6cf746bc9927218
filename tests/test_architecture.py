"""The package's shape: imports flow one way, from the CLI down to the model."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "pipeline"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """Every pipeline module ``path`` imports, at module level, in a function or for typing."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in MODULES}


GRAPH = {name: imports(path) - {name} for name, path in MODULES.items()}


def cycle_from(start: str) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in GRAPH[node]:
            if nxt == start:
                return [*path, nxt]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_the_graph_is_read_from_real_imports() -> None:
    assert "pipeline.build.plan" in GRAPH["pipeline.build"]  # a lazy import, inside a function
    assert "pipeline.checks" in GRAPH["pipeline.build.gating"]
    assert len(MODULES) > 30


def test_no_module_imports_one_that_imports_it_back() -> None:
    cycles = {name: cycle for name in GRAPH if (cycle := cycle_from(name))}
    assert cycles == {}


def test_the_model_and_the_pure_stages_import_no_build_render_or_cli() -> None:
    upper = {name for name in MODULES if name.startswith(("pipeline.build", "pipeline.render"))}
    upper |= {"pipeline.cli", "pipeline.__main__", "pipeline.workspace"}
    for name in ("pipeline.article", "pipeline.markdown", "pipeline.catalog", "pipeline.checks",
                 "pipeline.pofile", "pipeline.plurals", "pipeline.translate", "pipeline.layout",
                 "pipeline.fonts", "pipeline.pseudo", "pipeline.project", "pipeline.inline",
                 "pipeline.msgmerge", "pipeline.pomerge"):  # fmt: skip
        assert not GRAPH[name] & upper, name


def test_every_package_of_the_source_tree_is_installed() -> None:
    """A wheel must hold pipeline/build/ as an editable install does."""
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    found = set(find_packages(str(ROOT), include=config["packages"]["find"]["include"]))
    on_disk = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert on_disk <= found, on_disk - found
