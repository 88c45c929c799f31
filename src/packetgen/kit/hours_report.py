"""The hours report: each credited activity, each person's totals per year, who is
short of the policy's ``require:``, and the report as CSV or JSON.

Made by :func:`packetgen.kit.records.hours_records`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packetgen.errors import Problem
from packetgen.spec.models import RECORD_COLUMNS, Records
from packetgen.support._csv import csv_cell

__all__ = [
    "CATEGORIES",
    "LABELS",
    "SESSION",
    "TOTAL_COLUMNS",
    "Activity",
    "HoursReport",
    "PersonTotals",
    "Shortfall",
]

CATEGORIES = ("in_person", "virtual", "self_study")
"""Kinds of delivery, as ``delivery:`` and ``require:`` name them."""
TOTAL_COLUMNS = ("year", *CATEGORIES, "total", "short")
"""The totals file's columns after the name."""
SESSION = "in-service"
"""The ``kind`` of an activity that is attending an in-service (items have their own kinds)."""

LABELS = {
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
            f"{who}: {self.short:g} h of {LABELS[self.category]} short of the"
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
                "; ".join(f"{h:g} h {LABELS[c]}" for c, h in t.short.items()),
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
