"""Credit hours: rounding, where page counts come from, and what an unreadable file earns."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from packetgen.content.credit import inservice_hours, item_credits, packet_hours, round_hours
from packetgen.errors import HandoutError
from packetgen.handouts.count import count_pages
from packetgen.spec.loader import packet_from_data
from packetgen.spec.models import Packet

from ..conftest import CORPUS

POLICY = {
    "article": {"hours": 1},
    "handout": {"hours": 0.5, "per_pages": 10, "cap": 1},
    "round_to": 0.25,
}


def _packet(tmp_path: Path, items: list[dict[str, Any]], **top: Any) -> Packet:
    data = {"title": "T", **top, "inservices": [{"id": "a", "title": "A", "items": items}]}
    return packet_from_data(data, folder=tmp_path)


def _handout(tmp_path: Path, name: str, **fields: Any) -> dict[str, Any]:
    (tmp_path / name).write_bytes(b"%PDF-1.4\n")
    return {"kind": "handout", "title": name, "file": name, **fields}


@pytest.mark.parametrize(
    ("hours", "step", "rounded"),
    [(0.1 + 0.2, 0.1, 0.3), (0.375, 0.25, 0.5), (0.374, 0.25, 0.25), (1.0, 0.5, 1.0)],
)
def test_round_hours_rounds_half_up_to_the_step(hours: float, step: float, rounded: float) -> None:
    assert round_hours(hours, step) == rounded


def test_pages_are_counted_only_when_a_rule_needs_them(tmp_path: Path) -> None:
    asked: list[Path] = []

    def count(path: Path) -> int | None:
        asked.append(path)
        return 15

    packet = _packet(
        tmp_path,
        [
            {"kind": "article", "title": "Read", "url": "https://example.org/"},
            _handout(tmp_path, "counted.pdf"),
            _handout(tmp_path, "given.pdf", length_pages=40),
        ],
        credit=POLICY,
    )
    credits = item_credits(packet, packet.inservices[0], page_count=count)
    assert asked == [packet.folder / "counted.pdf"]
    assert [c.hours if c else None for c in credits] == [1.0, 0.75, 1.0]
    assert credits[1] is not None
    assert credits[1].how == "15 pages at 0.5 h per 10 pages = 0.75 h"
    assert credits[2] is not None
    assert credits[2].how.endswith("capped at 1 h")
    assert inservice_hours(packet, packet.inservices[0], page_count=count).hours == 2.75


def test_a_file_that_cannot_be_counted_earns_nothing_and_says_why(tmp_path: Path) -> None:
    packet = _packet(tmp_path, [_handout(tmp_path, "unread.pdf")], credit=POLICY)
    [credit] = item_credits(packet, packet.inservices[0], page_count=lambda path: None)
    assert credit is not None
    assert credit.hours == 0
    assert credit.how == "no page count (length_pages: or a file), so no credit"


def test_a_handout_error_while_counting_names_the_item_in_the_spec(tmp_path: Path) -> None:
    packet = _packet(tmp_path, [_handout(tmp_path, "locked.pdf")], credit=POLICY)

    def refuse(path: Path) -> int | None:
        raise HandoutError(str(path), "the file is too heavy")

    with pytest.raises(HandoutError) as caught:
        item_credits(packet, packet.inservices[0], page_count=refuse)
    error = caught.value
    assert error.item == "locked.pdf"
    assert error.detail == "the file is too heavy"
    assert "inservices[0].items[0].file: locked.pdf" in error.file
    assert error.handout == "locked.pdf"
    assert error.problem.field == "inservices[0].items[0].file"
    assert error.problem.message == "locked.pdf: locked.pdf: the file is too heavy"
    assert str(error.problem) == str(error)


def test_without_a_policy_nothing_is_counted(tmp_path: Path) -> None:
    packet = _packet(tmp_path, [_handout(tmp_path, "h.pdf")])

    def never(path: Path) -> int | None:
        raise AssertionError("no policy, so no page count")

    assert item_credits(packet, packet.inservices[0], page_count=never) == [None]
    hours = packet_hours(packet)
    assert list(hours) == ["a"]
    assert (hours["a"].hours, hours["a"].given, hours["a"].items) == (None, False, ())


def test_given_hours_win_but_items_still_show(tmp_path: Path) -> None:
    items = [{"kind": "article", "title": "Read", "url": "https://example.org/"}]
    data = {
        "title": "T",
        "credit": POLICY,
        "inservices": [{"id": "a", "title": "A", "hours": 3, "items": items}],
    }
    packet = packet_from_data(data, folder=tmp_path)
    hours = inservice_hours(packet, packet.inservices[0])
    assert (hours.hours, hours.given) == (3, True)
    assert [c.hours for c in hours.items] == [1.0]


def test_count_pages_opens_the_file_as_the_binder_does(tmp_path: Path) -> None:
    assert count_pages(CORPUS / "mixed-page-sizes.pdf") == 5
    # Unreadable or missing: no count (the build says why), not an error.
    assert count_pages(CORPUS / "not-really-a-pdf.pdf") is None
    assert count_pages(tmp_path / "missing.pdf") is None
    shutil.copy(CORPUS / "mixed-page-sizes.pdf", tmp_path / "copy.pdf")
    handout = {"kind": "handout", "title": "H", "file": "copy.pdf"}
    packet = _packet(tmp_path, [handout], credit=POLICY)
    assert packet_hours(packet)["a"].hours == 0.25
