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

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal

from markupsafe import Markup
from pypdf import PdfReader, PdfWriter

from packetgen.binder._placement import Rect, append_ops
from packetgen.binder._stamps import (
    Atlas,
    StampText,
    composed_ops,
    number_texts,
    page_of_pages,
    qr_ops,
)
from packetgen.binder.bind import PAPER_PT, finish, stamp_frame
from packetgen.content.links import LinkTable
from packetgen.content.qr import make_qr
from packetgen.errors import LimitError
from packetgen.kit.certificates import (
    MAX_CERTIFICATES,
    CertificatesView,
    attendees_for,
    certificate_page_css,
    certificates_pdf,
    certificates_view,
    signature_url,
)
from packetgen.pdf.layout import Layout, layout_html
from packetgen.render.html import (
    DELIVERY_LABELS,
    DocumentView,
    InServiceView,
    document_view,
    format_time,
    render_document,
)
from packetgen.render.themes import Theme
from packetgen.spec.attendees import Attendee
from packetgen.spec.models import InService, Packet, session_times
from packetgen.text.i18n import Strings, fill

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

_PX_TO_PT = 0.75
_BLANK_ROWS = 4
"""Empty attendance rows under a known list: for the people who come unannounced."""
_ROWS_WITHOUT_LIST = 14
"""Attendance rows when nobody is known yet and the roster gives no number: a
page's worth, with the sign-off under them."""
_UNSTAMPED = ("certificate",)
"""Pages that carry no running header or footer: a certificate is handed out alone."""


@dataclass(frozen=True)
class RunRow:
    """One line of the run sheet."""

    time: str
    minutes: str
    """How long it runs, as printed ("10 min"); empty when the agenda cannot say."""
    title: str
    presenter: str | None


@dataclass(frozen=True)
class AttendanceRow:
    """One person on the attendance sheet (an empty name: a row to write in)."""

    number: int
    name: str


@dataclass(frozen=True)
class KitEntry:
    """A line of the cover's "In this kit"."""

    title: str
    anchor: str
    note: str


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
    inservice = next(s for s in packet.inservices if s.id == inservice_id)
    base = document_view(
        packet, links, theme, mode="print", inservice_id=inservice_id, facilitator=True
    )
    section = base.inservice
    assert section is not None
    t = base.strings
    certificates = None
    if inservice.certificate is not None and people:
        certificates = certificates_view(packet, inservice, people, signature=signature)
    run_sheet, run_end = _run_sheet(inservice, section, t)
    length = _session_minutes(inservice)
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
        doc_title=f"{_kit_title(t, inservice.title)} — {packet.title}",
        page_css=Markup(f"{base.page_css}\n{_page_css(packet, certificates, t)}"),
        toc=(),
    )
    return FacilitatorView(
        **values,
        facts=facts,
        heading=" · ".join([inservice.title, *(value for _label, value in section.facts)]),
        entries=_entries(inservice, section, run_sheet, certificates, t),
        before=_before(section, t),
        after=_after(inservice, section, certificates, t),
        run_sheet=run_sheet,
        run_end=run_end,
        run_total=fill(t.gettext("{minutes} minutes"), minutes=length) if length else "",
        attendance=_attendance(inservice, people),
        schedule=_schedule(inservice, t, length, credit, delivery),
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
    inservice = next(s for s in packet.inservices if s.id == inservice_id)
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
    stamps = _stamps(writer, layout, packet, theme, inservice.title, view.strings)
    _qr_codes(stamps, writer, layout, view)
    for index, ops in sorted(stamps.items()):
        append_ops(writer, writer.pages[index], ops, artifact=True)
    finish(
        writer,
        packet,
        title=_kit_title(view.strings, inservice.title),
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
    index, inservice = next((i, s) for i, s in enumerate(packet.inservices) if s.id == inservice_id)
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


# ---------------------------------------------------------------- the kit's pages


def _kit_title(t: Strings, title: str) -> str:
    return fill(t.gettext("Facilitator's kit: {title}"), title=title)


def _page_css(packet: Packet, certificates: CertificatesView | None, t: Strings) -> str:
    rules = [certificate_page_css(packet.paper)]
    if certificates is not None:
        # One bookmark for all the certificates, not one per person.
        first = certificates.people[0].anchor
        label = _css_string(t.gettext("Certificates"))
        rules.append(f"#{first} {{ bookmark-level: 1; bookmark-label: {label} }}")
    return "\n".join(rules)


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string: a packet's ``strings:`` reach this
    stylesheet, and must neither end the string nor the ``<style>`` element."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,;:'!?()-" or ord(ch) > 127 else f"\\{ord(ch):x} "
        for ch in text
    )
    return f'"{escaped}"'


def _run_sheet(
    inservice: InService, section: InServiceView, t: Strings
) -> tuple[tuple[RunRow, ...], str]:
    """The agenda with each part's length, and the session's end when the spec says it."""
    starts = [session_times(entry.time) if entry.time else None for entry in inservice.agenda]
    session_end = session_times(inservice.time)[1] if inservice.time else None
    rows = []
    for k, (row, times) in enumerate(zip(section.agenda, starts, strict=True)):
        minutes = ""
        if times is not None:
            start, end = times
            following = next((t[0] for t in starts[k + 1 :] if t is not None), None)
            until = end or following or session_end
            length = _minutes_between(start, until)
            minutes = fill(t.gettext("{minutes} min"), minutes=length) if length else ""
        rows.append(RunRow(row.time, minutes, row.title, row.presenter))
    last = format_time(session_end.strftime("%H:%M"), t.language) if session_end and rows else None
    return tuple(rows), last or ""


def _minutes_between(start: dt.time, end: dt.time | None) -> int | None:
    if end is None:
        return None
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return minutes if minutes > 0 else None


def _session_minutes(inservice: InService) -> int | None:
    if inservice.time is None:
        return None
    start, end = session_times(inservice.time)
    return _minutes_between(start, end)


def _schedule(
    inservice: InService, t: Strings, length: int | None, credit: str | None, delivery: str
) -> str:
    parts = []
    when = format_time(inservice.time, t.language)
    if when and length:
        parts.append(
            fill(t.gettext("Scheduled {time} ({minutes} minutes)"), time=when, minutes=length)
        )
    elif when:
        parts.append(fill(t.gettext("Scheduled {time}"), time=when))
    if credit:
        parts.append(
            fill(
                t.gettext("the whole session earns {credit} of in-service credit, {delivery}"),
                credit=credit,
                delivery=delivery,
            )
        )
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def _attendance(
    inservice: InService, people: Sequence[Attendee] | None
) -> tuple[AttendanceRow, ...]:
    if people:
        names = [p.name for p in people] + [""] * _BLANK_ROWS
    else:
        rows = inservice.signin.rows if inservice.signin is not None else _ROWS_WITHOUT_LIST
        names = [""] * rows
    return tuple(AttendanceRow(n, name) for n, name in enumerate(names, start=1))


def _entries(
    inservice: InService,
    section: InServiceView,
    run_sheet: Sequence[RunRow],
    certificates: CertificatesView | None,
    t: Strings,
) -> tuple[KitEntry, ...]:
    kit = section.kit
    entries = []
    if run_sheet:
        entries.append(
            KitEntry(
                t.gettext("Run sheet"),
                f"{inservice.id}-run-sheet",
                t.gettext("the agenda, with room for notes"),
            )
        )
    if kit is not None and kit.has_signin:
        rows = len(kit.signin_rows)
        entries.append(
            KitEntry(
                t.gettext("Sign-in sheet"),
                f"{inservice.id}-signin",
                fill(t.gettext("{rows} rows, for the door"), rows=rows),
            )
        )
    entries.append(
        KitEntry(
            t.gettext("Attendance and hours"),
            f"{inservice.id}-attendance",
            t.gettext("times and hours of each person, for the records"),
        )
    )
    if kit is not None and kit.evaluation is not None:
        entries.append(
            KitEntry(
                t.gettext("Evaluation"),
                f"{inservice.id}-evaluation",
                t.gettext("one to photocopy as needed"),
            )
        )
    if certificates is not None:
        count = len(certificates.people)
        note = t.ngettext(
            "{count} certificate, one per attendee", "{count} certificates, one per attendee", count
        )
        entries.append(
            KitEntry(
                t.gettext("Certificates"), certificates.people[0].anchor, fill(note, count=count)
            )
        )
    return tuple(entries)


def _before(section: InServiceView, t: Strings) -> tuple[str, ...]:
    kit = section.kit
    lines = []
    if kit is not None and kit.has_signin:
        lines.append(t.gettext("Put the sign-in sheet by the door, with a pen."))
    if kit is not None and kit.evaluation is not None:
        lines.append(t.gettext("Copy the evaluation for anyone without a binder."))
    lines.append(t.gettext("Keep the attendance sheet at hand to note arrivals."))
    return tuple(lines)


def _after(
    inservice: InService,
    section: InServiceView,
    certificates: CertificatesView | None,
    t: Strings,
) -> tuple[str, ...]:
    kit = section.kit
    lines = [t.gettext("Note when each person left, and the hours each earned.")]
    handed = [
        what
        for what, present in (
            (t.gettext("the sign-in sheet"), kit is not None and kit.has_signin),
            (t.gettext("the attendance sheet"), True),
            (t.gettext("the evaluations"), kit is not None and kit.evaluation is not None),
        )
        if present
    ]
    to = (
        inservice.contact.name
        if inservice.contact is not None
        else t.gettext("the training coordinator")
    )
    listed = (
        handed[0]
        if len(handed) == 1
        else fill(t.gettext("{items} and {last}"), items=", ".join(handed[:-1]), last=handed[-1])
    )
    lines.append(fill(t.gettext("Give {items} to {person}."), items=listed, person=to))
    if certificates is not None:
        signed = certificates.signature is not None
        lines.append(
            t.gettext("Hand out the certificates.")
            if signed
            else t.gettext("Sign the certificates and hand them out.")
        )
    return tuple(lines)


# ---------------------------------------------------------------- stamps

_Stamps = dict[int, list[str]]


def _stamps(
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


def _qr_codes(stamps: _Stamps, writer: PdfWriter, layout: Layout, view: DocumentView) -> None:
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
