"""YAML mistakes a trainer makes typing a spec by hand, explained in plain words.

PyYAML stops at the first thing it cannot read and names it in parser terms
("mapping values are not allowed here"), often on the line after the mistake.
The recognisers here look at the text around that spot, find the line the
trainer has to change and say how, with the corrected line when it can be
built. Every message ends with the line itself and a caret under the spot,
indented so that it still reads as part of its problem when a SpecError
lists several.

All of this runs only once a spec has failed to read, so it may re-read the
text; nothing here is on the path of a valid spec.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from packetgen.errors import Problem
from packetgen.spec._sources import ODD_KEY_START, ODD_SPACES

__all__ = [
    "NOT_YAML",
    "ODD_KEY_START",
    "new_item_problem",
    "odd_key_problem",
    "reader_problem",
    "refused_problem",
    "show",
    "split_lines",
    "syntax_problem",
    "tag_hint",
]

NOT_YAML = "not valid YAML, so nothing else was checked: "
"""How the message of a spec that cannot be read starts: the trainer learns first
that the other mistakes, if any, will show once this one is fixed."""

_INDENT = "    "
_MAX_SHOWN = 100
"""Columns of a quoted line; a longer line is cut around the caret."""

# YAML's line breaks: a caret must land on the line PyYAML counted.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

_OPEN_CURLY = "\u201c\u2018\u201e\u201a\u00ab\u201d\u2019"
_CLOSE_CURLY = "\u201d\u2019\u201c\u00bb"
_PATH_FIELDS = ("file", "signature", "attendees", "theme")

# A field name as packetgen's fields are written: a word, then a colon ending
# the name (followed by a space or the end of the line).
_KEY = re.compile(r"([^\W\d][\w.-]*)[ \t]*:(?=[ \t]|$)")
_FIELD_WORD = re.compile(r"[a-z_][a-z0-9_]*")
_NO_SPACE = re.compile(r"([^\W\d][\w-]*):(?![\s/:\"'])(\S.*)")
_ODD_AFTER_COLON = re.compile(r"([^\W\d][\w-]*):([" + "".join(ODD_SPACES) + r"]+)(.*)")
_BLOCK_TEXT = re.compile(r"[|>][-+0-9]*\s*(#.*)?")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as YAML counts them (``\\r\\n``, ``\\r`` and ``\\n`` all end one)."""
    return _BREAK.split(text)


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
class _Line:
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


def _read(text: str) -> _Line:
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
    match = _KEY.match(text, at)
    if match:
        key, colon = match.group(1), text.index(":", match.end(1))
        value = colon + 1
        while value < len(text) and text[value] in " \t":
            value += 1
        if value >= len(text):
            value = None
    return _Line(text, first, tuple(dashes), at, key, colon, value)


class _Spot:
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

    def line(self, row: int) -> _Line:
        return _read(self.lines[row] if 0 <= row < len(self.lines) else "")

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


def syntax_problem(text: str, name: str, exc: yaml.MarkedYAMLError) -> Problem:
    """The Problem to report for the YAML error ``exc`` in ``text``."""
    spot = _Spot(name, text, exc)
    for recognise in _RECOGNISERS:
        found = recognise(spot)
        if found is not None:
            return found
    return _generic(spot)


def _generic(spot: _Spot) -> Problem:
    row, col = spot.row, spot.col
    if row >= len(spot.lines) or not spot.lines[row].strip():
        # PyYAML noticed at the end of the file (or on a blank line): the last
        # line with something on it is where the trainer has to look.
        above = spot.previous(row)
        if above is not None:
            row, col = above, len(spot.lines[above].rstrip())
    what = spot.problem or spot.context or "it stopped making sense here"
    return spot.problem_at(
        row,
        col,
        f"YAML could not read this ({what}); check the spaces, colons and quotes"
        " on this line and the line above it",
    )


# ---------------------------------------------------------------- building fixes


def _quoted(value: str) -> str:
    """``value`` in the quotes that keep it exactly as written."""
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _fixed(line: _Line, at: int, new: str) -> str:
    """The line from its first character, with everything from column ``at`` replaced."""
    return line.text[line.first : at] + new


def _value_start(line: _Line) -> int:
    if line.key is not None and line.value is not None:
        return line.value
    return line.content


def _needs_quotes(spot: _Spot, row: int, col: int, why: str) -> Problem | None:
    """The value starting at ``col`` must be in quotes; None when no value starts there."""
    line = spot.line(row)
    if col != _value_start(line) or col >= len(line.text):
        return None
    value = line.text[col:]
    return spot.problem_at(row, col, f"{why}: {_fixed(line, col, _quoted(value))}")


def _start_reason(ch: str) -> str:
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


# ---------------------------------------------------------------- the recognisers


def _odd_indent(spot: _Spot) -> Problem | None:
    """Non-breaking and other look-alike spaces in an indent: invisible, and not spaces to YAML."""
    rows = [spot.row, spot.previous(spot.row)]
    for row in sorted({r for r in rows if r is not None and r < len(spot.lines)}):
        text = spot.lines[row]
        for col, ch in enumerate(text):
            if ch in ODD_SPACES:
                return spot.problem_at(
                    row,
                    col,
                    f"the indent of this line contains {ODD_SPACES[ch]}, which YAML does not"
                    " count as a space (it comes from copying out of a word processor or a web"
                    " page); delete the indent and type it again with the space bar",
                )
            if ch not in " \t":
                break
    return None


def _tab(spot: _Spot) -> Problem | None:
    if "'\\t'" not in spot.problem or spot.row >= len(spot.lines):
        return None
    text = spot.lines[spot.row]
    if not text[: spot.col].strip(" \t"):
        return spot.problem_at(
            spot.row,
            spot.col,
            "this line is indented with a tab, and YAML allows only spaces in an indent;"
            " delete the tab and type spaces, so that the line lines up with the lines"
            " it belongs with",
        )
    fixed = _read(re.sub(r"[ \t]*\t[ \t]*", " ", text))
    return spot.problem_at(
        spot.row,
        spot.col,
        "there is a tab in this line, and YAML allows only spaces here; replace the tab"
        f" with a space: {fixed.text[fixed.first :]}",
    )


_CANNOT_START = re.compile(r"found character '(.)' that cannot start any token")


def _bad_first_character(spot: _Spot) -> Problem | None:
    match = _CANNOT_START.search(spot.problem)
    if match is None:
        return None
    return _needs_quotes(spot, spot.row, spot.col, _start_reason(match.group(1)))


def _special_start(spot: _Spot) -> Problem | None:
    """A value starting with * & | > (an alias, an anchor, a block of text) that is none."""
    if spot.context not in (
        "while scanning an alias",
        "while scanning an anchor",
        "while scanning a block scalar",
    ):
        return None
    line = spot.line(spot.crow)
    ch = line.text[spot.ccol] if spot.ccol < len(line.text) else "*"
    return _needs_quotes(spot, spot.crow, spot.ccol, _start_reason(ch))


def _backslash(spot: _Spot) -> Problem | None:
    """Windows paths in double quotes: ``"handouts\\week1.pdf"`` has the escape ``\\w``."""
    if spot.context != "while scanning a double-quoted scalar" or "escape" not in spot.problem:
        return None
    text = spot.lines[spot.row] if spot.row < len(spot.lines) else ""
    at = text.rfind("\\", 0, spot.col + 1)
    if at < 0:
        return None
    code = text[at : at + 2]
    opened = spot.line(spot.crow)
    fix = "use single quotes instead, which keep every \\ as it is"
    if spot.crow == spot.row:
        inner = opened.text[spot.ccol + 1 :]
        end = _closing(inner, '"')
        if end is not None and not inner[end + 1 :].strip():
            inner = inner[:end]
            pathlike = opened.key in _PATH_FIELDS or re.search(r"\.\w{1,5}$", inner) is not None
            if pathlike:
                fixed = _fixed(opened, spot.ccol, '"' + inner.replace("\\", "/") + '"')
                fix = f"use / between folders instead: {fixed}"
            else:
                fix += ": " + _fixed(opened, spot.ccol, "'" + inner.replace("'", "''") + "'")
    return spot.problem_at(
        spot.row,
        at,
        f"inside double quotes a backslash \\ starts a special code (like \\n for a new line),"
        f" and {code} is not one; {fix}",
    )


def _closing(inner: str, quote: str) -> int | None:
    """Index in ``inner`` (the text after an opening quote) of the quote that closes it."""
    at = 0
    while at < len(inner):
        ch = inner[at]
        if quote == '"' and ch == "\\":
            at += 2
            continue
        if ch == quote:
            if quote == "'" and inner[at + 1 : at + 2] == "'":
                at += 2
                continue
            return at
        at += 1
    return None


def _unclosed_quote(spot: _Spot) -> Problem | None:
    if spot.context != "while scanning a quoted scalar":
        return None
    return _quote_never_closed(spot, spot.crow, spot.ccol, None)


def _quote_never_closed(spot: _Spot, row: int, col: int, closed_on: int | None) -> Problem:
    line = spot.line(row)
    quote = line.text[col] if col < len(line.text) else '"'
    where = (
        f"is not closed on this line (YAML reads on to the {quote} on line {closed_on + 1})"
        if closed_on is not None
        else "is never closed"
    )
    return spot.problem_at(
        row,
        col,
        f"the quote {quote} that starts this value {where}; add {quote} at the end of the"
        f" value: {_fixed(line, len(line.text), quote)}",
    )


def _multiline_quote(spot: _Spot) -> Problem | None:
    """A quote left open on an earlier line that YAML closed at a quote on the line it stopped."""
    opened: tuple[int, int, int] | None = None
    try:
        for token in yaml.scan(spot.text, Loader=yaml.SafeLoader):
            if token.start_mark.line > spot.row:
                break
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in ('"', "'")
                and token.start_mark.line < token.end_mark.line == spot.row
            ):
                opened = (token.start_mark.line, token.start_mark.column, token.end_mark.line)
    except yaml.YAMLError:
        pass
    if opened is None:
        return None
    return _quote_never_closed(spot, opened[0], opened[1], opened[2])


def _missing_colon(spot: _Spot, row: int) -> Problem | None:
    line = spot.line(row)
    content = line.text[line.content :]
    word = content.split(" ", 1)[0]
    if ": " in content or not _FIELD_WORD.fullmatch(word):
        return None
    rest = content[len(word) :].lstrip(" ")
    fixed = _fixed(line, line.content, f"{word}: {rest}" if rest else f"{word}:")
    return spot.problem_at(
        row,
        line.content + len(word),
        f"the field name {word} needs a colon after it: {fixed}",
    )


def _line_mistake(spot: _Spot, row: int) -> Problem | None:
    """Mistakes that make YAML read a field line as plain text: ``title:One``, ``-kind:``."""
    line = spot.line(row)
    content = line.text[line.content :]
    odd = _ODD_AFTER_COLON.match(content)
    if odd:
        fixed = _fixed(line, line.content, f"{odd.group(1)}: {odd.group(3)}")
        return spot.problem_at(
            row,
            line.content + len(odd.group(1)) + 1,
            f"the space after {odd.group(1)}: is {ODD_SPACES[odd.group(2)[0]]}, which YAML"
            f" does not count as a space; type a normal space: {fixed}",
        )
    if line.key is None:
        bare = _NO_SPACE.match(content)
        if bare:
            fixed = _fixed(line, line.content, f"{bare.group(1)}: {bare.group(2)}")
            return spot.problem_at(
                row,
                line.content + len(bare.group(1)) + 1,
                f"a field name needs a space after its colon (without it YAML reads"
                f" {content!r} as text); write: {fixed}",
            )
        if re.match(r"-[^\W\d]", content):
            fixed = _fixed(line, line.content, "- " + content[1:])
            return spot.problem_at(
                row,
                line.content,
                f'a list item needs a space after the "-": {fixed}',
            )
    return None


def _simple_key(spot: _Spot) -> Problem | None:
    """``title One``: PyYAML looks for the colon until the next line and stops there."""
    if spot.context != "while scanning a simple key":
        return None
    row = spot.crow
    found = _line_mistake(spot, row)
    if found is not None:
        return found
    line = spot.line(row)
    above = spot.previous(row)
    if above is not None:
        parent = spot.line(above)
        if parent.opens_text and parent.content >= line.first:
            need = parent.content + 2
            name = f"{parent.key}:" if parent.key else '"-"'
            return spot.problem_at(
                row,
                line.first,
                f"the lines of text under {name} {parent.text[parent.value or 0 :].strip()}"
                f" (line {above + 1}) need more spaces before them than {name} has;"
                f" use {need} spaces",
            )
    content = line.text[line.content :]
    looks_like_field = re.match(r"[a-z_][a-z0-9_]* ", content) is not None
    found = _missing_colon(spot, row) if looks_like_field else None
    if found is None and above is not None and not line.dashes:
        found = _value_below(spot, row, line, above)
    if found is None:
        found = _missing_colon(spot, row)
    if found is not None:
        return found
    if ":" not in content:
        return spot.problem_at(
            row,
            line.content,
            "a line here must be a field with a colon after its name, like title: One,"
            ' or a list item starting with "- "; this line has neither',
        )
    return None


def _value_below(spot: _Spot, row: int, line: _Line, above: int) -> Problem | None:
    """``url:`` with its value on the next line, no further in than the field name."""
    parent = spot.line(above)
    if parent.key is None or parent.value is not None or parent.content < line.first:
        return None
    fixed = _fixed(parent, len(parent.text), " " + line.text[line.content :])
    return spot.problem_at(
        row,
        line.first,
        f"the value of {parent.key}: (line {above + 1}) must be on the same line as"
        f" {parent.key}:, or on the next line with more spaces before it: {fixed}",
    )


def _mapping_value(spot: _Spot) -> Problem | None:
    """``mapping values are not allowed here``: a colon where YAML expects none."""
    if not spot.problem.startswith("mapping values are not allowed"):
        return None
    row, col = spot.row, spot.col
    line = spot.line(row)
    if line.colon != col:
        return _colon_in_value(spot, row, col, line)
    # The colon ends this line's field name: the mistake is in how the line
    # sits under the ones above it, or in the line above.
    above = spot.previous(row)
    owner_row = spot.owner(row, line.first)
    for candidate in (above, owner_row):
        if candidate is not None:
            found = _line_mistake(spot, candidate)
            if found is not None:
                return found
    if above is not None:
        parent = spot.line(above)
        if parent.key is None and parent.content == line.first and not _continues(spot, above):
            found = _missing_colon(spot, above)
            if found is not None:
                return found
    if owner_row is None:
        return None
    owner = spot.line(owner_row)
    if not owner.inline_value or line.first <= owner.content or owner.key is None:
        return None
    label = "this list item" if line.dashes else f"{line.key}:" if line.key else "this line"
    if above != owner_row:
        return spot.problem_at(
            row,
            col,
            f"this line has more spaces than {owner.key}: on line {owner_row + 1}, so YAML reads"
            f" it as more of the text of {owner.key}:, and text with a colon in it must be in"
            f' quotes; put the whole text in quotes, or write "{owner.key}: |" and the text'
            " on the lines below it",
        )
    spaces = _spaces(owner.content)
    value = owner.text[owner.value or 0 :]
    if line.dashes:
        return spot.problem_at(
            row,
            line.first,
            f"this list is indented under {owner.key}: (line {owner_row + 1}), but {owner.key}:"
            f" already has a value on its line ({value}), and a field has either a value or a"
            f" list under it; delete {value} after {owner.key}:",
        )
    if line.first - owner.content == 1:
        return spot.problem_at(
            row,
            line.first,
            f"{label} has {_spaces(line.first)} before it, one more than {owner.key}: on"
            f" line {owner_row + 1}, so YAML reads it as part of the value of {owner.key}:;"
            f" use {spaces}, so that {label} lines up with {owner.key}:",
        )
    return spot.problem_at(
        row,
        line.first,
        f"{label} is indented under {owner.key}: (line {owner_row + 1}), but {owner.key}:"
        f" already has a value on its line ({value}), and a field has either a value or fields"
        " under it;"
        f" use {spaces}, so that {label} lines up with {owner.key}:",
    )


def _spaces(count: int) -> str:
    return "no spaces" if count == 0 else "1 space" if count == 1 else f"{count} spaces"


def _continues(spot: _Spot, row: int) -> bool:
    """Line ``row`` is more of the value of a field above it (a text over several lines)."""
    line = spot.line(row)
    owner_row = spot.owner(row, line.first)
    if owner_row is None:
        return False
    owner = spot.line(owner_row)
    return owner.inline_value or owner.opens_text or (owner.key is None and bool(owner.dashes))


def _colon_in_value(spot: _Spot, row: int, col: int, line: _Line) -> Problem | None:
    start = line.value if line.key is not None and line.value is not None else line.content
    if col < start:
        return None
    value = line.text[start:]
    if value[:1] in _OPEN_CURLY:
        return _curly(spot, row, start, line)
    if value[:1] in ('"', "'"):
        return _early_close(spot, row, start, line)
    fixed = _fixed(line, start, _quoted(value))
    what = 'ends with ":"' if not line.text[col + 1 :].strip() else 'contains ": "'
    return spot.problem_at(
        row,
        col,
        f"a value that {what} must be in quotes (YAML reads a colon followed by a space as"
        f" the end of a field name): {fixed}",
    )


_CURLY_KEY = re.compile(
    "[" + _OPEN_CURLY + r"]([^\W\d][\w.-]*)[" + _CLOSE_CURLY + r"][ \t]*:[ \t]*(.*)"
)


def _curly(spot: _Spot, row: int, start: int, line: _Line) -> Problem:
    value = line.text[start:]
    what = f"the value starts with the curly quote {value[0]}, which YAML does not read as a quote"
    prefix = ""
    key = _CURLY_KEY.fullmatch(value)
    if key is not None:
        # Word put curly quotes around the field name too: it needs none.
        what = "the field name is in curly quotes, which YAML does not read as quotes"
        value, prefix = key.group(2), f"{key.group(1)}: "
    inner = value[1:] if value[:1] in _OPEN_CURLY else value
    if value[:1] in _OPEN_CURLY and inner[-1:] in _CLOSE_CURLY:
        inner = inner[:-1]
    fixed = _fixed(line, start, prefix + _quoted(inner))
    return spot.problem_at(
        row,
        start,
        f"{what} (word processors and TextEdit type them); use straight quotes: {fixed}",
    )


def _early_close(spot: _Spot, row: int, start: int, line: _Line) -> Problem | None:
    """``'Don't panic'``, ``"Wrightslaw" guide``: the quotes end before the value does."""
    value = line.text[start:]
    quote = value[0]
    end = _closing(value[1:], quote)
    if end is None or end + 2 >= len(value):
        return None
    end += 1
    if value.endswith(quote) and len(value) > 2:
        inner = value[1:-1]
        if quote == "'" and '"' not in inner and "\\" not in inner:
            new, how = f'"{inner}"', "put the value in double quotes instead"
        elif quote == "'":
            new, how = "'" + inner.replace("'", "''") + "'", "write each ' inside the value twice"
        else:
            new, how = (
                "'" + inner.replace("'", "''") + "'",
                "put the value in single quotes instead",
            )
    else:
        new, how = _quoted(value), "put the whole value in quotes"
    return spot.problem_at(
        row,
        start + end,
        f"the quotes around this value end too early, at the {quote} after"
        f" {value[1:end]!r}; {how}: {_fixed(line, start, new)}",
    )


def _sequence_entry(spot: _Spot) -> Problem | None:
    """``title: - My packet`` or ``items: - kind: link``: a dash after a field name."""
    if not spot.problem.startswith("sequence entries are not allowed"):
        return None
    line = spot.line(spot.row)
    if line.key is None or spot.col != line.value:
        return None
    item = line.text[spot.col + 1 :].lstrip(" ")
    if _KEY.match(item):
        return spot.problem_at(
            spot.row,
            spot.col,
            f"a list cannot start on the same line as {line.key}:; put"
            f' "- {item}" on the next line, with more spaces before it than {line.key}: has',
        )
    return _needs_quotes(
        spot,
        spot.row,
        spot.col,
        'a value that starts with "- " must be in quotes (YAML reads'
        ' "- " as the start of a list item)',
    )


def _question(spot: _Spot) -> Problem | None:
    if not spot.problem.startswith("mapping keys are not allowed"):
        return None
    return _needs_quotes(spot, spot.row, spot.col, _start_reason("?"))


_NODE_CONTENT = re.compile(r"expected the node content, but found '(.)'")


def _stray_punctuation(spot: _Spot) -> Problem | None:
    """``title: , x`` or ``title: ] x``: punctuation YAML keeps for lists, first in a value."""
    match = _NODE_CONTENT.search(spot.problem)
    if match is None:
        return None
    return _needs_quotes(spot, spot.row, spot.col, _start_reason(match.group(1)))


def _unclosed_bracket(spot: _Spot) -> Problem | None:
    if spot.context not in ("while parsing a flow sequence", "while parsing a flow mapping"):
        return None
    line = spot.line(spot.crow)
    opening = line.text[spot.ccol : spot.ccol + 1] or "["
    closing = "]" if opening == "[" else "}"
    what = "a list" if opening == "[" else "a group of fields"
    if closing in line.text[spot.ccol :]:
        return None
    return _needs_quotes(
        spot,
        spot.crow,
        spot.ccol,
        f"a value that starts with {opening} is read as {what}, and this one is never closed"
        f" with {closing}; if it is text, put it in quotes",
    )


def _after_value(spot: _Spot) -> Problem | None:
    """PyYAML read a whole value and found more on the line, or a line out of place."""
    if not spot.problem.startswith(("expected <block end>", "expected ',' or")):
        return None
    found = _multiline_quote(spot)
    if found is not None:
        return found
    line = spot.line(spot.row)
    if spot.col > line.first:
        start = _value_start(line)
        value = line.text[start:]
        if value[:1] in ('"', "'"):
            return _early_close(spot, spot.row, start, line)
        if value[:1] in "[{":
            closing = "]" if value[0] == "[" else "}"
            return _needs_quotes(
                spot,
                spot.row,
                start,
                f"a value that starts with {value[0]} is read as"
                f" {'a list' if value[0] == '[' else 'a group of fields'}, which ends at the"
                f" {closing}; if the whole value is text, put it in quotes",
            )
        return None
    if line.text[line.content : line.content + 1] == ":":
        return spot.problem_at(
            spot.row,
            line.content,
            "there is no field name before this colon; write the name of the field first,"
            " like title: One",
        )
    return _misaligned(spot, spot.row, line)


@dataclass(frozen=True)
class _Level:
    column: int
    dash: bool
    row: int
    name: str


def _misaligned(spot: _Spot, row: int, line: _Line) -> Problem | None:
    """A field or list item whose indent matches none of the open levels above it."""
    levels: list[_Level] = []
    text_over: int | None = None  # lines indented past this column are a value's text
    for above in range(min(row, len(spot.lines))):
        seen = spot.line(above)
        if seen.blank or (text_over is not None and seen.first > text_over):
            continue
        text_over = None
        while levels and levels[-1].column >= seen.first:
            levels.pop()
        levels.extend(_Level(d, True, above, "-") for d in seen.dashes)
        if seen.key is not None:
            levels.append(_Level(seen.content, False, above, seen.key))
            if seen.value is not None:
                text_over = seen.content
        elif seen.dashes and seen.content < len(seen.text):
            text_over = seen.dashes[-1]
    dash = bool(line.dashes)
    if not dash and line.key is None:
        return None
    same = [lv for lv in levels if lv.dash == dash] or levels
    if not same or any(lv.column == line.first for lv in same):
        return None
    best = min(same, key=lambda lv: (abs(lv.column - line.first), -lv.column))
    if dash:
        return spot.problem_at(
            row,
            line.first,
            f'the "-" has {_spaces(line.first)} before it and does not line up with the list'
            f" above it; use {_spaces(best.column)}, so that it lines up with the"
            f' "-" on line {best.row + 1}',
        )
    return spot.problem_at(
        row,
        line.first,
        f"{line.key}: has {_spaces(line.first)} before it and does not line up with the"
        f" fields above it; use {_spaces(best.column)}, so that it lines up with"
        f" {best.name}: on line {best.row + 1}",
    )


def _two_documents(spot: _Spot) -> Problem | None:
    if spot.context != "expected a single document in the stream":
        return None
    return spot.problem_at(
        spot.row,
        spot.col,
        'a line with only "---" here starts a second spec in the same file, and a spec file'
        " holds one packet; delete this line (and the lines after it that do not belong to"
        " the packet)",
    )


def _document_end(spot: _Spot) -> Problem | None:
    if not spot.problem.startswith("expected '<document start>'"):
        return None
    for row in range(min(spot.row, len(spot.lines)) - 1, -1, -1):
        if spot.lines[row].rstrip() == "...":
            return spot.problem_at(
                row,
                0,
                'a line with only "..." ends the spec, so the lines after it cannot be read;'
                " delete it",
            )
    return None


_RECOGNISERS: tuple[Callable[[_Spot], Problem | None], ...] = (
    _odd_indent,
    _tab,
    _bad_first_character,
    _special_start,
    _backslash,
    _unclosed_quote,
    _simple_key,
    _mapping_value,
    _sequence_entry,
    _question,
    _stray_punctuation,
    _unclosed_bracket,
    _after_value,
    _two_documents,
    _document_end,
)


# ---------------------------------------------------------------- problems found elsewhere


def _position(text: str, index: int) -> tuple[int, int]:
    """0-based (line, column) of ``text[index]``, counting lines as YAML does."""
    row = 0
    start = 0
    for match in _BREAK.finditer(text, 0, index):
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
        line = _read(lines[mark.line] if mark.line < len(lines) else "")
        after = line.text[mark.column :].split(" ", 1)[1:]
        on_a_field = bool(after) and _KEY.match(after[0].lstrip(" ")) is not None
        if mark.column == _value_start(line) and mark.column < len(line.text) and not on_a_field:
            fixed = _fixed(line, mark.column, _quoted(line.text[mark.column :]))
            reason = _start_reason(start)
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
    line = _read(text)
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
        line = _read(text)
        fixed = _fixed(line, mark.column, "- " + text[mark.column + 1 :])
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
    line = _read(text)
    if mark.column != _value_start(line) or text[mark.column : mark.column + 1] != "!":
        return ""
    fixed = _fixed(line, mark.column, _quoted(text[mark.column :]))
    return (
        f"; if the value is text that starts with !, put it in quotes: {fixed}"
        f"\n{show(text, mark.column)}"
    )
