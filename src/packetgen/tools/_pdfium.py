"""Opening a PDF with PDFium (pypdfium2) for the commands that rasterise pages."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from packetgen.errors import DocumentError, LimitError

__all__ = ["MAX_RENDER_PIXELS", "fit_scale", "open_pdf", "render_page"]

MAX_RENDER_PIXELS = 50_000_000
"""Pixels of one rendered page. PDFium draws into a 4-byte-per-pixel buffer,
so this is 200 MB before any copy: an A0 poster at 150 dpi (35 million) or a
Letter page at 600 dpi (34 million) fits, while a page of the largest size PDF
allows (14,400 pt, 5 m a side) would take gigabytes at any useful resolution."""


@contextlib.contextmanager
def open_pdf(pdf: Path, pdfium: Any) -> Iterator[Any]:
    """A ``pdfium.PdfDocument``, closed afterwards; unreadable files are a DocumentError."""
    if not pdf.is_file():
        what = "is a folder, not a PDF" if pdf.is_dir() else "does not exist"
        raise DocumentError(f"{pdf} {what}")
    try:
        doc = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"{pdf} is not a PDF that can be read ({exc})") from None
    except OSError as exc:
        raise DocumentError(f"cannot read {pdf}: {exc.strerror}") from None
    try:
        yield doc
    finally:
        doc.close()


def _pixels(width_pt: float, height_pt: float, scale: float) -> int:
    # Rounded first: 14,400 pt at 150/72 is 30,000.000000000004 in floating point.
    return math.ceil(round(width_pt * scale, 6)) * math.ceil(round(height_pt * scale, 6))


def fit_scale(width_pt: float, height_pt: float, scale: float) -> float:
    """``scale``, or less so that a page of this size renders within MAX_RENDER_PIXELS."""
    if _pixels(width_pt, height_pt, scale) <= MAX_RENDER_PIXELS:
        return scale
    # A hair under the exact ratio, so rounding the sides up stays within the limit.
    return scale * math.sqrt(MAX_RENDER_PIXELS / _pixels(width_pt, height_pt, scale)) * 0.999


def render_page(
    doc: Any, index: int, *, dpi: int, pdf: Path, pdfium: Any, shrink: bool
) -> tuple[Image.Image, float]:
    """Page ``index`` (0-based) drawn at ``dpi``, and the resolution it was drawn at.

    A page that would pass :data:`MAX_RENDER_PIXELS` is drawn at a lower
    resolution when ``shrink`` is true (a preview), and refused with a
    :class:`LimitError` otherwise (a check that needs the resolution asked
    for). Its size is read before anything is drawn.
    """
    try:
        page = doc[index]
        width, height = page.get_size()
        scale = dpi / 72
        if _pixels(width, height, scale) > MAX_RENDER_PIXELS:
            if not shrink:
                raise LimitError(_too_large(pdf, index + 1, width, height, dpi))
            scale = fit_scale(width, height, scale)
        image = page.render(scale=scale).to_pil()
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"{pdf}: page {index + 1} cannot be rendered ({exc})") from None
    return image, scale * 72


def _too_large(pdf: Path, number: int, width: float, height: float, dpi: int) -> str:
    size = f"{width / 72:,.0f} x {height / 72:,.0f} inches ({width / 72 * 2.54:,.0f} x"
    size += f" {height / 72 * 2.54:,.0f} cm)"
    fits = math.floor(72 * math.sqrt(MAX_RENDER_PIXELS / (width * height)))
    message = (
        f"{pdf}: page {number} is {size}: at {dpi} dpi it would be"
        f" {_pixels(width, height, dpi / 72):,} pixels, more than the limit of"
        f" {MAX_RENDER_PIXELS:,} for one page"
    )
    if fits >= 50:
        return message + f"; check it at --dpi {fits} or lower"
    return message + "; a page this large is not meant for printing, so it cannot be checked"
