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

import os
from pathlib import Path
from typing import Literal

from packetgen.errors import OutputError
from packetgen.kit._attendance import read_attendance
from packetgen.kit._attendance_rows import INPUT_COLUMNS, AttendanceError
from packetgen.kit._crediting import HoursBuilder
from packetgen.kit.hours_report import (
    CATEGORIES,
    Activity,
    HoursReport,
    PersonTotals,
    Shortfall,
)
from packetgen.spec.loader import load_packet
from packetgen.spec.models import Packet, Records
from packetgen.support._atomic import atomic_path

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
    return HoursBuilder(packet, records, read.warnings, read.problems).run(
        read.rows, year, Path(attendance)
    )


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
            raise OutputError(
                f"the totals would overwrite the activities in {target}; give --totals another"
                " file name"
            )
        files = [(target, "\ufeff" + report.to_csv()), (second, "\ufeff" + report.totals_csv())]
    inputs = {p.resolve() for p in report.sources}
    for path, _ in files:
        if path.resolve() in inputs:
            raise OutputError(
                f"the output {path} would overwrite an input file (the spec, the attendance or"
                " an attendees list); choose another output file"
            )
        if path.is_dir():
            raise OutputError(f"the output {path} is a folder; give a file name like hours.csv")
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
