"""The kit's stamps, as a binder's: the running header and "page X of Y" on
every page but the certificates, and each QR code into its slot.
"""

from __future__ import annotations

from pypdf import PdfWriter

from packetgen.binder._stamps import (
    Atlas,
    StampText,
    composed_ops,
    number_texts,
    page_of_pages,
    qr_ops,
)
from packetgen.binder.furniture import stamp_frame
from packetgen.binder.placement import Rect
from packetgen.binder.plan import PAPER_PT
from packetgen.content.qr import make_qr
from packetgen.pdf.layout import Layout
from packetgen.render.themes import Theme
from packetgen.render.views import DocumentView
from packetgen.spec.models import Packet
from packetgen.text.i18n import Strings

__all__ = ["place_qr_codes", "stamp_pages"]

_PX_TO_PT = 0.75
_UNSTAMPED = ("certificate",)
"""Pages that carry no running header or footer: a certificate is handed out alone."""


_Stamps = dict[int, list[str]]


def stamp_pages(
    writer: PdfWriter, layout: Layout, packet: Packet, theme: Theme, running: str, t: Strings
) -> _Stamps:
    """The binder's running header and "page X of Y": not on the cover's header,
    nor anywhere on a certificate."""
    width, height = PAPER_PT[packet.paper]
    frame = stamp_frame(layout)
    half = (width - frame.left - frame.right) * 0.48
    footer = page_of_pages(t)
    atlas = Atlas.lay_out(
        packet,
        theme,
        [
            StampText("packet", packet.title, width_pt=half, align="left"),
            StampText("running", running, width_pt=half, align="right"),
            *number_texts(footer.words),
        ],
    )
    total = len(writer.pages)
    stamps: _Stamps = {}
    for index, (page, laid) in enumerate(zip(writer.pages, layout.document.pages, strict=True)):
        name = laid._page_box.page_type.name
        if name in _UNSTAMPED:
            continue
        ops = stamps.setdefault(index, [])
        if name != "cover":
            ops.append(atlas.ops(writer, page, "packet", frame.left, height - frame.header))
            x = width - frame.right - atlas.width("running")
            ops.append(atlas.ops(writer, page, "running", x, height - frame.header))
        keys = footer.keys(page=index + 1, pages=total)
        ops += composed_ops(atlas, writer, page, keys, right=width - frame.right, top=frame.footer)
    return stamps


def place_qr_codes(stamps: _Stamps, writer: PdfWriter, layout: Layout, view: DocumentView) -> None:
    """Every code into its slot (the evaluation's), as in the binder."""
    anchors = layout.anchor_rects()
    for element_id, (data, error_correction) in view.qr_slots.items():
        if element_id not in anchors:
            continue  # laid out only in the binder
        index, (x1, y1, x2, y2) = anchors[element_id]
        page = writer.pages[index]
        page_height = float(page.mediabox.height)
        size = min(x2 - x1, y2 - y1) * _PX_TO_PT
        x, y = x1 * _PX_TO_PT, page_height - y1 * _PX_TO_PT
        slot = Rect(x, y - size, x + size, y)
        code = make_qr(data, error_correction)
        stamps.setdefault(index, []).append(qr_ops(writer, page, code, slot))
