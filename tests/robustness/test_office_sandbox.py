"""Office conversion of hostile documents: no file outside the document, no network, no orphans.

The documents are the corpus's Word file with a picture *linked* (not
inserted) from a local file outside the packet folder or from a loopback web
server. A plain LibreOffice embeds the first and fetches the second (the
control cases show it on this machine); packetgen must do neither, at every
sandbox level, and say what it left out.
"""

from __future__ import annotations

import http.server
import io
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from packetgen.errors import HandoutError
from packetgen.handouts._office_refs import strip_external_references
from packetgen.handouts.open import open_handout
from packetgen.support._sandbox import detect_sandbox, run_conversion

from ..conftest import CORPUS

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed (make office-deps)"
)
SOFFICE = shutil.which("soffice") or "soffice"
WRITER = 'writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'

_DRAWING = (
    '<w:p><w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
    '<wp:extent cx="1828800" cy="1828800"/><wp:docPr id="{n}" name="Picture {n}"/>'
    '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:nvPicPr><pic:cNvPr id="{n}" name="linked.png"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip r:link="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" cy="1828800"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData>'
    "</a:graphic></wp:inline></w:drawing></w:r></w:p>"
)
_RELATIONSHIP = (
    '<Relationship Id="{rid}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/image" Target="{target}" TargetMode="External"/>'
)
_HYPERLINK = (
    '<Relationship Id="rIdLink" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/hyperlink" Target="https://example.org/kept" TargetMode="External"/>'
)


def linked_docx(targets: list[str]) -> bytes:
    """faq.docx with one picture linked from each target (and a hyperlink, which must stay)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(CORPUS / "faq.docx") as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                pictures = "".join(
                    _DRAWING.format(n=100 + i, rid=f"rIdX{i}") for i in range(len(targets))
                )
                data = data.replace(b"<w:body>", b"<w:body>" + pictures.encode())
            if info.filename == "word/_rels/document.xml.rels":
                rels = "".join(
                    _RELATIONSHIP.format(rid=f"rIdX{i}", target=t) for i, t in enumerate(targets)
                )
                data = data.replace(
                    b"</Relationships>", (rels + _HYPERLINK).encode() + b"</Relationships>"
                )
            target.writestr(info, data)
    return out.getvalue()


def linked_odt(targets: list[str]) -> bytes:
    """A minimal OpenDocument text with one picture linked from each target."""
    frames = "".join(
        f'<text:p><draw:frame draw:name="p{i}" svg:width="5cm" svg:height="5cm" '
        f'text:anchor-type="as-char"><draw:image xlink:href="{t}" xlink:type="simple" '
        'xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>'
        for i, t in enumerate(targets)
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"><office:body>'
        "<office:text><text:p>Sample handout with "
        '<text:a xlink:type="simple" xlink:href="https://example.org/kept">a link</text:a>.'
        f"</text:p>{frames}</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.3"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 -- one server per test, reset by the fixture
    picture = b""

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.picture)))
        self.end_headers()
        self.wfile.write(self.picture)

    def do_OPTIONS(self) -> None:
        type(self).hits.append("OPTIONS " + self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 120), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.hits = []
    # Not the colour of the local picture: LibreOffice stores identical pictures once.
    _Recorder.picture = _png(BLUE)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A picture outside the packet folder (the packet folder is tmp_path/packet)."""
    path = tmp_path / "elsewhere" / "secret.png"
    path.parent.mkdir()
    path.write_bytes(_png(RED))
    return path


RED, BLUE = (230, 20, 20), (20, 20, 230)


def _colours(pdf: bytes) -> set[str]:
    """Which of the two linked pictures can be seen on the rendered pages."""
    seen = set()
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            image = page.render(scale=0.5).to_pil().convert("RGB")
            colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
            for name, (r, g, b) in (("red", RED), ("blue", BLUE)):
                if any(abs(c[0] - r) + abs(c[1] - g) + abs(c[2] - b) < 40 for c in colours):
                    seen.add(name)
    finally:
        document.close()
    return seen


def _plain_libreoffice(document: bytes, ext: str, tmp_path: Path) -> bytes:
    """What LibreOffice does on its own, without packetgen's precautions."""
    folder = tmp_path / "plain"
    folder.mkdir(exist_ok=True)
    source = folder / f"doc.{ext}"
    source.write_bytes(document)
    subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation={(folder / 'p').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(folder), str(source)],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    return (folder / "doc.pdf").read_bytes()


@pytest.mark.parametrize("make", [linked_docx, linked_odt], ids=["docx", "odt"])
def test_plain_libreoffice_embeds_and_fetches_linked_pictures(
    make: object, server: str, secret: Path, tmp_path: Path
) -> None:
    # The control: without precautions the attack works on this machine, so the
    # cases below would notice if packetgen's precautions stopped working.
    document = make([secret.as_uri(), f"{server}/picture.png"])  # type: ignore[operator]
    ext = "docx" if make is linked_docx else "odt"
    pdf = _plain_libreoffice(document, ext, tmp_path)
    assert _colours(pdf) == {"red", "blue"}
    assert any("/picture.png" in hit for hit in _Recorder.hits)


@pytest.mark.parametrize("level", ["", "namespaces", "none"], ids=["best", "namespaces", "none"])
@pytest.mark.parametrize("make", [linked_docx, linked_odt], ids=["docx", "odt"])
def test_linked_pictures_are_left_out_and_never_fetched(
    make: object,
    level: str,
    server: str,
    secret: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACKETGEN_SANDBOX", level)
    ext = "docx" if make is linked_docx else "odt"
    packet = tmp_path / "packet"
    packet.mkdir()
    handout = packet / f"linked.{ext}"
    handout.write_bytes(make([secret.as_uri(), f"{server}/picture.png"]))  # type: ignore[operator]
    opened = open_handout(handout, item="Linked pictures")
    assert _Recorder.hits == []
    writer = pypdf.PdfWriter()
    for page in opened.pages:
        writer.add_page(page)
    pdf = io.BytesIO()
    writer.write(pdf)
    assert _colours(pdf.getvalue()) == set()
    text = " ".join(page.extract_text() for page in opened.pages)
    assert "Sample handout" in text or "Frequently Asked Questions" in text
    removed = [w for w in opened.warnings if w.startswith("links pictures or objects")]
    assert len(removed) == 1, opened.warnings
    assert "/elsewhere/secret.png" in removed[0]
    assert f"{server}/picture.png" in removed[0]
    assert "insert the picture into the document itself (not as a link)" in removed[0]
    assert opened.tagged is True


def test_hyperlinks_stay_when_pictures_go() -> None:
    stripped = strip_external_references(
        linked_docx(["file:///etc/hostname"]), file="x.docx", item="x"
    )
    assert stripped.removed == ["file:///etc/hostname"]
    with zipfile.ZipFile(io.BytesIO(stripped.data)) as archive:
        rels = archive.read("word/_rels/document.xml.rels")
    assert b"https://example.org/kept" in rels
    assert b"file:///etc/hostname" not in rels
    odt = strip_external_references(linked_odt(["../../secret.png"]), file="x.odt", item="x")
    assert odt.removed == ["../../secret.png"]
    with zipfile.ZipFile(io.BytesIO(odt.data)) as archive:
        names = [info.filename for info in archive.infolist()]
        content = archive.read("content.xml")
        # The mimetype entry stays first and stored, or it is no longer an OpenDocument file.
        assert names[0] == "mimetype"
        assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    assert b'xlink:href="https://example.org/kept"' in content
    assert b"secret.png" not in content


def test_the_sandbox_alone_blocks_files_and_network(
    server: str, secret: Path, tmp_path: Path
) -> None:
    # Without the stripping (the old .doc/.ppt formats cannot be inspected),
    # the sandbox must still hide the disk and the network.
    if detect_sandbox().level != "bubblewrap":
        pytest.skip(f"the sandbox here is {detect_sandbox().level!r}, not bubblewrap")
    document = linked_docx([secret.as_uri(), f"{server}/picture.png"])
    done = run_conversion(SOFFICE, document, "docx", WRITER, timeout=120, limit=10**8)
    assert done.returncode == 0, done.stderr
    assert done.pdf.startswith(b"%PDF")
    assert _colours(done.pdf) == set()
    assert _Recorder.hits == []


def _zip_bomb(parts: dict[str, bytes | int]) -> bytes:
    """A zip archive of deflated parts: given bytes, or that many zero bytes.

    Written field by field as zipfile writes it, but deflating each size of
    zeros once and storing that stream for every part of the size: deflating
    1.25 GB of zeros five times over was most of the test's time, and changes
    nothing in the file.
    """
    streams: dict[bytes | int, tuple[bytes, int, int]] = {}
    local = bytearray()
    central = bytearray()
    for name, content in parts.items():
        if content not in streams:
            data = bytes(content) if isinstance(content, int) else content
            deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
            streams[content] = (
                deflate.compress(data) + deflate.flush(),
                zlib.crc32(data),
                len(data),
            )
        stream, crc, size = streams[content]
        encoded = name.encode()
        # method 8 (deflate), no time, crc, sizes, name and no extra field.
        common = struct.pack("<4H3L2H", 0, 8, 0, 0, crc, len(stream), size, len(encoded), 0)
        central += b"PK\x01\x02" + struct.pack("<2H", 20, 20) + common
        central += struct.pack("<3HLL", 0, 0, 0, 0, len(local)) + encoded
        local += b"PK\x03\x04" + struct.pack("<H", 20) + common + encoded + stream
    count = len(parts)
    end = b"PK\x05\x06" + struct.pack("<4H2LH", 0, 0, count, count, len(central), len(local), 0)
    return bytes(local + central + end)


def test_a_zip_bomb_office_file_is_refused_before_conversion(tmp_path: Path) -> None:
    pad = 250 * 1024 * 1024
    parts: dict[str, bytes | int] = {"[Content_Types].xml": b"<Types/>"}
    parts |= {f"word/media/pad{n}.bin": pad for n in range(5)}
    path = tmp_path / "bomb.docx"
    path.write_bytes(_zip_bomb(parts))
    assert path.stat().st_size < 2 * 1024 * 1024
    # A real archive, as zipfile (and so packetgen) reads it: a part unpacks in full.
    with zipfile.ZipFile(path) as archive:
        assert archive.read("[Content_Types].xml") == b"<Types/>"
        assert [i.file_size for i in archive.infolist()] == [8] + [pad] * 5
        with archive.open("word/media/pad4.bin") as part:
            assert sum(len(chunk) for chunk in iter(lambda: part.read(1 << 24), b"")) == pad
    with pytest.raises(HandoutError) as info:
        open_handout(path, item="Bomb")
    assert "unpacks to more than 1 GB" in str(info.value)


# ---------------------------------------------------------------- no orphans


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("level", ["", "namespaces"], ids=["best", "namespaces"])
def test_killed_build_leaves_no_libreoffice_and_no_files(
    level: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if detect_sandbox().level == "none":
        pytest.skip("this computer has no sandbox for LibreOffice")
    packet = tmp_path / "packet"
    packet.mkdir()
    shutil.copy(CORPUS / "csec-deck.pptx", packet / "deck.pptx")
    (packet / "packet.yaml").write_text(
        "title: T\ninservices:\n  - id: s\n    title: S\n    items:\n"
        "      - kind: presentation\n        title: Deck\n        file: deck.pptx\n"
    )
    out = tmp_path / "out"
    # A temporary folder of its own, so that what the build leaves there is known.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "PACKETGEN_SANDBOX": level, "TMPDIR": str(scratch)}
    build = subprocess.Popen(
        [sys.executable, "-m", "packetgen", "build", str(packet / "packet.yaml"),
         "-o", str(out), "-q", "--no-cache"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        tree: set[int] = set()
        while time.monotonic() < deadline:
            tree = _children(build.pid)
            if any("soffice.bin" in _command(pid) for pid in tree):
                break
            assert build.poll() is None, "the build ended before LibreOffice started"
            time.sleep(0.05)
        else:
            pytest.fail("LibreOffice never started")
        build.send_signal(signal.SIGKILL)
        build.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(pid) for pid in tree):
            time.sleep(0.1)
        left = {pid: _command(pid) for pid in tree if _alive(pid)}
        assert left == {}
    finally:
        if build.poll() is None:
            build.kill()
    # Nothing of the conversion stays on the host: no copy of the document, no profile.
    assert [p.name for p in scratch.iterdir() if "soffice" in p.name] == []
    time.sleep(1)
    assert not out.exists() or [p.name for p in out.rglob("*.tmp")] == []


def test_each_office_file_is_converted_once_per_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A counting `soffice` in front of the real one. The links scan, the credit
    # count and the binder (in a worker, -j 2) all open the deck.
    log = tmp_path / "conversions.log"
    wrapper = tmp_path / "bin" / "soffice"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f'#!/bin/sh\necho converted >> "{log}"\nexec "{os.path.realpath(SOFFICE)}" "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    # The log is in the test's folder, which a sandbox would hide.
    monkeypatch.setenv("PACKETGEN_SANDBOX", "none")
    packet = tmp_path / "packet"
    packet.mkdir()
    shutil.copy(CORPUS / "csec-deck.pptx", packet / "deck.pptx")
    (packet / "packet.yaml").write_text(
        "title: T\ncredit:\n  presentation: {hours: 0.5, per_pages: 4}\n"
        "inservices:\n  - id: s\n    title: S\n    items:\n"
        "      - kind: presentation\n        title: Deck\n        file: deck.pptx\n"
        "        layout: 3-up\n"
        "  - id: t\n    title: T\n    items:\n"
        "      - {kind: link, title: Elsewhere, url: 'https://example.org/'}\n"
    )
    from packetgen.build.pipeline import build

    result = build(packet / "packet.yaml", tmp_path / "out", jobs=2, cache=False, format="pdf")
    assert {o.path.name for o in result.outputs} == {"s.pdf", "t.pdf", "packet.pdf"}
    assert log.read_text().split() == ["converted"]
