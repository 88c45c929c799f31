"""Limits that hold while the work is done, not after the damage.

One case per finding of "untrusted input, round two": handouts whose many
Flate streams unpack to gigabytes together, handouts that plant invisible
links in the appendix, certificate inputs without a size or count limit, an
output that overwrites an input, pages too large to rasterise, and Markdown
whose smart quotes took seconds a field. Everything is generated here, built
for real, and run in a bounded worker (time, and 1.5 GB of address space).
"""

from __future__ import annotations

import io
import os
import random
import resource
import zlib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from packetgen.errors import CertificateError, LimitError
from packetgen.handouts.open import DecodingLimitError

from .conftest import MEMORY, MINIMAL, bounded, expect_error, temporaries, tree
from .make_broken_pdfs import raw_pdf

MIB = 1024 * 1024
BOMB_PAGES = 40
BOMB_PAGE_BYTES = 70 * MIB
"""Under pypdf's 75 MB cap for one stream, so only a cumulative budget stops it."""

BOMB_SPEC = """\
title: Budgets
credit:
  handout: {hours: 1, per_pages: 10}
inservices:
  - id: one
    title: One
    items:
      - {kind: handout, title: Bomb, file: bomb.pdf}
"""


# ---------------------------------------------------------------- generated files


def _zeros_deflated(total: int, chunk: int = MIB) -> bytes:
    """zlib data inflating to ``total`` zero bytes: one compressed chunk, repeated.

    After a full flush the compressor forgets its history, so every chunk of
    zeros compresses to the same bytes; the Adler-32 of n zeros is
    ((n mod 65521) << 16) | 1.
    """
    assert total % chunk == 0
    compressor = zlib.compressobj(9)
    head = compressor.compress(b"\0" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(b"\0" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    adler = ((total % 65521) << 16) | 1
    return head + again * (total // chunk - 1) + b"\x03\x00" + adler.to_bytes(4, "big")


def _pages_pdf(pages: list[tuple[bytes, bytes]], size: tuple[int, int] = (612, 792)) -> bytes:
    """A PDF of (extra page entries, content stream object) pairs, numbered from 3."""
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(pages),
    ]
    for i, (extra, content) in enumerate(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R%s >>"
            % (size[0], size[1], 4 + 2 * i, extra)
        )
        objects.append(content)
    return raw_pdf(objects)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (entries, len(data)) + data + b"\nendstream"


def bomb_pdf(pages: int = BOMB_PAGES, per_page: int = BOMB_PAGE_BYTES) -> bytes:
    """``pages`` pages whose content streams each inflate to ``per_page`` zero bytes."""
    content = _stream(_zeros_deflated(per_page), b"/Filter /FlateDecode")
    return _pages_pdf([(b"", content)] * pages)


TEXT = _stream(b"BT /F1 12 Tf 72 720 Td (Frequently asked questions) Tj ET")


def _link(url: str, rect: tuple[float, float, float, float], flags: int | None = None) -> bytes:
    f = b"" if flags is None else b" /F %d" % flags
    box = " ".join(f"{v:g}" for v in rect).encode()
    return (
        b"<< /Type /Annot /Subtype /Link /Rect [%s] /Border [0 0 0]%s /A << /S /URI /URI (%s) >> >>"
        % (
            box,
            f,
            url.encode(),
        )
    )


def _visible_rect(i: int) -> tuple[float, float, float, float]:
    # Rows of ten from the top of the page, so that reading order is i's order.
    x, y = 40 + (i % 10) * 55, 700 - (i // 10 % 10) * 60
    return (x, y, x + 45, y + 12)


def links_pdf(visible: list[str], hidden: list[str] | None = None) -> bytes:
    """One handout page per 100 link annotations: ``visible`` ones, then ones no reader sees.

    ``hidden`` URLs come in four kinds of invisible, in turn: the Hidden flag,
    the NoView flag, a rectangle of no width, and a rectangle beside the page.
    """
    annots = [_link(url, _visible_rect(i)) for i, url in enumerate(visible)]
    for i, url in enumerate(hidden or []):
        x, y = _visible_rect(i)[:2]
        annots.append(
            [
                _link(url, (x, y, x + 45, y + 12), flags=2),
                _link(url, (x, y, x + 45, y + 12), flags=32 | 4),
                _link(url, (x, y, x, y + 12)),
                _link(url, (700 + x, y, 745 + x, y + 12)),
            ][i % 4]
        )
    pages = [
        (b" /Annots [" + b" ".join(annots[k : k + 100]) + b"]", TEXT)
        for k in range(0, len(annots), 100)
    ]
    return _pages_pdf(pages)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels and carries almost none."""
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data).to_bytes(4, "big")
        return len(data).to_bytes(4, "big") + kind + data + crc

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- run in the bounded worker


def run_cli(folder: str, args: list[str]) -> tuple[int, str, str, int]:
    """``packetgen ARGS`` from ``folder``: exit code, stdout, stderr and peak memory (MB)."""
    from packetgen.cli import main

    os.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return code, out.getvalue(), err.getvalue(), peak


def serve_once(folder: str, max_memory: int) -> tuple[bool, str]:
    """The first build of ``packetgen serve``, its builds limited as the CLI limits them."""
    from packetgen.serve.server import PreviewServer

    os.chdir(folder)
    with PreviewServer(Path("packet.yaml"), timeout=120, max_memory=max_memory) as server:
        state = server.snapshot()
        return state.ok, state.error


def links_of(spec: Path) -> tuple[list[str], list[str]]:
    from packetgen.build.pipeline import packet_links
    from packetgen.handouts.open import decoding_budget

    with decoding_budget():
        table = packet_links(spec)
    return [ref.url for ref in table.links], table.warnings


def build_links(spec: Path, out: Path) -> tuple[list[str], list[str]]:
    from packetgen.build.pipeline import build

    result = build(spec, out, format="pdf", cache=False)
    return [url for _n, url in result.links], result.warnings


def open_within(paths: list[Path], total: int, each: int) -> list[int]:
    """Open ``paths`` in one decoding budget of ``total`` bytes, ``each`` per file."""
    from packetgen.handouts.open import decoding_budget, open_handout

    with decoding_budget(total):
        return [
            len(open_handout(path, item="Handout", max_decoded_bytes=each).pages) for path in paths
        ]


def certificates(spec: Path, out: Path, **options: Any) -> list[tuple[Path, int]]:
    from packetgen.kit.certificates import make_certificates

    return make_certificates(spec, out, **options).outputs


def verify(pdf: Path) -> object:
    from packetgen.tools.verify import verify_pdf

    return verify_pdf(pdf)


def preview(pdf: Path, out: Path) -> list[tuple[str, tuple[int, int]]]:
    from packetgen.tools.preview import preview_pdf

    written = preview_pdf(pdf, out, dpi=60)
    sizes = []
    for path in written:
        with Image.open(path) as image:
            sizes.append((path.name, image.size))
    return sizes


def parse_many(text: str, times: int) -> list[str]:
    from packetgen.text.markdown import render_markdown

    return [str(render_markdown(text)) for _ in range(times)]


# ---------------------------------------------------------------- 1. cumulative unpacking


@pytest.fixture
def bomb_packet(packet_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    data = bomb_pdf()
    assert len(data) < 4 * MIB  # 2.9 GB of content behind about 3 MB
    (packet_dir / "bomb.pdf").write_bytes(data)
    (packet_dir / "packet.yaml").write_text(BOMB_SPEC)
    out = tmp_path / "out"
    out.mkdir()
    (out / "one.pdf").write_bytes(b"previous")
    return packet_dir, out


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 1, (out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    (line,) = lines
    assert line.startswith("Error: packet.yaml:8:"), line
    assert (
        "inservices[0].items[0].file: bomb.pdf: Bomb: the PDF unpacks to more than 256 MiB" in line
    )
    assert "the limit for one handout" in line
    assert "select fewer pages with `pages:`, split it into smaller PDFs" in line
    return line


@pytest.mark.parametrize(
    "command",
    [
        ["build", "packet.yaml", "-o", "OUT", "--format", "pdf", "--no-cache"],
        ["links", "packet.yaml"],
        ["check", "packet.yaml"],
    ],
    ids=["build", "links", "check-with-per-pages-credit"],
)
def test_flate_bomb_of_many_streams_is_stopped_by_the_handout_budget(
    command: list[str], bomb_packet: tuple[Path, Path]
) -> None:
    """40 pages x 70 MB: each stream is under pypdf's cap, together 2.9 GB.

    Before: 4 GB in build, MemoryError in links and check (which counted the
    pages for the per-pages credit rule). Now the handout stops at 256 MiB of
    unpacked content with one line naming it, in every command.
    """
    folder, out = bomb_packet
    args = [str(out) if a == "OUT" else a for a in command]
    before = tree(folder)
    code, stdout, stderr, peak = bounded(run_cli, str(folder), args, seconds=120)
    _one_line_error(code, stdout, stderr)
    assert stdout == ""
    assert peak < 1024, f"peak {peak} MB"
    assert tree(out) == {"one.pdf": b"previous"}
    assert temporaries(out) == []
    assert tree(folder) == before


def test_flate_bomb_in_serve_is_the_page_error(bomb_packet: tuple[Path, Path]) -> None:
    folder, _out = bomb_packet
    ok, error = bounded(serve_once, str(folder), MEMORY - 128 * MIB, seconds=180)
    assert not ok
    assert "bomb.pdf: Bomb: the PDF unpacks to more than 256 MiB" in error
    assert "Traceback" not in error


def test_handouts_of_one_build_share_a_budget(packet_dir: Path) -> None:
    """Each file under its own limit, together over the build's: the file that
    crosses it is named. The same file read twice counts once."""
    first, second = packet_dir / "first.pdf", packet_dir / "second.pdf"
    first.write_bytes(bomb_pdf(pages=3, per_page=20 * MIB))
    second.write_bytes(bomb_pdf(pages=3, per_page=20 * MIB))
    assert bounded(open_within, [first, first, first], 100 * MIB, 80 * MIB, seconds=60) == [
        3,
        3,
        3,
    ]
    expect_error(
        DecodingLimitError,  # a HandoutError, told apart for the page count of credit
        open_within,
        [first, second],
        100 * MIB,
        80 * MIB,
        seconds=60,
        contains=(
            f"{second}: Handout: with this file the packet's handouts unpack to more than"
            " 100 MiB of PDF content, the limit for one build",
        ),
    )


# ---------------------------------------------------------------- 2. links planted by handouts

VISIBLE = [f"https://example.org/visible/{i}" for i in range(60)]
INVISIBLE = [f"https://phish.example/{i}" for i in range(240)]


def test_invisible_and_surplus_handout_links_stay_out_of_the_appendix(
    packet_dir: Path, tmp_path: Path
) -> None:
    """300 link annotations in a 49 KB handout: 240 that no reader can see
    (hidden, never viewed, no width, beside the page) are ignored, the 60
    visible ones are capped at 50, and the build says what the file adds."""
    data = links_pdf(VISIBLE, INVISIBLE)
    assert len(data) < 64 * 1024
    (packet_dir / "faq.pdf").write_bytes(data)
    spec = packet_dir / "packet.yaml"
    spec.write_text(MINIMAL + "    items:\n      - {kind: handout, title: FAQ, file: faq.pdf}\n")

    urls, warnings = bounded(links_of, spec, seconds=60)
    assert urls == VISIBLE[:50]
    (warning,) = warnings
    assert warning == (
        f"{spec}:6:43: inservices[0].items[0].file: faq.pdf adds 50 links to the appendix"
        " (example.org/visible/0, example.org/visible/1, example.org/visible/2 and 47 more);"
        " check that you want to hand them out; faq.pdf has 60 links; only the first 50 are"
        " numbered (the limit for one handout)"
    )

    built, build_warnings = bounded(build_links, spec, tmp_path / "out", seconds=240)
    assert built == VISIBLE[:50]
    assert warning in build_warnings
    assert not any("phish" in w for w in build_warnings)


def test_handouts_together_add_at_most_200_links(packet_dir: Path) -> None:
    items = []
    for n in range(5):
        (packet_dir / f"h{n}.pdf").write_bytes(
            links_pdf([f"https://example.org/h{n}/{i}" for i in range(50)])
        )
        items.append(f"      - {{kind: handout, title: H{n}, file: h{n}.pdf}}\n")
    spec = packet_dir / "packet.yaml"
    spec.write_text(MINIMAL + "    items:\n" + "".join(items))
    urls, warnings = bounded(links_of, spec, seconds=90)
    assert len(urls) == 200
    assert urls[-1] == "https://example.org/h3/49"
    assert warnings[-1] == (
        f"{spec}:10:42: inservices[0].items[4].file: 50 more links of h4.pdf were left out:"
        " the packet's handouts already add 200, the limit for all handouts together"
    )
    assert [w.split(": ")[2].split(" (")[0] for w in warnings[:4]] == [
        f"h{n}.pdf adds 50 links to the appendix" for n in range(4)
    ]


# ---------------------------------------------------------------- 3. certificates

CERTIFICATE_SPEC = """\
title: Budgets
inservices:
  - id: one
    title: One
    certificate:
      signer: Training Coordinator
      signature: signature.png
    attendees: [Ana Diaz, Bo Lee]
"""


def test_sparse_600_mib_signature_is_refused_from_its_size(
    packet_dir: Path, tmp_path: Path
) -> None:
    signature = packet_dir / "signature.png"
    with signature.open("wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(600 * MIB)  # sparse: 600 MiB on paper, nothing on disk
    spec = packet_dir / "packet.yaml"
    spec.write_text(CERTIFICATE_SPEC)
    out = tmp_path / "out"
    expect_error(
        CertificateError,
        certificates,
        spec,
        out,
        seconds=60,
        contains=(
            f"{signature}: the signature image is 629,145,600 bytes, more than the limit of 5 MiB",
        ),
    )
    assert not out.exists() or tree(out) == {}


def test_signature_declaring_too_many_pixels_is_refused(packet_dir: Path, tmp_path: Path) -> None:
    (packet_dir / "signature.png").write_bytes(png_header_only(20_000, 20_000))
    spec = packet_dir / "packet.yaml"
    spec.write_text(CERTIFICATE_SPEC)
    expect_error(
        CertificateError,
        certificates,
        spec,
        tmp_path / "out",
        seconds=60,
        contains="more than 25,000,000 pixels, the limit; resize it",
    )


def test_more_certificates_than_the_cap_stop_before_any_layout(
    packet_dir: Path, tmp_path: Path
) -> None:
    (packet_dir / "attendees.csv").write_text(
        "name\n" + "".join(f"Volunteer {i:05d}\n" for i in range(2001))
    )
    spec = packet_dir / "packet.yaml"
    spec.write_text(
        MINIMAL + "    certificate: {signer: Training Coordinator}\n    attendees: attendees.csv\n"
    )
    out = tmp_path / "out"
    expect_error(
        LimitError,
        certificates,
        spec,
        out,
        seconds=20,  # laid out, 2,001 certificates would take minutes
        contains=(
            "this would make 2,001 certificates (one: 2,001), more than the limit of 2,000 in"
            " one run; split the attendee list and make them in parts",
        ),
    )
    assert not out.exists() or tree(out) == {}


def test_certificates_into_the_packet_folder_never_overwrite_an_input(packet_dir: Path) -> None:
    handout = packet_dir / "one-certificates.pdf"
    handout.write_bytes(_pages_pdf([(b"", TEXT)]))
    spec = packet_dir / "packet.yaml"
    spec.write_text(
        MINIMAL
        + "    certificate: {signer: Training Coordinator}\n    attendees: [Ana Diaz]\n"
        + "    items:\n      - {kind: handout, title: Old, file: one-certificates.pdf}\n"
    )
    before = tree(packet_dir)
    code, stdout, stderr, _peak = bounded(
        run_cli, str(packet_dir), ["certificates", "packet.yaml", "-o", "."], seconds=60
    )
    assert code == 1
    assert stderr == (
        "Error: the output one-certificates.pdf would overwrite an input file of the packet;"
        " choose another -o folder\n"
    )
    assert stdout == ""
    assert tree(packet_dir) == before


# ---------------------------------------------------------------- 4. pages too large to draw


@pytest.fixture
def giant_page(tmp_path: Path) -> Path:
    """One page of 14,400 x 14,400 pt (200 inches a side, the largest PDF allows)."""
    pdf = tmp_path / "giant.pdf"
    content = _stream(b"0 0 1 rg 100 100 14200 14200 re f")
    pdf.write_bytes(_pages_pdf([(b"", content)], size=(14_400, 14_400)))
    return pdf


def test_verify_refuses_a_giant_page_before_drawing_it(giant_page: Path) -> None:
    expect_error(
        LimitError,
        verify,
        giant_page,
        seconds=30,
        contains=(
            f"{giant_page}: page 1 is 200 x 200 inches (508 x 508 cm): at 150 dpi it would be"
            " 900,000,000 pixels, more than the limit of 50,000,000 for one page",
        ),
    )


def test_preview_draws_a_giant_page_smaller(giant_page: Path, tmp_path: Path) -> None:
    sizes = dict(bounded(preview, giant_page, tmp_path / "png", seconds=60))
    width, height = sizes["giant-page-1.png"]
    assert width == height
    assert width * height <= 50_000_000
    assert width > 6_000  # as large as the limit allows, not a thumbnail


# ---------------------------------------------------------------- 5. Markdown smart quotes

PATHOLOGICAL = ("\"a' " * 5000)[:20_000]
"""Openers of one kind, closers of the other: every closer walked the whole
stack in markdown-it-py's smartquotes rule (3.5 s a parse)."""


def test_pathological_smart_quotes_parse_in_linear_time() -> None:
    # Ten parses of the limit's worth of text: 35 s before, about 1 s now.
    pages = bounded(parse_many, PATHOLOGICAL, 10, seconds=30)
    assert pages[0] == pages[-1]
    # Every ' is an apostrophe; no " can close, so each stays a straight quote.
    assert pages[0].startswith("<p>&quot;a\u2019 &quot;a\u2019 &quot;a\u2019")
    assert pages[0].count("\u2019") == 5000
    assert "'" not in pages[0]


def test_smart_quotes_match_markdown_it() -> None:
    """Same tokens as markdown-it-py's own rule, on inputs built to exercise it."""
    from markdown_it import MarkdownIt

    from packetgen.text.markdown import _parser

    original = MarkdownIt("commonmark", {"html": False, "typographer": True, "linkify": False})
    original.enable(["replacements", "smartquotes", "strikethrough", "table"])

    def flat(tokens: list[Any]) -> list[tuple[str, str, int]]:
        out = []
        for token in tokens:
            out.append((token.type, token.content, token.level))
            out.extend(flat(token.children or []))
        return out

    typographic = ["\u201c", "\u2019"]  # quotes that are already curly
    pieces = [*"''''\"\"\"\"aab1 .,-!?*_[]()`\\", *typographic, "**", "](http://x.y)", "\n\n", "~~"]
    pieces.append("  \n")  # a hard break
    rng = random.Random(2024)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        assert flat(_parser().parse(text)) == flat(original.parse(text)), repr(text)
    text = PATHOLOGICAL[:2000]
    assert flat(_parser().parse(text)) == flat(original.parse(text))
