"""Recognisers of values that must be in quotes, or whose quotes are wrong:
a value starting with a character YAML reserves, a colon or backslash inside
a value, quotes never closed, closed too early, or curly.
"""

from __future__ import annotations

import re

import yaml

from packetgen.errors import Problem
from packetgen.spec._yaml_help._lines import (
    KEY,
    Line,
    Spot,
    fixed_line,
    needs_quotes,
    quoted,
    start_reason,
)

_OPEN_CURLY = "\u201c\u2018\u201e\u201a\u00ab\u201d\u2019"
_CLOSE_CURLY = "\u201d\u2019\u201c\u00bb"
_PATH_FIELDS = ("file", "signature", "attendees", "theme")


_CANNOT_START = re.compile(r"found character '(.)' that cannot start any token")


def bad_first_character(spot: Spot) -> Problem | None:
    match = _CANNOT_START.search(spot.problem)
    if match is None:
        return None
    return needs_quotes(spot, spot.row, spot.col, start_reason(match.group(1)))


def special_start(spot: Spot) -> Problem | None:
    """A value starting with * & | > (an alias, an anchor, a block of text) that is none."""
    if spot.context not in (
        "while scanning an alias",
        "while scanning an anchor",
        "while scanning a block scalar",
    ):
        return None
    line = spot.line(spot.crow)
    ch = line.text[spot.ccol] if spot.ccol < len(line.text) else "*"
    return needs_quotes(spot, spot.crow, spot.ccol, start_reason(ch))


def backslash(spot: Spot) -> Problem | None:
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
                fixed = fixed_line(opened, spot.ccol, '"' + inner.replace("\\", "/") + '"')
                fix = f"use / between folders instead: {fixed}"
            else:
                fix += ": " + fixed_line(opened, spot.ccol, "'" + inner.replace("'", "''") + "'")
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


def unclosed_quote(spot: Spot) -> Problem | None:
    if spot.context != "while scanning a quoted scalar":
        return None
    return _quote_never_closed(spot, spot.crow, spot.ccol, None)


def _quote_never_closed(spot: Spot, row: int, col: int, closed_on: int | None) -> Problem:
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
        f" value: {fixed_line(line, len(line.text), quote)}",
    )


def multiline_quote(spot: Spot) -> Problem | None:
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


def colon_in_value(spot: Spot, row: int, col: int, line: Line) -> Problem | None:
    start = line.value if line.key is not None and line.value is not None else line.content
    if col < start:
        return None
    value = line.text[start:]
    if value[:1] in _OPEN_CURLY:
        return _curly(spot, row, start, line)
    if value[:1] in ('"', "'"):
        return early_close(spot, row, start, line)
    fixed = fixed_line(line, start, quoted(value))
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


def _curly(spot: Spot, row: int, start: int, line: Line) -> Problem:
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
    fixed = fixed_line(line, start, prefix + quoted(inner))
    return spot.problem_at(
        row,
        start,
        f"{what} (word processors and TextEdit type them); use straight quotes: {fixed}",
    )


def early_close(spot: Spot, row: int, start: int, line: Line) -> Problem | None:
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
        new, how = quoted(value), "put the whole value in quotes"
    return spot.problem_at(
        row,
        start + end,
        f"the quotes around this value end too early, at the {quote} after"
        f" {value[1:end]!r}; {how}: {fixed_line(line, start, new)}",
    )


def sequence_entry(spot: Spot) -> Problem | None:
    """``title: - My packet`` or ``items: - kind: link``: a dash after a field name."""
    if not spot.problem.startswith("sequence entries are not allowed"):
        return None
    line = spot.line(spot.row)
    if line.key is None or spot.col != line.value:
        return None
    item = line.text[spot.col + 1 :].lstrip(" ")
    if KEY.match(item):
        return spot.problem_at(
            spot.row,
            spot.col,
            f"a list cannot start on the same line as {line.key}:; put"
            f' "- {item}" on the next line, with more spaces before it than {line.key}: has',
        )
    return needs_quotes(
        spot,
        spot.row,
        spot.col,
        'a value that starts with "- " must be in quotes (YAML reads'
        ' "- " as the start of a list item)',
    )


def question(spot: Spot) -> Problem | None:
    if not spot.problem.startswith("mapping keys are not allowed"):
        return None
    return needs_quotes(spot, spot.row, spot.col, start_reason("?"))


_NODE_CONTENT = re.compile(r"expected the node content, but found '(.)'")


def stray_punctuation(spot: Spot) -> Problem | None:
    """``title: , x`` or ``title: ] x``: punctuation YAML keeps for lists, first in a value."""
    match = _NODE_CONTENT.search(spot.problem)
    if match is None:
        return None
    return needs_quotes(spot, spot.row, spot.col, start_reason(match.group(1)))


def unclosed_bracket(spot: Spot) -> Problem | None:
    if spot.context not in ("while parsing a flow sequence", "while parsing a flow mapping"):
        return None
    line = spot.line(spot.crow)
    opening = line.text[spot.ccol : spot.ccol + 1] or "["
    closing = "]" if opening == "[" else "}"
    what = "a list" if opening == "[" else "a group of fields"
    if closing in line.text[spot.ccol :]:
        return None
    return needs_quotes(
        spot,
        spot.crow,
        spot.ccol,
        f"a value that starts with {opening} is read as {what}, and this one is never closed"
        f" with {closing}; if it is text, put it in quotes",
    )
