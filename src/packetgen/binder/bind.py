"""bind: one document per in-service — packet pages, then every handout.

WeasyPrint lays out a *placeholder* page for every handout output page, so the
table of contents (``target-counter``), duplex blank pages, the running header
and footer and the page count all come from one layout. pypdf then draws each
handout page into its slot on its placeholder (``merge``), stamps every page
(``furniture``), writes the outline and the metadata.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace

from markupsafe import Markup
from pypdf import PdfReader, PdfWriter

from packetgen.binder.furniture import (
    StampOps,
    headers_and_footers,
    lay_out_atlas,
    qr_codes,
    slide_furniture,
)
from packetgen.binder.markers import handout_slots, marker_css
from packetgen.binder.merge import BinderPage, merge_handouts
from packetgen.binder.outline import write_outline
from packetgen.binder.placement import append_ops, strip_active_content
from packetgen.binder.plan import PAPER_PT, Binder
from packetgen.content.links import LinkTable
from packetgen.pdf.layout import layout_html
from packetgen.pdf.metadata import finish
from packetgen.render.document import document_view
from packetgen.render.html import render_document
from packetgen.render.themes import Theme
from packetgen.render.wording import format_date
from packetgen.spec.models import Packet
from packetgen.text.i18n import strings_for

__all__ = ["Bound", "bind_inservice"]


@dataclass(frozen=True)
class Bound:
    """A finished binder."""

    data: bytes
    pages: int
    warnings: tuple[str, ...]


def bind_inservice(packet: Packet, links: LinkTable, theme: Theme, binder: Binder) -> Bound:
    """Lay the in-service out once, merge its handouts in, then stamp every page."""
    index = packet.inservice_index(binder.inservice_id)
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
    pages, removed = merge_handouts(writer, layout, plans, packet, inservice.title, inservice.id)
    if packet.duplex and len(pages) % 2:
        # An even number of pages: printed on both sides, the binder ends on a
        # left-hand page, and in packet.pdf the next in-service starts on a right one.
        width, height = PAPER_PT[packet.paper]
        writer.add_blank_page(width, height)
        pages.append(BinderPage("blank", inservice.title))
    strings = strings_for(packet.language, packet.strings)
    atlas = lay_out_atlas(packet, theme, inservice.title, binder, layout, strings)
    stamps: StampOps = {}
    slide_furniture(stamps, writer, atlas, pages, packet)
    qr_codes(stamps, writer, layout, view.qr_slots, pages)
    headers_and_footers(stamps, writer, atlas, packet, layout, pages, strings)
    for index, ops in stamps.items():
        append_ops(writer, writer.pages[index], ops, artifact=True)
    write_outline(writer, layout, binder, pages)
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


def _to_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
