"""Fonts of a converted office document: the ones it names against the ones drawn.

A document looks like its original only when LibreOffice draws it in the fonts
it names, or in metric-compatible twins (Carlito for Calibri…). When a font is
missing, LibreOffice substitutes one of other widths and a slide title wraps
onto one more line and covers the first bullet; :func:`font_warnings` tells
the trainer which font is missing and which package brings it.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass

import pypdf
from pypdf.generic import DictionaryObject, IndirectObject

ZIP_MAGIC = b"PK\x03\x04"


def _key(family: str) -> str:
    """Compare family names the way PDF font names spell them: no spaces, no case."""
    return re.sub(r"[^0-9a-z]", "", family.casefold())


@dataclass(frozen=True)
class _Twin:
    family: str
    debian: str
    homebrew: str


_CARLITO = _Twin("Carlito", "fonts-crosextra-carlito", "font-carlito")
_CALADEA = _Twin("Caladea", "fonts-crosextra-caladea", "font-caladea")
_LIB_SANS = _Twin("Liberation Sans", "fonts-liberation2", "font-liberation")
_LIB_SERIF = _Twin("Liberation Serif", "fonts-liberation2", "font-liberation")
_LIB_MONO = _Twin("Liberation Mono", "fonts-liberation2", "font-liberation")
_LIB_NARROW = _Twin("Liberation Sans Narrow", "fonts-liberation", "font-liberation")

# Fonts drawn with the same advance widths as the font a document names, so
# every line breaks where it breaks in the original (what fontconfig's
# 30-metric-aliases.conf and LibreOffice's replacement table agree on).
_METRIC_TWINS: dict[str, tuple[_Twin, ...]] = {
    "calibri": (_CARLITO,),
    "cambria": (_CALADEA,),
    "arial": (_LIB_SANS, _Twin("Arimo", "fonts-croscore", "font-arimo")),
    "helvetica": (_LIB_SANS, _Twin("Arimo", "fonts-croscore", "font-arimo")),
    "timesnewroman": (_LIB_SERIF, _Twin("Tinos", "fonts-croscore", "font-tinos")),
    "times": (_LIB_SERIF, _Twin("Tinos", "fonts-croscore", "font-tinos")),
    "couriernew": (_LIB_MONO, _Twin("Cousine", "fonts-croscore", "font-cousine")),
    "courier": (_LIB_MONO, _Twin("Cousine", "fonts-croscore", "font-cousine")),
    "arialnarrow": (_LIB_NARROW,),
}
_SAME_METRICS: dict[str, set[str]] = {}
for _named, _twins in _METRIC_TWINS.items():
    _group = {_named, *(_key(twin.family) for twin in _twins)}
    for _member in _group:
        _SAME_METRICS.setdefault(_member, set()).update(_group)

# Fonts LibreOffice embeds for bullets and symbols, never as a text substitute.
_SYMBOL_FONTS = {"opensymbol", "symbol", "wingdings", "wingdings2", "wingdings3", "webdings"}

# Only the parts of a document that say which fonts its text uses are read, each
# at most this large once decompressed: the file may come from an upload.
_MAX_PART = 8 * 1024 * 1024
_FONT_PARTS = re.compile(
    r"(word|ppt|xl)/(document|styles|theme/theme\d*|slides/slide\d+|slideLayouts/slideLayout\d+"
    r"|slideMasters/slideMaster\d+|header\d*|footer\d*|worksheets/sheet\d+)\.xml"
    r"|(content|styles)\.xml"
)
# Attribute runs are bounded so that a part full of unclosed tags stays linear.
# DrawingML names the Latin font of a run or a theme with <a:latin typeface=…>;
# "+mj-lt"/"+mn-lt" point at the theme's, which is read from the theme itself.
_DRAWINGML = re.compile(rb"<a:latin\b[^>]{0,1000}?\btypeface=\"([^\"+][^\"]{0,200})\"")
_WORD_RUN = re.compile(rb"<w:rFonts\b[^>]{0,1000}?\bw:(?:ascii|hAnsi)=\"([^\"]{1,200})\"")
_EXCEL = re.compile(rb"<font>(?:(?!</font>).){0,400}?<name val=\"([^\"]{1,200})\"", re.DOTALL)
_ODF = re.compile(rb"<style:font-face\b[^>]{0,1000}?\bsvg:font-family=\"([^\"]{1,200})\"")


def named_fonts(data: bytes) -> dict[str, str]:
    """The font families an OOXML or OpenDocument file names for its text, by key.

    Returns an empty dict for files it cannot read (the old binary formats,
    damaged archives): the check is a courtesy, never a reason to fail.
    """
    if not data.startswith(ZIP_MAGIC):
        return {}
    found: dict[str, str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.file_size > _MAX_PART or not _FONT_PARTS.fullmatch(info.filename):
                    continue
                text = archive.read(info)
                for pattern in (_DRAWINGML, _WORD_RUN, _EXCEL, _ODF):
                    for raw in pattern.findall(text):
                        name = html.unescape(raw.decode("utf-8", "replace")).strip("'\" ")
                        if name and _key(name):
                            found.setdefault(_key(name), name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError):  # fmt: skip
        return {}
    return found


def _font_dicts(resources: object, seen: set[int]) -> list[DictionaryObject]:
    if isinstance(resources, IndirectObject):
        resources = resources.get_object()
    if not isinstance(resources, DictionaryObject) or id(resources) in seen:
        return []
    seen.add(id(resources))
    fonts = resources.get("/Font")
    fonts = fonts.get_object() if isinstance(fonts, IndirectObject) else fonts
    found = [f.get_object() for f in fonts.values()] if isinstance(fonts, DictionaryObject) else []
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if isinstance(xobjects, IndirectObject) else xobjects
    if isinstance(xobjects, DictionaryObject):
        for xobject in xobjects.values():
            form = xobject.get_object()
            if isinstance(form, DictionaryObject):
                found += _font_dicts(form.get("/Resources"), seen)
    return [f for f in found if isinstance(f, DictionaryObject)]


def embedded_fonts(reader: pypdf.PdfReader) -> dict[str, str]:
    """The font families a PDF draws with, by key, from their PostScript names."""
    found: dict[str, str] = {}
    seen: set[int] = set()
    for page in reader.pages:
        for font in _font_dicts(page.get("/Resources"), seen):
            base = str(font.get("/BaseFont", ""))
            # "/BAAAAA+Carlito-Bold" → "Carlito"; "/Arial,Bold" → "Arial".
            name = re.split(r"[-,]", base.lstrip("/").split("+")[-1])[0]
            if name and _key(name):
                found.setdefault(_key(name), name)
    return found


def _installed_families() -> dict[str, str] | None:
    """Font families fontconfig (what LibreOffice uses on Linux) can draw with, by key.

    Asked afresh each time (a few milliseconds beside a conversion's seconds):
    a long-running ``serve`` sees a font the trainer installs meanwhile.

    ``None`` where there is no fontconfig to ask (LibreOffice on macOS and
    Windows finds fonts its own way).
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(
            [fc_list, ":", "family"],
            capture_output=True,
            timeout=30,
            check=True,
            stdin=subprocess.DEVNULL,
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    families: dict[str, str] = {}
    for line in listed.splitlines():
        # One font per line, its family names separated by commas.
        for family in line.split(","):
            if family.strip():
                families.setdefault(_key(family), family.strip())
    return families


def _install_hint(family: str) -> str:
    twins = _METRIC_TWINS.get(_key(family))
    if not twins:
        return f"install the font {family} on this computer"
    twin = twins[0]
    return (
        f"install {family}, or {twin.family}, which has the same letter widths "
        f"(Debian/Ubuntu: `sudo apt-get install {twin.debian}`; macOS: "
        f"`brew install --cask {twin.homebrew}`)"
    )


def _listed(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def font_warnings(document: bytes, converted: pypdf.PdfReader) -> list[str]:
    """Say when the converted pages were drawn in a font of other widths than the document's.

    A font the document names counts as present when the PDF embeds it or a
    metric-compatible twin (Carlito for Calibri…), or fontconfig has it
    installed. A missing font matters only when the PDF also embeds a font
    the document does not name: that one is LibreOffice's substitute. Returns
    sentences whose subject is the file, like every handout warning.
    """
    named = named_fonts(document)
    if not named:
        return []
    embedded = embedded_fonts(converted)
    accounted: set[str] = set()
    for key in named:
        accounted |= _SAME_METRICS.get(key, {key})
    # PDF font names have no spaces ("DejaVuSans"); fontconfig knows how the family is written.
    installed = _installed_families()
    display = installed or {}
    substitutes = sorted(
        display.get(key, name)
        for key, name in embedded.items()
        if key not in accounted and key not in _SYMBOL_FONTS
    )
    if not substitutes:
        return []
    # What could have drawn a named font: fontconfig's list where there is one
    # (a named font that is installed but absent was simply not used), else the
    # fonts in the PDF.
    available = embedded.keys() | (installed.keys() if installed is not None else set())
    missing = sorted(
        name
        for key, name in named.items()
        if key not in _SYMBOL_FONTS and not (_SAME_METRICS.get(key, {key}) & available)
    )
    if not missing:
        return []
    fonts = "font" if len(missing) == 1 else "fonts"
    are = "is" if len(missing) == 1 else "are"
    return [
        f"uses the {fonts} {_listed(missing)}, which {are} not installed on this computer, so "
        f"LibreOffice drew its text in {_listed(substitutes)}, whose letters have other widths: "
        "lines and titles may wrap differently from the original and run into the text "
        f"below them. To fix it, {'; '.join(_install_hint(name) for name in missing)}; or "
        "export the file to PDF in the program it was made with and point `file:` at the PDF"
    ]
