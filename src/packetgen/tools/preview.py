"""preview: look at a finished PDF without printing it.

Trainers review a binder before sending it to the copy shop, and reviewers
of a change to a theme want to see pages in a pull request. So each selected
page becomes a small PNG, and a contact sheet shows them all at once: the
page order, where handouts start, and which pages came out blank.

Output is deterministic (same PDF, same PNG bytes), so previews can be
committed and compared, and is written only once every page has rendered,
so a failure leaves no half-updated set behind.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from packetgen.errors import DocumentError, OptionError
from packetgen.handouts.selection import parse_page_selection
from packetgen.support._atomic import write_bytes_atomic
from packetgen.tools._pdfium import fit_scale, open_pdf, render_page

__all__ = ["preview_pdf"]

BACKGROUND = (236, 236, 236)
"""Light grey, so that white pages stand out on the sheet."""
FRAME = (160, 160, 160)
LABEL = (70, 70, 70)
MAX_SHEET_PIXELS = 40_000_000
"""Beyond this the contact sheet's thumbnails shrink: a sheet for a few
hundred pages would otherwise need gigabytes of memory."""
_MIN_DPI, _MAX_DPI = 10, 300


def preview_pdf(
    pdf: Path,
    out_dir: Path,
    *,
    pages: str | None = None,
    dpi: int = 60,
    columns: int = 4,
) -> list[Path]:
    """Write ``<stem>-page-N.png`` for the selected pages and ``<stem>-contact-sheet.png``.

    ``pages`` uses the spec's page-selection syntax (``"1-4,7"``; default:
    every page). Page files keep the PDF's page numbers. Returns the written
    paths in selection order, the contact sheet last. A page too large to draw
    at ``dpi`` within ``_pdfium.MAX_RENDER_PIXELS`` is drawn at a lower
    resolution instead of taking gigabytes.
    """
    pdf, out_dir = Path(pdf), Path(out_dir)
    if not _MIN_DPI <= dpi <= _MAX_DPI:
        raise OptionError(f"preview dpi must be between {_MIN_DPI} and {_MAX_DPI}, found {dpi}")
    if columns < 1:
        raise OptionError(f"the contact sheet needs at least 1 column, found {columns}")
    pdfium = _pdfium()
    outputs: list[tuple[Path, bytes]] = []
    thumbnails: list[tuple[int, Image.Image]] = []
    with open_pdf(pdf, pdfium) as doc:
        try:
            indexes = list(dict.fromkeys(parse_page_selection(pages, len(doc))))
        except ValueError as exc:
            raise OptionError(f"{pdf}: {exc}") from None
        # Shrink thumbnails as they are made: holding hundreds of full
        # previews until the sheet is drawn would take a lot of memory.
        sizes = [_drawn_size(doc, i, dpi, pdf, pdfium) for i in indexes]
        shrink = _sheet_scale(
            len(indexes),
            max((w for w, _h in sizes), default=1),
            max((h for _w, h in sizes), default=1),
            columns,
            dpi,
        )
        for index in indexes:
            # A page too large to draw at this dpi is drawn smaller: a preview
            # only has to show what is on it.
            image, _dpi = render_page(doc, index, dpi=dpi, pdf=pdf, pdfium=pdfium, shrink=True)
            image = image.convert("RGB")
            outputs.append((out_dir / f"{pdf.stem}-page-{index + 1}.png", _png(image)))
            thumbnails.append((index + 1, _shrunk(image, shrink)))
    sheet = _contact_sheet(thumbnails, columns=columns, dpi=dpi)
    outputs.append((out_dir / f"{pdf.stem}-contact-sheet.png", _png(sheet)))
    for path, data in outputs:
        write_bytes_atomic(path, data)
    return [path for path, _data in outputs]


def _drawn_size(doc: Any, index: int, dpi: int, pdf: Path, pdfium: Any) -> tuple[int, int]:
    """Pixels of page ``index`` as :func:`render_page` will draw it."""
    try:
        width, height = doc[index].get_size()
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"{pdf}: page {index + 1} cannot be read ({exc})") from None
    scale = fit_scale(width, height, dpi / 72)
    return math.ceil(width * scale), math.ceil(height * scale)


def _contact_sheet(
    pages: list[tuple[int, Image.Image]], *, columns: int = 4, dpi: int = 60
) -> Image.Image:
    """Pages in a grid of equal cells, each framed, with its number underneath.

    Cells are as large as the largest page so that a landscape handout among
    portrait pages keeps its proportions; gutter and label scale with ``dpi``
    so sheets at any resolution look alike.
    """
    if not pages:
        raise OptionError("no pages to put on a contact sheet")
    cols = min(columns, len(pages))
    rows = math.ceil(len(pages) / cols)
    cell_w = max(image.width for _n, image in pages)
    cell_h = max(image.height for _n, image in pages)
    gutter, label_h = _gutter(dpi), _label_height(dpi)
    scale = _sheet_scale(len(pages), cell_w, cell_h, columns, dpi)
    if scale != 1.0:
        cell_w, cell_h = max(1, int(cell_w * scale)), max(1, int(cell_h * scale))
    width = cols * cell_w + (cols + 1) * gutter
    height = rows * (cell_h + label_h) + (rows + 1) * gutter
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = _font(label_h)
    for position, (number, image) in enumerate(pages):
        image = _shrunk(image, scale)
        row, col = divmod(position, cols)
        left = gutter + col * (cell_w + gutter)
        top = gutter + row * (cell_h + label_h + gutter)
        x = left + (cell_w - image.width) // 2
        sheet.paste(image, (x, top))
        draw.rectangle((x - 1, top - 1, x + image.width, top + image.height), outline=FRAME)
        centre = (left + cell_w / 2, top + cell_h + label_h / 2)
        draw.text(centre, str(number), fill=LABEL, font=font, anchor="mm")
    return sheet


def _sheet_scale(count: int, cell_w: int, cell_h: int, columns: int, dpi: int) -> float:
    """1.0, or less when the sheet would pass :data:`MAX_SHEET_PIXELS`."""
    cols = max(1, min(columns, count))
    rows = math.ceil(count / cols)
    area = (cols * cell_w) * (rows * (cell_h + _label_height(dpi)))
    return 1.0 if area <= MAX_SHEET_PIXELS else math.sqrt(MAX_SHEET_PIXELS / area)


def _shrunk(image: Image.Image, scale: float) -> Image.Image:
    if scale == 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _gutter(dpi: int) -> int:
    return max(4, round(dpi / 6))


def _label_height(dpi: int) -> int:
    return max(12, round(dpi / 3))


def _font(label_h: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's bundled font, so labels look the same on every machine."""
    size = max(8, round(label_h * 0.6))
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow < 10.1 or no FreeType
        return ImageFont.load_default()


def _png(image: Image.Image) -> bytes:
    # Pillow writes no timestamps or other varying chunks into a PNG, so the
    # same pixels give the same bytes.
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def _pdfium() -> Any:
    try:
        import pypdfium2
    except ImportError:
        raise DocumentError(
            "previews need the pypdfium2 package; install it with `pip install pypdfium2`"
        ) from None
    return pypdfium2
