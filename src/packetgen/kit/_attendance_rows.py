"""The rows of an attendance CSV: what a row is, how its cells are checked, and
how problems are gathered (the first :data:`MAX_NOTES` listed, the rest counted).

Each cell is checked on its own (a formula, a minutes count, a date, a yes or
no); matching a row to the packet is :mod:`packetgen.kit._attendance_match`'s.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field

from packetgen.errors import Problem, SpecError

__all__ = [
    "INPUT_COLUMNS",
    "MAX_ROWS",
    "Attendance",
    "AttendanceError",
    "AttendanceRow",
    "Notes",
    "check_row",
]

INPUT_COLUMNS = ("name", "inservice", "minutes", "present", "items", "date")
"""The columns packetgen reads; ``name`` and ``inservice`` are required."""
REQUIRED = ("name", "inservice")
MAX_BYTES = 5 * 1024 * 1024
"""As for attendee lists: a year of a large program's sign-ins is far smaller."""
MAX_ROWS = 50_000
MAX_NOTES = 25
"""Problems (and warnings) listed before the rest are only counted: a wrong
column in a long file would otherwise print one line per row."""
MAX_MINUTES = 6000
"""spec.MAX_MINUTES: 100 hours, more than any session lasts."""

_YES = {"yes", "y", "true", "1", "x", "present"}
_NO = {"no", "n", "false", "0", "absent"}
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_EXAMPLE_DAY = _dt.date(2026, 4, 9)


class AttendanceError(SpecError):
    """The attendance file cannot be used as it is; carries every problem found."""

    def _format(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        head = f"{len(self.problems)} problems in the attendance file:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


@dataclass
class Notes:
    """Problems or warnings, the first :data:`MAX_NOTES` kept and the rest counted."""

    file: str
    items: list[Problem] = field(default_factory=list)
    more: int = 0

    def add(
        self,
        line: int | None,
        column: int | None,
        field_name: str,
        message: str,
        *,
        file: str | None = None,
    ) -> None:
        """Add a note about this file, or about ``file`` (the spec)."""
        if len(self.items) < MAX_NOTES:
            self.items.append(Problem(file or self.file, line, column, field_name, message))
        else:
            self.more += 1

    def listed(self, rest: str = "and {n} more like these, not listed here") -> list[Problem]:
        """The notes in line order (this file's first), then ``rest`` saying how many
        more there were (``{n}``), when there were more."""
        found = sorted(
            self.items,
            key=lambda p: (p.file != self.file, p.line is None, p.line or 0, p.column or 0),
        )
        if not self.more:
            return found
        return [*found, Problem(self.file, None, None, "", rest.format(n=self.more))]


@dataclass(frozen=True)
class AttendanceRow:
    """One row of the attendance file, its cells checked but not yet matched to the packet."""

    line: int
    name: str
    inservice: str
    present: bool
    """False when the ``present`` cell says no (or is empty)."""
    minutes: float | None
    items: tuple[str, ...]
    """The ``items`` cell split at ``;``: item titles or 1-based numbers."""
    date: _dt.date | None
    columns: dict[str, int]
    """The 1-based column of each input column the file has, by key."""
    ok: bool = True
    """False when a cell of the row has a problem (the row is then only checked further)."""


@dataclass
class Attendance:
    rows: list[AttendanceRow]
    warnings: Notes
    problems: Notes


def _formula(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (a number it would not)."""
    if text.startswith(("=", "@")):
        return True
    return text.startswith(("+", "-")) and not _NUMBER.fullmatch(text[1:].strip())


def check_row(
    cells: list[str],
    line: int,
    columns: dict[str, int],
    date_format: str,
    warnings: Notes,
    problems: Notes,
    blanks: list[int],
) -> AttendanceRow:
    def cell(key: str) -> str:
        index = columns.get(key)
        if index is None or index >= len(cells):
            return ""
        text = cells[index].strip()
        if _formula(text):
            warnings.add(
                line,
                index + 1,
                key,
                f"{_clip(text)} looks like a spreadsheet formula; it is read as plain text,"
                " and written so that spreadsheets show it instead of running it. Check the"
                " cell: it should hold the value itself",
            )
        return text

    def col(key: str) -> int | None:
        index = columns.get(key)
        return None if index is None else index + 1

    before = len(problems.items) + problems.more
    person = " ".join(unicodedata.normalize("NFC", cell("name")).split())
    if not person:
        problems.add(line, col("name"), "name", "the name is empty; write the person's name")
    else:
        # Zero-width joiners belong to some scripts' spelling; other format
        # and control characters are invisible and would split one person in two.
        bad = next(
            (
                ch
                for ch in person
                if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in "\u200c\u200d"
            ),
            None,
        )
        if bad is not None:
            problems.add(
                line,
                col("name"),
                "name",
                f"the name {_clip(person)} contains the invisible character U+{ord(bad):04X};"
                " delete it and type the name again",
            )
    inservice = cell("inservice")
    minutes = _minutes(cell("minutes"), line, col("minutes"), problems)
    present = True
    if "present" in columns:
        said = cell("present")
        answer = said.casefold()
        if not answer:
            present = False
            blanks.append(line)
        elif answer in _NO:
            present = False
        elif answer not in _YES:
            problems.add(
                line,
                col("present"),
                "present",
                f"expected yes or no (or x for present) in the present column, found {_clip(said)}",
            )
    items = tuple(p.strip() for p in cell("items").split(";") if p.strip())
    date = _date(cell("date"), line, col("date"), date_format, problems)
    return AttendanceRow(
        ok=len(problems.items) + problems.more == before,
        line=line,
        name=person,
        inservice=inservice,
        present=present,
        minutes=minutes,
        items=items,
        date=date,
        columns={k: i + 1 for k, i in columns.items()},
    )


def _minutes(text: str, line: int, column: int | None, problems: Notes) -> float | None:
    if not text:
        return None
    if text.startswith("-") and _NUMBER.fullmatch(text[1:].strip()):
        problems.add(
            line,
            column,
            "minutes",
            f"the minutes attended cannot be negative, found {text}; write how many minutes"
            " the person was there, or leave the cell empty for the whole session",
        )
        return None
    if not _NUMBER.fullmatch(text):
        problems.add(
            line,
            column,
            "minutes",
            f"expected the minutes attended as a number like 45, found {_clip(text)}; leave"
            " the cell empty when the person stayed the whole session",
        )
        return None
    value = float(text)
    if value > MAX_MINUTES:
        problems.add(
            line,
            column,
            "minutes",
            f"{text} minutes is more than {MAX_MINUTES:,} (100 hours); check the number",
        )
        return None
    return value


def _date(
    text: str, line: int, column: int | None, date_format: str, problems: Notes
) -> _dt.date | None:
    if not text:
        return None
    day = re.split(r"[ T]", text, maxsplit=1)[0]  # "2026-04-09 00:00:00" from a spreadsheet
    try:
        return _dt.date.fromisoformat(day)
    except ValueError:
        pass
    for candidate in (text, day):
        try:
            return _dt.datetime.strptime(candidate, date_format).date()
        except ValueError:
            continue
    own = _EXAMPLE_DAY.strftime(date_format)
    also = f" or {own} (records.date_format)" if own != _EXAMPLE_DAY.isoformat() else ""
    problems.add(
        line,
        column,
        "date",
        f"expected a date like {_EXAMPLE_DAY.isoformat()}{also}, found {_clip(text)}",
    )
    return None


def _clip(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")
