"""Reading QR codes off rendered pages, as a phone would, and measuring them.

Pages are drawn with PDFium and read with zxing-cpp (both imported on first
use); each code's printed size comes from its anti-aliased edges, which gives
a fraction of a pixel of precision for upright codes. With ``photocopies``,
each code is also copied (:mod:`packetgen.tools._photocopy`) and read again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from packetgen.content.qr import QUIET_ZONE, make_qr
from packetgen.errors import DocumentError, LimitError, OptionError
from packetgen.tools import _photocopy
from packetgen.tools._pdfium import MAX_RENDER_PIXELS, open_pdf, render_page
from packetgen.tools._verify_report import FoundCode

__all__ = [
    "MAX_PHOTOCOPIES",
    "check_settings",
    "corners",
    "decode_image",
    "decode_page_images",
    "qr_version",
    "read_codes",
    "readers",
]

_MIN_DPI, _MAX_DPI = 50, 600
MAX_PHOTOCOPIES = 5
"""Most copy generations a check simulates. In the model, four copies already
lose every module below 1 mm; a page copied more often than five times is past
what any code size saves, and more copies would only cost time."""
_COPY_MARGIN_MODULES = 2
"""Page around a code's quiet zone that is copied with it: enough for the
copy's turn to move no white fill near the symbol."""


def decode_page_images(
    pdf: Path,
    dpi: int = 150,
    blur: float = 0.0,
    *,
    pages: Sequence[int] | None = None,
    photocopies: int = 0,
    seed: int = 0,
) -> list[list[FoundCode]]:
    """The QR codes of every page (index 0 is page 1), with their printed sizes.

    ``pages`` (1-based) limits the work; pages left out get an empty list so
    that indexes still match page numbers. ``in_spec`` is always None here.
    With ``photocopies``, every code found is also copied that many times and
    its ``survived`` says whether it still decodes (see :func:`_survives`).
    """
    pdfium, zxingcpp = readers()
    check_settings(dpi=dpi, blur=blur, photocopies=photocopies)
    with open_pdf(pdf, pdfium) as doc:
        count = len(doc)
        wanted = _page_indexes(pdf, pages, count)
        found: list[list[FoundCode]] = [[] for _ in range(count)]
        for index in wanted:
            # Refused rather than drawn smaller: sizes are measured at this dpi.
            image, _dpi = render_page(doc, index, dpi=dpi, pdf=pdf, pdfium=pdfium, shrink=False)
            codes = _decode_image(image.convert("L"), index + 1, dpi, blur, zxingcpp)
            if photocopies and codes:
                # Drawn at print resolution, which the copy model works at.
                try:
                    printed, _dpi = render_page(
                        doc, index, dpi=_photocopy.PRINT_DPI, pdf=pdf, pdfium=pdfium, shrink=False
                    )
                except LimitError:
                    raise LimitError(
                        f"{pdf}: page {index + 1} is too large to photocopy: copies are drawn at"
                        f" {_photocopy.PRINT_DPI} dpi, and this page would pass the limit of"
                        f" {MAX_RENDER_PIXELS:,} pixels; check it without --photocopy"
                    ) from None
                page = printed.convert("L")
                blur_scan = blur * _photocopy.SCAN_DPI / dpi
                codes = [
                    _survives(page, code, n, photocopies, seed, blur_scan, zxingcpp)
                    for n, code in enumerate(codes)
                ]
            found[index] = codes
        return found


def decode_image(image: Image.Image) -> list[str]:
    """What the QR codes in ``image`` decode to, read as :func:`verify_pdf` reads them."""
    _pdfium, zxingcpp = readers()
    return [str(b.text) for b in read_codes(image, zxingcpp)]


def read_codes(image: Image.Image, zxingcpp: Any) -> list[Any]:
    """zxing-cpp's barcodes in ``image``, with every option that matters spelled out.

    The QR detector finds codes at any small angle and in mild perspective on
    its own; ``try_rotate`` adds quarter turns (a photo taken sideways),
    ``try_downscale`` finds codes whose modules are many pixels wide in a large
    photo, and the local-average binarizer copes with light that is uneven
    across a page. Spelled out so that a release with other defaults does not
    quietly change what the check accepts.
    """
    return list(
        zxingcpp.read_barcodes(
            image,
            formats=zxingcpp.BarcodeFormat.QRCode,
            try_rotate=True,
            try_downscale=True,
            binarizer=zxingcpp.Binarizer.LocalAverage,
        )
    )


def _survives(
    page: Image.Image,
    code: FoundCode,
    number: int,
    photocopies: int,
    seed: int,
    blur: float,
    zxingcpp: Any,
) -> FoundCode:
    """``code`` with ``survived`` set: whether it decodes after ``photocopies`` copies.

    Only the code and its surroundings are copied, not the whole page: every
    step of the model acts on a small neighbourhood (a turn about another
    centre only moves the code), so the result is the same as copying the
    page, at a fraction of the time. Each code has its own seed, so two codes
    of a page are laid on the glass at different angles, as on two copies.
    """
    # Both are set for every code read from a PDF page.
    assert code.box_pt is not None
    assert code.module_mm is not None
    to_px = _photocopy.PRINT_DPI / 72
    margin = (QUIET_ZONE + _COPY_MARGIN_MODULES) * code.module_mm * _photocopy.PRINT_DPI / 25.4
    left, top, right, bottom = code.box_pt
    region = page.crop(
        (
            max(0, math.floor(left * to_px - margin)),
            max(0, math.floor(top * to_px - margin)),
            min(page.width, math.ceil(right * to_px + margin)),
            min(page.height, math.ceil(bottom * to_px + margin)),
        )
    )
    scanned = _photocopy.photocopy(region, photocopies, seed=f"{seed}/{code.page}/{number}")
    if blur:
        scanned = scanned.filter(ImageFilter.GaussianBlur(blur))
    survived = any(str(b.text) == code.url for b in read_codes(scanned, zxingcpp))
    return dataclasses.replace(code, survived=survived)


def _decode_image(
    image: Image.Image, page: int, dpi: int, blur: float, zxingcpp: Any
) -> list[FoundCode]:
    scanned = image.filter(ImageFilter.GaussianBlur(blur)) if blur else image
    codes: list[FoundCode] = []
    for barcode in read_codes(scanned, zxingcpp):
        points = corners(barcode.position)
        version = qr_version(barcode)
        symbol = 4 * version + 17
        side_px = _measure(image, points, symbol)
        module_px = side_px / symbol
        printed_px = module_px * (symbol + 2 * QUIET_ZONE)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        to_pt = 72 / dpi
        codes.append(
            FoundCode(
                page=page,
                url=str(barcode.text),
                printed_mm=round(printed_px * 25.4 / dpi, 2),
                module_mm=round(module_px * 25.4 / dpi, 3),
                in_spec=None,
                qr_version=version,
                box_pt=(min(xs) * to_pt, min(ys) * to_pt, max(xs) * to_pt, max(ys) * to_pt),
            )
        )
    # Reading order, so reports and tests do not depend on the decoder's order.
    codes.sort(key=lambda c: (round((c.box_pt or (0, 0))[1]), (c.box_pt or (0, 0))[0]))
    return codes


def corners(position: Any) -> list[tuple[float, float]]:
    return [
        (float(p.x), float(p.y))
        for p in (
            position.top_left,
            position.top_right,
            position.bottom_right,
            position.bottom_left,
        )
    ]


def qr_version(barcode: Any) -> int:
    """The symbol version, which fixes the module count; zxing-cpp reports it
    in ``extra`` (3.x) or as ``version`` (some 2.x); otherwise re-encode."""
    extra = getattr(barcode, "extra", None)
    raw = extra.get("Version") if isinstance(extra, dict) else getattr(barcode, "version", None)
    with contextlib.suppress(TypeError, ValueError):
        version = int(str(raw).split()[-1])
        if 1 <= version <= 40:
            return version
    level = str(getattr(barcode, "ec_level", "M")) or "M"
    return make_qr(str(barcode.text), level if level in ("L", "M", "Q", "H") else "M").version  # type: ignore[arg-type]


def _measure(image: Image.Image, points: list[tuple[float, float]], symbol: int) -> float:
    """Side of the symbol in pixels.

    zxing's corners sit on pixel centres and so come out about a pixel short.
    For an upright code the true edges are found from the darkness of the
    edge pixels (anti-aliasing makes a pixel half covered by a module half
    grey); other codes fall back to the corners.
    """
    edges = [math.dist(points[i], points[(i + 1) % 4]) for i in range(4)]
    rough = sum(edges) / 4
    xs, ys = sorted(p[0] for p in points), sorted(p[1] for p in points)
    upright = (
        xs[1] - xs[0] <= 2 and xs[3] - xs[2] <= 2 and ys[1] - ys[0] <= 2 and ys[3] - ys[2] <= 2
    )
    if not upright:
        return rough
    # Up to two modules around the symbol are inside its quiet zone: light
    # unless something was printed over the margin, which the check below catches.
    margin = int(2 * rough / symbol) + 1
    left, top = max(0, int(xs[0]) - margin), max(0, int(ys[0]) - margin)
    right = min(image.width, int(xs[3]) + margin + 1)
    bottom = min(image.height, int(ys[3]) + margin + 1)
    region = image.crop((left, top, right, bottom))
    width = _extent([_darkest(region, x, vertical=True) for x in range(region.width)])
    height = _extent([_darkest(region, y, vertical=False) for y in range(region.height)])
    if width is None or height is None:
        return rough
    side = (width + height) / 2
    return side if abs(side - rough) <= 3 else rough


def _darkest(region: Image.Image, at: int, *, vertical: bool) -> int:
    box = (at, 0, at + 1, region.height) if vertical else (0, at, region.width, at + 1)
    # A greyscale ("L") image has one band, so the extrema are two numbers.
    low = region.crop(box).getextrema()[0]
    assert isinstance(low, int | float)
    return int(low)


def _extent(profile: list[int]) -> float | None:
    """Length of the dark run of a darkness profile, edge pixels counted by coverage."""
    white, black = max(profile), min(profile)
    if white - black < 64:
        return None
    cover = [(white - v) / (white - black) for v in profile]
    dark = [i for i, c in enumerate(cover) if c > 0.05]
    first, last = dark[0], dark[-1]
    if first == last:
        return cover[first]
    return (last - first - 1) + cover[first] + cover[last]


def readers() -> tuple[Any, Any]:
    """pypdfium2 and zxing-cpp, imported on first use: only verifying needs them."""
    try:
        import pypdfium2 as pdfium
        import zxingcpp
    except ImportError as exc:
        raise DocumentError(
            f"verifying PDFs needs the {exc.name} package; install it with"
            " `pip install pypdfium2 zxing-cpp`"
        ) from None
    return pdfium, zxingcpp


def _page_indexes(pdf: Path, pages: Sequence[int] | None, count: int) -> list[int]:
    if pages is None:
        return list(range(count))
    wrong = [p for p in pages if not 1 <= p <= count]
    if wrong:
        word = "page" if count == 1 else "pages"
        raise OptionError(
            f"{pdf} has {count} {word}; there is no page {wrong[0]} (pages count from 1)"
        )
    return sorted({p - 1 for p in pages})


def check_settings(*, dpi: int = 150, blur: float, photocopies: int = 0) -> None:
    if not _MIN_DPI <= dpi <= _MAX_DPI:
        raise OptionError(
            f"dpi must be between {_MIN_DPI} and {_MAX_DPI}, found {dpi}:"
            " below that codes cannot be measured, above it pages take too long"
        )
    if not (math.isfinite(blur) and 0 <= blur <= 10):
        raise OptionError(f"blur must be between 0 and 10 pixels, found {blur}")
    if not 0 <= photocopies <= MAX_PHOTOCOPIES:
        raise OptionError(
            f"photocopies must be between 0 and {MAX_PHOTOCOPIES}, found {photocopies}"
        )
