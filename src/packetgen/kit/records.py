"""Hours records after the sessions: who earned which credit, for the program's training log.

:func:`hours_records` reads an attendance CSV (one row per person and
in-service) and gives one :class:`Activity` per credited activity, the totals
per person and year by kind of delivery, and who is short of the policy's
``require:``. :func:`write_hours` writes them as CSV (activities in one file,
totals in another: an import takes one table per file) or as one JSON file.

The rules, as the README's "After the session" states them:

* Attending an in-service earns its hours (the spec's ``hours`` win, else what
  the credit policy computes from its items), as credit of its ``delivery``.
* ``minutes`` attended scale that: by the session's length when its ``time``
  is a span, else minutes / 60, at most the in-service's hours.
* Each item listed in ``items`` earns its credit under the policy as
  self-study. No item counts twice: an in-service whose hours are computed
  from its items then earns the hours of the items not listed. A self-study
  in-service without ``hours`` is its items: a row that lists none completed
  them all.
* ``cap_per_year`` limits what one person earns from a kind of item in a
  calendar year, applied in date order; the row says it was capped.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packetgen.content.credit import ItemCredit, item_credits, round_hours
from packetgen.errors import PacketgenError, Problem
from packetgen.kit._attendance import (
    INPUT_COLUMNS,
    AttendanceError,
    AttendanceRow,
    Matcher,
    Notes,
    read_attendance,
)
from packetgen.spec.loader import load_packet
from packetgen.spec.models import RECORD_COLUMNS, InService, Packet, Records, session_times
from packetgen.support._atomic import atomic_path
from packetgen.support._csv import csv_cell

__all__ = [
    "CATEGORIES",
    "Activity",
    "AttendanceError",
    "HoursReport",
    "PersonTotals",
    "Shortfall",
    "hours_records",
    "write_hours",
]

CATEGORIES = ("in_person", "virtual", "self_study")
"""Kinds of delivery, as ``delivery:`` and ``require:`` name them."""
TOTAL_COLUMNS = ("year", *CATEGORIES, "total", "short")
"""The totals file's columns after the name."""
SESSION = "in-service"
"""The ``kind`` of an activity that is attending an in-service (items have their own kinds)."""

_LABELS = {
    "in_person": "in-person training",
    "virtual": "virtual training",
    "self_study": "self-study",
}


@dataclass(frozen=True)
class Activity:
    """One credited activity of one person: attending an in-service, or one item completed."""

    name: str
    inservice: str
    """The in-service's id."""
    activity: str
    """The in-service's title, or the item's."""
    kind: str
    """``in-service`` for attending it, else the item's kind (``article``, ``film``…)."""
    category: str
    """``in_person``, ``virtual`` or ``self_study``."""
    date: _dt.date
    minutes: float | None
    """Minutes attended (the session's length when attended whole), or the item's minutes."""
    hours: float
    """Credit after every cap, rounded as the policy says."""
    note: str
    """Why the hours are what they are: scaled, capped, absent."""
    line: int
    """The attendance file's line this comes from."""


@dataclass(frozen=True)
class Shortfall:
    """A person short of the hours of one kind that the policy requires in a year."""

    name: str
    year: int
    category: str
    earned: float
    required: float
    with_year: bool = False
    """Say the year (the report spans several)."""

    @property
    def short(self) -> float:
        return round(self.required - self.earned, 4)

    def __str__(self) -> str:
        who = f"{self.name} ({self.year})" if self.with_year else self.name
        return (
            f"{who}: {self.short:g} h of {_LABELS[self.category]} short of the"
            f" {self.required:g} h required"
        )


@dataclass(frozen=True)
class PersonTotals:
    """A person's hours in one year, by kind of delivery."""

    name: str
    year: int
    hours: dict[str, float]
    """Hours by category (every category present, 0 when none)."""
    short: dict[str, float]
    """Hours still needed by category, for the categories the policy requires and
    the person is short of."""

    @property
    def total(self) -> float:
        return round(sum(self.hours.values()), 4)


@dataclass
class HoursReport:
    """What :func:`hours_records` found; write it with :func:`write_hours`."""

    activities: list[Activity]
    totals: list[PersonTotals]
    shortfalls: list[Shortfall]
    warnings: list[Problem]
    year: int | None
    left_out: int
    """Rows left out because they are dated outside ``year``."""
    required: dict[str, float] = field(default_factory=dict)
    """Hours the policy's ``require:`` asks per category in a year."""
    records: Records = field(default_factory=Records)
    sources: tuple[Path, ...] = ()
    """The files read (spec, attendance, rosters): outputs may not replace them."""

    @property
    def people(self) -> int:
        return len({a.name for a in self.activities})

    def headers(self) -> list[str]:
        """The activity file's headers: ``records.columns`` names, then ``note``."""
        return [self.records.columns.get(k, k) for k in RECORD_COLUMNS] + ["note"]

    def to_csv(self) -> str:
        """The activities, one row each, as CSV."""
        rows = [
            [
                a.name,
                a.inservice,
                a.activity,
                a.kind,
                a.category,
                a.date.strftime(self.records.date_format),
                "" if a.minutes is None else f"{a.minutes:g}",
                f"{a.hours:g}",
                a.note,
            ]
            for a in self.activities
        ]
        return _csv_text([self.headers(), *rows])

    def totals_csv(self) -> str:
        """The totals, one row per person and year, as CSV."""
        header = [self.records.columns.get("name", "name"), *TOTAL_COLUMNS]
        rows = [
            [
                t.name,
                str(t.year),
                *(f"{t.hours[c]:g}" for c in CATEGORIES),
                f"{t.total:g}",
                "; ".join(f"{h:g} h {_LABELS[c]}" for c, h in t.short.items()),
            ]
            for t in self.totals
        ]
        return _csv_text([header, *rows])

    def to_dict(self) -> dict[str, Any]:
        """The same data for programs: key names, not ``records.columns`` headers; ISO dates."""
        return {
            "year": self.year,
            "left_out": self.left_out,
            "required": {c: _number(h) for c, h in self.required.items()},
            "activities": [
                {
                    "name": a.name,
                    "inservice": a.inservice,
                    "activity": a.activity,
                    "kind": a.kind,
                    "category": a.category,
                    "date": a.date.isoformat(),
                    "minutes": _number(a.minutes),
                    "hours": _number(a.hours),
                    "note": a.note,
                    "line": a.line,
                }
                for a in self.activities
            ],
            "totals": [
                {
                    "name": t.name,
                    "year": t.year,
                    **{c: _number(t.hours[c]) for c in CATEGORIES},
                    "total": _number(t.total),
                    "short": {c: _number(h) for c, h in t.short.items()},
                }
                for t in self.totals
            ],
            "shortfalls": [str(s) for s in self.shortfalls],
            "warnings": [
                {
                    "file": w.file,
                    "line": w.line,
                    "column": w.column,
                    "field": w.field,
                    "message": w.message,
                    "text": str(w),
                }
                for w in self.warnings
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    # CRLF, as Excel writes CSV and RFC 4180 asks.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[csv_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def hours_records(
    packet_or_path: Packet | str | os.PathLike[str],
    attendance: str | os.PathLike[str],
    *,
    year: int | None = None,
) -> HoursReport:
    """Each person's credited activities, totals and shortfalls from an attendance CSV.

    ``attendance`` has a row per person and in-service with the columns
    ``name`` and ``inservice`` (the in-service's id), and optionally
    ``present``, ``minutes``, ``items`` and ``date``. ``year`` keeps only the
    activities of that calendar year. Raises :class:`AttendanceError` listing
    every problem of the file, each at its line and column.
    """
    packet = packet_or_path if isinstance(packet_or_path, Packet) else load_packet(packet_or_path)
    records = packet.records or Records()
    aliases = {header: key for key, header in records.columns.items() if key in INPUT_COLUMNS}
    read = read_attendance(
        Path(attendance), aliases=aliases, date_format=records.date_format, shown=str(attendance)
    )
    return _Builder(packet, records, read.warnings, read.problems).run(
        read.rows, year, Path(attendance)
    )


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


class _Builder(Matcher):
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
            raise PacketgenError(
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


def write_hours(
    report: HoursReport,
    out: str | os.PathLike[str],
    *,
    format: Literal["csv", "json"] = "csv",
    totals: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write the report; return the files written.

    CSV: the activities to ``out`` and the totals to ``totals`` (default: beside
    it, ``<name>-totals.csv``), UTF-8 with a byte-order mark, as Excel's "CSV
    UTF-8" is, so that Excel shows accented names right. JSON: everything in
    ``out``. Each file is written whole or not at all.
    """
    target = Path(out)
    files: list[tuple[Path, str]]
    if format == "json":
        files = [(target, report.to_json())]
    else:
        second = Path(totals) if totals is not None else _totals_path(target)
        if second.resolve() == target.resolve():
            raise PacketgenError(
                f"the totals would overwrite the activities in {target}; give --totals another"
                " file name"
            )
        files = [(target, "\ufeff" + report.to_csv()), (second, "\ufeff" + report.totals_csv())]
    inputs = {p.resolve() for p in report.sources}
    for path, _ in files:
        if path.resolve() in inputs:
            raise PacketgenError(
                f"the output {path} would overwrite an input file (the spec, the attendance or"
                " an attendees list); choose another output file"
            )
        if path.is_dir():
            raise PacketgenError(f"the output {path} is a folder; give a file name like hours.csv")
    # Every file is written to a temporary file first and all are renamed at
    # the end, so a failed run leaves earlier outputs as they were.
    with atomic_path(files[0][0]) as first:
        first.write_bytes(files[0][1].encode("utf-8"))
        if len(files) > 1:
            with atomic_path(files[1][0]) as tmp:
                tmp.write_bytes(files[1][1].encode("utf-8"))
    return [path for path, _ in files]


def _totals_path(target: Path) -> Path:
    suffix = target.suffix or ".csv"
    return target.with_name(f"{target.stem}-totals{suffix}")
