"""The spec models on their own: defaults, the in-service lookups, the views an
in-service's binder sees, and the typed fields only some item kinds have.

Packets are made from data with ``Packet.model_validate`` (no files, no
loader), so every test here runs in milliseconds.
"""

from __future__ import annotations

from typing import Any

import pytest

from packetgen.errors import OptionError, PacketgenError
from packetgen.spec.models import (
    Article,
    Evaluation,
    FileOptions,
    Film,
    Handout,
    InService,
    Link,
    Packet,
    Presentation,
    Recording,
)


def packet(**fields: Any) -> Packet:
    """Three in-services (one, two, three); ``fields`` override the packet's."""
    data: dict[str, Any] = {
        "title": "T",
        "inservices": [
            {"id": "one", "title": "One"},
            {"id": "two", "title": "Two"},
            {"id": "three", "title": "Three"},
        ],
    }
    data.update(fields)
    return Packet.model_validate(data)


def test_defaults_of_a_packet_and_an_inservice() -> None:
    made = packet()
    assert (made.paper, made.theme, made.duplex, made.language) == (
        "letter",
        "default",
        False,
        "en",
    )
    assert (made.handout_placement, made.qr_error_correction, made.qr_module_mm) == (
        "end",
        "M",
        0.8,
    )
    assert made.strings == {}
    one = made.inservices[0]
    assert (one.paper, one.theme, one.duplex, one.handout_placement) == (None, None, None, None)
    assert (one.items, one.objectives, one.agenda) == ([], [], [])
    assert (one.delivery, one.kit_placement, one.credit_log) == ("in_person", "end", False)


def test_an_evaluation_has_default_questions() -> None:
    evaluation = Evaluation()
    assert len(evaluation.questions) == 4
    assert len(evaluation.open_questions) == 2
    assert evaluation.url is None


def test_inservice_finds_by_id() -> None:
    made = packet()
    assert made.inservice("two") is made.inservices[1]
    assert made.inservice_index("three") == 2


@pytest.mark.parametrize("lookup", ["inservice", "inservice_index"])
def test_an_unknown_id_names_the_ids_there_are(lookup: str) -> None:
    with pytest.raises(OptionError) as info:
        getattr(packet(), lookup)("four")
    assert str(info.value) == "no in-service with id 'four'; the packet has: one, two, three"


def test_select_keeps_the_packets_order() -> None:
    made = packet()
    assert [s.id for s in made.select(["three", "one"])] == ["one", "three"]
    assert [s.id for s in made.select(["two", "two"])] == ["two"]


@pytest.mark.parametrize("ids", [None, []])
def test_select_without_ids_is_every_inservice(ids: list[str] | None) -> None:
    made = packet()
    assert made.select(ids) == list(made.inservices)


def test_select_refuses_the_first_unknown_id() -> None:
    with pytest.raises(OptionError, match=r"^no in-service with id 'x'; the packet has: one, two"):
        packet().select(["one", "x", "y"])


def test_for_inservice_is_the_packet_when_nothing_differs() -> None:
    made = packet(paper="a4", handout_placement="inline")
    view = made.for_inservice("one")
    assert view is made
    assert made.placement(made.inservices[0]) == "inline"


def test_for_inservice_puts_the_inservices_own_settings_in_effect() -> None:
    made = packet(duplex=True)
    own = {
        "id": "one",
        "title": "One",
        "paper": "a4",
        "theme": "ink-saver",
        "duplex": False,
        "handout_placement": "inline",
        "language": "es",
    }
    made = made.model_copy(
        update={"inservices": [InService.model_validate(own), *made.inservices[1:]]}
    )
    one, two = made.for_inservice("one"), made.for_inservice("two")
    assert (one.paper, one.theme, one.duplex, one.handout_placement, one.language) == (
        "a4",
        "ink-saver",
        False,
        "inline",
        "es",
    )
    assert (two.paper, two.theme, two.duplex, two.handout_placement) == (
        "letter",
        "default",
        True,
        "end",
    )
    assert made.for_inservice("one") is one  # one view per in-service
    assert made.placement(made.inservices[0]) == "inline"
    assert made.placement(made.inservices[1]) == "end"


def test_for_inservice_of_an_unknown_id_names_the_ids() -> None:
    with pytest.raises(OptionError, match="the packet has: one, two, three"):
        packet().for_inservice("nope")


def test_theme_names_are_the_packets_then_the_others_once() -> None:
    made = Packet.model_validate(
        {
            "title": "T",
            "theme": "ink-saver",
            "inservices": [
                {"id": "a", "title": "A", "theme": "large-print"},
                {"id": "b", "title": "B", "theme": "ink-saver"},
                {"id": "c", "title": "C"},
                {"id": "d", "title": "D", "theme": "large-print"},
            ],
        }
    )
    assert made.theme_names() == ["ink-saver", "large-print"]
    assert packet().theme_names() == ["default"]


def test_a_packet_without_a_folder_says_how_to_make_one() -> None:
    with pytest.raises(OptionError, match=r"packet_from_data\(data, folder=...\)"):
        _ = packet().folder
    assert issubclass(OptionError, PacketgenError)


def test_locate_falls_back_to_the_nearest_known_field() -> None:
    made = packet()
    assert made.locate("inservices", 0, "title") == ("<packet>", None, None)
    assert made.where("title") == "<packet>"


# ---------------------------------------------------------------- item fields of some kinds


def test_a_recordings_start_and_presenter() -> None:
    item = Recording(kind="recording", title="R", start="1:30", presenter="Dr. P")
    assert (item.start_time, item.byline_name) == ("1:30", "Dr. P")
    link = Link(kind="link", title="L", url="https://example.org/")
    assert (link.start_time, link.byline_name, link.watch_on) == (None, None, ())


def test_an_articles_author_and_excerpt() -> None:
    item = Article(kind="article", title="A", author="Ann", excerpt="> quoted", access="Log in")
    assert item.byline_name == "Ann"
    assert item.markdown_texts() == {"description": None, "excerpt": "> quoted", "access": "Log in"}


def test_markdown_texts_of_a_kind_without_an_excerpt() -> None:
    item = Link(kind="link", title="L", url="https://example.org/", description="*d*")
    assert list(item.markdown_texts().items()) == [
        ("description", "*d*"),
        ("excerpt", None),
        ("access", None),
    ]


def test_a_films_where_to_watch() -> None:
    film = Film(kind="film", title="F", where_to_watch=["Netflix", "DVD"])
    assert film.watch_on == ("Netflix", "DVD")


def test_file_options_of_a_handout_a_deck_and_an_article() -> None:
    handout = Handout(kind="handout", title="H", file="h.pdf", pages="1-3", password_env="PW")
    assert handout.file_options == FileOptions(pages="1-3", password_env="PW")
    untagged = Handout(kind="handout", title="H", file="h.pdf", tagged=False)
    assert untagged.file_options.tagged is False
    deck = Presentation(kind="presentation", title="P", file="p.pdf", layout="3-up")
    assert (deck.file_options.layout, deck.file_options.password) == ("3-up", None)
    article = Article(kind="article", title="A", file="a.pdf")
    assert article.file_options == FileOptions()
    assert article.file_options.layout == "1-up"
