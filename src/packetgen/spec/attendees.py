"""Attendee lists for certificates: inline in the spec, or a CSV with a ``name`` column."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from packetgen.errors import Problem, SpecError, utf8_problem

__all__ = ["Attendee", "read_attendees"]

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ATTENDEES = 10_000


@dataclass(frozen=True)
class Attendee:
    """One person who attended."""

    name: str
    extra: dict[str, str] = field(default_factory=dict)
    """The CSV's other columns (e.g. email, role), by lower-cased header."""


def read_attendees(path: Path, *, shown: str | None = None) -> tuple[list[Attendee], list[str]]:
    """Read a CSV of attendees; return them and warnings (e.g. repeated names).

    Errors name the file (as ``shown``), the line and the column.
    """
    name = shown or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            too_big = f"the file is {size:,} bytes; an attendee list may be at most 5 MiB"
            raise SpecError([Problem(name, None, None, "", too_big)])
        raw = path.read_bytes()
    except OSError as exc:
        # A Problem without a line prints as "<file>: …", the message it always had.
        raise SpecError(
            [Problem(name, None, None, "", f"cannot read the attendee list: {exc.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        advice = "save the list as CSV UTF-8 (in Excel: Save As, then 'CSV UTF-8')"
        raise SpecError([utf8_problem(raw, exc, name, advice)]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise SpecError(
            [
                Problem(
                    name, 1, 1, "", "the file is empty; expected a header line with a name column"
                )
            ]
        ) from None
    except csv.Error as exc:
        raise SpecError([Problem(name, 1, None, "", f"not a CSV file: {exc}")]) from None
    columns = [h.strip().lower() for h in header]
    if "name" not in columns:
        found = ", ".join(repr(h) for h in header) or "nothing"
        raise SpecError(
            [
                Problem(
                    name,
                    1,
                    1,
                    "name",
                    f"expected a column headed 'name' in the first line, found {found}",
                )
            ]
        )
    index = columns.index("name")
    people: list[Attendee] = []
    lines: dict[str, list[int]] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            person = row[index].strip() if index < len(row) else ""
            if not person:
                raise SpecError([Problem(name, line, index + 1, "name", "the name is empty")])
            if len(people) >= MAX_ATTENDEES:
                raise SpecError(
                    [Problem(name, line, None, "", f"more than {MAX_ATTENDEES:,} attendees")]
                )
            extra = {
                c: row[i].strip() for i, c in enumerate(columns) if i != index and i < len(row)
            }
            people.append(Attendee(person, extra))
            lines.setdefault(person.casefold(), []).append(line)
    except csv.Error as exc:
        raise SpecError(
            [Problem(name, reader.line_num, None, "", f"not a valid CSV line: {exc}")]
        ) from None
    if not people:
        raise SpecError([Problem(name, 2, 1, "name", "no attendees: the list has only its header")])
    counts = Counter(p.name.casefold() for p in people)
    warnings = [
        f"{name}: {people[[p.name.casefold() for p in people].index(key)].name!r} is listed"
        f" {count} times (lines {', '.join(map(str, lines[key]))}); each gets a certificate"
        for key, count in counts.items()
        if count > 1
    ]
    return people, warnings


def inline_attendees(names: list[str]) -> tuple[list[Attendee], list[str]]:
    """Attendees given as a list in the spec."""
    counts = Counter(n.strip().casefold() for n in names)
    warnings = [
        f"attendees: {n!r} is listed {counts[n.strip().casefold()]} times; each gets a certificate"
        for n in dict.fromkeys(names)
        if counts[n.strip().casefold()] > 1
    ]
    return [Attendee(n.strip()) for n in names], warnings
