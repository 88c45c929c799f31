"""Mistakes found while reading or composing rather than parsing: a control
character, an anchor or alias, a list item without its dash, a field name with
a look-alike space in front, a tag on a plain value. Each gets the same kind of
message as a syntax error: the fix, the line and a caret.
"""

from __future__ import annotations

import re
from typing import Any

from packetgen.errors import Problem
from packetgen.spec._spaces import ODD_SPACES
from packetgen.spec._yaml_help._lines import (
    BREAK,
    KEY,
    NOT_YAML,
    fixed_line,
    quoted,
    read_line,
    show,
    split_lines,
    start_reason,
    value_start,
)


def _position(text: str, index: int) -> tuple[int, int]:
    """0-based (line, column) of ``text[index]``, counting lines as YAML does."""
    row = 0
    start = 0
    for match in BREAK.finditer(text, 0, index):
        row += 1
        start = match.end()
    return row, index - start


def reader_problem(text: str, name: str, index: int, character: int) -> Problem:
    """A control character PyYAML's reader refuses before any parsing."""
    row, col = _position(text, index)
    lines = split_lines(text)
    return Problem(
        name,
        row + 1,
        col + 1,
        "",
        f"{NOT_YAML}the control character U+{character:04X} is not allowed in a spec;"
        f" delete it\n{show(lines[row], col)}",
    )


def refused_problem(text: str, name: str, mark: Any, message: str, start: str | None) -> Problem:
    """An anchor or alias refused while composing; ``start`` is ``*`` or ``&`` when it
    stands at the start of a plain value (which a trainer meant as text)."""
    if mark is None:
        return Problem(name, None, None, "", message)
    if start is not None:
        lines = split_lines(text)
        line = read_line(lines[mark.line] if mark.line < len(lines) else "")
        after = line.text[mark.column :].split(" ", 1)[1:]
        on_a_field = bool(after) and KEY.match(after[0].lstrip(" ")) is not None
        if mark.column == value_start(line) and mark.column < len(line.text) and not on_a_field:
            fixed = fixed_line(line, mark.column, quoted(line.text[mark.column :]))
            reason = start_reason(start)
            return Problem(
                name,
                mark.line + 1,
                mark.column + 1,
                "",
                f"{NOT_YAML}{reason}: {fixed}\n{show(line.text, mark.column)}",
            )
    return Problem(name, mark.line + 1, mark.column + 1, "", message)


def new_item_problem(
    lines: list[str], name: str, field: str, key: str, mark: Any, first_line: int
) -> Problem | None:
    """A field given twice in one list item, where the second starts a new item without its
    ``- ``; None when the field is not written at the start of its line."""
    text = lines[mark.line] if mark.line < len(lines) else ""
    col = mark.column
    if text[:col].strip():
        return None
    line = read_line(text)
    how = "in place of the last two spaces before it" if col >= 2 else "at the start of the line"
    return Problem(
        name,
        mark.line + 1,
        col + 1,
        field,
        f"this looks like the start of a new list item, since this item already has {key}:"
        f' (line {first_line}); put "- " before {key}: {how}: - {text[line.first :]}'
        f"\n{show(text, col)}",
    )


def odd_key_problem(lines: list[str], name: str, field: str, key: str, mark: Any) -> Problem | None:
    """A field name YAML read with a look-alike space or a ``-`` stuck to its front."""
    text = lines[mark.line] if mark.line < len(lines) else ""
    ch = key[:1]
    if ch in ODD_SPACES:
        return Problem(
            name,
            mark.line + 1,
            mark.column + 1,
            field,
            f"the indent of this line contains {ODD_SPACES[ch]}, which YAML does not count as a"
            " space (it comes from copying out of a word processor or a web page); delete the"
            f" indent and type it again with the space bar\n{show(text, mark.column)}",
        )
    if re.match(r"-[^\W\d]", key) and text[mark.column : mark.column + 1] == "-":
        line = read_line(text)
        fixed = fixed_line(line, mark.column, "- " + text[mark.column + 1 :])
        return Problem(
            name,
            mark.line + 1,
            mark.column + 1,
            field,
            f'a list item needs a space after the "-": {fixed}\n{show(text, mark.column)}',
        )
    return None


def tag_hint(lines: list[str], mark: Any) -> str:
    """For a refused tag on a plain value: how to write it as text that starts with ``!``."""
    text = lines[mark.line] if mark.line < len(lines) else ""
    line = read_line(text)
    if mark.column != value_start(line) or text[mark.column : mark.column + 1] != "!":
        return ""
    fixed = fixed_line(line, mark.column, quoted(text[mark.column :]))
    return (
        f"; if the value is text that starts with !, put it in quotes: {fixed}"
        f"\n{show(text, mark.column)}"
    )
