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

import contextlib
import io
import logging
import math
import re
import stat
import struct
import threading
import warnings
import weakref
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdf
import pypdf.filters
from PIL import Image, ImageFile, ImageOps
from pypdf.constants import UserAccessPermissions
from pypdf.errors import DependencyError, PyPdfError
from pypdf.generic import BooleanObject, Destination, DictionaryObject

from packetgen.errors import HandoutError
from packetgen.handouts._office import OFFICE_KINDS, convert_office
from packetgen.handouts._office_fonts import font_warnings
from packetgen.support._budget import _LEDGER, MAX_DECODED_BYTES_TOTAL, _size, decoding_budget

__all__ = [
    "MAX_DECODED_BYTES",
    "MAX_DECODED_BYTES_TOTAL",
    "DecodingLimitError",
    "OpenedHandout",
    "OutlineEntry",
    "decoding_budget",
    "open_handout",
    "parse_page_selection",
]


@dataclass
class OutlineEntry:
    """One of the handout's own bookmarks, pointing at a selected page."""

    title: str
    page_index: int
    """Index into :attr:`OpenedHandout.pages` (not the source page number)."""
    children: list[OutlineEntry] = field(default_factory=list)


@dataclass
class OpenedHandout:
    """A handout ready to be bound: its selected pages and what is known about them."""

    path: Path
    pages: list[pypdf.PageObject]
    """The selected pages, in the order the page selection gave them."""
    source_page_numbers: list[int]
    """1-based page number in the source file of each entry of :attr:`pages`."""
    reader: pypdf.PdfReader
    """Kept open so the binder can read outlines, links and form fields later."""
    warnings: list[str]
    """Sentences whose subject is the handout, to be printed after its name,
    e.g. ``f"{path.name} {warning}"``: "was damaged and has been repaired"."""
    converted_from: str | None
    """Source format ("docx", "png", "jpeg"…) when packetgen made the PDF itself."""
    outline: list[OutlineEntry]
    """The handout's own bookmarks, restricted to the selected pages."""
    tagged: bool
    """Whether the PDF carries a structure tree a screen reader can use. An
    untagged handout is not a warning of its own: the build groups them into one
    line (see :mod:`packetgen.handouts._untagged`), and ``packetgen check -v`` lists them."""
    pictures_only: bool = False
    """The selected pages use no font: a photo, a screenshot or a scan, whose
    text a screen reader cannot reach even with tags."""


# --------------------------------------------------------------------------
# Page selection
# --------------------------------------------------------------------------

# Trainers copy page ranges out of word processors, which turn "-" into dashes.
_SELECTION_PAGE = re.compile(r"[0-9]+")
_SELECTION_RANGE = re.compile(r"(?P<start>[0-9]*)\s*[-\u2010-\u2015]\s*(?P<end>[0-9]*)")


def _page_number(digits: str) -> int:
    # Python refuses to parse very long digit strings; any number this long is
    # past the end of every file anyway.
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 9 else 10**9


def _pages_word(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def parse_page_selection(spec: str | None, page_count: int) -> list[int]:
    """Turn a trainer's page selection into 0-based page indexes, in the order given.

    ``"1-3,5"``, ``"2-"`` (to the end), ``"-3"`` (from the start), ``"4"``;
    ``None`` selects every page. Raises :class:`ValueError` with a message meant
    for the trainer when the selection is malformed, runs backwards, selects
    nothing, or names a page the file does not have.
    """
    if spec is None:
        return list(range(page_count))
    if not spec.strip():
        raise ValueError(
            'pages "" selects no pages: write page numbers such as "1-3,5", '
            "or leave `pages:` out to use every page"
        )
    selected: list[int] = []
    for raw in spec.split(","):
        part = raw.strip()
        single = _SELECTION_PAGE.fullmatch(part)
        span = _SELECTION_RANGE.fullmatch(part)
        if single is not None:
            first = last = _page_number(part)
        elif span is not None and (span["start"] or span["end"]):
            first = _page_number(span["start"]) if span["start"] else 1
            last = _page_number(span["end"]) if span["end"] else page_count
            if span["end"] and last < 1:
                raise ValueError(f'pages "{part}": pages are numbered from 1')
        else:
            shown = part or "(nothing)"
            raise ValueError(
                f'pages "{spec}" is not a page selection: "{shown}" should be a page number '
                'or a range such as "1-3", "5-" (to the end) or "-3" (from the start), '
                "with commas between the parts"
            )
        if first < 1:
            raise ValueError(f'pages "{part}": pages are numbered from 1')
        if first > page_count or last > page_count:
            raise ValueError(
                f'pages "{part}" is past the end: the file has {_pages_word(page_count)}'
            )
        if first > last:
            raise ValueError(
                f'pages "{part}" runs backwards: write the smaller number first, '
                f'as in "{last}-{first}"'
            )
        selected.extend(range(first - 1, last))
    return selected


# --------------------------------------------------------------------------
# Recognising the file
# --------------------------------------------------------------------------

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


def _sniff(data: bytes, path: Path, file: str, item: str) -> str:
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


def _read_limited(path: Path, file: str, item: str, max_bytes: int) -> bytes:
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
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise HandoutError(
            file, f"the file cannot be read: {exc.strerror or exc}", item=item
        ) from exc
    if len(data) > max_bytes:
        raise HandoutError(file, _too_big(max_bytes), item=item)
    return data


def _too_big(max_bytes: int) -> str:
    return (
        f"the file is larger than the {max_bytes / (1024 * 1024):g} MB limit for a handout; "
        "export a smaller version (for example with compressed pictures) or select "
        "fewer pages into a new PDF"
    )


# --------------------------------------------------------------------------
# Decoding budget
# --------------------------------------------------------------------------

MAX_DECODED_BYTES = 256 * 1024 * 1024
"""PDF content one handout may unpack to, all its streams together (256 MiB).

pypdf stops each stream at 75 MB, but a file of many such streams (a Flate
bomb of 40 pages of 70 MB each fits in 3 MB) would still take gigabytes. A
real handout's page content is a few hundred KB a page; pictures are copied
into the binder without being unpacked, so they do not count."""


class DecodingLimitError(HandoutError):
    """A handout's PDF streams unpacked to more than its budget, or the build's.

    A :class:`~packetgen.errors.HandoutError` like any other; its own class lets
    callers that tolerate unreadable handouts (page counts for credit) still
    stop on it.
    """


class _HandoutBudget:
    """The bytes one handout's reader has unpacked, checked as they are unpacked."""

    def __init__(self, file: str, item: str, limit: int, key: str) -> None:
        self.file = file
        self.item = item
        self.limit = limit
        self.key = key
        self.used = 0
        self.ledger = _LEDGER.get()
        self.refusal: str | None = None

    def check(self) -> None:
        """Refuse once the budget is spent: nothing more of this file is unpacked."""
        if self.refusal is not None:
            # A new exception each time: raising one instance twice chains tracebacks.
            raise DecodingLimitError(self.file, self.refusal, item=self.item)

    def charge(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            self.refusal = (
                f"the PDF unpacks to more than {_size(self.limit)} of content, the limit for one"
                " handout, so packetgen stopped reading it (a PDF this heavy is broken or made"
                " to exhaust memory); select fewer pages with `pages:`, split it into smaller"
                " PDFs, or print it to a new PDF"
            )
        elif self.ledger is not None and not self.ledger.record(self.key, self.used):
            self.refusal = (
                f"with this file the packet's handouts unpack to more than"
                f" {_size(self.ledger.limit)} of PDF content, the limit for one build; use fewer"
                " or smaller handouts, or select fewer pages with `pages:`"
            )
        self.check()


# The budget of each open reader, found from the stream being decoded; while
# a file is being read (before its reader is known) the budget in _LOADING.
_BUDGETS: weakref.WeakKeyDictionary[Any, _HandoutBudget] = weakref.WeakKeyDictionary()
_LOADING: ContextVar[_HandoutBudget | None] = ContextVar("packetgen_loading", default=None)


def _budget_of(stream: Any) -> _HandoutBudget | None:
    owner = getattr(getattr(stream, "indirect_reference", None), "pdf", None)
    if owner is not None:
        with contextlib.suppress(TypeError):  # an owner that cannot be weakly referenced
            budget = _BUDGETS.get(owner)
            if budget is not None:
                return budget
    return _LOADING.get()


# Kept on pypdf's module, so that reloading this one never wraps the wrapper.
_decode_unbudgeted: Callable[[Any], bytes] = getattr(
    pypdf.filters, "_packetgen_unbudgeted", pypdf.filters.decode_stream_data
)


def _decode_within_budget(stream: Any) -> bytes:
    """pypdf's decoder, charging what it unpacks to the handout the stream belongs to.

    Every stream pypdf unpacks goes through here — page contents checked when
    a handout opens, drawn into the binder, read for text or links, object and
    cross-reference streams — so the budget holds whatever asks for the bytes.
    """
    budget = _budget_of(stream)
    if budget is None:
        return _decode_unbudgeted(stream)
    budget.check()
    data = _decode_unbudgeted(stream)
    budget.charge(len(data))
    return data


def _install_decode_hook() -> None:
    # pypdf looks the function up in its filters module on every call
    # (EncodedStreamObject.get_data), so replacing it there covers every reader;
    # streams of readers packetgen did not open are decoded exactly as before.
    pypdf.filters._packetgen_unbudgeted = _decode_unbudgeted  # type: ignore[attr-defined]  # our own marker on pypdf's module
    pypdf.filters.decode_stream_data = _decode_within_budget


_install_decode_hook()


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

# What pypdf raises on malformed input, seen on truncated and fuzzed files: its
# own errors plus whatever a half-parsed object trips over. Catching these (and
# not Exception) keeps bugs in packetgen itself visible.
_PDF_ERRORS: tuple[type[BaseException], ...] = (
    PyPdfError,
    AssertionError,
    AttributeError,
    LookupError,
    TypeError,
    ValueError,
    ArithmeticError,
    NotImplementedError,
    RecursionError,
    struct.error,
    zlib.error,
)


class _ThreadLogCollector(logging.Handler):
    """Keeps the messages pypdf logs from this thread while a file is loaded."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self.messages.append(record.getMessage())


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    # With strict=False pypdf repairs what it can and only says so in its log;
    # that log is the one signal that the file was damaged.
    logger = logging.getLogger("pypdf")
    collector = _ThreadLogCollector()
    logger.addHandler(collector)
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)


def _details(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _damaged(file: str, item: str, exc: BaseException) -> HandoutError:
    return HandoutError(
        file,
        "the file is damaged or incomplete (for example a truncated download), so it "
        "cannot be read as a PDF; download it again or re-export it from the program "
        f"that made it (details: {_details(exc)})",
        item=item,
    )


def _restrictions(reader: pypdf.PdfReader) -> list[str]:
    permissions = reader.user_access_permissions
    if permissions is None:
        return []
    forbidden = []
    if not permissions & UserAccessPermissions.PRINT:
        forbidden.append("printing")
    if not permissions & UserAccessPermissions.EXTRACT:
        forbidden.append("copying")
    if not permissions & UserAccessPermissions.MODIFY:
        forbidden.append("changes")
    return forbidden


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _unlock(reader: pypdf.PdfReader, password: str | None, file: str, item: str) -> list[str]:
    """Decrypt an encrypted reader; return the warnings to give the trainer."""
    try:
        # Many "secured" PDFs only restrict printing or copying and open with an
        # empty password; no password from the trainer is needed for those.
        result = reader.decrypt("")
        if result == pypdf.PasswordType.NOT_DECRYPTED and password is not None:
            result = reader.decrypt(password)
            via_password = True
        else:
            via_password = False
    except (DependencyError, NotImplementedError) as exc:
        raise HandoutError(
            file,
            "the file is encrypted with a method packetgen cannot open "
            f"({_details(exc)}); remove the protection in the program that made it, "
            "or print it to a new PDF",
            item=item,
        ) from exc
    if result == pypdf.PasswordType.NOT_DECRYPTED:
        if password is None:
            raise HandoutError(
                file,
                "the file is protected with a password; put `password: ...` on this item "
                "in the spec, or `password_env: NAME` to read the password from the "
                "environment variable NAME",
                item=item,
            )
        raise HandoutError(
            file,
            "the password given for this file is wrong; check `password:` (or the "
            "variable named by `password_env:`) on this item in the spec",
            item=item,
        )
    forbidden = _restrictions(reader)
    if via_password:
        message = "was protected with a password and was opened with the password from the spec"
    else:
        message = "was encrypted by its author but opens without a password"
    if forbidden:
        message += (
            f"; its author does not allow {_join(forbidden)}, and packetgen merged it "
            "anyway: make sure you have permission to print and share it"
        )
    return [message]


def _is_tagged(reader: pypdf.PdfReader) -> bool:
    # Both are needed: some tools write an empty structure tree, and /Marked
    # alone promises tags that are not there.
    root = reader.root_object
    if "/StructTreeRoot" not in root:
        return False
    mark_info = root.get("/MarkInfo")
    mark_info = mark_info.get_object() if mark_info is not None else None
    if not isinstance(mark_info, DictionaryObject):
        return False
    marked = mark_info.get("/Marked")
    return marked is not None and marked.get_object() == BooleanObject(True)


_MAX_FORM_DEPTH = 8
"""Forms nested deeper than this are not searched for fonts (real files nest two or three)."""


def _uses_fonts(page: pypdf.PageObject) -> bool:
    """Whether the page, or a form drawn on it, names a font: it has text, not just pictures.

    Only read for untagged pages, to tell a scan or photo (whose text no tags
    can reach) from a PDF that needs its author to tag it.
    """
    seen: set[int] = set()

    def search(resources: Any, depth: int) -> bool:
        resources = resources.get_object() if resources is not None else None
        if not isinstance(resources, DictionaryObject) or id(resources) in seen:
            return False
        seen.add(id(resources))
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else None
        if isinstance(fonts, DictionaryObject) and len(fonts) > 0:
            return True
        if depth >= _MAX_FORM_DEPTH:
            return False
        objects = resources.get("/XObject")
        objects = objects.get_object() if objects is not None else None
        if not isinstance(objects, DictionaryObject):
            return False
        for value in objects.values():
            xobject = value.get_object()
            if (
                isinstance(xobject, DictionaryObject)
                and xobject.get("/Subtype") == "/Form"
                and search(xobject.get("/Resources"), depth + 1)
            ):
                return True
        return False

    return search(page.get("/Resources"), 0)


def _check_page(page: pypdf.PageObject, number: int) -> None:
    """Touch what the binder will read, so damage shows up now rather than mid-binding."""
    box = page.mediabox
    width, height = abs(float(box.width)), abs(float(box.height))
    if not (math.isfinite(width) and math.isfinite(height)) or width < 1 or height < 1:
        raise ValueError(f"page {number} has no usable size ({box})")
    _ = page.rotation
    contents = page.get_contents()
    if contents is not None:
        contents.get_data()


def _outline_entries(
    reader: pypdf.PdfReader, nodes: Sequence[Any], index_of: dict[int, int]
) -> list[OutlineEntry]:
    # pypdf gives a flat list in which a nested list holds the children of the
    # destination just before it.
    entries: list[OutlineEntry] = []
    position = 0
    while position < len(nodes):
        node = nodes[position]
        position += 1
        if isinstance(node, list):
            # Children without a parent before them: keep them at this level.
            entries.extend(_outline_entries(reader, node, index_of))
            continue
        if not isinstance(node, Destination):
            continue
        children: list[OutlineEntry] = []
        if position < len(nodes) and isinstance(nodes[position], list):
            children = _outline_entries(reader, nodes[position], index_of)
            position += 1
        try:
            page_number = reader.get_destination_page_number(node)
        except _PDF_ERRORS:
            # A bookmark pointing nowhere loses itself, not its children.
            page_number = None
        if page_number is not None and page_number in index_of:
            title = " ".join(str(node.title or "").split()) or "(untitled)"
            entries.append(OutlineEntry(title, index_of[page_number], children))
        else:
            # The bookmark's own page was left out, but its children may not be.
            entries.extend(children)
    return entries


def _load_pdf(
    data: bytes,
    path: Path,
    *,
    file: str,
    item: str,
    pages: str | None,
    password: str | None,
    max_pages: int,
    max_decoded_bytes: int,
    converted_from: str | None,
) -> OpenedHandout:
    budget = _HandoutBudget(file, item, max_decoded_bytes, key=str(path.resolve()))
    token = _LOADING.set(budget)
    try:
        handout = _read_pdf(
            data,
            path,
            file=file,
            item=item,
            pages=pages,
            password=password,
            max_pages=max_pages,
            converted_from=converted_from,
        )
    finally:
        _LOADING.reset(token)
    # pypdf repairs some damage by catching every exception, ours too: a spent
    # budget must still fail the file, not leave it half read.
    budget.check()
    # The binder reads the pages again later (to draw them, to find links):
    # those reads count against the same budget.
    _BUDGETS[handout.reader] = budget
    return handout


def _read_pdf(
    data: bytes,
    path: Path,
    *,
    file: str,
    item: str,
    pages: str | None,
    password: str | None,
    max_pages: int,
    converted_from: str | None,
) -> OpenedHandout:
    notes: list[str] = []
    with _pypdf_warnings() as logged:
        try:
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                notes.extend(_unlock(reader, password, file, item))
            page_count = len(reader.pages)
        except _PDF_ERRORS as exc:
            raise _damaged(file, item, exc) from exc
        if page_count == 0:
            raise HandoutError(file, "the PDF has no pages; download or export it again", item=item)
        if page_count > max_pages:
            raise HandoutError(
                file,
                f"the PDF has {page_count} pages, more than the limit of {max_pages} "
                "for one handout; split it into smaller PDFs, one handout each",
                item=item,
            )
        try:
            selection = parse_page_selection(pages, page_count)
        except ValueError as exc:
            raise HandoutError(file, str(exc), item=item) from exc
        try:
            selected = [reader.pages[index] for index in selection]
            checked: set[int] = set()
            for index, page in zip(selection, selected, strict=True):
                if index not in checked:
                    _check_page(page, index + 1)
                    checked.add(index)
            tagged = _is_tagged(reader)
        except _PDF_ERRORS as exc:
            raise _damaged(file, item, exc) from exc
        try:
            pictures_only = not tagged and not any(_uses_fonts(page) for page in selected)
        except _PDF_ERRORS:
            # Only the advice about a missing tag depends on it: never the file.
            pictures_only = False

        # A duplicated page ("1,1") gets its bookmarks on its first copy only.
        index_of: dict[int, int] = {}
        for position, index in enumerate(selection):
            index_of.setdefault(index, position)
        try:
            outline = _outline_entries(reader, reader.outline, index_of)
        except _PDF_ERRORS:
            # Bookmarks are a convenience; a broken outline should not cost the pages.
            outline = []
            notes.append("has bookmarks that could not be read; they were left out")

    warnings_out: list[str] = []
    if logged:
        warnings_out.append("was damaged and has been repaired")
    warnings_out.extend(notes)
    return OpenedHandout(
        path=path,
        pages=selected,
        source_page_numbers=[index + 1 for index in selection],
        reader=reader,
        warnings=warnings_out,
        converted_from=converted_from,
        outline=outline,
        tagged=tagged,
        pictures_only=pictures_only,
    )


# --------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------

_IMAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)

_EXIF_ORIENTATION = 0x0112


def _bomb(file: str, item: str, detail: str) -> HandoutError:
    return HandoutError(
        file,
        f"the picture is too large to place safely ({detail}); "
        "resize it (for example to 3000 pixels on the long side) and try again",
        item=item,
    )


def _flatten(img: Image.Image) -> Image.Image:
    """Return an RGB or L image; transparent areas become white paper."""
    grey = img.mode in ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F")
    has_alpha = img.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in img.info
    if has_alpha:
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        paper.alpha_composite(rgba)
        return paper.convert("L" if grey else "RGB")
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # Wide greyscale samples do not convert to 8 bits by clipping sensibly.
        return img.point(lambda value: value / 256).convert("L")
    return img.convert("L" if grey else "RGB")


def _page_size(width: int, height: int, paper: tuple[float, float]) -> tuple[float, float]:
    # The picture becomes the whole page: fit it to the paper turned the same
    # way as the picture, so its aspect ratio is kept exactly.
    short, long = sorted(paper)
    box_w, box_h = (long, short) if width > height else (short, long)
    scale = min(box_w / width, box_h / height)
    return round(width * scale, 3), round(height * scale, 3)


def _number(value: float) -> bytes:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text.encode("ascii")


def _image_pdf(
    *,
    width: int,
    height: int,
    colour_space: str,
    filter_name: str,
    image_data: bytes,
    page_size: tuple[float, float],
) -> bytes:
    """Write a one-page PDF showing one image; nothing in it depends on time or chance."""
    page_w, page_h = (_number(v) for v in page_size)
    content = b"q " + page_w + b" 0 0 " + page_h + b" 0 0 cm /Im0 Do Q\n"
    image_dict = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s "
        b"/BitsPerComponent 8 /Filter /%s /Length %d >>"
        % (width, height, colour_space.encode(), filter_name.encode(), len(image_data))
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 "
        + page_w
        + b" "
        + page_h
        + b"] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        image_dict + b"\nstream\n" + image_data + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _picture_to_pdf(
    data: bytes,
    kind: str,
    *,
    file: str,
    item: str,
    paper: tuple[float, float],
    max_image_pixels: int,
) -> bytes:
    fmt = "PNG" if kind == "png" else "JPEG"
    try:
        # Pillow's own bomb check only warns below twice its global limit; make
        # it an error here, scoped to this block, instead of changing the global.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # A corrupt EXIF block only means the orientation is unknown; the
            # picture is still placed, as stored.
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                width, height = img.size
                if width < 1 or height < 1:
                    raise ValueError(f"the picture is {width} x {height} pixels")
                if width * height > max_image_pixels:
                    raise _bomb(
                        file,
                        item,
                        f"{width} x {height} pixels, more than the limit of "
                        f"{max_image_pixels:,} pixels",
                    )
                # WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES globally on
                # import, which would let a half-downloaded photo through as a
                # grey-bottomed page; a handout must load completely.
                truncated_ok = ImageFile.LOAD_TRUNCATED_IMAGES
                ImageFile.LOAD_TRUNCATED_IMAGES = False
                try:
                    img.load()
                finally:
                    ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
                orientation = img.getexif().get(_EXIF_ORIENTATION, 1)
                upright = ImageOps.exif_transpose(img)
                mode = img.mode
        if fmt == "JPEG" and orientation in (None, 1) and mode in ("L", "RGB"):
            # An upright JPEG goes in as it is: PDF can show JPEG data directly,
            # so the photo is not compressed a second time.
            width, height = upright.size
            colour_space = "DeviceGray" if mode == "L" else "DeviceRGB"
            return _image_pdf(
                width=width,
                height=height,
                colour_space=colour_space,
                filter_name="DCTDecode",
                image_data=data,
                page_size=_page_size(width, height, paper),
            )
        flat = _flatten(upright)
        width, height = flat.size
        colour_space = "DeviceGray" if flat.mode == "L" else "DeviceRGB"
        if fmt == "JPEG":
            # Photos stay JPEG (a lossless copy would be many times larger); the
            # encoder is deterministic for fixed settings.
            buffer = io.BytesIO()
            flat.save(buffer, format="JPEG", quality=92, optimize=False, progressive=False)
            encoded, filter_name = buffer.getvalue(), "DCTDecode"
        else:
            # Screenshots hold text, which JPEG would blur: keep them lossless.
            encoded, filter_name = zlib.compress(flat.tobytes(), 6), "FlateDecode"
        return _image_pdf(
            width=width,
            height=height,
            colour_space=colour_space,
            filter_name=filter_name,
            image_data=encoded,
            page_size=_page_size(width, height, paper),
        )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses before the size can be read back; its message has the count.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        detail = (
            f"{int(found.group(1)):,} pixels, more than the limit of {max_image_pixels:,} pixels"
            if found
            else _details(exc)
        )
        raise _bomb(file, item, detail) from exc
    except _IMAGE_ERRORS as exc:
        raise HandoutError(
            file,
            f"the {kind.upper()} picture is damaged or incomplete, so it cannot be read; "
            f"save or export it again (details: {_details(exc)})",
            item=item,
        ) from exc


# --------------------------------------------------------------------------
# Office documents (converted by _office)
# --------------------------------------------------------------------------


def _convert_office(
    data: bytes, ext: str, *, file: str, item: str, timeout: float, max_bytes: int
) -> tuple[bytes, list[str]]:
    pdf, warnings = convert_office(
        data, ext, file=file, item=item, timeout=timeout, max_bytes=max_bytes
    )
    if len(pdf) > max_bytes:
        raise HandoutError(file, "converted to PDF, " + _too_big(max_bytes), item=item)
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
    soffice_timeout: float = 120.0,
    max_bytes: int = 200 * 1024 * 1024,
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
    data = _read_limited(path, file, item, max_bytes)
    kind = _sniff(data, path, file, item)
    if kind == "pdf":
        return _load_pdf(
            data,
            path,
            file=file,
            item=item,
            pages=pages,
            password=password,
            max_pages=max_pages,
            max_decoded_bytes=max_decoded_bytes,
            converted_from=None,
        )
    if kind in ("png", "jpeg"):
        pdf = _picture_to_pdf(
            data,
            kind,
            file=file,
            item=item,
            paper=paper,
            max_image_pixels=max_image_pixels,
        )
        return _load_pdf(
            pdf,
            path,
            file=file,
            item=item,
            pages=pages,
            password=None,
            max_pages=max_pages,
            max_decoded_bytes=max_decoded_bytes,
            converted_from=kind,
        )
    pdf, conversion_warnings = _convert_office(
        data,
        kind,
        file=file,
        item=item,
        timeout=soffice_timeout,
        max_bytes=max_bytes,
    )
    handout = _load_pdf(
        pdf,
        path,
        file=file,
        item=item,
        pages=pages,
        password=password,
        max_pages=max_pages,
        max_decoded_bytes=max_decoded_bytes,
        converted_from=kind,
    )
    handout.warnings.extend(conversion_warnings)
    handout.warnings.extend(font_warnings(data, handout.reader))
    return handout
