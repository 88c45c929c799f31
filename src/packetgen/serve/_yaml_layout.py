"""The trainer's YAML file as written: its own indentation, and its comment lines.

ruamel.yaml reads the file into a round-trip tree and writes it back with the
indentation found to reproduce it. Comment lines after a value are moved with
the entries they are about when the tree changes (see below).
"""

from __future__ import annotations

import difflib
import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

from packetgen.spec._sources import parse

__all__ = [
    "Lines",
    "comment_tokens",
    "dump",
    "entries_column",
    "give_entry",
    "give_trailing",
    "load_round_trip",
    "new_yaml",
    "outer_trailing",
    "pre_lines",
    "read_as_packetgen",
    "split_lines",
    "take_entry",
]

_STARTER_INDENT = (2, 4, 2)
"""mapping, sequence, offset: ``key:`` then ``  - item`` as the starter writes them."""
_INDENTS = (_STARTER_INDENT, (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 4, 0))
_WIDTH = 1_000_000
"""Never fold a long line the trainer wrote on one line."""


# -- reading and writing YAML ----------------------------------------------------


def new_yaml(indent: tuple[int, int, int] = _STARTER_INDENT) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return yaml


def dump(yaml: YAML, tree: Any) -> str:
    stream = io.StringIO()
    yaml.dump(tree, stream)
    return stream.getvalue()


def load_round_trip(text: str) -> tuple[YAML, Any]:
    """The file's tree, and a YAML set up to write the file back exactly (its own
    indentation), or as near as ruamel.yaml can."""
    best: tuple[float, YAML, Any] | None = None
    for indent in _INDENTS:
        yaml = new_yaml(indent)
        tree = yaml.load(text)
        written = dump(yaml, tree)
        if written == text:
            return yaml, yaml.load(text)
        score = difflib.SequenceMatcher(None, written, text, autojunk=False).quick_ratio()
        if best is None or score > best[0]:
            best = (score, yaml, tree)
    assert best is not None
    return best[1], best[1].load(text)


def read_as_packetgen(text: str, name: str) -> Any:
    """What packetgen reads from ``text`` (dates as dates, blocks without their last line break)."""
    return parse(text, name=name, fmt="yaml").data


# -- comments that belong to what follows a node ---------------------------------

# ruamel.yaml keeps the comment lines after a value in the end-of-line comment of
# the last scalar before them, however deep that is. Lines below the first are
# about what comes next (the next item, or the next key outside), so they are
# taken off before entries move and given back where they belong afterwards.

Lines = list[tuple[int, str]]
"""(column, text) of comment lines; text "" is a blank line."""


def _is_block(value: Any) -> bool:
    return (
        isinstance(value, CommentedMap | CommentedSeq)
        and len(value) > 0
        and not value.fa.flow_style()
    )


def _slot(container: Any) -> int:
    return 2 if isinstance(container, CommentedMap) else 0


def _last_key(container: Any) -> Any:
    return next(reversed(container)) if isinstance(container, CommentedMap) else len(container) - 1


def _take_trailing(node: Any) -> Lines:
    if not _is_block(node):
        return []
    return take_entry(node, _last_key(node))


def take_entry(container: Any, key: Any) -> Lines:
    lines = _take_trailing(container[key])
    entry = container.ca.items.get(key)
    slot = _slot(container)
    token = entry[slot] if entry is not None and len(entry) > slot else None
    if token is None or not isinstance(token.value, str):
        return lines
    if isinstance(container[key], LiteralScalarString | FoldedScalarString):
        first, rest = "", token.value  # a block's line has ended: every line is after it
    else:
        first, _, rest = token.value.partition("\n")
    if not rest:
        return lines
    taken: Lines = []
    for line in rest.split("\n")[:-1] if rest.endswith("\n") else rest.split("\n"):
        stripped = line.lstrip(" ")
        taken.append((len(line) - len(stripped), stripped))
    if first.strip():
        token.value = first + "\n"
    else:
        entry[slot] = None
    return lines + taken


def give_trailing(node: Any, lines: Lines) -> bool:
    if not lines:
        return True
    if not isinstance(node, CommentedMap | CommentedSeq) or len(node) == 0:
        return False
    if node.fa.flow_style():
        return False
    return give_entry(node, _last_key(node), lines)


def give_entry(container: Any, key: Any, lines: Lines) -> bool:
    if _is_block(container[key]) and give_trailing(container[key], lines):
        return True
    slot = _slot(container)
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    while len(entry) <= slot:
        entry.append(None)
    token = entry[slot]
    text = "".join((" " * col + line if line else "") + "\n" for col, line in lines)
    if token is not None and isinstance(token.value, str):
        token.value = token.value.rstrip("\n") + "\n" + text
    else:
        column = next((col for col, line in lines if line), 0)
        # After a block scalar the line has ended already; elsewhere the value's
        # line ends first (a token starting with a line break has no comment on it).
        # ruamel.yaml writes the first line of such a token at its column.
        block = isinstance(container[key], LiteralScalarString | FoldedScalarString)
        text = text.lstrip(" ") if block else "\n" + text
        entry[slot] = CommentToken(text, CommentMark(column), None)
    return True


def entries_column(node: Any) -> int | None:
    """Where the entries of a block list (its dashes) or mapping (its keys) start."""
    col = getattr(getattr(node, "lc", None), "col", None)
    return col if isinstance(col, int) else None


def split_lines(lines: Lines, column: int | None) -> tuple[Lines, Lines]:
    """Lines indented deeper than ``column`` (about what ends there), then the rest
    (about what follows), blank lines before the rest going with it."""
    if column is None:
        return [], lines
    at = next((i for i, (col, text) in enumerate(lines) if text and col <= column), len(lines))
    while at > 0 and not lines[at - 1][1]:
        at -= 1
    return lines[:at], lines[at:]


def outer_trailing(node: Any) -> Lines:
    """The comment lines after ``node`` that are not indented into its last entry;
    the deeper ones are left where they are."""
    if not _is_block(node):
        return []
    inner, outer = split_lines(_take_trailing(node), entries_column(node))
    give_trailing(node, inner)
    return outer


def comment_tokens(lines: Lines) -> list[CommentToken]:
    return [
        CommentToken((line if line else "") + "\n", CommentMark(col if line else 0), None)
        for col, line in lines
    ]


def pre_lines(seq: CommentedSeq, index: int) -> Lines:
    """Comment lines ruamel.yaml keeps before entry ``index`` (after a flow value)."""
    entry = seq.ca.items.get(index)
    if entry is None or len(entry) < 2 or not entry[1]:
        return []
    lines: Lines = []
    for token in entry[1]:
        for line in str(token.value).split("\n")[:-1]:
            stripped = line.lstrip(" ")
            col = len(line) - len(stripped)
            if not lines and line == stripped:  # the first line's indent is the token's column
                col = token.column or 0
            lines.append((col, stripped))
    entry[1] = None
    return lines
