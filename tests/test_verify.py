"""Verifying finished PDFs: the example packet, and small PDFs with known faults."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import weasyprint

import packetgen
from packetgen import PacketgenError
from packetgen.links import collect_links
from packetgen.qr import make_qr
from packetgen.verify import (
    FoundCode,
    decode_page_images,
    format_verify,
    verify_pdf,
)

from .conftest import EXAMPLE

pytestmark = pytest.mark.slow

MEASURE_MM = 0.05
"""How far a measured size may be from the size the code was drawn at."""

A, B, C = "https://example.org/a", "https://example.org/b", "https://example.org/c"


@pytest.fixture(scope="module")
def example() -> packetgen.Packet:
    return packetgen.load_packet(EXAMPLE)


@pytest.fixture
def small_spec(tmp_path: Path) -> packetgen.Packet:
    """A packet with two links, A and B, in one in-service."""
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        textwrap.dedent(
            f"""\
            title: Two links
            inservices:
              - id: one
                title: One
                items:
                  - {{kind: link, title: Link A, url: "{A}"}}
                  - {{kind: link, title: Link B, url: "{B}"}}
            """
        ),
        encoding="utf-8",
    )
    return packetgen.load_packet(spec)


def code(url: str, *, size_mm: float | None = None, linked: bool = False, n: int = 0) -> str:
    svg = make_qr(url).svg(title=url, element_id=f"qr{n}", size_mm=size_mm)
    return f'<p><a href="{url}">{svg}</a></p>' if linked else f"<p>{svg}</p>"


def make_pdf(path: Path, *pages: str) -> Path:
    """A letter-size PDF, one HTML fragment per page."""
    body = "".join(f'<section style="break-after: page">{page}</section>' for page in pages)
    html = f"<html><head><style>@page {{ size: letter; margin: 20mm }}</style></head><body>{body}</body></html>"
    weasyprint.HTML(string=html).write_pdf(path)
    return path


# ---------------------------------------------------------------- the example packet


@pytest.mark.parametrize("blur", [0.0, 1.0])
def test_every_output_of_the_example_verifies(
    example_out: Path, example: packetgen.Packet, blur: float
) -> None:
    table = collect_links(example)
    drawn = {ref.url: ref.qr for ref in table.links}
    pdfs = [example_out / f"{s.id}.pdf" for s in example.inservices] + [example_out / "packet.pdf"]
    for pdf in pdfs:
        report = verify_pdf(pdf, packet=example, blur=blur)
        assert report.ok, format_verify(report)
        assert report.missing == []
        assert report.unexpected == []
        assert all(c.in_spec for c in report.codes)
        for c in report.codes:
            assert c.printed_mm >= 22 - MEASURE_MM, c
            assert c.module_mm >= 0.5, c
            if c.url in drawn:  # links found inside handouts are not in the spec's table
                qr = drawn[c.url]
                assert c.qr_version == qr.version
                assert c.printed_mm == pytest.approx(qr.size_mm(), abs=MEASURE_MM)
                assert c.module_mm == pytest.approx(qr.module_mm(), abs=MEASURE_MM / qr.modules)
        if pdf.stem != "packet":
            assert report.required == [ref.url for ref in table.for_inservice(pdf.stem)]
        else:
            assert report.required == [ref.url for ref in table.links]
        k, n = len(report.required or []), len(report.codes)
        expected = f"OK: {n} code{'' if n == 1 else 's'}, " + (
            "the spec link found" if k == 1 else f"all {k} spec links found"
        )
        assert format_verify(report).splitlines()[-1] == expected


def test_binder_requires_only_its_own_links(example_out: Path, example: packetgen.Packet) -> None:
    pdf = example_out / "unlocking-the-narrative.pdf"
    own = verify_pdf(pdf, packet=example)
    assert own.ok
    assert own.required == ["https://love146.org/"]
    # Checked as if it were another in-service's binder, its code is a stranger.
    other = verify_pdf(pdf, packet=example, inservice="advocating-webinar")
    assert other.missing == ["https://nationalcasagal.org/"]
    assert other.unexpected == ["https://love146.org/"]
    assert not other.ok
    with pytest.raises(PacketgenError) as info:
        verify_pdf(pdf, packet=example, inservice="nope")
    assert str(info.value) == (
        "no in-service with id 'nope'; the packet has: keeping-kids-safer-online,"
        " advocating-webinar, csec-understanding, unlocking-the-narrative, reading-and-viewing"
    )


def test_handout_links_count_as_expected(example_out: Path, example: packetgen.Packet) -> None:
    spec_urls = {ref.url for ref in collect_links(example).links}
    report = verify_pdf(example_out / "csec-understanding.pdf", packet=example)
    from_handouts = {c.url for c in report.codes} - spec_urls
    assert from_handouts == {"https://example.org/resources"}
    assert report.ok


def test_page_selection(example_out: Path, example: packetgen.Packet) -> None:
    pdf = example_out / "packet.pdf"
    per_page = decode_page_images(pdf, 150, 0.0)
    last = len(per_page)
    report = verify_pdf(pdf, packet=example, pages=[last])  # the links appendix
    assert report.ok
    assert {c.page for c in report.codes} == {last}
    assert [c.url for c in report.codes] == [c.url for c in per_page[-1]]
    cover = verify_pdf(pdf, packet=example, pages=[1])
    assert cover.codes == []
    assert len(cover.missing) == len(cover.required or [])
    with pytest.raises(PacketgenError) as info:
        verify_pdf(pdf, pages=[last + 1])
    assert str(info.value) == (
        f"{pdf} has {last} pages; there is no page {last + 1} (pages count from 1)"
    )


def test_decode_page_images_keeps_page_indexes(example_out: Path) -> None:
    pdf = example_out / "reading-and-viewing.pdf"
    every = decode_page_images(pdf, 150, 0.0)
    some = decode_page_images(pdf, 150, 0.0, pages=[3])
    assert len(some) == len(every)
    assert some[2]
    assert some[2] == every[2]
    assert all(page == [] for i, page in enumerate(some) if i != 2)
    assert all(isinstance(c, FoundCode) and c.in_spec is None for c in every[2])


# ---------------------------------------------------------------- faults


def test_code_not_in_the_spec_is_unexpected(tmp_path: Path, small_spec: packetgen.Packet) -> None:
    pdf = make_pdf(tmp_path / "stray.pdf", code(A, n=1) + code(B, n=2), code(C, n=3))
    report = verify_pdf(pdf, packet=small_spec)
    assert [(c.page, c.url, c.in_spec) for c in report.codes] == [
        (1, A, True),
        (1, B, True),
        (2, C, False),
    ]
    assert report.missing == []
    assert report.unexpected == [C]
    assert not report.ok
    text = format_verify(report)
    assert f"  unexpected: {C} (page 2; not a link of the spec)" in text
    assert text.splitlines()[-1] == "FAILED: 3 codes; 1 code not in the spec"


def test_missing_code_fails(tmp_path: Path, small_spec: packetgen.Packet) -> None:
    pdf = make_pdf(tmp_path / "one.pdf", code(A))  # the binder of in-service "one"
    report = verify_pdf(pdf, packet=small_spec)
    assert report.missing == [B]
    assert report.unexpected == []
    assert not report.ok
    text = format_verify(report)
    assert f"  missing: {B} (in the spec, but no code in the PDF scans to it)" in text
    assert text.splitlines()[-1] == "FAILED: 1 code; 1 of 2 spec links not found"


def test_a_code_linking_only_to_itself_is_still_unexpected(
    tmp_path: Path, small_spec: packetgen.Packet
) -> None:
    """Every packetgen code is a link to its URL, so that link excuses nothing;
    the same URL as clickable text elsewhere (a merged handout) does."""
    own = make_pdf(tmp_path / "own.pdf", code(A, n=1) + code(B, n=2) + code(C, linked=True, n=3))
    assert verify_pdf(own, packet=small_spec).unexpected == [C]
    text = f'<p>Read more at <a href="{C}">our resources page</a>.</p>'
    handout = make_pdf(
        tmp_path / "handout.pdf", code(A, n=1) + code(B, n=2), text + code(C, linked=True, n=3)
    )
    report = verify_pdf(handout, packet=small_spec)
    assert report.ok, format_verify(report)
    assert [c.in_spec for c in report.codes] == [True, True, True]


def test_small_codes_fail(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "small.pdf", code(A, size_mm=15, n=1) + code(B, n=2))
    report = verify_pdf(pdf)
    small = report.too_small
    assert [c.url for c in small] == [A]
    assert small[0].printed_mm == pytest.approx(15, abs=MEASURE_MM)
    assert small[0].module_mm == pytest.approx(15 / make_qr(A).modules, abs=0.005)
    assert not report.ok
    text = format_verify(report)
    assert (
        f"  too small: the code on page 1 for {A} is 15.0 mm with {small[0].module_mm:.2f} mm modules;"
        " at least 20 mm and 0.5 mm scan from a photocopy"
    ) in text
    assert text.splitlines()[-1] == "FAILED: 2 codes; 1 code too small"


def test_without_a_spec_only_sizes_are_checked(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "any.pdf", code(C))
    report = verify_pdf(pdf)
    assert [(c.url, c.in_spec) for c in report.codes] == [(C, None)]
    assert report.ok
    assert report.required is None
    lines = format_verify(report).splitlines()
    assert lines[0] == f"{pdf}:"
    assert lines[1].split() == ["page", "size", "module", "in", "spec", "URL"]
    assert lines[2].split() == ["1", "22.0", "mm", f"{make_qr(C).module_mm():.2f}", "mm", C]
    assert lines[-1] == "OK: 1 code (no spec given, so only sizes were checked)"
    with pytest.raises(PacketgenError, match="only be checked against a spec"):
        verify_pdf(pdf, inservice="one")


def test_no_codes_without_a_spec_fails(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "text.pdf", "<p>Just text.</p>")
    report = verify_pdf(pdf)
    assert not report.ok
    text = format_verify(report)
    assert "  no QR codes found\n" in text
    assert text.splitlines()[-1] == "FAILED: 0 codes; no QR code could be read"


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("these are my notes, not a PDF")
    with pytest.raises(PacketgenError) as info:
        verify_pdf(not_pdf)
    assert str(info.value).startswith(f"{not_pdf} is not a PDF that can be read (")
    with pytest.raises(PacketgenError) as info:
        verify_pdf(tmp_path / "nowhere.pdf")
    assert str(info.value) == f"{tmp_path / 'nowhere.pdf'} does not exist"
    with pytest.raises(PacketgenError) as info:
        verify_pdf(tmp_path)
    assert str(info.value) == f"{tmp_path} is a folder, not a PDF"


def test_settings_are_checked(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "any.pdf", code(C))
    with pytest.raises(PacketgenError, match="dpi must be between 50 and 600, found 20"):
        verify_pdf(pdf, dpi=20)
    with pytest.raises(PacketgenError, match="blur must be between 0 and 10 pixels, found -1"):
        verify_pdf(pdf, blur=-1)
