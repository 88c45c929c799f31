"""Rendering the example packet: real WeasyPrint output, read back and scanned."""

from __future__ import annotations

import http.server
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

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from PIL import Image, ImageFilter
from pypdf import PdfReader

import packetgen
from packetgen import BuildError, SpecError
from packetgen.build import build, packet_links, render_html
from packetgen.handouts import open_handout
from packetgen.links import collect_links

from .conftest import EXAMPLE, page_texts

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
    with pytest.raises(packetgen.PacketgenError, match="--strict"):
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
