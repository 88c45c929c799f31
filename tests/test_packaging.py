"""The wheel ships the package, its templates, py.typed and the themes; the repository stands alone."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_wheel_contains_styles_and_typing(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("packetgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "packetgen/py.typed" in names
    assert "packetgen/cli.py" in names
    styles = {n for n in names if n.startswith("packetgen/styles/")}
    for path in (ROOT / "styles").rglob("*"):
        if path.is_file():
            assert f"packetgen/styles/{path.relative_to(ROOT / 'styles').as_posix()}" in styles
    assert "packetgen/styles/fonts/OFL.txt" in styles
    # `packetgen edit` serves its page from the package: nothing from the internet.
    for name in ("editor.html", "editor.js", "editor.css"):
        assert f"packetgen/serve/editor/{name}" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "packetgen = packetgen.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


# Built from pieces so that this file does not match itself.
_OUTSIDE = re.compile(
    "|".join([r"\.\./" + "shared", r"parents?\b[^\n]*[\"']" + "shared" + "[\"']"])
)


def test_nothing_reaches_outside_the_repository() -> None:
    """A fresh clone has nothing beside it: code, tests and CI read only their own files."""
    places = [ROOT / name for name in ("src", "tests", "benchmarks", "fuzz", "packets", ".ci")]
    files = [p for place in places for p in place.rglob("*") if p.is_file()]
    files += [ROOT / "Makefile", ROOT / "pyproject.toml"]
    # This file spells the patterns out; the assertions at the end show they match.
    files.remove(Path(__file__).resolve())
    offenders = []
    for path in files:
        if path.suffix in {".pyc", ".pdf", ".png", ".jpg", ".docx", ".pptx", ".woff2", ".ttf"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [
            f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for number, line in enumerate(text.splitlines(), 1)
            if _OUTSIDE.search(line)
        ]
    assert offenders == []
    # The test itself can fail: it finds the pattern where it is.
    assert _OUTSIDE.search('CORPUS = ROOT.parent / "' + 'shared" / "corpus"')
    assert _OUTSIDE.search("see .." + "/shared/seed")
