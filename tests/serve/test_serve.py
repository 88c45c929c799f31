"""``packetgen serve``: live preview over HTTP, rebuilt and reloaded on every change.

The browser tests drive Debian's real headless Chromium through Playwright and
never reload a page themselves: the page must reload on its own.
"""

from __future__ import annotations

import _thread
import http.client
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import packetgen.serve.server as serve_module
from packetgen import PacketgenError
from packetgen.serve.run import serve
from packetgen.serve.server import PreviewServer

from ..chromium import launched_chromium

TIMEOUT_MS = 10_000

SPEC = """\
title: Original Title
inservices:
  - id: first
    title: First In-service
    items:
      - kind: article
        title: An article about advocacy
        url: https://example.org/a
  - id: second
    title: Second In-service
    items:
      - kind: note
        title: Before the session
"""


def edit(spec: Path, old: str, new: str, *, in_place: bool = False) -> None:
    """Change the spec as an editor saving it does.

    By default the new text is written beside the spec and renamed over it (one
    change, so exactly one rebuild); ``in_place`` truncates and rewrites the file,
    which a watcher may see half-written: the pages must cope with both.
    """
    text = spec.read_text(encoding="utf-8")
    assert old in text
    if in_place:
        spec.write_text(text.replace(old, new), encoding="utf-8")
        return
    temporary = spec.with_name(f".{spec.name}.saving")
    temporary.write_text(text.replace(old, new), encoding="utf-8")
    os.replace(temporary, spec)


def position_of(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in the text")


def get(server: PreviewServer, path: str, *, host: str | None = None) -> tuple[int, str, bytes]:
    """Send ``path`` exactly as given (no normalisation) and return status, type, body."""
    address, port = server.address
    conn = http.client.HTTPConnection(address, port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        conn.close()


def generation_json(server: PreviewServer) -> Any:
    status, ctype, body = get(server, "/__packetgen__/generation")
    assert status == 200
    assert ctype.startswith("application/json")
    return json.loads(body)


@pytest.fixture
def spec(write_spec: Callable[..., Path]) -> Path:
    return write_spec(SPEC)


@pytest.fixture
def server(spec: Path) -> Iterator[PreviewServer]:
    preview = PreviewServer(spec, debounce_ms=50)
    preview.start()
    try:
        yield preview
    finally:
        preview.stop()


# -- HTTP, without a browser ---------------------------------------------------


def test_serves_on_loopback_with_a_first_build(server: PreviewServer) -> None:
    assert server.address[0] == "127.0.0.1"
    assert urlsplit(server.url).hostname == "127.0.0.1"
    assert server.address[1] > 0
    assert server.generation == 1
    assert generation_json(server) == {"generation": 1, "ok": True}


def test_index_lists_every_inservice(server: PreviewServer) -> None:
    status, ctype, body = get(server, "/")
    page = body.decode()
    assert status == 200
    assert ctype.startswith("text/html")
    assert "Original Title" in page
    assert '<a href="/first.html">First In-service</a>' in page
    assert '<a href="/second.html">Second In-service</a>' in page
    assert "/__packetgen__/events" in page  # the index reloads itself too


def test_inservice_page_has_the_reload_script_before_body_end(server: PreviewServer) -> None:
    status, _ctype, body = get(server, "/first.html")
    page = body.decode()
    assert status == 200
    assert "An article about advocacy" in page
    script = page.rindex("/__packetgen__/events")
    assert page.rindex("<script>") < script < page.rindex("</body>")
    # The file on disk is the plain build output; only the served copy has the script.
    assert "__packetgen__" not in (server.out_dir / "first.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/%252e%252e%252fetc%252fpasswd",
        "/first.html/../../../etc/passwd",
        "/..%5c..%5cetc%5cpasswd",
        "//etc/passwd",
        "/etc/passwd",
        "/.%2e/.%2e/etc/passwd",
        "/%ff%fe",
        "/first.html%00.pdf",
        "/packet.yaml",
    ],
)
def test_path_traversal_is_not_found(server: PreviewServer, path: str) -> None:
    status, _ctype, body = get(server, path)
    assert status == 404
    assert b"root:" not in body


def test_only_built_files_are_served(server: PreviewServer) -> None:
    (server.out_dir / "secret.txt").write_text("not an output", encoding="utf-8")
    status, _ctype, _body = get(server, "/secret.txt")
    assert status == 404
    status, _ctype, _body = get(server, "/" + str(server.out_dir / "first.html"))
    assert status == 404
    assert get(server, "/first.pdf")[0] == 404  # HTML only unless pdf=True


def test_other_host_names_are_refused(server: PreviewServer) -> None:
    """A page on another site cannot reach the preview through DNS rebinding."""
    port = server.address[1]
    assert get(server, "/", host=f"evil.example:{port}")[0] == 403
    assert get(server, "/", host=f"localhost:{port}")[0] == 200
    assert get(server, "/", host=f"127.0.0.1:{port}")[0] == 200


def test_failed_build_shows_the_error_on_every_page(server: PreviewServer, spec: Path) -> None:
    edit(spec, "kind: article", 'kind: "<b>artcle</b>"')
    server.wait_for_build(1, timeout=10)
    assert generation_json(server) == {"generation": 2, "ok": False}
    line, column = position_of(spec.read_text(encoding="utf-8"), '"<b>artcle</b>"')
    for path in ("/", "/first.html", "/second.html", "/no-such-inservice.html"):
        status, ctype, body = get(server, path)
        page = body.decode()
        assert status == 200, path  # 200, so the page's reload script keeps running
        assert ctype.startswith("text/html")
        assert "<title>packetgen: build failed</title>" in page
        assert (
            f"packet.yaml:{line}:{column}: inservices[0].items[0].kind:"
            " unknown kind &#x27;&lt;b&gt;artcle&lt;/b&gt;&#x27;"
        ) in page
        assert "<b>artcle</b>" not in page
        assert "An article about advocacy" not in page  # never the stale output
        assert "/__packetgen__/events" in page

    edit(spec, 'kind: "<b>artcle</b>"', "kind: article")
    server.wait_for_build(2, timeout=10)
    assert generation_json(server) == {"generation": 3, "ok": True}
    assert b"An article about advocacy" in get(server, "/first.html")[2]


def test_internal_error_shows_the_traceback_and_the_server_survives(
    server: PreviewServer, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_build(*args: object, **kwargs: object) -> object:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(serve_module, "build", broken_build)
    edit(spec, "Original Title", "Title One")
    server.wait_for_build(1, timeout=10)
    status, _ctype, body = get(server, "/first.html")
    page = body.decode()
    assert status == 200
    assert "<title>packetgen: build failed (internal error)</title>" in page
    assert "Traceback (most recent call last)" in page
    assert "RuntimeError: renderer exploded" in page
    assert generation_json(server) == {"generation": 2, "ok": False}

    monkeypatch.undo()
    edit(spec, "Title One", "Title Two")
    server.wait_for_build(2, timeout=10)
    assert b"Title Two" in get(server, "/first.html")[2]


def test_output_folder_and_dotfiles_do_not_trigger_builds(write_spec: Callable[..., Path]) -> None:
    spec = write_spec(SPEC)
    out = spec.parent / "preview-out"
    with PreviewServer(spec, out_dir=out, debounce_ms=50) as preview:
        assert (out / "first.html").is_file()
        (out / "stray.html").write_text("x", encoding="utf-8")
        (spec.parent / ".packet.yaml.swp").write_text("x", encoding="utf-8")
        (spec.parent / ".git").mkdir()
        (spec.parent / ".git" / "index").write_text("x", encoding="utf-8")
        with pytest.raises(TimeoutError):
            preview.wait_for_build(1, timeout=1.0)
        # Any other file in the spec's folder (a handout, a theme) does trigger one.
        (spec.parent / "handouts").mkdir()
        (spec.parent / "handouts" / "notes.txt").write_text("x", encoding="utf-8")
        assert preview.wait_for_build(1, timeout=10) == 2
    assert (out / "first.html").is_file()  # a given out_dir is the caller's: kept


def test_stop_removes_the_temporary_folder_and_is_idempotent(spec: Path) -> None:
    preview = PreviewServer(spec)
    preview.start()
    out = preview.out_dir
    assert (out / "first.html").is_file()
    preview.stop()
    preview.stop()
    assert not out.exists()
    with pytest.raises(ConnectionRefusedError):
        get(preview, "/")


def test_missing_spec_is_refused_at_start(tmp_path: Path) -> None:
    preview = PreviewServer(tmp_path / "nope.yaml")
    with pytest.raises(
        PacketgenError, match=r"nope\.yaml: cannot read the spec: it does not exist"
    ):
        preview.start()


def test_busy_port_is_a_packetgen_error(server: PreviewServer, spec: Path) -> None:
    other = PreviewServer(spec, port=server.address[1])
    with pytest.raises(PacketgenError, match=r"cannot serve on 127\.0\.0\.1:\d+: .*another port"):
        other.start()


@pytest.mark.slow
def test_pdfs_are_served_when_asked_for(spec: Path) -> None:
    with PreviewServer(spec, pdf=True) as preview:
        for name in ("first.pdf", "packet.pdf"):
            status, ctype, body = get(preview, "/" + name)
            assert status == 200
            assert ctype == "application/pdf"
            assert body.startswith(b"%PDF-")
        index = get(preview, "/")[2].decode()
        assert '<a href="/first.pdf">' in index
        assert '<a href="/packet.pdf">' in index

        # A failed build never leaves an old PDF to be read as current.
        edit(spec, "kind: article", "kind: artcle")
        preview.wait_for_build(1, timeout=10)
        status, ctype, body = get(preview, "/first.pdf")
        assert status == 200
        assert ctype.startswith("text/html")
        assert b"packetgen: build failed" in body


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_serve_blocks_until_interrupted(spec: Path, how: str) -> None:
    events: list[str] = []
    fetched: list[int] = []
    serving = threading.Event()

    def on_event(message: str) -> None:
        events.append(message)
        if message.startswith("Serving"):
            serving.set()

    def interrupt() -> None:
        if serving.wait(20):
            url = re.search(r"http://\S+/", events[-1])
            assert url is not None
            split = urlsplit(url.group(0))
            conn = http.client.HTTPConnection(split.hostname or "", split.port, timeout=10)
            try:
                conn.request("GET", "/first.html")
                fetched.append(conn.getresponse().status)
            finally:
                conn.close()
            if how == "sigterm":
                os.kill(os.getpid(), signal.SIGTERM)
                return
        _thread.interrupt_main()

    before = signal.getsignal(signal.SIGTERM)
    helper = threading.Thread(target=interrupt)
    helper.start()
    try:
        serve(spec, port=0, on_event=on_event)
    finally:
        helper.join()
    assert fetched == [200]
    assert any(e.startswith("Build 1: 2 in-services") for e in events)
    assert signal.getsignal(signal.SIGTERM) is before


# -- a real browser ------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context()
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


def watch_requests(page: Any) -> list[str]:
    """Paths of every request the page makes from now on."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(urlsplit(request.url).path))
    return seen


def mark(page: Any) -> None:
    """Leave a marker in the page's JS state; a real reload wipes it."""
    page.evaluate("window.__notReloaded = true")


def wait_for_reload_with(page: Any, text: str) -> None:
    page.wait_for_function(
        "text => !window.__notReloaded && document.body && document.body.innerText.includes(text)",
        arg=text,
        timeout=TIMEOUT_MS,
    )


def test_browser_reloads_by_itself_after_an_edit(
    server: PreviewServer, spec: Path, context: Any
) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    requests = watch_requests(page)
    page.goto(server.url + "first.html")
    expect(page.locator("h1.packet-title").first).to_have_text("Original Title")
    mark(page)

    edit(spec, "title: Original Title", "title: Edited Title", in_place=True)
    wait_for_reload_with(page, "Edited Title")
    expect(page.locator("h1.packet-title").first).to_have_text("Edited Title")
    assert "Original Title" not in page.content()
    # Server-Sent Events told the page; it never had to poll.
    assert "/__packetgen__/events" in requests
    assert "/__packetgen__/generation" not in requests


def test_browser_shows_the_build_error_and_recovers(
    server: PreviewServer, spec: Path, context: Any
) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(server.url + "first.html")
    expect(page.locator("h1.packet-title").first).to_have_text("Original Title")
    mark(page)

    edit(spec, "kind: article", "kind: artcle", in_place=True)
    line, column = position_of(spec.read_text(encoding="utf-8"), "artcle")
    expected = f"packet.yaml:{line}:{column}: inservices[0].items[0].kind: unknown kind 'artcle'"
    wait_for_reload_with(page, expected)
    expect(page).to_have_title("packetgen: build failed")
    expect(page.locator("pre#packetgen-error")).to_contain_text(expected)
    assert "An article about advocacy" not in page.inner_text("body")

    mark(page)
    edit(spec, "kind: artcle", "kind: article", in_place=True)
    wait_for_reload_with(page, "An article about advocacy")
    expect(page.locator("h1.packet-title").first).to_have_text("Original Title")
    expect(page).to_have_title(re.compile("First In-service"))


def test_browser_falls_back_to_polling_without_event_source(
    server: PreviewServer, spec: Path, context: Any
) -> None:
    page = context.new_page()
    page.add_init_script("Object.defineProperty(window, 'EventSource', {value: undefined})")
    requests = watch_requests(page)
    page.goto(server.url)
    page.wait_for_function("() => document.body.innerText.includes('Second In-service')")
    mark(page)

    edit(spec, "title: Second In-service", "title: Renamed In-service", in_place=True)
    started = time.monotonic()
    wait_for_reload_with(page, "Renamed In-service")
    assert time.monotonic() - started < TIMEOUT_MS / 1000
    assert "/__packetgen__/generation" in requests
    assert "/__packetgen__/events" not in requests
