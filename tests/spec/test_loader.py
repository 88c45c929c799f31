"""The loader: every bad input gives one clear, located message; nothing else escapes."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import packetgen
from packetgen import Packet, PacketgenError, SpecError, load_packet
from packetgen.spec.loader import MAX_SPEC_BYTES

from ..conftest import CORPUS, EXAMPLE

MINIMAL = """\
title: T
inservices:
  - id: one
    title: One
    items: []
"""


def messages(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_packet(path)
    return [str(p) for p in info.value.problems]


def only(path: Path) -> str:
    found = messages(path)
    assert len(found) == 1, found
    return found[0]


def test_example_packet_loads() -> None:
    packet = load_packet(EXAMPLE)
    assert packet.title == "Child Trafficking In-service Materials"
    assert packet.source == EXAMPLE
    assert packet.folder == EXAMPLE.parent


def test_minimal_packet_and_defaults(write_spec: Callable[..., Path]) -> None:
    packet = load_packet(write_spec(MINIMAL))
    assert packet.paper == "letter"
    assert packet.language == "en"
    assert packet.duplex is False
    assert packet.inservices[0].items == []


def test_dates_are_dates(write_spec: Callable[..., Path]) -> None:
    path = write_spec(MINIMAL.replace("    title: One\n", "    title: One\n    date: 2018-03-12\n"))
    assert load_packet(path).inservices[0].date == dt.date(2018, 3, 12)


def test_broken_yaml_syntax(write_spec: Callable[..., Path]) -> None:
    path = write_spec("title: T\ninservices:\n  - id: one\n    title: [unclosed\n")
    assert only(path) == (
        f"{path}:4:12: not valid YAML, so nothing else was checked: a value that starts with [ is"
        " read as a list, and this one is never closed with ]; if it is text, put it in quotes:"
        ' title: "[unclosed"\n'
        "        title: [unclosed\n"
        "               ^"
    )


def test_python_object_tag_is_refused(write_spec: Callable[..., Path]) -> None:
    path = write_spec(MINIMAL.replace("title: T", "title: !!python/object/apply:os.system ['id']"))
    assert only(path) == (
        f"{path}:1:8: title: the YAML tag !!python/object/apply:os.system is not allowed;"
        " write plain values"
    )


def test_alias_bomb_is_refused_at_the_first_anchor(write_spec: Callable[..., Path]) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        bomb.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]")
    path = write_spec("\n".join(bomb) + "\n")
    assert only(path) == (
        f"{path}:1:4: YAML anchors and aliases (&name, *name) are not allowed in a packet spec;"
        " write the value out in full"
    )


def test_duplicate_keys(write_spec: Callable[..., Path]) -> None:
    path = write_spec(MINIMAL + "title: Again\n")
    assert only(path) == (
        f"{path}:6:1: title: duplicate key 'title' (first given on line 1); each field may appear once"
    )


def test_misspelt_key_suggests(write_spec: Callable[..., Path]) -> None:
    path = write_spec(MINIMAL.replace("    title: One", "    titel: One"))
    assert messages(path) == [
        f"{path}:3:5: inservices[0].title: required field missing; add `title:`",
        f"{path}:4:5: inservices[0].titel: unknown field 'titel' for this in-service;"
        " did you mean 'title'?",
    ]


def test_wrong_kind_suggests(write_spec: Callable[..., Path]) -> None:
    path = write_spec(
        MINIMAL.replace("items: []", "items:\n      - kind: artcle\n        title: X")
    )
    assert only(path) == (
        f"{path}:6:15: inservices[0].items[0].kind: unknown kind 'artcle'; did you mean 'article'?"
        " (expected one of: article, recording, handout, presentation, film, campaign, link, note)"
    )


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("javascript:alert(1)", "a javascript: URL"),
        ("file:///etc/passwd", "a file: URL"),
        ("example.org/page", "no scheme"),
    ],
)
def test_non_http_urls(write_spec: Callable[..., Path], url: str, found: str) -> None:
    path = write_spec(
        MINIMAL.replace(
            "items: []", f"items:\n      - kind: link\n        title: X\n        url: '{url}'"
        )
    )
    assert only(path) == (
        f"{path}:8:14: inservices[0].items[0].url: expected an http:// or https:// URL, found {found}"
    )


def test_url_without_host(write_spec: Callable[..., Path]) -> None:
    path = write_spec(
        MINIMAL.replace(
            "items: []", "items:\n      - kind: link\n        title: X\n        url: 'https:///x'"
        )
    )
    assert "expected a URL with a host name" in only(path)


def _handout(file: str) -> str:
    return MINIMAL.replace(
        "items: []", f"items:\n      - kind: handout\n        title: H\n        file: '{file}'"
    )


def test_missing_file_suggests_near_name(write_spec: Callable[..., Path]) -> None:
    path = write_spec(_handout("handouts/fax.pdf"))
    (path.parent / "handouts").mkdir()
    (path.parent / "handouts" / "faq.pdf").write_bytes((CORPUS / "faq.pdf").read_bytes())
    assert only(path) == (
        f"{path}:8:15: inservices[0].items[0].file: file not found: 'handouts/fax.pdf'"
        " (paths are relative to the spec's folder); did you mean 'handouts/faq.pdf'?"
    )


def test_path_escaping_the_folder(write_spec: Callable[..., Path]) -> None:
    path = write_spec(_handout("../../etc/passwd"))
    assert only(path) == (
        f"{path}:8:15: inservices[0].items[0].file: expected a path inside the packet folder,"
        " found '../../etc/passwd', which leads outside it; copy the file into the packet folder"
    )


def test_absolute_path(write_spec: Callable[..., Path]) -> None:
    path = write_spec(_handout("/etc/passwd"))
    assert only(path) == (
        f"{path}:8:15: inservices[0].items[0].file: expected a path inside the packet folder,"
        " found the absolute path '/etc/passwd'; copy the file into the packet folder and give"
        " its relative path"
    )


def test_symlink_pointing_outside(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.pdf"
    outside.write_bytes(b"%PDF-1.4\n")
    path = write_spec(_handout("leak.pdf"))
    (path.parent / "leak.pdf").symlink_to(outside)
    try:
        assert only(path) == (
            f"{path}:8:15: inservices[0].items[0].file: 'leak.pdf' is a symbolic link to a file"
            " outside the packet folder; copy the file itself into the packet folder"
        )
    finally:
        outside.unlink()


def test_folder_instead_of_file(write_spec: Callable[..., Path]) -> None:
    path = write_spec(_handout("handouts"))
    (path.parent / "handouts").mkdir()
    assert only(path) == (
        f"{path}:8:15: inservices[0].items[0].file: expected a regular file, found a folder:"
        " 'handouts'"
    )


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "packet.yaml"
    path.write_bytes(b"title: Caf\xe9\ninservices: []\n")
    assert only(path) == (
        f"{path}:1:11: expected UTF-8 text, found the byte 0xe9; save the file as UTF-8"
    )


@pytest.mark.parametrize("content", ["", "   \n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "packet.yaml"
    path.write_text(content)
    assert only(path) == (
        f"{path}:1:1: the file is empty; expected a packet with a title and inservices"
    )


def test_file_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "packet.yaml"
    path.write_text(MINIMAL + "#" * MAX_SPEC_BYTES)
    size = path.stat().st_size
    assert only(path) == (
        f"{path}: the file is {size:,} bytes; a packet spec may be at most 1,048,576 bytes (1 MiB)"
    )


def test_duplicate_inservice_ids(write_spec: Callable[..., Path]) -> None:
    path = write_spec(MINIMAL + "  - id: one\n    title: Two\n")
    assert only(path) == (
        f"{path}:6:9: inservices[1].id: in-service id 'one' is already used by inservices[0]"
        " (line 3); each in-service needs its own id, it names the output files"
    )


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("NO", "NO (YAML reads it as the boolean false); put it in quotes if you meant text: 'NO'"),
        ("on", "on (YAML reads it as the boolean true); put it in quotes if you meant text: 'on'"),
        (
            "0123",
            "0123 (YAML reads it as the number 123); put it in quotes if you meant text: '0123'",
        ),
    ],
)
def test_yaml_strings_are_strict(write_spec: Callable[..., Path], value: str, found: str) -> None:
    path = write_spec(MINIMAL.replace("    title: One", f"    title: {value}"))
    assert only(path) == f"{path}:4:12: inservices[0].title: expected text, found {found}"


def test_bad_slug_and_negative_hours(write_spec: Callable[..., Path]) -> None:
    path = write_spec(
        MINIMAL.replace("id: one", "id: One Two").replace("items: []", "hours: -1\n    items: []")
    )
    assert messages(path) == [
        f"{path}:3:9: inservices[0].id: expected a short name of lowercase letters, digits and"
        " single hyphens (like csec-understanding), found 'One Two'",
        f"{path}:5:12: inservices[0].hours: expected a number of 0 or more, found -1",
    ]


def test_every_problem_is_reported_at_once(write_spec: Callable[..., Path]) -> None:
    path = write_spec(
        """\
        title: T
        paper: A4
        inservices:
          - id: one
            title: One
            items:
              - kind: artcle
                title: X
              - kind: link
                title: L
                url: ftp://x.org/
              - kind: handout
                title: H
                file: nope.pdf
        """
    )
    found = messages(path)
    assert [m.split(": ", 2)[1] for m in found] == [
        "paper",
        "inservices[0].items[0].kind",
        "inservices[0].items[1].url",
        "inservices[0].items[2].file",
    ]
    assert "did you mean 'a4'?" in found[0]


def test_top_level_must_be_a_mapping(write_spec: Callable[..., Path]) -> None:
    path = write_spec("- just\n- a list\n")
    assert only(path) == (
        f"{path}:1:1: expected a mapping of fields (title:, inservices: …), found a list"
    )


def test_json_and_toml_specs(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(
        '{"title": "T", "inservices": [{"id": "one", "title": "One", "date": "2018-03-12"}]}'
    )
    (tmp_path / "p.toml").write_text(
        'title = "T"\n[[inservices]]\nid = "one"\ntitle = "One"\ndate = 2018-03-12\n'
    )
    for name in ("p.json", "p.toml"):
        assert load_packet(tmp_path / name).inservices[0].date == dt.date(2018, 3, 12)


def test_json_error_has_position(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"title": "T",\n "inservices": [}\n')
    assert only(path).startswith(f"{path}:2:17: invalid JSON:")


def test_json_field_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"title": "T",\n "inservices": [{"id": "one", "title": 5}]}\n')
    assert only(path) == f"{path}:2:40: inservices[0].title: expected text, found the number 5"


def test_password_env_must_be_set(
    write_spec: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACKETGEN_TEST_PW", raising=False)
    path = write_spec(
        _handout("h.pdf").replace(
            "file: 'h.pdf'", "file: 'h.pdf'\n        password_env: PACKETGEN_TEST_PW"
        )
    )
    (path.parent / "h.pdf").write_bytes((CORPUS / "faq.pdf").read_bytes())
    assert only(path).endswith(
        "inservices[0].items[0].password_env: the environment variable PACKETGEN_TEST_PW is not"
        " set; set it to the PDF's password before building (e.g. export PACKETGEN_TEST_PW=…)"
    )
    monkeypatch.setenv("PACKETGEN_TEST_PW", "casa2026")
    assert load_packet(path).inservices[0].items[0].file == "h.pdf"


def test_errors_are_one_family() -> None:
    for name in packetgen.__all__:
        obj = getattr(packetgen, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, PacketgenError)


def test_missing_spec_file(tmp_path: Path) -> None:
    assert (
        only(tmp_path / "nope.yaml")
        == f"{tmp_path / 'nope.yaml'}: cannot read the spec: it does not exist"
    )


yaml_scalars = st.one_of(
    st.sampled_from(
        ["NO", "on", "0123", "~", "2018-03-12", "1.5", "-1", "'x'", "https://a.org/", "*a", "&a x"]
    ),
    st.text(max_size=12),
)
yaml_keys = st.sampled_from(
    ["title", "inservices", "id", "items", "kind", "url", "file", "paper", "hours", "titel", "x"]
)


@st.composite
def yaml_documents(draw: st.DrawFn, depth: int = 0) -> str:
    """YAML-ish text: nested mappings/lists of spec-like keys, junk allowed."""
    if depth > 3 or draw(st.booleans()):
        return str(draw(yaml_scalars))
    indent = "  " * depth
    if draw(st.booleans()):
        keys = draw(st.lists(yaml_keys, max_size=5))
        parts = [f"{indent}{k}:\n{draw(yaml_documents(depth + 1))}" for k in keys]
    else:
        n = draw(st.integers(0, 3))
        parts = [f"{indent}-\n{draw(yaml_documents(depth + 1))}" for _ in range(n)]
    return "\n".join(parts) or "{}"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(yaml_documents(), st.text(max_size=200)))
def test_random_yaml_gives_packet_or_packetgen_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    try:
        result: Packet | str = load_packet(path)
    except PacketgenError as exc:
        result = str(exc)
    assert isinstance(result, Packet) or result
    assert os.listdir(tmp_path) == ["fuzz.yaml"]


def test_an_unknown_inservice_theme_is_located(write_spec: Callable[..., Path]) -> None:
    spec = write_spec(MINIMAL.replace("    title: One\n", "    title: One\n    theme: my-theme\n"))
    with pytest.raises(SpecError) as info:
        load_packet(spec)
    (problem,) = info.value.problems
    assert problem.field == "inservices[0].theme"
    assert problem.line == 5
    assert "file not found: 'my-theme'" in problem.message
    assert "built-in theme: default, ink-saver, large-print" in problem.message


def test_packet_from_data_refuses_bad_data_with_every_problem(tmp_path: Path) -> None:
    data = {
        "title": "",
        "paper": "legal",
        "inservices": [
            {
                "id": "One",
                "title": "One",
                "items": [{"kind": "link", "title": "x", "url": "ftp://x"}],
            }
        ],
    }
    with pytest.raises(SpecError) as info:
        packetgen.packet_from_data(data, folder=tmp_path)
    assert isinstance(info.value, PacketgenError)
    fields = {(p.field, p.file) for p in info.value.problems}
    assert fields == {
        ("title", "<data>"),
        ("paper", "<data>"),
        ("inservices[0].id", "<data>"),
        ("inservices[0].items[0].url", "<data>"),
    }
    assert "expected 'letter' or 'a4', found the text 'legal'" in str(info.value)
    with pytest.raises(SpecError, match="expected a mapping of fields"):
        packetgen.packet_from_data([1, 2], folder=tmp_path)  # type: ignore[arg-type]  # wrong on purpose


def test_packet_from_data_stays_inside_its_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4")
    inside = tmp_path / "packet"
    inside.mkdir()
    data = {
        "title": "T",
        "inservices": [
            {
                "id": "one",
                "title": "One",
                "items": [{"kind": "handout", "title": "H", "file": "../secret.pdf"}],
            }
        ],
    }
    with pytest.raises(SpecError, match="leads outside it"):
        packetgen.packet_from_data(data, folder=inside)
