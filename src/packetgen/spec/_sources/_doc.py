"""A spec as read from its file: plain data, where each value sat, and the limits
every format gets (nesting depth, length of numbers).

In: the data a parser made. Out: a :class:`SourceDoc`, or :class:`SourceProblems`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from packetgen.errors import Problem

Loc = tuple[str | int, ...]

MAX_DEPTH = 64
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels of lists and mappings)"


@dataclass
class SourceDoc:
    """Plain data read from a spec file, with where each value came from."""

    data: Any
    positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    """1-based (line, column) of each value, keyed by its path."""
    key_positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    """1-based (line, column) of each mapping key, keyed by the path it names."""
    raw: dict[Loc, str] = field(default_factory=dict)
    """The source text of unquoted scalars, to explain what YAML made of them."""


class SourceProblems(Exception):
    """Internal: the file could not be read into data at all."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def shallow(doc: SourceDoc, name: str) -> SourceDoc:
    """Refuse data nested deeper, or with longer numbers, than a spec file may have:
    the limits YAML gets while composing, for JSON and TOML data (and data given
    to the library)."""
    stack: list[tuple[Any, Loc]] = [(doc.data, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > MAX_DEPTH:
            raise SourceProblems([Problem(name, None, None, "", TOO_DEEP)])
        if isinstance(value, dict):
            stack.extend((child, (*loc, key)) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, (*loc, i)) for i, child in enumerate(value))
        elif huge(value):
            # TOML's 0x/0o/0b integers have no length limit in Python.
            where = doc.positions.get(loc)
            line, col = where if where is not None else (None, None)
            raise SourceProblems(
                [Problem(name, line, col, dotted(loc), too_long_number(count_digits(value)))]
            )
    return doc


MAX_DIGITS = 100
"""Integers in any format: no field needs more than a few digits, and Python
cannot even print an integer of more than 4,300 (which hex allows)."""


def huge(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_DIGITS


def count_digits(value: int) -> int:
    """Decimal digits of ``value``, without str() (which fails past 4,300)."""
    if value.bit_length() < 10_000:
        return len(str(abs(value)))
    return int(value.bit_length() * 0.30103) + 1  # log10(2): close enough to report


def too_long_number(digits: str | int) -> str:
    count = sum(ch.isdigit() for ch in digits) if isinstance(digits, str) else digits
    return f"expected a number of reasonable size, found one with {count:,} digits"


def not_finite(text: str) -> str:
    return f"expected a finite number, found {text.strip()[:40]!r}"


def dotted(loc: Loc) -> str:
    """``('inservices', 0, 'items', 2, 'url')`` → ``inservices[0].items[2].url``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
