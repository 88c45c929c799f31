"""Office documents (.docx, .pptx, .odt…) as PDFs, through LibreOffice.

Two jobs: run LibreOffice on one file, bounded in time and with nothing left
running afterwards, exporting a *tagged* PDF (so a document the trainer wrote
stays readable by a screen reader); and tell the trainer when the converted
pages cannot look like the original because a font the document names is not
installed and LibreOffice drew its text in a font of other widths (a slide
title then wraps to one more line and covers the first bullet).
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pypdf
from pypdf.generic import DictionaryObject, IndirectObject

from packetgen.errors import HandoutError

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class OfficeKind:
    description: str
    magic: bytes
    apt_packages: str
    export_filter: str
    """LibreOffice's PDF export filter for the application that opens the file."""


_WRITER = "libreoffice-writer libreoffice-impress"
_CALC = "libreoffice-calc"
OFFICE_KINDS: dict[str, OfficeKind] = {
    "docx": OfficeKind("Word document", ZIP_MAGIC, _WRITER, "writer_pdf_Export"),
    "doc": OfficeKind("Word document", OLE_MAGIC, _WRITER, "writer_pdf_Export"),
    "odt": OfficeKind("OpenDocument text", ZIP_MAGIC, _WRITER, "writer_pdf_Export"),
    "pptx": OfficeKind("PowerPoint presentation", ZIP_MAGIC, _WRITER, "impress_pdf_Export"),
    "ppt": OfficeKind("PowerPoint presentation", OLE_MAGIC, _WRITER, "impress_pdf_Export"),
    "odp": OfficeKind("OpenDocument presentation", ZIP_MAGIC, _WRITER, "impress_pdf_Export"),
    "xlsx": OfficeKind("Excel spreadsheet", ZIP_MAGIC, _CALC, "calc_pdf_Export"),
    "xls": OfficeKind("Excel spreadsheet", OLE_MAGIC, _CALC, "calc_pdf_Export"),
    "ods": OfficeKind("OpenDocument spreadsheet", ZIP_MAGIC, _CALC, "calc_pdf_Export"),
}

# LibreOffice 7.4 and later read export options as JSON after the filter name.
_EXPORT_OPTIONS = '{"UseTaggedPDF":{"type":"boolean","value":"true"}}'

_MACOS_SOFFICE = Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")


def find_soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None and sys.platform == "darwin" and _MACOS_SOFFICE.is_file():
        # The macOS app does not put soffice on PATH.
        found = str(_MACOS_SOFFICE)
    return found


def _stop(process: subprocess.Popen[bytes]) -> None:
    # soffice starts helper processes of its own; end the whole session it
    # started in, or a hung conversion would outlive packetgen.
    if sys.platform == "win32":
        process.kill()
    else:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _tail(output: bytes) -> str:
    text = output.decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    return text if len(text) <= 500 else "..." + text[-500:]


def convert_office(
    data: bytes,
    ext: str,
    *,
    file: str,
    item: str,
    timeout: float,
    max_bytes: int,
) -> bytes:
    """Convert one office document to a tagged PDF; return at most ``max_bytes + 1`` bytes.

    The caller decides what a PDF longer than ``max_bytes`` means.
    """
    kind = OFFICE_KINDS[ext]
    soffice = find_soffice()
    if soffice is None:
        raise HandoutError(
            file,
            f"this is a {kind.description} (.{ext}); packetgen converts these with "
            "LibreOffice, which is not installed. Install it (Debian/Ubuntu: "
            f"`sudo apt-get install {kind.apt_packages}`; macOS: "
            "`brew install --cask libreoffice`) or export the file to PDF and point "
            "`file:` at the PDF.",
            item=item,
        )
    with tempfile.TemporaryDirectory(prefix="packetgen-soffice-") as temp:
        work = Path(temp)
        # A fixed, plain input name: the output name is then known, and odd
        # characters in the trainer's file name cannot reach the command line.
        source = work / "in" / f"handout.{ext}"
        source.parent.mkdir()
        source.write_bytes(data)
        outdir = work / "out"
        command = [
            soffice,
            "--headless",
            "--norestore",
            # A private profile, so a LibreOffice the user has open is neither
            # reused nor disturbed, and its settings cannot affect the output.
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--convert-to",
            f"pdf:{kind.export_filter}:{_EXPORT_OPTIONS}",
            "--outdir",
            str(outdir),
            str(source),
        ]
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise HandoutError(
                file,
                f"LibreOffice ({soffice}) could not be started: {exc.strerror or exc}; "
                "export the file to PDF and point `file:` at the PDF",
                item=item,
            ) from exc
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise HandoutError(
                file,
                f"LibreOffice did not finish converting it to PDF within {timeout:g} "
                "seconds; export the file to PDF yourself and point `file:` at the PDF",
                item=item,
            ) from None
        except BaseException:
            _stop(process)
            raise
        result = outdir / "handout.pdf"
        if process.returncode != 0 or not result.is_file():
            said = _tail(stderr) or _tail(stdout) or "no message"
            raise HandoutError(
                file,
                f"LibreOffice could not convert it to PDF (exit status "
                f"{process.returncode}; it said: {said}); open it in its program, "
                "export it to PDF and point `file:` at the PDF",
                item=item,
            )
        # Read before the temporary folder disappears.
        with result.open("rb") as fh:
            return fh.read(max_bytes + 1)


# --------------------------------------------------------------------------
# Fonts: the ones the document names against the ones LibreOffice embedded
# --------------------------------------------------------------------------


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
# DrawingML names the Latin font of a run or a theme with <a:latin typeface=…>;
# "+mj-lt"/"+mn-lt" point at the theme's, which is read from the theme itself.
_DRAWINGML = re.compile(rb"<a:latin\b[^>]*?\btypeface=\"([^\"+][^\"]*)\"")
_WORD_RUN = re.compile(rb"<w:rFonts\b[^>]*?\bw:(?:ascii|hAnsi)=\"([^\"]+)\"")
_EXCEL = re.compile(rb"<font>(?:(?!</font>).){0,400}?<name val=\"([^\"]+)\"", re.DOTALL)
_ODF = re.compile(rb"<style:font-face\b[^>]*?\bsvg:font-family=\"([^\"]+)\"")


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
