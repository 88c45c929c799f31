"""The links table: numbering in reading order, one number a URL, the handout budgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from packetgen.content.addresses import short_url
from packetgen.content.links import (
    MAX_HANDOUT_LINKS,
    MAX_LINKS_PER_HANDOUT,
    LinkTable,
    collect_links,
    item_url,
    register_handout_links,
)
from packetgen.errors import SpecError
from packetgen.spec.loader import packet_from_data
from packetgen.spec.models import Packet


def _packet(tmp_path: Path, inservices: list[dict[str, Any]], **top: Any) -> Packet:
    return packet_from_data({"title": "T", **top, "inservices": inservices}, folder=tmp_path)


def _handouts(tmp_path: Path, count: int) -> Packet:
    """An in-service of ``count`` handouts, ``h0.pdf``…, each with its own address too.

    The files are never opened: the handouts' links are given to the table as found.
    """
    items = []
    for n in range(count):
        (tmp_path / f"h{n}.pdf").write_bytes(b"%PDF-1.4\n")
        items.append(
            {
                "kind": "handout",
                "title": f"Handout {n}",
                "file": f"h{n}.pdf",
                "url": f"https://example.org/h/{n}",
            }
        )
    return _packet(tmp_path, [{"id": "a", "title": "A", "items": items}])


def _found(item: int, urls: range, host: str = "example.net") -> list[tuple[int, str]]:
    return [(item, f"https://{host}/{n}") for n in urls]


def test_links_are_numbered_in_reading_order(tmp_path: Path) -> None:
    packet = _packet(
        tmp_path,
        [
            {
                "id": "a",
                "title": "A",
                "summary": "See [the overview](https://example.org/overview).",
                "items": [
                    {
                        "kind": "article",
                        "title": "First",
                        "url": "https://example.org/first",
                        "description": "Also [a map](https://example.org/map).",
                        "translations": [{"language": "es", "url": "https://example.org/es/first"}],
                    },
                    {"kind": "link", "title": "Second", "url": "https://example.org/second"},
                ],
                "evaluation": {"url": "https://example.org/evaluate"},
            },
            {
                "id": "b",
                "title": "B",
                "items": [{"kind": "link", "title": "Third", "url": "https://example.org/third"}],
            },
        ],
    )
    table = collect_links(packet)
    assert [(ref.number, ref.url) for ref in table.links] == [
        (1, "https://example.org/overview"),
        (2, "https://example.org/first"),
        # A translation comes right after its item's own address.
        (3, "https://example.org/es/first"),
        (4, "https://example.org/map"),
        (5, "https://example.org/second"),
        (6, "https://example.org/evaluate"),
        (7, "https://example.org/third"),
    ]
    assert [s.field for s in table.links[3].sources] == ["inservices[0].items[0].description"]
    assert [ref.number for ref in table.for_inservice("b")] == [7]


def test_a_url_given_twice_has_one_number_and_both_places(tmp_path: Path) -> None:
    same = "https://example.org/same"
    packet = _packet(
        tmp_path,
        [
            {"id": "a", "title": "A", "items": [{"kind": "link", "title": "One", "url": same}]},
            {
                "id": "b",
                "title": "B",
                "items": [
                    {"kind": "link", "title": "Other", "url": "https://example.org/other"},
                    {"kind": "link", "title": "Again", "url": same},
                ],
            },
        ],
    )
    table = collect_links(packet)
    assert [ref.url for ref in table.links] == [same, "https://example.org/other"]
    ref = table.get(same)
    assert ref is not None
    assert ref.number == table.number(same) == 1
    assert [(s.inservice, s.item) for s in ref.sources] == [("a", "One"), ("b", "Again")]
    assert [r.number for r in table.for_inservice("b")] == [1, 2]
    assert table.number("https://example.org/never") is None


def test_short_links_take_names_from_titles_and_stay_unique(tmp_path: Path) -> None:
    packet = _packet(
        tmp_path,
        [
            {
                "id": "a",
                "title": "A",
                "items": [
                    {"kind": "link", "title": "The CASA FAQ", "url": "https://example.org/1"},
                    {"kind": "link", "title": "CASA FAQ", "url": "https://example.org/2"},
                    {
                        "kind": "link",
                        "title": "Anything",
                        "url": "https://example.org/3",
                        "short": "mine",
                    },
                ],
            }
        ],
        short_links="https://casa.example/go",
    )
    table = collect_links(packet)
    assert [ref.short_name for ref in table.links] == ["casa-faq", "casa-faq-2", "mine"]
    assert table.links[0].encoded == "https://casa.example/go/casa-faq"
    assert table.links[0].label == "casa.example/go/casa-faq"
    assert table.links[0].url == "https://example.org/1"


def test_a_url_too_long_for_any_code_is_a_located_spec_error(tmp_path: Path) -> None:
    url = "https://example.org/" + "x" * 5000
    packet = _packet(
        tmp_path, [{"id": "a", "title": "A", "items": [{"kind": "link", "title": "L", "url": url}]}]
    )
    with pytest.raises(SpecError) as caught:
        collect_links(packet)
    assert caught.value.problems[0].field == "inservices[0].items[0].url"


def test_a_recording_start_goes_into_youtube_and_vimeo_links(tmp_path: Path) -> None:
    def recording(url: str) -> dict[str, Any]:
        return {"kind": "recording", "title": "R", "url": url, "start": "1:30"}

    packet = _packet(
        tmp_path,
        [
            {
                "id": "a",
                "title": "A",
                "items": [
                    recording("https://www.youtube.com/watch?v=abc&t=5"),
                    recording("https://vimeo.com/123"),
                    recording("https://example.org/talk"),
                ],
            }
        ],
    )
    items = packet.inservices[0].items
    assert item_url(items[0]) == "https://www.youtube.com/watch?v=abc&t=90"
    assert item_url(items[1]) == "https://vimeo.com/123#t=90s"
    assert item_url(items[2]) == "https://example.org/talk"
    table = collect_links(packet)
    assert any("start time into YouTube and Vimeo links only" in w for w in table.warnings)


def test_short_url_is_what_a_person_types() -> None:
    assert short_url("https://www.example.org/") == "example.org"
    assert short_url("http://example.org:8080/a?b=1#c") == "example.org:8080/a?b=1#c"


def test_handout_links_are_numbered_after_the_spec_and_said(tmp_path: Path) -> None:
    packet = _handouts(tmp_path, 1)
    table = collect_links(packet)
    found = [
        (0, "https://example.net/a"),
        (0, "https://example.org/h/0"),
        (0, "https://example.net/a"),
    ]
    spec_only = [ref.url for ref in table.links]
    table, before = register_handout_links(packet, "a", found, table), table
    assert [ref.url for ref in table.links] == ["https://example.org/h/0", "https://example.net/a"]
    # A new table: the one given is left as it was.
    assert [ref.url for ref in before.links] == spec_only
    assert before.handout_links == 0
    assert before.warnings == []
    # A link the spec already numbers costs nothing from the handout budget.
    assert table.handout_links == 1
    assert table.links[0].sources[-1].field == "inservices[0].items[0].file"
    [warning] = table.warnings
    assert warning.endswith(
        "inservices[0].items[0].file: h0.pdf adds 1 link to the appendix (example.net/a);"
        " check that you want to hand it out"
    )


def test_one_handout_numbers_at_most_its_share(tmp_path: Path) -> None:
    packet = _handouts(tmp_path, 1)
    table = collect_links(packet)
    table = register_handout_links(packet, "a", _found(0, range(MAX_LINKS_PER_HANDOUT + 3)), table)
    assert table.handout_links == MAX_LINKS_PER_HANDOUT
    assert len(table.links) == 1 + MAX_LINKS_PER_HANDOUT
    assert table.links[-1].url == f"https://example.net/{MAX_LINKS_PER_HANDOUT - 1}"
    assert f"only the first {MAX_LINKS_PER_HANDOUT} are numbered" in table.warnings[-1]


def test_all_handouts_together_number_at_most_the_packet_budget(tmp_path: Path) -> None:
    files = MAX_HANDOUT_LINKS // MAX_LINKS_PER_HANDOUT + 1
    packet = _handouts(tmp_path, files)
    table = collect_links(packet)
    for j in range(files):
        start = j * MAX_LINKS_PER_HANDOUT
        found = _found(j, range(start, start + MAX_LINKS_PER_HANDOUT))
        table = register_handout_links(packet, "a", found, table)
    assert table.handout_links == MAX_HANDOUT_LINKS
    assert len(table.links) == files + MAX_HANDOUT_LINKS
    last = table.warnings[-1]
    assert f"{MAX_LINKS_PER_HANDOUT} more links of h{files - 1}.pdf were left out" in last
    assert "the limit for all handouts together" in last
    # A URL already numbered is still recorded for the handout past the budget.
    table = register_handout_links(packet, "a", [(0, "https://example.net/0")], table)
    ref = table.get("https://example.net/0")
    assert ref is not None
    assert len(ref.sources) == 2


def test_an_empty_table_has_no_links() -> None:
    table = LinkTable()
    assert table.links == []
    assert table.number("https://example.org") is None
