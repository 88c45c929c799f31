"""Helpers of the robustness suite: bounded runs, packet folders, output checks.

Every case runs its action through :func:`packetgen.support._isolation.run_isolated`,
so each one has a hard time bound (a hang fails the case with a LimitError
instead of stalling the suite) and a memory bound, and every error crosses a
process boundary the way it would in a service.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from packetgen.errors import PacketgenError
from packetgen.support._isolation import run_isolated

T = TypeVar("T")

MEMORY = 1536 * 1024 * 1024
"""Address-space limit of a case's worker: well above a normal build's ~450 MB."""

MINIMAL = """\
title: Robustness
inservices:
  - id: one
    title: One
"""


def bounded(fn: Callable[..., T], *args: Any, seconds: float, **kwargs: Any) -> T:
    """Run ``fn`` in an isolated worker that is stopped after ``seconds``."""
    return run_isolated(fn, *args, timeout=seconds, max_memory=MEMORY, **kwargs)


def expect_error(
    error: type[PacketgenError],
    fn: Callable[..., Any],
    *args: Any,
    seconds: float,
    contains: str | tuple[str, ...],
    **kwargs: Any,
) -> PacketgenError:
    """Run ``fn`` bounded; it must raise exactly ``error`` with every phrase of ``contains``."""
    with pytest.raises(PacketgenError) as info:
        bounded(fn, *args, seconds=seconds, **kwargs)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    for phrase in (contains,) if isinstance(contains, str) else contains:
        assert phrase in message, message
    return info.value


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (files with their bytes), to compare before and after."""
    if not folder.exists():
        return {}
    found: dict[str, bytes | None] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            found[os.path.relpath(os.path.join(root, name), folder)] = None
        for name in files:
            path = Path(root, name)
            found[os.path.relpath(path, folder)] = (
                None if path.is_symlink() or not path.is_file() else path.read_bytes()
            )
    return found


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp")) if folder.exists() else []


@pytest.fixture
def packet_dir(tmp_path: Path) -> Path:
    """A packet folder inside tmp_path, so the cases can write beside it (escapes, outputs).

    Overrides the suite's ``packet_dir`` (tmp_path itself); ``write_spec`` writes here.
    """
    folder = tmp_path / "packet"
    folder.mkdir()
    return folder
