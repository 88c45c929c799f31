"""HandoutError in parts: the handout, the spec field naming it, its line, the message.

The message a trainer reads is the same as it always was; the parts let
``check`` and the editor place a problem without reading it back from text,
and survive the pickling that brings an error back from a worker process.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import packetgen
from packetgen.binder.opening import open_inservice_handouts
from packetgen.errors import HandoutError, Problem
from packetgen.handouts.decoding import DecodingLimitError
from packetgen.handouts.located import located_error
from packetgen.spec.loader import load_packet

from .conftest import CORPUS


def _fields(error: HandoutError) -> tuple[object, ...]:
    return (
        type(error),
        str(error),
        error.file,
        error.item,
        error.detail,
        error.problem,
        error.spec,
        error.handout,
    )


def test_a_handout_error_not_yet_placed_has_its_file_and_message() -> None:
    error = HandoutError("handouts/faq.pdf", "the file is damaged", item="FAQ")
    assert str(error) == "handouts/faq.pdf: FAQ: the file is damaged"
    assert (error.file, error.item, error.detail) == (
        "handouts/faq.pdf",
        "FAQ",
        "the file is damaged",
    )
    assert error.problem == Problem("handouts/faq.pdf", None, None, "", "FAQ: the file is damaged")
    assert str(error.problem) == str(error)
    assert error.spec is None
    assert error.at_field == str(error)
    assert str(HandoutError("", "a page cannot be decoded")) == "a page cannot be decoded"


def test_a_placed_handout_error_says_what_it_always_said_and_keeps_the_parts() -> None:
    error = HandoutError.located(
        "handouts/faq.pdf",
        "the file is damaged",
        item="FAQ",
        spec="packet.yaml",
        line=12,
        column=15,
        field="inservices[0].items[2].file",
    )
    assert str(error) == (
        "packet.yaml:12:15: inservices[0].items[2].file: handouts/faq.pdf: FAQ: the file is damaged"
    )
    # As before: `file` is everything before the item, `detail` the bare message.
    assert error.file == "packet.yaml:12:15: inservices[0].items[2].file: handouts/faq.pdf"
    assert (error.item, error.detail) == ("FAQ", "the file is damaged")
    assert error.problem == Problem(
        "packet.yaml",
        12,
        15,
        "inservices[0].items[2].file",
        "handouts/faq.pdf: FAQ: the file is damaged",
    )
    assert str(error.problem) == str(error)
    assert error.handout == "handouts/faq.pdf"
    assert error.spec == "packet.yaml"
    assert error.at_field == "handouts/faq.pdf: FAQ: the file is damaged"


def test_a_placed_handout_error_without_a_line_names_the_spec_alone() -> None:
    error = HandoutError.located(
        "faq.pdf", "gone", item=None, spec="<packet>", line=None, column=None, field="x.file"
    )
    assert str(error) == "<packet>: x.file: faq.pdf: gone"
    assert error.problem == Problem("<packet>", None, None, "x.file", "faq.pdf: gone")
    assert str(error.problem) == str(error)


def test_placing_replaces_a_subclass_by_a_plain_handout_error() -> None:
    # As the binder and credit always did: a decoding limit found while opening
    # is a handout the build refuses like any other once placed in the spec.
    error = DecodingLimitError("faq.pdf", "too heavy", item="FAQ")
    placed = HandoutError.located(
        error.handout,
        error.detail,
        item=error.item,
        spec="p.yaml",
        line=1,
        column=1,
        field="f",
    )
    assert type(placed) is HandoutError


def test_handout_errors_pickle_with_their_parts() -> None:
    errors = [
        HandoutError("handouts/faq.pdf", "the file is damaged", item="FAQ"),
        DecodingLimitError("faq.pdf", "too heavy", item="FAQ"),
        HandoutError.located(
            "faq.pdf", "gone", item="FAQ", spec="p.yaml", line=3, column=9, field="a[0].file"
        ),
    ]
    for error in errors:
        back = pickle.loads(pickle.dumps(error))
        assert _fields(back) == _fields(error)
        assert back.at_field == error.at_field


def _spec(tmp_path: Path) -> Path:
    shutil.copy(CORPUS / "truncated.pdf", tmp_path / "truncated.pdf")
    shutil.copy(CORPUS / "faq.pdf", tmp_path / "faq.pdf")
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: Errors\n"
        "inservices:\n"
        "  - id: one\n"
        "    title: One\n"
        "    items:\n"
        "      - {kind: handout, title: Fine, file: faq.pdf}\n"
        "      - kind: handout\n"
        "        title: Both\n"
        "        file: faq.pdf\n"
        "        translations:\n"
        "          - language: es\n"
        "            file: truncated.pdf\n",
        encoding="utf-8",
    )
    return spec


def test_located_error_places_the_problem_at_the_field_naming_the_file(tmp_path: Path) -> None:
    packet = load_packet(_spec(tmp_path))
    loc = ("inservices", 0, "items", 1, "file")
    error = located_error(packet, loc, "faq.pdf", "the file is damaged", item="Both")
    spec, line, column = packet.locate(*loc)
    assert (spec, line) == (str(tmp_path / "packet.yaml"), 9)
    assert error.problem == Problem(
        spec, 9, column, "inservices[0].items[1].file", "faq.pdf: Both: the file is damaged"
    )
    assert str(error) == (
        f"{packet.where(*loc)}: inservices[0].items[1].file: faq.pdf: Both: the file is damaged"
    )


def test_the_binder_places_a_translation_file_at_its_own_field(tmp_path: Path) -> None:
    packet = load_packet(_spec(tmp_path))
    binder = open_inservice_handouts(packet, "one", collect=True)
    [(j, error)] = binder.problems
    assert j == 1
    problem = error.problem
    assert error.handout == "truncated.pdf"
    assert problem.file == error.spec == str(tmp_path / "packet.yaml")
    assert problem.field == "inservices[0].items[1].translations[0].file"
    assert problem.line == 12
    assert problem.message == error.at_field
    assert "the file is damaged" in problem.message
    assert str(error).startswith(
        f"{tmp_path / 'packet.yaml'}:12:{problem.column}: {problem.field}: truncated.pdf: "
    )


def test_check_gives_a_handout_problem_its_field_and_message(tmp_path: Path) -> None:
    result = packetgen.check(_spec(tmp_path), tmp_path / "out", cache=False)
    [located] = result.located
    assert located.field == "inservices[0].items[1].translations[0].file"
    assert located.text == result.problems[0]
    assert located.text.endswith(": " + located.message)
    assert located.message.startswith("truncated.pdf: Both (español): the file is damaged")
