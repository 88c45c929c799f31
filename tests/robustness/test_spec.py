"""Hostile and broken spec documents: YAML, JSON and TOML.

Each case loads one spec in a bounded worker and expects exactly one error
class with the key phrase of its message (or a Packet, for inputs that are
odd but valid), and nothing written beside the spec.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from packetgen.errors import PacketgenError, SpecError
from packetgen.spec.models import Packet

from . import _cases
from .conftest import MINIMAL, bounded, expect_error, tree

BASE = MINIMAL


def _items(count: int, extra: str = "") -> str:
    return BASE + "    items:\n" + f"      - {{kind: note, title: N{extra}}}\n" * count


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 10):
        prev, this = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{this}: &{this} [{','.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\ntitle: *j\n"


@dataclass(frozen=True)
class Case:
    id: str
    content: str | bytes
    phrases: tuple[str, ...]
    name: str = "packet.yaml"
    error: type[PacketgenError] | None = SpecError


CASES = [
    Case(
        "yaml-alias-bomb",
        _alias_bomb(),
        ("1:4: YAML anchors and aliases (&name, *name) are not allowed",),
    ),
    Case(
        "yaml-deep-nesting-flow",
        "title: " + "[" * 100_000 + "]" * 100_000 + "\n",
        ("nested too deeply (more than 64 levels",),
    ),
    Case(
        "yaml-deep-nesting-block",
        BASE
        + "    summary:\n"
        + "".join("  " * (i + 3) + f"k{i}:\n" for i in range(80))
        + "  " * 83
        + "x\n",
        ("nested too deeply",),
    ),
    Case(
        "yaml-huge-scalar",
        BASE.replace("title: Robustness", "title: " + "A" * 900_000),
        ("1:8: title: the text is 900,000 characters long; at most 2,000 are allowed",),
    ),
    Case(
        "yaml-huge-markdown",
        BASE + "    summary: " + "word " * 6000 + "\n",
        ("inservices[0].summary: the text is 29,999 characters long; at most 20,000",),
    ),
    Case(
        "yaml-python-apply-tag",
        BASE + '    summary: !!python/object/apply:os.system ["touch pwned"]\n',
        (
            "5:14: inservices[0].summary: the YAML tag !!python/object/apply:os.system is not allowed",
        ),
    ),
    Case(
        "yaml-other-tags",
        BASE
        + "    summary: !!binary aGVsbG8=\n    presenter: !custom x\n    location: !!set {a, b}\n",
        (
            "3 problems",
            "the YAML tag !!binary is not allowed",
            "the YAML tag !custom is not allowed",
            "the YAML tag !!set is not allowed",
        ),
    ),
    Case(
        "yaml-duplicate-key-nested",
        BASE + "    items:\n      - kind: note\n        title: A\n        title: B\n",
        ("8:9: inservices[0].items[0].title: duplicate key 'title' (first given on line 7)",),
    ),
    Case(
        "yaml-merge-key",
        BASE + "    <<: {title: x}\n",
        ("5:5: inservices[0]: expected a plain field name as the key",),
    ),
    Case("spec-utf8-bom", "\ufeff" + BASE, (), error=None),
    Case(
        "spec-utf16-bom",
        ("\ufeff" + BASE).encode("utf-16"),
        ("1:1: expected UTF-8 text, found the byte 0xff",),
    ),
    Case(
        "spec-nul-byte",
        (BASE + "    summary: a\x00b\n").encode(),
        ("expected a text file, found binary data",),
    ),
    Case(
        "spec-control-character",
        BASE + "    summary: bell\x07\n",
        ("the control character U+0007 is not allowed",),
    ),
    Case(
        "spec-crlf-line-numbers",
        (BASE + "    hours: lots\n").replace("\n", "\r\n"),
        ("5:12: inservices[0].hours: expected a number, found the text 'lots'",),
    ),
    Case(
        "yaml-enormous-integer",
        BASE + "    items:\n      - {kind: note, title: N, minutes: " + "9" * 5000 + "}\n",
        ("expected a number of reasonable size, found one with 5,000 digits",),
    ),
    Case(
        "yaml-infinite-number",
        BASE + "    hours: .inf\n",
        ("5:12: inservices[0].hours: expected a finite number, found '.inf'",),
    ),
    Case(
        "yaml-not-a-number", BASE + "    hours: .NaN\n", ("expected a finite number, found '.NaN'",)
    ),
    Case(
        "json-infinity",
        '{"title": "T", "inservices": [{"id": "one", "title": "One", "hours": Infinity}]}',
        ("expected a finite number, found 'Infinity'",),
        name="packet.json",
    ),
    Case(
        "json-overflowing-float",
        '{"title": "T", "inservices": [{"id": "one", "title": "One", "hours": 1e400}]}',
        ("expected a finite number, found '1e400'",),
        name="packet.json",
    ),
    Case(
        "json-enormous-integer",
        '{"title": "T", "x": ' + "7" * 5000 + "}",
        ("found one with 5,000 digits",),
        name="packet.json",
    ),
    Case(
        "json-deep-nesting",
        '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}",
        ("nested too deeply",),
        name="packet.json",
    ),
    Case(
        "json-deep-nesting-under-recursion-limit",
        '{"title": ' + "[" * 500 + "]" * 500 + "}",
        ("nested too deeply",),
        name="packet.json",
    ),
    Case(
        "json-duplicate-key-nested",
        '{"title": "T", "inservices": [{"id": "a", "id": "b", "title": "x"}]}',
        ("duplicate key 'id'",),
        name="packet.json",
    ),
    Case(
        "toml-deep-nesting",
        "title = " + "[" * 50_000 + "]" * 50_000 + "\n",
        ("nested too deeply",),
        name="packet.toml",
    ),
    Case(
        "toml-nan",
        'title = "T"\n[[inservices]]\nid = "one"\ntitle = "One"\nhours = nan\n',
        ("expected a finite number, found 'nan'",),
        name="packet.toml",
    ),
    Case(
        "toml-datetime-as-date",
        'title = "T"\n[[inservices]]\nid = "one"\ntitle = "One"\ndate = 2018-03-12T10:00:00\n',
        (
            "inservices[0].date: expected only a date like 2018-03-12, found a date with a time; put the time in its own field on the next line: time: 10:00",
        ),
        name="packet.toml",
    ),
    Case(
        "spec-too-many-items",
        _items(2001),
        ("the packet has 2,001 items; at most 2,000 are allowed",),
    ),
    Case(
        "spec-too-many-inservices",
        "title: T\ninservices:\n" + "".join(f"  - {{id: s{i}, title: S}}\n" for i in range(101)),
        ("the packet has 101 in-services; at most 100 are allowed",),
    ),
    Case(
        "spec-too-many-files",
        BASE + "    items:\n" + "      - {kind: handout, title: H, file: h.pdf}\n" * 201,
        ("the packet has 201 files; at most 200 are allowed",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_spec_case(case: Case, packet_dir: Path) -> None:
    spec = packet_dir / case.name
    if isinstance(case.content, bytes):
        spec.write_bytes(case.content)
    else:
        spec.write_text(case.content, encoding="utf-8", newline="")
    before = tree(packet_dir)
    if case.error is None:
        assert isinstance(bounded(_cases.load, spec, seconds=20), Packet)
    else:
        expect_error(case.error, _cases.load, spec, seconds=20, contains=case.phrases)
    assert tree(packet_dir) == before


def test_spec_python_tag_runs_nothing(packet_dir: Path) -> None:
    spec = packet_dir / "packet.yaml"
    marker = packet_dir / "pwned"
    spec.write_text(BASE + f'    summary: !!python/object/apply:os.system ["touch {marker}"]\n')
    expect_error(SpecError, _cases.load, spec, seconds=20, contains="is not allowed")
    assert not marker.exists()


def test_spec_is_a_fifo(packet_dir: Path) -> None:
    """A named pipe as the spec must not block the loader waiting for a writer."""
    spec = packet_dir / "packet.yaml"
    os.mkfifo(spec)
    expect_error(
        SpecError,
        _cases.load,
        spec,
        seconds=10,
        contains="cannot read the spec: it is not a regular file",
    )
