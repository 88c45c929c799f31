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

from packetgen.errors import PacketgenError
from packetgen.serve._spec_values import (
    differences,
    entry_model,
    expected_data,
    field_order,
    model_of,
    same_data,
)
from packetgen.serve._yaml_layout import (
    Lines,
    comment_tokens,
    dump,
    entries_column,
    give_entry,
    give_trailing,
    load_round_trip,
    new_yaml,
    outer_trailing,
    pre_lines,
    read_as_packetgen,
    split_lines,
    take_entry,
)
from packetgen.spec._sources import Loc, SourceProblems, dotted
from packetgen.spec.models import Packet

__all__ = ["RoundTripError", "apply_data", "fresh_yaml"]

_MAX_QUOTING_ROUNDS = 4


class RoundTripError(PacketgenError):
    """The new data could not be written so that packetgen reads it back as sent."""


# -- applying new data onto the tree --------------------------------------------


def _new_node(value: Any, model: type[BaseModel] | None, *, flow: bool = False) -> Any:
    """A tree for a value the file did not have."""
    if isinstance(value, Mapping):
        model = entry_model(model, value)
        node = CommentedMap()
        order = field_order(model)
        keys = sorted(value, key=lambda k: order.index(k) if k in order else len(order))
        for key in keys:
            if value[key] is None:
                continue
            child = value[key]
            node[key] = _new_node(child, model_of(model, key, child))
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
    if same_data(old, new):
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
    model = entry_model(model, new)
    tail = outer_trailing(node)
    for key in [k for k in node if k not in new or new[k] is None]:
        keys = list(node)
        at = keys.index(key)
        lines = take_entry(node, key)
        del node[key]
        node.ca.items.pop(key, None)
        if lines and at > 0:
            give_entry(node, keys[at - 1], lines)
    order = field_order(model)
    for key, value in new.items():
        if value is None:
            continue
        child_model = model_of(model, key, value)
        if key in node and key in old:
            lines = take_entry(node, key) if not same_data(old[key], value) else []
            before = node[key]
            node[key] = _merge(before, old[key], value, child_model)
            _keep_comment_gap(node, key, before)
            if lines:
                give_entry(node, key, lines)
        elif key in node:  # the loader dropped it (a duplicate key): replace it
            node[key] = _new_node(value, child_model)
        else:
            node.insert(_position(list(node), key, order), key, _new_node(value, child_model))
    give_trailing(node, tail)  # an emptied mapping has nowhere to keep them: they go


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
    pass_(lambda _i, a, _j, b: same_data(a, b))
    pass_(lambda i, _a, j, _b: i == j)
    return found


def _merge_seq(node: CommentedSeq, old: list[Any], new: list[Any], model: Any) -> None:
    count = min(len(node), len(old))
    if count != len(node):  # the file and packetgen's reading disagree: start afresh
        node[:] = [_new_node(v, model) for v in new]
        return
    tail = outer_trailing(node)
    head = pre_lines(node, 0) if count else []
    leads: list[Lines] = [[]]
    for j in range(1, count):
        inner, outer = split_lines(take_entry(node, j - 1), entries_column(node))
        give_entry(node, j - 1, inner)
        leads.append(outer + pre_lines(node, j))
    entries = {j: node.ca.items.get(j) for j in range(count)}
    matched = _match(list(old), list(new))
    flow_maps = count > 0 and all(isinstance(v, CommentedMap) and v.fa.flow_style() for v in node)
    values: list[Any] = []
    items: dict[int, list[Any]] = {}
    for i, (value, was) in enumerate(zip(new, matched, strict=True)):
        if was is None:
            values.append(_new_node(value, model, flow=flow_maps))
            lead: Lines = []
        else:
            values.append(_merge(node[was], old[was], value, model))
            entry = entries.get(was)
            if entry is not None:
                items[i] = [entry[0], None, *entry[2:]]
            lead = leads[was]
        if i == 0:
            lead = head + lead
        if lead:
            items.setdefault(i, [None, None, None, None])[1] = comment_tokens(lead)
    node.ca.items.clear()
    node[:] = values
    node.ca.items.update(items)
    give_trailing(node, tail)  # an emptied list has nowhere to keep them: they go


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
        old = read_as_packetgen(text, name)
        yaml, tree = load_round_trip(text)
    except (SourceProblems, YAMLError):
        old, tree = None, None
    if isinstance(old, dict) and isinstance(tree, CommentedMap):
        if same_data(old, sent):  # the file's key order is the trainer's, not the browser's
            return text
        tree = _merge(tree, old, sent, Packet)
    else:
        yaml, tree = new_yaml(), _new_node(sent, Packet)
    return _settle(yaml, tree, sent, name)


def fresh_yaml(data: Mapping[str, Any], *, name: str = "packet.yaml") -> str:
    """``data`` written as a new YAML spec, keys in the models' order."""
    sent = expected_data(data)
    return _settle(new_yaml(), _new_node(sent, Packet), sent, name)


def _settle(yaml: YAML, tree: Any, sent: Any, name: str) -> str:
    """The tree's text, with every value packetgen would read otherwise quoted."""
    text = dump(yaml, tree)
    for _round in range(_MAX_QUOTING_ROUNDS):
        try:
            read = read_as_packetgen(text, name)
        except SourceProblems as exc:
            raise RoundTripError(
                f"the new spec could not be written as YAML packetgen reads ({exc.problems[0]})"
            ) from None
        wrong = differences(read, sent)
        if not wrong:
            return text
        fixable = [loc for loc in wrong if loc and isinstance(_value_at(sent, loc), str)]
        if len(fixable) != len(wrong):
            shown = ", ".join(dotted(loc) or "the whole spec" for loc in wrong[:3])
            raise RoundTripError(
                f"packetgen would read {shown} differently from what the editor sent;"
                " please report this as a bug"
            )
        for loc in fixable:
            _quote_at(tree, loc, _value_at(sent, loc))
        text = dump(yaml, tree)
    raise RoundTripError("the new spec could not be written so that it reads back as sent")
