"""Short links, start times and printed addresses: codes a volunteer can scan and type.

The long-URL packet (10 links of 60 to 300 characters) is built on letter and
A4 paper, with the default and the large-print theme; its pages are read back
with PDFium (text positions) and zxing-cpp (the codes).
"""

from __future__ import annotations

import csv
import http.server
import io
import random
import re
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

import packetgen
from packetgen.build.pipeline import build
from packetgen.content.links import collect_links, item_url
from packetgen.content.shortlinks import redirect_files
from packetgen.tools.linkcheck import check_links_sync, describe_links
from packetgen.tools.verify import format_verify, verify_pdf

from ..chromium import have_chromium, launched_chromium
from ..conftest import page_texts

LENGTHS = (60, 75, 92, 110, 130, 150, 180, 210, 250, 300)
BASE = "https://example-casa.org/go/"
MM = 72 / 25.4


def long_urls() -> list[str]:
    rng = random.Random(4)
    urls = []
    for n, length in enumerate(LENGTHS):
        head = f"https://www.example.org/m/{n}/"
        tail = "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_")
            for _ in range(length - len(head) - 8)
        )
        urls.append(f"{head}{tail}?ref=cas")
    assert [len(u) for u in urls] == list(LENGTHS)
    return urls


def long_spec(folder: Path, *, paper: str, theme: str, short: bool = False) -> Path:
    items = "".join(
        f"      - kind: article\n        title: Long link number {n + 1} of {len(url)} characters\n"
        f"        source: Example Publisher\n        url: {url}\n"
        f"        description: A resource whose web address is {len(url)} characters long.\n"
        for n, url in enumerate(long_urls())
    )
    spec = folder / f"{paper}-{theme}{'-short' if short else ''}.yaml"
    spec.write_text(
        f"title: Long links\norganization: Example County CASA\npaper: {paper}\ntheme: {theme}\n"
        + (f"short_links: {BASE}\n" if short else "")
        + "inservices:\n  - id: long\n    title: Resources with long addresses\n    items:\n"
        + items
    )
    return spec


def decoded_pages(pdf: Path, dpi: int = 150) -> list[set[str]]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        found = []
        for page in doc:
            image = page.render(scale=dpi / 72).to_pil().convert("L")
            found.append({r.text for r in zxingcpp.read_barcodes(image)})
        return found
    finally:
        doc.close()


def char_boxes(pdf: Path) -> list[tuple[float, float, list[tuple[float, float, float, float]]]]:
    """(width, height, boxes of every printed character) of each page, in points."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        pages = []
        for page in doc:
            width, height = page.get_size()
            text = page.get_textpage()
            boxes = [text.get_charbox(i) for i in range(text.count_chars())]
            # Spaces and line ends have no ink.
            chars = text.get_text_range()
            pages.append(
                (width, height, [b for b, c in zip(boxes, chars, strict=False) if not c.isspace()])
            )
        return pages
    finally:
        doc.close()


# ---------------------------------------------------------------- the long-URL packet


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize("theme", ["default", "large-print"])
def test_long_addresses_stay_inside_the_margins_and_beside_their_codes(
    paper: str, theme: str, tmp_path: Path
) -> None:
    spec = long_spec(tmp_path, paper=paper, theme=theme)
    result = build(spec, tmp_path / "out", format="pdf")
    # Without short links the large codes are reported, with the way out.
    large = [w for w in result.warnings if "mm wide at 0.8 mm per module" in w]
    assert len(large) >= 5
    pdf = tmp_path / "out" / "long.pdf"
    margin = (18 if theme == "large-print" else 20) * MM
    for number, (width, height, boxes) in enumerate(char_boxes(pdf), 1):
        for left, bottom, right, top in boxes:
            assert left >= margin - 1, (number, left)
            assert right <= width - margin + 1, (number, right)
            assert bottom >= 0, (number, bottom)
            assert top <= height, (number, top)
    codes = decoded_pages(pdf)
    # PDFium marks a hyphen at the end of a line as U+FFFE.
    texts = [re.sub(r"\s", "", t).replace("\ufffe", "-") for t in page_texts(pdf)]
    packet = packetgen.load_packet(spec)
    for ref in collect_links(packet).links:
        pages = [i for i, found in enumerate(codes) if ref.encoded in found]
        assert pages, f"link {ref.number} has no code that scans"
        # Every page with the code also carries its typeable address, at least 9 pt.
        for i in pages:
            assert ref.label.replace(" ", "") in texts[i], (ref.number, i)
    # Every link still scans from some code of the book after a copy of a copy.
    report = verify_pdf(tmp_path / "out" / "packet.pdf", packet=packet, photocopies=2)
    assert report.missing == []
    assert report.ok, format_verify(report)


def test_printed_addresses_are_at_least_9_pt(tmp_path: Path) -> None:
    spec = long_spec(tmp_path, paper="letter", theme="default")
    build(spec, tmp_path / "out", format="pdf", only=["long"])
    labels = [ref.label for ref in collect_links(packetgen.load_packet(spec)).links]
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        # A piece of an address (long enough not to be a digit of a page number).
        if len(text.strip()) >= 4 and any(text.strip() in label for label in labels):
            sizes.append(size * (tm[3] or 1) * (cm[3] or 1))

    for page in PdfReader(tmp_path / "out" / "long.pdf").pages:
        page.extract_text(visitor_text=visit)
    assert len(sizes) > 20
    assert min(sizes) >= 9 - 0.01


@pytest.mark.slow
def test_short_links_make_every_code_small(tmp_path: Path) -> None:
    spec = long_spec(tmp_path, paper="letter", theme="default", short=True)
    result = build(spec, tmp_path / "out", format="pdf")
    assert not [w for w in result.warnings if "mm wide" in w]
    report = verify_pdf(
        tmp_path / "out" / "packet.pdf", packet=packetgen.load_packet(spec), photocopies=2
    )
    assert report.ok, format_verify(report)
    assert all(code.printed_mm <= 35 + 0.5 for code in report.codes)
    table = collect_links(packetgen.load_packet(spec))
    assert all(ref.size_mm <= 35 for ref in table.links), [r.size_mm for r in table.links]
    codes = decoded_pages(tmp_path / "out" / "packet.pdf")
    found = set().union(*codes)
    assert {ref.encoded for ref in table.links} <= found
    assert all(text.startswith(BASE) for text in found)


# ---------------------------------------------------------------- names and redirects


SPEC = """\
title: Short
short_links: https://example-casa.org/go
inservices:
  - id: one
    title: One
    items:
      - kind: article
        title: The Frequently Asked Questions of Advocates
        url: {target}/faq
      - kind: article
        title: Frequently asked questions of advocates (2019)
        url: {target}/faq-2019
      - kind: recording
        title: Webinar
        short: webinar
        url: {target}/webinar
      - kind: link
        title: Élan vital — über alles
        url: {target}/elan
"""


def test_short_names_are_stable_readable_and_unique(tmp_path: Path) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text(SPEC.format(target="https://example.org"))
    first = collect_links(packetgen.load_packet(spec))
    again = collect_links(packetgen.load_packet(spec))
    names = [ref.short_name for ref in first.links]
    assert names == [ref.short_name for ref in again.links]
    # The first telling words, at most 24 characters (short enough for a small code).
    assert names == [
        "frequently-asked",
        "frequently-asked-2",
        "webinar",
        "elan-vital-uber-alles",
    ]
    assert [ref.encoded for ref in first.links][2] == "https://example-casa.org/go/webinar"
    assert first.links[2].label == "example-casa.org/go/webinar"


def test_a_bad_short_name_is_refused_at_its_line(tmp_path: Path) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        SPEC.format(target="https://example.org").replace("short: webinar", "short: Web Inar")
    )
    with pytest.raises(packetgen.SpecError) as info:
        packetgen.load_packet(spec)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{spec}:15:")
    assert (
        "expected a short name of lowercase letters, digits and single hyphens" in problem.message
    )


def test_redirect_files_say_where_every_short_link_leads(tmp_path: Path) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text(SPEC.format(target="https://example.org"))
    result = build(spec, tmp_path / "out", format="html")
    assert any(o.kind == "short-links" for o in result.outputs)
    folder = tmp_path / "out" / "short-links"
    redirects = (folder / "_redirects").read_text().splitlines()
    assert "/go/webinar  https://example.org/webinar  302" in redirects
    rows = list(csv.DictReader(io.StringIO((folder / "redirects.csv").read_text())))
    assert [row["short"] for row in rows] == [
        "https://example-casa.org/go/frequently-asked",
        "https://example-casa.org/go/frequently-asked-2",
        "https://example-casa.org/go/webinar",
        "https://example-casa.org/go/elan-vital-uber-alles",
    ]
    assert rows[3]["items"] == "Élan vital — über alles"
    page = (folder / "go" / "webinar" / "index.html").read_text()
    assert '<meta http-equiv="refresh" content="0; url=https://example.org/webinar">' in page
    # A second build replaces the folder: a link taken out of the spec goes too.
    spec.write_text(SPEC.format(target="https://example.org").split("      - kind: link")[0])
    build(spec, tmp_path / "out", format="html")
    assert not (folder / "go" / "elan-vital-uber-alles").exists()
    assert (folder / "go" / "webinar" / "index.html").is_file()
    assert [p.name for p in (tmp_path / "out").rglob("*.tmp")] == []


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _Targets(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"<html><title>target {self.path}</title><body>{self.path}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


def _serve(handler: object) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def targets() -> Iterator[str]:
    yield from _serve(_Targets)


def test_the_static_redirect_folder_sends_every_short_link_to_its_target(
    tmp_path: Path, targets: str
) -> None:
    # The short links' site is a local web server holding the built folder.
    site = tmp_path / "site"
    site.mkdir()
    for server_url in _serve(partial(_Quiet, directory=str(site))):
        spec = tmp_path / "packet.yaml"
        spec.write_text(
            SPEC.format(target=targets).replace("https://example-casa.org/go", server_url + "/go")
        )
        build(spec, tmp_path / "out", format="html")
        for path, data in redirect_files(collect_links(packetgen.load_packet(spec))).items():
            (site / path).parent.mkdir(parents=True, exist_ok=True)
            (site / path).write_bytes(data)
        table = collect_links(packetgen.load_packet(spec))
        with httpx.Client(follow_redirects=True) as client:
            for ref in table.links:
                response = client.get(ref.encoded)  # /go/name → /go/name/ → the redirect page
                assert response.status_code == 200
                refresh = re.search(r'content="0; url=([^"]+)"', response.text)
                assert refresh is not None
                landing = client.get(refresh.group(1))
                assert landing.status_code == 200
                assert str(landing.url) == ref.url
        # And a browser follows them the way a phone does.
        _follow_in_chromium([(ref.encoded, ref.url) for ref in table.links])


def _follow_in_chromium(pairs: list[tuple[str, str]]) -> None:
    if not have_chromium():
        return  # the redirects were followed with httpx above; the browser test needs Chromium
    with launched_chromium() as browser:
        page = browser.new_page()
        for short, target in pairs:
            page.goto(short)
            page.wait_for_url(target, timeout=10_000)


def test_links_check_follows_short_links_to_their_targets(tmp_path: Path, targets: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for server_url in _serve(partial(_Quiet, directory=str(site))):
        spec = tmp_path / "packet.yaml"
        spec.write_text(
            SPEC.format(target=targets).replace("https://example-casa.org/go", server_url + "/go")
        )
        packet = packetgen.load_packet(spec)
        # Not uploaded yet: every code leads nowhere, and the check says what to do.
        reports = check_links_sync(describe_links(packet), timeout=5, retries=0)
        assert [r.verdict for r in reports] == ["ok"] * 4
        assert [r.short_verdict for r in reports] == ["not-set-up"] * 4
        assert all(r.severity == "failure" for r in reports)
        assert "upload the short-links folder of the build" in reports[0].short_detail
        # Uploaded: every short link leads to its target.
        for path, data in redirect_files(collect_links(packet)).items():
            (site / path).parent.mkdir(parents=True, exist_ok=True)
            (site / path).write_bytes(data)
        reports = check_links_sync(describe_links(packet), timeout=5, retries=0)
        assert [r.short_verdict for r in reports] == ["ok"] * 4
        assert all(r.severity is None for r in reports)
        # A stale upload (a target changed since) is caught.
        spec.write_text(spec.read_text().replace("/webinar\n", "/webinar-2024\n"))
        reports = check_links_sync(
            describe_links(packetgen.load_packet(spec)), timeout=5, retries=0
        )
        stale = [r for r in reports if r.short_verdict == "elsewhere"]
        assert len(stale) == 1
        assert "upload the short-links folder of this build again" in stale[0].short_detail


# ---------------------------------------------------------------- start times


@pytest.mark.parametrize(
    ("url", "start", "expected"),
    [
        (
            "https://www.youtube.com/watch?v=abc&t=5",
            "1:30",
            "https://www.youtube.com/watch?v=abc&t=90",
        ),
        ("https://youtu.be/abc", "0:45", "https://youtu.be/abc?t=45"),
        ("https://vimeo.com/123456", "1:02:03", "https://vimeo.com/123456#t=3723s"),
        ("https://example.org/webinar", "12:00", "https://example.org/webinar"),
    ],
)
def test_start_times_go_into_youtube_and_vimeo_links(
    url: str, start: str, expected: str, tmp_path: Path
) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: T\ninservices:\n  - id: one\n    title: One\n    items:\n"
        f"      - kind: recording\n        title: Webinar\n        url: {url}\n"
        f'        start: "{start}"\n'
    )
    packet = packetgen.load_packet(spec)
    item = packet.inservices[0].items[0]
    assert item_url(item) == expected
    table = collect_links(packet)
    assert table.links[0].url == expected
    told = [w for w in table.warnings if "start time" in w]
    assert bool(told) is (expected == url)
    html = packetgen.render_html(packet)
    assert f"starts at {start}" in html


@pytest.mark.parametrize("start", ["90", "1:75", "1:60:00", "-1:00", "one minute"])
def test_a_start_time_that_is_not_a_time_is_refused(start: str, tmp_path: Path) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: T\ninservices:\n  - id: one\n    title: One\n    items:\n"
        "      - kind: recording\n        title: Webinar\n        url: https://youtu.be/abc\n"
        f'        start: "{start}"\n'
    )
    with pytest.raises(packetgen.SpecError) as info:
        packetgen.load_packet(spec)
    assert 'expected a time like "1:30"' in str(info.value) or "expected minutes" in str(info.value)


@pytest.mark.slow
def test_error_correction_q_grows_codes_and_keeps_their_modules(tmp_path: Path) -> None:
    measured = {}
    for level in ("M", "Q"):
        folder = tmp_path / level
        folder.mkdir()
        spec = long_spec(folder, paper="letter", theme="default")
        spec.write_text(
            spec.read_text().replace(
                "theme: default\n", f"theme: default\nqr_error_correction: {level}\n"
            )
        )
        build(spec, folder / "out", format="pdf", only=["long"])
        report = verify_pdf(folder / "out" / "long.pdf")
        measured[level] = {code.url: (code.printed_mm, code.module_mm) for code in report.codes}
    assert measured["M"].keys() == measured["Q"].keys()
    assert len(measured["M"]) == len(LENGTHS)
    for url, (size_m, module_m) in measured["M"].items():
        size_q, module_q = measured["Q"][url]
        # Read back from the printed page: the modules stay 0.8 mm, the code grows.
        assert module_m == pytest.approx(0.8, abs=0.03)
        assert module_q == pytest.approx(0.8, abs=0.03)
        assert size_q >= size_m - 0.1
    assert sum(measured["Q"][u][0] > measured["M"][u][0] + 1 for u in measured["M"]) >= 8
