"""The facilitator's kit: ``<id>-facilitator.pdf``, what the person running a
session takes to it and brings back from it.

A participant's binder holds what each participant needs (the materials, the
evaluation, the self-study credit log). What a session needs once is here
instead: a cover that says when, where, who to ask, what is inside and what to
do before and after; the agenda as a run sheet; the sign-in roster; the
attendance and hours sheet the records are typed from; one evaluation form to
photocopy; and the certificates, when the attendees are known.

The kit is laid out once by WeasyPrint, in the in-service's paper and theme,
with the binder's own form templates, then stamped as a binder is (running
header, "page X of Y", QR codes). It is printed on one side whatever the
packet's ``duplex``: its forms are masters for the photocopier.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal

from markupsafe import Markup
from pypdf import PdfReader, PdfWriter

from packetgen.binder.placement import append_ops
from packetgen.content.links import LinkTable
from packetgen.errors import LimitError
from packetgen.kit._kit_pages import (
    AttendanceRow,
    KitEntry,
    RunRow,
    after_session,
    attendance_rows,
    before_session,
    entries,
    kit_page_css,
    kit_title,
    run_sheet_rows,
    schedule,
    session_minutes,
)
from packetgen.kit._kit_stamps import place_qr_codes, stamp_pages
from packetgen.kit.certificates import (
    MAX_CERTIFICATES,
    CertificatesView,
    attendees_for,
    certificates_pdf,
    certificates_view,
)
from packetgen.kit.signature import signature_url
from packetgen.pdf.layout import layout_html
from packetgen.pdf.metadata import finish
from packetgen.render.document import document_view
from packetgen.render.html import render_document
from packetgen.render.themes import Theme
from packetgen.render.views import DocumentView
from packetgen.render.wording import DELIVERY_LABELS
from packetgen.spec.attendees import Attendee
from packetgen.spec.models import Packet
from packetgen.text.i18n import fill

__all__ = [
    "AttendanceRow",
    "FacilitatorKit",
    "FacilitatorView",
    "KitEntry",
    "RunRow",
    "facilitator_kit",
    "facilitator_view",
    "lay_out_kit",
]


@dataclass(frozen=True)
class FacilitatorView(DocumentView):
    """Everything the facilitator's kit shows: the in-service's document view
    (its facts, contact and forms) and the kit's own pages."""

    facts: tuple[tuple[str, str], ...] = ()
    heading: str = ""
    """``in-service title · date · presenter · hours``, under every page's title."""
    entries: tuple[KitEntry, ...] = ()
    before: tuple[str, ...] = ()
    """What to do before the session, as the kit's contents call for it."""
    after: tuple[str, ...] = ()
    run_sheet: tuple[RunRow, ...] = ()
    run_end: str = ""
    """When the session ends, as the run sheet's last line prints it."""
    run_total: str = ""
    attendance: tuple[AttendanceRow, ...] = ()
    schedule: str = ""
    """The session's time and length and the credit it earns, above the attendance rows."""
    certificates: CertificatesView | None = None

    @property
    def run_times(self) -> bool:
        """Whether any run sheet line has a time (otherwise the column is left out)."""
        return any(row.time for row in self.run_sheet)

    @property
    def run_lengths(self) -> bool:
        """Whether any run sheet line has a length (otherwise the column is left out)."""
        return any(row.minutes for row in self.run_sheet)


@dataclass(frozen=True)
class FacilitatorKit:
    """A finished kit."""

    data: bytes
    pages: int


def facilitator_view(
    packet: Packet,
    links: LinkTable,
    theme: Theme,
    inservice_id: str,
    *,
    people: Sequence[Attendee] | None = None,
    signature: str | None = None,
) -> FacilitatorView:
    """The kit of one in-service. ``packet`` is the in-service's own view
    (``packet.for_inservice``); ``people`` the attendees when known, who get
    their names on the attendance sheet and, with ``certificate:``, certificates
    (``signature`` is the signer's image as a ``data:`` URL)."""
    inservice = packet.inservice(inservice_id)
    base = document_view(
        packet, links, theme, mode="print", inservice_id=inservice_id, facilitator=True
    )
    section = base.inservice
    assert section is not None
    t = base.strings
    certificates = None
    if inservice.certificate is not None and people:
        certificates = certificates_view(packet, inservice, people, signature=signature)
    run_sheet, run_end = run_sheet_rows(inservice, section, t)
    length = session_minutes(inservice)
    # The facts' labels are printed, so in the document's language.
    credit_label = t.gettext("Credit")
    credit = next((value for label, value in section.facts if label == credit_label), None)
    delivery = t.gettext(DELIVERY_LABELS[inservice.delivery])
    facts = tuple(
        (label, f"{value}, {delivery}" if label == credit_label else value)
        for label, value in section.facts
    )
    values = {f.name: getattr(base, f.name) for f in fields(base)}
    values.update(
        doc_title=f"{kit_title(t, inservice.title)} — {packet.title}",
        page_css=Markup(f"{base.page_css}\n{kit_page_css(packet, certificates, t)}"),
        toc=(),
    )
    return FacilitatorView(
        **values,
        facts=facts,
        heading=" · ".join([inservice.title, *(value for _label, value in section.facts)]),
        entries=entries(inservice, section, run_sheet, certificates, t),
        before=before_session(section, t),
        after=after_session(inservice, section, certificates, t),
        run_sheet=run_sheet,
        run_end=run_end,
        run_total=fill(t.gettext("{minutes} minutes"), minutes=length) if length else "",
        attendance=attendance_rows(inservice, people),
        schedule=schedule(inservice, t, length, credit, delivery),
        certificates=certificates,
    )


def facilitator_kit(
    packet: Packet,
    links: LinkTable,
    theme: Theme,
    inservice_id: str,
    *,
    people: Sequence[Attendee] | None = None,
    signature: str | None = None,
) -> FacilitatorKit:
    """Lay out the kit once, then stamp its header, footer and QR codes."""
    inservice = packet.inservice(inservice_id)
    view = facilitator_view(packet, links, theme, inservice_id, people=people, signature=signature)
    html = render_document(view, theme, "facilitator.html.j2")
    what = f"{inservice_id}-facilitator.pdf"
    layout = layout_html(
        html,
        base=packet.folder,
        roots=(packet.folder, *theme.roots),
        what=what,
        stylesheets=[theme.print_css],
    )
    seed = hashlib.sha256(html.encode("utf-8")).hexdigest().encode("ascii")[:32]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(layout.write(identifier=seed))))
    stamps = stamp_pages(writer, layout, packet, theme, inservice.title, view.strings)
    place_qr_codes(stamps, writer, layout, view)
    for index, ops in sorted(stamps.items()):
        append_ops(writer, writer.pages[index], ops, artifact=True)
    finish(
        writer,
        packet,
        title=kit_title(view.strings, inservice.title),
        subject=packet.title,
        first_page=1,
        seed=seed,
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return FacilitatorKit(buffer.getvalue(), len(writer.pages))


def lay_out_kit(
    kind: Literal["facilitator", "certificates"],
    packet: Packet,
    links: LinkTable,
    theme: Theme,
    inservice_id: str,
) -> tuple[bytes, int, tuple[str, ...]]:
    """The build's facilitator's kit or certificates of one in-service, from the
    spec's attendees: (PDF, pages, warnings). ``packet`` is the in-service's view."""
    index = packet.inservice_index(inservice_id)
    inservice = packet.inservices[index]
    people: list[Attendee] | None = None
    warnings: list[str] = []
    if inservice.attendees:
        people, warnings = attendees_for(packet, inservice_id)
        if isinstance(inservice.attendees, list):
            # A list in the spec: its place there, as a CSV's warning gives the file's lines.
            where = packet.where("inservices", index, "attendees")
            warnings = [f"{where}: inservices[{index}].{w}" for w in warnings]
    certified = people if inservice.certificate is not None else None
    if certified and len(certified) > MAX_CERTIFICATES:
        where = packet.where("inservices", index, "attendees")
        raise LimitError(
            f"{where}: inservices[{index}].attendees: {len(certified):,} people, more"
            f" certificates than the {MAX_CERTIFICATES:,} a build makes for one in-service;"
            " take `attendees:` out of the spec and make the certificates in parts with"
            f" `packetgen certificates --only {inservice_id} --attendees PART.csv`"
        )
    signature = signature_url(packet, inservice) if certified else None
    if kind == "certificates":
        assert certified
        data = certificates_pdf(packet, inservice_id, theme, certified, signature=signature)
        return data, len(certified), tuple(warnings)
    kit = facilitator_kit(packet, links, theme, inservice_id, people=people, signature=signature)
    # The same list's warnings come with the certificates; said once is enough.
    return kit.data, kit.pages, () if certified else tuple(warnings)
