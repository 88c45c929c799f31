"""Link checking against a real HTTP server on the loopback interface.

No part of httpx is mocked: the server answers the way real sites do (moved
pages, login walls, flaky and slow servers), and its handler records what the
checker sent so that politeness (User-Agent, per-host limits) is tested too.
"""

from __future__ import annotations

import asyncio
import csv
import http.server
import io
import json
import socket
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest

import packetgen
from packetgen import PacketgenError
from packetgen.content.qr import make_qr
from packetgen.tools._link_probe import looks_like_login, same_page
from packetgen.tools.linkcheck import (
    LOGIN_EXPECTED,
    USER_AGENT,
    LinkReport,
    any_broken,
    check_links,
    check_links_sync,
    describe_links,
    format_reports,
)

SLOW_S = 1.5
TIMEOUT_S = 0.5
HOLD_S = 0.03
"""Every answer takes a moment, so that concurrent requests really overlap."""

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass
class Log:
    hits: list[tuple[str, str]] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)
    active: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    total_active: int = 0
    total_peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
            self.agents.clear()
            self.peak.clear()
            self.total_peak = 0

    def methods(self, path: str) -> list[str]:
        return [m for m, p in self.hits if p == path]


LOG = Log()
FLAKY_SEEN = {"count": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, method: str) -> None:
        path = self.path.split("?")[0]
        host = self.headers.get("Host", "").split(":")[0]
        with LOG.lock:
            LOG.hits.append((method, path))
            LOG.agents.add(self.headers.get("User-Agent", ""))
        if path == "/slow":
            # Not counted as active: the checker gives up and frees its slot
            # while this thread still sleeps.
            time.sleep(SLOW_S)
            self._reply(200)
            return
        with LOG.lock:
            LOG.active[host] += 1
            LOG.total_active += 1
            LOG.peak[host] = max(LOG.peak[host], LOG.active[host])
            LOG.total_peak = max(LOG.total_peak, LOG.total_active)
        try:
            time.sleep(HOLD_S)
            self._route(method, path)
        finally:
            with LOG.lock:
                LOG.active[host] -= 1
                LOG.total_active -= 1

    def _route(self, method: str, path: str) -> None:
        redirects = {
            "/moved": "/ok",
            "/slash": "/slash/",
            "/login-required": "/account/login",
            "/members": "/sign-in?next=/members",
        }
        statuses = {"/gone": 404, "/dead": 410, "/error": 500, "/forbidden": 403}
        if path in redirects:
            self._reply(301 if path in ("/moved", "/slash") else 302, redirects[path])
        elif path in statuses:
            self._reply(statuses[path])
        elif path == "/flaky":
            with LOG.lock:
                FLAKY_SEEN["count"] += 1
                first = FLAKY_SEEN["count"] == 1
            self._reply(500 if first else 200)
        elif path == "/head-not-allowed":
            self._reply(405 if method == "HEAD" else 200)
        elif path in ("/ok", "/slash/", "/account/login", "/sign-in", "/delay"):
            self._reply(200)
        else:
            self._reply(404)

    def _reply(self, status: int, location: str | None = None) -> None:
        body = b"<!doctype html><title>test</title>"
        try:
            self.send_response(status)
            if location is not None:
                self.send_header("Location", location)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the checker gave up (the /slow case)


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    with pytest.MonkeyPatch.context() as mp:
        # A proxy from the environment would see these requests instead of our server.
        for name in _PROXY_VARS:
            mp.delenv(name, raising=False)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(httpd.server_address[1])
        finally:
            httpd.shutdown()
            httpd.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def spec(server: int, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = f"http://127.0.0.1:{server}"
    refused = f"http://127.0.0.1:{closed_port()}/"
    path = tmp_path_factory.mktemp("links") / "packet.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            title: Links
            inservices:
              - id: one
                title: One
                items:
                  - {{kind: link, title: OK page, url: "{base}/ok"}}
                  - {{kind: link, title: Moved page, url: "{base}/moved"}}
                  - {{kind: link, title: Slash page, url: "{base}/slash"}}
                  - {{kind: link, title: Gone page, url: "{base}/gone"}}
                  - {{kind: link, title: Dead page, url: "{base}/dead"}}
                  - {{kind: link, title: Error page, url: "{base}/error"}}
                  - {{kind: link, title: Flaky page, url: "{base}/flaky"}}
                  - kind: recording
                    title: Webinar
                    url: "{base}/login-required"
                    access: Registration required. Enter your contact information.
                  - {{kind: link, title: Forbidden page, url: "{base}/forbidden"}}
              - id: two
                title: Two
                summary: "Also see [the OK page]({base}/ok)."
                items:
                  - {{kind: link, title: Slow page, url: "{base}/slow"}}
                  - {{kind: link, title: HEAD refused, url: "{base}/head-not-allowed"}}
                  - {{kind: link, title: Members area, url: "{base}/members"}}
                  - {{kind: link, title: No such host, url: "http://no-such-host.invalid/page"}}
                  - {{kind: link, title: Nobody home, url: "{refused}"}}
            """
        ),
        encoding="utf-8",
    )
    return path


class Checked(NamedTuple):
    reports: list[LinkReport]
    elapsed: float
    log: Log
    """What the server saw during this check (other tests reuse the server)."""


@pytest.fixture(scope="module")
def checked(spec: Path) -> Checked:
    LOG.reset()
    reports = describe_links(packetgen.load_packet(spec))
    started = time.perf_counter()
    result = check_links_sync(reports, timeout=TIMEOUT_S, retries=2, per_host=2, concurrency=8)
    elapsed = time.perf_counter() - started
    with LOG.lock:
        seen = Log(
            hits=list(LOG.hits),
            agents=set(LOG.agents),
            peak=Counter(LOG.peak),
            total_peak=LOG.total_peak,
        )
    return Checked(result, elapsed, seen)


def by_path(reports: list[LinkReport]) -> dict[str, LinkReport]:
    out: dict[str, LinkReport] = {}
    for r in reports:
        host, _, rest = r.url.partition("//")[2].partition("/")
        out["/" + rest if host.startswith("127.0.0.1") and rest else host] = r
    return out


def test_describe_links_needs_no_network(spec: Path) -> None:
    LOG.reset()
    reports = describe_links(packetgen.load_packet(spec))
    assert LOG.hits == []
    assert [r.number for r in reports] == list(range(1, 15))
    first = reports[0]
    qr = make_qr(first.url)
    assert (first.qr_version, first.printed_mm) == (qr.version, round(qr.size_mm(), 2))
    assert first.module_mm == pytest.approx(0.8, abs=1e-3)
    assert first.short_url is None
    assert first.items == ("OK page", "Two")  # the item, then the summary of in-service two
    assert first.inservices == ("one", "two")
    assert first.verdict is None
    assert [r.items[0] for r in reports if r.expected_login] == ["Webinar"]


def test_verdicts(checked: Checked, server: int) -> None:
    reports = checked.reports
    base = f"http://127.0.0.1:{server}"
    got = {
        path: (r.verdict, r.status, r.detail, r.final_url) for path, r in by_path(reports).items()
    }
    refused = next(r for r in reports if r.items == ("Nobody home",))
    assert got == {
        "/ok": ("ok", 200, "", f"{base}/ok"),
        "/moved": ("redirected", 200, f"redirects to {base}/ok; update the spec", f"{base}/ok"),
        "/slash": ("ok", 200, "", f"{base}/slash/"),
        "/gone": ("broken", 404, "404 Not Found", f"{base}/gone"),
        "/dead": ("broken", 410, "410 Gone", f"{base}/dead"),
        "/error": ("broken", 500, "500 Internal Server Error (tried 3 times)", f"{base}/error"),
        "/flaky": ("ok", 200, "", f"{base}/flaky"),
        "/login-required": ("login-wall", 200, LOGIN_EXPECTED, f"{base}/account/login"),
        "/forbidden": (
            "login-wall",
            403,
            "403 Forbidden: the site asks for a login or refuses automated checks; open the"
            " link in a browser, and if it needs registration say so in the item's access text",
            f"{base}/forbidden",
        ),
        "/slow": ("timeout", None, "no answer within 0.5 s (tried 3 times)", None),
        "/head-not-allowed": ("ok", 200, "", f"{base}/head-not-allowed"),
        "/members": (
            "login-wall",
            200,
            f"redirects to a login page ({base}/sign-in?next=/members) but the item does not"
            " say registration is required; check the link, or say so in the item's access text",
            f"{base}/sign-in?next=/members",
        ),
        "no-such-host.invalid": (
            "broken",
            None,
            "host not found: no-such-host.invalid does not exist (DNS)",
            None,
        ),
        refused.url.partition("//")[2].rstrip("/"): (
            "broken",
            None,
            "connection refused by 127.0.0.1: the site is down or gone (tried 3 times)",
            None,
        ),
    }
    assert LOGIN_EXPECTED == "login page expected: the item says registration is required"


def test_severity_and_any_broken(checked: Checked) -> None:
    reports = checked.reports
    severity = {path: r.severity for path, r in by_path(reports).items()}
    assert {p for p, s in severity.items() if s == "warning"} == {
        "/moved",
        "/forbidden",
        "/members",
    }
    assert severity["/login-required"] is None  # the item says registration is required
    assert any_broken(reports)
    fine = [r for r in reports if r.severity != "failure"]
    assert fine
    assert not any_broken(fine)  # warnings alone do not fail the check


def test_requests_are_polite(checked: Checked) -> None:
    log = checked.log
    assert log.agents == {USER_AGENT}
    assert USER_AGENT.startswith(f"packetgen/{packetgen.__version__} (")
    assert log.peak["127.0.0.1"] == 2  # overlapping, but never more than per_host
    # HEAD first; GET only when HEAD is refused; retries only for server errors.
    assert log.methods("/head-not-allowed") == ["HEAD", "GET"]
    assert log.methods("/flaky") == ["HEAD", "HEAD"]
    assert log.methods("/error") == ["HEAD", "HEAD", "HEAD"]
    assert log.methods("/gone") == ["HEAD", "GET"]
    assert log.methods("/ok") == ["HEAD", "HEAD"]  # its own link, and where /moved ends
    assert log.methods("/slow") == ["HEAD", "HEAD", "HEAD"]
    assert checked.elapsed < 6


def test_per_host_limit_is_per_host(server: int) -> None:
    """Two host names for the same server: each gets its own two slots."""
    LOG.reset()
    urls = [
        f"http://{host}:{server}/delay?n={n}"
        for host in ("127.0.0.1", "localhost")
        for n in range(8)
    ]
    reports = [LinkReport(n, url, ("x",), ("one",), 1, 22.0, 0.7) for n, url in enumerate(urls)]
    result = check_links_sync(reports, timeout=TIMEOUT_S, per_host=2, concurrency=8)
    assert [r.verdict for r in result] == ["ok"] * len(urls)
    assert [r.url for r in result] == urls  # order kept
    assert LOG.peak == Counter({"127.0.0.1": 2, "localhost": 2})
    assert LOG.total_peak >= 3


def test_check_links_sync_refuses_a_running_loop() -> None:
    async def inner() -> None:
        with pytest.raises(PacketgenError, match="await check_links instead"):
            check_links_sync([])

    asyncio.run(inner())
    assert asyncio.run(check_links([])) == []


def test_bad_settings_are_reported() -> None:
    with pytest.raises(PacketgenError, match="timeout must be positive, found 0"):
        check_links_sync([], timeout=0)
    with pytest.raises(PacketgenError, match="per_host and concurrency at least 1"):
        check_links_sync([], per_host=0)


@pytest.mark.parametrize(
    ("original", "final", "same"),
    [
        ("http://example.org/a", "https://example.org/a", True),
        ("https://example.org/a", "https://example.org/a/", True),
        ("https://example.org/a/", "https://example.org/a", True),
        ("https://example.org", "https://example.org/", True),
        ("https://example.org/a#part", "https://example.org/a", True),
        ("https://example.org/a", "http://example.org/a", False),  # a downgrade is news
        ("https://example.org/a", "https://www.example.org/a", False),
        ("https://example.org/a", "https://example.org/b", False),
        ("https://example.org/a?x=1", "https://example.org/a?x=2", False),
    ],
)
def test_same_page(original: str, final: str, same: bool) -> None:
    assert same_page(original, final) is same


@pytest.mark.parametrize(
    ("url", "login"),
    [
        ("https://example.org/account/login", True),
        ("https://example.org/users/sign-in?next=/x", True),
        ("https://example.org/Registration", True),
        ("https://sso.example.org/", True),
        ("https://login.microsoftonline.com/common", True),
        ("https://example.org/auth/realms/x", True),
        ("https://example.org/author/jane", False),
        ("https://example.org/registry-of-deeds", False),
        ("https://example.org/news/accountability", False),
    ],
)
def test_looks_like_login(url: str, login: bool) -> None:
    assert looks_like_login(url) is login


# ---------------------------------------------------------------- formats


def test_table_is_aligned(checked: Checked) -> None:
    reports = checked.reports
    text = format_reports(reports, "table")
    lines = text.splitlines()
    header = lines[0]
    assert header.split() == [
        "#",
        "URL",
        "QR",
        "size",
        "module",
        "items",
        "status",
        "verdict",
        "detail",
    ]
    url_col, qr_col, verdict_col = (header.index(w) for w in ("URL", "QR", "verdict"))
    for report, line in zip(reports, lines[1:], strict=False):
        assert line[:url_col].strip() == str(report.number)
        assert line[url_col:].startswith(report.url + " ")
        assert line[qr_col:].startswith(f"v{report.qr_version} ")
        assert line[verdict_col:].startswith(str(report.verdict))
        assert line == line.rstrip()
    assert lines[len(reports) + 1] == ""
    assert lines[-1] == "14 links: 6 failed, 3 need a look, 5 fine"
    assert text.endswith("\n")


def test_table_before_checking_has_no_verdict_columns(spec: Path) -> None:
    text = format_reports(describe_links(packetgen.load_packet(spec)), "table")
    assert text.splitlines()[0].split() == ["#", "URL", "QR", "size", "module", "items"]
    assert "need a look" not in text


def test_json_parses(checked: Checked) -> None:
    reports = checked.reports
    data = json.loads(format_reports(reports, "json"))
    assert [d["number"] for d in data] == [r.number for r in reports]
    webinar = next(d for d in data if d["items"] == ["Webinar"])
    assert webinar["verdict"] == "login-wall"
    assert webinar["expected_login"] is True
    assert webinar["severity"] is None
    assert data[0]["inservices"] == ["one", "two"]
    assert set(data[0]) == {
        "number",
        "url",
        "items",
        "inservices",
        "qr_version",
        "printed_mm",
        "module_mm",
        "status",
        "final_url",
        "verdict",
        "detail",
        "expected_login",
        "short_url",
        "short_verdict",
        "short_detail",
        "severity",
    }


def test_csv_has_a_header(checked: Checked) -> None:
    reports = checked.reports
    text = format_reports(reports, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == (
        "number,url,items,inservices,qr_version,printed_mm,module_mm,status,final_url,"
        "verdict,detail,expected_login,short_url,short_verdict,short_detail"
    )
    assert len(rows) == len(reports)
    assert rows[0]["items"] == "OK page; Two"
    slow = next(r for r in rows if r["url"].endswith("/slow"))
    assert (slow["status"], slow["verdict"], slow["final_url"]) == ("", "timeout", "")


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(PacketgenError, match="table, json or csv, found 'xml'"):
        format_reports([], "xml")  # type: ignore[arg-type]


def test_a_link_that_cannot_be_checked_is_an_error() -> None:
    report = LinkReport(1, "ftp://example.org/file", ("F",), ("one",), 2, 22.0, 0.67)
    (result,) = check_links_sync([report], timeout=TIMEOUT_S)
    assert result.verdict == "error"
    assert result.detail == (
        "not a link that can be checked: Request URL has an unsupported protocol 'ftp://'."
    )
    assert any_broken([result])
