"""The binder's outline (bookmarks): WeasyPrint's, in page order, with each
handout's own bookmarks nested under its entry."""

from __future__ import annotations

from typing import Any

from pypdf import PdfWriter
from pypdf.generic import Fit, NameObject

from packetgen.binder.merge import BinderPage, final_index
from packetgen.binder.plan import PX_TO_PT, Binder, HandoutPlan
from packetgen.handouts.open import OutlineEntry
from packetgen.pdf.layout import Layout

__all__ = ["write_outline"]


def write_outline(
    writer: PdfWriter, layout: Layout, binder: Binder, pages: list[BinderPage]
) -> None:
    """WeasyPrint's outline (in page order, the handouts' entries from their markers),
    with each handout's own bookmarks nested under its entry."""
    root = writer._root_object
    if "/Outlines" in root:
        del root[NameObject("/Outlines")]
    final = final_index(pages)
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
                fit=Fit.xyz(left=x * PX_TO_PT, top=page_h - y * PX_TO_PT),
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
