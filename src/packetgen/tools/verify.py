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

This module decides what to check and compares; reading and measuring the
codes is :mod:`packetgen.tools._verify_decode`, the report and its wording
:mod:`packetgen.tools._verify_report`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from PIL import Image, ImageFilter, ImageOps

from packetgen.content.links import collect_links
from packetgen.errors import DocumentError, LimitError, OptionError
from packetgen.handouts.pictures import load_whole
from packetgen.spec.models import Packet
from packetgen.tools._pdfium import MAX_RENDER_PIXELS
from packetgen.tools._verify_decode import (
    MAX_PHOTOCOPIES,
    check_settings,
    corners,
    decode_image,
    decode_page_images,
    qr_version,
    read_codes,
    readers,
)
from packetgen.tools._verify_report import (
    MIN_MODULE_MM,
    MIN_SIZE_MM,
    Box,
    FoundCode,
    VerifyReport,
    copies_in_words,
    format_verify,
)

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
            raise OptionError("an in-service can only be checked against a spec; give the spec")
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
    _pdfium, zxingcpp = readers()
    check_settings(blur=blur)
    paths = tuple(Path(p) for p in images)
    codes: list[FoundCode] = []
    for path in paths:
        if file_kind(path) != "image":
            raise DocumentError(f"{path} is a PDF, not a photo or scan; check it with verify_pdf")
        picture = _load_image(path)
        scanned = picture.filter(ImageFilter.GaussianBlur(blur)) if blur else picture
        found = []
        for barcode in read_codes(scanned, zxingcpp):
            points = corners(barcode.position)
            found.append((min(y for _, y in points), min(x for x, _ in points), barcode))
        for _y, _x, barcode in sorted(found, key=lambda f: (round(f[0]), f[1])):
            codes.append(
                FoundCode(1, str(barcode.text), None, None, None, qr_version(barcode), file=path)
            )
    report = VerifyReport(paths[0], codes, [], [], None, images=paths)
    if packet is None:
        if inservice is not None:
            raise OptionError("an in-service can only be checked against a spec; give the spec")
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
        raise DocumentError(f"{path} {what}")
    try:
        with path.open("rb") as stream:
            head = stream.read(1024)
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror}") from None
    # PDF allows its header anywhere in the first 1024 bytes.
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
        return "image"
    if path.suffix.lower() == ".pdf":
        return "pdf"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        raise DocumentError(
            f"{path} is a HEIC photo, which packetgen cannot read; export it as JPEG"
            " (on an iPhone: Settings > Camera > Formats > Most Compatible) and check that"
        )
    raise DocumentError(
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
    if inservice is None:
        return [ref.encoded for ref in table.links]
    return [ref.encoded for ref in table.for_inservice(packet.inservice(inservice).id)]


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
                load_whole(img)  # a cut-off photo is reported, not read as grey
                upright: Image.Image = ImageOps.exif_transpose(img)
                return upright.convert("L")
    except Image.DecompressionBombError:
        raise LimitError(
            f"{path} has more than {MAX_RENDER_PIXELS:,} pixels; save it smaller"
            " (a page at 300 dpi is about 9 million pixels) and check that"
        ) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise DocumentError(
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
