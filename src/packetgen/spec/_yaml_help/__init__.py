"""YAML mistakes a trainer makes typing a spec by hand, explained in plain words.

PyYAML stops at the first thing it cannot read and names it in parser terms
("mapping values are not allowed here"), often on the line after the mistake.
The recognisers look at the text around that spot, find the line the
trainer has to change and say how, with the corrected line when it can be
built: values that need quotes or have wrong ones (:mod:`._quotes`), lines
out of place (:mod:`._layout`), and mistakes found while reading rather than
parsing (:mod:`._elsewhere`); :mod:`._lines` reads a line as a person does.
Every message ends with the line itself and a caret under the spot, indented
so that it still reads as part of its problem when a SpecError lists several.

All of this runs only once a spec has failed to read, so it may re-read the
text; nothing here is on the path of a valid spec.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

from packetgen.errors import Problem
from packetgen.spec._spaces import ODD_KEY_START
from packetgen.spec._yaml_help._elsewhere import (
    new_item_problem,
    odd_key_problem,
    reader_problem,
    refused_problem,
    tag_hint,
)
from packetgen.spec._yaml_help._layout import (
    after_value,
    document_end,
    mapping_value,
    odd_indent,
    simple_key,
    tab,
    two_documents,
)
from packetgen.spec._yaml_help._lines import NOT_YAML, Spot, show, split_lines
from packetgen.spec._yaml_help._quotes import (
    backslash,
    bad_first_character,
    question,
    sequence_entry,
    special_start,
    stray_punctuation,
    unclosed_bracket,
    unclosed_quote,
)

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

_RECOGNISERS: tuple[Callable[[Spot], Problem | None], ...] = (
    odd_indent,
    tab,
    bad_first_character,
    special_start,
    backslash,
    unclosed_quote,
    simple_key,
    mapping_value,
    sequence_entry,
    question,
    stray_punctuation,
    unclosed_bracket,
    after_value,
    two_documents,
    document_end,
)


def syntax_problem(text: str, name: str, exc: yaml.MarkedYAMLError) -> Problem:
    """The Problem to report for the YAML error ``exc`` in ``text``."""
    spot = Spot(name, text, exc)
    for recognise in _RECOGNISERS:
        found = recognise(spot)
        if found is not None:
            return found
    return _generic(spot)


def _generic(spot: Spot) -> Problem:
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
