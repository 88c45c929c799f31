"""The files an in-service's HTML page offers beside it, in ``<id>_files/``.

On paper a handout or a deck is in the binder; on a screen the reader needs
the file itself. Each item's own file is offered as a reader's device opens
it: a PDF or a picture as the trainer gave it, an office document as the PDF
the binder makes of it (the same conversion: LibreOffice runs once per
document and build, see ``handouts._conversions``).

This module decides what is offered and learns what the page says about it
(format, pages, size); the build writes the bytes (``build.stages``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packetgen.handouts._office import OFFICE_KINDS
from packetgen.handouts.open import MAX_HANDOUT_BYTES, SOFFICE_TIMEOUT
from packetgen.spec.models import Packet
from packetgen.support._guarded import read_bytes
from packetgen.support._read_once import facts_for
from packetgen.support._repro import identifier, pdf_build_date

__all__ = [
    "OfferedFile",
    "OfferedSource",
    "files_folder",
    "offer",
    "offered_sources",
    "original_bytes",
    "steady_pdf",
]


def files_folder(inservice_id: str) -> str:
    """The folder beside ``<id>.html`` that holds its files (as browsers name a saved page's)."""
    return f"{inservice_id}_files"


@dataclass(frozen=True)
class OfferedSource:
    """A file of the packet folder that an in-service's page offers, before it is read."""

    item: int
    """Index of the item in its in-service."""
    source: str
    """The path the spec gives (relative to the packet folder)."""
    name: str
    """Its name in ``<id>_files/``: unique there, ``.pdf`` for a converted document."""
    office: bool
    """An office document, offered as its PDF."""


@dataclass(frozen=True)
class OfferedFile:
    """What the page says about an offered file (picklable: it goes to worker processes)."""

    item: int
    name: str
    format: str
    """``PDF``, ``PNG`` or ``JPEG``: what the reader's device will open."""
    pages: int | None
    """Pages of a PDF (None for a picture, or when they could not be counted)."""
    size: int
    """Bytes of the offered file."""
    converted_from: str | None = None
    """The office document's own name, when the offered PDF was made from it."""


def offered_sources(packet: Packet, inservice_id: str) -> list[OfferedSource]:
    """Every handout and deck of the in-service with a file, in item order (no file is read).

    A file opened with a password is not offered: the page would hand out a
    locked file whose password stays with the trainer (the binder has its pages).
    A file used by two items is offered once; two files of the same name in
    different folders get ``-2``, ``-3``… so that neither replaces the other.
    """
    inservice = packet.inservice(inservice_id)
    found: list[OfferedSource] = []
    by_source: dict[str, str] = {}
    taken: set[str] = set()
    for j, item in enumerate(inservice.items):
        if item.kind not in ("handout", "presentation") or item.file is None:
            continue
        options = item.file_options
        if options.password is not None or options.password_env is not None:
            continue
        path = PurePosixPath(item.file)
        # By name, as the binder's sniffing does for office files (their bytes
        # are zip or OLE containers); offer() checks the bytes.
        office = path.suffix.lower().lstrip(".") in OFFICE_KINDS
        name = by_source.get(item.file)
        if name is None:
            name = _unique(path.stem, ".pdf" if office else path.suffix, taken)
            by_source[item.file] = name
            taken.add(name.casefold())
        found.append(OfferedSource(j, item.file, name, office))
    return found


def _unique(stem: str, suffix: str, taken: set[str]) -> str:
    # Case-folded: on macOS and Windows "FAQ.pdf" and "faq.pdf" are one file.
    name, n = f"{stem}{suffix}", 1
    while name.casefold() in taken:
        n += 1
        name = f"{stem}-{n}{suffix}"
    return name


def offer(packet: Packet, source: OfferedSource, title: str) -> tuple[OfferedFile, bytes]:
    """The file to write into ``<id>_files/`` and what the page says about it.

    The file was checked by the scan before anything is laid out, so a problem
    here is one the build has already reported; ``title`` names the item in a
    message all the same. An office document's PDF comes from the conversion
    the scan and the binder share, so LibreOffice does not run again.
    """
    # Imported here: pypdf and the office converter are not needed by a rebuild
    # the cache serves.
    from packetgen.handouts._office import convert_office
    from packetgen.handouts.count import count_pages
    from packetgen.handouts.sniff import sniff

    path = packet.folder / source.source
    data = original_bytes(packet, source)
    kind = sniff(data, path, source.source, title)
    if kind in ("png", "jpeg"):
        return OfferedFile(source.item, source.name, kind.upper(), None, len(data)), data
    if kind != "pdf":
        pdf, _warnings = convert_office(
            data,
            kind,
            file=source.source,
            item=title,
            timeout=SOFFICE_TIMEOUT,
            max_bytes=MAX_HANDOUT_BYTES,
        )
        data = steady_pdf(pdf)
    # The whole file's pages (not the item's `pages:` selection): that is what it holds.
    pages = count_pages(path)
    made_from = Path(source.source).name if kind != "pdf" else None
    return OfferedFile(source.item, source.name, "PDF", pages, len(data), made_from), data


def original_bytes(packet: Packet, source: OfferedSource) -> bytes:
    """The file's bytes as the trainer gave it: as the build's first read kept
    them, else read now, inside the packet folder and within the handouts' limit."""
    path = packet.folder / source.source
    known = facts_for(path)
    if known is not None and known.data is not None and known.guarded:
        return known.data
    return read_bytes(
        path,
        roots=(packet.folder,),
        shown=source.source,
        max_bytes=MAX_HANDOUT_BYTES,
        limit="200 MiB",
    )


# What LibreOffice writes differently each time it converts the same document:
# the time, and the /ID and checksum made from it. Each is rewritten in place,
# at the same length, so that no offset of the file's cross-reference table moves.
_CREATION = re.compile(rb"/CreationDate\s*\(D:[0-9]{4,14}[0-9Z'+\-]*\)")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]{32})>\s*<([0-9A-Fa-f]{32})>\s*\]")
_CHECKSUM = re.compile(rb"/DocChecksum\s*/[0-9A-Fa-f]{32}")


def steady_pdf(pdf: bytes) -> bytes:
    """A converted PDF made reproducible: identical documents give identical bytes.

    The creation time becomes SOURCE_DATE_EPOCH's, or is blanked out when it is
    not set (packetgen's outputs carry no date then); the /ID is derived from
    the content; LibreOffice's own checksum of the time is blanked out.
    """
    date = pdf_build_date()

    def creation(match: re.Match[bytes]) -> bytes:
        width = len(match.group(0))
        new = f"/CreationDate({date})".encode("ascii") if date else b""
        return new.ljust(width) if len(new) <= width else b" " * width

    steady = _CHECKSUM.sub(lambda m: b" " * len(m.group(0)), _CREATION.sub(creation, pdf))
    found = _ID.search(steady)
    if found is None:
        return steady
    masked = steady[: found.start()] + steady[found.end() :]
    digest = identifier(masked).upper()
    start, end = found.span()
    ids = steady[start:end].replace(found.group(1), digest).replace(found.group(2), digest)
    return steady[:start] + ids + steady[end:]
