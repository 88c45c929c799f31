"""A handout PDF read for binding: unlocked, checked page by page, its outline kept.

:func:`load_pdf` reads the bytes of a PDF (the trainer's, or one packetgen
made from a picture or an office document) within its decoding budget,
opens encrypted files that need no password or the spec's, selects the pages
the spec asks for, touches everything the binder will read so damage shows
now, and keeps the handout's bookmarks that point at selected pages.
"""

from __future__ import annotations

import io
import logging
import math
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdf
from pypdf.constants import UserAccessPermissions
from pypdf.errors import DependencyError, PyPdfError
from pypdf.generic import BooleanObject, Destination, DictionaryObject

from packetgen.errors import HandoutError
from packetgen.handouts._forms import drawn_forms, resources_of
from packetgen.handouts.decoding import HandoutBudget
from packetgen.handouts.selection import parse_page_selection

__all__ = ["OpenedHandout", "OutlineEntry", "error_details", "load_pdf"]


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


def error_details(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _damaged(file: str, item: str, exc: BaseException) -> HandoutError:
    return HandoutError(
        file,
        "the file is damaged or incomplete (for example a truncated download), so it "
        "cannot be read as a PDF; download it again or re-export it from the program "
        f"that made it (details: {error_details(exc)})",
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
            f"({error_details(exc)}); remove the protection in the program that made it, "
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


def _uses_fonts(page: pypdf.PageObject) -> bool:
    """Whether the page, or a form drawn on it, names a font: it has text, not just pictures.

    Only read for untagged pages, to tell a scan or photo (whose text no tags
    can reach) from a PDF that needs its author to tag it.
    """
    if _names_a_font(resources_of(page.get("/Resources"))):
        return True
    # Lazily: most pages with text name a font themselves, and the forms need no walk.
    return any(_names_a_font(resources_of(form.get("/Resources"))) for form in drawn_forms(page))


def _names_a_font(resources: DictionaryObject | None) -> bool:
    fonts = resources_of(resources.get("/Font")) if resources is not None else None
    return fonts is not None and len(fonts) > 0


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


def load_pdf(
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
    """Read ``data`` (the bytes of ``path``) as a handout, within ``max_decoded_bytes``."""
    budget = HandoutBudget(file, item, max_decoded_bytes, key=str(path.resolve()))
    notes: list[str] = []
    with budget.loading(), _pypdf_warnings() as logged:
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

    # pypdf repairs some damage by catching every exception, ours too: a spent
    # budget must still fail the file, not leave it half read.
    budget.check()
    # The binder reads the pages again later (to draw them, to find links):
    # those reads count against the same budget.
    budget.follow(reader)
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
