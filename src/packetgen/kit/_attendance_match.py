"""Matching attendance rows to the packet: in-service ids, item titles or numbers,
dates, the in-services' attendee lists, and the spellings of a person's name.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import unicodedata
from pathlib import Path

from packetgen.kit._attendance_rows import AttendanceError, AttendanceRow, Notes
from packetgen.spec.attendees import inline_attendees, read_attendees
from packetgen.spec.models import InService, Packet

__all__ = ["Matcher", "fold", "suggest"]

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
