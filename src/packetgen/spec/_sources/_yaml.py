"""YAML composed node by node into data, with the position of every value.

Anchors, aliases, unknown tags and deep nesting are refused while composing;
YAML 1.1's guesses (``1:30`` as base 60, ``017`` as octal) are read as people
read them. libyaml reads the tokens when PyYAML has it; a spec that fails is
read again by the pure-Python parser, whose messages :mod:`packetgen.spec._yaml_help`
explains.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
import yaml.reader
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from packetgen.errors import Problem
from packetgen.spec._sources._doc import (
    MAX_DEPTH,
    TOO_DEEP,
    Loc,
    SourceDoc,
    SourceProblems,
    count_digits,
    dotted,
    huge,
    not_finite,
    too_long_number,
)
from packetgen.spec._spaces import ODD_KEY_START

__all__ = ["parse_yaml"]


def _help() -> Any:
    # The explanations of mistakes are only read when a spec has one: a spec
    # that loads (every rebuild) does not pay for importing them.
    from packetgen.spec import _yaml_help

    return _yaml_help


# Tags a spec may use (implicitly or spelled out); anything else — notably
# !!python/object and friends — is refused rather than constructed.
_SAFE_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


def _problem(name: str, mark: Any, message: str, loc: str = "") -> Problem:
    if mark is None:
        return Problem(name, None, None, loc, message)
    return Problem(name, mark.line + 1, mark.column + 1, loc, message)


class _Composer(yaml.SafeLoader):
    """A SafeLoader that refuses anchors, aliases and deep nesting as it composes.

    PyYAML composes recursively: ``[[[[…`` a few thousand levels deep would
    exhaust Python's stack before any other check could run. Its messages are the
    ones a spec's errors are reported with.
    """

    _depth = 0

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.tagged: set[int] = set()
        """ids of the scalar nodes whose tag is written out (``!!str 09``): their
        type is what the writer asked for, not a guess to correct."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML stubs leave it untyped
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            # On a plain value, * and & are most likely the first letter of a
            # text (*Important*, & more) that was meant to be quoted.
            start = (
                "*"
                if isinstance(event, yaml.AliasEvent)
                else "&"
                if isinstance(event, yaml.ScalarEvent) and event.style in (None, "")
                else None
            )
            raise _Refused(
                event.start_mark,
                "YAML anchors and aliases (&name, *name) are not allowed in a packet spec;"
                " write the value out in full",
                start,
            )
        if self._depth >= MAX_DEPTH:
            raise _Refused(event.start_mark, TOO_DEEP)
        explicit = isinstance(event, yaml.ScalarEvent) and event.tag not in (None, "!")
        self._depth += 1
        try:
            # Named, not super(): the C composer below borrows this method.
            node = yaml.composer.Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1
        if explicit and node is not None:
            self.tagged.add(id(node))
        return node


_FastComposer: Any = None


def _c_parser() -> Any:
    try:
        from yaml._yaml import CParser  # PyYAML built with libyaml
    except ImportError:
        return None
    return CParser


_CParser: Any = _c_parser()
if _CParser is not None:

    class _CComposer(
        yaml.composer.Composer,
        SafeConstructor,
        yaml.resolver.Resolver,
        _CParser,  # type: ignore[misc]  # the C parser has no type stubs (Any)
    ):
        """libyaml reads the tokens (a 160-item spec: a third of a cached rebuild in the
        pure-Python scanner); composition, and so the checks above, stay in Python."""

        _depth = 0
        compose_node = _Composer.compose_node

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.tagged: set[int] = set()

    _FastComposer = _CComposer


class _Refused(Exception):
    def __init__(self, mark: Any, message: str, start: str | None = None) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message
        self.start = start


def parse_yaml(text: str, name: str) -> SourceDoc:
    if _FastComposer is not None:
        fast = _FastComposer(text)
        try:
            root, tagged = fast.get_single_node(), fast.tagged
        except Exception:  # read again below, for the familiar message
            pass
        else:
            return _walk(name, root, tagged, text)
        finally:
            fast.dispose()
    loader: _Composer | None = None
    tagged = set()
    try:
        loader = _Composer(text)
        root = loader.get_single_node()
        tagged = loader.tagged
    except yaml.reader.ReaderError as exc:
        problem = _help().reader_problem(text, name, exc.position, exc.character)
        raise SourceProblems([problem]) from None
    except _Refused as exc:
        raise SourceProblems(
            [_help().refused_problem(text, name, exc.mark, exc.message, exc.start)]
        ) from None
    except RecursionError:
        raise SourceProblems([Problem(name, None, None, "", TOO_DEEP)]) from None
    except yaml.MarkedYAMLError as exc:
        raise SourceProblems([_help().syntax_problem(text, name, exc)]) from None
    except yaml.YAMLError as exc:
        raise SourceProblems([Problem(name, None, None, "", f"invalid YAML: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return _walk(name, root, tagged, text)


def _walk(name: str, root: Node | None, tagged: set[int], text: str) -> SourceDoc:
    if root is None:
        raise SourceProblems(
            [
                Problem(
                    name,
                    1,
                    1,
                    "",
                    "the file is empty; expected a packet with a title and inservices",
                )
            ]
        )
    doc = SourceDoc(data=None)
    problems: list[Problem] = []
    doc.data = _Walker(name, doc, problems, tagged, text).value(root, (), 0)
    if problems:
        raise SourceProblems(problems)
    return doc


class _Walker:
    def __init__(
        self, name: str, doc: SourceDoc, problems: list[Problem], tagged: set[int], text: str
    ) -> None:
        self.name = name
        self.doc = doc
        self.problems = problems
        self.tagged = tagged
        self.text = text
        self._lines: list[str] | None = None
        self.constructor = SafeConstructor()

    @property
    def lines(self) -> list[str]:
        """The spec's lines, split only when a problem quotes one."""
        if self._lines is None:
            self._lines = _help().split_lines(self.text)
        return self._lines

    def value(self, node: Node, loc: Loc, depth: int) -> Any:
        self.doc.positions[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        where = dotted(loc)
        if depth > MAX_DEPTH:
            self.problems.append(_problem(self.name, node.start_mark, TOO_DEEP, where))
            return None
        if isinstance(node, ScalarNode):
            if node.tag not in _SAFE_SCALAR_TAGS:
                self.problems.append(
                    _problem(
                        self.name,
                        node.start_mark,
                        f"the YAML tag {_short_tag(node.tag)} is not allowed; write plain values"
                        + _help().tag_hint(self.lines, node.start_mark),
                        where,
                    )
                )
                return None
            if not node.style:  # plain: None from PyYAML's parser, "" from libyaml's
                self.doc.raw[loc] = node.value
            if node.tag in (_INT_TAG, _FLOAT_TAG) and _SEXAGESIMAL.fullmatch(node.value):
                # Never constructed: PyYAML's base-60 arithmetic is quadratic in
                # the number of parts (1:2:3:… one MiB long takes minutes).
                return node.value
            try:
                value = self.constructor.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError) as exc:
                if id(node) not in self.tagged and node.tag != _INT_TAG:
                    # A date that does not exist (2024-13-01, 2024-02-30) is only
                    # what YAML guessed; kept as written, it is checked with the
                    # rest of the spec instead of hiding every other mistake.
                    return node.value
                message = (
                    too_long_number(node.value)
                    if node.tag == "tag:yaml.org,2002:int"
                    else f"cannot read value: {exc}"
                )
                self.problems.append(_problem(self.name, node.start_mark, message, where))
                return None
            if isinstance(value, float) and not math.isfinite(value):
                self.problems.append(
                    _problem(self.name, node.start_mark, not_finite(node.value), where)
                )
                return None
            if id(node) not in self.tagged:
                try:
                    value = _as_people_read(node, value)
                except ValueError:  # leading zeros and more digits than Python converts
                    self.problems.append(
                        _problem(self.name, node.start_mark, too_long_number(node.value), where)
                    )
                    return None
            if huge(value):
                self.problems.append(
                    _problem(
                        self.name, node.start_mark, too_long_number(count_digits(value)), where
                    )
                )
                return None
            return value
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                self._bad_tag(node, where)
                return None
            return [self.value(child, (*loc, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP_TAG:
                self._bad_tag(node, where)
                return None
            return self._mapping(node, loc, depth)
        raise AssertionError(f"unknown YAML node {node!r}")  # pragma: no cover

    def _bad_tag(self, node: Node, where: str) -> None:
        self.problems.append(
            _problem(
                self.name,
                node.start_mark,
                f"the YAML tag {_short_tag(node.tag)} is not allowed; write plain values",
                where,
            )
        )

    def _mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        # Once an item without its "- " is found, the fields after it belong to it: they
        # repeat the first item's fields, as they should.
        next_item: dict[str, int] | None = None  # field → its line, in that item
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    _problem(
                        self.name,
                        key_node.start_mark,
                        "expected a plain field name as the key",
                        dotted(loc),
                    )
                )
                continue
            key = key_node.value
            child = (*loc, key)
            if key[:1] in ODD_KEY_START:
                # The field path would show the odd character too: name the mapping.
                odd = _help().odd_key_problem(
                    self.lines, self.name, dotted(loc), key, key_node.start_mark
                )
                if odd is not None:
                    self.problems.append(odd)
                    continue
            line = key_node.start_mark.line + 1
            if next_item is not None:
                if key not in next_item:
                    next_item[key] = line
                elif _starts_item(node, loc, key):  # one more item without its "- "
                    new_item = _help().new_item_problem(
                        self.lines,
                        self.name,
                        dotted(child),
                        key,
                        key_node.start_mark,
                        next_item[key],
                    )
                    if new_item is not None:
                        self.problems.append(new_item)
                        next_item = {key: line}
                continue
            if key in out:
                first = self.doc.key_positions[child][0]
                if _starts_item(node, loc, key):
                    new_item = _help().new_item_problem(
                        self.lines, self.name, dotted(child), key, key_node.start_mark, first
                    )
                    if new_item is not None:
                        self.problems.append(new_item)
                        next_item = {key: line}
                        continue
                self.problems.append(
                    _problem(
                        self.name,
                        key_node.start_mark,
                        f"duplicate key {key!r} (first given on line {first});"
                        " each field may appear once",
                        dotted(child),
                    )
                )
                continue
            self.doc.key_positions[child] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = self.value(value_node, child, depth + 1)
        return out


def _starts_item(node: MappingNode, loc: Loc, key: str) -> bool:
    """In a list item, its first field (or kind:, id:) given again most likely
    starts the next item, written without its "- "."""
    if not loc or not isinstance(loc[-1], int):
        return False
    first = node.value[0][0]
    return key in ("kind", "id") or (isinstance(first, ScalarNode) and key == first.value)


# YAML 1.1 (PyYAML) reads `1:30` as 90 (base 60) and `017` as 15 (octal); a
# trainer means an hour and a half, and seventeen. YAML 1.2, which editors
# use to check a spec against its schema, reads neither way.
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-9_]+)+(?:\.[0-9_]*)?")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")


def _as_people_read(node: ScalarNode, value: Any) -> Any:
    """``value`` as a person reads the text YAML 1.1 made it from.

    * base-60 numbers (``1:30``) stay text (the walker never constructs
      them): a text field keeps what was written, and a number field
      explains how to write the time (loader);
    * integers with leading zeros (``017``, ``09``) are decimal, as written;
    * the line break YAML adds at the end of a ``|`` or ``>`` block is not
      part of the value (a title written as a block has no line break in it).
    """
    text = node.value
    if node.tag in (_INT_TAG, _STR_TAG) and not node.style and _LEADING_ZERO.fullmatch(text):
        return int(text.replace("_", ""), 10)
    if (
        node.style in ("|", ">")
        and isinstance(value, str)
        and value.endswith("\n")
        and not value.endswith("\n\n")
    ):
        return value[:-1]
    return value


def _short_tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag
