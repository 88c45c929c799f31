"""The stamps of a binder: running header and footer, page numbers, blank-page
notes, slide frames, labels and note lines, and QR codes.

All are drawn after layout from one atlas of laid-out words, into the margins
that WeasyPrint left empty, as PDF/UA artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass

from pypdf import PdfWriter

from packetgen.binder._stamps import (
    DIGITS,
    Atlas,
    StampText,
    composed_ops,
    number_texts,
    page_of_pages,
    qr_ops,
)
from packetgen.binder.merge import BinderPage, final_index
from packetgen.binder.placement import Rect
from packetgen.binder.plan import MARGIN_PT, PAPER_PT, PT_PER_MM, PX_TO_PT, Binder
from packetgen.content.qr import ErrorCorrection, make_qr
from packetgen.pdf.layout import Layout
from packetgen.render.themes import Theme
from packetgen.spec.models import Packet
from packetgen.text.i18n import Strings

__all__ = [
    "StampFrame",
    "StampOps",
    "headers_and_footers",
    "lay_out_atlas",
    "qr_codes",
    "slide_furniture",
    "stamp_frame",
]


_NOTE_LINE_PT = 22.0


_BLANK = "This page is intentionally blank"


_HEADER_GAP_PT = 3 * PT_PER_MM
"""Between the header or footer and the text area, as the margin boxes had it."""


_BLANK_TOP_PT = 120 * PT_PER_MM


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
            left, right = box.margin_left * PX_TO_PT, box.margin_right * PX_TO_PT
            top, bottom = box.margin_top * PX_TO_PT, box.margin_bottom * PX_TO_PT
            break
    return StampFrame(
        left,
        right,
        min(top, MARGIN_PT["top"]) - _HEADER_GAP_PT,
        min(bottom, MARGIN_PT["bottom"]) - _HEADER_GAP_PT,
    )


def lay_out_atlas(
    packet: Packet, theme: Theme, running: str, binder: Binder, layout: Layout, strings: Strings
) -> Atlas:
    """Every word a binder stamps, laid out once: titles, page numbers, slide labels."""
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


StampOps = dict[int, list[str]]
"""Page index → the operators of every stamp on it, appended as one stream per page."""


def headers_and_footers(
    stamps: StampOps,
    writer: PdfWriter,
    atlas: Atlas,
    packet: Packet,
    layout: Layout,
    pages: list[BinderPage],
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


def slide_furniture(
    stamps: StampOps, writer: PdfWriter, atlas: Atlas, pages: list[BinderPage], packet: Packet
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


def qr_codes(
    stamps: StampOps,
    writer: PdfWriter,
    layout: Layout,
    slots: dict[str, tuple[str, ErrorCorrection]],
    pages: list[BinderPage],
) -> None:
    """Every code into its slot, from one Form XObject per code."""
    anchors = layout.anchor_rects()
    final = final_index(pages)
    for element_id, (data, error_correction) in slots.items():
        if element_id not in anchors:
            continue  # not laid out (e.g. in a section this document does not print)
        code = make_qr(data, error_correction)
        index, (x1, y1, x2, y2) = anchors[element_id]
        page = writer.pages[final[index]]
        height = float(page.mediabox.height)
        size = min(x2 - x1, y2 - y1) * PX_TO_PT
        x, y = x1 * PX_TO_PT, height - y1 * PX_TO_PT
        slot = Rect(x, y - size, x + size, y)
        stamps.setdefault(final[index], []).append(qr_ops(writer, page, code, slot))
