"""book: ``packet.pdf``, every in-service in one volume.

Each in-service is rendered as its own document (one WeasyPrint layout for a
whole packet peaks near 2 MB per page) and the parts are joined with pypdf.
Page numbers still run through the whole book: every part's length is known
from its binder, the front matter and the links appendix are laid out once to
learn theirs, then each part is laid out with its first page number and the
book's total, and the contents links are added after joining.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

from markupsafe import Markup
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.generic import Fit

from ._structure import StructureMerger
from .binder import finish
from .links import LinkTable
from .pdf import Layout, layout_html
from .render import DocumentView, TocEntry, document_view, page_css, qr_views, render_document
from .spec import Packet
from .themes import Theme

__all__ = ["BookPlan", "join", "plan"]

_WIDEST = 9999
"""A stand-in page number at least as wide as any real one, for the measuring pass."""
_PX_TO_PT = 0.75


@dataclass(frozen=True)
class BookPlan:
    """Where every part of the book starts; with duplex, parts start on odd pages."""

    starts: dict[str, int]
    blank_before: dict[str, bool]
    appendix_start: int
    appendix_blank: bool
    total: int
    front_pages: int


def plan(packet: Packet, links: LinkTable, theme: Theme, part_lens: dict[str, int]) -> BookPlan:
    """Measure the front matter and the appendix and place every in-service.

    ``part_lens`` is each in-service's page count, as its binder came out: a
    part has the binder's pages, only numbered differently.
    """
    front_len = _front(packet, links, theme, None).page_count
    appendix_len = _appendix(packet, links, theme, 1, _WIDEST).page_count
    starts: dict[str, int] = {}
    blanks: dict[str, bool] = {}
    page = front_len + 1
    for inservice in packet.inservices:
        blanks[inservice.id] = packet.duplex and page % 2 == 0
        page += int(blanks[inservice.id])
        starts[inservice.id] = page
        page += part_lens[inservice.id]
    appendix_blank = packet.duplex and page % 2 == 0
    page += int(appendix_blank)
    return BookPlan(starts, blanks, page, appendix_blank, page + appendix_len - 1, front_len)


def join(
    packet: Packet,
    links: LinkTable,
    theme: Theme,
    plan: BookPlan,
    parts: dict[str, Path],
) -> tuple[bytes, int]:
    """Lay out the front matter and appendix with their final numbers and join the
    parts (each laid out with ``first_page`` and ``total`` from ``plan``)."""
    front = _front(packet, links, theme, plan)
    if front.page_count != plan.front_pages:  # pragma: no cover - numbers never widen it
        raise AssertionError("the contents changed length between passes")
    writer = PdfWriter()
    structure = StructureMerger(writer)
    front_pdf = front.write(identifier=b"front")
    _join(writer, structure, front_pdf, None)
    size = _size(writer)
    digests = [front_pdf]
    for inservice in packet.inservices:
        if plan.blank_before[inservice.id]:
            writer.add_blank_page(*size)
        data = parts[inservice.id].read_bytes()
        digests.append(data)
        _join(writer, structure, data, inservice.title)
    if plan.appendix_blank:
        writer.add_blank_page(*size)
    appendix = _appendix(packet, links, theme, plan.appendix_start, plan.total)
    _join(writer, structure, appendix.write(identifier=b"appendix"), "Links in this packet")
    structure.finish()
    _link_contents(writer, front, plan)
    seed = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d in digests)).hexdigest()
    finish(
        writer,
        packet,
        title=packet.title,
        subject=packet.subtitle or packet.title,
        first_page=1,
        seed=seed.encode("ascii")[:32],
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), len(writer.pages)


def _size(writer: PdfWriter) -> tuple[float, float]:
    box = writer.pages[-1].mediabox
    return float(box.width), float(box.height)


def _join(writer: PdfWriter, structure: StructureMerger, data: bytes, title: str | None) -> None:
    """Append a part with its tags; its bookmarks nest under one titled entry."""
    reader = PdfReader(io.BytesIO(data))
    first = len(writer.pages)
    if title is None:
        writer.append(reader, import_outline=True)
    else:
        writer.append(reader, outline_item=title, import_outline=True)
    structure.add(reader, first)


def _link_contents(writer: PdfWriter, front: Layout, plan: BookPlan) -> None:
    """Make each contents line a link to the page it names (parts are other documents)."""
    anchors = front.anchor_rects()
    targets = {f"toc-{key}": start for key, start in plan.starts.items()}
    targets["toc-packet-links"] = plan.appendix_start
    for anchor, start in targets.items():
        if anchor not in anchors:
            continue
        page_index, (x1, y1, x2, y2) = anchors[anchor]
        height = float(writer.pages[page_index].mediabox.height)
        rect = (x1 * _PX_TO_PT, height - y2 * _PX_TO_PT, x2 * _PX_TO_PT, height - y1 * _PX_TO_PT)
        writer.add_annotation(
            page_index, Link(rect=rect, target_page_index=start - 1, fit=Fit.fit())
        )


def _front(packet: Packet, links: LinkTable, theme: Theme, plan: BookPlan | None) -> Layout:
    view = document_view(packet, links, theme, mode="print", inservice_id=None)

    def number(key: str) -> int:
        if plan is None:
            return _WIDEST
        return plan.appendix_start if key == "packet-links" else plan.starts[key]

    toc = [
        TocEntry(1, s.title, None, page=number(s.id), anchor_id=f"toc-{s.id}")
        for s in view.inservices
    ]
    toc.append(
        TocEntry(
            1,
            "Links in this packet",
            None,
            page=number("packet-links"),
            anchor_id="toc-packet-links",
        )
    )
    total = plan.total if plan is not None else _WIDEST
    view = replace(view, toc=tuple(toc), page_css=_page_css(packet, 1, total))
    return _layout(packet, theme, view, "front.html.j2", "packet.pdf (front matter)")


def _appendix(
    packet: Packet, links: LinkTable, theme: Theme, first_page: int, total: int
) -> Layout:
    view = document_view(packet, links, theme, mode="print", inservice_id=None)
    qrs, titles = qr_views(packet, links, links.links, scope="book")
    view = replace(
        view, appendix=qrs, appendix_titles=titles, page_css=_page_css(packet, first_page, total)
    )
    return _layout(packet, theme, view, "appendix.html.j2", "packet.pdf (links appendix)")


def _page_css(packet: Packet, first_page: int, total: int) -> Markup:
    return Markup(page_css(packet, first_page=first_page, total_pages=total))


def _layout(packet: Packet, theme: Theme, view: DocumentView, template: str, what: str) -> Layout:
    html = render_document(view, theme, template)
    return layout_html(html, base=packet.folder, roots=(packet.folder, *theme.roots), what=what)
