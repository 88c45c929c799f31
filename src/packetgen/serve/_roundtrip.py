"""Write new spec data into a trainer's YAML file, changing only what changed.

``packetgen edit`` receives the whole spec as JSON from the browser. Dumping
it afresh would lose every comment the trainer wrote and reorder their keys,
so the data is applied onto ruamel.yaml's round-trip tree of the file as it
is: values equal to what packetgen reads from the file keep their node (and
its quoting, style and comments), removed keys are deleted, new keys go
where the spec models put them, and list entries are matched to their old
entries (id, then kind and title, then equality, then position) so that a
moved item takes its comments along.

ruamel.yaml reads YAML 1.2; packetgen reads with PyYAML (YAML 1.1), where
``yes``, ``no``, ``on`` and ``2026-01-15`` are not text. So the new text is
read back the way packetgen reads it, and every value read differently from
what was sent is quoted.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import io
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from packetgen.errors import PacketgenError
from packetgen.spec._sources import Loc, SourceProblems, parse
from packetgen.spec.models import _KIND_MODELS, InService, Packet, _ItemBase

__all__ = ["RoundTripError", "apply_data", "fresh_yaml", "to_json"]

_STARTER_INDENT = (2, 4, 2)
"""mapping, sequence, offset: ``key:`` then ``  - item`` as the starter writes them."""
_INDENTS = (_STARTER_INDENT, (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 4, 0))
_WIDTH = 1_000_000
"""Never fold a long line the trainer wrote on one line."""
_MAX_QUOTING_ROUNDS = 4


class RoundTripError(PacketgenError):
    """The new data could not be written so that packetgen reads it back as sent."""


# -- JSON form -----------------------------------------------------------------


def to_json(value: Any) -> Any:
    """``value`` as JSON can carry it: dates become ``YYYY-MM-DD`` strings."""
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


# -- what the models say about a place in the spec ----------------------------


def _model_of(model: type[BaseModel] | None, key: str, value: Any) -> type[BaseModel] | None:
    """The model of the mapping (or of each entry of the list) held by ``model.key``."""
    if model is None:
        return None
    if model is InService and key == "items":
        kind = value.get("kind") if isinstance(value, Mapping) else None
        return _KIND_MODELS.get(kind, _ItemBase) if isinstance(kind, str) else _ItemBase
    info = model.model_fields.get(key)
    if info is None:
        return None
    from packetgen.spec.loader import _model_in  # the loader's own reading of X | None, list[X]

    found = _model_in(info.annotation)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def _entry_model(model: type[BaseModel] | None, value: Any) -> type[BaseModel] | None:
    """An item's own model (by its kind) where the list only says "an item"."""
    if model is not None and issubclass(model, _ItemBase) and isinstance(value, Mapping):
        kind = value.get("kind")
        return _KIND_MODELS.get(kind, _ItemBase) if isinstance(kind, str) else _ItemBase
    return model


def _is_date_field(model: type[BaseModel] | None, key: str) -> bool:
    if model is None:
        return False
    info = model.model_fields.get(key)
    return info is not None and _mentions_date(info.annotation)


def _mentions_date(annotation: Any) -> bool:
    if annotation is _dt.date:
        return True
    return any(_mentions_date(arg) for arg in getattr(annotation, "__args__", ()) or ())


def _field_order(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    names = list(model.model_fields)
    # People read an item by its kind first (as the starter and `import` write it).
    if "kind" in names or issubclass(model, _ItemBase):
        names = ["kind", *(n for n in names if n != "kind")]
    return names


def expected_data(data: Any, model: type[BaseModel] | None = Packet) -> Any:
    """The browser's JSON as packetgen should read it from the file: ISO strings
    in date fields become dates (other strings stay text, whatever they look like)."""
    if isinstance(data, Mapping):
        model = _entry_model(model, data)
        out: dict[str, Any] = {}
        for key, value in data.items():
            if value is None:
                continue  # null removes the field (as leaving it out does)
            if _is_date_field(model, key) and isinstance(value, str):
                try:
                    out[key] = _dt.date.fromisoformat(value)
                except ValueError:
                    out[key] = value  # not a date: kept as typed, the check says why
                continue
            if isinstance(value, list):
                out[key] = [expected_data(v, _model_of(model, key, v)) for v in value]
            else:
                out[key] = expected_data(value, _model_of(model, key, value))
        return out
    if isinstance(data, list):
        return [expected_data(v, None) for v in data]
    return data


# -- comparing what packetgen reads with what was sent -------------------------


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same kind: True is not 1, 1.0 is not "1.0", a date is not its text."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, _dt.date) or isinstance(b, _dt.date):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _same_unordered(a: Any, b: Any) -> bool:
    """Equal as data (key order aside): an unchanged value keeps its node."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same_unordered(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_unordered(x, y) for x, y in zip(a, b, strict=True))
    return _same(a, b)


def _differences(read: Any, sent: Any, loc: Loc = ()) -> list[Loc]:
    """Where ``read`` (packetgen's reading of the new text) differs from ``sent``."""
    if isinstance(read, Mapping) and isinstance(sent, Mapping):
        if read.keys() != sent.keys():
            return [loc]
        return [d for k in sent for d in _differences(read[k], sent[k], (*loc, k))]
    if isinstance(read, list) and isinstance(sent, list):
        if len(read) != len(sent):
            return [loc]
        return [d for i, (r, s) in enumerate(zip(read, sent, strict=True)) for d in
                _differences(r, s, (*loc, i))]  # fmt: skip
    return [] if _same(read, sent) else [loc]


# -- reading and writing YAML ----------------------------------------------------


def _yaml(indent: tuple[int, int, int] = _STARTER_INDENT) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return yaml


def _dump(yaml: YAML, tree: Any) -> str:
    stream = io.StringIO()
    yaml.dump(tree, stream)
    return stream.getvalue()


def _load_round_trip(text: str) -> tuple[YAML, Any]:
    """The file's tree, and a YAML set up to write the file back exactly (its own
    indentation), or as near as ruamel.yaml can."""
    best: tuple[float, YAML, Any] | None = None
    for indent in _INDENTS:
        yaml = _yaml(indent)
        tree = yaml.load(text)
        written = _dump(yaml, tree)
        if written == text:
            return yaml, yaml.load(text)
        score = difflib.SequenceMatcher(None, written, text, autojunk=False).quick_ratio()
        if best is None or score > best[0]:
            best = (score, yaml, tree)
    assert best is not None
    return best[1], best[1].load(text)


def _read(text: str, name: str) -> Any:
    """What packetgen reads from ``text`` (dates as dates, blocks without their last line break)."""
    return parse(text, name=name, fmt="yaml").data


# -- comments that belong to what follows a node ---------------------------------

# ruamel.yaml keeps the comment lines after a value in the end-of-line comment of
# the last scalar before them, however deep that is. Lines below the first are
# about what comes next (the next item, or the next key outside), so they are
# taken off before entries move and given back where they belong afterwards.

_Lines = list[tuple[int, str]]
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


def _take_trailing(node: Any) -> _Lines:
    if not _is_block(node):
        return []
    return _take_entry(node, _last_key(node))


def _take_entry(container: Any, key: Any) -> _Lines:
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
    taken: _Lines = []
    for line in rest.split("\n")[:-1] if rest.endswith("\n") else rest.split("\n"):
        stripped = line.lstrip(" ")
        taken.append((len(line) - len(stripped), stripped))
    if first.strip():
        token.value = first + "\n"
    else:
        entry[slot] = None
    return lines + taken


def _give_trailing(node: Any, lines: _Lines) -> bool:
    if not lines:
        return True
    if not isinstance(node, CommentedMap | CommentedSeq) or len(node) == 0:
        return False
    if node.fa.flow_style():
        return False
    return _give_entry(node, _last_key(node), lines)


def _give_entry(container: Any, key: Any, lines: _Lines) -> bool:
    if _is_block(container[key]) and _give_trailing(container[key], lines):
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


def _column(node: Any) -> int | None:
    """Where the entries of a block list (its dashes) or mapping (its keys) start."""
    col = getattr(getattr(node, "lc", None), "col", None)
    return col if isinstance(col, int) else None


def _split(lines: _Lines, column: int | None) -> tuple[_Lines, _Lines]:
    """Lines indented deeper than ``column`` (about what ends there), then the rest
    (about what follows), blank lines before the rest going with it."""
    if column is None:
        return [], lines
    at = next((i for i, (col, text) in enumerate(lines) if text and col <= column), len(lines))
    while at > 0 and not lines[at - 1][1]:
        at -= 1
    return lines[:at], lines[at:]


def _outer_trailing(node: Any) -> _Lines:
    """The comment lines after ``node`` that are not indented into its last entry;
    the deeper ones are left where they are."""
    if not _is_block(node):
        return []
    inner, outer = _split(_take_trailing(node), _column(node))
    _give_trailing(node, inner)
    return outer


def _tokens(lines: _Lines) -> list[CommentToken]:
    return [
        CommentToken((line if line else "") + "\n", CommentMark(col if line else 0), None)
        for col, line in lines
    ]


def _pre_lines(seq: CommentedSeq, index: int) -> _Lines:
    """Comment lines ruamel.yaml keeps before entry ``index`` (after a flow value)."""
    entry = seq.ca.items.get(index)
    if entry is None or len(entry) < 2 or not entry[1]:
        return []
    lines: _Lines = []
    for token in entry[1]:
        for line in str(token.value).split("\n")[:-1]:
            stripped = line.lstrip(" ")
            col = len(line) - len(stripped)
            if not lines and line == stripped:  # the first line's indent is the token's column
                col = token.column or 0
            lines.append((col, stripped))
    entry[1] = None
    return lines


# -- applying new data onto the tree --------------------------------------------


def _new_node(value: Any, model: type[BaseModel] | None, *, flow: bool = False) -> Any:
    """A tree for a value the file did not have."""
    if isinstance(value, Mapping):
        model = _entry_model(model, value)
        node = CommentedMap()
        order = _field_order(model)
        keys = sorted(value, key=lambda k: order.index(k) if k in order else len(order))
        for key in keys:
            if value[key] is None:
                continue
            child = value[key]
            node[key] = _new_node(child, _model_of(model, key, child))
        if flow:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq()
        for entry in value:
            seq.append(_new_node(entry, model))
        return seq
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value if value.endswith("\n") else value + "\n")
    return value


def _new_scalar(old: Any, value: Any) -> Any:
    """A changed scalar, written in the style of the one it replaces."""
    if not isinstance(value, str):
        return value
    if isinstance(old, LiteralScalarString | FoldedScalarString):
        # Keep the block's chomping: `|` keeps one line break that packetgen drops.
        ends = str(old).endswith("\n") and not value.endswith("\n")
        return type(old)(value + "\n" if ends else value)
    if "\n" in value:
        return LiteralScalarString(value if value.endswith("\n") else value + "\n")
    if isinstance(old, SingleQuotedScalarString | DoubleQuotedScalarString):
        return type(old)(value)
    return value


def _merge(node: Any, old: Any, new: Any, model: type[BaseModel] | None) -> Any:
    """``node`` (read from the file, which packetgen reads as ``old``) changed to ``new``."""
    if _same_unordered(old, new):
        return node
    if isinstance(node, CommentedMap) and isinstance(old, Mapping) and isinstance(new, Mapping):
        _merge_map(node, old, new, model)
        return node
    if isinstance(node, CommentedSeq) and isinstance(old, list) and isinstance(new, list):
        _merge_seq(node, old, new, model)
        return node
    if isinstance(new, Mapping | list):
        flow = isinstance(node, CommentedMap | CommentedSeq) and node.fa.flow_style()
        return _new_node(new, model, flow=flow)
    return _new_scalar(node, new)


def _merge_map(
    node: CommentedMap, old: Mapping[str, Any], new: Mapping[str, Any], model: Any
) -> None:
    model = _entry_model(model, new)
    tail = _outer_trailing(node)
    for key in [k for k in node if k not in new or new[k] is None]:
        keys = list(node)
        at = keys.index(key)
        lines = _take_entry(node, key)
        del node[key]
        node.ca.items.pop(key, None)
        if lines and at > 0:
            _give_entry(node, keys[at - 1], lines)
    order = _field_order(model)
    for key, value in new.items():
        if value is None:
            continue
        child_model = _model_of(model, key, value)
        if key in node and key in old:
            lines = _take_entry(node, key) if not _same_unordered(old[key], value) else []
            before = node[key]
            node[key] = _merge(before, old[key], value, child_model)
            _keep_comment_gap(node, key, before)
            if lines:
                _give_entry(node, key, lines)
        elif key in node:  # the loader dropped it (a duplicate key): replace it
            node[key] = _new_node(value, child_model)
        else:
            node.insert(_position(list(node), key, order), key, _new_node(value, child_model))
    _give_trailing(node, tail)  # an emptied mapping has nowhere to keep them: they go


def _keep_comment_gap(node: CommentedMap, key: str, before: Any) -> None:
    """A value grown longer pushes its end-of-line comment along, as a person would
    (ruamel.yaml keeps the comment's column, down to one space after the value)."""
    after = node[key]
    entry = node.ca.items.get(key)
    token = entry[2] if entry is not None and len(entry) > 2 else None
    if (
        token is None
        or before is after
        or isinstance(after, CommentedMap | CommentedSeq | LiteralScalarString)
        or isinstance(before, CommentedMap | CommentedSeq | LiteralScalarString)
        or not str(token.value).lstrip(" ").startswith("#")
    ):
        return
    grown = len(str(after)) - len(str(before))
    column = token.column
    if grown > 0 and isinstance(column, int):
        token.start_mark = CommentMark(column + grown)


def _position(keys: list[Any], key: str, order: list[str]) -> int:
    """Where a new key goes: after the last present key the models put before it."""
    if key not in order:
        return len(keys)
    rank = order.index(key)
    at = 0
    for i, present in enumerate(keys):
        if present in order and order.index(present) < rank:
            at = i + 1
    return at


def _match(old: list[Any], new: list[Any]) -> list[int | None]:
    """For each new entry, the old entry it is (id, kind and title, equal, same place)."""
    taken: set[int] = set()
    found: list[int | None] = [None] * len(new)

    def key_of(value: Any, names: tuple[str, ...]) -> tuple[Any, ...] | None:
        if not isinstance(value, Mapping) or not all(n in value for n in names):
            return None
        return tuple(repr(value[n]) for n in names)

    def pass_(test: Any) -> None:
        for i, entry in enumerate(new):
            if found[i] is not None:
                continue
            for j, before in enumerate(old):
                if j not in taken and test(i, entry, j, before):
                    found[i] = j
                    taken.add(j)
                    break

    for names in (("id",), ("kind", "title"), ("title",)):
        pass_(
            lambda _i, a, _j, b, names=names: (
                key_of(a, names) is not None and key_of(a, names) == key_of(b, names)
            )
        )
    pass_(lambda _i, a, _j, b: _same_unordered(a, b))
    pass_(lambda i, _a, j, _b: i == j)
    return found


def _merge_seq(node: CommentedSeq, old: list[Any], new: list[Any], model: Any) -> None:
    count = min(len(node), len(old))
    if count != len(node):  # the file and packetgen's reading disagree: start afresh
        node[:] = [_new_node(v, model) for v in new]
        return
    tail = _outer_trailing(node)
    head = _pre_lines(node, 0) if count else []
    leads: list[_Lines] = [[]]
    for j in range(1, count):
        inner, outer = _split(_take_entry(node, j - 1), _column(node))
        _give_entry(node, j - 1, inner)
        leads.append(outer + _pre_lines(node, j))
    entries = {j: node.ca.items.get(j) for j in range(count)}
    matched = _match(list(old), list(new))
    flow_maps = count > 0 and all(isinstance(v, CommentedMap) and v.fa.flow_style() for v in node)
    values: list[Any] = []
    items: dict[int, list[Any]] = {}
    for i, (value, was) in enumerate(zip(new, matched, strict=True)):
        if was is None:
            values.append(_new_node(value, model, flow=flow_maps))
            lead: _Lines = []
        else:
            values.append(_merge(node[was], old[was], value, model))
            entry = entries.get(was)
            if entry is not None:
                items[i] = [entry[0], None, *entry[2:]]
            lead = leads[was]
        if i == 0:
            lead = head + lead
        if lead:
            items.setdefault(i, [None, None, None, None])[1] = _tokens(lead)
    node.ca.items.clear()
    node[:] = values
    node.ca.items.update(items)
    _give_trailing(node, tail)  # an emptied list has nowhere to keep them: they go


def _quote_at(tree: Any, loc: Loc, value: str) -> None:
    parent = tree
    for part in loc[:-1]:
        parent = parent[part]
    key = loc[-1]
    if "\n" in value or not value.isprintable() or "'" in value:
        parent[key] = DoubleQuotedScalarString(value)
    else:
        parent[key] = SingleQuotedScalarString(value)


def _value_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


# -- the entry points -------------------------------------------------------------


def apply_data(text: str, data: Mapping[str, Any], *, name: str = "packet.yaml") -> str:
    """``text`` (a YAML spec) changed to hold ``data`` (the spec as JSON), as a person
    editing it by hand would change it. ``name`` is used in messages only.

    When ``text`` cannot be read at all, the data is written afresh.
    Raises :class:`RoundTripError` when some value cannot be written so that
    packetgen reads it back as sent.
    """
    sent = expected_data(data)
    try:
        old = _read(text, name)
        yaml, tree = _load_round_trip(text)
    except (SourceProblems, YAMLError):
        old, tree = None, None
    if isinstance(old, dict) and isinstance(tree, CommentedMap):
        if _same_unordered(old, sent):  # the file's key order is the trainer's, not the browser's
            return text
        tree = _merge(tree, old, sent, Packet)
    else:
        yaml, tree = _yaml(), _new_node(sent, Packet)
    return _settle(yaml, tree, sent, name)


def fresh_yaml(data: Mapping[str, Any], *, name: str = "packet.yaml") -> str:
    """``data`` written as a new YAML spec, keys in the models' order."""
    sent = expected_data(data)
    return _settle(_yaml(), _new_node(sent, Packet), sent, name)


def _settle(yaml: YAML, tree: Any, sent: Any, name: str) -> str:
    """The tree's text, with every value packetgen would read otherwise quoted."""
    text = _dump(yaml, tree)
    for _round in range(_MAX_QUOTING_ROUNDS):
        try:
            read = _read(text, name)
        except SourceProblems as exc:
            raise RoundTripError(
                f"the new spec could not be written as YAML packetgen reads ({exc.problems[0]})"
            ) from None
        wrong = _differences(read, sent)
        if not wrong:
            return text
        fixable = [loc for loc in wrong if loc and isinstance(_value_at(sent, loc), str)]
        if len(fixable) != len(wrong):
            shown = ", ".join(_dotted(loc) or "the whole spec" for loc in wrong[:3])
            raise RoundTripError(
                f"packetgen would read {shown} differently from what the editor sent;"
                " please report this as a bug"
            )
        for loc in fixable:
            _quote_at(tree, loc, _value_at(sent, loc))
        text = _dump(yaml, tree)
    raise RoundTripError("the new spec could not be written so that it reads back as sent")


def _dotted(loc: Loc) -> str:
    from packetgen.spec._sources import dotted

    return dotted(loc)
