"""verify: read a finished PDF back the way a phone would, before it is printed.

A code that looks fine on screen can still fail on paper: a theme that shrinks
it, a handout drawn over it, a stale PDF built from last year's spec, modules
too small to survive a photocopy of a photocopy. So the PDF is rasterised
(optionally blurred), every QR code is decoded, measured, and compared with
the links the spec says it must carry; with ``photocopies``, every code is
also copied that many times (:mod:`packetgen.tools._photocopy`) and must still
decode. Photos and scans of printed pages (PNG or JPEG) are read as they are:
they have no page size to measure codes against, so only what decodes counts.

Sizes are measured on the unblurred raster from the symbol's anti-aliased
edges, which gives a small fraction of a pixel of precision for upright codes;
that matters because the rule (0.7 mm modules) is close to what 150 dpi can
resolve.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PIL import Image, ImageFile, ImageFilter, ImageOps

from packetgen.content.links import collect_links
from packetgen.content.qr import QUIET_ZONE, make_qr
from packetgen.errors import LimitError, PacketgenError
from packetgen.spec.models import Packet
from packetgen.tools import _photocopy
from packetgen.tools._pdfium import MAX_RENDER_PIXELS, open_pdf, render_page

__all__ = [
    "MAX_PHOTOCOPIES",
    "MIN_MODULE_MM",
    "MIN_SIZE_MM",
    "FoundCode",
    "VerifyReport",
    "copies_in_words",
    "decode_image",
    "decode_page_images",
    "file_kind",
    "format_verify",
    "verify_files",
    "verify_images",
    "verify_pdf",
]

MIN_SIZE_MM = 20.0
"""The floor of DESIGN.md for a printed code, quiet zone included."""
MIN_MODULE_MM = 0.7
"""The smallest module that survived a photocopy of a photocopy (README's table)."""
_MEASURE_SLACK_PX = 0.5
"""Measurement uncertainty allowed before a code is called too small."""
_MIN_DPI, _MAX_DPI = 50, 600
MAX_PHOTOCOPIES = 5
"""Most copy generations a check simulates. In the model, four copies already
lose every module below 1 mm; a page copied more often than five times is past
what any code size saves, and more copies would only cost time."""
_COPY_MARGIN_MODULES = 2
"""Page around a code's quiet zone that is copied with it: enough for the
copy's turn to move no white fill near the symbol."""

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FoundCode:
    """One QR code decoded from a rendered page."""

    page: int
    """1-based page number (1 for a photo or scan)."""
    url: str
    printed_mm: float | None
    """Side of the code as printed, quiet zone included; None in a photo or scan."""
    module_mm: float | None
    """Side of one module: what decides whether a phone can resolve the code;
    None in a photo or scan, which has no known scale."""
    in_spec: bool | None
    """Whether the code is one the spec (or a merged handout) accounts for; None without a spec."""
    qr_version: int = 0
    box_pt: Box | None = field(default=None, compare=False)
    """The symbol's box on the page in PDF points, (left, top, right, bottom) from the top left."""
    survived: bool | None = None
    """Whether the code still decodes after the photocopies the check
    simulated; None when none were."""
    file: Path | None = None
    """The photo or scan the code was read from; None in a PDF."""


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_pdf` found in one PDF."""

    pdf: Path
    """The PDF checked; for photos and scans, the first of :attr:`images`."""
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
    photocopies: int = 0
    """Copy generations every code was put through before it had to decode."""
    images: tuple[Path, ...] = ()
    """The photos and scans checked together; empty for a PDF."""

    @property
    def too_small(self) -> list[FoundCode]:
        """Codes printed below the size a photocopy still scans, beyond measuring error."""
        slack_mm = _MEASURE_SLACK_PX * 25.4 / self.dpi
        return [
            c
            for c in self.codes
            if c.printed_mm is not None
            and c.module_mm is not None
            and (
                c.printed_mm < self.min_size_mm - slack_mm
                or c.module_mm < self.min_module_mm - slack_mm * c.module_mm / c.printed_mm
            )
        ]

    @property
    def lost(self) -> list[FoundCode]:
        """Codes that decode from the page but not after the simulated photocopies."""
        return [c for c in self.codes if c.survived is False]

    @property
    def ok(self) -> bool:
        """Every required link scans, nothing else does, and no code is too
        small or lost in copying.

        Without a spec, at least one code must be found: an empty result
        usually means the codes do not scan at all.
        """
        if self.too_small or self.lost:
            return False
        if self.required is None:
            return bool(self.codes)
        return not self.missing and not self.unexpected


# ---------------------------------------------------------------- decoding


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
    pdfium, zxingcpp = _readers()
    _check_settings(dpi=dpi, blur=blur, photocopies=photocopies)
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
    _pdfium, zxingcpp = _readers()
    return [str(b.text) for b in _read(image, zxingcpp)]


def _read(image: Image.Image, zxingcpp: Any) -> list[Any]:
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
    survived = any(str(b.text) == code.url for b in _read(scanned, zxingcpp))
    return dataclasses.replace(code, survived=survived)


def _decode_image(
    image: Image.Image, page: int, dpi: int, blur: float, zxingcpp: Any
) -> list[FoundCode]:
    scanned = image.filter(ImageFilter.GaussianBlur(blur)) if blur else image
    codes: list[FoundCode] = []
    for barcode in _read(scanned, zxingcpp):
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
    photocopies: int = 0,
    seed: int = 0,
) -> VerifyReport:
    """Decode every QR code of ``pdf`` and compare it with ``packet``'s links.

    With a packet, a binder (``<id>.pdf``, or ``inservice`` given) must carry
    the links of its in-service, and any other PDF (``packet.pdf``) every link
    of the packet. Links a build found inside handouts are not in the spec;
    they count as expected when the PDF also has them as clickable text (a
    link annotation away from the code itself). ``pages`` (1-based) limits
    the check, and then only links on those pages can be found.

    With ``photocopies`` (1 is a copy, 2 a copy of a copy), every code must
    also decode after that many simulated copies, and a link counts as found
    only through a code that does. ``seed`` picks the copies' random skew and
    grain; the same seed gives the same verdict.
    """
    pdf = Path(pdf)
    per_page = decode_page_images(pdf, dpi, blur, pages=pages, photocopies=photocopies, seed=seed)
    codes = [code for page in per_page for code in page]
    if packet is None:
        if inservice is not None:
            raise PacketgenError("an in-service can only be checked against a spec; give the spec")
        return VerifyReport(pdf, codes, [], [], None, dpi=dpi, photocopies=photocopies)

    ids = [s.id for s in packet.inservices]
    if inservice is None and pdf.stem in ids:
        inservice = pdf.stem
    required = _required(packet, inservice)
    expected = set(required)
    stray = {c.url for c in codes if c.url not in expected}
    if stray:
        expected |= _linked_elsewhere(pdf, codes, stray, dpi)
    checked = [dataclasses.replace(c, in_spec=c.url in expected) for c in codes]
    return _compare(
        checked, required, VerifyReport(pdf, [], [], [], dpi=dpi, photocopies=photocopies)
    )


def verify_images(
    images: Sequence[Path],
    *,
    packet: Packet | None = None,
    inservice: str | None = None,
    blur: float = 0.0,
) -> VerifyReport:
    """Decode the QR codes in photos or scans of printed pages (PNG or JPEG), together.

    The images are one set, such as the pages of a binder photographed one by
    one: with a packet, every link of ``inservice`` (or of the whole packet)
    must be decoded from at least one of them, and every code must be a link
    of the packet. Nothing is measured: a photo has no known scale, so what
    counts is what decodes. ``blur`` (pixels) blurs each image first.
    """
    if not images:
        raise ValueError("verify_images needs at least one image")
    _pdfium, zxingcpp = _readers()
    _check_settings(blur=blur)
    paths = tuple(Path(p) for p in images)
    codes: list[FoundCode] = []
    for path in paths:
        if file_kind(path) != "image":
            raise PacketgenError(f"{path} is a PDF, not a photo or scan; check it with verify_pdf")
        picture = _load_image(path)
        scanned = picture.filter(ImageFilter.GaussianBlur(blur)) if blur else picture
        found = []
        for barcode in _read(scanned, zxingcpp):
            points = _corners(barcode.position)
            found.append((min(y for _, y in points), min(x for x, _ in points), barcode))
        for _y, _x, barcode in sorted(found, key=lambda f: (round(f[0]), f[1])):
            codes.append(
                FoundCode(1, str(barcode.text), None, None, None, _version(barcode), file=path)
            )
    report = VerifyReport(paths[0], codes, [], [], None, images=paths)
    if packet is None:
        if inservice is not None:
            raise PacketgenError("an in-service can only be checked against a spec; give the spec")
        return report
    required = _required(packet, inservice)
    wanted = set(required)
    checked = [dataclasses.replace(c, in_spec=c.url in wanted) for c in codes]
    return _compare(checked, required, report)


FileKind = Literal["pdf", "image"]


def file_kind(path: Path) -> FileKind:
    """Whether ``path`` is a PDF or an image (PNG or JPEG), from its first bytes.

    A file named ``.pdf`` that is neither counts as a PDF, so that PDFium says
    what is wrong with it; anything else is refused with a message that says
    what the check reads.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a PDF or an image" if path.is_dir() else "does not exist"
        raise PacketgenError(f"{path} {what}")
    try:
        with path.open("rb") as stream:
            head = stream.read(1024)
    except OSError as exc:
        raise PacketgenError(f"cannot read {path}: {exc.strerror}") from None
    # PDF allows its header anywhere in the first 1024 bytes.
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
        return "image"
    if path.suffix.lower() == ".pdf":
        return "pdf"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        raise PacketgenError(
            f"{path} is a HEIC photo, which packetgen cannot read; export it as JPEG"
            " (on an iPhone: Settings > Camera > Formats > Most Compatible) and check that"
        )
    raise PacketgenError(
        f"{path} is neither a PDF nor a PNG or JPEG image; give a PDF that"
        " `packetgen build` wrote, or a photo or scan of a printed page saved as PNG or JPEG"
    )


def verify_files(
    paths: Sequence[Path],
    *,
    packet: Packet | None = None,
    inservice: str | None = None,
    dpi: int = 150,
    blur: float = 0.0,
    photocopies: int = 0,
    seed: int = 0,
) -> Iterator[VerifyReport]:
    """One report per PDF, and one for all the images together, in the order given.

    Each PDF is checked on its own (:func:`verify_pdf`); the photos and scans
    are checked as one set (:func:`verify_images`): a link counts as found
    when any of them has a code that decodes to it. ``dpi`` and
    ``photocopies`` apply to PDFs only; an image is read as it is.
    """
    # Every file is looked at before the first is checked, so that a wrong
    # one is reported at once rather than after minutes of work.
    kinds = [(Path(p), file_kind(Path(p))) for p in paths]
    images = [p for p, kind in kinds if kind == "image"]
    images_done = False
    for path, kind in kinds:
        if kind == "pdf":
            yield verify_pdf(
                path,
                packet=packet,
                inservice=inservice,
                dpi=dpi,
                blur=blur,
                photocopies=photocopies,
                seed=seed,
            )
        elif not images_done:
            images_done = True
            yield verify_images(images, packet=packet, inservice=inservice, blur=blur)


def _required(packet: Packet, inservice: str | None) -> list[str]:
    """What the codes of ``inservice`` (or of the whole packet) must decode to.

    That is the link's short link when the packet has ``short_links`` (the
    code carries it, and the site redirects), and the link itself otherwise.
    """
    table = collect_links(packet)
    ids = [s.id for s in packet.inservices]
    if inservice is None:
        return [ref.encoded for ref in table.links]
    if inservice in ids:
        return [ref.encoded for ref in table.for_inservice(inservice)]
    raise PacketgenError(f"no in-service with id {inservice!r}; the packet has: {', '.join(ids)}")


def _compare(codes: list[FoundCode], required: list[str], report: VerifyReport) -> VerifyReport:
    """``report`` with ``codes`` compared with the ``required`` links.

    A code lost in the simulated copies finds nothing: the link is missing
    unless another code of it survives.
    """
    decoded = {c.url for c in codes if c.survived is not False}
    missing = [url for url in required if url not in decoded]
    unexpected = list(dict.fromkeys(c.url for c in codes if not c.in_spec))
    return dataclasses.replace(
        report, codes=codes, missing=missing, unexpected=unexpected, required=required
    )


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


def _load_image(path: Path) -> Image.Image:
    """``path`` as an upright greyscale image, within :data:`MAX_RENDER_PIXELS`.

    A JPEG larger than that (a 200-megapixel phone photo) is decoded at a half,
    quarter or eighth of its size, which JPEG does cheaply and which still
    leaves the modules of a page's codes many pixels wide; a PNG that large is
    refused before it is decoded.
    """
    try:
        with warnings.catch_warnings():
            # The limit is checked below, before decoding, with a message of our own.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # A corrupt EXIF block only means the orientation is unknown.
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(path, formats=["PNG", "JPEG"]) as img:
                width, height = img.size
                if width * height > MAX_RENDER_PIXELS:
                    if img.format != "JPEG" or width * height > 64 * MAX_RENDER_PIXELS:
                        raise LimitError(
                            f"{path} is {width:,} x {height:,} pixels, more than the limit"
                            f" of {MAX_RENDER_PIXELS:,}; save it smaller (a page at 300 dpi"
                            " is about 9 million pixels) and check that"
                        )
                    factor = 2
                    while (width / factor) * (height / factor) > MAX_RENDER_PIXELS:
                        factor *= 2
                    img.draft("L", (math.ceil(width / factor), math.ceil(height / factor)))
                # WeasyPrint (imported by a build) lets truncated images load
                # with a grey bottom; a cut-off photo must be reported instead.
                truncated_ok = ImageFile.LOAD_TRUNCATED_IMAGES
                ImageFile.LOAD_TRUNCATED_IMAGES = False
                try:
                    img.load()
                finally:
                    ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
                upright: Image.Image = ImageOps.exif_transpose(img)
                return upright.convert("L")
    except Image.DecompressionBombError:
        raise LimitError(
            f"{path} has more than {MAX_RENDER_PIXELS:,} pixels; save it smaller"
            " (a page at 300 dpi is about 9 million pixels) and check that"
        ) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise PacketgenError(
            f"{path} is an image that cannot be read ({exc}); save it again as PNG or JPEG"
        ) from None


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
    lines = [_title(report)]
    if report.codes:
        rows = _image_rows(report) if report.images else _pdf_rows(report)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines += [
            "  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
    else:
        lines.append("  no QR codes found")
    where = (
        "the PDF" if not report.images else "the images" if len(report.images) > 1 else "the image"
    )
    after = f" after {copies_in_words(report.photocopies)}" if report.photocopies else ""
    for url in report.missing:
        lines.append(f"  missing: {url} (in the spec, but no code in {where} scans to it{after})")
    for url in report.unexpected:
        lines.append(f"  unexpected: {url} ({_places(report, url)}; not a link of the spec)")
    for c in report.too_small:
        lines.append(
            f"  too small: the code on page {c.page} for {c.url} is {c.printed_mm:.1f} mm"
            f" with {c.module_mm:.2f} mm modules; at least {report.min_size_mm:g} mm and"
            f" {report.min_module_mm:g} mm scan from a photocopy of a photocopy"
        )
    for c in report.lost:
        lines.append(
            f"  lost in copying: the code on page {c.page} for {c.url} ({c.module_mm:.2f} mm"
            f" modules) does not scan after {copies_in_words(report.photocopies)}; print it"
            " with bigger modules (qr_module_mm: 0.8 in the spec) or a shorter link"
            " (short_links in the spec), which makes fewer, bigger modules"
        )
    lines.append(_verdict(report))
    return "\n".join(lines) + "\n"


def copies_in_words(photocopies: int) -> str:
    """``one photocopy``, ``two photocopies``…: how messages name a number of copies."""
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    noun = "photocopy" if photocopies == 1 else "photocopies"
    return f"{words.get(photocopies, str(photocopies))} {noun}"


def _title(report: VerifyReport) -> str:
    if len(report.images) > 1:
        return f"{len(report.images)} images, checked together:"
    return f"{report.pdf}:"


def _pdf_rows(report: VerifyReport) -> list[list[str]]:
    small = {id(c) for c in report.too_small}
    n = report.photocopies
    copied = [f"after {n} cop{'y' if n == 1 else 'ies'}"] if n else []
    rows = [["page", "size", "module", "in spec", *copied, "URL"]]
    for c in report.codes:
        flag = "" if c.in_spec is None else ("yes" if c.in_spec else "NO")
        size = f"{c.printed_mm or 0:.1f} mm" + (" !" if id(c) in small else "")
        survived = ["scans" if c.survived else "LOST"] if n else []
        rows.append([str(c.page), size, f"{c.module_mm or 0:.2f} mm", flag, *survived, c.url])
    return rows


def _image_rows(report: VerifyReport) -> list[list[str]]:
    several = len(report.images) > 1
    rows = [[*(["file"] if several else []), "in spec", "URL"]]
    for c in report.codes:
        flag = "" if c.in_spec is None else ("yes" if c.in_spec else "NO")
        rows.append([*([str(c.file)] if several else []), flag, c.url])
    return rows


def _places(report: VerifyReport, url: str) -> str:
    """Where ``url``'s codes are: pages of the PDF, or the images that show it."""
    if report.images:
        files = list(dict.fromkeys(str(c.file) for c in report.codes if c.url == url))
        return ", ".join(files) if len(report.images) > 1 else "in the image"
    pages = sorted({c.page for c in report.codes if c.url == url})
    return "page " + ", ".join(str(p) for p in pages)


def _verdict(report: VerifyReport) -> str:
    n = len(report.codes)
    codes = f"{n} code{'' if n == 1 else 's'}"
    if report.ok:
        if report.photocopies:
            codes += f" {'scans' if n == 1 else 'scan'} after {copies_in_words(report.photocopies)}"
        if report.required is None:
            if report.images:
                return f"OK: {codes} read (no spec given, so nothing to compare them with)"
            checked = "sizes and copies were" if report.photocopies else "sizes were"
            return f"OK: {codes} (no spec given, so only {checked} checked)"
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
    if report.lost:
        k = len(report.lost)
        problems.append(
            f"{k} code{'' if k == 1 else 's'} did not survive {copies_in_words(report.photocopies)}"
        )
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


def _check_settings(*, dpi: int = 150, blur: float, photocopies: int = 0) -> None:
    if not _MIN_DPI <= dpi <= _MAX_DPI:
        raise PacketgenError(
            f"dpi must be between {_MIN_DPI} and {_MAX_DPI}, found {dpi}:"
            " below that codes cannot be measured, above it pages take too long"
        )
    if not (math.isfinite(blur) and 0 <= blur <= 10):
        raise PacketgenError(f"blur must be between 0 and 10 pixels, found {blur}")
    if not 0 <= photocopies <= MAX_PHOTOCOPIES:
        raise PacketgenError(
            f"photocopies must be between 0 and {MAX_PHOTOCOPIES}, found {photocopies}"
        )
