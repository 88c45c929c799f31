"""Rendering the example packet: real WeasyPrint output, read back and scanned."""

from __future__ import annotations

import ctypes
import http.server
import math
import os
import re
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import cssselect2
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import tinyhtml5
import zxingcpp
from PIL import Image, ImageFilter
from pypdf import PdfReader

import packetgen
from packetgen import BuildError, SpecError
from packetgen.build.pipeline import build, packet_links, render_html
from packetgen.content.links import collect_links
from packetgen.handouts.open import open_handout
from packetgen.spec.starter import write_starter

from ..conftest import EXAMPLE, page_texts

pytestmark = pytest.mark.slow


def decode_pages(pdf: Path, *, dpi: int = 150, blur: float = 0.0) -> list[set[str]]:
    doc = pdfium.PdfDocument(str(pdf))
    found: list[set[str]] = []
    try:
        for page in doc:
            image: Image.Image = page.render(scale=dpi / 72).to_pil().convert("L")
            if blur:
                image = image.filter(ImageFilter.GaussianBlur(blur))
            found.append({code.text for code in zxingcpp.read_barcodes(image)})
    finally:
        doc.close()
    return found


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("blur", [0.0, 1.0])
def test_every_spec_url_scans_on_its_items_page(example_out: Path, blur: float) -> None:
    packet = packetgen.load_packet(EXAMPLE)
    spec_urls = {item.url for s in packet.inservices for item in s.items if item.url}
    spec_urls |= {ref.url for ref in collect_links(packet).links}
    # Links that only existed as clickable text inside handouts get codes too.
    for _inservice, item in packet.file_items():
        for page in open_handout(packet.folder / item.file, item=item.title).pages:
            for annot in page.get("/Annots", []) or []:
                action = annot.get_object().get("/A")
                if action is not None and action.get_object().get("/S") == "/URI":
                    spec_urls.add(str(action.get_object()["/URI"]))
    decoded_anywhere: set[str] = set()
    for inservice in packet.inservices:
        pdf = example_out / f"{inservice.id}.pdf"
        codes = decode_pages(pdf, blur=blur)
        texts = page_texts(pdf)
        decoded_anywhere |= set().union(*codes)
        for item in inservice.items:
            if not item.url:
                continue
            title = _squash(item.title)[:40]
            # Pages 1 and 2 are the cover and contents, which repeat titles.
            pages = [i for i, text in enumerate(texts) if title in text and i > 1]
            assert pages, f"{item.title!r} not found in {pdf.name}"
            assert item.url in codes[pages[0]], (item.title, pages[0], codes[pages[0]])
    # Every link (spec items, Markdown links and links found in handouts) scans somewhere.
    assert decoded_anywhere == spec_urls


_KIND_PREFIX = r"^(ARTICLE|NOTE|HANDOUT|IN BINDER|FILM|CAMPAIGN|RECORDING|WEBSITE|SLIDES) "


def test_every_part_of_the_book_scans_its_links_in_its_own_appendix(example_out: Path) -> None:
    """Each part is its binder: its links, numbered from 1, all in its own appendix."""
    packet = packetgen.load_packet(EXAMPLE)
    table = packet_links(packet)  # with the links the build found inside handouts
    reader = PdfReader(example_out / "packet.pdf")
    labels = list(reader.page_labels)
    codes = decode_pages(example_out / "packet.pdf", dpi=120)
    texts = page_texts(example_out / "packet.pdf")
    for number, inservice in enumerate(packet.inservices, start=1):
        part = [i for i, label in enumerate(labels) if label.startswith(f"{number}-")]
        assert part, inservice.id
        expected = {ref.encoded for ref in table.for_inservice(inservice.id)}
        appendix = [i for i in part if "Links in this packet Scan a code" in texts[i]]
        if not expected:
            assert appendix == []
            continue
        assert appendix, inservice.id
        found = set().union(*(codes[i] for i in appendix))
        assert found == expected, inservice.id
        # Numbered from 1 in every part: the cards read 1, 2, 3…
        cards = re.findall(r"(?:^| )(\d+) [A-Z]", " ".join(texts[i] for i in appendix))
        assert [int(c) for c in cards][: len(expected)] == list(range(1, len(expected) + 1))


def test_toc_numbers_are_the_pages_where_sections_start(example_out: Path) -> None:
    pdf = example_out / "reading-and-viewing.pdf"
    texts = page_texts(pdf)
    contents = texts[1]
    assert contents.startswith("Contents")
    entries = re.findall(r"([A-Z][^.]{8,60}?)\s*\.{3,}\s*(\d+)", contents)
    assert len(entries) >= 10
    for title, number in entries:
        start = int(number) - 1
        heading = _squash(title).replace("ARTICLE ", "").replace("RECORDING ", "")
        heading = re.sub(
            r"^(ARTICLE|NOTE|HANDOUT|IN BINDER|FILM|CAMPAIGN|RECORDING|WEBSITE|SLIDES) ",
            "",
            heading,
        )
        words = heading.split()[-4:]
        assert " ".join(words) in texts[start], (title, number)


def test_book_contents_and_every_part_number_their_pages_truly(example_out: Path) -> None:
    """The book's contents name each part; inside a part its own numbers hold."""
    pdf = example_out / "packet.pdf"
    texts = page_texts(pdf)
    reader = PdfReader(pdf)
    labels = list(reader.page_labels)
    packet = packetgen.load_packet(EXAMPLE)
    contents = texts[1]
    assert contents.startswith("EXAMPLE COUNTY CASA") or "Contents" in contents
    for number, inservice in enumerate(packet.inservices, start=1):
        part = [i for i, label in enumerate(labels) if label.startswith(f"{number}-")]
        assert labels[part[0]] == f"{number}-1"
        # The front contents says which part and how long.
        assert f"part {number} · {len(part)} pages" in " ".join(texts[:2])
        for k, index in enumerate(part, start=1):
            # Every page of the part: its binder's number and the part's.
            assert f"page {k} of {len(part)}" in texts[index], (inservice.id, k)
            assert f"Part {number}" in texts[index], (inservice.id, k)
        # The part's own contents: each entry's number is the page where it is.
        toc = texts[part[1]]
        assert toc.startswith("Contents")
        for title, page in re.findall(r"([A-Z][^.]{8,60}?)\s*\.{3,}\s*(\d+)", toc):
            heading = re.sub(_KIND_PREFIX, "", _squash(title))
            words = heading.split()[-3:]
            assert " ".join(words) in texts[part[int(page) - 1]], (inservice.id, title, page)


def test_outline_metadata_and_language(example_out: Path) -> None:
    reader = PdfReader(example_out / "csec-understanding.pdf")
    titles = [entry.title for entry in _flatten(reader.outline)]
    assert "Contents" in titles
    assert (
        "Understanding and Supporting Victims of Commercial Sexual Exploitation of Children"
        in titles
    )
    for item in ("Session handout", "My Life My Choice", "Links in this packet"):
        assert item in titles
    meta = reader.metadata
    assert meta is not None
    assert meta.title == (
        "Understanding and Supporting Victims of Commercial Sexual Exploitation of Children"
        " — Child Trafficking In-service Materials"
    )
    assert meta.author == "Example County CASA"
    assert "Katryn Little" in (meta.subject or "")
    assert "Understanding and Supporting Victims" in str(meta.get("/Keywords"))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert reader.page_labels[:3] == ["1", "2", "3"]


def _flatten(outline: list[object]) -> Iterator[object]:
    for entry in outline:
        if isinstance(entry, list):
            yield from _flatten(entry)
        else:
            yield entry


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_check_passes_on_every_output(example_out: Path) -> None:
    for pdf in sorted(example_out.glob("*.pdf")):
        result = subprocess.run(
            ["qpdf", "--check", str(pdf)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, (pdf.name, result.stdout[-500:], result.stderr[-500:])


def test_html_is_standalone_with_working_links(example_out: Path) -> None:
    html = (example_out / "reading-and-viewing.html").read_text()
    assert '<a href="https://www.washingtonpost.com/">' in html
    assert "@font-face" in html
    assert "data:font/woff2;base64," in html
    assert "file://" not in html
    assert re.search(r"<link[^>]+href=", html) is None  # nothing external to fetch


def test_reproducible_with_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(EXAMPLE, tmp_path / "a", only=["csec-understanding"], format="pdf", cache=False)
    # A second process: anything seeded per process (font subsets, timestamps)
    # would show up here.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "packetgen",
            "build",
            str(EXAMPLE),
            "-o",
            str(tmp_path / "b"),
            "--only",
            "csec-understanding",
            "--format",
            "pdf",
            "--no-cache",
            "-q",
        ],
        check=True,
    )
    first = (tmp_path / "a" / "csec-understanding.pdf").read_bytes()
    assert first == (tmp_path / "b" / "csec-understanding.pdf").read_bytes()
    meta = PdfReader(tmp_path / "a" / "csec-understanding.pdf").metadata
    assert meta is not None
    assert meta.get("/CreationDate") == "D:20231114221320Z"


# ---------------------------------------------------------------- hostile input


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[str]:
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


HOSTILE = """\
title: "<script>alert(1)</script> Packet"
organization: "</style><link rel=attachment href=file:///etc/passwd>"
inservices:
  - id: one
    title: "</style><link rel=attachment href=file:///etc/passwd>"
    summary: |
      <script>alert(2)</script> <img src="file:///etc/hostname"> **bold**
      ![host](file:///etc/hostname)
    items:
      - kind: note
        title: "<b>not bold</b>"
        description: "<iframe src=x></iframe> [ok](https://example.org/a)"
"""


def test_hostile_text_is_escaped_and_nothing_is_attached(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(HOSTILE)
    build(spec, tmp_path / "out")
    html = (tmp_path / "out" / "one.html").read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<link rel=attachment" not in html
    assert '<img src="file:' not in html
    assert "<iframe" not in html
    reader = PdfReader(tmp_path / "out" / "one.pdf")
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert not reader.attachments
    text = " ".join(page_texts(tmp_path / "out" / "one.pdf"))
    assert "<script>alert(1)</script> Packet" in text
    assert "<b>not bold</b>" in text


def test_loopback_image_in_markdown_is_refused_without_a_request(
    write_spec: Callable[..., Path], tmp_path: Path, loopback: str
) -> None:
    spec = write_spec(
        f"""\
        title: T
        inservices:
          - id: one
            title: One
            items:
              - kind: note
                title: N
                description: "![pixel]({loopback}/pixel.png)"
        """
    )
    with pytest.raises(SpecError) as info:
        build(spec, tmp_path / "out")
    assert str(info.value) == (
        f"{spec}:8:22: inservices[0].items[0].description: the image"
        f" '{loopback}/pixel.png' is not in the packet folder; packetgen does not load images"
        " from the web or other places. Copy the image into the packet folder and use its"
        " relative path"
    )
    assert _Recorder.hits == []
    assert not (tmp_path / "out").exists()


def test_theme_css_cannot_reach_the_network_or_outside_files(
    write_spec: Callable[..., Path], tmp_path: Path, loopback: str
) -> None:
    spec = write_spec("title: T\ntheme: mytheme\ninservices:\n  - id: one\n    title: One\n")
    theme = spec.parent / "mytheme"
    theme.mkdir()
    (theme / "print.css").write_text(
        f"body {{ background: url({loopback}/bg.png) }}\n"
        "h1 { background: url(file:///etc/hostname) }\n"
    )
    with pytest.raises(BuildError) as info:
        build(spec, tmp_path / "out", format="pdf")
    # Refused when the theme is loaded, by file and line, before anything is laid out.
    assert str(info.value).startswith(
        f"mytheme/print.css, line 1: url('{loopback}/bg.png') would load a file from the web;"
    )
    assert _Recorder.hits == []
    assert not (tmp_path / "out").exists()


def test_packet_folder_image_is_embedded(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = write_spec(
        "title: T\ninservices:\n  - id: one\n    title: One\n    summary: '![Logo](logo.png)'\n"
    )
    Image.new("RGB", (40, 20), (200, 30, 30)).save(spec.parent / "logo.png")
    html = render_html(spec)
    assert '<img src="data:image/png;base64,' in html
    assert 'alt="Logo"' in html


# ---------------------------------------------------------------- themes and options


@pytest.mark.parametrize("theme", ["default", "ink-saver", "large-print"])
def test_builtin_themes_render(theme: str, tmp_path: Path) -> None:
    result = build(EXAMPLE, tmp_path, theme=theme, only=["advocating-webinar"], format="pdf")
    pdf = result.outputs[0].path
    doc = pdfium.PdfDocument(str(pdf))
    try:
        image = doc[2].render(scale=1).to_pil().convert("RGB")
    finally:
        doc.close()
    max_saturation = image.convert("HSV").getextrema()[1][1]
    if theme == "ink-saver":
        assert max_saturation < 24, "ink-saver must print without colour"
        assert image.convert("L").getextrema()[0] < 40
    elif theme == "default":
        assert max_saturation > 60, "the default theme has a colour accent"
    else:
        text = page_texts(pdf)[2]
        assert "Frequently Asked Questions" in text


def font_sizes(pdf: Path, page: int) -> Counter[float]:
    """How many characters of each font size (pt) the page has."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        textpage = doc[page].get_textpage()
        sizes: Counter[float] = Counter()
        for index in range(textpage.count_chars()):
            # WeasyPrint draws text in CSS px under a 0.75 scale: px * 0.75 = pt.
            sizes[round(pdfium_c.FPDFText_GetFontSize(textpage.raw, index) * 0.75, 1)] += 1
        return sizes
    finally:
        doc.close()


def test_large_print_body_is_at_least_16pt(tmp_path: Path) -> None:
    build(
        EXAMPLE, tmp_path / "large", theme="large-print", only=["reading-and-viewing"], format="pdf"
    )
    build(EXAMPLE, tmp_path / "default", only=["reading-and-viewing"], format="pdf")
    large = font_sizes(tmp_path / "large" / "reading-and-viewing.pdf", 2)
    default = font_sizes(tmp_path / "default" / "reading-and-viewing.pdf", 2)
    assert large.most_common(1)[0][0] >= 16
    assert 11 <= default.most_common(1)[0][0] <= 12


def test_a4_paper_and_strict_warnings(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    long_url = "https://example.org/" + "a" * 120
    spec = write_spec(
        f"title: T\npaper: a4\ninservices:\n  - id: one\n    title: One\n    items:\n"
        f"      - kind: link\n        title: L\n        url: {long_url}\n"
    )
    result = build(spec, tmp_path / "out", format="pdf")
    box = PdfReader(tmp_path / "out" / "one.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert any("set `short_links:`" in w and "mm wide" in w for w in result.warnings)
    with pytest.raises(packetgen.PacketgenError, match="strict mode treats them as errors"):
        build(spec, tmp_path / "strict", strict=True)
    assert not (tmp_path / "strict").exists()


def test_url_beyond_qr_capacity_names_the_item(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(
        "title: T\ninservices:\n  - id: one\n    title: One\n    items:\n"
        "      - kind: link\n        title: Huge\n        url: https://example.org/"
        + "x" * 3000
        + "\n"
    )
    with pytest.raises(SpecError) as info:
        build(spec, tmp_path / "out")
    assert str(info.value).startswith(f"{spec}:8:14: inservices[0].items[0].url: URL is")
    assert "(item 'Huge')" in str(info.value)


def test_failed_build_leaves_previous_outputs(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec("title: T\ninservices:\n  - id: one\n    title: One\n")
    out = tmp_path / "out"
    build(spec, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    spec.write_text(
        "title: T\ninservices:\n  - id: one\n    title: One\n    summary: '![x](http://example.org/x.png)'\n"
    )
    with pytest.raises(SpecError):
        build(spec, out)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]


def test_user_theme_folder_css_fonts_and_templates(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec("title: Themed\ntheme: look\ninservices:\n  - id: one\n    title: One\n")
    theme = spec.parent / "look"
    (theme / "templates").mkdir(parents=True)
    (theme / "fonts").mkdir()
    font = next((EXAMPLE.parents[2] / "styles" / "fonts").glob("*latin-700-normal.woff2"))
    (theme / "fonts" / "brand.woff2").write_bytes(font.read_bytes())
    (theme / "print.css").write_text(
        "@font-face { font-family: Brand; src: url(fonts/brand.woff2) }\n"
        ".custom { font-family: Brand; color: rgb(200, 0, 0); font-size: 30pt }\n"
    )
    (theme / "templates" / "inservice.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block body %}'
        '<p class="custom">Custom {{ doc.packet_title }}</p>{% endblock %}'
    )
    build(spec, tmp_path / "out")
    html = (tmp_path / "out" / "one.html").read_text()
    assert '<p class="custom">Custom Themed</p>' in html
    assert "url(data:font/woff2;base64," in html
    assert "fonts/brand.woff2" not in html
    doc = pdfium.PdfDocument(str(tmp_path / "out" / "one.pdf"))
    try:
        image = doc[0].render(scale=1).to_pil().convert("RGB")
    finally:
        doc.close()
    red = image.convert("HSV").getextrema()[1][1]
    assert red > 200
    assert page_texts(tmp_path / "out" / "one.pdf")[0].startswith("Custom Themed")


def test_theme_asset_outside_the_theme_is_refused(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec("title: T\ntheme: look\ninservices:\n  - id: one\n    title: One\n")
    (spec.parent / "look").mkdir()
    (spec.parent / "look" / "print.css").write_text("body { background: url(../../secret.png) }")
    with pytest.raises(packetgen.PacketgenError) as info:
        build(spec, tmp_path / "out")
    assert str(info.value) == (
        "look/print.css, line 1: url('../../secret.png') leads outside the theme folder 'look';"
        " copy the file into it and refer to that copy"
    )


def test_qr_codes_are_links_in_the_pdf(example_out: Path) -> None:
    reader = PdfReader(example_out / "reading-and-viewing.pdf")
    links: dict[str, list[tuple[float, float, float, float]]] = {}
    for page in reader.pages:
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            action = annot.get("/A")
            if action is not None and action.get_object().get("/S") == "/URI":
                x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
                rect = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
                links.setdefault(str(action.get_object()["/URI"]), []).append(rect)
    packet = packetgen.load_packet(EXAMPLE)
    inservice = next(s for s in packet.inservices if s.id == "reading-and-viewing")
    for item in inservice.items:
        if item.url:
            # Item code and appendix code are both clickable, and at least 22 mm square.
            squares = [r for r in links[item.url] if abs((r[2] - r[0]) - (r[3] - r[1])) < 1]
            assert len(squares) >= 2, item.title
            assert all(r[2] - r[0] >= 22 * 72 / 25.4 - 0.5 for r in squares)


def test_book_keeps_the_tags_of_every_part(example_out: Path) -> None:
    reader = PdfReader(example_out / "packet.pdf")
    catalog = reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"]
    tree = catalog["/StructTreeRoot"].get_object()
    nums = tree["/ParentTree"].get_object()["/Nums"]
    keys = {int(nums[i]) for i in range(0, len(nums), 2)}
    assert int(tree["/ParentTreeNextKey"]) > max(keys)
    for page in reader.pages:
        assert int(page["/StructParents"]) in keys
    pages = {page.indirect_reference.idnum for page in reader.pages if page.indirect_reference}
    document = tree["/K"][0].get_object()
    assert document["/S"] == "/Document"
    parts = [kid.get_object() for kid in document["/K"]]
    assert len(parts) == len(packetgen.load_packet(EXAMPLE).inservices) + 1  # + front matter
    seen = 0
    stack = list(parts)
    while stack:
        element = stack.pop()
        seen += 1
        if "/Pg" in element:
            assert element.raw_get("/Pg").idnum in pages
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                kid = kid.get_object()
                if kid.get("/Type") != "/MCR" and "/S" in kid:
                    stack.append(kid)
    assert seen > 100


# ---------------------------------------------------------------- the session on the first page


SESSION = """\
title: Child Trafficking In-service Materials
organization: Example County CASA
language: {language}
advisory: Talk with your supervisor about anything that stays with you.
inservices:
  - id: session
    title: Recognizing Child Trafficking
    date: 2026-04-09
    time: 6:30pm-8pm
    presenter: Dana Cole, Program Director
    location: Example County Courthouse, Room B
    contact:
      name: Jordan Reyes
      role: Training Coordinator
      email: training@example.org
      phone: (203) 555-0142
    objectives:
      - Recognize the signs of child trafficking
      - Describe how traffickers recruit young people
      - Respond to a disclosure with support, not blame
    agenda:
      - {{time: "6:30pm", title: Welcome and introductions}}
      - {{time: "6:40pm-7:10pm", title: What trafficking looks like here}}
      - {{time: "7:10pm", title: How recruitment works}}
      - {{time: "7:30pm", title: Break}}
      - {{time: "7:40pm", title: Responding to a disclosure}}
      - {{time: "7:55pm", title: Questions and evaluation, presenter: Jordan Reyes}}
    evaluation: {{}}
    items:
      - kind: note
        title: Before the session
        description: Read the handout.
"""

OBJECTIVES = (
    "Recognize the signs of child trafficking",
    "Describe how traffickers recruit young people",
    "Respond to a disclosure with support, not blame",
)
AGENDA_TITLES = (
    "Welcome and introductions",
    "What trafficking looks like here",
    "How recruitment works",
    "Break",
    "Responding to a disclosure",
    "Questions and evaluation",
)


def _html_tree(html: str) -> cssselect2.ElementWrapper:
    # A line break separates words as a screen reader says them.
    return cssselect2.ElementWrapper.from_html_root(tinyhtml5.parse(html.replace("<br>", "<br> ")))


def _text(element: cssselect2.ElementWrapper) -> str:
    return " ".join("".join(element.etree_element.itertext()).split())


def _facts(cover: cssselect2.ElementWrapper) -> dict[str, str]:
    return {
        _text(row.query("dt")): _text(row.query("dd")) for row in cover.query_all("dl.facts > div")
    }


def test_session_details_in_the_html(write_spec: Callable[..., Path]) -> None:
    spec = write_spec(SESSION.format(language="en-US"))
    tree = _html_tree(render_html(spec))
    cover = tree.query("section.cover")
    assert _facts(cover) == {
        "When": "April 9, 2026 · 6:30\u20138:00 pm",
        "Presenter": "Dana Cole, Program Director",
        "Location": "Example County Courthouse, Room B",
        "Contact": "Jordan Reyes, Training Coordinator training@example.org · (203) 555-0142",
    }
    contact = cover.query(".contact dd")
    assert contact.etree_element.text == "Jordan Reyes, Training Coordinator"
    assert contact.query("br") is not None  # the name on one line, how to reach them below
    assert _text(contact.query(".reach")) == "training@example.org · (203) 555-0142"
    # On the screen the email and the phone can be followed.
    links = [a.etree_element.get("href") for a in cover.query_all(".contact a")]
    assert links == ["mailto:training@example.org", "tel:2035550142"]
    # Headings in order, then the objectives as a list and the agenda as a table.
    headings = [(h.local_name, _text(h)) for h in cover.query_all("h1, h2, h3")]
    assert headings == [
        ("h1", "Child Trafficking In-service Materials"),
        ("h2", "Recognizing Child Trafficking"),
        ("h3", "Objectives"),
        ("h3", "Agenda"),
    ]
    assert tuple(_text(li) for li in cover.query_all(".objectives ul > li")) == OBJECTIVES
    rows = [
        (_text(row.query("th")), _text(row.query("td")))
        for row in cover.query_all("table.agenda-table tr")
    ]
    assert rows == [
        ("6:30 pm", "Welcome and introductions"),
        ("6:40\u20137:10 pm", "What trafficking looks like here"),
        ("7:10 pm", "How recruitment works"),
        ("7:30 pm", "Break"),
        ("7:40 pm", "Responding to a disclosure"),
        ("7:55 pm", "Questions and evaluation Jordan Reyes"),
    ]
    assert all(th.etree_element.get("scope") == "row" for th in cover.query_all(".agenda-table th"))
    assert _text(cover.query(".agenda-table .who")) == "Jordan Reyes"
    # The time is in the line under the section's title too.
    meta = _text(tree.query("main.inservice .meta"))
    assert meta.startswith("April 9, 2026 · 6:30\u20138:00 pm · Dana Cole")


@pytest.mark.parametrize(
    ("language", "label", "when", "first_row"),
    [
        ("en", "When", "April 9, 2026 · 6:30\u20138:00 pm", "6:30 pm"),
        ("en-GB", "When", "April 9, 2026 · 6:30\u20138:00 pm", "6:30 pm"),
        ("es", "Cuándo", "9 de abril de 2026 · 18:30\u201320:00", "18:30"),
        # No German catalog: the words fall back to English, the date is German.
        ("de-DE", "When", "9. April 2026 · 18:30\u201320:00", "18:30"),
    ],
)
def test_times_are_12_hour_in_english_and_24_hour_otherwise(
    write_spec: Callable[..., Path], language: str, label: str, when: str, first_row: str
) -> None:
    tree = _html_tree(render_html(write_spec(SESSION.format(language=language))))
    assert _facts(tree.query("section.cover"))[label] == when
    times = [_text(th) for th in tree.query_all(".agenda-table th.time")]
    assert times[0] == first_row
    assert times[1] == ("6:40\u20137:10 pm" if language.startswith("en") else "18:40\u201319:10")


@pytest.mark.parametrize(
    ("time", "printed"),
    [
        ("10:30am-12pm", "10:30 am\u201312:00 pm"),
        ("11:30-13:00", "11:30 am\u20131:00 pm"),
        ("12:00-12:45", "12:00\u201312:45 pm"),
        ("00:15", "12:15 am"),
        ("9am", "9:00 am"),
    ],
)
def test_twelve_hour_times_name_the_half_of_the_day_once_when_shared(
    write_spec: Callable[..., Path], time: str, printed: str
) -> None:
    spec = write_spec(f"title: T\ninservices:\n  - id: one\n    title: One\n    time: {time!r}\n")
    facts = _facts(_html_tree(render_html(spec)).query("section.cover"))
    assert facts == {"Time": printed}


def test_an_in_service_without_session_details_renders_as_before(
    write_spec: Callable[..., Path],
) -> None:
    spec = write_spec(
        "title: T\ninservices:\n  - id: one\n    title: One\n    date: 2018-03-12\n"
        "    presenter: P\n    location: L\n"
    )
    tree = _html_tree(render_html(spec))
    cover = tree.query("section.cover")
    assert cover.etree_element.get("class") == "cover"
    assert _facts(cover) == {"Date": "March 12, 2018", "Presenter": "P", "Location": "L"}
    assert cover.query(".session-plan") is None
    assert cover.query(".contact") is None
    assert _text(tree.query("main.inservice .meta")) == "March 12, 2018 · P · L"


def test_session_details_fill_the_first_page_of_the_pdf(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(SESSION.format(language="en"))
    build(spec, tmp_path / "out", format="pdf")
    pdf = tmp_path / "out" / "session.pdf"
    texts = page_texts(pdf)
    first = texts[0]
    for text in (
        "April 9, 2026 · 6:30\u20138:00 pm",
        "Jordan Reyes, Training Coordinator",
        "training@example.org · (203) 555-0142",
        "By the end of this in-service you will be able to:",
        *OBJECTIVES,
        *AGENDA_TITLES,
        "6:40\u20137:10 pm",
        "Talk with your supervisor",  # the advisory still fits on the page
    ):
        assert text in first, text
    # One page: the contents follow on the second.
    assert texts[1].startswith("Contents")
    # In print the email is text, not a link (the only links are QR codes and pages).
    uris = [
        str(annot.get_object()["/A"].get("/URI"))
        for page in PdfReader(pdf).pages
        for annot in page.get("/Annots", []) or []
        if "/A" in annot.get_object()
    ]
    assert not [uri for uri in uris if uri.startswith(("mailto:", "tel:"))]
    # The headings of the cover's plan are not bookmarks.
    titles = [entry.title for entry in _flatten(PdfReader(pdf).outline)]
    assert "Objectives" not in titles
    assert "Agenda" not in titles


def test_large_print_session_details_run_on_whole_and_stay_large(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(
        SESSION.format(language="en").replace("title: Child", "theme: large-print\ntitle: Child")
    )
    build(spec, tmp_path / "out", format="pdf")
    pdf = tmp_path / "out" / "session.pdf"
    texts = page_texts(pdf)
    contents = next(i for i, text in enumerate(texts) if text.startswith("Contents"))
    # The cover runs onto a second page at 16 pt, and nothing of it is lost there.
    assert contents == 2
    cover = " ".join(texts[:contents])
    for text in (*OBJECTIVES, *AGENDA_TITLES, "Jordan Reyes", "Talk with your supervisor"):
        assert text in cover, text
    for page in range(contents):
        assert _smallest_text(pdf, page) >= 13.99


def _smallest_text(pdf: Path, page: int) -> float:
    """The smallest visible text on the page in points, stamped text's transform included."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        textpage = doc[page].get_textpage()
        matrix = pdfium_c.FS_MATRIX()
        smallest = math.inf
        for index in range(textpage.count_chars()):
            if pdfium_c.FPDFText_GetUnicode(textpage.raw, index) <= 32:
                continue
            pdfium_c.FPDFText_GetMatrix(textpage.raw, index, ctypes.byref(matrix))
            scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
            smallest = min(smallest, pdfium_c.FPDFText_GetFontSize(textpage.raw, index) * scale)
        return smallest
    finally:
        doc.close()


# ---------------------------------------------------------------- access notices


def _badges(html: str) -> list[tuple[str, str]]:
    """(heading, text) of every access notice."""
    out = []
    for badge in _html_tree(html).query_all(".badge"):
        heading = _text(badge.query("strong"))
        out.append((heading, _text(badge)[len(heading) :].strip()))
    return out


def test_the_starter_access_notice_does_not_repeat_its_heading(tmp_path: Path) -> None:
    spec = write_starter(tmp_path / "new")
    assert _badges(render_html(spec)) == [
        ("Registration required", "Enter your contact information to watch.")
    ]


@pytest.mark.parametrize(
    ("access", "heading", "text"),
    [
        (
            "Registration required. Enter your details.",
            "Registration required",
            "Enter your details.",
        ),
        (
            "registration required: enter your details",
            "Registration required",
            "Enter your details",
        ),
        ("Registration required.", "Registration required", ""),
        # Says more than the heading would: whole, under the plain heading.
        (
            "Registration required for members only.",
            "How to get in",
            "Registration required for members only.",
        ),
        (
            "Create a free account to watch.",
            "Registration required",
            "Create a free account to watch.",
        ),
        ("How to get in: ask your supervisor.", "How to get in", "Ask your supervisor."),
        ("Ask your supervisor for the link.", "How to get in", "Ask your supervisor for the link."),
    ],
)
def test_access_notice_heading_and_text(
    write_spec: Callable[..., Path], access: str, heading: str, text: str
) -> None:
    spec = write_spec(
        "title: T\ninservices:\n  - id: one\n    title: One\n    items:\n"
        f"      - kind: recording\n        title: R\n        access: {access!r}\n"
    )
    assert _badges(render_html(spec)) == [(heading, text)]


def test_example_access_notices_say_registration_required_once(example_out: Path) -> None:
    badges = [
        badge
        for html in sorted(example_out.glob("*.html"))
        for badge in _badges(html.read_text(encoding="utf-8"))
    ]
    assert len(badges) == 2
    for heading, text in badges:
        assert heading == "Registration required"
        assert "registration required" not in text.lower()
    texts = " ".join(page_texts(example_out / "advocating-webinar.pdf"))
    assert "Registration required Enter your contact information" in texts
    assert "Registration required Registration required" not in texts
