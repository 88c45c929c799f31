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
from typing import Any

from markupsafe import Markup
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    Fit,
    NameObject,
    TextStringObject,
)

from ._atomic import write_bytes_atomic
from ._placement import Rect, displayed_size, place_page, strip_active_content, uri_links
from ._repro import pdf_build_date
from ._sources import SourceDoc
from .errors import BuildError, HandoutError, PacketgenError
from .handouts import OpenedHandout, OutlineEntry, open_handout
from .links import LinkTable, collect_links, register_handout_links
from .loader import validate
from .pdf import layout_html
from .render import HandoutSlot, document_view, format_date, render_document
from .spec import Packet
from .themes import Theme, load_theme

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

    @property
    def anchor(self) -> str:
        return f"handout-{self.item_index + 1}"


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
            cells.append(Cell(x, y, w, h, index, f"Slide {number}", notes))
        pages.append(cells)
    return pages


def open_inservice_handouts(
    packet: Packet, inservice_id: str, links: LinkTable | None = None
) -> Binder:
    """Open every file item of the in-service; number the links found in them in ``links``."""
    index = next(i for i, s in enumerate(packet.inservices) if s.id == inservice_id)
    inservice = packet.inservices[index]
    plans: list[HandoutPlan] = []
    warnings: list[str] = []
    found: list[tuple[int, str]] = []
    digest = hashlib.sha256()
    for j, item in enumerate(inservice.items):
        if item.file is None:
            continue
        where = packet.where("inservices", index, "items", j, "file")
        field_path = f"inservices[{index}].items[{j}].file"
        label = f"{where}: {field_path}: {item.file}"
        path = packet.folder / item.file
        password = getattr(item, "password", None)
        env = getattr(item, "password_env", None)
        if env:
            password = os.environ.get(env)
            if password is None:
                raise HandoutError(
                    label, f"the environment variable {env} is not set", item=item.title
                )
        try:
            opened = open_handout(
                path,
                item=item.title,
                pages=getattr(item, "pages", None),
                password=password,
                paper=PAPER_PT[packet.paper],
            )
        except HandoutError as exc:
            raise HandoutError(label, exc.detail, item=item.title) from None
        except ValueError as exc:  # page selection
            raise HandoutError(label, str(exc), item=item.title) from None
        digest.update(path.read_bytes())
        for warning in opened.warnings:
            warnings.append(f"{label}: {warning}")
        found.extend((j, url) for page in opened.pages for url in uri_links(page))
        layout = getattr(item, "layout", "1-up")
        plan = HandoutPlan(j, item.title, item.file, layout, opened)
        plan.pages = plan_cells(opened, layout, packet.paper)
        plans.append(plan)
    if links is not None:
        register_handout_links(packet, inservice_id, found, links)
    return Binder(inservice_id, plans, warnings, digest.digest(), found)


# ---------------------------------------------------------------- placeholders


def _box(x: float, y: float, w: float, h: float) -> str:
    return f"left:{x:.2f}pt;top:{y:.2f}pt;width:{w:.2f}pt;height:{h:.2f}pt"


def _placeholders(plan: HandoutPlan, duplex: bool) -> Markup:
    out = []
    total = len(plan.pages)
    title = escape(plan.title)
    for k, cells in enumerate(plan.pages):
        first = k == 0
        classes = (
            "handout-page" + (" first" if first else "") + (" duplex" if duplex and first else "")
        )
        page_id = plan.anchor if first else f"{plan.anchor}-p{k + 1}"
        label = f"{title}, page {k + 1} of {total}"
        parts = [
            f'<section class="{classes}" id="{page_id}" aria-label="{label}">',
            f'<span class="handout-running">{title}</span>',
        ]
        for cell in cells:
            if cell.label is None:
                continue
            # The frame sits just outside the slide: the slide's own white
            # background is drawn over the placeholder and would hide it.
            frame = _box(cell.x - 0.8, cell.y - 0.8, cell.width + 1.6, cell.height + 1.6)
            parts.append(f'<div class="slide-frame" style="{frame}"></div>')
            below = _box(cell.x, cell.y + cell.height + 2, cell.width, _LABEL_PT)
            parts.append(f'<div class="slide-label" style="{below}">{escape(cell.label)}</div>')
            if cell.notes is not None:
                n = cell.notes
                lines = int((n.y1 - n.y0) // _NOTE_LINE_PT)
                for line in range(1, lines + 1):
                    y = n.y0 + line * _NOTE_LINE_PT
                    parts.append(
                        f'<div class="note-line" style="{_box(n.x0, y, n.x1 - n.x0, 0)}"></div>'
                    )
        parts.append("</section>")
        out.append("".join(parts))
    return Markup("\n".join(out))


def placeholder_css(packet: Packet) -> str:
    """The geometry of placeholder pages (their look is in the theme's CSS)."""
    width, height = area(packet.paper)
    margins = " ".join(f"{MARGIN_PT[side]:.2f}pt" for side in ("top", "right", "bottom", "left"))
    rules = [
        f"@page handout {{ margin: {margins} }}",
        f".handout-page {{ height: {height:.2f}pt; width: {width:.2f}pt }}",
    ]
    if packet.duplex:
        rules.append(".inservice, .handout-page.duplex, .kit-page { break-before: right }")
    return "\n".join(rules)


def handout_slots(binder: Binder, packet: Packet) -> dict[int, HandoutSlot]:
    return {
        plan.item_index: HandoutSlot(
            anchor=plan.anchor,
            title=plan.title,
            pages=len(plan.pages),
            placeholders=_placeholders(plan, packet.duplex),
        )
        for plan in binder.handouts
    }


# ---------------------------------------------------------------- binding


def bind_inservice(
    packet: Packet,
    links: LinkTable,
    theme: Theme,
    binder: Binder,
    *,
    first_page: int = 1,
    total_pages: int | None = None,
) -> Bound:
    """Render the in-service and draw its handouts in."""
    index = next(i for i, s in enumerate(packet.inservices) if s.id == binder.inservice_id)
    inservice = packet.inservices[index]
    slots = handout_slots(binder, packet)
    view = document_view(
        packet,
        links,
        theme,
        mode="print",
        inservice_id=binder.inservice_id,
        handouts=slots,
        first_page=first_page,
        total_pages=total_pages,
    )
    view = replace(view, page_css=Markup(str(view.page_css) + placeholder_css(packet)))
    html = render_document(view, theme)
    layout = layout_html(
        html,
        base=packet.folder,
        roots=(packet.folder, *theme.roots),
        what=f"{binder.inservice_id}.pdf",
    )
    seed = hashlib.sha256(html.encode("utf-8") + binder.digest).hexdigest().encode("ascii")[:32]
    data = layout.write(identifier=seed)
    anchors = layout.anchor_pages()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    removed = _draw_handouts(writer, binder, anchors, packet.paper, prefix=binder.inservice_id)
    _write_outline(writer, layout.document.make_bookmark_tree(), binder, anchors)
    leftover = strip_active_content(writer)
    if leftover:
        removed.setdefault(f"{binder.inservice_id}.pdf", []).extend(leftover)
    date = format_date(inservice.date, packet.language)
    finish(
        writer,
        packet,
        title=f"{inservice.title} — {packet.title}",
        subject=", ".join(v for v in (inservice.presenter, date) if v) or packet.title,
        first_page=first_page,
        seed=seed,
    )
    warnings = [
        f"{file}: removed active content ({', '.join(sorted(set(what)))}); it does not belong"
        " in a printed binder"
        for file, what in removed.items()
        if what
    ]
    return Bound(_to_bytes(writer), layout.page_count, tuple(warnings))


def _draw_handouts(
    writer: PdfWriter,
    binder: Binder,
    anchors: dict[str, tuple[int, float, float]],
    paper: str,
    *,
    prefix: str,
) -> dict[str, list[str]]:
    """Draw every handout page into its slot; return what active content was removed, by file."""
    removed: dict[str, list[str]] = {}
    _w, page_h = PAPER_PT[paper]
    left, top = MARGIN_PT["left"], MARGIN_PT["top"]
    for n, plan in enumerate(binder.handouts, start=1):
        placed_on: dict[int, PageObject] = {}
        targets: list[tuple[PageObject, list[Cell]]] = []
        for k, cells in enumerate(plan.pages):
            page_id = plan.anchor if k == 0 else f"{plan.anchor}-p{k + 1}"
            if page_id not in anchors:
                raise BuildError(f"{plan.file}: placeholder page {k + 1} was not laid out")
            target = writer.pages[anchors[page_id][0]]
            targets.append((target, cells))
            for cell in cells:
                placed_on[_source_index(plan.opened, cell.source_index)] = target

        def link_target(
            source_number: int, _placed: dict[int, PageObject] = placed_on
        ) -> PageObject | None:
            return _placed.get(source_number)

        for target, cells in targets:
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
                        field_prefix=f"{prefix}-h{n}",
                    )
                except Exception as exc:
                    raise HandoutError(
                        plan.file,
                        f"cannot merge page {cell.source_index + 1}: {exc}",
                        item=plan.title,
                    ) from None
                removed.setdefault(plan.file, []).extend(placed.removed_active)
    return removed


def _source_index(opened: OpenedHandout, index: int) -> int:
    """0-based page index in the source document of selected page ``index``."""
    return opened.source_page_numbers[index] - 1


def _write_outline(
    writer: PdfWriter,
    tree: list[Any],
    binder: Binder,
    anchors: dict[str, tuple[int, float, float]],
) -> None:
    """Replace WeasyPrint's outline: the same entries plus one per handout, with the
    handout's own bookmarks nested beneath it."""
    root = writer._root_object
    if "/Outlines" in root:
        del root[NameObject("/Outlines")]
    _, page_h = (float(writer.pages[0].mediabox.width), float(writer.pages[0].mediabox.height))

    def add(entries: list[Any], parent: Any) -> None:
        for label, (page, x, y), children, _state in entries:
            item = writer.add_outline_item(
                title=label,
                page_number=page,
                parent=parent,
                fit=Fit.xyz(left=x * _PX_TO_PT, top=page_h - y * _PX_TO_PT),
            )
            add(children, item)

    add(tree, None)
    for plan in binder.handouts:
        page = anchors[plan.anchor][0]
        entry = writer.add_outline_item(title=plan.title, page_number=page, fit=Fit.fit())
        cell_page = _cell_pages(plan)
        _nest(writer, plan.opened.outline, entry, page, cell_page)


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
) -> None:
    """Metadata, language, page labels and a stable file identifier."""
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
    writer.add_metadata(info)
    root = writer._root_object
    root[NameObject("/Lang")] = TextStringObject(packet.language)
    # PDF/UA: viewers show the title, not the file name.
    root[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)}
    )
    writer.set_page_label(0, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=first_page)
    writer._ID = ArrayObject([ByteStringObject(seed), ByteStringObject(seed)])


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
    return replace(bound, warnings=(*binder.warnings, *bound.warnings))
