"""Reading an attendance CSV for ``packetgen hours``: one row per person and in-service.

:func:`read_attendance` checks the file's own shape (encoding, header, cell
values); :class:`Matcher` matches its rows to the packet (in-service ids, item
titles or numbers, dates, rosters, spellings of a name). What the rows earn is
:mod:`packetgen.kit.records`' business. Every problem is located as
``file:line:column``, the column being the spreadsheet's column number.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import difflib
import io
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from packetgen.errors import PacketgenError, Problem, SpecError, utf8_problem
from packetgen.spec.attendees import inline_attendees, read_attendees
from packetgen.spec.models import InService, Packet

__all__ = [
    "INPUT_COLUMNS",
    "MAX_ROWS",
    "AttendanceError",
    "AttendanceRow",
    "Matcher",
    "Notes",
    "fold",
    "read_attendance",
    "suggest",
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


def read_attendance(
    path: Path,
    *,
    shown: str | None = None,
    aliases: dict[str, str] | None = None,
    date_format: str = "%Y-%m-%d",
) -> Attendance:
    """Read ``path``; raise :class:`AttendanceError` when the file as a whole cannot be read.

    ``aliases`` maps more header names to input columns (the packet's
    ``records.columns``, so a file exported with those headers reads back).
    Problems in single rows are collected in the result's ``problems``, so the
    caller can add its own and report them all at once.
    """
    name = shown or str(path)
    text = _decode(_read(path, name), name)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise _error(name, 1, None, f"the first line is not valid CSV ({exc})") from None
    if not any(h.strip() for h in header):
        raise _error(
            name,
            1,
            1,
            "the file is empty; expected a first line of headers with at least the columns"
            " name and inservice, then one line per person and in-service",
        )
    warnings, problems = Notes(name), Notes(name)
    columns = _columns(header, name, aliases or {}, warnings)
    rows: list[AttendanceRow] = []
    blanks: list[int] = []
    width = len(header)
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise _error(
                    name,
                    line,
                    None,
                    f"the file has more than {MAX_ROWS:,} rows; split it (one file per year"
                    " or per in-service) and run packetgen hours on each",
                )
            extra = [c for c in cells[width:] if c.strip()]
            if extra:
                problems.add(
                    line,
                    width + 1,
                    "",
                    f"this row has {len(cells)} cells but the first line only {width} headers;"
                    ' is there a comma in a name? Put such a cell in double quotes ("Lopez,'
                    ' Maria"), or add a header for the extra column',
                )
                continue
            rows.append(_row(cells, line, columns, date_format, warnings, problems, blanks))
    except csv.Error as exc:
        raise _error(name, reader.line_num, None, f"this line is not valid CSV ({exc})") from None
    if blanks:
        lines = ", ".join(map(str, blanks[:10])) + (", …" if len(blanks) > 10 else "")
        s = "s" if len(blanks) > 1 else ""
        warnings.add(
            None,
            None,
            "present",
            f"the present cell is empty on line{s} {lines}; such rows count as absent (write"
            " yes or x for people who attended)",
        )
    if not rows and not problems.items:
        raise _error(
            name,
            2,
            1,
            "the file has its headers but no rows; add one line per person and in-service",
        )
    return Attendance(rows, warnings, problems)


def _error(name: str, line: int | None, column: int | None, message: str) -> AttendanceError:
    return AttendanceError([Problem(name, line, column, "", message)])


def _read(path: Path, name: str) -> bytes:
    # O_NONBLOCK: a FIFO given as the file must not hang the run (as for signatures).
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise PacketgenError(f"{name} is a folder; give the attendance CSV file") from None
    except FileNotFoundError:
        raise PacketgenError(f"{name}: no such file; check the --attendance path") from None
    except OSError as exc:
        raise PacketgenError(f"{name}: cannot read the attendance file: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise PacketgenError(f"{name}: the attendance file is not a regular file")
            # One byte past the limit: a file that grows while being read is still refused.
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PacketgenError(f"{name}: cannot read the attendance file: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise _error(
            name,
            None,
            None,
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB, the limit for an"
            " attendance list; split it (one file per year or per in-service)",
        )
    return raw


_SAVE_AS = (
    "in Excel choose File > Save As and the type 'CSV UTF-8 (Comma delimited) (*.csv)'; in"
    " Google Sheets, File > Download > Comma-separated values"
)


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise _error(
            name,
            None,
            None,
            f"this is a spreadsheet workbook (.xlsx or .xls), not a CSV file; {_SAVE_AS}",
        )
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        encoding = "utf-32"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated.
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    if encoding == "utf-8-sig" and b"\x00" in raw[:4096]:
        raise _error(
            name,
            None,
            None,
            "the file has zero bytes in it, as UTF-16 text without a byte-order mark (or a"
            f" file that is not text) has; save it again as CSV: {_SAVE_AS}",
        )
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8-sig":
            raise _error(
                name,
                None,
                None,
                f"the file starts as {encoding.upper()} text but is damaged; {_SAVE_AS}",
            ) from None
        found = utf8_problem(raw, exc, name, _latin1_advice(raw, exc))
        # The column of every other problem is the spreadsheet's: count the cells before.
        start = raw.rfind(b"\n", 0, exc.start) + 1
        column = raw[start : exc.start].count(b",") + 1
        raise AttendanceError([replace(found, column=column)]) from None


def _latin1_advice(raw: bytes, exc: UnicodeDecodeError) -> str:
    # Decoding as Windows-1252 would usually be right, but not always (a Mac
    # "CSV" is Mac Roman, where the same byte is another letter): names go into
    # official records, so the trainer saves the file again instead of packetgen guessing.
    start = max(raw.rfind(b"\n", 0, exc.start), raw.rfind(b",", 0, exc.start)) + 1
    ends = [i for i in (raw.find(b"\n", exc.start), raw.find(b",", exc.start)) if i != -1]
    cell = raw[start : min(ends, default=len(raw))].decode("cp1252", "replace")
    return (
        f"the cell {cell.strip().strip(chr(34))!r} looks like text saved in Windows-1252, as"
        f" Excel's 'CSV (Comma delimited)' saves it; save the file again as CSV UTF-8: {_SAVE_AS}"
    )


def _delimiter(text: str) -> str:
    # Excel's "Unicode Text" separates cells with tabs, and in countries whose
    # decimal comma is a comma Excel writes ";" between cells.
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    if "\t" in first:
        return "\t"
    if ";" in first:
        return ";"
    return ","


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", header)).casefold()


def _columns(
    header: list[str], name: str, aliases: dict[str, str], warnings: Notes
) -> dict[str, int]:
    """The 0-based index of each input column, by key; unknown headers are ignored."""
    names = {_key(k): k for k in INPUT_COLUMNS}
    names.update({_key(h): k for h, k in aliases.items() if _key(h) not in names})
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = names.get(_key(cell))
        if key is None:
            close = difflib.get_close_matches(_key(cell), list(INPUT_COLUMNS), n=1, cutoff=0.75)
            if close and close[0] not in found and _key(cell):
                warnings.add(
                    1,
                    i + 1,
                    cell.strip(),
                    f"the column {cell.strip()!r} is not one packetgen reads, so it is left"
                    f" out; did you mean {close[0]!r}?",
                )
            continue
        if key in found:
            raise _error(
                name,
                1,
                i + 1,
                f"two columns are headed {key!r} (columns {found[key] + 1} and {i + 1});"
                " keep one and rename or delete the other",
            )
        found[key] = i
    missing = [k for k in REQUIRED if k not in found]
    if missing:
        shown = ", ".join(repr(h.strip()) for h in header if h.strip()) or "nothing"
        what = {
            "name": "'name' (the person's name)",
            "inservice": "'inservice' (the in-service's id, as in the spec)",
        }
        hint = ""
        for h in header:
            close = difflib.get_close_matches(_key(h), missing, n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean {close[0]!r} for {h.strip()!r}?"
                break
        columns = " and ".join(what[k] for k in missing)
        s = "s" if len(missing) > 1 else ""
        raise _error(
            name,
            1,
            1,
            f"expected a column{s} headed {columns} in the first line, found {shown}{hint}",
        )
    return found


def _formula(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (a number it would not)."""
    if text.startswith(("=", "@")):
        return True
    return text.startswith(("+", "-")) and not _NUMBER.fullmatch(text[1:].strip())


def _row(
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


_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def fold(text: str) -> str:
    """``text`` as names and titles are compared: NFC, spaces collapsed, any case."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def suggest(word: str, options: list[str]) -> str:
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


class Matcher:
    """Rows matched to the packet: in-services, items, dates, rosters and people."""

    def __init__(self, packet: Packet, warnings: Notes, problems: Notes):
        self.packet = packet
        self.warnings = warnings
        self.problems = problems
        self.spec = str(packet.source) if packet.source is not None else "the packet"
        self.index = {s.id: i for i, s in enumerate(packet.inservices)}
        self.rosters: dict[str, dict[str, str]] = {}
        self.roster_files: list[Path] = []
        self.people: dict[str, tuple[str, int]] = {}
        """The first spelling of each person's name and its line, by :func:`fold` key."""
        self.told: set[object] = set()

    def warn(self, row: AttendanceRow | None, column: str | None, message: str) -> None:
        line = row.line if row is not None else None
        where = row.columns.get(column) if row is not None and column else None
        self.warnings.add(line, where, column or "", message)

    def once(self, key: object) -> bool:
        """True the first time ``key`` is seen: a warning about the spec is given once."""
        if key in self.told:
            return False
        self.told.add(key)
        return True

    def match(
        self, rows: list[AttendanceRow]
    ) -> list[tuple[AttendanceRow, InService, list[int], _dt.date]]:
        """Each row with its in-service, the indexes of its items and its date.

        Raises :class:`AttendanceError` with every problem of the file, the
        reader's and these.
        """
        resolved: list[tuple[AttendanceRow, InService, list[int], _dt.date]] = []
        for row in rows:
            inservice = self.inservice(row)
            if inservice is None:
                continue
            listed = self.items(row, inservice)
            if not row.ok:
                continue
            day = row.date or inservice.date
            if day is None:
                self.problems.add(
                    row.line,
                    row.columns.get("date"),
                    "date",
                    f"no date: the row has none and the in-service {inservice.id!r} has no date"
                    " in the spec; write the date (like 2026-04-09) in a date column, or give"
                    " the in-service a date:",
                )
            if listed is None or day is None:
                continue
            resolved.append((row, inservice, listed, day))
        if self.problems.items:
            raise AttendanceError(
                self.problems.listed(
                    "and {n} more like these, not listed here; fix the ones above first"
                )
            )
        return resolved

    def inservice(self, row: AttendanceRow) -> InService | None:
        ids = list(self.index)
        column = row.columns.get("inservice")
        found = self.index.get(row.inservice)
        if found is None:
            found = self.index.get(row.inservice.strip().casefold())
        if found is not None:
            return self.packet.inservices[found]
        listing = ", ".join(ids[:12]) + (", …" if len(ids) > 12 else "")
        if not row.inservice:
            message = f"the in-service id is empty; write the id of one of: {listing}"
        else:
            titled = [s.id for s in self.packet.inservices if fold(s.title) == fold(row.inservice)]
            if titled:
                hint = f"; that is the title of the in-service {titled[0]!r}: write its id"
            else:
                hint = suggest(row.inservice.casefold(), ids) or f"; the packet has: {listing}"
                if not _ID.fullmatch(row.inservice):
                    hint += (
                        '; if the name has a comma in it ("Lopez, Maria"), put the name in'
                        " double quotes"
                    )
            message = f"no in-service with the id {row.inservice!r} in {self.spec}{hint}"
        self.problems.add(row.line, column, "inservice", message)
        return None

    def items(self, row: AttendanceRow, inservice: InService) -> list[int] | None:
        """The 0-based indexes of the items ``row`` lists, or None after a problem."""
        titles = {fold(item.title): j for j, item in enumerate(inservice.items)}
        count = len(inservice.items)
        found: list[int] = []
        ok = True
        for ref in row.items:
            j = titles.get(fold(ref))
            number = ref.removeprefix("#").strip()
            if j is None and number.isascii() and number.isdigit():
                if 1 <= int(number) <= count:
                    j = int(number) - 1
                else:
                    has = f"only {count} item{'s' if count != 1 else ''}" if count else "no items"
                    self.problems.add(
                        row.line,
                        row.columns.get("items"),
                        "items",
                        f"the in-service {inservice.id!r} has {has}, so there is no item"
                        f" {number}; number the items from 1 as the spec lists them",
                    )
                    ok = False
                    continue
            if j is None:
                hint = suggest(ref, [item.title for item in inservice.items])
                numbers = f", or its number (1 to {count})" if count else ""
                self.problems.add(
                    row.line,
                    row.columns.get("items"),
                    "items",
                    f"{ref!r} is not an item of the in-service {inservice.id!r}: write an"
                    f" item's title as the spec has it{numbers}, with ; between items{hint}",
                )
                ok = False
                continue
            if j not in found:
                found.append(j)
        return found if ok else None

    def roster_check(self, row: AttendanceRow, inservice: InService) -> None:
        roster = self.roster(inservice)
        if roster is None or fold(row.name) in roster:
            return
        if not self.once(("roster", fold(row.name), inservice.id)):
            return
        where = self.packet.where("inservices", self.index[inservice.id], "attendees")
        hint = suggest(row.name, list(roster.values()))
        self.warn(
            row,
            "name",
            f"{row.name!r} is not on the attendees list of the in-service {inservice.id!r}"
            f" ({where}); the hours are counted: check the spelling, or add the name to the"
            f" list{hint}",
        )

    def roster(self, inservice: InService) -> dict[str, str] | None:
        if inservice.attendees is None:
            return None
        if inservice.id not in self.rosters:
            if isinstance(inservice.attendees, list):
                people, _ = inline_attendees(inservice.attendees)
            else:
                path = self.packet.folder / inservice.attendees
                self.roster_files.append(path)
                people, _ = read_attendees(path, shown=str(path))
            self.rosters[inservice.id] = {fold(p.name): p.name for p in people}
        return self.rosters[inservice.id]

    def person(self, row: AttendanceRow) -> str:
        """The person's key; the first spelling met is the one written."""
        key = fold(row.name)
        first = self.people.setdefault(key, (row.name, row.line))
        if first[0] != row.name and self.once(("spelling", row.name)):
            self.warn(
                row,
                "name",
                f"{row.name!r} is counted as {first[0]!r} (line {first[1]}), the same name"
                " spelled differently; if they are two people, tell them apart (a middle"
                " initial)",
            )
        return key
