"""Themes: the built-in ones load, a theme folder's files are read and inlined, and a
bad theme is refused by name (fast: no layout, no PDF)."""

from __future__ import annotations

import base64
from pathlib import Path
from types import SimpleNamespace

import pytest

from packetgen.errors import BuildError, PacketgenError, ThemeError
from packetgen.render.css_urls import css_refs
from packetgen.render.html import render_document
from packetgen.render.themes import BUILTIN_THEMES, fonts_css, load_theme, styles_root
from packetgen.support._guarded import FileRefusedError

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def theme_folder(packet: Path, print_css: str, **files: str | bytes) -> Path:
    folder = packet / "mytheme"
    folder.mkdir()
    (folder / "print.css").write_text(print_css, encoding="utf-8")
    for name, content in files.items():
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", BUILTIN_THEMES)
def test_each_built_in_theme_loads_on_the_base_stylesheet(name: str, tmp_path: Path) -> None:
    theme = load_theme(name, tmp_path)
    base = (styles_root() / "base" / "print.css").read_text(encoding="utf-8")
    assert theme.name == name
    assert theme.folder == styles_root() / name
    # The bundled fonts first, then the shared base, then the theme's own rules.
    assert theme.print_css.startswith(fonts_css())
    assert base.strip().splitlines()[0] in theme.print_css
    assert theme.screen_css
    assert theme.templates == ()
    assert theme.roots == (theme.folder, styles_root())


def test_the_bundled_fonts_are_inlined_so_no_file_is_loaded_later(tmp_path: Path) -> None:
    fonts = fonts_css()
    assert fonts.count("@font-face") == 8
    assert "url(data:font/woff2;base64," in fonts
    assert not [ref for ref in css_refs(fonts) if not ref.value.startswith("data:")]


def test_a_theme_folder_adds_its_rules_files_and_template_overrides(tmp_path: Path) -> None:
    theme_folder(
        tmp_path,
        "h1 { color: #123456; }\n.logo { background: url(images/logo.png); }\n",
        **{
            "screen.css": "body { max-width: 40rem; }\n",
            "images__logo.png": PIXEL,
            "templates__inservice.html.j2": "{# mine #}{{ doc.packet_title }}\n",
            "templates__parts__extra.html.j2": "extra\n",
        },
    )
    theme = load_theme("mytheme", tmp_path)

    assert theme.folder == (tmp_path / "mytheme").resolve()
    # Layered: the theme's rules come after the base stylesheet, so they win.
    assert theme.print_css.index("#123456") > theme.print_css.index("@font-face")
    assert theme.screen_css.endswith("body { max-width: 40rem; }\n")
    # The picture is inlined: the HTML page stands alone, and nothing opens the folder later.
    encoded = base64.b64encode(PIXEL).decode("ascii")
    assert f"url(data:image/png;base64,{encoded})" in theme.print_css
    assert "images/logo.png" not in theme.print_css
    assert theme.template_dir == tmp_path / "mytheme" / "templates"
    assert theme.templates == (
        ("inservice.html.j2", "{# mine #}{{ doc.packet_title }}\n"),
        ("parts/extra.html.j2", "extra\n"),
    )


def test_an_unknown_theme_names_the_built_in_ones(tmp_path: Path) -> None:
    with pytest.raises(ThemeError) as caught:
        load_theme("fancy", tmp_path)
    assert str(caught.value) == (
        "theme 'fancy' is neither a built-in theme (default, ink-saver, large-print)"
        " nor a folder inside the packet folder"
    )


@pytest.mark.parametrize(
    ("css", "line", "words"),
    [
        ('@import "other.css";\n', 1, "@import is not allowed in a theme stylesheet"),
        (
            "h1 {}\n.x { background: url(https://example.org/a.png); }\n",
            2,
            "would load a file from the web",
        ),
        (".x { background: url(/etc/passwd); }\n", 1, "would load a file from the computer"),
        (".x { background: url(notes.txt); }\n", 1, "is not a font or a picture"),
        ("h1 {}\n</style><script>alert(1)</script>\n", 2, "'</style' cannot be part of"),
    ],
)
def test_a_bad_theme_stylesheet_is_refused_at_its_line(
    css: str, line: int, words: str, tmp_path: Path
) -> None:
    theme_folder(tmp_path, css, **{"notes.txt": "notes"})
    with pytest.raises(FileRefusedError) as caught:
        load_theme("mytheme", tmp_path)
    assert isinstance(caught.value, PacketgenError)
    assert str(caught.value).startswith(f"mytheme/print.css, line {line}: ")
    assert words in str(caught.value)


def test_a_template_that_is_not_text_is_refused_by_name(tmp_path: Path) -> None:
    theme_folder(tmp_path, "h1 {}\n", **{"templates__logo.png": PIXEL})
    with pytest.raises(FileRefusedError) as caught:
        load_theme("mytheme", tmp_path)
    assert str(caught.value).startswith("mytheme/templates/logo.png")
    assert "the templates folder may hold only templates" in str(caught.value)


def test_a_theme_template_override_is_used_before_the_built_in_one(tmp_path: Path) -> None:
    theme_folder(
        tmp_path,
        "h1 {}\n",
        **{"templates__inservice.html.j2": "{{ doc.lang }}: {% trans %}Contents{% endtrans %}\n"},
    )
    theme = load_theme("mytheme", tmp_path)
    assert (
        render_document(SimpleNamespace(lang="es"), theme) == "es: Contenido"
    )  # trim_blocks: the line break after a tag goes


def test_a_theme_template_may_not_change_what_it_is_given(tmp_path: Path) -> None:
    theme_folder(
        tmp_path,
        "h1 {}\n",
        **{"templates__inservice.html.j2": "{% set seen = [] %}{{ seen.append(1) }}\n"},
    )
    theme = load_theme("mytheme", tmp_path)
    with pytest.raises(BuildError, match="the theme's templates tried something not allowed"):
        render_document(SimpleNamespace(lang="en"), theme)
