"""The wheel ships the package, its templates, py.typed and the themes."""

from __future__ import annotations

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
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "packetgen = packetgen.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
