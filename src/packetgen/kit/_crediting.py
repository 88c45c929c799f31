"""Credit for attendance rows matched to the packet: the rules that
:mod:`packetgen.kit.records` states, the yearly caps, the totals and shortfalls.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packetgen.content.credit import ItemCredit, item_credits, round_hours
from packetgen.errors import OptionError
from packetgen.kit._attendance_match import Matcher
from packetgen.kit._attendance_rows import AttendanceRow, Notes
from packetgen.kit.hours_report import (
    CATEGORIES,
    SESSION,
    Activity,
    HoursReport,
    PersonTotals,
    Shortfall,
)
from packetgen.spec.models import InService, Packet, Records, session_times

__all__ = ["HoursBuilder"]


@dataclass
class _Pending:
    """An activity before the yearly caps."""

    key: str
    row: AttendanceRow
    order: int
    inservice: InService
    activity: str
    kind: str
    category: str
    date: _dt.date
    minutes: float | None
    hours: float
    note: str
    yearly: float | None = None
    """The kind's ``cap_per_year``, when it has one."""


def _plural(kind: str) -> str:
    return f"{kind}s"


class HoursBuilder(Matcher):
    """Credit for matched rows: the rules of this module's docstring."""

    def __init__(self, packet: Packet, records: Records, warnings: Notes, problems: Notes):
        super().__init__(packet, warnings, problems)
        self.records = records
        self.step = packet.credit.round_to if packet.credit is not None else 0.25
        self.credits: dict[str, list[ItemCredit | None]] = {}
        self.seen_sessions: dict[tuple[str, str], int] = {}
        self.seen_items: dict[tuple[str, str, int], int] = {}

    def run(self, rows: list[AttendanceRow], year: int | None, attendance: Path) -> HoursReport:
        resolved = self.match(rows)
        kept = [r for r in resolved if year is None or r[3].year == year]
        if year is not None and not kept:
            raise OptionError(
                f"{attendance}: no attendance dated in {year}: its {len(resolved)} row(s) are"
                " all from other years; leave out --year, or give the year of the sessions"
            )
        pending: list[_Pending] = []
        for row, inservice, listed, day in kept:
            self.roster_check(row, inservice)
            pending.extend(self.credit_row(row, inservice, listed, day))
        activities = self.capped(pending)
        totals, shortfalls = self.totals(activities)
        sources = [attendance, *self.roster_files]
        if self.packet.source is not None:
            sources.insert(0, self.packet.source)
        return HoursReport(
            activities=activities,
            totals=totals,
            shortfalls=shortfalls,
            warnings=self.warnings.listed("and {n} more warnings, not listed here"),
            year=year,
            left_out=len(resolved) - len(kept),
            required=self.required(),
            records=self.records,
            sources=tuple(sources),
        )

    # ------------------------------------------------------------------ credit

    def item_credit(self, inservice: InService) -> list[ItemCredit | None]:
        if inservice.id not in self.credits:
            self.credits[inservice.id] = item_credits(self.packet, inservice)
        return self.credits[inservice.id]

    def credit_row(
        self, row: AttendanceRow, inservice: InService, listed: list[int], day: _dt.date
    ) -> list[_Pending]:
        key = self.person(row)
        name = self.people[key][0]
        if not row.present:
            if listed:
                self.warn(
                    row,
                    "items",
                    f"the row says {name} was not present, so the items listed earn nothing;"
                    " if they were completed, write yes in the present column",
                )
            return [self.pending(key, row, inservice, day, hours=0.0, note="absent")]
        credits = self.item_credit(inservice)
        self_study = inservice.delivery == "self_study"
        if self_study and inservice.hours is None and not listed:
            # Completing a self-study in-service is completing its items: each
            # then meets its kind's yearly cap as if it had been listed.
            listed = [j for j, c in enumerate(credits) if c is not None]
        found: list[_Pending] = []
        if not (self_study and listed):
            session = self.session(key, row, inservice, listed, day)
            if session is not None:
                found.append(session)
        elif row.minutes is not None:
            self.warn(
                row,
                "minutes",
                "minutes are not used for self-study items: each item earns its own credit",
            )
        for j in listed:
            item = self.item(key, row, inservice, j, day)
            if item is not None:
                found.append(item)
        return found

    def pending(
        self,
        key: str,
        row: AttendanceRow,
        inservice: InService,
        day: _dt.date,
        *,
        hours: float,
        note: str,
        minutes: float | None = None,
    ) -> _Pending:
        return _Pending(
            key=key,
            row=row,
            order=0,
            inservice=inservice,
            activity=inservice.title,
            kind=SESSION,
            category=inservice.delivery,
            date=day,
            minutes=minutes,
            hours=hours,
            note=note,
        )

    def session(
        self,
        key: str,
        row: AttendanceRow,
        inservice: InService,
        listed: list[int],
        day: _dt.date,
    ) -> _Pending | None:
        before = self.seen_sessions.setdefault((key, inservice.id), row.line)
        if before != row.line:
            self.warn(
                row,
                "inservice",
                f"{self.people[key][0]} already attended {inservice.id!r} (line {before}); this"
                " row is not counted again",
            )
            return None
        full = self.session_hours(inservice, listed)
        span = _span_minutes(inservice)
        if full is None:
            if self.once(("no hours", inservice.id)):
                index = self.index[inservice.id]
                spec, line, column = self.packet.locate("inservices", index)
                self.warnings.add(
                    line,
                    column,
                    f"inservices[{index}]",
                    f"the in-service {inservice.id!r} has no hours and no credit rule applies to"
                    " it, so attending it earns 0 h; give it hours: in the spec",
                    file=spec,
                )
            minutes = row.minutes if row.minutes is not None else span
            return self.pending(
                key,
                row,
                inservice,
                day,
                hours=0.0,
                note="the in-service has no hours",
                minutes=minutes,
            )
        # Listed items are credited as self-study: the session's computed hours leave them out.
        less = (
            "computed from its items not listed as self-study"
            if listed and inservice.hours is None
            else ""
        )
        if row.minutes is None:
            return self.pending(key, row, inservice, day, hours=full, note=less, minutes=span)
        attended = row.minutes
        if span:
            if attended > span:
                self.warn(
                    row,
                    "minutes",
                    f"{attended:g} minutes is more than the session lasts ({span} min,"
                    f" {inservice.time}); counted as the whole session",
                )
            used = min(attended, span)
            hours = round_hours(full * used / span, self.step)
            note = f"{used:g} of {span} min attended"
        else:
            hours = round_hours(attended / 60, self.step)
            note = f"{attended:g} min attended"
            if hours > full:
                hours = full
                note += f", at most the in-service's {full:g} h"
        note = f"{less}; {note}" if less else note
        return self.pending(key, row, inservice, day, hours=hours, note=note, minutes=attended)

    def session_hours(self, inservice: InService, listed: list[int]) -> float | None:
        if inservice.hours is not None:
            return inservice.hours
        credits = self.item_credit(inservice)
        if all(c is None for c in credits):
            return None  # no policy, or no rule for any of its items
        return round(
            sum(c.hours for j, c in enumerate(credits) if c is not None and j not in listed), 4
        )

    def item(
        self, key: str, row: AttendanceRow, inservice: InService, j: int, day: _dt.date
    ) -> _Pending | None:
        item = inservice.items[j]
        before = self.seen_items.setdefault((key, inservice.id, j), row.line)
        if before != row.line:
            self.warn(
                row,
                "items",
                f"{self.people[key][0]} already completed {item.title!r} (line {before}); it is"
                " not counted again",
            )
            return None
        credit = self.item_credit(inservice)[j]
        policy = self.packet.credit
        yearly: float | None = None
        if credit is None:
            reason = (
                "the spec has no credit: policy"
                if policy is None
                else f"the credit policy has no rule for {_plural(item.kind)}"
            )
            if self.once(("no rule", inservice.id, j)):
                self.warn(
                    row,
                    "items",
                    f"{item.title!r} earns no credit: {reason}; it is listed with 0 h",
                )
            hours, note = 0.0, f"no credit: {reason}"
        else:
            hours, note = credit.hours, credit.how
            rule = getattr(policy, item.kind, None)
            yearly = getattr(rule, "cap_per_year", None)
        return _Pending(
            key=key,
            row=row,
            order=j + 1,
            inservice=inservice,
            activity=item.title,
            kind=item.kind,
            category="self_study",
            date=day,
            minutes=None if item.minutes is None else float(item.minutes),
            hours=hours,
            note=note,
            yearly=yearly,
        )

    def capped(self, pending: list[_Pending]) -> list[Activity]:
        """Activities with the yearly caps applied in date order (then file order)."""
        earned: dict[tuple[str, int, str], float] = {}
        activities: list[tuple[tuple[Any, ...], Activity]] = []
        for p in sorted(pending, key=lambda p: (p.key, p.date, p.row.line, p.order)):
            hours, note = p.hours, p.note
            if p.yearly is not None:
                slot = (p.key, p.date.year, p.kind)
                so_far = earned.get(slot, 0.0)
                allowed = max(0.0, round(p.yearly - so_far, 4))
                if hours > allowed:
                    cap = (
                        f"{_plural(p.kind)} earn at most {p.yearly:g} h a year:"
                        f" {allowed:g} h of {hours:g} h counted"
                    )
                    note = f"{note}; {cap}" if note else cap
                    hours = allowed
                earned[slot] = round(so_far + hours, 4)
            name = self.people[p.key][0]
            activity = Activity(
                name=name,
                inservice=p.inservice.id,
                activity=p.activity,
                kind=p.kind,
                category=p.category,
                date=p.date,
                minutes=p.minutes,
                hours=hours,
                note=note,
                line=p.row.line,
            )
            order = (name.casefold(), name, p.date, p.row.line, p.order)
            activities.append((order, activity))
        return [a for _, a in sorted(activities, key=lambda pair: pair[0])]

    def required(self) -> dict[str, float]:
        require = self.packet.credit.require if self.packet.credit is not None else None
        found = {c: getattr(require, c, None) for c in CATEGORIES}
        return {c: h for c, h in found.items() if h is not None}

    def totals(self, activities: list[Activity]) -> tuple[list[PersonTotals], list[Shortfall]]:
        sums: dict[tuple[str, int], dict[str, float]] = {}
        for a in activities:
            slot = sums.setdefault((a.name, a.date.year), dict.fromkeys(CATEGORIES, 0.0))
            slot[a.category] = round(slot[a.category] + a.hours, 4)
        required = self.required()
        years = {year for _, year in sums}
        totals: list[PersonTotals] = []
        shortfalls: list[Shortfall] = []
        for (name, year), hours in sorted(sums.items(), key=lambda s: (s[0][0].casefold(), s[0])):
            short: dict[str, float] = {}
            for category, needed in required.items():
                if hours[category] < needed:
                    gap = Shortfall(name, year, category, hours[category], needed, len(years) > 1)
                    short[category] = gap.short
                    shortfalls.append(gap)
            totals.append(PersonTotals(name, year, hours, short))
        return totals, shortfalls


def _span_minutes(inservice: InService) -> int | None:
    """The session's length in minutes when its ``time`` is a span."""
    if inservice.time is None:
        return None
    start, end = session_times(inservice.time)
    if end is None:
        return None
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
