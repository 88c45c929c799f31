"""A spec's lines as a person reads them, messages that quote a line with a caret
under the spot, and the pieces of a corrected line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import yaml

from packetgen.errors import Problem

NOT_YAML = "not valid YAML, so nothing else was checked: "
"""How the message of a spec that cannot be read starts: the trainer learns first
that the other mistakes, if any, will show once this one is fixed."""

_INDENT = "    "
_MAX_SHOWN = 100
"""Columns of a quoted line; a longer line is cut around the caret."""

# YAML's line breaks: a caret must land on the line PyYAML counted.
BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

# A field name as packetgen's fields are written: a word, then a colon ending
# the name (followed by a space or the end of the line).
KEY = re.compile(r"([^\W\d][\w.-]*)[ \t]*:(?=[ \t]|$)")
_BLOCK_TEXT = re.compile(r"[|>][-+0-9]*\s*(#.*)?")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as YAML counts them (``\\r\\n``, ``\\r`` and ``\\n`` all end one)."""
    return BREAK.split(text)


def show(line: str, column: int) -> str:
    """``line`` indented, and a caret under its 0-based ``column``, as two more message lines.

    Tabs and control characters are drawn as something a terminal shows in one
    column, and wide characters count twice, so the caret lands under the spot.
    """
    start, end = 0, len(line)
    if _width(line) > _MAX_SHOWN:
        start = max(0, min(column - _MAX_SHOWN // 2, len(line) - _MAX_SHOWN + 6))
        end = min(len(line), start + _MAX_SHOWN - 6)
    head = "..." if start > 0 else ""
    tail = "..." if end < len(line) else ""
    drawn = [_draw(ch) for ch in line[start:end]]
    before = _width(head) + sum(_width(d) for d in drawn[: max(0, column - start)])
    return f"{_INDENT}{head}{''.join(drawn)}{tail}\n{_INDENT}{' ' * before}^"


def _draw(ch: str) -> str:
    if ch == "\t":
        return "    "
    # Control and invisible characters (a BOM, a zero-width space) take no
    # column, or move the cursor; ASCII, as a console may not print more.
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return "?"
    return ch


def _width(text: str) -> int:
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


@dataclass(frozen=True)
class Line:
    """One line of a spec as a person reads it: indent, list dashes, field name, value."""

    text: str
    first: int
    """Column of the first character that is not a space (the length when blank)."""
    dashes: tuple[int, ...]
    """Columns of the ``- `` list markers that open the line."""
    content: int
    """Column after the indent and the list markers."""
    key: str | None
    colon: int | None
    value: int | None
    """Column where the value after ``key:`` starts; None when nothing follows it."""

    @property
    def blank(self) -> bool:
        return self.first >= len(self.text) or self.text[self.first] == "#"

    @property
    def inline_value(self) -> bool:
        """The line's field has a value on the line itself, which is not a block of text."""
        if self.key is None or self.value is None:
            return False
        rest = self.text[self.value :]
        return not rest.startswith("#") and not _BLOCK_TEXT.fullmatch(rest)

    @property
    def opens_text(self) -> bool:
        """The line ends with ``|`` or ``>``: the lines below it are a block of text."""
        return self.value is not None and bool(_BLOCK_TEXT.fullmatch(self.text[self.value :]))


def read_line(text: str) -> Line:
    text = text.rstrip(" \t")
    first = len(text) - len(text.lstrip(" "))
    dashes: list[int] = []
    at = first
    while at < len(text) and text[at] == "-" and (at + 1 == len(text) or text[at + 1] == " "):
        dashes.append(at)
        at += 1
        while at < len(text) and text[at] == " ":
            at += 1
    key = colon = value = None
    match = KEY.match(text, at)
    if match:
        key, colon = match.group(1), text.index(":", match.end(1))
        value = colon + 1
        while value < len(text) and text[value] in " \t":
            value += 1
        if value >= len(text):
            value = None
    return Line(text, first, tuple(dashes), at, key, colon, value)


class Spot:
    """The failed spec, and where PyYAML stopped reading it."""

    def __init__(self, name: str, text: str, exc: yaml.MarkedYAMLError) -> None:
        self.name = name
        self.lines = split_lines(text)
        self.text = text
        self.problem = exc.problem or ""
        self.context = exc.context or ""
        mark = exc.problem_mark or exc.context_mark
        self.row = mark.line if mark is not None else 0
        self.col = mark.column if mark is not None else 0
        self.crow = exc.context_mark.line if exc.context_mark is not None else self.row
        self.ccol = exc.context_mark.column if exc.context_mark is not None else self.col

    def line(self, row: int) -> Line:
        return read_line(self.lines[row] if 0 <= row < len(self.lines) else "")

    def previous(self, row: int) -> int | None:
        """The nearest line above ``row`` with something on it other than a comment."""
        for above in range(min(row, len(self.lines)) - 1, -1, -1):
            if not self.line(above).blank:
                return above
        return None

    def owner(self, row: int, column: int) -> int | None:
        """The nearest line above ``row`` that starts left of ``column``."""
        for above in range(min(row, len(self.lines)) - 1, -1, -1):
            line = self.line(above)
            if not line.blank and line.first < column:
                return above
        return None

    def problem_at(self, row: int, column: int, message: str) -> Problem:
        shown = self.lines[row] if 0 <= row < len(self.lines) else ""
        return Problem(
            self.name, row + 1, column + 1, "", f"{NOT_YAML}{message}\n{show(shown, column)}"
        )


# ---------------------------------------------------------------- building fixes


def quoted(value: str) -> str:
    """``value`` in the quotes that keep it exactly as written."""
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def fixed_line(line: Line, at: int, new: str) -> str:
    """The line from its first character, with everything from column ``at`` replaced."""
    return line.text[line.first : at] + new


def value_start(line: Line) -> int:
    if line.key is not None and line.value is not None:
        return line.value
    return line.content


def needs_quotes(spot: Spot, row: int, col: int, why: str) -> Problem | None:
    """The value starting at ``col`` must be in quotes; None when no value starts there."""
    line = spot.line(row)
    if col != value_start(line) or col >= len(line.text):
        return None
    value = line.text[col:]
    return spot.problem_at(row, col, f"{why}: {fixed_line(line, col, quoted(value))}")


def start_reason(ch: str) -> str:
    reasons = {
        "*": "YAML reads *name as a reference to another value",
        "&": "YAML reads &name as a name given to the value",
        "|": "YAML reads | as the start of a block of text on the lines below",
        ">": "YAML reads > as the start of a block of text on the lines below",
        "[": "YAML reads [ ] as a list",
        "{": "YAML reads { } as a group of fields",
        "?": "YAML reads ? as a special kind of field name",
        ",": "YAML reads , as what separates the entries of a list",
        "]": "YAML reads ] as the end of a list",
        "}": "YAML reads } as the end of a group of fields",
    }
    reason = reasons.get(ch)
    return (
        f"a value that starts with {ch} must be in quotes ({reason})"
        if reason
        else f"a value that starts with {ch} must be in quotes"
    )
