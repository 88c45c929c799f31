"""Reading an attendance CSV for ``packetgen hours``: one row per person and in-service.

:func:`read_attendance` checks the file's own shape (size, encoding, delimiter,
header) and each row's cells (:mod:`packetgen.kit._attendance_rows`);
:class:`~packetgen.kit._attendance_match.Matcher` matches its rows to the
packet. What the rows earn is :mod:`packetgen.kit.records`' business. Every
problem is located as ``file:line:column``, the column being the spreadsheet's
column number.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import os
import re
import stat
import unicodedata
from dataclasses import replace
from pathlib import Path

from packetgen.errors import DocumentError, Problem, utf8_problem
from packetgen.kit._attendance_rows import (
    INPUT_COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    REQUIRED,
    Attendance,
    AttendanceError,
    AttendanceRow,
    Notes,
    check_row,
)

__all__ = ["read_attendance"]


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
            rows.append(check_row(cells, line, columns, date_format, warnings, problems, blanks))
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
        raise DocumentError(f"{name} is a folder; give the attendance CSV file") from None
    except FileNotFoundError:
        raise DocumentError(f"{name}: no such file; check the --attendance path") from None
    except OSError as exc:
        raise DocumentError(f"{name}: cannot read the attendance file: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise DocumentError(f"{name}: the attendance file is not a regular file")
            # One byte past the limit: a file that grows while being read is still refused.
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"{name}: cannot read the attendance file: {exc.strerror}") from None
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
