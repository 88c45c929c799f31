"""Shared fixtures: paths to the example packet and the shared handout corpus."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "packets" / "child-trafficking" / "packet.yaml"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    """Write a spec (dedented) into a fresh packet folder and return its path."""

    def write(text: str, name: str = "packet.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
