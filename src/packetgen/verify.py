"""verify: read a finished PDF back the way a phone would, before it is printed.

A code that looks fine on screen can still fail on paper: a theme that shrinks
it, a handout drawn over it, a stale PDF built from last year's spec. So the
PDF is rasterised (optionally blurred, like a photocopy), every QR code is
decoded, measured, and compared with the links the spec says it must carry.

Sizes are measured on the unblurred raster from the symbol's anti-aliased
edges, which gives a small fraction of a pixel of precision for upright codes;
that matters because the rule (0.5 mm modules) is close to what 150 dpi can
resolve.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from ._pdfium import open_pdf, render_page
from .errors import PacketgenError
from .links import collect_links
from .qr import QUIET_ZONE, make_qr
from .spec import Packet

__all__ = [
    "MIN_MODULE_MM",
    "MIN_SIZE_MM",
    "FoundCode",
    "VerifyReport",
    "decode_page_images",
    "format_verify",
    "verify_pdf",
]

MIN_SIZE_MM = 20.0
"""The floor of DESIGN.md for a printed code, quiet zone included."""
MIN_MODULE_MM = 0.5
"""The smallest module a phone camera resolves reliably on a photocopy."""
_MEASURE_SLACK_PX = 0.5
"""Measurement uncertainty allowed before a code is called too small."""
_MIN_DPI, _MAX_DPI = 50, 600

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FoundCode:
    """One QR code decoded from a rendered page."""

    page: int
    """1-based page number."""
    url: str
    printed_mm: float
    """Side of the code as printed, quiet zone included."""
    module_mm: float
    """Side of one module: what decides whether a phone can resolve the code."""
    in_spec: bool | None
    """Whether the code is one the spec (or a merged handout) accounts for; None without a spec."""
    qr_version: int = 0
    box_pt: Box | None = field(default=None, compare=False)
    """The symbol's box on the page in PDF points, (left, top, right, bottom) from the top left."""


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_pdf` found in one PDF."""

    pdf: Path
    codes: list[FoundCode]
    missing: list[str]
    """Spec URLs without a decodable code, in link-number order."""
    unexpected: list[str]
    """Decoded URLs the spec does not account for, in order of appearance."""
    required: list[str] | None = None
    """The spec URLs this PDF must carry; None when verified without a spec."""
    min_size_mm: float = MIN_SIZE_MM
    min_module_mm: float = MIN_MODULE_MM
    dpi: int = 150

    @property
    def too_small(self) -> list[FoundCode]:
        """Codes printed below the size a photocopy still scans, beyond measuring error."""
        slack_mm = _MEASURE_SLACK_PX * 25.4 / self.dpi
        return [
            c
            for c in self.codes
            if c.printed_mm < self.min_size_mm - slack_mm
            or c.module_mm < self.min_module_mm - slack_mm * c.module_mm / c.printed_mm
        ]

    @property
    def ok(self) -> bool:
        """Every required link scans, nothing else does, and no code is too small.

        Without a spec, at least one code must be found: an empty result
        usually means the codes do not scan at all.
        """
        if self.too_small:
            return False
        if self.required is None:
            return bool(self.codes)
        return not self.missing and not self.unexpected


# ---------------------------------------------------------------- decoding


def decode_page_images(
    pdf: Path, dpi: int = 150, blur: float = 0.0, *, pages: Sequence[int] | None = None
) -> list[list[FoundCode]]:
    """The QR codes of every page (index 0 is page 1), with their printed sizes.

    ``pages`` (1-based) limits the work; pages left out get an empty list so
    that indexes still match page numbers. ``in_spec`` is always None here.
    """
    pdfium, zxingcpp = _readers()
    _check_settings(dpi, blur)
    with open_pdf(pdf, pdfium) as doc:
        count = len(doc)
        wanted = _page_indexes(pdf, pages, count)
        found: list[list[FoundCode]] = [[] for _ in range(count)]
        for index in wanted:
            # Refused rather than drawn smaller: sizes are measured at this dpi.
            image, _dpi = render_page(doc, index, dpi=dpi, pdf=pdf, pdfium=pdfium, shrink=False)
            found[index] = _decode_image(image.convert("L"), index + 1, dpi, blur, zxingcpp)
        return found


def _decode_image(
    image: Image.Image, page: int, dpi: int, blur: float, zxingcpp: Any
) -> list[FoundCode]:
    scanned = image.filter(ImageFilter.GaussianBlur(blur)) if blur else image
    codes: list[FoundCode] = []
    for barcode in zxingcpp.read_barcodes(scanned, formats=zxingcpp.BarcodeFormat.QRCode):
        points = _corners(barcode.position)
        version = _version(barcode)
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


def _corners(position: Any) -> list[tuple[float, float]]:
    return [
        (float(p.x), float(p.y))
        for p in (
            position.top_left,
            position.top_right,
            position.bottom_right,
            position.bottom_left,
        )
    ]


def _version(barcode: Any) -> int:
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


# ---------------------------------------------------------------- verifying


def verify_pdf(
    pdf: Path,
    *,
    packet: Packet | None = None,
    inservice: str | None = None,
    dpi: int = 150,
    blur: float = 0.0,
    pages: Sequence[int] | None = None,
) -> VerifyReport:
    """Decode every QR code of ``pdf`` and compare it with ``packet``'s links.

    With a packet, a binder (``<id>.pdf``, or ``inservice`` given) must carry
    the links of its in-service, and any other PDF (``packet.pdf``) every link
    of the packet. Links a build found inside handouts are not in the spec;
    they count as expected when the PDF also has them as clickable text (a
    link annotation away from the code itself). ``pages`` (1-based) limits
    the check, and then only links on those pages can be found.
    """
    pdf = Path(pdf)
    per_page = decode_page_images(pdf, dpi, blur, pages=pages)
    codes = [code for page in per_page for code in page]
    if packet is None:
        if inservice is not None:
            raise PacketgenError("an in-service can only be checked against a spec; give the spec")
        return VerifyReport(pdf, codes, [], [], None, dpi=dpi)

    table = collect_links(packet)
    ids = [s.id for s in packet.inservices]
    if inservice is None and pdf.stem in ids:
        inservice = pdf.stem
    if inservice is None:
        required = [ref.url for ref in table.links]
    elif inservice in ids:
        required = [ref.url for ref in table.for_inservice(inservice)]
    else:
        raise PacketgenError(
            f"no in-service with id {inservice!r}; the packet has: {', '.join(ids)}"
        )

    expected = set(required)
    stray = {c.url for c in codes if c.url not in expected}
    if stray:
        expected |= _linked_elsewhere(pdf, codes, stray, dpi)
    checked = [
        FoundCode(
            c.page, c.url, c.printed_mm, c.module_mm, c.url in expected, c.qr_version, c.box_pt
        )
        for c in codes
    ]
    decoded = {c.url for c in codes}
    missing = [url for url in required if url not in decoded]
    unexpected = list(dict.fromkeys(c.url for c in checked if not c.in_spec))
    return VerifyReport(pdf, checked, missing, unexpected, required, dpi=dpi)


def _linked_elsewhere(pdf: Path, codes: list[FoundCode], urls: set[str], dpi: int) -> set[str]:
    """URLs among ``urls`` that the PDF links from somewhere other than their own code.

    packetgen makes every code a link to its URL, so a link annotation on the
    code proves nothing; one elsewhere (text in a merged handout) shows the
    URL came with a handout, and the build numbers those links too.
    """
    boxes: dict[tuple[int, str], list[Box]] = {}
    for c in codes:
        if c.box_pt is not None:
            boxes.setdefault((c.page, c.url), []).append(c.box_pt)
    linked: set[str] = set()
    for page, url, rect in _uri_annotations(pdf):
        if url in urls and not any(_overlaps(rect, b) for b in boxes.get((page, url), [])):
            linked.add(url)
    return linked


def _uri_annotations(pdf: Path) -> Iterator[tuple[int, str, Box]]:
    """(page, URI, rect from the page's top left in points) of every URI link.

    Unreadable annotations are skipped: they only ever excuse a code, so
    missing one errs on the side of reporting it.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(pdf)
        pages = list(reader.pages)
    except (PyPdfError, OSError, ValueError):
        return
    for number, page in enumerate(pages, start=1):
        try:
            box = page.cropbox
            left, top = float(box.left), float(box.top)
            rotated = int(page.get("/Rotate", 0) or 0) % 360 != 0
            annots = page.get("/Annots")
            annots = annots.get_object() if annots is not None else []
            for ref in annots:
                annot = ref.get_object()
                action = annot.get("/A")
                action = action.get_object() if action is not None else None
                if not action or action.get("/S") != "/URI" or "/Rect" not in annot:
                    continue
                x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
                if rotated:  # no overlap test for turned pages: any link excuses
                    rect: Box = (-1e9, -1e9, -1e9, -1e9)
                else:
                    rect = (
                        min(x1, x2) - left,
                        top - max(y1, y2),
                        max(x1, x2) - left,
                        top - min(y1, y2),
                    )
                yield number, str(action["/URI"]), rect
        except (PyPdfError, KeyError, TypeError, ValueError, AttributeError):
            continue


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# ---------------------------------------------------------------- reporting


def format_verify(report: VerifyReport) -> str:
    """A table of the codes found, what is wrong, and a verdict on the last line."""
    small = {id(c) for c in report.too_small}
    header = ["page", "size", "module", "in spec", "URL"]
    rows = [header]
    for c in report.codes:
        flag = "" if c.in_spec is None else ("yes" if c.in_spec else "NO")
        size = f"{c.printed_mm:.1f} mm" + (" !" if id(c) in small else "")
        rows.append([str(c.page), size, f"{c.module_mm:.2f} mm", flag, c.url])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"{report.pdf}:"]
    if report.codes:
        lines += [
            "  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
    else:
        lines.append("  no QR codes found")
    for url in report.missing:
        lines.append(f"  missing: {url} (in the spec, but no code in the PDF scans to it)")
    for url in report.unexpected:
        where = sorted({c.page for c in report.codes if c.url == url})
        pages = ", ".join(str(p) for p in where)
        lines.append(f"  unexpected: {url} (page {pages}; not a link of the spec)")
    for c in report.too_small:
        lines.append(
            f"  too small: the code on page {c.page} for {c.url} is {c.printed_mm:.1f} mm"
            f" with {c.module_mm:.2f} mm modules; at least {report.min_size_mm:g} mm and"
            f" {report.min_module_mm:g} mm scan from a photocopy"
        )
    lines.append(_verdict(report))
    return "\n".join(lines) + "\n"


def _verdict(report: VerifyReport) -> str:
    n = len(report.codes)
    codes = f"{n} code{'' if n == 1 else 's'}"
    if report.ok:
        if report.required is None:
            return f"OK: {codes} (no spec given, so only sizes were checked)"
        k = len(report.required)
        found = "the spec link found" if k == 1 else f"all {k} spec links found"
        return f"OK: {codes}, {found}"
    problems: list[str] = []
    if report.required is None and not report.codes:
        problems.append("no QR code could be read")
    if report.missing:
        total = len(report.required or [])
        problems.append(
            f"{len(report.missing)} of {total} spec link{'' if total == 1 else 's'} not found"
        )
    if report.unexpected:
        k = len(report.unexpected)
        problems.append(f"{k} code{'' if k == 1 else 's'} not in the spec")
    if report.too_small:
        k = len(report.too_small)
        problems.append(f"{k} code{'' if k == 1 else 's'} too small")
    return f"FAILED: {codes}; " + "; ".join(problems)


# ---------------------------------------------------------------- helpers


def _readers() -> tuple[Any, Any]:
    """pypdfium2 and zxing-cpp, imported on first use: only verifying needs them."""
    try:
        import pypdfium2 as pdfium
        import zxingcpp
    except ImportError as exc:
        raise PacketgenError(
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
        raise PacketgenError(
            f"{pdf} has {count} {word}; there is no page {wrong[0]} (pages count from 1)"
        )
    return sorted({p - 1 for p in pages})


def _check_settings(dpi: int, blur: float) -> None:
    if not _MIN_DPI <= dpi <= _MAX_DPI:
        raise PacketgenError(
            f"dpi must be between {_MIN_DPI} and {_MAX_DPI}, found {dpi}:"
            " below that codes cannot be measured, above it pages take too long"
        )
    if not (math.isfinite(blur) and 0 <= blur <= 10):
        raise PacketgenError(f"blur must be between 0 and 10 pixels, found {blur}")
