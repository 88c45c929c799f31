"""The facilitator's kit, page by page: the run sheet, the schedule, the
attendance rows, what to do before and after, the contents, and the kit's page CSS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from packetgen.kit.certificates import (
    CertificatesView,
    certificate_page_css,
)
from packetgen.render.views import InServiceView
from packetgen.render.wording import format_time
from packetgen.spec.attendees import Attendee
from packetgen.spec.models import InService, Packet, session_times
from packetgen.text.i18n import Strings, fill

__all__ = [
    "AttendanceRow",
    "KitEntry",
    "RunRow",
    "after_session",
    "attendance_rows",
    "before_session",
    "entries",
    "kit_page_css",
    "kit_title",
    "run_sheet_rows",
    "schedule",
    "session_minutes",
]

_BLANK_ROWS = 4
"""Empty attendance rows under a known list: for the people who come unannounced."""
_ROWS_WITHOUT_LIST = 14
"""Attendance rows when nobody is known yet and the roster gives no number: a
page's worth, with the sign-off under them."""


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


def kit_title(t: Strings, title: str) -> str:
    return fill(t.gettext("Facilitator's kit: {title}"), title=title)


def kit_page_css(packet: Packet, certificates: CertificatesView | None, t: Strings) -> str:
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


def run_sheet_rows(
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


def session_minutes(inservice: InService) -> int | None:
    if inservice.time is None:
        return None
    start, end = session_times(inservice.time)
    return _minutes_between(start, end)


def schedule(
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


def attendance_rows(
    inservice: InService, people: Sequence[Attendee] | None
) -> tuple[AttendanceRow, ...]:
    if people:
        names = [p.name for p in people] + [""] * _BLANK_ROWS
    else:
        rows = inservice.signin.rows if inservice.signin is not None else _ROWS_WITHOUT_LIST
        names = [""] * rows
    return tuple(AttendanceRow(n, name) for n, name in enumerate(names, start=1))


def entries(
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


def before_session(section: InServiceView, t: Strings) -> tuple[str, ...]:
    kit = section.kit
    lines = []
    if kit is not None and kit.has_signin:
        lines.append(t.gettext("Put the sign-in sheet by the door, with a pen."))
    if kit is not None and kit.evaluation is not None:
        lines.append(t.gettext("Copy the evaluation for anyone without a binder."))
    lines.append(t.gettext("Keep the attendance sheet at hand to note arrivals."))
    return tuple(lines)


def after_session(
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
