"""Themes: the stylesheets, fonts and optional template overrides of a packet's look.

A theme is a folder holding ``print.css`` (and optionally ``screen.css``,
``templates/`` and font files). Its CSS is layered on the shared base
stylesheet, so a theme only states what it changes. The built-in themes live
in ``styles/`` (shipped inside the wheel as ``packetgen/styles``).
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from packetgen.errors import ThemeError
from packetgen.render.css_urls import CssRef, css_refs
from packetgen.support._guarded import (
    FileRefusedError,
    human_size,
    read_bytes,
    read_text,
    resolve_inside,
)

__all__ = ["BUILTIN_THEMES", "Theme", "load_theme", "styles_root"]

BUILTIN_THEMES = ("default", "ink-saver", "large-print")
_MAX_CSS_BYTES = 512 * 1024
"""One theme stylesheet (``print.css``, ``screen.css``) as written."""
_MAX_ASSET_BYTES = 5 * 1024 * 1024
"""One font or picture a theme stylesheet inlines."""
_MAX_INLINED_CSS_CHARS = 20 * 1024 * 1024
"""What inlining adds to one stylesheet: the same 5 MiB font named 50,000 times
in a 512 KiB stylesheet would otherwise make a page of hundreds of gigabytes."""
_MAX_TEMPLATE_BYTES = 512 * 1024
"""One template of a theme."""
_MAX_TEMPLATE_ENTRIES = 200
"""Files and folders under a theme's ``templates/``."""
_MAX_TEMPLATES_TOTAL_BYTES = 4 * 1024 * 1024
"""All of a theme's templates together."""


@cache
def styles_root() -> Path:
    """The built-in styles folder, in the wheel or in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "styles", package.parents[1] / "styles"):
        if (candidate / "base" / "print.css").is_file():
            return candidate
    raise ThemeError("packetgen's built-in styles are missing; reinstall packetgen")


@dataclass(frozen=True)
class Theme:
    """A resolved theme: everything the renderer needs, read and checked once."""

    name: str
    folder: Path
    """The theme's own folder (relative ``url()`` in its CSS resolve here)."""
    print_css: str
    """Base stylesheet followed by the theme's ``print.css``, its files inlined."""
    screen_css: str
    """Extra rules for reading the HTML output in a browser."""
    template_dir: Path | None
    """The theme's ``templates/`` folder, if it has one (its texts are in ``templates``)."""
    templates: tuple[tuple[str, str], ...] = ()
    """The theme's template overrides as ``(name, source)``, names relative to
    ``templates/`` written with ``/``; searched before the built-in templates.
    Read here, through the guarded opener, so rendering never opens a theme file."""

    @property
    def roots(self) -> tuple[Path, ...]:
        """Folders the theme may load files from (fonts, images)."""
        return (self.folder, styles_root())


# ---------------------------------------------------------------- reading theme files


@dataclass(frozen=True)
class _Source:
    """Where a theme's files come from, and how to name them to the trainer."""

    folder: Path
    """The folder its files must stay inside, symbolic links resolved."""
    prefix: str
    """The theme folder as the trainer knows it: ``mytheme`` (relative to the packet folder)."""
    where: str
    """The folder in messages: ``the theme folder 'mytheme'``."""

    def shown(self, relative: str) -> str:
        return f"{self.prefix}/{relative}"


def _read_css(source: _Source, name: str) -> str:
    """A stylesheet of the theme, or "" when it has none (a stylesheet is optional)."""
    path = source.folder / name
    if not os.path.lexists(path):
        return ""
    return read_text(
        path,
        roots=(source.folder,),
        shown=source.shown(name),
        max_bytes=_MAX_CSS_BYTES,
        limit="512 KiB",
        where=source.where,
        advice="; remove the rules the theme does not need",
    )


def _read_templates(source: _Source) -> tuple[Path | None, tuple[tuple[str, str], ...]]:
    """Every file under the theme's ``templates/``, checked and read as UTF-8 text.

    All of them, not only the ones a build asks for: any of them may be reached
    by ``{% include %}`` and all are part of the build's cache key, and a bad
    file is better refused by name now than met halfway through a build.
    """
    folder = source.folder / "templates"
    if not os.path.lexists(folder):
        return None, ()
    resolved = resolve_inside(
        folder,
        roots=(source.folder,),
        shown=source.shown("templates"),
        where=source.where,
        what="folder",
    )
    if not resolved.is_dir():
        return None, ()
    found: list[tuple[str, str]] = []
    entries = 0
    total = 0
    pending = [resolved]
    while pending:
        current = pending.pop()
        try:
            # scandir, counted as it goes: a folder of a million files is refused
            # after the first 200, not listed whole.
            with os.scandir(current) as listing:
                children = []
                for entry in listing:
                    entries += 1
                    if entries > _MAX_TEMPLATE_ENTRIES:
                        raise FileRefusedError(
                            source.shown("templates"),
                            f"holds more than {_MAX_TEMPLATE_ENTRIES} files and folders; a"
                            " theme needs only the few templates it changes",
                            reason="too many files",
                        )
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    else:
                        children.append(Path(entry.path))
        except OSError as exc:
            shown = source.shown(f"templates/{current.relative_to(resolved).as_posix()}")
            raise FileRefusedError(
                shown,
                f"cannot be read ({exc.strerror or type(exc).__name__})",
                reason="cannot be read",
            ) from None
        for path in children:
            relative = path.relative_to(resolved).as_posix()
            shown = source.shown(f"templates/{relative}")
            if path.is_dir():
                # A symbolic link to a folder: not walked into, but one leading out
                # is an attempt on the server's files, so say so.
                resolve_inside(
                    path, roots=(source.folder,), shown=shown, where=source.where, what="folder"
                )
                continue
            text = _read_template(source, path, shown)
            total += len(text.encode("utf-8"))
            if total > _MAX_TEMPLATES_TOTAL_BYTES:
                raise FileRefusedError(
                    source.shown("templates"),
                    "holds more than 4 MiB of templates; a theme needs only the few templates"
                    " it changes",
                    reason="too large",
                )
            found.append((relative, text))
    return folder, tuple(sorted(found))


def _read_template(source: _Source, path: Path, shown: str) -> str:
    try:
        return read_text(
            path,
            roots=(source.folder,),
            shown=shown,
            max_bytes=_MAX_TEMPLATE_BYTES,
            limit="512 KiB",
            where=source.where,
            advice="; split it into smaller templates",
        )
    except FileRefusedError as exc:
        if exc.reason != "not UTF-8 text":
            raise
        raise FileRefusedError(
            exc.file,
            f"{exc.detail}; the templates folder may hold only templates, so move any other"
            " file out of it",
            reason=exc.reason,
        ) from None


# ---------------------------------------------------------------- theme CSS


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

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_STYLE_END = re.compile("</style", re.IGNORECASE)


def _clip(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _line(css: str, at: int) -> int:
    return css.count("\n", 0, at) + 1


def _theme_css(source: _Source, name: str) -> str:
    """A theme's stylesheet, checked, with its relative URLs inlined as data: URLs.

    Inlining makes the theme's fonts and images work in the standalone HTML
    too, and keeps WeasyPrint from resolving them against the wrong folder.
    Everything else that would load something is refused here, by file and
    line, so an HTML-only build and a PDF build obey the same rules:
    ``@import``, and URLs to the web, to the computer or to anything but a
    font or picture inside the theme folder. So is ``</style``, which would end
    the HTML page's ``<style>`` element and let the rest run as HTML.
    """
    css = _read_css(source, name)
    shown = source.shown(name)
    end_tag = _STYLE_END.search(css)
    if end_tag:
        raise FileRefusedError(
            shown,
            "'</style' cannot be part of a stylesheet: in the HTML page it would end the"
            " stylesheet and make the rest part of the page; remove it",
            reason="</style",
            line=_line(css, end_tag.start()),
        )
    inlined: dict[Path, str] = {}
    out: list[str] = []
    size = 0
    done = 0
    for ref in css_refs(css):
        replacement = _check_ref(source, shown, css, ref, inlined)
        if replacement is None:
            continue
        out.append(css[done : ref.start])
        out.append(replacement)
        done = ref.end
        size += len(replacement)
        if size > _MAX_INLINED_CSS_CHARS:
            raise FileRefusedError(
                shown,
                f"would embed {human_size(size)} of fonts and pictures by this line, more than"
                " the limit of 20 MiB; use fewer or smaller files, and name each one once",
                reason="too large",
                line=_line(css, ref.start),
            )
    out.append(css[done:])
    return "".join(out)


def _check_ref(
    source: _Source, shown: str, css: str, ref: CssRef, inlined: dict[Path, str]
) -> str | None:
    """The data: URL that replaces a relative reference, None to keep it; else a refusal."""

    def refuse(detail: str, reason: str) -> FileRefusedError:
        return FileRefusedError(shown, detail, reason=reason, line=_line(css, ref.start))

    if ref.kind == "bad-url":
        # Browsers drop a malformed url(); WeasyPrint's tokenizer (tinycss2) ends
        # some of them elsewhere, and what follows would then be read differently
        # by the two. Refused, so that what this scan sees is what both see.
        raise refuse(
            f"{_clip(ref.value)} is a malformed url(): an address written without quotes"
            " cannot hold spaces, quotes, brackets or a backslash at the end of a line; put it"
            ' in quotes, like url("fonts/my font.woff2")',
            "malformed url()",
        )
    if ref.kind == "import":
        raise refuse(
            "@import is not allowed in a theme stylesheet: it would load another stylesheet,"
            f" perhaps from the web; copy the rules you need into {shown.rsplit('/', 1)[-1]}",
            "@import",
        )
    # What a URL parser makes of the value: no tabs or newlines anywhere, no
    # spaces or control characters around ("ht\9 tp:" is "http:").
    url = re.sub("[\t\n\r]", "", ref.value).strip("".join(map(chr, range(0x21))))
    label = f"url({_clip(url)})" if ref.function == "url" else _clip(url)
    example = "like url(fonts/brand.woff2)"
    if not url or url.startswith("#"):
        return None
    scheme = _SCHEME.match(url)
    if scheme:
        kind = scheme.group()[:-1].lower()
        if kind == "data":
            return None
        if kind in ("http", "https", "ftp", "ws", "wss"):
            raise refuse(
                f"{label} would load a file from the web; a theme can use only files inside"
                f" its own folder: download the file into {source.where} and write its"
                f" relative path, {example}",
                "from the web",
            )
        if kind == "file" or len(kind) == 1:
            raise refuse(
                f"{label} would load a file from the computer, outside {source.where}; copy"
                f" the file into the theme folder and write its relative path, {example}",
                "outside the theme folder",
            )
        raise refuse(
            f"{label} is not a file inside {source.where}; write the relative path of a font"
            f" or picture in the theme folder, {example}",
            "not a file",
        )
    if url.startswith(("//", "\\\\")):
        raise refuse(
            f"{label} would load a file from the web or the network; a theme can use only"
            f" files inside its own folder: copy the file into {source.where} and write its"
            f" relative path, {example}",
            "from the web",
        )
    if url.startswith(("/", "\\")):
        raise refuse(
            f"{label} would load a file from the computer, outside {source.where}; copy the"
            f" file into the theme folder and write its relative path, {example}",
            "outside the theme folder",
        )
    relative = url.split("?", 1)[0].split("#", 1)[0]
    try:
        target = resolve_inside(
            source.folder / relative, roots=(source.folder,), shown=label, where=source.where
        )
        if target not in inlined:
            mime = _MIME.get(target.suffix.lower())
            if mime is None:
                raise refuse(
                    f"{label} is not a font or a picture; a theme stylesheet can use"
                    f" {', '.join(sorted(_MIME))} files",
                    "not a font or picture",
                )
            data = read_bytes(
                target,
                roots=(source.folder,),
                shown=label,
                max_bytes=_MAX_ASSET_BYTES,
                limit="5 MiB",
                where=source.where,
                advice="; use a smaller file",
            )
            encoded = base64.b64encode(data).decode("ascii")
            inlined[target] = f"data:{mime};base64,{encoded}"
    except FileRefusedError as exc:
        if exc.line is not None:
            raise
        raise refuse(f"{label} {exc.detail}", exc.reason) from None
    return f"url({inlined[target]})" if ref.kind == "url" else f'"{inlined[target]}"'


def load_theme(name: str, packet_folder: Path) -> Theme:
    """Resolve ``name`` (a built-in theme or a folder inside the packet folder)."""
    root = styles_root()
    if name in BUILTIN_THEMES:
        folder = root / name
        source = _Source(folder.resolve(), name, f"packetgen's built-in theme {name!r}")
    else:
        # The loader has already checked the folder is inside the packet folder.
        folder = (packet_folder / name).resolve()
        if not folder.is_dir():
            raise ThemeError(
                f"theme {name!r} is neither a built-in theme ({', '.join(BUILTIN_THEMES)})"
                " nor a folder inside the packet folder"
            )
        shown = PurePosixPath(name.replace("\\", "/")).as_posix()
        source = _Source(folder, shown, f"the theme folder {shown!r}")
    base = _Source((root / "base").resolve(), "base", "packetgen's built-in styles")
    print_css = "\n".join(
        [fonts_css(), _theme_css(base, "print.css"), _theme_css(source, "print.css")]
    )
    screen_css = "\n".join([_theme_css(base, "screen.css"), _theme_css(source, "screen.css")])
    template_dir, templates = _read_templates(source)
    return Theme(
        name=name,
        folder=folder,
        print_css=print_css,
        screen_css=screen_css,
        template_dir=template_dir,
        templates=templates,
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
