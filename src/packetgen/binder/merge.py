"""Merging the handouts in: marker pages replaced by the handout's own pages.

Each handout's pages are drawn into their cells (``placement``), its pages
become Figure elements of the marker's section, and every page of the
finished binder is described for the stamps that follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pypdf import PageObject, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

from packetgen.binder.markers import padding
from packetgen.binder.placement import Rect, place_page
from packetgen.binder.plan import MARGIN_PT, PAPER_PT, HandoutPlan
from packetgen.errors import HandoutError
from packetgen.handouts.open import OpenedHandout
from packetgen.pdf._structure import Figures, drop_keys, drop_pages, elements_on, tag_figures
from packetgen.pdf.layout import Layout
from packetgen.spec.models import Packet
from packetgen.text.i18n import strings_for

__all__ = ["BinderPage", "final_index", "merge_handouts"]


@dataclass(frozen=True)
class BinderPage:
    """A page of the finished binder: what it is, for its stamps."""

    kind: Literal["cover", "packet", "handout", "blank"]
    title: str
    """The running title: the in-service, or the handout on its pages."""
    layout_index: int | None = None
    """Index in WeasyPrint's layout, for pages laid out there."""
    handout: HandoutPlan | None = None
    sheet: int = 0
    """Which of the handout's output pages this is."""


def merge_handouts(
    writer: PdfWriter,
    layout: Layout,
    plans: dict[int, HandoutPlan],
    packet: Packet,
    running: str,
    running_id: str,
) -> tuple[list[BinderPage], dict[str, list[str]]]:
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
            extra = len(plan.pages) - 1 + padding(plan, packet.duplex)
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
    pages: list[BinderPage] = []
    for i, page_type in enumerate(types):
        name = page_type.name
        if name.startswith("he-"):
            continue
        if name.startswith("hs-"):
            plan = plans[int(name[3:])]
            pages += [
                BinderPage("handout", plan.title, i if k == 0 else None, plan, k)
                for k in range(len(plan.pages))
            ]
            pages += [BinderPage("blank", running)] * padding(plan, packet.duplex)
        elif page_type.blank:
            pages.append(BinderPage("blank", running, i))
        elif name == "cover":
            pages.append(BinderPage("cover", running, i))
        else:
            pages.append(BinderPage("packet", running, i))
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
                    turn=cell.turn,  # a landscape page printed sideways (plan_cells)
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


def final_index(pages: list[BinderPage]) -> dict[int, int]:
    """Layout page index → index in the finished binder."""
    return {p.layout_index: k for k, p in enumerate(pages) if p.layout_index is not None}
