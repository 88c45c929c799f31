"""Opening a PDF with PDFium (pypdfium2) for the commands that rasterise pages."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import PacketgenError


@contextlib.contextmanager
def open_pdf(pdf: Path, pdfium: Any) -> Iterator[Any]:
    """A ``pdfium.PdfDocument``, closed afterwards; unreadable files are a PacketgenError."""
    if not pdf.is_file():
        what = "is a folder, not a PDF" if pdf.is_dir() else "does not exist"
        raise PacketgenError(f"{pdf} {what}")
    try:
        doc = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as exc:
        raise PacketgenError(f"{pdf} is not a PDF that can be read ({exc})") from None
    except OSError as exc:
        raise PacketgenError(f"cannot read {pdf}: {exc.strerror}") from None
    try:
        yield doc
    finally:
        doc.close()
