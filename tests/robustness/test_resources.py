"""Markdown, HTML, CSS, SVG and pictures: nothing runs, nothing is fetched from outside,
and no picture can take the build's memory."""

from __future__ import annotations

import base64
import io
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from packetgen.errors import BuildError, HandoutError, SpecError
from packetgen.support._guarded import FileRefusedError

from . import _cases
from .conftest import MINIMAL, bounded, expect_error, temporaries, tree


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels and holds almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def png_bomb() -> bytes:
    """A real, complete 8000 x 8000 picture (64 million pixels) in about 10 KB."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")
    return buffer.getvalue()


def _spec(packet_dir: Path, body: str, theme: str | None = None) -> Path:
    spec = packet_dir / "packet.yaml"
    head = (
        MINIMAL
        if theme is None
        else MINIMAL.replace("title: Robustness", f"title: Robustness\ntheme: {theme}")
    )
    spec.write_text(head + body, encoding="utf-8")
    return spec


def _theme(packet_dir: Path, css: str, **files: bytes) -> None:
    folder = packet_dir / "mytheme"
    folder.mkdir()
    (folder / "print.css").write_text(css)
    for name, data in files.items():
        (folder / name.replace("_", ".")).write_bytes(data)


# ---------------------------------------------------------------- Markdown


def test_markdown_raw_html_is_text(packet_dir: Path, tmp_path: Path) -> None:
    spec = _spec(
        packet_dir,
        "    items:\n      - kind: note\n        title: N\n        description: |\n"
        "          <script>alert(1)</script> <img src=x onerror=alert(2)>\n"
        '          <a href="javascript:alert(3)">x</a> <style>body{display:none}</style>\n'
        "          <link rel=attachment href=packet.yaml>\n",
    )
    out = tmp_path / "out"
    bounded(_cases.build, spec, out, seconds=60, format="html")
    html = (out / "one.html").read_text()
    for raw in (
        "<script>alert",
        "<img src=x",
        '<a href="javascript',
        "<style>body{display",
        "<link rel=attachment",
    ):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert sorted(tree(out)) == ["one.html"]


def test_markdown_javascript_and_other_links_are_not_links(
    packet_dir: Path, tmp_path: Path
) -> None:
    spec = _spec(
        packet_dir,
        "    summary: |\n"
        "      [a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](vbscript:msgbox)\n"
        "      [d](data:text/html;base64,PHNjcmlwdD4=) [e](file:///etc/passwd) <javascript:alert(1)>\n"
        "      [ok](https://example.org/ok)\n",
    )
    out = tmp_path / "out"
    result = bounded(_cases.build, spec, out, seconds=60, format="html")
    html = (out / "one.html").read_text()
    hrefs = re.findall(r'href="([^"#][^"]*)"', html)
    assert set(hrefs) == {"https://example.org/ok"}
    assert result.links == [(1, "https://example.org/ok")]


def test_markdown_data_svg_image_with_script_stays_text(packet_dir: Path, tmp_path: Path) -> None:
    """markdown-it does not even make an image of a data: SVG; it stays inert text."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    )
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    spec = _spec(packet_dir, f"    summary: '![x]({src})'\n")
    out = tmp_path / "out"
    bounded(_cases.build, spec, out, seconds=60, format="html")
    html = (out / "one.html").read_text()
    assert "<img" not in html
    assert "onload" not in html or "&lt;svg" in html


def test_markdown_data_png_image_is_refused(packet_dir: Path, tmp_path: Path) -> None:
    src = "data:image/png;base64," + base64.b64encode(png_header_only(4, 4)).decode()
    spec = _spec(packet_dir, f"    summary: '![x]({src})'\n")
    out = tmp_path / "out"
    expect_error(
        SpecError,
        _cases.build,
        spec,
        out,
        seconds=60,
        contains="inservices[0].summary: the image 'data:image/png;base64,",
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (png_bomb, "a picture of 64,000,000 pixels, more than the limit of 50,000,000"),
        (lambda: png_header_only(100_000, 100_000), "a picture of 10,000,000,000 pixels"),
    ],
    ids=["markdown-image-decompression-bomb", "markdown-image-huge-header-only"],
)
def test_markdown_picture_limits(
    make: Callable[[], bytes], phrase: str, packet_dir: Path, tmp_path: Path
) -> None:
    (packet_dir / "logo.png").write_bytes(make())
    spec = _spec(packet_dir, "    summary: '![logo](logo.png)'\n")
    out = tmp_path / "out"
    expect_error(
        BuildError,
        _cases.build,
        spec,
        out,
        seconds=60,
        format="pdf",
        contains=("one.pdf: refused to load", phrase),
    )
    assert not out.exists()


# ---------------------------------------------------------------- themes: CSS and SVG


def test_theme_css_import_and_url_outside(packet_dir: Path, tmp_path: Path) -> None:
    secret = packet_dir.parent / "secret.png"
    secret.write_bytes(png_header_only(10, 10))
    _theme(
        packet_dir,
        "@import url(http://127.0.0.1:9/evil.css);\n"
        "@import 'file:///etc/hostname';\n"
        f"body {{ background: url(file://{secret}) }}\n"
        "h1 { background: url(/etc/hostname) }\n",
    )
    spec = _spec(packet_dir, "", theme="mytheme")
    out = tmp_path / "out"
    # Refused when the theme is loaded (the same for HTML-only builds), by file and line;
    # the fetcher stays the gate behind it. More cases: test_confinement.py.
    expect_error(
        FileRefusedError,
        _cases.build,
        spec,
        out,
        seconds=60,
        format="pdf",
        contains="mytheme/print.css, line 1: @import is not allowed in a theme stylesheet",
    )
    assert not out.exists()


def test_theme_svg_with_script_and_file_image(packet_dir: Path, tmp_path: Path) -> None:
    """An SVG background's script is never run and its file: image never read."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        b' width="10" height="10" onload="alert(1)"><script>app.alert(2)</script>'
        b'<image xlink:href="file:///etc/hostname" width="10" height="10"/></svg>'
    )
    _theme(packet_dir, "body { background: url(evil.svg) }\n", evil_svg=svg)
    spec = _spec(packet_dir, "", theme="mytheme")
    out = tmp_path / "out"
    bounded(_cases.build, spec, out, seconds=60, format="pdf", only=["one"])
    raw = (out / "one.pdf").read_bytes()
    assert b"/JavaScript" not in raw
    assert b"alert" not in raw
    assert sorted(tree(out)) == ["one.pdf"]


def test_theme_svg_billion_laughs(packet_dir: Path, tmp_path: Path) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9)
    )
    svg = (
        f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&j;</text></svg>'
    ).encode()
    _theme(packet_dir, "body { background: url(lol.svg) }\n", lol_svg=svg)
    spec = _spec(packet_dir, "", theme="mytheme")
    out = tmp_path / "out"
    expect_error(
        BuildError, _cases.build, spec, out, seconds=60, format="pdf", contains="one.pdf: "
    )
    assert not out.exists()


def test_theme_template_cannot_run_code(packet_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    templates = packet_dir / "mytheme" / "templates"
    templates.mkdir(parents=True)
    (packet_dir / "mytheme" / "print.css").write_text("")
    (templates / "inservice.html.j2").write_text(
        "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"
    )
    spec = _spec(packet_dir, "", theme="mytheme")
    out = tmp_path / "out"
    with pytest.raises(BuildError):
        bounded(_cases.build, spec, out, seconds=60, format="html")
    assert not marker.exists()
    assert not out.exists()


# ---------------------------------------------------------------- pictures as handouts


@pytest.mark.parametrize(
    ("name", "make", "phrase"),
    [
        (
            "bomb.png",
            png_bomb,
            "the picture is too large to place safely (8000 x 8000 pixels, more than the limit of 50,000,000 pixels)",
        ),
        (
            "header.png",
            lambda: png_header_only(100_000, 100_000),
            "the picture is too large to place safely (10,000,000,000 pixels, more than the limit of 50,000,000 pixels)",
        ),
        (
            "cut.jpg",
            lambda: _jpeg()[:2000],
            "the JPEG picture is damaged or incomplete, so it cannot be read",
        ),
    ],
    ids=[
        "handout-png-decompression-bomb",
        "handout-png-huge-header-only",
        "handout-truncated-jpeg",
    ],
)
def test_handout_picture_case(
    name: str, make: Callable[[], bytes], phrase: str, packet_dir: Path, tmp_path: Path
) -> None:
    (packet_dir / name).write_bytes(make())
    spec = _spec(
        packet_dir, f"    items:\n      - {{kind: handout, title: Picture, file: {name}}}\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "one.pdf").write_bytes(b"previous binder")
    expect_error(HandoutError, _cases.build, spec, out, seconds=60, format="pdf", contains=phrase)
    assert tree(out) == {"one.pdf": b"previous binder"}
    assert temporaries(out) == []


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_no_javascript_in_pdf_from_hostile_markdown(packet_dir: Path, tmp_path: Path) -> None:
    spec = _spec(
        packet_dir, '    summary: "<script>app.alert(1)</script> [x](javascript:app.alert(1))"\n'
    )
    out = tmp_path / "out"
    bounded(_cases.build, spec, out, seconds=60, format="pdf", only=["one"])
    raw = (out / "one.pdf").read_bytes()
    reader = PdfReader(out / "one.pdf")
    assert "/OpenAction" not in reader.trailer["/Root"]
    assert b"/JavaScript" not in raw
    assert b"/JS " not in raw


# ---------------------------------------------------------------- the fetcher itself (regressions)


def test_fetcher_fifo_inside_the_packet_is_refused_without_blocking(packet_dir: Path) -> None:
    import os

    from packetgen.pdf.fetcher import PacketFetcher

    os.mkfifo(packet_dir / "pipe.png")
    fetcher = PacketFetcher((packet_dir,))
    with pytest.raises(ValueError, match=r"^packetgen refused pipe.png: not a regular file$"):
        fetcher.fetch((packet_dir / "pipe.png").as_uri())
    with pytest.raises(ValueError, match=r"^packetgen refused missing.png: no such file$"):
        fetcher.fetch((packet_dir / "missing.png").as_uri())
    assert fetcher.refused == ["pipe.png (not a regular file)", "missing.png (no such file)"]
    assert str(packet_dir) not in " ".join(fetcher.refused)


def test_markdown_render_length_guard() -> None:
    from packetgen.errors import LimitError
    from packetgen.text.markdown import links_in, render_markdown

    for call in (render_markdown, links_in):
        with pytest.raises(
            LimitError,
            match="a Markdown text of 20,001 characters is longer than the limit of 20,000",
        ):
            call("x" * 20_001)
