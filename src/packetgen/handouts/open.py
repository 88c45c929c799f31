"""Turn one handout file into pypdf pages ready to be placed into a binder.

A handout is whatever a trainer was given: a PDF (sometimes encrypted,
damaged, or not a PDF at all), a photo or screenshot, or an office document.
:func:`open_handout` accepts all of them, decides by content rather than by
file name, and either returns the selected pages with everything the binder
needs to know about them, or raises :class:`~packetgen.errors.HandoutError`
with a message a trainer can act on.

Specs may come from untrusted uploads, so every size is bounded (bytes,
pages, image pixels, conversion time) and every failure of a parser on a
malformed file becomes a ``HandoutError`` rather than a crash.
"""

from __future__ import annotations

from pathlib import Path

from packetgen.errors import HandoutError
from packetgen.handouts._office import convert_office
from packetgen.handouts._office_fonts import font_warnings
from packetgen.handouts.decoding import MAX_DECODED_BYTES, DecodingLimitError
from packetgen.handouts.pdfs import OpenedHandout, OutlineEntry, load_pdf
from packetgen.handouts.pictures import picture_to_pdf
from packetgen.handouts.sniff import read_limited, sniff, too_big
from packetgen.support._budget import MAX_DECODED_BYTES_TOTAL, decoding_budget

__all__ = [
    "MAX_DECODED_BYTES",
    "MAX_DECODED_BYTES_TOTAL",
    "MAX_HANDOUT_BYTES",
    "SOFFICE_TIMEOUT",
    "DecodingLimitError",
    "OpenedHandout",
    "OutlineEntry",
    "decoding_budget",
    "open_handout",
]


MAX_HANDOUT_BYTES = 200 * 1024 * 1024
"""The largest handout file (and office conversion) a build takes, by default."""
SOFFICE_TIMEOUT = 120.0
"""Seconds LibreOffice may take to convert one document, by default."""


def _convert_office(
    data: bytes, ext: str, *, file: str, item: str, timeout: float, max_bytes: int
) -> tuple[bytes, list[str]]:
    pdf, warnings = convert_office(
        data, ext, file=file, item=item, timeout=timeout, max_bytes=max_bytes
    )
    if len(pdf) > max_bytes:
        raise HandoutError(file, "converted to PDF, " + too_big(max_bytes), item=item)
    return pdf, warnings


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def open_handout(
    path: Path,
    *,
    item: str,
    pages: str | None = None,
    password: str | None = None,
    paper: tuple[float, float] = (612.0, 792.0),
    soffice_timeout: float = SOFFICE_TIMEOUT,
    max_bytes: int = MAX_HANDOUT_BYTES,
    max_pages: int = 2000,
    max_image_pixels: int = 50_000_000,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
) -> OpenedHandout:
    """Open one handout file and return its selected pages, ready to bind.

    ``item`` is the title of the spec item, used in messages. ``pages`` is a
    selection such as ``"1-3,5"`` (see :func:`parse_page_selection`).
    ``password`` opens an encrypted PDF that needs one. ``paper`` (width,
    height in points) sizes the page made from a picture. The ``max_*``
    limits and ``soffice_timeout`` bound the work an untrusted file can cause;
    ``max_decoded_bytes`` is what its PDF streams may unpack to, together, now
    and whenever its pages are read later (see also :func:`decoding_budget`).

    Raises :class:`~packetgen.errors.HandoutError` for every problem with the file.
    """
    path = Path(path)
    file = str(path)
    data = read_limited(path, file, item, max_bytes)
    kind = sniff(data, path, file, item)
    pdf = data
    converted_from: str | None = None
    conversion_warnings: list[str] = []
    if kind in ("png", "jpeg"):
        pdf = picture_to_pdf(
            data, kind, file=file, item=item, paper=paper, max_image_pixels=max_image_pixels
        )
        # A picture made into a PDF here has no password, whatever the spec says.
        converted_from, password = kind, None
    elif kind != "pdf":
        pdf, conversion_warnings = _convert_office(
            data, kind, file=file, item=item, timeout=soffice_timeout, max_bytes=max_bytes
        )
        converted_from = kind
    handout = load_pdf(
        pdf,
        path,
        file=file,
        item=item,
        pages=pages,
        password=password,
        max_pages=max_pages,
        max_decoded_bytes=max_decoded_bytes,
        converted_from=converted_from,
    )
    if kind not in ("pdf", "png", "jpeg"):
        handout.warnings.extend(conversion_warnings)
        handout.warnings.extend(font_warnings(data, handout.reader))
    return handout
