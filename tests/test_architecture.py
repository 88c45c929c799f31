"""The shape of the package: stages in pipeline order, imports only down the pipeline.

docs/architecture.md draws the same order; a new module goes in the stage
that does its work, and may use only the stages before it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "packetgen"

STAGES = [
    "support",
    "text",
    "spec",
    "handouts",
    "content",
    "pdf",
    "render",
    "binder",
    "kit",
    "build",
    "tools",
    "serve",
]
"""In pipeline order: each may import the ones before it, never one after."""

BASE = {"errors", "_version"}
"""Top-level modules every stage may use."""

TOP = {"__init__", "__main__", "cli", "_cli_options", "_cli_tools"}
"""The public surface: may use everything; no stage imports it."""


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _stage_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def _imported(path: Path) -> set[str]:
    """The first part after ``packetgen.`` of every import, lazy ones included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: write imports in full (from packetgen.…)"
            module = node.module or ""
            if module == "packetgen":
                found.update(f"<packetgen>.{a.name}" for a in node.names)
            elif module.startswith("packetgen."):
                found.add(module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("packetgen."):
                    found.add(alias.name.split(".")[1])
    return found


def test_every_module_is_in_a_declared_stage() -> None:
    unknown = {_stage_of(p) for p in _modules() if _stage_of(p) not in {*STAGES, *BASE, *TOP}}
    assert not unknown, f"modules outside the declared stages: {sorted(unknown)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_the_pipeline(path: Path) -> None:
    stage = _stage_of(path)
    if stage in TOP:
        return
    wrong = []
    for target in sorted(_imported(path)):
        if target.startswith("<packetgen>."):
            name = target.split(".", 1)[1]
            # `from packetgen import x` runs packetgen/__init__ (the whole public API).
            if name not in BASE and name not in STAGES:
                wrong.append(f"packetgen.{name} (import it from its own module)")
            target = name
        if target in BASE:
            continue
        if target in TOP:
            wrong.append(f"packetgen.{target} (the public surface)")
        elif stage in BASE:
            wrong.append(f"packetgen.{target} (a base module uses no stage)")
        elif STAGES.index(target) > STAGES.index(stage):
            wrong.append(f"packetgen.{target} (a later stage than {stage})")
    assert not wrong, f"{path.relative_to(PACKAGE)} imports " + ", ".join(wrong)


def test_each_stage_says_what_comes_in_and_what_goes_out() -> None:
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
        assert doc, f"packetgen/{stage}/__init__.py has no docstring"
        assert "In:" in doc, f"packetgen.{stage}: say what comes in"
        assert "Out:" in doc, f"packetgen.{stage}: say what goes out"
