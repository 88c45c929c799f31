"""Verifying finished PDFs: the example packet, and small PDFs with known faults."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import weasyprint
from PIL import Image

import packetgen
from packetgen import PacketgenError
from packetgen.cli import main
from packetgen.content.links import collect_links
from packetgen.content.qr import make_qr
from packetgen.tools._photocopy import PRINT_DPI, SCAN_DPI, copies, photocopy, scan
from packetgen.tools.verify import (
    FoundCode,
    decode_image,
    decode_page_images,
    format_verify,
    verify_pdf,
)

from ..conftest import EXAMPLE

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
    drawn = {ref.url: ref for ref in table.links}
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
                ref = drawn[c.url]
                assert c.qr_version == ref.qr.version
                assert c.printed_mm == pytest.approx(ref.size_mm, abs=MEASURE_MM)
                assert c.module_mm == pytest.approx(ref.module_mm, abs=MEASURE_MM / ref.qr.modules)
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
    # The page with the most codes: a part's links appendix.
    busiest = max(range(last), key=lambda i: len(per_page[i])) + 1
    report = verify_pdf(pdf, packet=example, pages=[busiest])
    assert {c.page for c in report.codes} == {busiest}
    assert [c.url for c in report.codes] == [c.url for c in per_page[busiest - 1]]
    # Only links on that page can be found: the others are reported missing.
    assert set(report.missing) == set(report.required or []) - {c.url for c in report.codes}
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
        " at least 20 mm and 0.7 mm scan from a photocopy of a photocopy"
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
    qr = make_qr(C)
    assert lines[2].split() == [
        "1",
        f"{qr.size_mm():.1f}",
        "mm",
        f"{qr.size_mm() / qr.modules:.2f}",
        "mm",
        C,
    ]
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


# ---------------------------------------------------------------- photocopies and photos

LONG = "https://example.org/resources/2024/handouts/safety-plan"
"""50 characters: a version 4 code, 41 modules with its quiet zone, so at 0.5 mm
it is 20.5 mm wide and only its modules, not its size, are too small."""


def printed_page(pdf: Path, dpi: int = 300, page: int = 0) -> Image.Image:
    """A page of ``pdf`` drawn as a printer would, greyscale."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return doc[page].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        doc.close()


def photo_of(page: Image.Image, path: Path, *, turn: float = 5.0, quality: int = 45) -> Path:
    """``page`` as a phone photo: turned a few degrees and saved as a rough JPEG."""
    turned = page.convert("RGB").rotate(
        turn, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white"
    )
    turned.save(path, "JPEG", quality=quality)
    return path


def sized(url: str, module_mm: float, n: int) -> str:
    """The code of ``url`` with modules of exactly ``module_mm``."""
    return code(url, size_mm=make_qr(url).modules * module_mm, n=n)


@pytest.fixture(scope="module")
def print_sizes(tmp_path_factory: pytest.TempPathFactory) -> Image.Image:
    """One page with LONG at 0.5 mm and C at 1.0 mm modules, drawn at 300 dpi."""
    pdf = make_pdf(
        tmp_path_factory.mktemp("sizes") / "sizes.pdf", sized(LONG, 0.5, 1) + sized(C, 1.0, 2)
    )
    return printed_page(pdf)


def test_photocopy_is_the_same_for_the_same_seed(print_sizes: Image.Image) -> None:
    corner = print_sizes.crop((0, 0, 900, 900))
    once = photocopy(corner, 2, seed=3)
    assert once.mode == "L"
    assert once.size[0] == pytest.approx(900 * SCAN_DPI / PRINT_DPI, abs=20)  # skew adds a little
    assert photocopy(corner, 2, seed=3).tobytes() == once.tobytes()
    assert photocopy(corner, 2, seed=4).tobytes() != once.tobytes()
    # A longer chain starts with the copies of a shorter one with the same seed.
    two = list(copies(corner, 2, seed=3))
    three = list(copies(corner, 3, seed=3))
    assert [c.tobytes() for c in three[:3]] == [c.tobytes() for c in two]
    assert scan(three[2]).tobytes() == once.tobytes()
    with pytest.raises(ValueError, match="generations must be 0 or more"):
        photocopy(corner, -1)


def test_small_modules_do_not_survive_a_copy_of_a_copy(print_sizes: Image.Image) -> None:
    """0.5 mm modules (which every phone reads from the original) are lost after two
    copies while 1.0 mm ones survive, whatever the seed: the benchmark's table
    has 0/18 and 18/18 for them, so several seeds make this no coin toss."""
    seeds = range(5)
    as_printed = [set(decode_image(photocopy(print_sizes, 0, seed=s))) for s in seeds]
    after_two = [set(decode_image(photocopy(print_sizes, 2, seed=s))) for s in seeds]
    assert [LONG in found for found in as_printed] == [True] * 5
    assert [C in found for found in as_printed] == [True] * 5
    assert sum(LONG in found for found in after_two) == 0
    assert sum(C in found for found in after_two) == 5


def test_photocopy_option_fails_small_modules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = make_pdf(tmp_path / "small.pdf", sized(LONG, 0.5, 1) + sized(C, 0.8, 2))
    # The plain check already measures its modules as too small for copies of copies.
    assert main(["verify", str(pdf)]) == 1
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == "FAILED: 2 codes; 1 code too small"
    assert main(["verify", str(pdf), "--photocopy", "2"]) == 1
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[1].split() == [
        "page",
        "size",
        "module",
        "in",
        "spec",
        "after",
        "2",
        "copies",
        "URL",
    ]
    assert lines[2].split() == ["1", "20.5", "mm", "!", "0.50", "mm", "LOST", LONG]
    assert lines[3].split()[-2:] == ["scans", C]
    assert lines[4].startswith("  too small: the code on page 1")
    assert lines[5] == (
        f"  lost in copying: the code on page 1 for {LONG} (0.50 mm modules) does not scan after"
        " two photocopies; print it with bigger modules (qr_module_mm: 0.8 in the spec) or a"
        " shorter link (short_links in the spec), which makes fewer, bigger modules"
    )
    assert lines[-1] == (
        "FAILED: 2 codes; 1 code too small; 1 code did not survive two photocopies"
    )
    # A link counts as found only through a code that survives.
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: T\ninservices:\n  - id: one\n    title: One\n    items:\n"
        f"      - {{kind: link, title: Safety plan, url: '{LONG}'}}\n"
        f"      - {{kind: link, title: C, url: '{C}'}}\n"
    )
    assert main(["verify", str(pdf), "--spec", str(spec), "--photocopy", "2"]) == 1
    out = capsys.readouterr().out
    assert (
        f"  missing: {LONG} (in the spec, but no code in the PDF scans to it after two photocopies)"
    ) in out
    assert out.rstrip().splitlines()[-1] == (
        "FAILED: 2 codes; 1 of 2 spec links not found; 1 code too small;"
        " 1 code did not survive two photocopies"
    )
    assert main(["verify", str(pdf), "--spec", str(spec), "--photocopy", "1"]) == 1
    assert "did not survive one photocopy" in capsys.readouterr().out


def test_big_enough_modules_survive_the_photocopy_option(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "big.pdf", sized(LONG, 0.8, 1), sized(C, 0.8, 2))
    report = verify_pdf(pdf, photocopies=2)
    assert [(c.page, c.url, c.survived) for c in report.codes] == [(1, LONG, True), (2, C, True)]
    assert report.ok
    assert format_verify(report).splitlines()[-1] == (
        "OK: 2 codes scan after two photocopies (no spec given, so only sizes and copies were checked)"
    )
    assert verify_pdf(pdf).codes[0].survived is None  # nothing copied, nothing to say
    with pytest.raises(PacketgenError, match="photocopies must be between 0 and 5, found 6"):
        verify_pdf(pdf, photocopies=6)


@pytest.fixture(scope="module")
def tiny_packet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A packet with one in-service of one link, A."""
    folder = tmp_path_factory.mktemp("tiny")
    spec = folder / "packet.yaml"
    spec.write_text(
        "title: Tiny\ninservices:\n  - id: one\n    title: One\n    items:\n"
        f"      - {{kind: link, title: Link A, url: '{A}'}}\n"
    )
    return spec


def test_build_verify_copies_twice_by_default(
    tiny_packet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["build", str(tiny_packet), "-o", str(out), "--only", "one", "--format", "pdf"]
    assert main([*args, "--verify"]) == 0
    verified = [
        line
        for line in capsys.readouterr().out.rstrip().splitlines()
        if line.startswith("Verified")
    ]
    n = len(verify_pdf(out / "one.pdf").codes)
    assert n >= 1
    codes = f"{n} QR code{'' if n == 1 else 's'} {'scans' if n == 1 else 'scan'}"
    assert verified == [f"Verified {out / 'one.pdf'}: {codes} after two photocopies"]
    assert main([*args, "--verify-photocopies", "0"]) == 0  # implies --verify
    verified = [
        line
        for line in capsys.readouterr().out.rstrip().splitlines()
        if line.startswith("Verified")
    ]
    assert verified == [f"Verified {out / 'one.pdf'}: {codes}"]
    assert main([*args, "--verify-photocopies", "6"]) == 2  # a usage error


def test_verify_reads_a_photo_of_a_page(
    tiny_packet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "out" / "one.pdf"
    packetgen.build(tiny_packet, tmp_path / "out", only=["one"], format="pdf", cache=False)
    page, found = next((i, found) for i, found in enumerate(decode_page_images(pdf)) if found)
    assert {c.url for c in found} == {A}
    photo = photo_of(printed_page(pdf, dpi=200, page=page), tmp_path / "page.jpg")
    assert main(["verify", str(photo), "--spec", str(tiny_packet)]) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[0] == f"{photo}:"
    assert lines[1].split() == ["in", "spec", "URL"]
    n = len(found)
    assert [line.split() for line in lines[2 : 2 + n]] == [["yes", A]] * n
    assert lines[-1] == f"OK: {n} code{'' if n == 1 else 's'}, the spec link found"


def test_an_image_without_a_spec_link_fails_naming_it(
    small_spec: packetgen.Packet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "packet.yaml"  # small_spec's: links A and B
    only_a = photo_of(
        printed_page(make_pdf(tmp_path / "a.pdf", code(A)), dpi=150), tmp_path / "a.jpg"
    )
    assert main(["verify", str(only_a), "--spec", str(spec)]) == 1
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[2].split() == ["yes", A]
    assert f"  missing: {B} (in the spec, but no code in the image scans to it)" in lines
    assert lines[-1] == "FAILED: 1 code; 1 of 2 spec links not found"
    # Photos are checked together: B on another page completes the set.
    only_b = printed_page(make_pdf(tmp_path / "b.pdf", code(B)), dpi=150)
    only_b.save(tmp_path / "b.png")
    assert main(["verify", str(only_a), str(tmp_path / "b.png"), "--spec", str(spec)]) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[0] == "2 images, checked together:"
    assert lines[1].split() == ["file", "in", "spec", "URL"]
    assert [line.split() for line in lines[2:4]] == [
        [str(only_a), "yes", A],
        [str(tmp_path / "b.png"), "yes", B],
    ]
    assert lines[-1] == "OK: 2 codes, all 2 spec links found"


def test_photocopy_of_images_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = photo_of(
        printed_page(make_pdf(tmp_path / "c.pdf", code(C)), dpi=150), tmp_path / "c.jpg"
    )
    assert main(["verify", str(photo), "--photocopy", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "Note: photos and scans are read as they are; --photocopy copies the pages of PDFs"
        " only. To test a copy, photocopy the printed page and photograph that.\n"
    )
    assert captured.out.rstrip().splitlines()[-1] == (
        "OK: 1 code read (no spec given, so nothing to compare them with)"
    )


def test_files_that_are_neither_pdf_nor_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("these are my notes, not a page")
    assert main(["verify", str(notes)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"Error: {notes} is neither a PDF nor a PNG or JPEG image; give a PDF that"
        " `packetgen build` wrote, or a photo or scan of a printed page saved as PNG or JPEG\n"
    )
    heic = tmp_path / "IMG_0001.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    assert main(["verify", str(heic)]) == 1
    assert capsys.readouterr().err.startswith(f"Error: {heic} is a HEIC photo")
    cut = tmp_path / "cut.png"
    png = io.BytesIO()
    Image.new("L", (200, 200), 255).save(png, "PNG")
    cut.write_bytes(png.getvalue()[:60])
    assert main(["verify", str(cut)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {cut} is an image that cannot be read (")
    assert err.endswith("); save it again as PNG or JPEG\n")
    # A file named .pdf that is not one still gets PDFium's word on it.
    assert main(["verify", str(notes.rename(tmp_path / "notes.pdf"))]) == 1
    assert "is not a PDF that can be read (" in capsys.readouterr().err


def test_cli_knows_the_largest_photocopy_count() -> None:
    from packetgen import cli
    from packetgen.tools import verify

    assert cli._MAX_PHOTOCOPIES == verify.MAX_PHOTOCOPIES


def test_short_links_are_what_the_codes_must_carry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``short_links`` a code carries the short link, so that is what must decode."""
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: Short\nshort_links: https://example-casa.org/go/\ninservices:\n"
        "  - id: one\n    title: One\n    items:\n"
        f"      - {{kind: link, title: Safety plan, url: '{LONG}'}}\n"
    )
    packetgen.build(spec, tmp_path / "out", only=["one"], format="pdf", cache=False)
    (short,) = [ref.encoded for ref in collect_links(packetgen.load_packet(spec)).links]
    assert short.startswith("https://example-casa.org/go/")
    assert main(["verify", str(tmp_path / "out" / "one.pdf"), "--spec", str(spec)]) == 0
    out = capsys.readouterr().out
    assert short in out
    assert out.rstrip().splitlines()[-1].endswith(", the spec link found")


@pytest.mark.slow
def test_every_example_link_scans_from_the_book_after_a_copy_of_a_copy(
    example_out: Path, example: packetgen.Packet
) -> None:
    # The whole book, as a trainer would hand it to the copier, copied twice.
    report = verify_pdf(example_out / "packet.pdf", packet=example, photocopies=2)
    assert report.missing == []
    assert all(code.survived for code in report.codes), format_verify(report)
    assert report.ok
