"""Office documents (.docx, .pptx, .odt…) as PDFs, through LibreOffice.

The document's references to outside content are removed first
(``_office_refs``); LibreOffice then runs in a sandbox with no network and no
view of the disk, bounded in time, with nothing left running afterwards
(``_sandbox``), and exports a *tagged* PDF so that a document the trainer
wrote stays readable by a screen reader. Each document is converted once per
process. Whether the result looks like the original depends on fonts: see
``_office_fonts``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from packetgen.errors import HandoutError
from packetgen.handouts._conversions import converted, remember
from packetgen.handouts._office_fonts import ZIP_MAGIC
from packetgen.handouts._office_refs import strip_external_references
from packetgen.support._sandbox import detect_sandbox, notice, run_conversion

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
) -> tuple[bytes, list[str]]:
    """Convert one office document to a tagged PDF, in a sandbox.

    Returns at most ``max_bytes + 1`` bytes of PDF (the caller decides what a
    longer one means) and warnings whose subject is the file: external
    pictures that were left out, a missing sandbox.
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
    stripped = strip_external_references(data, file=file, item=item)
    # What else decides the result: which LibreOffice, in which sandbox, with which fonts.
    setting = "\0".join(
        [os.path.realpath(soffice), detect_sandbox().level, os.environ.get("FONTCONFIG_FILE", "")]
    )
    memo_key = hashlib.sha256(
        ext.encode() + b"\0" + setting.encode() + b"\0" + stripped.data
    ).hexdigest()
    pdf = converted(memo_key)
    if pdf is None:
        pdf = _run(soffice, stripped.data, kind, ext, file=file, item=item, timeout=timeout,
                   max_bytes=max_bytes)  # fmt: skip
        remember(memo_key, pdf)
    warnings = [w for w in (stripped.warning(), notice(detect_sandbox())) if w]
    return pdf, warnings


def _run(
    soffice: str,
    document: bytes,
    kind: OfficeKind,
    ext: str,
    *,
    file: str,
    item: str,
    timeout: float,
    max_bytes: int,
) -> bytes:
    try:
        done = run_conversion(
            soffice,
            document,
            ext,
            f"{kind.export_filter}:{_EXPORT_OPTIONS}",
            timeout=timeout,
            limit=max_bytes + 1,
        )
    except OSError as exc:
        raise HandoutError(
            file,
            f"LibreOffice ({soffice}) could not be started: {exc.strerror or exc}; "
            "export the file to PDF and point `file:` at the PDF",
            item=item,
        ) from exc
    if done.returncode is None:
        raise HandoutError(
            file,
            f"LibreOffice did not finish converting it to PDF within {timeout:g} "
            "seconds; export the file to PDF yourself and point `file:` at the PDF",
            item=item,
        )
    if done.returncode != 0 or not done.pdf.startswith(b"%PDF"):
        said = _tail(done.stderr) or "no message"
        raise HandoutError(
            file,
            f"LibreOffice could not convert it to PDF (exit status "
            f"{done.returncode}; it said: {said}); open it in its program, "
            "export it to PDF and point `file:` at the PDF",
            item=item,
        )
    return done.pdf
