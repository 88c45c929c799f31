"""``packetgen edit``: the YAML round trip, and the editor's HTTP API over real sockets.

The server runs in this process on 127.0.0.1 (no mocks); requests go through
http.client so that headers (Host, Origin, Cookie) are sent exactly as given.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import http.server
import inspect
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from packetgen.errors import PacketgenError
from packetgen.handouts.open import open_handout
from packetgen.serve._roundtrip import RoundTripError, apply_data, fresh_yaml
from packetgen.serve._spec_values import to_json
from packetgen.serve.edit import TOKEN_COOKIE, EditorServer
from packetgen.serve.edit_handler import MAX_JSON_BYTES, MAX_UPLOAD_BYTES
from packetgen.serve.new_items import safe_file_name
from packetgen.serve.run import editor_spec
from packetgen.spec._sources import parse
from packetgen.spec.loader import load_packet
from packetgen.spec.starter import STARTER

from ..conftest import ROOT

CORPUS = ROOT / "tests" / "corpus"
PDF = CORPUS / "faq.pdf"


def read(text: str) -> Any:
    """The spec as packetgen reads it, in the editor's JSON form."""
    return to_json(parse(text, name="packet.yaml", fmt="yaml").data)


def copy_of(data: Any) -> Any:
    return json.loads(json.dumps(data))


# -- the round trip ---------------------------------------------------------------

COMMENTED = """\
# The packet for the spring in-services.
# Ask Dana before changing the dates.
title: Spring Training   # the cover title
paper: letter
inservices:
  - id: first          # names the output files
    title: First
    date: 2026-03-02
    items:
      # Watch this first.
      - kind: recording
        title: The webinar
        url: https://example.org/webinar   # registration needed
        minutes: 60

      # Read before the session.
      - kind: article
        title: An article
        url: https://example.org/article
      - kind: note
        title: Bring a pen
      # - kind: handout     (commented out until the PDF arrives)
  - id: second
    title: Second
    objectives:
      - Know the signs   # the main one
      # the next one is new this year
      - Know whom to call
"""


def test_an_unchanged_spec_is_written_back_byte_for_byte() -> None:
    for text in (STARTER, COMMENTED, (ROOT / "packets/child-trafficking/packet.yaml").read_text()):
        assert apply_data(text, read(text)) == text


def test_a_change_keeps_comments_key_order_and_the_rest_of_the_file() -> None:
    data = read(COMMENTED)
    data["title"] = "Spring Training 2026"
    data["inservices"][0]["items"][1]["title"] = "A better article"
    written = apply_data(COMMENTED, data)
    assert written == COMMENTED.replace(
        "title: Spring Training   # the cover title",
        "title: Spring Training 2026   # the cover title",
    ).replace("title: An article", "title: A better article")
    assert read(written) == data


def test_removed_keys_go_and_new_keys_take_the_models_place() -> None:
    data = read(COMMENTED)
    del data["paper"]
    first = data["inservices"][0]
    first["time"] = "6:30pm-8:00pm"  # InService: ... date, time, presenter ...
    first["presenter"] = "Dana"
    del first["items"][0]["minutes"]
    first["items"][2]["description"] = "Any pen."
    written = apply_data(COMMENTED, data)
    assert "paper:" not in written
    assert (
        "    date: 2026-03-02\n    time: 6:30pm-8:00pm\n    presenter: Dana\n    items:\n"
        in written
    )
    assert "minutes" not in written
    assert (
        "      - kind: note\n        title: Bring a pen\n        description: Any pen.\n" in written
    )
    # The comment after the last item stays after it.
    assert "description: Any pen.\n      # - kind: handout" in written
    assert read(written) == data
    assert "# The packet for the spring in-services.\n# Ask Dana" in written


def test_a_moved_item_keeps_its_comments() -> None:
    data = read(COMMENTED)
    items = data["inservices"][0]["items"]
    data["inservices"][0]["items"] = [items[1], items[2], items[0]]
    objectives = data["inservices"][1]["objectives"]
    data["inservices"][1]["objectives"] = objectives[::-1]
    written = apply_data(COMMENTED, data)
    assert read(written) == data
    # The comment above the article moved with it; the webinar's end-of-line comment too.
    assert written.index("# Read before the session.") < written.index("title: An article")
    assert written.index("title: Bring a pen") < written.index("title: The webinar")
    assert "url: https://example.org/webinar   # registration needed" in written
    assert written.index("# the next one is new this year") < written.index("- Know whom to call")
    assert "- Know the signs   # the main one" in written
    assert written.index("- Know whom to call") < written.index("- Know the signs")
    # The comment that closes the list closes it still.
    assert written.rstrip().endswith("- Know the signs   # the main one")
    assert written.index("url: https://example.org/webinar") < written.index("# - kind: handout")
    for comment in ("# Watch this first.", "# names the output files", "# the cover title"):
        assert written.count(comment) == 1


def test_a_moved_in_service_keeps_its_comments() -> None:
    data = read(COMMENTED)
    data["inservices"].reverse()
    written = apply_data(COMMENTED, data)
    assert read(written) == data
    assert "  - id: first          # names the output files" in written
    assert written.index("id: second") < written.index("id: first")


@pytest.mark.parametrize(
    "value", ["18:30", "yes", "no", "on", "1.0", "2026-01-15", "017", "null", "~", "true", "#1"]
)
def test_text_that_yaml_would_read_otherwise_is_quoted(value: str) -> None:
    data = read(COMMENTED)
    data["inservices"][0]["title"] = value
    data["inservices"][0]["items"][2]["title"] = f"{value}"
    data["inservices"][1]["objectives"].append(value)
    written = apply_data(COMMENTED, data)
    assert read(written) == data
    # PyYAML's own reading too (what packetgen builds on).
    plain = yaml.safe_load(written)
    if value != "18:30":  # packetgen keeps base-60 numbers as text; PyYAML alone does not
        assert plain["inservices"][0]["title"] == value
    packet = load_packet_text(written)
    assert packet.inservices[0].title == value


def load_packet_text(text: str, tmp: Path | None = None) -> Any:
    from packetgen.spec.loader import packet_from_data

    return packet_from_data(parse(text, name="packet.yaml", fmt="yaml").data, folder=ROOT)


def test_dates_are_plain_dates_and_a_date_in_text_stays_text() -> None:
    data = read(COMMENTED)
    data["inservices"][0]["date"] = "2026-04-01"
    data["inservices"][1]["date"] = "2026-05-06"
    data["inservices"][1]["presenter"] = "2026-05-06"
    written = apply_data(COMMENTED, data)
    assert "    date: 2026-04-01\n" in written
    assert "    date: 2026-05-06\n" in written
    assert "presenter: '2026-05-06'" in written
    plain = parse(written, name="p", fmt="yaml").data
    assert plain["inservices"][1]["date"] == _dt.date(2026, 5, 6)
    assert plain["inservices"][1]["presenter"] == "2026-05-06"


def test_new_multi_line_text_is_a_block_and_long_lines_are_not_folded() -> None:
    data = read(COMMENTED)
    data["inservices"][1]["summary"] = "First paragraph.\n\nSecond **paragraph**."
    long = "A very long line that goes on " * 12
    data["inservices"][1]["presenter"] = long.strip()
    written = apply_data(COMMENTED, data)
    assert "    summary: |\n      First paragraph.\n\n      Second **paragraph**.\n" in written
    assert f"    presenter: {long.strip()}\n" in written
    assert read(written) == data


def test_a_changed_block_keeps_its_style() -> None:
    data = read(STARTER)
    data["advisory"] = "A shorter notice."
    data["inservices"][0]["summary"] = "Two lines\nof summary."
    written = apply_data(STARTER, data)
    assert "advisory: >-\n  A shorter notice.\n" in written
    assert "    summary: |\n      Two lines\n      of summary.\n    objectives:" in written
    assert read(written) == data


def test_new_entries_follow_the_starters_layout() -> None:
    data = read(STARTER)
    inservice = copy_of(data["inservices"][0])
    inservice["id"] = "second-in-service"
    inservice["items"] = [
        {"title": "Slides", "file": "handouts/s.pdf", "layout": "2-up", "kind": "presentation"}
    ]
    data["inservices"].append(inservice)
    data["inservices"][0]["agenda"].append({"title": "Close", "time": "7:55pm"})
    written = apply_data(STARTER, data)
    assert written.startswith(STARTER.split("inservices:")[0])
    assert "  - id: second-in-service\n    title: Understanding Child Trafficking\n" in written
    assert (
        "      - kind: presentation\n        title: Slides\n        file: handouts/s.pdf\n"
        "        layout: 2-up\n"
    ) in written
    # Flow entries get a flow sibling.
    assert "      - {time: 7:40pm, title: Questions and discussion}\n" in written
    assert "      - {title: Close, time: 7:55pm}\n" in written or (
        "      - {time: 7:55pm, title: Close}\n" in written
    )
    assert read(written) == data


def test_nulls_remove_and_a_broken_file_is_written_afresh() -> None:
    data = read(COMMENTED)
    data["paper"] = None
    assert "paper" not in apply_data(COMMENTED, data)
    broken = "title: [unclosed\n"
    fresh = apply_data(broken, {"title": "T", "inservices": [{"id": "a", "title": "A"}]})
    assert fresh == "title: T\ninservices:\n  - id: a\n    title: A\n"
    assert fresh_yaml({"inservices": [], "title": "x"}) == "title: x\ninservices: []\n"


def test_other_indentation_is_kept() -> None:
    text = "title: T\ninservices:\n- id: a\n  title: A\n  objectives:\n  - one\n"
    data = read(text)
    data["inservices"][0]["objectives"].append("two")
    assert apply_data(text, data) == text + "  - two\n"


def test_a_value_that_cannot_be_written_as_sent_is_refused() -> None:
    with pytest.raises(RoundTripError):
        apply_data(COMMENTED, {"title": float("nan"), "inservices": []})


# -- names of dropped files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../x.pdf", "x.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\me\\Session handout.pdf", "Session handout.pdf"),
        (".bashrc", "bashrc"),
        ("a\x00b.pdf", "ab.pdf"),
        ("Café notes.PDF", "Café notes.pdf"),
        ("x;rm -rf $HOME.pdf", "x-rm-rf-HOME.pdf"),
    ],
)
def test_file_names_are_reduced_to_a_plain_name(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


@pytest.mark.parametrize("name", ["", "..", "../..", ".", "/", "\x00", "  "])
def test_a_name_with_nothing_left_is_refused(name: str) -> None:
    with pytest.raises(Exception, match="no usable name"):
        safe_file_name(name)


def test_the_upload_cap_is_the_binders() -> None:
    assert inspect.signature(open_handout).parameters["max_bytes"].default == MAX_UPLOAD_BYTES


# -- the server -----------------------------------------------------------------


class Client:
    """Requests to the editor, with exactly the headers given."""

    def __init__(self, server: EditorServer) -> None:
        self.server = server
        self.host, self.port = server.address
        self.origin = f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        host: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            for key, value in (headers or {}).items():
                conn.putheader(key, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"{self.server.cookie_name}={self.server.token}"}

    def get(self, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path, headers=self.cookie(), **kwargs)

    def post(
        self, path: str, payload: Any = None, *, raw: bytes | None = None, **headers: str | None
    ) -> tuple[int, Any]:
        """POST as the editor's page does; a header given as None is left out."""
        body = raw if raw is not None else json.dumps(payload or {}).encode()
        sent: dict[str, str | None] = {
            "X-Packetgen-Token": self.server.token,
            "Origin": self.origin,
        }
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        given = {k: v for k, v in sent.items() if v is not None}
        status, _headers, data = self.request("POST", path, body, given)
        try:
            return status, json.loads(data)
        except ValueError:
            return status, data.decode()


def _start(spec: Path) -> EditorServer:
    editor = EditorServer(spec, debounce_ms=50)
    editor.start()
    return editor


@pytest.fixture
def packet(tmp_path: Path) -> Path:
    folder = tmp_path / "my-packet"
    folder.mkdir()
    (folder / "handouts").mkdir()
    spec = folder / "packet.yaml"
    spec.write_text(COMMENTED, encoding="utf-8")
    return spec


@pytest.fixture
def client(packet: Path) -> Iterator[Client]:
    editor = _start(packet)
    try:
        yield Client(editor)
    finally:
        editor.stop()


ROUTES = [
    ("GET", "/edit"),
    ("GET", "/edit/static/editor.js"),
    ("GET", "/api/edit/state"),
    ("GET", "/api/edit/pdf?inservice=first"),
    ("GET", "/"),
    ("GET", "/first.html"),
    ("GET", "/__packetgen__/generation"),
    ("POST", "/api/edit/validate"),
    ("POST", "/api/edit/save"),
    ("POST", "/api/edit/undo"),
    ("POST", "/api/edit/link"),
    ("POST", "/api/edit/upload"),
]


def test_every_route_needs_the_token(client: Client, packet: Path) -> None:
    before = packet.read_bytes()
    wrong = "x" * len(client.server.token)
    for method, path in ROUTES:
        body = b"{}" if method == "POST" else None
        origin = {"Origin": client.origin}
        for headers in (
            {},
            {"X-Packetgen-Token": wrong},
            {"Cookie": f"{client.server.cookie_name}={wrong}"},
            {"Cookie": f"{TOKEN_COOKIE}={client.server.token}"},
            {"X-Packetgen-Token": client.server.token[:-1]},
        ):
            status, sent, _ = client.request(method, path, body, {**headers, **origin})
            assert status == 403, (method, path, headers)
            assert sent["Content-Type"].startswith("text/plain")
    status, _, _ = client.request("GET", f"/edit?token={wrong}")
    assert status == 403
    # The query token opens the page only, not the API.
    status, _, _ = client.request("GET", f"/api/edit/state?token={client.server.token}")
    assert status == 403
    assert packet.read_bytes() == before


def test_a_foreign_host_is_refused(client: Client) -> None:
    token = client.server.token
    for method, path in ROUTES:
        body = b"{}" if method == "POST" else None
        headers = {**client.cookie(), "X-Packetgen-Token": token, "Origin": client.origin}
        for host in ("evil.example", f"evil.example:{client.port}", "127.0.0.1.nip.io"):
            status, _, _ = client.request(method, path, body, headers, host=host)
            assert status == 403, (method, path, host)


def test_posts_need_the_header_and_the_editors_origin(client: Client, packet: Path) -> None:
    before = packet.read_bytes()
    data = read(COMMENTED)
    data["title"] = "Changed"
    for origin in (None, "", "http://evil.example", f"http://127.0.0.1:{client.port + 1}", "null"):
        status, _ = client.post("/api/edit/save", {"data": data}, Origin=origin)
        assert status == 403, origin
    # The cookie alone (what a form on another site would send) is not enough.
    status, _, _ = client.request(
        "POST",
        "/api/edit/save",
        json.dumps({"data": data}).encode(),
        {**client.cookie(), "Origin": client.origin},
    )
    assert status == 403
    assert packet.read_bytes() == before
    # localhost is the editor's own origin too.
    status, body = client.post(
        "/api/edit/validate", {"data": data}, Origin=f"http://localhost:{client.port}"
    )
    assert status == 200, body


def test_the_page_sets_the_cookie_and_carries_the_token(client: Client) -> None:
    token = client.server.token
    status, headers, body = client.request("GET", f"/edit?token={token}")
    assert status == 200
    assert f'<meta name="packetgen-token" content="{token}">' in body.decode()
    assert "__PACKETGEN_TOKEN__" not in body.decode()
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"{TOKEN_COOKIE}_{client.server.address[1]}={token};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    status, _, _ = client.get("/edit")
    assert status == 200
    status, headers, _ = client.get("/edit/static/editor.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    for bad in ("../edit.py", "..%2F__init__.py", "editor.html", ".hidden.js", "nope.js"):
        status, _, _ = client.get(f"/edit/static/{bad}")
        assert status == 404, bad
    # The preview is there behind the cookie.
    status, _, body = client.get("/first.html")
    assert status == 200
    assert b"First" in body


def test_state(client: Client) -> None:
    status, _, raw = client.get("/api/edit/state")
    assert status == 200
    state = json.loads(raw)
    assert state["spec"] == "packet.yaml"
    assert state["folder"] == "my-packet"
    assert state["data"] == read(COMMENTED)
    assert state["data"]["inservices"][0]["date"] == "2026-03-02"
    assert state["yaml"] == COMMENTED
    assert state["problems"] == []
    assert state["fetch"] is False
    assert state["can_undo"] is False
    assert state["schema"]["properties"]["inservices"]
    assert state["hours"] == {"first": "no hours set", "second": "no hours set"}


def test_a_bad_value_is_refused_at_its_field_and_nothing_is_written(
    client: Client, packet: Path
) -> None:
    before = packet.read_bytes()
    data = read(COMMENTED)
    data["inservices"][0]["items"][1]["url"] = "not a web address"
    data["inservices"][1]["hours"] = -1
    status, body = client.post("/api/edit/validate", {"data": data})
    assert status == 200
    assert body["ok"] is False
    status, body = client.post("/api/edit/save", {"data": data})
    assert status == 422
    assert body["ok"] is False
    fields = {p["field"]: p for p in body["problems"]}
    assert set(fields) == {"inservices[0].items[1].url", "inservices[1].hours"}
    url = fields["inservices[0].items[1].url"]
    # The words and place `packetgen check` gives for the same file.
    spec = packet.with_name("other.yaml")
    spec.write_text(apply_data(COMMENTED, data), encoding="utf-8")
    with pytest.raises(PacketgenError) as caught:
        load_packet(spec)
    expected = next(p for p in caught.value.problems if p.field == url["field"])  # type: ignore[attr-defined]  # SpecError
    assert url["message"] == expected.message
    assert url["text"] == str(expected).replace(str(spec), "packet.yaml")
    assert url["text"].startswith("packet.yaml:19:14: inservices[0].items[1].url: expected")
    spec.unlink()
    assert packet.read_bytes() == before
    assert not packet.with_name("packet.yaml.bak").exists()


def test_a_missing_handout_is_found_as_check_finds_it(client: Client, packet: Path) -> None:
    data = read(COMMENTED)
    data["inservices"][0]["items"].append(
        {"kind": "handout", "title": "FAQ", "file": "handouts/missing.pdf"}
    )
    status, body = client.post("/api/edit/save", {"data": data})
    assert status == 422
    [problem] = body["problems"]
    assert problem["field"] == "inservices[0].items[3].file"
    assert "file not found: 'handouts/missing.pdf'" in problem["message"]
    # A damaged file: only check opens it.
    (packet.parent / "handouts" / "bad.pdf").write_bytes(b"%PDF-1.4\nnot really\n")
    data["inservices"][0]["items"][-1]["file"] = "handouts/bad.pdf"
    status, body = client.post("/api/edit/save", {"data": data})
    assert status == 422
    [problem] = body["problems"]
    assert problem["field"] == "inservices[0].items[3].file"
    assert problem["text"].startswith("packet.yaml:")
    # Beside the field: the file, the item and what is wrong, without the place again.
    assert problem["message"].startswith("handouts/bad.pdf: FAQ: ")
    assert problem["text"].endswith(f"inservices[0].items[3].file: {problem['message']}")
    assert packet.read_text() == COMMENTED


def test_save_keeps_comments_makes_a_backup_and_undo_restores(client: Client, packet: Path) -> None:
    data = read(COMMENTED)
    data["inservices"][1]["title"] = "Second, renamed"
    data["inservices"][1]["hours"] = 1.5
    status, body = client.post("/api/edit/save", {"data": data})
    assert status == 200, body
    assert body["ok"] is True
    assert body["can_undo"] is True
    assert body["hours"]["second"] == "1.5 hours"
    _dt.datetime.fromisoformat(body["saved_at"])
    saved = packet.read_text()
    assert body["yaml"] == saved
    assert "# Ask Dana before changing the dates." in saved
    assert "    title: Second, renamed\n" in saved
    assert packet.with_name("packet.yaml.bak").read_text() == COMMENTED
    status, state = client.post("/api/edit/undo")
    assert status == 200
    assert packet.read_text() == COMMENTED
    assert state["yaml"] == COMMENTED
    assert state["can_undo"] is True
    assert packet.with_name("packet.yaml.bak").read_text() == saved


def test_undo_without_a_backup(client: Client) -> None:
    status, body = client.post("/api/edit/undo")
    assert status == 409
    assert "no earlier version" in body["error"]


def test_requests_that_are_not_json_or_too_big(client: Client, packet: Path) -> None:
    status, body = client.post("/api/edit/save", raw=b"{not json")
    assert status == 400
    assert "not valid JSON" in body["error"]
    status, body = client.post("/api/edit/save", {"data": [1, 2]})
    assert status == 400
    status, body = declared_only(client, "/api/edit/save", MAX_JSON_BYTES + 1)
    assert status == 413
    assert "at most 2 MB" in body["error"]
    assert packet.read_text() == COMMENTED


def declared_only(client: Client, path: str, length: int, **headers: str) -> tuple[int, Any]:
    """Send only the headers of a POST whose body would be ``length`` bytes: the length
    alone must decide, the body never read."""
    conn = http.client.HTTPConnection(client.host, client.port, timeout=10)
    try:
        conn.putrequest("POST", path, skip_host=True)
        conn.putheader("Host", f"127.0.0.1:{client.port}")
        conn.putheader("Origin", client.origin)
        conn.putheader("X-Packetgen-Token", client.server.token)
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def upload(client: Client, name: str, data: bytes) -> tuple[int, Any]:
    return client.post("/api/edit/upload", raw=data, X_Packetgen_Filename=quote(name))


def test_an_upload_named_to_escape_lands_in_handouts(client: Client, packet: Path) -> None:
    folder = packet.parent
    outside = set(folder.parent.parent.rglob("*"))
    data = PDF.read_bytes()
    for name in ("../../x.pdf", "..\\..\\x.pdf", "/etc/x.pdf"):
        status, body = upload(client, name, data)
        assert status == 200, body
        assert body["item"] == {"kind": "handout", "title": "X", "file": "handouts/x.pdf"}
        assert body["pages"] == len(open_handout(PDF, item="").pages)
        assert body["offer"] == ["pages"]
    assert (folder / "handouts" / "x.pdf").read_bytes() == data
    assert set(folder.parent.parent.rglob("*")) - outside == {folder / "handouts" / "x.pdf"}
    # Other bytes under the same name get their own file.
    status, body = upload(client, "x.pdf", (CORPUS / "csec-deck.pdf").read_bytes())
    assert body["item"]["file"] == "handouts/x-2.pdf"
    status, body = upload(client, "Session slides.pdf", (CORPUS / "csec-deck.pdf").read_bytes())
    assert body["item"]["kind"] == "presentation"
    assert body["offer"] == ["pages", "layout"]
    status, body = upload(client, ".hidden", data)
    assert body["item"]["file"] == "handouts/hidden.pdf"
    # The item the upload made passes the check.
    spec = read(COMMENTED)
    spec["inservices"][0]["items"].append(body["item"])
    status, saved = client.post("/api/edit/save", {"data": spec})
    assert status == 200, saved


def test_uploads_that_are_not_handouts_are_refused(client: Client, packet: Path) -> None:
    handouts = packet.parent / "handouts"
    cases = [
        ("page.pdf", b"<!DOCTYPE html><html><body>Register</body></html>", "HTML web page"),
        ("data.bin", b"\x00\x01\x02 unknown", "does not recognise"),
        ("empty.pdf", b"", "empty"),
        ("", PDF.read_bytes(), "no usable name"),
        ("..", PDF.read_bytes(), "no usable name"),
    ]
    for name, data, words in cases:
        status, body = upload(client, name, data)
        assert status == 400, name
        assert words in body["error"], body
    status, body = client.post("/api/edit/upload", raw=b"%PDF-1.4", X_Packetgen_Filename=None)
    assert status == 400
    assert "name is missing" in body["error"]
    assert list(handouts.iterdir()) == []


def test_an_oversize_upload_is_refused_unread(client: Client, packet: Path) -> None:
    status, body = declared_only(
        client, "/api/edit/upload", MAX_UPLOAD_BYTES + 1, **{"X-Packetgen-Filename": "big.pdf"}
    )
    assert status == 413
    assert "at most 200 MB" in body["error"]
    assert list((packet.parent / "handouts").iterdir()) == []


def test_link_guesses_the_kind_and_a_title_without_the_network(client: Client) -> None:
    status, body = client.post("/api/edit/link", {"url": "https://www.youtube.com/watch?v=abc"})
    assert status == 200
    assert body["item"] == {
        "kind": "recording",
        "title": "youtube.com",
        "url": "https://www.youtube.com/watch?v=abc",
    }
    status, body = client.post(
        "/api/edit/link", {"url": "https://example.org/reports/child-welfare-report.pdf"}
    )
    assert body["item"]["kind"] == "article"
    assert body["item"]["title"] == "Child welfare report"
    for bad in ("not a url", "javascript:alert(1)", "", 5):
        status, body = client.post("/api/edit/link", {"url": bad})
        assert status == 400, bad
        assert body["error"]


def test_pdf_of_an_unknown_in_service(client: Client) -> None:
    status, _headers, body = client.get("/api/edit/pdf?inservice=nope")
    assert status == 404
    assert "no in-service with the id 'nope'" in json.loads(body)["error"]


@pytest.mark.slow
def test_pdf_on_demand(client: Client) -> None:
    status, headers, body = client.get("/api/edit/pdf?inservice=second")
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF-")


def test_editing_a_folder_without_a_spec_writes_the_starter(tmp_path: Path) -> None:
    folder = tmp_path / "new-packet"
    folder.mkdir()
    spec, started = editor_spec(folder)
    assert started
    assert spec == folder / "packet.yaml"
    assert spec.read_text() == STARTER
    assert editor_spec(folder) == (spec, False)
    assert editor_spec(tmp_path / "brand-new") == (tmp_path / "brand-new" / "packet.yaml", True)
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "packet.json").write_text("{}")
    for refused in (tmp_path / "j", tmp_path / "j" / "packet.json", tmp_path / "x.toml"):
        with pytest.raises(PacketgenError, match="writes YAML only"):
            editor_spec(refused)


def test_the_command_prints_the_address_first(tmp_path: Path) -> None:
    folder = tmp_path / "cli-packet"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "packetgen", "edit", str(folder), "--no-open", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]  # checked above
        reader.start()
        reader.join(timeout=30)
        assert lines, "no output within 30 s"
        first = lines[0].strip()
        assert first.startswith("http://127.0.0.1:")
        assert "/edit?token=" in first
        second = process.stdout.readline()
        assert "starter" in second
        assert (folder / "packet.yaml").read_text() == STARTER
        port = int(first.split(":")[2].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", first.split(str(port), 1)[1])
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")


def test_reads_asked_by_another_site_are_refused(client: Client) -> None:
    """Even with the right cookie, a request another page's script makes is refused."""
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{client.port + 1}"):
        status, _, body = client.request(
            "GET", "/api/edit/state", headers={**client.cookie(), "Origin": origin}
        )
        assert status == 403, origin
        assert b"only from its own page" in body
    status, _, _ = client.request(
        "GET", "/api/edit/state", headers={**client.cookie(), "Origin": client.origin}
    )
    assert status == 200


class _TitledPage(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = (
            b"<!doctype html><html><head><title>Spotting the Signs of Grooming"
            b" \xe2\x80\x93 Example CASA</title></head><body>A talk</body></html>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_with_fetch_the_title_comes_from_the_page(
    packet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TitledPage)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    editor = EditorServer(packet, debounce_ms=50, fetch=True)
    editor.start()
    try:
        url = f"http://127.0.0.1:{site.server_address[1]}/talks/grooming"
        status, body = Client(editor).post("/api/edit/link", {"url": url})
        assert status == 200, body
        assert body["item"]["title"] == "Spotting the Signs of Grooming"
        assert body["item"]["url"] == url
    finally:
        editor.stop()
        site.shutdown()
        site.server_close()
