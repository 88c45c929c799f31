"""book: ``packet.pdf``, every in-service in one volume, made of the binders themselves.

Nothing of an in-service is laid out again: the book is the packet's own
front matter (cover and contents, laid out here) followed by every binder as
it was written, each a *part*. A part keeps its binder's page numbers ("page
5 of 13" under the in-service's title), so every number printed in it, its
contents page included, stays true; the book adds "Part 2" to the footer of
every page of the second part, PDF page labels "2-5", and a contents page
that says where each part starts. (Court bundles number their tabs the same
way.) Each binder carries its own links appendix, numbered from 1, so the
number beside an item always matches a card in the part in hand.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

from markupsafe import Markup
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.constants import PageLabelStyle
from pypdf.generic import Fit

from ._placement import append_ops
from ._stamps import DIGITS, Atlas, StampText, composed_ops, digit_keys
from ._structure import StructureMerger
from .binder import PAPER_PT, finish, stamp_frame
from .links import LinkTable
from .pdf import Layout, layout_html
from .render import TocEntry, document_view, render_document
from .spec import Packet
from .themes import Theme

__all__ = ["Part", "assemble"]

_PX_TO_PT = 0.75


@dataclass(frozen=True)
class Part:
    """One in-service's binder, as written."""

    inservice_id: str
    title: str
    path: Path
    pages: int


def assemble(
    packet: Packet, links: LinkTable, theme: Theme, parts: list[Part]
) -> tuple[bytes, int]:
    """The book: front matter, then every part with its part number stamped on."""
    front = _front(packet, links, theme, parts)
    writer = PdfWriter()
    structure = StructureMerger(writer)
    front_pdf = front.write(identifier=b"front")
    reader = PdfReader(io.BytesIO(front_pdf))
    writer.append(reader, import_outline=True)
    structure.add(reader, 0)
    front_pages = len(writer.pages)
    width, height = PAPER_PT[packet.paper]
    filler = packet.duplex and front_pages % 2 == 1
    if filler:
        # The first part starts on a right-hand page, as its binder does.
        writer.add_blank_page(width, height)
    starts: dict[str, int] = {}
    digests = [front_pdf]
    for part in parts:
        starts[part.inservice_id] = len(writer.pages)
        data = part.path.read_bytes()
        digests.append(data)
        reader = PdfReader(io.BytesIO(data))
        first = len(writer.pages)
        writer.append(reader, outline_item=part.title, import_outline=True)
        structure.add(reader, first)
        # Released part by part: the writer holds the joined book, not every part twice.
        del reader
    structure.finish()
    atlas = _atlas(packet, theme)
    _stamp(writer, atlas, packet, parts, starts, stamp_frame(front).footer)
    if filler:
        page = writer.pages[front_pages]
        x = (width - atlas.width("blank")) / 2
        append_ops(writer, page, [atlas.ops(writer, page, "blank", x, height * 0.6)], artifact=True)
    _link_contents(writer, front, starts)
    seed = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d in digests)).hexdigest()
    finish(
        writer,
        packet,
        title=packet.title,
        subject=packet.subtitle or packet.title,
        first_page=1,
        seed=seed.encode("ascii")[:32],
        labels=False,
    )
    _label(writer, parts, starts)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), len(writer.pages)


def _atlas(packet: Packet, theme: Theme) -> Atlas:
    texts = [
        StampText("part", "Part "),
        StampText("blank", "This page is intentionally blank", style="blank"),
    ]
    texts += [StampText(f"digit-{d}", d) for d in DIGITS]
    return Atlas.lay_out(packet, theme, texts)


def _stamp(
    writer: PdfWriter,
    atlas: Atlas,
    packet: Packet,
    parts: list[Part],
    starts: dict[str, int],
    footer: float,
) -> None:
    """ "Part N" at the foot of every page of part N, between the binder's own footers."""
    width, _height = PAPER_PT[packet.paper]
    for number, part in enumerate(parts, start=1):
        first = starts[part.inservice_id]
        keys = ["part", *digit_keys(number)]
        total = sum(atlas.width(k) for k in keys)
        for index in range(first, first + part.pages):
            page = writer.pages[index]
            ops = composed_ops(atlas, writer, page, keys, right=(width + total) / 2, top=footer)
            append_ops(writer, page, ops, artifact=True)


def _label(writer: PdfWriter, parts: list[Part], starts: dict[str, int]) -> None:
    """Page labels: the front matter i, ii…; part 2's pages 2-1, 2-2…"""
    first_part = min(starts.values()) if starts else len(writer.pages)
    if first_part:
        writer.set_page_label(0, first_part - 1, style=PageLabelStyle.LOWERCASE_ROMAN)
    for number, part in enumerate(parts, start=1):
        first = starts[part.inservice_id]
        writer.set_page_label(
            first, first + part.pages - 1, style=PageLabelStyle.DECIMAL, prefix=f"{number}-"
        )


def _link_contents(writer: PdfWriter, front: Layout, starts: dict[str, int]) -> None:
    """Make each contents line a link to the part it names."""
    anchors = front.anchor_rects()
    for key, start in starts.items():
        anchor = f"toc-{key}"
        if anchor not in anchors:
            continue
        page_index, (x1, y1, x2, y2) = anchors[anchor]
        height = float(writer.pages[page_index].mediabox.height)
        rect = (x1 * _PX_TO_PT, height - y2 * _PX_TO_PT, x2 * _PX_TO_PT, height - y1 * _PX_TO_PT)
        writer.add_annotation(page_index, Link(rect=rect, target_page_index=start, fit=Fit.fit()))


def _front(packet: Packet, links: LinkTable, theme: Theme, parts: list[Part]) -> Layout:
    view = document_view(packet, links, theme, mode="print", inservice_id=None)
    toc = [
        TocEntry(
            1,
            part.title,
            None,
            page=f"part {number} · {part.pages} pages",
            anchor_id=f"toc-{part.inservice_id}",
        )
        for number, part in enumerate(parts, start=1)
    ]
    view = replace(view, toc=tuple(toc), page_css=Markup(view.page_css))
    html = render_document(view, theme, "front.html.j2")
    return layout_html(
        html,
        base=packet.folder,
        roots=(packet.folder, *theme.roots),
        what="packet.pdf (front matter)",
        stylesheets=[theme.print_css],
    )
