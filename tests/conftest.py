"""Shared fixtures: the example packet (built once per run), the handout corpus, spec writing."""

from __future__ import annotations

import fcntl
import os
import pickle
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from packetgen.build.pipeline import BuildResult, build

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "packets" / "child-trafficking" / "packet.yaml"
CORPUS = ROOT / "tests" / "corpus"
"""Real handout files made by the tools trainers use; tests/corpus/README.md says what each is."""


@pytest.fixture(scope="session", autouse=True)
def _private_cache_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The build cache keeps its key in the user's cache folder: tests use their own."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture
def packet_dir(tmp_path: Path) -> Path:
    """The folder ``write_spec`` writes into (the robustness suite nests it one level down)."""
    return tmp_path


@pytest.fixture
def write_spec(packet_dir: Path) -> Callable[..., Path]:
    """Write a spec (dedented) into the packet folder and return its path."""

    def write(text: str, name: str = "packet.yaml") -> Path:
        path = packet_dir / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def page_texts(pdf: Path) -> list[str]:
    """The text of every page, whitespace collapsed, as PDFium (a viewer's engine) reads it."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in doc]
    finally:
        doc.close()


@dataclass(frozen=True)
class ExampleBuild:
    out: Path
    result: BuildResult
    opened: dict[str, int]
    """How many times the build opened each file of the example's folder (path
    relative to it): the scan stage reads each handout once."""


_counting: dict[str, int] | None = None
_COUNTED = EXAMPLE.parent.resolve()


def _count_opens(event: str, args: tuple[object, ...]) -> None:
    # Installed once and never removed (audit hooks cannot be); counts only
    # while the example is being built.
    if _counting is None or event != "open" or not args:
        return
    target = args[0]
    if not isinstance(target, (str, bytes, os.PathLike)):
        return
    path = os.path.realpath(os.fsdecode(target))
    if path.startswith(str(_COUNTED) + os.sep):
        name = os.path.relpath(path, _COUNTED)
        _counting[name] = _counting.get(name, 0) + 1


def _build_counting_opens(out: Path) -> tuple[BuildResult, dict[str, int]]:
    global _counting
    sys.addaudithook(_count_opens)
    _counting = {}
    try:
        # The library's defaults: one process (jobs=1), so every open is seen here.
        result = build(EXAMPLE, out, cache=False)
        return result, dict(_counting)
    finally:
        _counting = None


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> ExampleBuild:
    """The example packet built once for the whole run, PDF and HTML, read-only for tests.

    Under pytest-xdist every worker is its own session; they share one folder
    and the first to take the lock builds while the others wait for it.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base
    folder = shared / "example-build"
    with (shared / "example-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = folder / "result.pickle"
        if not record.exists():
            record.write_bytes(pickle.dumps(_build_counting_opens(folder / "out")))
        loaded, opened = pickle.loads(record.read_bytes())
    assert isinstance(loaded, BuildResult)
    return ExampleBuild(out=folder / "out", result=loaded, opened=opened)


@pytest.fixture
def example_out(example_build: ExampleBuild) -> Path:
    """The folder of the example's outputs (see ``example_build``)."""
    return example_build.out
