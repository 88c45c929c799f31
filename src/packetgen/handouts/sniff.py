"""What a handout file is, decided by its content rather than by its name.

:func:`read_limited` reads the file once, within a size bound, and
:func:`sniff` names its kind ("pdf", "png", "jpeg" or an office extension) or
raises a :class:`~packetgen.errors.HandoutError` saying what the file is
instead (an HTML page saved as ``.pdf``, a HEIC photo…) and what to do.
The importer's downloads and the editor's uploads use the same test.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from packetgen.errors import HandoutError
from packetgen.handouts._office import OFFICE_KINDS
from packetgen.support._read_once import facts_for, remember

__all__ = ["read_limited", "sniff", "too_big"]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ACCEPTED = (
    "a handout must be a PDF, a PNG or JPEG picture, or a Word, PowerPoint or "
    "OpenDocument file (.docx .doc .odt .pptx .ppt .odp .xlsx .xls .ods, converted "
    "with LibreOffice)"
)

# Other pictures trainers commonly get from phones and websites: naming them
# lets the error say exactly what to convert.
_OTHER_PICTURES: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF8", 0, "a GIF picture"),
    (b"II*\x00", 0, "a TIFF picture"),
    (b"MM\x00*", 0, "a TIFF picture"),
    (b"ftypheic", 4, "an HEIC photo (the iPhone camera format)"),
    (b"ftypheix", 4, "an HEIC photo (the iPhone camera format)"),
    (b"ftypmif1", 4, "an HEIF photo"),
    (b"ftypavif", 4, "an AVIF picture"),
)

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _looks_like_html(head: bytes) -> bool:
    text = head
    for bom in _BOMS:
        if text.startswith(bom):
            # UTF-16 pages interleave NULs; dropping them is enough to see the tags.
            text = text[len(bom) :].replace(b"\x00", b"")
            break
    text = text.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return True
    # Pages saved by browsers may open with a comment or an XML declaration.
    return text.startswith((b"<!--", b"<?xml")) and (b"<html" in text or b"<!doctype html" in text)


def sniff(data: bytes, path: Path, file: str, item: str) -> str:
    """Return "pdf", "png", "jpeg" or an office extension, or raise why not."""
    if not data:
        raise HandoutError(
            file,
            "the file is empty (0 bytes); download or export it again",
            item=item,
        )
    head = data[:1024]
    if _looks_like_html(head):
        named = f"saved with a {path.suffix} name, " if path.suffix else ""
        raise HandoutError(
            file,
            f"this is an HTML web page {named}not a PDF"
            " (often a download or registration page instead of the document); "
            "download the real PDF, or open the page in a browser and print it to PDF",
            item=item,
        )
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(_PNG_MAGIC):
        return "png"
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    ext = path.suffix.lower().lstrip(".")
    office = OFFICE_KINDS.get(ext)
    if office is not None:
        if data.startswith(office.magic):
            return ext
        raise HandoutError(
            file,
            f"the name says {office.description} (.{ext}) but the content is not one: "
            f"the file is damaged or of another type; {_ACCEPTED}",
            item=item,
        )
    for magic, offset, what in _OTHER_PICTURES:
        if data[offset : offset + len(magic)] == magic:
            raise HandoutError(
                file,
                f"this is {what}; save or export it as PNG or JPEG (or PDF) and "
                "point `file:` at that",
                item=item,
            )
    raise HandoutError(
        file, f"packetgen does not recognise this kind of file: {_ACCEPTED}", item=item
    )


def read_limited(path: Path, file: str, item: str, max_bytes: int) -> bytes:
    # Read once, into memory, with a bound: the size check and the parse then
    # see the same bytes even if the file changes meanwhile.
    try:
        info = path.stat()
    except FileNotFoundError:
        raise HandoutError(
            file,
            "the file does not exist; check the `file:` path in the spec "
            "(relative paths start at the spec file's folder)",
            item=item,
        ) from None
    except OSError as exc:
        raise HandoutError(
            file, f"the file cannot be read: {exc.strerror or exc}", item=item
        ) from exc
    if stat.S_ISDIR(info.st_mode):
        raise HandoutError(file, "this is a folder, not a file", item=item)
    if not stat.S_ISREG(info.st_mode):
        raise HandoutError(file, "this is not a regular file", item=item)
    known = facts_for(path)
    if known is not None and known.data is not None:
        data = known.data
    else:
        try:
            with path.open("rb") as fh:
                data = fh.read(max_bytes + 1)
                if len(data) <= max_bytes:
                    remember(path, os.fstat(fh.fileno()), data, guarded=False)
        except OSError as exc:
            raise HandoutError(
                file, f"the file cannot be read: {exc.strerror or exc}", item=item
            ) from exc
    if len(data) > max_bytes:
        raise HandoutError(file, too_big(max_bytes), item=item)
    return data


def too_big(max_bytes: int) -> str:
    return (
        f"the file is larger than the {max_bytes / (1024 * 1024):g} MB limit for a handout; "
        "export a smaller version (for example with compressed pictures) or select "
        "fewer pages into a new PDF"
    )
