"""Read YAML, JSON and TOML spec files into plain data plus a position map.

PyYAML's own constructors would lose line numbers, silently keep the last of
duplicate keys and happily expand alias bombs, so YAML is composed into nodes
and turned into data here, one node at a time (:mod:`._yaml`); JSON and TOML
are read by the standard library (:mod:`._data`). The position map lets every
later error point at ``file:line:col``.
"""

from __future__ import annotations

from packetgen.spec._sources._data import parse_json, parse_toml
from packetgen.spec._sources._doc import (
    Loc,
    SourceDoc,
    SourceProblems,
    count_digits,
    dotted,
    shallow,
)
from packetgen.spec._sources._yaml import parse_yaml

__all__ = [
    "Loc",
    "SourceDoc",
    "SourceProblems",
    "count_digits",
    "dotted",
    "parse",
    "shallow",
]


def parse(text: str, *, name: str, fmt: str) -> SourceDoc:
    """Parse ``text`` in format ``fmt`` ("yaml", "json" or "toml")."""
    if fmt == "json":
        return shallow(parse_json(text, name), name)
    if fmt == "toml":
        return shallow(parse_toml(text, name), name)
    return parse_yaml(text, name)
