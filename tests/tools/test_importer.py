"""packetgen import: saved resource pages of different shapes become valid drafts."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from packetgen.cli import main
from packetgen.errors import PacketgenError
from packetgen.spec.loader import load_packet
from packetgen.tools.importer import MAX_IMPORT_ITEMS, MAX_PAGE_BYTES, ImportResult, import_page

from ..conftest import CORPUS, EXAMPLE, ROOT

PAGES = ROOT / "tests" / "data" / "import"
SHAPES = ("wordpress", "table-1252", "headings", "chrome", "bilingual")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _import(name: str) -> tuple[ImportResult, dict[str, Any]]:
    expected = json.loads((PAGES / f"{name}.expected.json").read_text())
    html = (PAGES / f"{name}.html").read_bytes()
    return import_page(html, base_url=expected["base"], source_name=f"{name}.html"), expected


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for inservice in data["inservices"] for item in inservice["items"]]


def _loads(result: ImportResult, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "packet.yaml").write_text(result.yaml_text, encoding="utf-8")
    packet = load_packet(folder / "packet.yaml")
    assert sum(len(s.items) for s in packet.inservices) == len(_items(result.data))


@pytest.mark.parametrize("name", SHAPES)
def test_each_page_shape_imports_its_content_links_once(name: str, tmp_path: Path) -> None:
    result, expected = _import(name)
    items = _items(result.data)
    urls = [item["url"] for item in items]
    assert len(urls) == len(set(urls)), "a URL became two items"
    assert sorted(urls) == sorted(u for u, _, _ in expected["items"])
    for never in expected.get("never", []):
        assert never not in urls
    assert len(result.data["inservices"]) == expected["inservices"]
    by_url = {item["url"]: item for item in items}
    for url, _kind, access in expected["items"]:
        assert ("access" in by_url[url]) is access, url
    _loads(result, tmp_path / name)


def test_kinds_are_right_for_nine_links_in_ten() -> None:
    right = total = 0
    mismatches: list[str] = []
    for name in SHAPES:
        result, expected = _import(name)
        by_url = {item["url"]: item["kind"] for item in _items(result.data)}
        page_right = 0
        for url, kind, _ in expected["items"]:
            total += 1
            if by_url.get(url) == kind:
                right += 1
                page_right += 1
            else:
                mismatches.append(f"{name}: {url}: expected {kind}, got {by_url.get(url)}")
        print(f"{name}: {page_right}/{len(expected['items'])} kinds right")
    print("\n".join(mismatches))
    assert right / total >= 0.9, mismatches


def test_the_windows_1252_page_keeps_its_accents_and_quotes() -> None:
    result, _ = _import("table-1252")
    first, second = result.data["inservices"]
    assert first["title"] == "Café Conversations: Mental Health"
    assert "\u2019" in second["summary"]
    # h3 headings make the in-services when the page has no h2.
    assert first["presenter"] == "Dr. Ana Ruiz"
    assert str(first["date"]) == "2019-04-05"
    assert first["hours"] == 2


def test_intro_paragraphs_give_presenter_date_hours_and_items_minutes() -> None:
    result, _ = _import("headings")
    first = result.data["inservices"][0]
    assert (first["presenter"], str(first["date"]), first["hours"]) == (
        "Marcus Bell, LCSW",
        "2023-09-14",
        1.5,
    )
    items = {item["url"]: item for item in _items(result.data)}
    assert items["https://www.pbs.example.org/video/screen-time-documentary"]["minutes"] == 90
    # "Download the handout here": the sentence names the link.
    handout = items["https://lakeshorecasa.example.org/files/recovery-handout.pdf"]
    assert handout["title"] == "Download the handout"
    assert "repeated link merged" in result.summary


def test_the_bilingual_page_marks_its_spanish_section() -> None:
    result, expected = _import("bilingual")
    languages = [s.get("language", result.data.get("language")) for s in result.data["inservices"]]
    assert languages == expected["languages"]


def test_relative_links_without_a_base_are_reported() -> None:
    html = (PAGES / "table-1252.html").read_bytes()
    result = import_page(html, base_url=None, source_name="table-1252.html")
    relative = [s for s in result.skipped if s.reason == "relative link kept out: give --base"]
    assert {s.url for s in relative} >= {"/library/mh-handout.pdf", "/library/mh-slides.ppt"}
    assert "relative links (give --base)" in result.summary
    assert "--base" in result.yaml_text.split("title:")[0]


def test_the_example_packets_page_gives_back_its_items(tmp_path: Path) -> None:
    example = yaml.safe_load(EXAMPLE.read_text())
    wanted = {
        (item["url"], item["kind"])
        for inservice in example["inservices"]
        for item in inservice["items"]
        if "url" in item
    }
    result = import_page(
        (PAGES / "example-shape.html").read_bytes(), base_url=None, source_name="example-shape.html"
    )
    got = {(item["url"], item["kind"]) for item in _items(result.data)}
    assert got == wanted
    csec = next(s for s in result.data["inservices"] if s["title"].startswith("Understanding"))
    assert str(csec["date"]) == "2018-03-12"
    assert csec["presenter"].startswith("Katryn Little")
    recording = next(i for i in _items(result.data) if i["url"] == "https://nationalcasagal.org/")
    assert recording["access"].startswith("Registration required")
    _loads(result, tmp_path)


def test_cli_writes_a_draft_that_check_passes_and_refuses_to_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = PAGES / "chrome.html"
    code, out, err = run(capsys, "import", str(page), "-o", str(tmp_path / "draft"), "-v")
    assert code == 0, err
    target = tmp_path / "draft" / "packet.yaml"
    assert f"Wrote {target}: 6 links → 2 in-services" in out
    assert "skipped 18 navigation links" in out
    assert "mailto:advocates@valleygal.example.org: an email address, not a resource" in out
    text = target.read_text()
    assert text.startswith("# Draft packet made by `packetgen import` from chrome.html")
    code, out, err = run(capsys, "check", str(target), "-o", str(tmp_path / "out"))
    assert code == 0, err
    code, out, err = run(capsys, "links", str(target))
    assert code == 0, err
    assert "reading-list.pdf" in out
    code, _, err = run(capsys, "import", str(page), "-o", str(tmp_path / "draft"))
    assert code == 1
    assert err == f"Error: {target} already exists; use --force to overwrite it\n"
    assert target.read_text() == text
    code, _, err = run(capsys, "import", str(page), "-o", str(tmp_path / "draft"), "--force")
    assert code == 0, err


def test_cli_messages_for_a_missing_page_and_a_bad_base(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "import", str(tmp_path / "nope.html"), "-o", str(tmp_path))
    assert code == 1
    assert "no such file" in err
    assert "Traceback" not in err
    page = PAGES / "chrome.html"
    code, _, err = run(capsys, "import", str(page), "-o", str(tmp_path), "--base", "example.org")
    assert code == 2
    assert "--base" in err
    assert "https://example.org/resources/" in err


def test_a_page_without_links_says_so() -> None:
    with pytest.raises(PacketgenError, match="no links to resources were found"):
        import_page(
            b"<html><body><p>Nothing here.</p></body></html>", base_url=None, source_name="p"
        )


def test_url_only_handouts_print_not_in_this_binder(tmp_path: Path) -> None:
    result, _ = _import("chrome")
    folder = tmp_path / "draft"
    _loads(result, folder)
    code = main(["build", str(folder / "packet.yaml"), "-o", str(tmp_path / "out"), "--format",
                 "html", "-q"])  # fmt: skip
    assert code == 0
    html = "".join(p.read_text() for p in (tmp_path / "out").glob("*.html"))
    assert "Not in this binder: open it from the code" in html


# A hostile page ends within seconds: refused, or a capped draft.
_BOUND_S = 20


def _timed(html: bytes) -> tuple[float, ImportResult | PacketgenError]:
    start = time.monotonic()
    try:
        outcome: ImportResult | PacketgenError = import_page(html, base_url=None, source_name="h")
    except PacketgenError as exc:
        outcome = exc
    return time.monotonic() - start, outcome


def test_a_huge_page_is_refused_before_parsing() -> None:
    elapsed, outcome = _timed(b"<p>" + b"x" * (50 * 1024 * 1024))
    assert isinstance(outcome, PacketgenError)
    assert "reads at most 10 MB" in str(outcome)
    assert elapsed < 1
    assert MAX_PAGE_BYTES == 10 * 1024 * 1024


def test_links_past_the_cap_are_counted_not_imported() -> None:
    # Just over the cap proves it; how long a huge page takes is for benchmarks
    # (a wall-clock bound here only measures how busy the machine is).
    over = 7
    links = b"".join(
        b'<li><a href="https://example.org/r/%d">Resource number %d</a></li>' % (i, i)
        for i in range(MAX_IMPORT_ITEMS + over)
    )
    outcome = import_page(
        b"<main><h2>All</h2><ul>" + links + b"</ul></main>", base_url=None, source_name="h"
    )
    items = _items(outcome.data)
    assert len(items) == MAX_IMPORT_ITEMS
    assert items[-1]["url"] == f"https://example.org/r/{MAX_IMPORT_ITEMS - 1}"
    assert any(
        f"the page has {over} more links than the {MAX_IMPORT_ITEMS} a draft takes" in w
        for w in outcome.warnings
    )


def test_deep_nesting_scripts_and_javascript_links() -> None:
    deep = b"<div>" * 100_000 + b'<a href="https://example.org/deep">A deep resource page</a>'
    hostile = (
        b"<script>while(true){}</script><main><h2>Scripts</h2>"
        b'<p><a href="javascript:alert(1)">Run me</a> <a href="JaVaScRiPt:evil()">Me too</a></p>'
        b'<p><a href="https://example.org/safe">A safe resource page</a></p></main>'
    )
    for html in (deep + b"</div>" * 100_000, hostile):
        elapsed, outcome = _timed(html)
        assert isinstance(outcome, ImportResult), outcome
        assert elapsed < _BOUND_S
        assert all(item["url"].startswith("https://") for item in _items(outcome.data))
    assert isinstance(outcome, ImportResult)
    assert [s.reason for s in outcome.skipped] == ["a script, never followed"] * 2


def test_a_handout_needs_a_file_or_a_url() -> None:
    from packetgen.errors import SpecError
    from packetgen.spec.loader import packet_from_data

    data = {"title": "T", "inservices": [{"id": "a", "title": "A", "items": [
        {"kind": "handout", "title": "H"}, {"kind": "presentation", "title": "P"}]}]}  # fmt: skip
    with pytest.raises(SpecError) as caught:
        packet_from_data(data, folder=ROOT)
    message = "give file: (a file in the packet folder) or url: (where to get it)"
    assert str(caught.value).count(message) == 2


def test_url_only_handouts_earn_credit_and_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result, _ = _import("chrome")
    data = dict(result.data, credit={"handout": {"hours": 0.5}, "article": {"hours": 1}})
    (tmp_path / "packet.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    code, out, err = run(capsys, "check", str(tmp_path / "packet.yaml"), "-o", str(tmp_path / "o"))
    assert code == 0, err
    assert "OK" in out


# ---------------------------------------------------------------- --fetch and --download

_SITE_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Fall in-service materials</title></head><body>
<nav><a href="/">Home</a> <a href="/donate">Donate</a></nav>
<main><h1>Fall in-service materials</h1>
<h2>Understanding Trafficking</h2>
<p>Read the <a href="/files/faq.pdf">Frequently Asked Questions handout</a> before the session.</p>
<p>The <a href="/files/signup.pdf">registration handout</a> for the next session.</p>
<p>Watch the <a href="https://www.youtube.com/watch?v=abc123">webinar recording</a>.</p>
</main><footer><a href="mailto:info@example.org">Email us</a></footer></body></html>"""


class _Site(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        files = {
            "/resources.html": (_SITE_PAGE, "text/html; charset=utf-8"),
            "/files/faq.pdf": ((CORPUS / "faq.pdf").read_bytes(), "application/pdf"),
            # What sites hand out in place of a document: a page behind a sign-up.
            "/files/signup.pdf": (b"<!doctype html><html><body>Sign up</body></html>", "text/html"),
        }
        body, kind = files.get(self.path, (b"not here", "text/plain"))
        self.send_response(200 if self.path in files else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_and_download_bind_the_real_documents_in(
    site: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "draft"
    assert main(["import", f"{site}/resources.html", "--fetch", "--download", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"Warning: {site}/files/signup.pdf was not downloaded (this is an HTML web page" in err
    items = yaml.safe_load((out / "packet.yaml").read_text(encoding="utf-8"))["inservices"][0][
        "items"
    ]
    by_url = {item["url"]: item for item in items}
    assert by_url[f"{site}/files/faq.pdf"]["file"] == "handouts/faq.pdf"
    assert (out / "handouts" / "faq.pdf").read_bytes() == (CORPUS / "faq.pdf").read_bytes()
    assert "file" not in by_url[f"{site}/files/signup.pdf"]
    assert not (out / "handouts" / "signup.pdf").exists()
    assert by_url["https://www.youtube.com/watch?v=abc123"]["kind"] == "recording"
    packet = load_packet(out / "packet.yaml")
    assert [i.file for i in packet.inservices[0].items if i.file] == ["handouts/faq.pdf"]


def test_fetch_says_plainly_when_a_page_cannot_be_had(
    site: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "draft")
    assert main(["import", f"{site}/gone.html", "--fetch", "-o", out]) == 1
    assert f"Error: {site}/gone.html answered 404 Not Found" in capsys.readouterr().err
    assert main(["import", "https://no-such-host.invalid/page", "--fetch", "-o", out]) == 1
    err = capsys.readouterr().err
    assert "could not look up no-such-host.invalid" in err
    assert "Traceback" not in err
    assert not (tmp_path / "draft" / "packet.yaml").exists()
