"""Paths in a spec: everything must stay inside the packet folder and be a regular file."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from packetgen.errors import SpecError
from packetgen.spec.models import Packet

from . import _cases
from .conftest import MINIMAL, bounded, expect_error, tree
from .make_broken_pdfs import _one_page, raw_pdf

PDF = raw_pdf(_one_page())


def _spec_with_file(file: str) -> str:
    # Double-quoted YAML, so backslashes and \0 can be written as escapes.
    escaped = file.replace("\\", "\\\\").replace("\x00", "\\0")
    return (
        MINIMAL
        + f'    items:\n      - kind: handout\n        title: H\n        file: "{escaped}"\n'
    )


def _outside(folder: Path) -> Path:
    secret = folder.parent / "secret"
    secret.mkdir(exist_ok=True)
    (secret / "private.pdf").write_bytes(PDF)
    return secret


def _symlinked_folder(folder: Path) -> str:
    os.symlink(_outside(folder), folder / "handouts")
    return "handouts/private.pdf"


def _symlink_loop(folder: Path) -> str:
    os.symlink("b.pdf", folder / "a.pdf")
    os.symlink("a.pdf", folder / "b.pdf")
    return "a.pdf"


def _dotdot_inside(folder: Path) -> str:
    (folder / "handouts").mkdir()
    (folder / "handouts" / "faq.pdf").write_bytes(PDF)
    return "handouts/../handouts/./faq.pdf"


def _dotdot_outside(folder: Path) -> str:
    _outside(folder)
    (folder / "handouts").mkdir()
    return "handouts/../../secret/private.pdf"


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.pdf")
    return "pipe.pdf"


def _device(folder: Path) -> str:
    os.mknod(folder / "zero.pdf", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # like /dev/zero
    return "zero.pdf"


def _symlink_to_device(folder: Path) -> str:
    os.symlink("/dev/zero", folder / "zero.pdf")
    return "zero.pdf"


def _given(path: str) -> Callable[[Path], str]:
    return lambda _folder: path


# (id, make the folder and return the `file:` value, expected phrase or None for a Packet)
CASES: list[tuple[str, Callable[[Path], str], str | None]] = [
    (
        "path-symlinked-folder-pointing-out",
        _symlinked_folder,
        "'handouts/private.pdf' is a symbolic link to a file outside the packet folder",
    ),
    ("path-symlink-loop", _symlink_loop, "'a.pdf' cannot be resolved (a symbolic link loop?)"),
    ("path-dotdot-in-the-middle-inside", _dotdot_inside, None),
    (
        "path-dotdot-in-the-middle-outside",
        _dotdot_outside,
        "found 'handouts/../../secret/private.pdf', which leads outside it",
    ),
    (
        "path-windows-absolute",
        _given("C:\\handouts\\faq.pdf"),
        "found the absolute path 'C:\\\\handouts\\\\faq.pdf'",
    ),
    ("path-windows-drive-relative", _given("C:faq.pdf"), "found the absolute path 'C:faq.pdf'"),
    (
        "path-unc-share",
        _given("\\\\host\\share\\faq.pdf"),
        "found the absolute path '\\\\\\\\host\\\\share\\\\faq.pdf'",
    ),
    ("path-posix-absolute", _given("/etc/passwd"), "found the absolute path '/etc/passwd'"),
    ("path-nul-byte", _given("faq\x00.pdf"), "expected a path, found a NUL character"),
    (
        "path-very-long",
        _given("a/" * 3000 + "faq.pdf"),
        "is too long; use shorter folder and file names",
    ),
    (
        "path-very-long-name",
        _given("x" * 300 + ".pdf"),
        "is too long; use shorter folder and file names",
    ),
    ("path-file-url", _given("file:///etc/passwd"), "file not found: 'file:///etc/passwd'"),
    ("path-fifo-as-file", _fifo, "expected a regular file, found not a regular file: 'pipe.pdf'"),
    (
        "path-device-as-file",
        _device,
        "expected a regular file, found not a regular file: 'zero.pdf'",
    ),
    (
        "path-symlink-to-dev-zero",
        _symlink_to_device,
        "'zero.pdf' is a symbolic link to a file outside the packet folder",
    ),
]


@pytest.mark.parametrize(("setup", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_path_case(setup: Callable[[Path], str], phrase: str | None, packet_dir: Path) -> None:
    file = setup(packet_dir)
    spec = packet_dir / "packet.yaml"
    spec.write_text(_spec_with_file(file), encoding="utf-8")
    before = tree(packet_dir)
    if phrase is None:
        assert isinstance(bounded(_cases.load, spec, seconds=20), Packet)
    else:
        error = expect_error(SpecError, _cases.load, spec, seconds=20, contains=phrase)
        # The machine's layout never shows, only the path as written.
        assert str(packet_dir.parent) not in str(error).replace(str(spec), "")
    assert tree(packet_dir) == before


def test_path_theme_folder_outside(packet_dir: Path) -> None:
    _outside(packet_dir)
    spec = packet_dir / "packet.yaml"
    spec.write_text(MINIMAL.replace("title: Robustness", "title: T\ntheme: ../secret"))
    expect_error(
        SpecError,
        _cases.load,
        spec,
        seconds=20,
        contains="theme: expected a path inside the packet folder, found '../secret'",
    )


def test_path_markdown_image_outside(packet_dir: Path, tmp_path: Path) -> None:
    secret = _outside(packet_dir)
    (secret / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    spec = packet_dir / "packet.yaml"
    spec.write_text(MINIMAL + "    summary: '![logo](../secret/logo.png)'\n")
    out = tmp_path / "out"
    expect_error(
        SpecError,
        _cases.build,
        spec,
        out,
        seconds=60,
        format="html",
        contains="inservices[0].summary: image: expected a path inside the packet folder, found '../secret/logo.png'",
    )
    assert not out.exists()
