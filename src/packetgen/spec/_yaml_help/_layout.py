"""Recognisers of lines out of place: tabs and look-alike spaces in an indent,
a field name without its colon, a value below its field, indents that line up
with nothing above, and a second document in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packetgen.errors import Problem
from packetgen.spec._spaces import ODD_SPACES
from packetgen.spec._yaml_help._lines import (
    Line,
    Spot,
    fixed_line,
    needs_quotes,
    read_line,
    value_start,
)
from packetgen.spec._yaml_help._quotes import colon_in_value, early_close, multiline_quote

_FIELD_WORD = re.compile(r"[a-z_][a-z0-9_]*")
_NO_SPACE = re.compile(r"([^\W\d][\w-]*):(?![\s/:\"'])(\S.*)")
_ODD_AFTER_COLON = re.compile(r"([^\W\d][\w-]*):([" + "".join(ODD_SPACES) + r"]+)(.*)")


def odd_indent(spot: Spot) -> Problem | None:
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


def tab(spot: Spot) -> Problem | None:
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
    fixed = read_line(re.sub(r"[ \t]*\t[ \t]*", " ", text))
    return spot.problem_at(
        spot.row,
        spot.col,
        "there is a tab in this line, and YAML allows only spaces here; replace the tab"
        f" with a space: {fixed.text[fixed.first :]}",
    )


def _missing_colon(spot: Spot, row: int) -> Problem | None:
    line = spot.line(row)
    content = line.text[line.content :]
    word = content.split(" ", 1)[0]
    if ": " in content or not _FIELD_WORD.fullmatch(word):
        return None
    rest = content[len(word) :].lstrip(" ")
    fixed = fixed_line(line, line.content, f"{word}: {rest}" if rest else f"{word}:")
    return spot.problem_at(
        row,
        line.content + len(word),
        f"the field name {word} needs a colon after it: {fixed}",
    )


def _line_mistake(spot: Spot, row: int) -> Problem | None:
    """Mistakes that make YAML read a field line as plain text: ``title:One``, ``-kind:``."""
    line = spot.line(row)
    content = line.text[line.content :]
    odd = _ODD_AFTER_COLON.match(content)
    if odd:
        fixed = fixed_line(line, line.content, f"{odd.group(1)}: {odd.group(3)}")
        return spot.problem_at(
            row,
            line.content + len(odd.group(1)) + 1,
            f"the space after {odd.group(1)}: is {ODD_SPACES[odd.group(2)[0]]}, which YAML"
            f" does not count as a space; type a normal space: {fixed}",
        )
    if line.key is None:
        bare = _NO_SPACE.match(content)
        if bare:
            fixed = fixed_line(line, line.content, f"{bare.group(1)}: {bare.group(2)}")
            return spot.problem_at(
                row,
                line.content + len(bare.group(1)) + 1,
                f"a field name needs a space after its colon (without it YAML reads"
                f" {content!r} as text); write: {fixed}",
            )
        if re.match(r"-[^\W\d]", content):
            fixed = fixed_line(line, line.content, "- " + content[1:])
            return spot.problem_at(
                row,
                line.content,
                f'a list item needs a space after the "-": {fixed}',
            )
    return None


def simple_key(spot: Spot) -> Problem | None:
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


def _value_below(spot: Spot, row: int, line: Line, above: int) -> Problem | None:
    """``url:`` with its value on the next line, no further in than the field name."""
    parent = spot.line(above)
    if parent.key is None or parent.value is not None or parent.content < line.first:
        return None
    fixed = fixed_line(parent, len(parent.text), " " + line.text[line.content :])
    return spot.problem_at(
        row,
        line.first,
        f"the value of {parent.key}: (line {above + 1}) must be on the same line as"
        f" {parent.key}:, or on the next line with more spaces before it: {fixed}",
    )


def mapping_value(spot: Spot) -> Problem | None:
    """``mapping values are not allowed here``: a colon where YAML expects none."""
    if not spot.problem.startswith("mapping values are not allowed"):
        return None
    row, col = spot.row, spot.col
    line = spot.line(row)
    if line.colon != col:
        return colon_in_value(spot, row, col, line)
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


def _continues(spot: Spot, row: int) -> bool:
    """Line ``row`` is more of the value of a field above it (a text over several lines)."""
    line = spot.line(row)
    owner_row = spot.owner(row, line.first)
    if owner_row is None:
        return False
    owner = spot.line(owner_row)
    return owner.inline_value or owner.opens_text or (owner.key is None and bool(owner.dashes))


def after_value(spot: Spot) -> Problem | None:
    """PyYAML read a whole value and found more on the line, or a line out of place."""
    if not spot.problem.startswith(("expected <block end>", "expected ',' or")):
        return None
    found = multiline_quote(spot)
    if found is not None:
        return found
    line = spot.line(spot.row)
    if spot.col > line.first:
        start = value_start(line)
        value = line.text[start:]
        if value[:1] in ('"', "'"):
            return early_close(spot, spot.row, start, line)
        if value[:1] in "[{":
            closing = "]" if value[0] == "[" else "}"
            return needs_quotes(
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


def _misaligned(spot: Spot, row: int, line: Line) -> Problem | None:
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


def two_documents(spot: Spot) -> Problem | None:
    if spot.context != "expected a single document in the stream":
        return None
    return spot.problem_at(
        spot.row,
        spot.col,
        'a line with only "---" here starts a second spec in the same file, and a spec file'
        " holds one packet; delete this line (and the lines after it that do not belong to"
        " the packet)",
    )


def document_end(spot: Spot) -> Problem | None:
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
