"""Files a packet or a theme points at: confined to their folder, checked before they
are read, and theme CSS held to the same rules in HTML-only and PDF builds.

Every file packetgen reads for a packet goes through ``packetgen.support._guarded``: its
real location (symbolic links resolved) must be inside the folder, it must be a
regular file, its size is checked before a byte is read and it is read once,
with a cap. The cases below are the red-team findings of "untrusted input,
round two", each with real files and real builds.
"""

from __future__ import annotations

import base64
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
import tinycss2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packetgen.errors import BuildError, PacketgenError, SpecError
from packetgen.render.css_urls import css_refs as _css_refs
from packetgen.support._guarded import FileRefusedError, fingerprint, read_bytes, read_text

from . import _cases
from .conftest import MINIMAL, bounded, expect_error, temporaries, tree

SECRET = "TOP-SECRET-3f9a"
"""Text of the files outside the packet folder: it must never reach an output or a message."""

PREVIOUS = {"one.html": b"previous page", "one.pdf": b"previous binder"}


# ---------------------------------------------------------------- helpers


def _spec(packet_dir: Path, body: str = "", *, theme: str | None = "mytheme") -> Path:
    head = (
        MINIMAL
        if theme is None
        else MINIMAL.replace("title: Robustness", f"title: R\ntheme: {theme}")
    )
    spec = packet_dir / "packet.yaml"
    spec.write_text(head + body, encoding="utf-8")
    return spec


def _theme(packet_dir: Path, **files: str | bytes) -> Path:
    """A theme folder ``mytheme`` with ``files`` (``templates__x_j2`` is ``templates/x.j2``)."""
    folder = packet_dir / "mytheme"
    folder.mkdir(exist_ok=True)
    for key, content in files.items():
        path = folder / key.replace("__", "/").replace("_", ".")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def _secret(packet_dir: Path, name: str = "secret.txt", text: str = SECRET) -> Path:
    """A file beside the packet folder, as a server's other files would be."""
    path = packet_dir.parent / name
    path.write_text(text, encoding="utf-8")
    return path


def _out(tmp_path: Path) -> Path:
    """An output folder holding a previous build, which a failed build must leave alone."""
    out = tmp_path / "out"
    out.mkdir()
    for name, data in PREVIOUS.items():
        (out / name).write_bytes(data)
    return out


def _refused(
    error: type[PacketgenError],
    spec: Path,
    out: Path,
    *,
    contains: str | tuple[str, ...],
    seconds: float = 60,
    **options: Any,
) -> str:
    """Build and expect one clear, one-line refusal that leaves ``out`` as it was."""
    exc = expect_error(
        error, _cases.build, spec, out, seconds=seconds, contains=contains, **options
    )
    message = str(exc)
    assert "\n" not in message, message
    assert "Traceback" not in message
    assert SECRET not in message
    # Files are named as the trainer knows them, never where the folder sits.
    assert str(out.parent) not in message.replace(str(spec), ""), message
    assert {name: tree(out).get(name) for name in PREVIOUS} == PREVIOUS
    assert sorted(tree(out)) == sorted(PREVIOUS)
    assert temporaries(out) == []
    return message


def _sparse(path: Path, size: int = 3 * 1024**3, head: bytes = b"\x89PNG\r\n\x1a\n") -> Path:
    """A file that claims ``size`` bytes and takes no disk (a hole after ``head``)."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


def _style_text(html: str) -> str:
    found = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert found is not None
    return found.group(1)


# ---------------------------------------------------------------- theme files that are symbolic links


@pytest.mark.parametrize("name", ["print.css", "screen.css"])
@pytest.mark.parametrize("format", ["html", "pdf"])
def test_theme_stylesheet_symlinked_outside(
    name: str, format: str, packet_dir: Path, tmp_path: Path
) -> None:
    secret = _secret(packet_dir, "secret.css", f"body::before {{ content: '{SECRET}' }}")
    folder = _theme(packet_dir)
    os.symlink(secret, folder / name)
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format=format,
        contains=f"mytheme/{name} is a symbolic link to a file outside the theme folder 'mytheme'",
    )


def test_theme_stylesheet_symlinked_elsewhere_in_the_packet(
    packet_dir: Path, tmp_path: Path
) -> None:
    """Inside the packet but outside the theme folder is outside too: a theme reads its own files."""
    (packet_dir / "notes.css").write_text("body { color: red }")
    folder = _theme(packet_dir)
    os.symlink("../notes.css", folder / "print.css")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains="mytheme/print.css is a symbolic link to a file outside the theme folder",
    )


def test_theme_stylesheet_fifo_does_not_block(packet_dir: Path, tmp_path: Path) -> None:
    folder = _theme(packet_dir)
    os.mkfifo(folder / "print.css")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        seconds=30,
        format="html",
        contains="mytheme/print.css is a named pipe (FIFO), not a regular file",
    )


def test_theme_asset_symlinked_outside(packet_dir: Path, tmp_path: Path) -> None:
    secret = _secret(packet_dir, "secret.woff2")
    folder = _theme(
        packet_dir, print_css="\n@font-face { font-family: X; src: url(fonts/x.woff2) }\n"
    )
    (folder / "fonts").mkdir()
    os.symlink(secret, folder / "fonts" / "x.woff2")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains=(
            "mytheme/print.css, line 2: url('fonts/x.woff2') is a symbolic link to a file"
            " outside the theme folder 'mytheme'"
        ),
    )


def test_theme_asset_inlined_many_times_is_bounded(packet_dir: Path, tmp_path: Path) -> None:
    """One 4 MiB picture named six times would make a 32 MiB stylesheet."""
    rule = "body { background: url(big.png) }\n"
    _theme(packet_dir, print_css=rule * 6, big_png=b"\x89PNG\r\n\x1a\n" + bytes(4 * 1024 * 1024))
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains=(
            "mytheme/print.css, line 4: would embed 22,369,772 bytes (21.3 MiB) of fonts and"
            " pictures by this line, more than the limit of 20 MiB",
        ),
    )


# ---------------------------------------------------------------- theme templates


@pytest.mark.parametrize("format", ["html", "pdf"])
def test_theme_template_symlinked_outside(format: str, packet_dir: Path, tmp_path: Path) -> None:
    secret = _secret(packet_dir, "secret.j2", SECRET + " {{ doc.packet_title }}")
    folder = _theme(packet_dir, print_css="")
    (folder / "templates").mkdir()
    os.symlink(secret, folder / "templates" / "inservice.html.j2")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format=format,
        contains=(
            "mytheme/templates/inservice.html.j2 is a symbolic link to a file outside the"
            " theme folder 'mytheme'"
        ),
    )


def test_theme_templates_folder_symlinked_outside(packet_dir: Path, tmp_path: Path) -> None:
    outside = packet_dir.parent / "server-templates"
    outside.mkdir()
    (outside / "inservice.html.j2").write_text(SECRET)
    folder = _theme(packet_dir, print_css="")
    os.symlink(outside, folder / "templates")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains="mytheme/templates is a symbolic link to a folder outside the theme folder 'mytheme'",
    )


def test_theme_template_subfolder_symlinked_outside(packet_dir: Path, tmp_path: Path) -> None:
    outside = packet_dir.parent / "server-templates"
    outside.mkdir()
    (outside / "part.j2").write_text(SECRET)
    folder = _theme(packet_dir, print_css="", templates__ok_j2="fine")
    os.symlink(outside, folder / "templates" / "parts")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains="mytheme/templates/parts is a symbolic link to a folder outside the theme folder",
    )


@pytest.mark.parametrize("format", ["html", "pdf"])
def test_theme_template_binary(format: str, packet_dir: Path, tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    _theme(packet_dir, print_css="", templates__inservice_html_j2=png)
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format=format,
        contains=(
            "mytheme/templates/inservice.html.j2 is not UTF-8 text: found the byte 0x89 on line 1,"
            " column 1; save it as UTF-8 text"
        ),
    )


def test_theme_templates_folder_with_other_files(packet_dir: Path, tmp_path: Path) -> None:
    """What a Mac leaves in every folder: refused by name, with what to do."""
    folder = _theme(packet_dir, print_css="", templates__inservice_html_j2="{{ doc.title }}")
    (folder / "templates" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\xff\xfe")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains=(
            "mytheme/templates/.DS_Store is not UTF-8 text: found the byte 0xff on line 1,"
            " column 9; save it as UTF-8 text; the templates folder may hold only templates,"
            " so move any other file out of it"
        ),
    )


def test_theme_templates_folder_with_too_many_files(packet_dir: Path, tmp_path: Path) -> None:
    folder = _theme(packet_dir, print_css="")
    (folder / "templates").mkdir()
    for number in range(201):
        (folder / "templates" / f"t{number}.j2").write_text("x")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains="mytheme/templates holds more than 200 files and folders",
    )


def test_theme_template_too_large(packet_dir: Path, tmp_path: Path) -> None:
    _theme(packet_dir, print_css="", templates__inservice_html_j2="x" * (512 * 1024 + 1))
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains=(
            "mytheme/templates/inservice.html.j2 is 524,289 bytes (512.0 KiB), more than the"
            " limit of 512 KiB"
        ),
    )


def test_theme_template_cannot_include_outside(packet_dir: Path, tmp_path: Path) -> None:
    """Jinja sees only the theme's checked templates and packetgen's own: no path leads out."""
    _secret(packet_dir, "secret.j2")
    _theme(
        packet_dir,
        print_css="",
        templates__inservice_html_j2='{% include "../../secret.j2" %}',
    )
    message = _refused(
        BuildError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains="the theme's templates failed",
    )
    assert "../../secret.j2" in message


def test_theme_templates_in_subfolders_still_work(packet_dir: Path, tmp_path: Path) -> None:
    _theme(
        packet_dir,
        print_css="",
        templates__inservice_html_j2=(
            '{% extends "base.html.j2" %}{% block body %}{% include "parts/hello.j2" %}{% endblock %}'
        ),
        templates__parts__hello_j2="<p class=hello>Hello {{ doc.packet_title }}</p>",
    )
    out = tmp_path / "out"
    bounded(_cases.build, _spec(packet_dir), out, seconds=60, format="html")
    assert "<p class=hello>Hello R</p>" in (out / "one.html").read_text()


# ---------------------------------------------------------------- theme CSS in the HTML


@pytest.mark.parametrize("format", ["html", "pdf"])
def test_theme_css_closing_the_style_element(format: str, packet_dir: Path, tmp_path: Path) -> None:
    _theme(packet_dir, print_css="h1 { color: red }\n</style><script>alert(1)</script>\n")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format=format,
        contains=(
            "mytheme/print.css, line 2: '</style' cannot be part of a stylesheet: in the HTML"
            " page it would end the stylesheet"
        ),
    )


def test_theme_css_style_end_in_any_case_and_in_screen_css(
    packet_dir: Path, tmp_path: Path
) -> None:
    _theme(
        packet_dir,
        print_css="",
        screen_css="/* a comment */\n\n\np::after { content: '</StYlE >' }",
    )
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains="mytheme/screen.css, line 4: '</style' cannot be part of a stylesheet",
    )


def test_theme_css_other_end_tags_are_escaped(packet_dir: Path, tmp_path: Path) -> None:
    """``</`` that cannot end the element still never reaches the page as written."""
    _theme(packet_dir, print_css='p.code::after { content: "</p></script>" }\n')
    out = tmp_path / "out"
    bounded(_cases.build, _spec(packet_dir), out, seconds=60, format="html")
    style = _style_text((out / "one.html").read_text())
    assert 'content: "<\\/p><\\/script>"' in style
    assert "</" not in style


REMOTE = [
    (
        "import-url",
        "@import url(http://127.0.0.1:9/evil.css);",
        "@import is not allowed in a theme stylesheet",
    ),
    ("import-string", "@import 'https://example.org/evil.css';", "@import is not allowed"),
    ("import-escaped", "@\\69mport 'evil.css';", "@import is not allowed"),
    ("import-relative", '@import "other.css" screen;', "@import is not allowed"),
    (
        "url-https",
        "body { background: url(https://example.org/pixel.png) }",
        "url('https://example.org/pixel.png') would load a file from the web",
    ),
    (
        "url-quoted-uppercase",
        "body { background: URL( 'HTTP://example.org/p.png' ) }",
        "url('HTTP://example.org/p.png') would load a file from the web",
    ),
    (
        "url-network-path",
        "body { background: url(//example.org/p.png) }",
        "url('//example.org/p.png') would load a file from the web or the network",
    ),
    (
        "url-file",
        "body { background: url(file:///etc/hostname) }",
        "url('file:///etc/hostname') would load a file from the computer, outside the theme folder 'mytheme'",
    ),
    (
        "url-absolute-path",
        "body { background: url(/etc/hostname) }",
        "url('/etc/hostname') would load a file from the computer",
    ),
    (
        "url-escaped-name",
        "body { background: \\75 rl(https://example.org/p.png) }",
        "url('https://example.org/p.png') would load a file from the web",
    ),
    (
        "url-tab-in-scheme",
        "body { background: url(ht\\9 tps://example.org/p.png) }",
        "url('https://example.org/p.png') would load a file from the web",
    ),
    (
        "image-set-string",
        'body { background: image-set("https://example.org/p.png" 1x) }',
        "'https://example.org/p.png' would load a file from the web",
    ),
    (
        "font-face-src",
        "@font-face { font-family: X; src: url(https://example.org/x.woff2) }",
        "url('https://example.org/x.woff2') would load a file from the web",
    ),
    (
        "url-malformed",
        "body { background: url(https://example.org/a b.png) }",
        "'url(https://example.org/a b.png)' is a malformed url()",
    ),
    (
        "url-backslash-newline",
        "body { background: url(x.png\\\n) }",
        "is a malformed url()",
    ),
    (
        "url-javascript",
        "body { background: url('javascript:alert(1)') }",
        "is not a file inside the theme folder 'mytheme'",
    ),
]


@pytest.mark.parametrize("format", ["html", "pdf"])
def test_theme_css_remote_import(format: str, packet_dir: Path, tmp_path: Path) -> None:
    """The same refusal, at the same place, whatever the build writes."""
    _theme(packet_dir, print_css="h1 { color: red }\n\n@import url(http://127.0.0.1:9/evil.css);\n")
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format=format,
        contains=(
            "mytheme/print.css, line 3: @import is not allowed in a theme stylesheet: it would"
            " load another stylesheet, perhaps from the web; copy the rules you need into print.css"
        ),
    )


def _theme_refusals(packet_dir: Path, stylesheets: list[str]) -> list[str]:
    """Load the theme with each stylesheet in turn (one worker for all): the refusals."""
    from packetgen.render.themes import load_theme

    found = []
    for css in stylesheets:
        (packet_dir / "mytheme" / "print.css").write_text(css, encoding="utf-8")
        try:
            load_theme("mytheme", packet_dir)
        except PacketgenError as exc:
            found.append(f"{type(exc).__name__}: {exc}")
        else:
            found.append("loaded")
    return found


def test_theme_css_loads_nothing_from_outside(packet_dir: Path) -> None:
    """Every way of naming a URL is refused when the theme is loaded, by file and line
    (the build tests above show that this is before anything is written)."""
    _theme(packet_dir)
    stylesheets = [f"h1 {{ color: red }}\n{css}\n" for _id, css, _phrase in REMOTE]
    found = bounded(_theme_refusals, packet_dir, stylesheets, seconds=60)
    for (case, _css, phrase), message in zip(REMOTE, found, strict=True):
        assert message.startswith("FileRefusedError: mytheme/print.css, line 2: "), (case, message)
        assert phrase in message, (case, message)
        assert "\n" not in message


def test_theme_css_what_stays_allowed(packet_dir: Path, tmp_path: Path) -> None:
    """data: URLs, fragments, URLs in comments and strings, and @namespace names."""
    pixel = base64.b64encode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").decode()
    css = (
        "@namespace svg url(http://www.w3.org/2000/svg);\n"
        "/* background: url(https://example.org/commented.png) */\n"
        'p.tip::before { content: "see https://example.org/" }\n'
        f"h1 {{ background: url(data:image/gif;base64,{pixel}) }}\n"
        "h2 { filter: url(#shadow) }\n"
    )
    _theme(packet_dir, print_css=css)
    out = tmp_path / "out"
    bounded(_cases.build, _spec(packet_dir), out, seconds=60, format="html")
    style = _style_text((out / "one.html").read_text())
    assert f"url(data:image/gif;base64,{pixel})" in style
    assert 'content: "see https://example.org/"' in style


# ---------------------------------------------------------------- the url( scan on hostile CSS


def _scan(stylesheets: list[str]) -> list[tuple[int, float]]:
    """How many URLs the scanner finds in each stylesheet, and how long it took."""
    found = []
    for css in stylesheets:
        started = time.perf_counter()
        count = sum(1 for _ in _css_refs(css))
        found.append((count, time.perf_counter() - started))
    return found


MEGABYTE = 1024 * 1024
ADVERSARIAL = [
    ("url-open-repeated", "url(" * (MEGABYTE // 4), 1),  # one malformed url( to the end
    ("url-unclosed-quotes", 'url("' * (MEGABYTE // 5), (MEGABYTE // 5 + 1) // 2),
    ("url-without-end", "url(" + "a" * MEGABYTE, 1),
    ("url-spaces-no-end", "url(" + " " * MEGABYTE, 1),
    ("open-parens", "(" * MEGABYTE, 0),
    ("backslashes", "\\" * MEGABYTE, 0),
    ("escapes", "\\75 rl(" * (MEGABYTE // 7), 1),
    ("unclosed-comment", "/*" + "url(x)" * (MEGABYTE // 6), 0),
    ("quotes", "'" * MEGABYTE, 0),
    (
        "image-set-deep",
        "image-set(" + "(" * (MEGABYTE // 2) + "'a'" * (MEGABYTE // 6),
        MEGABYTE // 6,
    ),
]


def test_url_scan_is_linear_on_a_megabyte_of_hostile_css() -> None:
    """The old ``url\\(\\s*(['"]?)([^'")]+)\\1\\s*\\)`` took 14 s on 48 KB of ``url(``
    (quadratic: 59 s on 96 KB); each megabyte here takes a second or two at most, and
    the bound only stops a regression from hanging the suite."""
    assert all(len(css) >= MEGABYTE - 8 for _id, css, _refs in ADVERSARIAL)
    found = bounded(_scan, [css for _id, css, _refs in ADVERSARIAL], seconds=120)
    for (case, _css, refs), (count, _seconds) in zip(ADVERSARIAL, found, strict=True):
        assert count == refs, case


def test_theme_with_hostile_css_just_under_the_limit(packet_dir: Path, tmp_path: Path) -> None:
    """A theme stylesheet of 'url(' up to the 512 KiB limit: one malformed url(), refused."""
    _theme(packet_dir, print_css="h1 { color: red }\n" + "url(" * (500 * 1024 // 4))
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains=(
            "mytheme/print.css, line 2: 'url(url(url(url(",
            "...' is a malformed url(): an address written without quotes cannot hold spaces,"
            " quotes, brackets or a backslash at the end of a line; put it in quotes",
        ),
    )


def test_theme_with_hostile_quotes_is_refused_by_line(packet_dir: Path, tmp_path: Path) -> None:
    _theme(packet_dir, print_css="\n" + 'url("' * (512 * 1024 // 6))
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains="mytheme/print.css, line 2: url('url(') is not a font or a picture",
    )


def test_theme_css_of_a_megabyte_is_refused_before_reading(
    packet_dir: Path, tmp_path: Path
) -> None:
    _theme(packet_dir, print_css="url(" * (MEGABYTE // 4))
    _refused(
        FileRefusedError,
        _spec(packet_dir),
        _out(tmp_path),
        format="html",
        contains="mytheme/print.css is 1,048,576 bytes (1.0 MiB), more than the limit of 512 KiB",
    )


# The scanner must find every URL that a CSS tokenizer following the
# specification finds (tinycss2 is WeasyPrint's); finding more is allowed.
PIECES = [
    "url(", "URL(", "\\75 rl(", "\\55RL(", "u\\rl(", "uRl(", "(", ")", "{", "}", "[", "]", ";",
    "'", '"', "/*", "*/", "\\", "\\\n", "\n", " ", "\t", "a", "1", ".", "#", "@", "-", ":",
    "@import", "@\\69mport", "x.png", "http://h/", "image-set(", "\\29 ", "\\22 ", "\x00", "é",
]  # fmt: skip


def _spec_urls(css: str) -> tuple[list[str], int]:
    urls: list[str] = []
    imports = 0
    pending = list(tinycss2.parse_component_value_list(css))
    while pending:
        token = pending.pop()
        if token.type == "url":
            urls.append(token.value)
        elif token.type == "function" and token.lower_name == "url":
            urls.extend(arg.value for arg in token.arguments if arg.type == "string")
        elif token.type == "at-keyword" and token.lower_value == "import":
            imports += 1
        pending.extend(getattr(token, "content", None) or [])
        pending.extend(getattr(token, "arguments", None) or [])
    return sorted(urls), imports


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_url_scan_misses_nothing_a_css_tokenizer_finds(css: str) -> None:
    expected, imports = _spec_urls(css)
    refs = list(_css_refs(css))
    if any(r.kind == "bad-url" for r in refs):
        return  # a malformed url() refuses the whole stylesheet
    found = [r.value for r in refs if r.kind != "import"]
    for url in expected:
        assert url in found, (css, expected, found)
    assert sum(r.kind == "import" for r in refs) >= imports


# ---------------------------------------------------------------- Markdown images


def _image_spec(packet_dir: Path, src: str) -> Path:
    return _spec(packet_dir, f"    summary: '![logo]({src})'\n", theme=None)


def _render(spec: Path) -> int:
    from packetgen.build.pipeline import render_html

    return len(render_html(spec))


def test_markdown_image_sparse_3gib_render_is_refused_unread(packet_dir: Path) -> None:
    """Refused by its size from stat(), with 1.5 GB of address space: never read."""
    _sparse(packet_dir / "big.png")
    error = expect_error(
        SpecError,
        _render,
        _image_spec(packet_dir, "big.png"),
        seconds=60,
        contains=(
            "inservices[0].summary: the image 'big.png' is 3,221,225,472 bytes (3.0 GiB), more"
            " than the limit of 10 MiB; make the picture smaller"
        ),
    )
    assert "\n" not in str(error)


def test_markdown_image_sparse_3gib_build_is_refused_unread(
    packet_dir: Path, tmp_path: Path
) -> None:
    _sparse(packet_dir / "big.png")
    _refused(
        SpecError,
        _image_spec(packet_dir, "big.png"),
        _out(tmp_path),
        format="html",
        contains="the image 'big.png' is 3,221,225,472 bytes (3.0 GiB), more than the limit of 10 MiB",
    )


def test_markdown_image_symlinked_outside(packet_dir: Path, tmp_path: Path) -> None:
    secret = _secret(packet_dir, "secret.png", SECRET)
    os.symlink(secret, packet_dir / "logo.png")
    _refused(
        SpecError,
        _image_spec(packet_dir, "logo.png"),
        _out(tmp_path),
        format="html",
        contains=(
            "inservices[0].summary: image: 'logo.png' is a symbolic link to a file outside the"
            " packet folder"
        ),
    )


def test_markdown_image_symlinked_outside_render_is_refused_unread(packet_dir: Path) -> None:
    """The file outside is 3 GiB: reading it would break the 1.5 GB memory bound."""
    os.symlink(_sparse(packet_dir.parent / "huge.png"), packet_dir / "logo.png")
    expect_error(
        SpecError,
        _render,
        _image_spec(packet_dir, "logo.png"),
        seconds=60,
        contains="'logo.png' is a symbolic link to a file outside the packet folder",
    )


def test_markdown_image_symlinked_outside_build_is_refused_unread(
    packet_dir: Path, tmp_path: Path
) -> None:
    os.symlink(_sparse(packet_dir.parent / "huge.png"), packet_dir / "logo.png")
    _refused(
        SpecError,
        _image_spec(packet_dir, "logo.png"),
        _out(tmp_path),
        format="html",
        contains="'logo.png' is a symbolic link to a file outside the packet folder",
    )


# ---------------------------------------------------------------- the guarded opener itself


def _sizes_read(path: Path, **options: Any) -> str:
    try:
        return str(len(read_bytes(path, **options)))
    except FileRefusedError as exc:
        return f"{type(exc).__name__}: {exc} [{exc.reason}]"


def _each_read(root: Path, names: list[str], **options: Any) -> list[str]:
    return [_sizes_read(root / name, shown=name, **options) for name in names]


def test_guarded_read_checks_before_reading(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    _sparse(root / "big.bin")
    (root / "ok.bin").write_bytes(b"12345")
    os.mkfifo(root / "pipe.bin")
    os.symlink(tmp_path / "nowhere", root / "dangling.bin")
    os.symlink("loop.bin", root / "loop.bin")
    limits: dict[str, Any] = {"roots": (root,), "max_bytes": 10, "limit": "10 bytes"}
    cases: dict[str, str] = {
        "big.bin": "big.bin is 3,221,225,472 bytes (3.0 GiB), more than the limit of 10 bytes [larger than 10 bytes]",
        "ok.bin": "5",
        "pipe.bin": "pipe.bin is a named pipe (FIFO), not a regular file [not a regular file]",
        "dangling.bin": "dangling.bin is a symbolic link to a file outside the packet folder",
        "loop.bin": "loop.bin cannot be opened: its symbolic links go round in a loop",
        ".": ". is a folder, not a regular file",
        "../root/../x": "leads outside the packet folder; copy the file into it",
        "missing.bin": "missing.bin was not found in the packet folder [no such file]",
    }
    found = bounded(_each_read, root, list(cases), seconds=30, **limits)
    for (name, expected), message in zip(cases.items(), found, strict=True):
        assert expected in message, (name, message)


def test_guarded_read_catches_a_file_that_grows(tmp_path: Path) -> None:
    """/proc files say 0 bytes and hold more: the capped read is the second check."""
    assert _sizes_read(
        Path("/proc/self/status"), roots=(Path("/proc"),), shown="status", max_bytes=10, limit="10 bytes"
    ) == ("FileRefusedError: status grew past the limit of 10 bytes while it was being read"
          " [larger than 10 bytes]")  # fmt: skip


def test_guarded_text_names_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "t.j2"
    path.write_bytes(b"\xef\xbb\xbfok\nline two \xff\n")
    with pytest.raises(FileRefusedError, match=r"^t.j2 is not UTF-8 text: found the byte 0xff on line 2, column 10; save it as UTF-8 text$"):  # fmt: skip
        read_text(path, roots=(tmp_path,), shown="t.j2", max_bytes=100, limit="100 bytes")
    path.write_bytes(b"\xef\xbb\xbfok\n")
    assert (
        read_text(path, roots=(tmp_path,), shown="t.j2", max_bytes=100, limit="100 bytes") == "ok\n"
    )


def test_fingerprint_never_reads_what_it_refuses(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    _sparse(root / "big.png")
    os.mkfifo(root / "pipe.png")
    os.symlink(_sparse(tmp_path / "outside.png"), root / "out.png")
    (root / "ok.png").write_bytes(b"abc")
    names = ["big.png", "pipe.png", "out.png", "ok.png"]
    found = dict(zip(names, bounded(_fingerprints, root, names, seconds=30), strict=True))
    assert found == {
        "big.png": "refused: larger than 10485760",
        "pipe.png": "refused: not a regular file",
        "out.png": "refused: outside its folder",
        "ok.png": "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    }


def _fingerprints(root: Path, names: list[str]) -> list[str]:
    return [fingerprint(root / name, roots=(root,), max_bytes=10 * MEGABYTE) for name in names]
