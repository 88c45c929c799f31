"""Themes: the stylesheets, fonts and optional template overrides of a packet's look.

A theme is a folder holding ``print.css`` (and optionally ``screen.css``,
``templates/`` and font files). Its CSS is layered on the shared base
stylesheet, so a theme only states what it changes. The built-in themes live
in ``styles/`` (shipped inside the wheel as ``packetgen/styles``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import PacketgenError

__all__ = ["BUILTIN_THEMES", "Theme", "load_theme", "styles_root"]

BUILTIN_THEMES = ("default", "ink-saver", "large-print")
_MAX_CSS_BYTES = 512 * 1024


@cache
def styles_root() -> Path:
    """The built-in styles folder, in the wheel or in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "styles", here.parents[1] / "styles"):
        if (candidate / "base" / "print.css").is_file():
            return candidate
    raise PacketgenError("packetgen's built-in styles are missing; reinstall packetgen")


@dataclass(frozen=True)
class Theme:
    """A resolved theme: everything the renderer needs, read once."""

    name: str
    folder: Path
    """The theme's own folder (relative ``url()`` in its CSS resolve here)."""
    print_css: str
    """Base stylesheet followed by the theme's ``print.css``."""
    screen_css: str
    """Extra rules for reading the HTML output in a browser."""
    template_dir: Path | None
    """The theme's template overrides, searched before the built-in templates."""

    @property
    def roots(self) -> tuple[Path, ...]:
        """Folders the theme may load files from (fonts, images)."""
        return (self.folder, styles_root())


def _read_css(path: Path) -> str:
    if not path.is_file():
        return ""
    if path.stat().st_size > _MAX_CSS_BYTES:
        raise PacketgenError(f"{path.name} in the theme is larger than 512 KiB")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PacketgenError(f"{path.name} in the theme is not UTF-8 text") from None


_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_MIME = {
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
_MAX_ASSET_BYTES = 5 * 1024 * 1024


def _theme_css(folder: Path, name: str) -> str:
    """A theme's stylesheet with its relative ``url()``s inlined as data: URLs.

    Inlining makes the theme's fonts and images work in the standalone HTML
    too, and keeps WeasyPrint from resolving them against the wrong folder.
    Absolute URLs are left alone: the fetcher refuses them at render time.
    """
    css = _read_css(folder / name)

    def inline(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref) or ref.startswith(("/", "#")):
            return match.group(0)
        target = (folder / ref.split("?")[0].split("#")[0]).resolve()
        if not target.is_relative_to(folder.resolve()) or not target.is_file():
            raise PacketgenError(
                f"{name} in the theme refers to {ref!r}, which is not a file inside the"
                " theme folder"
            )
        mime = _MIME.get(target.suffix.lower())
        if mime is None:
            raise PacketgenError(
                f"{name} in the theme refers to {ref!r}, which is not a font or image"
            )
        if target.stat().st_size > _MAX_ASSET_BYTES:
            raise PacketgenError(
                f"{name} in the theme refers to {ref!r}, which is larger than 5 MiB"
            )
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:{mime};base64,{data})"

    return _URL.sub(inline, css)


def load_theme(name: str, packet_folder: Path) -> Theme:
    """Resolve ``name`` (a built-in theme or a folder inside the packet folder)."""
    root = styles_root()
    if name in BUILTIN_THEMES:
        folder = root / name
    else:
        # The loader has already checked the folder is inside the packet folder.
        folder = (packet_folder / name).resolve()
        if not folder.is_dir():
            raise PacketgenError(
                f"theme {name!r} is neither a built-in theme ({', '.join(BUILTIN_THEMES)})"
                " nor a folder inside the packet folder"
            )
    base = root / "base"
    print_css = "\n".join(
        [fonts_css(), _read_css(base / "print.css"), _theme_css(folder, "print.css")]
    )
    screen_css = "\n".join([_read_css(base / "screen.css"), _theme_css(folder, "screen.css")])
    templates = folder / "templates"
    return Theme(
        name=name,
        folder=folder,
        print_css=print_css,
        screen_css=screen_css,
        template_dir=templates if templates.is_dir() else None,
    )


_FONT_FACES = (
    # (file stem, weight, style, unicode-range) — the latin and latin-ext subsets.
    (
        "latin-400-normal",
        400,
        "normal",
        "U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6,"
        " U+02DA, U+02DC, U+0304, U+0308, U+0329, U+2000-206F, U+20AC, U+2122, U+2191, U+2193,"
        " U+2212, U+2215, U+FEFF, U+FFFD",
    ),
    ("latin-700-normal", 700, "normal", None),
    ("latin-400-italic", 400, "italic", None),
    ("latin-700-italic", 700, "italic", None),
    (
        "latin-ext-400-normal",
        400,
        "normal",
        "U+0100-02BA, U+02BD-02C5, U+02C7-02CC, U+02CE-02D7,"
        " U+02DD-02FF, U+0304, U+0308, U+0329, U+1D00-1DBF, U+1E00-1E9F, U+1EF2-1EFF, U+2020,"
        " U+20A0-20AB, U+20AD-20C0, U+2113, U+2C60-2C7F, U+A720-A7FF",
    ),
    ("latin-ext-700-normal", 700, "normal", None),
    ("latin-ext-400-italic", 400, "italic", None),
    ("latin-ext-700-italic", 700, "italic", None),
)


@cache
def fonts_css() -> str:
    """``@font-face`` rules for the bundled Atkinson Hyperlegible, as data: URLs.

    Inlining keeps the HTML output self-contained and means the PDF never
    depends on fonts installed on the machine.
    """
    fonts = styles_root() / "fonts"
    ranges: dict[str, str] = {}
    rules = []
    for stem, weight, style, unicode_range in _FONT_FACES:
        subset = stem.rsplit("-", 2)[0]
        if unicode_range is not None:
            ranges[subset] = unicode_range
        data = (fonts / f"atkinson-hyperlegible-{stem}.woff2").read_bytes()
        encoded = base64.b64encode(data).decode("ascii")
        rules.append(
            "@font-face { font-family: 'Atkinson Hyperlegible';"
            f" font-style: {style}; font-weight: {weight};"
            f" src: url(data:font/woff2;base64,{encoded}) format('woff2');"
            f" unicode-range: {ranges[subset]}; }}"
        )
    return "\n".join(rules)
