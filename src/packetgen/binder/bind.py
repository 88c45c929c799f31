"""bind: one document per in-service — packet pages, then every handout.

WeasyPrint lays out a *placeholder* page for every handout output page, so the
table of contents (``target-counter``), duplex blank pages, the running header
and footer and the page count all come from one layout. pypdf then draws each
handout page into its slot on its placeholder. Slots sit inside fixed page
margins that hold the header and footer, so a handout never sits under them.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape as xml_escape

from babel import Locale, UnknownLocaleError
from markupsafe import Markup
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    Fit,
    NameObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from packetgen.binder._placement import (
    Rect,
    append_ops,
    displayed_size,
    place_page,
    strip_active_content,
    uri_links,
)
from packetgen.binder._stamps import (
    DIGITS,
    Atlas,
    StampText,
    composed_ops,
    number_texts,
    page_of_pages,
    qr_ops,
)
from packetgen.content.links import LinkTable, collect_links, register_handout_links
from packetgen.content.qr import ErrorCorrection, make_qr
from packetgen.errors import HandoutError, PacketgenError
from packetgen.handouts._untagged import UntaggedKind, advice, untagged_handouts
from packetgen.handouts.reading import OpenedHandout, OutlineEntry, open_handout
from packetgen.pdf._structure import Figures, drop_keys, drop_pages, elements_on, tag_figures
from packetgen.pdf.layout import Layout, layout_html
from packetgen.render.html import HandoutSlot, document_view, format_date, render_document
from packetgen.render.themes import Theme, load_theme
from packetgen.spec._sources import SourceDoc
from packetgen.spec.loader import validate
from packetgen.spec.models import Packet
from packetgen.support._atomic import write_bytes_atomic
from packetgen.support._repro import pdf_build_date, w3c_build_date
from packetgen.text.i18n import Strings, strings_for

__all__ = [
    "Binder",
    "Bound",
    "HandoutPlan",
    "bind_files",
    "bind_inservice",
    "open_inservice_handouts",
]

PT_PER_MM = 72 / 25.4
_PX_TO_PT = 0.75
PAPER_PT = {"letter": (612.0, 792.0), "a4": (595.276, 841.89)}
# Placeholder pages use fixed margins: the header and footer live in them and
# the handout area is everything inside, so the two can never overlap.
MARGIN_PT = {
    "top": 16 * PT_PER_MM,
    "right": 12 * PT_PER_MM,
    "bottom": 16 * PT_PER_MM,
    "left": 12 * PT_PER_MM,
}
SLOTS_PER_PAGE = {"1-up": 1, "2-up": 2, "3-up": 3, "4-up": 4, "6-up": 6}
_LABEL_PT = 13.0
_GAP_PT = 14.0
_NOTE_LINE_PT = 22.0


@dataclass(frozen=True)
class Cell:
    """Where one source page goes, in points from the handout area's top left."""

    x: float
    y: float
    width: float
    height: float
    source_index: int
    """Index into the handout's selected pages."""
    label: str | None
    """The slide's number in its file, printed under it (n-up layouts)."""
    notes: Rect | None
    """Area for ruled note lines (3-up), same coordinates."""


@dataclass
class HandoutPlan:
    """One file item of an in-service, opened and laid out into output pages."""

    item_index: int
    title: str
    file: str
    layout: str
    opened: OpenedHandout
    pages: list[list[Cell]] = field(default_factory=list)
    language: str | None = None
    """The file's own language when the spec gives one (the item's, or its translation's)."""
    translation: int | None = None
    """Index into the item's ``translations`` for a translation's file; None: the item's own."""

    @property
    def anchor(self) -> str:
        if self.translation is None:
            return f"handout-{self.item_index + 1}"
        return f"handout-{self.item_index + 1}-t{self.translation + 1}"


@dataclass(frozen=True)
class Bound:
    """A finished binder."""

    data: bytes
    pages: int
    warnings: tuple[str, ...]


@dataclass
class Binder:
    """What the bind stage knows about one in-service before rendering."""

    inservice_id: str
    handouts: list[HandoutPlan]
    warnings: list[str]
    digest: bytes
    """Hash of every handout's bytes (for the PDF identifier)."""
    found_links: list[tuple[int, str]] = field(default_factory=list)
    """(item index, URL) of every web link inside the handouts, in page order."""
    untagged: list[tuple[int, UntaggedKind]] = field(default_factory=list)
    """(item index, kind) of every handout without accessibility tags (see ``_untagged``)."""
    problems: list[tuple[int, HandoutError]] = field(default_factory=list)
    """(item index, why) of every file that cannot be used; such a binder cannot be bound,
    and :func:`open_inservice_handouts` raises the first unless asked to collect them."""


def area(paper: str) -> tuple[float, float]:
    """Width and height of the handout area on a placeholder page, in points."""
    width, height = PAPER_PT[paper]
    return (
        width - MARGIN_PT["left"] - MARGIN_PT["right"],
        height - MARGIN_PT["top"] - MARGIN_PT["bottom"],
    )


def _fit(box_w: float, box_h: float, page: PageObject) -> tuple[float, float]:
    src_w, src_h = displayed_size(page)
    scale = min(box_w / src_w, box_h / src_h)
    return src_w * scale, src_h * scale


def plan_cells(opened: OpenedHandout, layout: str, paper: str) -> list[list[Cell]]:
    """Split the handout's pages into output pages of cells for ``layout``."""
    width, height = area(paper)
    per_page = SLOTS_PER_PAGE[layout]
    pages: list[list[Cell]] = []
    count = len(opened.pages)
    for start in range(0, count, per_page):
        cells = []
        for slot, index in enumerate(range(start, min(start + per_page, count))):
            page = opened.pages[index]
            number = opened.source_page_numbers[index]
            if layout == "1-up":
                w, h = _fit(width, height, page)
                cells.append(Cell((width - w) / 2, 0.0, w, h, index, None, None))
                continue
            columns = 1 if layout in ("2-up", "3-up") else 2
            rows = math.ceil(per_page / columns)
            cell_w = (width - _GAP_PT * (columns - 1)) / columns
            cell_h = (height - _GAP_PT * (rows - 1)) / rows
            col, row = slot % columns, slot // columns
            x0 = col * (cell_w + _GAP_PT)
            y0 = row * (cell_h + _GAP_PT)
            box_w = cell_w * 0.56 if layout == "3-up" else cell_w
            w, h = _fit(box_w, cell_h - _LABEL_PT, page)
            x = x0 if layout == "3-up" else x0 + (cell_w - w) / 2
            # Centre slide and label in the cell so gaps are even down the page.
            y = y0 + (cell_h - h - _LABEL_PT) / 2
            notes = None
            if layout == "3-up":
                notes = Rect(x0 + box_w + _GAP_PT, y, x0 + cell_w, y + h + _LABEL_PT)
            cells.append(Cell(x, y, w, h, index, str(number), notes))
        pages.append(cells)
    return pages


# The scan stage and the binder open the same handouts in one process: the last
# packet's are kept (a worker process opens its own once, for its in-service).
_OPENED: dict[int, tuple[Packet, dict[str, Binder]]] = {}


def open_inservice_handouts(
    packet: Packet, inservice_id: str, links: LinkTable | None = None, *, collect: bool = False
) -> Binder:
    """Open every file item of the in-service; number the links found in them in ``links``.

    Raises the :class:`HandoutError` of the first file that cannot be used; with
    ``collect``, returns the binder with every such file in :attr:`Binder.problems`
    instead (``packetgen check``: one broken file must not hide the next).
    """
    held = _OPENED.get(id(packet))
    if held is None or held[0] is not packet:
        _OPENED.clear()
        held = _OPENED[id(packet)] = (packet, {})
    binder = held[1].get(inservice_id)
    if binder is None:
        binder = held[1][inservice_id] = _open_handouts(packet, inservice_id)
    if binder.problems and not collect:
        raise binder.problems[0][1]
    if links is not None:
        register_handout_links(packet, inservice_id, binder.found_links, links)
    return binder


def _open_handouts(packet: Packet, inservice_id: str) -> Binder:
    index = next(i for i, s in enumerate(packet.inservices) if s.id == inservice_id)
    inservice = packet.inservices[index]
    plans: list[HandoutPlan] = []
    warnings: list[str] = []
    found: list[tuple[int, str]] = []
    untagged: list[tuple[int, UntaggedKind]] = []
    problems: list[tuple[int, HandoutError]] = []
    digest = hashlib.sha256()
    for j, item in enumerate(inservice.items):
        for file in _item_files(item):
            field_path: tuple[str | int, ...] = ("inservices", index, "items", j, *file.field)
            dotted = f"inservices[{index}].items[{j}]" + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in file.field
            )
            label = f"{packet.where(*field_path)}: {dotted}: {file.path}"
            try:
                opened = _open_item(packet, item, label, file)
            except HandoutError as exc:
                # Each file is opened on its own: the next one may have a problem of its own.
                problems.append((j, exc))
                continue
            digest.update((packet.folder / file.path).read_bytes())
            for warning in opened.warnings:
                warnings.append(f"{label}: {warning}")
            # The untagged report names items by their own file, which a translation
            # is not: reporting it there would send the trainer to the wrong file.
            if not opened.tagged and file.translation is None:
                untagged.append((j, _untagged_kind(opened)))
            found.extend((j, url) for page in opened.pages for url in uri_links(page))
            layout = getattr(item, "layout", "1-up")
            plan = HandoutPlan(
                j,
                file.title,
                file.path,
                layout,
                opened,
                language=file.language,
                translation=file.translation,
            )
            plan.pages = plan_cells(opened, layout, packet.paper)
            plans.append(plan)
    return Binder(inservice_id, plans, warnings, digest.digest(), found, untagged, problems)


@dataclass(frozen=True)
class _ItemFile:
    """A file merged for an item: its own, or one of its translations'."""

    path: str
    title: str
    language: str | None
    translation: int | None
    field: tuple[str | int, ...]
    """Where the spec names it, below the item."""


def _item_files(item: Any) -> list[_ItemFile]:
    """The item's own file, then its translations' files, in the order they are merged."""
    files = []
    if item.file is not None:
        files.append(_ItemFile(item.file, item.title, item.language, None, ("file",)))
    for k, translation in enumerate(item.translations):
        if translation.file is not None:
            title = f"{translation.title or item.title} ({language_name(translation.language)})"
            where = ("translations", k, "file")
            files.append(_ItemFile(translation.file, title, translation.language, k, where))
    return files


def language_name(language: str) -> str:
    """A language as its own speakers name it ("español"), as language pickers do:
    whoever needs the translation can read its name."""
    try:
        locale = Locale.parse(language, sep="-")
        name = locale.get_display_name(locale)
    except (UnknownLocaleError, ValueError):
        name = None
    return name or language


def _open_item(packet: Packet, item: Any, label: str, file: _ItemFile) -> OpenedHandout:
    """One file of an item; its problem named as the spec names the file.

    A translation's file is opened whole and without a password: ``pages`` and
    the passwords of the item belong to the item's own file.
    """
    own = file.translation is None
    password = getattr(item, "password", None) if own else None
    env = getattr(item, "password_env", None) if own else None
    if env:
        password = os.environ.get(env)
        if password is None:
            raise HandoutError(label, f"the environment variable {env} is not set", item=file.title)
    try:
        return open_handout(
            packet.folder / file.path,
            item=file.title,
            pages=getattr(item, "pages", None) if own else None,
            password=password,
            paper=PAPER_PT[packet.paper],
        )
    except HandoutError as exc:
        raise HandoutError(label, exc.detail, item=file.title) from None
    except ValueError as exc:  # page selection
        raise HandoutError(label, str(exc), item=file.title) from None


def _untagged_kind(opened: OpenedHandout) -> UntaggedKind:
    """Where an untagged handout came from, which decides what the trainer can do."""
    if opened.converted_from in ("png", "jpeg") or opened.pictures_only:
        return "picture"
    if opened.converted_from is not None:
        return "office"
    return "pdf"


# ---------------------------------------------------------------- markers


def _css_string(text: str) -> str:
    """``text`` as a CSS string that cannot end the string or the <style> element."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 32 else ch for ch in text)
    return f'"{escaped}"'


def _anchor(inservice_id: str, plan: HandoutPlan) -> str:
    return f"{inservice_id}-{plan.anchor}"


def _padding(plan: HandoutPlan, duplex: bool) -> int:
    """Blank pages after a handout, so that the next page is a right-hand page again."""
    return len(plan.pages) % 2 if duplex else 0


def _markers(inservice_id: str, plan: HandoutPlan) -> Markup:
    """Two empty pages that stand for the handout in the layout.

    The first becomes the handout's first page (links, the contents and the
    outline point at it); the second is removed. Between the two, the page
    counter jumps by the handout's length (see :func:`marker_css`), so every
    page number WeasyPrint prints is the page's number in the finished binder.
    """
    anchor = _anchor(inservice_id, plan)
    return Markup(
        f'<section class="handout-start" id="{anchor}" aria-label="{escape(plan.title)}">'
        f'</section><section class="handout-end" id="{anchor}-end"></section>'
    )


def marker_css(inservice_id: str, binder: Binder, packet: Packet, *, inline: bool) -> str:
    """Page rules for the markers: named pages, the counter jump, the bookmark."""
    level = 2 if inline else 1
    rules = [
        ".handout-start { break-before: %s }" % ("right" if packet.duplex else "page"),
        ".handout-end { break-before: page; break-after: page }",
    ]
    if packet.duplex:
        rules.append(".inservice, .kit-page { break-before: right }")
    for n, plan in enumerate(binder.handouts, start=1):
        anchor = _anchor(inservice_id, plan)
        jump = len(plan.pages) + _padding(plan, packet.duplex) - 1
        rules += [
            f"#{anchor} {{ page: hs-{n}; bookmark-level: {level};"
            f" bookmark-label: {_css_string(plan.title)} }}",
            f"#{anchor}-end {{ page: he-{n} }}",
            f"@page he-{n} {{ counter-increment: page {jump} }}",
        ]
    return "\n".join(rules)


def handout_slots(binder: Binder, packet: Packet) -> dict[int, HandoutSlot]:
    """Where each item's files go: its own file's placeholders, then its translations'
    (the slot points at the first of them)."""
    slots: dict[int, HandoutSlot] = {}
    for plan in binder.handouts:
        markers = _markers(binder.inservice_id, plan)
        held = slots.get(plan.item_index)
        if held is None:
            slots[plan.item_index] = HandoutSlot(
                anchor=_anchor(binder.inservice_id, plan),
                title=plan.title,
                pages=len(plan.pages),
                placeholders=markers,
            )
        else:
            slots[plan.item_index] = replace(held, placeholders=held.placeholders + markers)
    return slots


# ---------------------------------------------------------------- binding


@dataclass(frozen=True)
class _Page:
    """A page of the finished binder: what it is, for its stamps."""

    kind: Literal["cover", "packet", "handout", "blank"]
    title: str
    """The running title: the in-service, or the handout on its pages."""
    layout_index: int | None = None
    """Index in WeasyPrint's layout, for pages laid out there."""
    handout: HandoutPlan | None = None
    sheet: int = 0
    """Which of the handout's output pages this is."""


def bind_inservice(packet: Packet, links: LinkTable, theme: Theme, binder: Binder) -> Bound:
    """Lay the in-service out once, merge its handouts in, then stamp every page."""
    index = next(i for i, s in enumerate(packet.inservices) if s.id == binder.inservice_id)
    inservice = packet.inservices[index]
    slots = handout_slots(binder, packet)
    view = document_view(
        packet, links, theme, mode="print", inservice_id=binder.inservice_id, handouts=slots
    )
    inline = packet.placement(inservice) == "inline"
    css = marker_css(binder.inservice_id, binder, packet, inline=inline)
    view = replace(view, page_css=Markup(f"{view.page_css}\n{css}"))
    html = render_document(view, theme)
    layout = layout_html(
        html,
        base=packet.folder,
        roots=(packet.folder, *theme.roots),
        what=f"{binder.inservice_id}.pdf",
        stylesheets=[theme.print_css],
    )
    seed = hashlib.sha256(html.encode("utf-8") + binder.digest).hexdigest().encode("ascii")[:32]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(layout.write(identifier=seed))))
    plans = dict(enumerate(binder.handouts, start=1))
    pages, removed = _merge_handouts(writer, layout, plans, packet, inservice.title, inservice.id)
    if packet.duplex and len(pages) % 2:
        # An even number of pages: printed on both sides, the binder ends on a
        # left-hand page, and in packet.pdf the next in-service starts on a right one.
        width, height = PAPER_PT[packet.paper]
        writer.add_blank_page(width, height)
        pages.append(_Page("blank", inservice.title))
    strings = strings_for(packet.language, packet.strings)
    atlas = _atlas(packet, theme, inservice.title, binder, layout, strings)
    stamps: _Stamps = {}
    _slide_furniture(stamps, writer, atlas, pages, packet)
    _qr_codes(stamps, writer, layout, view.qr_slots, pages)
    _headers_and_footers(stamps, writer, atlas, packet, layout, pages, strings)
    for index, ops in stamps.items():
        append_ops(writer, writer.pages[index], ops, artifact=True)
    _write_outline(writer, layout, binder, pages)
    leftover = strip_active_content(writer)
    if leftover:
        removed.setdefault(f"{binder.inservice_id}.pdf", []).extend(leftover)
    date = format_date(inservice.date, packet.language)
    finish(
        writer,
        packet,
        title=f"{inservice.title} — {packet.title}",
        subject=", ".join(v for v in (inservice.presenter, date) if v) or packet.title,
        first_page=1,
        seed=seed,
    )
    warnings = [
        f"{file}: removed active content ({', '.join(sorted(set(what)))}); it does not belong"
        " in a printed binder"
        for file, what in removed.items()
        if what
    ]
    return Bound(_to_bytes(writer), len(writer.pages), tuple(warnings))


def _merge_handouts(
    writer: PdfWriter,
    layout: Layout,
    plans: dict[int, HandoutPlan],
    packet: Packet,
    running: str,
    running_id: str,
) -> tuple[list[_Page], dict[str, list[str]]]:
    """Replace each handout's two marker pages by its pages; return what every page is."""
    width, height = PAPER_PT[packet.paper]
    types = [page._page_box.page_type for page in layout.document.pages]
    removed: dict[str, list[str]] = {}
    gone: dict[int, int | None] = {}
    redrawn: set[int] = set()
    figures: list[Figures] = []
    sections = elements_on(writer, "/Sect")
    # Backwards, so that the layout's page indexes stay right while pages come and go.
    for i in reversed(range(len(types))):
        name = types[i].name
        if name.startswith("he-"):
            page = writer.pages[i]
            assert page.indirect_reference is not None
            key = page.get("/StructParents")
            gone[page.indirect_reference.idnum] = int(key) if key is not None else None
            writer.remove_page(i)
        elif name.startswith("hs-"):
            plan = plans[int(name[3:])]
            first = writer.pages[i]
            assert first.indirect_reference is not None
            section = sections.get(first.indirect_reference.idnum)
            old_key = first.get("/StructParents")
            _clear(first)
            targets = [first]
            extra = len(plan.pages) - 1 + _padding(plan, packet.duplex)
            for k in range(1, extra + 1):
                writer.insert_blank_page(width, height, i + k)
                targets.append(writer.pages[i + k])
            prefix = f"{running_id}-h{int(name[3:])}"
            drawn = targets[: len(plan.pages)]
            removed.setdefault(plan.file, []).extend(
                _draw_handout(writer, plan, drawn, packet, prefix)
            )
            if section is not None:
                # Each page of the handout is a figure of the marker's section,
                # named for a screen reader; its own tags do not survive drawing.
                if old_key is not None:
                    redrawn.add(int(old_key))
                for page in drawn:
                    _fence(writer, page, b"/Figure <</MCID 0>> BDC\n", b"\nEMC\n")
                figures.append(Figures(section, drawn, _alt_texts(packet, plan), plan.language))
    drop_pages(writer, gone)
    drop_keys(writer, redrawn)
    tag_figures(writer, figures)
    pages: list[_Page] = []
    for i, page_type in enumerate(types):
        name = page_type.name
        if name.startswith("he-"):
            continue
        if name.startswith("hs-"):
            plan = plans[int(name[3:])]
            pages += [
                _Page("handout", plan.title, i if k == 0 else None, plan, k)
                for k in range(len(plan.pages))
            ]
            pages += [_Page("blank", running)] * _padding(plan, packet.duplex)
        elif page_type.blank:
            pages.append(_Page("blank", running, i))
        elif name == "cover":
            pages.append(_Page("cover", running, i))
        else:
            pages.append(_Page("packet", running, i))
    return pages, removed


def _alt_texts(packet: Packet, plan: HandoutPlan) -> list[str]:
    """ "Title, page 1 of 5" for each page of the handout, read aloud in the figure's
    language (the file's own when the spec gives one, as its /Lang says)."""
    strings = strings_for(plan.language or packet.language, packet.strings)
    pattern = strings.gettext("page {page} of {pages}")
    total = len(plan.pages)
    return [f"{plan.title}, {_fill(pattern, page=k, pages=total)}" for k in range(1, total + 1)]


def _fill(pattern: str, **numbers: int) -> str:
    """``pattern`` with its number placeholders filled; other braces stay as written
    (a packet's own wording is not a format string)."""
    for name, value in numbers.items():
        pattern = pattern.replace(f"{{{name}}}", str(value))
    return pattern


def _fence(writer: PdfWriter, page: PageObject, before: bytes, after: bytes) -> None:
    """Put ``before`` and ``after`` around everything drawn on ``page`` so far."""
    raw = page.raw_get("/Contents") if "/Contents" in page else None
    resolved = raw.get_object() if raw is not None else None
    if isinstance(resolved, ArrayObject):
        streams = list(resolved)
    else:
        streams = [raw] if raw is not None else []
    opening, closing = DecodedStreamObject(), DecodedStreamObject()
    opening.set_data(before)
    closing.set_data(after)
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(opening), *streams, writer._add_object(closing)]
    )


def _clear(page: PageObject) -> None:
    """Empty a marker page: the handout's first page is drawn on it instead."""
    page[NameObject("/Contents")] = ArrayObject()
    page[NameObject("/Resources")] = DictionaryObject()


def _draw_handout(
    writer: PdfWriter, plan: HandoutPlan, targets: list[PageObject], packet: Packet, prefix: str
) -> list[str]:
    """Draw the handout's pages into their slots; return the active content removed."""
    _w, page_h = PAPER_PT[packet.paper]
    left, top = MARGIN_PT["left"], MARGIN_PT["top"]
    placed_on: dict[int, PageObject] = {}
    for target, cells in zip(targets, plan.pages, strict=True):
        for cell in cells:
            placed_on[_source_index(plan.opened, cell.source_index)] = target

    def link_target(source_number: int) -> PageObject | None:
        return placed_on.get(source_number)

    removed: list[str] = []
    for target, cells in zip(targets, plan.pages, strict=True):
        for cell in cells:
            source = plan.opened.pages[cell.source_index]
            slot = Rect(
                left + cell.x,
                page_h - top - cell.y - cell.height,
                left + cell.x + cell.width,
                page_h - top - cell.y,
            )
            try:
                placed = place_page(
                    writer,
                    target,
                    source,
                    slot,
                    link_targets=link_target,
                    # Two copies of one form must not share values: its fields
                    # become kids of a field named after the in-service and item.
                    field_prefix=prefix,
                )
            except Exception as exc:
                raise HandoutError(
                    plan.file,
                    f"cannot merge page {cell.source_index + 1}: {exc}",
                    item=plan.title,
                ) from None
            removed.extend(placed.removed_active)
    return removed


def _source_index(opened: OpenedHandout, index: int) -> int:
    """0-based page index in the source document of selected page ``index``."""
    return opened.source_page_numbers[index] - 1


# ---------------------------------------------------------------- stamps

_BLANK = "This page is intentionally blank"
_HEADER_GAP_PT = 3 * PT_PER_MM
"""Between the header or footer and the text area, as the margin boxes had it."""
_BLANK_TOP_PT = 120 * PT_PER_MM
_LINE_PT = 100.0
"""Length of the rule pieces, scaled to the length of each line drawn."""


@dataclass(frozen=True)
class StampFrame:
    """Where the running header and footer go on every page of a document, in points."""

    left: float
    right: float
    """Distance of the text area's right edge from the page's right edge."""
    header: float
    """Distance of the header's bottom from the page's top edge."""
    footer: float
    """Distance of the footer's top from the page's bottom edge."""


def stamp_frame(layout: Layout) -> StampFrame:
    """The theme's side margins; header and footer where they clear packet and handout pages.

    One position for every page, whether laid out or a handout page (whose
    margins are narrower), so the header does not jump as the pages turn.
    """
    left, right = 20 * PT_PER_MM, 20 * PT_PER_MM
    top, bottom = 22 * PT_PER_MM, 20 * PT_PER_MM
    for page in layout.document.pages:
        box = page._page_box
        if not box.page_type.blank:
            left, right = box.margin_left * _PX_TO_PT, box.margin_right * _PX_TO_PT
            top, bottom = box.margin_top * _PX_TO_PT, box.margin_bottom * _PX_TO_PT
            break
    return StampFrame(
        left,
        right,
        min(top, MARGIN_PT["top"]) - _HEADER_GAP_PT,
        min(bottom, MARGIN_PT["bottom"]) - _HEADER_GAP_PT,
    )


def _atlas(
    packet: Packet, theme: Theme, running: str, binder: Binder, layout: Layout, strings: Strings
) -> Atlas:
    width, _height = PAPER_PT[packet.paper]
    frame = stamp_frame(layout)
    half = (width - frame.left - frame.right) * 0.48
    texts = [
        StampText("packet", packet.title, width_pt=half, align="left"),
        StampText(f"running:{running}", running, width_pt=half, align="right"),
        StampText("blank", strings.gettext(_BLANK), style="blank"),
        StampText("slide", strings.gettext("Slide "), style="slide"),
        StampText("rule", "", style="rule"),
        StampText("frame", "", style="frame"),
        *number_texts(page_of_pages(strings).words),
        *(StampText(f"slide-{d}", d, style="slide") for d in DIGITS),
    ]
    texts += [
        StampText(f"running:{plan.title}", plan.title, width_pt=half, align="right")
        for plan in binder.handouts
    ]
    return Atlas.lay_out(packet, theme, texts)


_Stamps = dict[int, list[str]]
"""Page index → the operators of every stamp on it, appended as one stream per page."""


def _headers_and_footers(
    stamps: _Stamps,
    writer: PdfWriter,
    atlas: Atlas,
    packet: Packet,
    layout: Layout,
    pages: list[_Page],
    strings: Strings,
) -> None:
    """Running header, footer and page number on every page; the blank pages say so."""
    footer_keys = page_of_pages(strings).keys
    width, height = PAPER_PT[packet.paper]
    frame = stamp_frame(layout)
    left, right, header, footer = frame.left, frame.right, frame.header, frame.footer
    total = len(pages)
    for index, (page, info) in enumerate(zip(writer.pages, pages, strict=True)):
        ops = stamps.setdefault(index, [])
        if info.kind in ("packet", "handout"):
            ops.append(atlas.ops(writer, page, "packet", left, height - header))
            key = f"running:{info.title}"
            x = width - right - atlas.width(key)
            ops.append(atlas.ops(writer, page, key, x, height - header))
        if info.kind == "blank":
            x = (width - atlas.width("blank")) / 2
            ops.append(atlas.ops(writer, page, "blank", x, height - _BLANK_TOP_PT))
        keys = footer_keys(page=index + 1, pages=total)
        ops += composed_ops(atlas, writer, page, keys, right=width - right, top=footer)


def _slide_furniture(
    stamps: _Stamps, writer: PdfWriter, atlas: Atlas, pages: list[_Page], packet: Packet
) -> None:
    """Frames, "Slide N" labels and note lines of n-up slide pages."""
    _w, page_h = PAPER_PT[packet.paper]
    left, top = MARGIN_PT["left"], MARGIN_PT["top"]
    for index, (page, info) in enumerate(zip(writer.pages, pages, strict=True)):
        if info.handout is None:
            continue
        ops = stamps.setdefault(index, [])
        for cell in info.handout.pages[info.sheet]:
            if cell.label is None:
                continue
            # The frame sits just outside the slide, whose own white background
            # would hide a frame drawn under it.
            x0, x1 = left + cell.x - 0.8, left + cell.x + cell.width + 0.8
            y1 = page_h - top - cell.y + 0.8
            y0 = page_h - top - cell.y - cell.height - 0.8
            for x, y, w, h in (
                (x0, y0, x1 - x0, 0.6),
                (x0, y1 - 0.6, x1 - x0, 0.6),
                (x0, y0, 0.6, y1 - y0),
                (x1 - 0.6, y0, 0.6, y1 - y0),
            ):
                ops.append(atlas.ops(writer, page, "frame", x, y, width=w, height=h))
            keys = ["slide", *(f"slide-{d}" for d in cell.label)]
            label_top = page_h - top - cell.y - cell.height - 2
            x = left + cell.x
            for key in keys:
                ops.append(atlas.ops(writer, page, key, x, label_top - atlas.height(key)))
                x += atlas.width(key)
            if cell.notes is not None:
                n = cell.notes
                for line in range(1, int((n.y1 - n.y0) // _NOTE_LINE_PT) + 1):
                    y = page_h - top - (n.y0 + line * _NOTE_LINE_PT)
                    rule = atlas.ops(writer, page, "rule", left + n.x0, y, width=n.x1 - n.x0,
                                     height=0.5)  # fmt: skip
                    ops.append(rule)


def _final_index(pages: list[_Page]) -> dict[int, int]:
    """Layout page index → index in the finished binder."""
    return {p.layout_index: k for k, p in enumerate(pages) if p.layout_index is not None}


def _qr_codes(
    stamps: _Stamps,
    writer: PdfWriter,
    layout: Layout,
    slots: dict[str, tuple[str, ErrorCorrection]],
    pages: list[_Page],
) -> None:
    """Every code into its slot, from one Form XObject per code."""
    anchors = layout.anchor_rects()
    final = _final_index(pages)
    for element_id, (data, error_correction) in slots.items():
        if element_id not in anchors:
            continue  # not laid out (e.g. in a section this document does not print)
        code = make_qr(data, error_correction)
        index, (x1, y1, x2, y2) = anchors[element_id]
        page = writer.pages[final[index]]
        height = float(page.mediabox.height)
        size = min(x2 - x1, y2 - y1) * _PX_TO_PT
        x, y = x1 * _PX_TO_PT, height - y1 * _PX_TO_PT
        slot = Rect(x, y - size, x + size, y)
        stamps.setdefault(final[index], []).append(qr_ops(writer, page, code, slot))


def _write_outline(writer: PdfWriter, layout: Layout, binder: Binder, pages: list[_Page]) -> None:
    """WeasyPrint's outline (in page order, the handouts' entries from their markers),
    with each handout's own bookmarks nested under its entry."""
    root = writer._root_object
    if "/Outlines" in root:
        del root[NameObject("/Outlines")]
    final = _final_index(pages)
    starts = {}
    for n, plan in enumerate(binder.handouts, start=1):
        for index, page in enumerate(layout.document.pages):
            if page._page_box.page_type.name == f"hs-{n}":
                starts[final[index]] = plan
    page_h = float(writer.pages[0].mediabox.height)

    def add(entries: list[Any], parent: Any) -> None:
        for label, (page, x, y), children, _state in entries:
            number = final.get(page, 0)
            item = writer.add_outline_item(
                title=label,
                page_number=number,
                parent=parent,
                fit=Fit.xyz(left=x * _PX_TO_PT, top=page_h - y * _PX_TO_PT),
            )
            plan = starts.pop(number, None) if not children else None
            if plan is not None:
                _nest(writer, plan.opened.outline, item, number, _cell_pages(plan))
            add(children, item)

    add(layout.document.make_bookmark_tree(), None)


def _cell_pages(plan: HandoutPlan) -> dict[int, int]:
    """Selected-page index → output page offset within the handout."""
    return {cell.source_index: k for k, cells in enumerate(plan.pages) for cell in cells}


def _nest(
    writer: PdfWriter, entries: list[OutlineEntry], parent: Any, first: int, pages: dict[int, int]
) -> None:
    for entry in entries:
        item = writer.add_outline_item(
            title=entry.title,
            page_number=first + pages.get(entry.page_index, 0),
            parent=parent,
            fit=Fit.fit(),
        )
        _nest(writer, entry.children, item, first, pages)


def finish(
    writer: PdfWriter,
    packet: Packet,
    *,
    title: str,
    subject: str,
    first_page: int,
    seed: bytes,
    labels: bool = True,
) -> None:
    """Metadata (the information dictionary and XMP), language, page labels and a
    stable file identifier."""
    writer.add_metadata(document_info(packet, title=title, subject=subject))
    root = writer._root_object
    for key, value in catalog_entries(packet, title=title).items():
        root[NameObject(key)] = writer._add_object(value) if key == "/Metadata" else value
    if labels:
        writer.set_page_label(
            0, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=first_page
        )
    writer._ID = ArrayObject([ByteStringObject(seed), ByteStringObject(seed)])


def document_info(packet: Packet, *, title: str, subject: str) -> dict[str, Any]:
    """The information dictionary of an output (dates only with SOURCE_DATE_EPOCH)."""
    info: dict[str, Any] = {
        "/Title": title,
        "/Subject": subject,
        "/Keywords": ", ".join(s.title for s in packet.inservices),
        "/Creator": "packetgen",
        "/Producer": "packetgen (WeasyPrint, pypdf)",
    }
    if packet.organization:
        info["/Author"] = packet.organization
    date = pdf_build_date()
    if date:
        info["/CreationDate"] = date
        info["/ModDate"] = date
    return info


def catalog_entries(packet: Packet, *, title: str) -> dict[str, PdfObject]:
    """Language, viewer preferences and XMP (``/Metadata``, a stream: make it indirect)."""
    return {
        "/Lang": TextStringObject(packet.language),
        # PDF/UA: viewers show the title, not the file name.
        "/ViewerPreferences": DictionaryObject(
            {NameObject("/DisplayDocTitle"): BooleanObject(True)}
        ),
        "/Metadata": _xmp(title=title, author=packet.organization, language=packet.language),
    }


def _xmp(*, title: str, author: str | None, language: str) -> StreamObject:
    """XMP metadata declaring PDF/UA-1, as WeasyPrint writes it for its own documents.

    Uncompressed, as archives want it; the dates only with SOURCE_DATE_EPOCH.
    """
    date = w3c_build_date()
    dates = f"<xmp:CreateDate>{date}</xmp:CreateDate><xmp:ModifyDate>{date}</xmp:ModifyDate>"
    creator = (
        f"<dc:creator><rdf:Seq><rdf:li>{xml_escape(author)}</rdf:li></rdf:Seq></dc:creator>"
        if author
        else ""
    )
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about=""'
        ' xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        "<pdfuaid:part>1</pdfuaid:part>"
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{xml_escape(title)}</rdf:li>'
        f"</rdf:Alt></dc:title>{creator}"
        f"<dc:language><rdf:Bag><rdf:li>{xml_escape(language)}</rdf:li></rdf:Bag></dc:language>"
        "<pdf:Producer>packetgen (WeasyPrint, pypdf)</pdf:Producer>"
        f"<xmp:CreatorTool>packetgen</xmp:CreatorTool>{dates if date else ''}"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    stream = DecodedStreamObject()
    stream.set_data(packet.encode("utf-8"))
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    return stream


def _to_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def bind_files(
    documents: Sequence[tuple[str, str | os.PathLike[str]]],
    output: str | os.PathLike[str],
    *,
    title: str,
    organization: str | None = None,
    paper: str = "letter",
    duplex: bool = False,
    theme: str = "default",
) -> Bound:
    """Bind ``(title, file)`` pairs into one PDF at ``output``, without a spec.

    The result has a cover, a table of contents with the page where each
    document starts, an outline (each document's own bookmarks nested under its
    title), page labels, and the running footer on every page. Files may be
    PDFs, PNG or JPEG images, or office documents (through LibreOffice).
    """
    paths = [Path(path).resolve() for _title, path in documents]
    if not paths:
        raise PacketgenError("bind_files needs at least one document")
    folder = Path(os.path.commonpath([p.parent for p in paths]))
    spec = {
        "title": title,
        "organization": organization,
        "paper": paper,
        "duplex": duplex,
        "theme": theme,
        "inservices": [
            {
                "id": "binder",
                "title": title,
                "items": [
                    {"kind": "handout", "title": name, "file": path.relative_to(folder).as_posix()}
                    for (name, _), path in zip(documents, paths, strict=True)
                ],
            }
        ],
    }
    doc = SourceDoc(data={k: v for k, v in spec.items() if v is not None})
    packet = validate(doc, name="<bind_files>", folder=folder, source=folder / "<bind_files>")
    links = collect_links(packet)
    binder = open_inservice_handouts(packet, "binder", links)
    bound = bind_inservice(packet, links, load_theme(packet.theme, folder), binder)
    write_bytes_atomic(Path(output), bound.data)
    # No spec to acknowledge them in and no `check -v` to ask: one line per file.
    untagged = [
        f"{h.file}: {advice(h.kind)}" for h in untagged_handouts(packet, "binder", binder.untagged)
    ]
    return replace(bound, warnings=(*binder.warnings, *untagged, *bound.warnings))
