"""Tests for packetgen.handouts.open on the real handout corpus and generated files."""

from __future__ import annotations

import io
import os
import shutil
import struct
import sys
import time
import zlib
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageStat

from packetgen.errors import HandoutError, PacketgenError
from packetgen.handouts.open import OpenedHandout, OutlineEntry, open_handout
from packetgen.handouts.selection import parse_page_selection

from ..conftest import CORPUS


def _open(name: str, **kwargs: object) -> OpenedHandout:
    return open_handout(CORPUS / name, item="Session handout", **kwargs)  # type: ignore[arg-type]


def _error(path: Path, **kwargs: object) -> HandoutError:
    with pytest.raises(HandoutError) as info:
        open_handout(path, item="Session handout", **kwargs)  # type: ignore[arg-type]
    error = info.value
    # Every message names the file and the item, so the trainer knows where to look.
    assert str(path) in str(error)
    assert "Session handout" in str(error)
    assert error.file == str(path)
    assert error.item == "Session handout"
    return error


def _size(page: pypdf.PageObject) -> tuple[float, float]:
    return float(page.mediabox.width), float(page.mediabox.height)


def _image_xobject(page: pypdf.PageObject) -> pypdf.generic.StreamObject:
    resources = page["/Resources"].get_object()
    assert isinstance(resources, pypdf.generic.DictionaryObject)
    xobjects = resources["/XObject"].get_object()
    assert isinstance(xobjects, pypdf.generic.DictionaryObject)
    image = xobjects["/Im0"].get_object()
    assert isinstance(image, pypdf.generic.StreamObject)
    return image


def _png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG: a few KB on disk, width*height pixels in memory."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + tag
            + body
            + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + bytes((width + 7) // 8)
    packer = zlib.compressobj(9)
    rows = b"".join(packer.compress(row * 1000) for _ in range(height // 1000))
    rows += packer.compress(row * (height % 1000)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------
# Page selection
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "count", "expected"),
    [
        (None, 3, [0, 1, 2]),
        (None, 0, []),
        ("1-3,5", 5, [0, 1, 2, 4]),
        ("2-", 5, [1, 2, 3, 4]),
        ("-3", 5, [0, 1, 2]),
        ("4", 5, [3]),
        ("1-3, 7-8", 8, [0, 1, 2, 6, 7]),
        (" 5 , 1 ", 5, [4, 0]),
        ("3,1-2", 3, [2, 0, 1]),
        ("2-2", 3, [1]),
        ("1,1", 2, [0, 0]),
        ("5-", 5, [4]),
        ("1 - 2", 3, [0, 1]),
        ("1\u20133", 3, [0, 1, 2]),  # en dash, as word processors write ranges
        ("0003", 3, [2]),
    ],
)
def test_parse_page_selection(spec: str | None, count: int, expected: list[int]) -> None:
    assert parse_page_selection(spec, count) == expected


@pytest.mark.parametrize(
    ("spec", "count", "phrase"),
    [
        ("9", 5, 'pages "9" is past the end: the file has 5 pages'),
        ("4-9", 5, 'pages "4-9" is past the end: the file has 5 pages'),
        ("2", 1, "the file has 1 page"),
        ("6-", 5, 'pages "6-" is past the end'),
        ("5-3", 5, 'pages "5-3" runs backwards'),
        ("0", 5, "pages are numbered from 1"),
        ("0-2", 5, "pages are numbered from 1"),
        ("", 5, "selects no pages"),
        ("   ", 5, "selects no pages"),
        ("abc", 5, 'pages "abc" is not a page selection'),
        ("1,,2", 5, "is not a page selection"),
        ("1-2-3", 5, "is not a page selection"),
        ("-", 5, "is not a page selection"),
        ("1 2", 5, "is not a page selection"),
        ("1;2", 5, "is not a page selection"),
        ("1.5", 5, "is not a page selection"),
        ("+1", 5, "is not a page selection"),
        ("1,", 5, "is not a page selection"),
        ("99999999999999999999", 5, "is past the end"),
        ("1" * 5000, 5, "is past the end"),
        ("-0", 5, "pages are numbered from 1"),
    ],
)
def test_parse_page_selection_errors(spec: str, count: int, phrase: str) -> None:
    with pytest.raises(ValueError, match="pages") as info:
        parse_page_selection(spec, count)
    assert phrase in str(info.value)


def test_page_selection_error_names_the_file(tmp_path: Path) -> None:
    error = _error(CORPUS / "mixed-page-sizes.pdf", pages="9")
    assert 'pages "9" is past the end: the file has 5 pages' in str(error)


# ---------------------------------------------------------------------------
# Every corpus file
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "page_count", "tagged"),
    [
        ("csec-deck.pdf", 8, False),
        ("redflags.pdf", 1, True),
        ("stages.pdf", 1, True),
        ("scan-image-only.pdf", 1, False),
        ("faq.pdf", 1, False),
        ("evaluation-form-fillable.pdf", 1, False),
        ("rotated-pages.pdf", 2, False),
        ("mixed-page-sizes.pdf", 5, False),
        ("with-bookmarks-and-links.pdf", 3, False),
    ],
)
def test_plain_pdfs_merge(name: str, page_count: int, tagged: bool) -> None:
    handout = _open(name)
    assert handout.path == CORPUS / name
    assert len(handout.pages) == page_count
    assert handout.source_page_numbers == list(range(1, page_count + 1))
    assert handout.tagged is tagged
    assert handout.converted_from is None
    assert isinstance(handout.reader, pypdf.PdfReader)
    assert all(isinstance(page, pypdf.PageObject) for page in handout.pages)
    # Untagged is a fact the build groups into one line, not a warning of each file.
    assert handout.warnings == []
    assert handout.pictures_only is (name == "scan-image-only.pdf")


def test_csec_deck_is_landscape_slides() -> None:
    handout = _open("csec-deck.pdf")
    for page in handout.pages:
        width, height = _size(page)
        assert width == pytest.approx(960, abs=0.1)
        assert height == pytest.approx(540)
    assert [entry.title for entry in handout.outline][:2] == [
        "Understanding commercial sexual exploitation of children",
        "Why this matters for advocates",
    ]
    assert [entry.page_index for entry in handout.outline] == list(range(8))


def test_form_stays_readable_by_the_binder() -> None:
    handout = _open("evaluation-form-fillable.pdf")
    fields = handout.reader.get_fields()
    assert fields  # the binder decides whether to keep or flatten them


def test_encrypted_with_empty_password_merges_with_a_warning() -> None:
    handout = _open("encrypted-no-user-password.pdf")
    assert len(handout.pages) == 1
    assert handout.pages[0].extract_text().strip()
    encrypted = [w for w in handout.warnings if "encrypted" in w]
    assert len(encrypted) == 1
    assert "opens without a password" in encrypted[0]
    assert "does not allow printing" in encrypted[0]
    assert "permission" in encrypted[0]


def test_encrypted_needs_password() -> None:
    error = _error(CORPUS / "encrypted-needs-password.pdf")
    assert "protected with a password" in error.detail
    assert "`password: ...`" in error.detail
    assert "`password_env: NAME`" in error.detail


def test_encrypted_with_password_argument() -> None:
    handout = _open("encrypted-needs-password.pdf", password="casa2026")
    assert len(handout.pages) == 1
    assert "Stages of Change" in handout.pages[0].extract_text()
    assert any("opened with the password from the spec" in w for w in handout.warnings)


def test_encrypted_with_wrong_password() -> None:
    error = _error(CORPUS / "encrypted-needs-password.pdf", password="casa2025")
    assert "password given for this file is wrong" in error.detail
    assert "password_env" in error.detail


def test_password_is_ignored_for_files_without_one() -> None:
    assert len(_open("faq.pdf", password="casa2026").pages) == 1


def test_truncated_pdf_is_a_clear_error() -> None:
    error = _error(CORPUS / "truncated.pdf")
    assert "damaged or incomplete" in error.detail
    assert "download it again or re-export it" in error.detail
    assert isinstance(error.__cause__, pypdf.errors.PdfReadError)


def test_html_saved_as_pdf() -> None:
    error = _error(CORPUS / "not-really-a-pdf.pdf")
    assert "HTML web page saved with a .pdf name, not a PDF" in error.detail
    assert "download the real PDF" in error.detail
    assert "print it to PDF" in error.detail


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf  \n<!doctype HTML><p>hi",
        b"\n\n<html lang=en><body>Register</body></html>",
        b"<!-- saved from url=(0014)about:internet -->\n<html><body></body></html>",
        "<!DOCTYPE html><html></html>".encode("utf-16"),
    ],
)
def test_html_variants(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "download.pdf"
    path.write_bytes(content)
    assert "HTML web page" in _error(path).detail


def test_empty_file() -> None:
    assert "is empty (0 bytes)" in _error(CORPUS / "empty.pdf").detail


@pytest.mark.parametrize("name", ["faq.docx", "csec-deck.pptx"])
def test_office_without_libreoffice(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PATH with nothing on it: exactly the situation on a machine without LibreOffice.
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    error = _error(CORPUS / name)
    kind = "Word document (.docx)" if name.endswith("docx") else "PowerPoint presentation (.pptx)"
    assert f"this is a {kind}" in error.detail
    assert "packetgen converts these with LibreOffice, which is not installed" in error.detail
    assert "sudo apt-get install libreoffice-writer libreoffice-impress" in error.detail
    assert "brew install --cask libreoffice" in error.detail
    assert "export the file to PDF and point `file:` at the PDF" in error.detail


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize(("name", "pages"), [("faq.docx", 1), ("csec-deck.pptx", 8)])
def test_office_conversion(name: str, pages: int) -> None:
    handout = _open(name)
    assert handout.converted_from == name.rsplit(".", 1)[1]
    assert len(handout.pages) == pages
    assert handout.pages[0].extract_text().strip()


def test_pictures() -> None:
    for name, kind in [
        ("handout-photo.jpg", "jpeg"),
        ("handout-screenshot.png", "png"),
        ("handout-phone-exif-rotated.jpg", "jpeg"),
    ]:
        handout = _open(name)
        assert handout.converted_from == kind
        assert len(handout.pages) == 1
        assert handout.source_page_numbers == [1]
        assert handout.tagged is False
        assert handout.pictures_only is True
        assert handout.outline == []
        assert handout.warnings == []


def test_photo_keeps_its_aspect_and_jpeg_data() -> None:
    handout = _open("handout-photo.jpg")
    width, height = _size(handout.pages[0])
    assert width / height == pytest.approx(621 / 877, rel=1e-3)
    # Fitted to Letter: the long side fills the paper's long side.
    assert height == pytest.approx(792)
    image = _image_xobject(handout.pages[0])
    assert str(image["/Filter"]) == "/DCTDecode"
    # An upright JPEG is embedded as it is, not compressed a second time.
    assert image._data == (CORPUS / "handout-photo.jpg").read_bytes()


def test_exif_rotated_photo_is_upright() -> None:
    handout = _open("handout-phone-exif-rotated.jpg")
    page = handout.pages[0]
    width, height = _size(page)
    # Stored 877x621 (landscape) with EXIF orientation 8: upright it is portrait.
    assert height > width
    assert width / height == pytest.approx(621 / 877, rel=1e-3)
    image = _image_xobject(page)
    assert (image.get("/Width"), image.get("/Height")) == (621, 877)
    # The corpus holds the same picture stored upright; the page must match it,
    # not a copy turned the other way.
    placed = Image.open(io.BytesIO(image._data)).convert("L")
    reference = Image.open(CORPUS / "handout-photo.jpg").convert("L")
    assert ImageStat.Stat(ImageChops.difference(placed, reference)).mean[0] < 3
    turned = placed.rotate(180)
    assert ImageStat.Stat(ImageChops.difference(turned, reference)).mean[0] > 5


def test_screenshot_is_lossless() -> None:
    handout = _open("handout-screenshot.png")
    image = _image_xobject(handout.pages[0])
    assert str(image["/Filter"]) == "/FlateDecode"
    original = Image.open(CORPUS / "handout-screenshot.png").convert("RGB")
    assert image.get_data() == original.tobytes()


def test_pictures_are_deterministic() -> None:
    for name in ["handout-phone-exif-rotated.jpg", "handout-screenshot.png", "handout-photo.jpg"]:
        first, second = _open(name), _open(name)
        assert isinstance(first.reader.stream, io.BytesIO)
        assert isinstance(second.reader.stream, io.BytesIO)
        assert first.reader.stream.getvalue() == second.reader.stream.getvalue()
        assert first.pages[0].get_contents() is not None
        assert (
            first.pages[0].get_contents().get_data() == second.pages[0].get_contents().get_data()  # type: ignore[union-attr]
        )
        assert _image_xobject(first.pages[0])._data == _image_xobject(second.pages[0])._data


def test_picture_page_follows_the_paper(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("RGB", (300, 100), "red").save(path)
    # Landscape picture on A4: fitted to A4 turned sideways.
    page = open_handout(path, item="Wide", paper=(595.28, 841.89)).pages[0]
    width, height = _size(page)
    assert width == pytest.approx(841.89)
    assert height == pytest.approx(841.89 / 3, abs=0.01)


def test_transparency_becomes_white(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(path)
    image = _image_xobject(open_handout(path, item="Clear").pages[0])
    assert str(image["/ColorSpace"]) == "/DeviceRGB"
    assert set(image.get_data()) == {255}
    grey = tmp_path / "grey.png"
    Image.new("LA", (8, 8), (0, 0)).save(grey)
    image = _image_xobject(open_handout(grey, item="Grey").pages[0])
    assert str(image["/ColorSpace"]) == "/DeviceGray"
    assert set(image.get_data()) == {255}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    # 400 Mpx: past Pillow's own hard limit; 64 Mpx: under Pillow's, over packetgen's.
    for name, side in [("huge", 20_000), ("large", 8_000)]:
        path = folder / f"{name}.png"
        path.write_bytes(_png(side, side))
        paths[name] = path
    return paths


@pytest.mark.parametrize("name", ["huge", "large"])
def test_decompression_bomb(bombs: dict[str, Path], name: str) -> None:
    path = bombs[name]
    assert path.stat().st_size < 200_000
    error = _error(path)
    assert "the picture is too large to place safely" in error.detail
    assert "resize it" in error.detail
    # No global limit was changed to get there.
    assert Image.MAX_IMAGE_PIXELS == 89_478_485


def test_picture_limit_is_a_parameter() -> None:
    error = _error(CORPUS / "handout-screenshot.png", max_image_pixels=10_000)
    assert "827 x 1170 pixels, more than the limit of 10,000 pixels" in error.detail


def test_damaged_picture(tmp_path: Path) -> None:
    data = (CORPUS / "handout-photo.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    error = _error(path)
    assert "JPEG picture is damaged or incomplete" in error.detail


# ---------------------------------------------------------------------------
# Pages, sizes, rotation and outlines
# ---------------------------------------------------------------------------


def test_rotated_pages_keep_their_rotation() -> None:
    handout = _open("rotated-pages.pdf")
    assert [page.rotation for page in handout.pages] == [90, 270]
    assert [page.get("/Rotate") for page in handout.pages] == [90, 270]


def test_mixed_page_sizes() -> None:
    handout = _open("mixed-page-sizes.pdf")
    sizes = [tuple(round(v) for v in _size(page)) for page in handout.pages]
    assert sizes == [(612, 792), (595, 842), (612, 1008), (1224, 792), (396, 612)]


def test_page_selection_applies_to_pages_and_numbers() -> None:
    handout = _open("mixed-page-sizes.pdf", pages="4-,1")
    assert handout.source_page_numbers == [4, 5, 1]
    assert [round(_size(page)[0]) for page in handout.pages] == [1224, 396, 612]


def test_outline() -> None:
    handout = _open("with-bookmarks-and-links.pdf")
    assert handout.outline == [
        OutlineEntry(
            "Community resources guide",
            0,
            [
                OutlineEntry("Section 1: Hotlines", 0, []),
                OutlineEntry("Section 2: Shelters", 1, []),
                OutlineEntry("Section 3: Legal aid", 2, []),
            ],
        )
    ]


def test_outline_follows_page_selection() -> None:
    # Page 1 left out: its bookmarks go, the children on kept pages move up.
    handout = _open("with-bookmarks-and-links.pdf", pages="2-3")
    assert handout.outline == [
        OutlineEntry("Section 2: Shelters", 0, []),
        OutlineEntry("Section 3: Legal aid", 1, []),
    ]
    reordered = _open("with-bookmarks-and-links.pdf", pages="3,1")
    assert reordered.outline == [
        OutlineEntry(
            "Community resources guide",
            1,
            [
                OutlineEntry("Section 1: Hotlines", 1, []),
                OutlineEntry("Section 3: Legal aid", 0, []),
            ],
        )
    ]


def test_links_are_still_on_the_pages() -> None:
    handout = _open("with-bookmarks-and-links.pdf")
    assert any("/Annots" in page for page in handout.pages)


# ---------------------------------------------------------------------------
# Damaged, unknown and oversized files
# ---------------------------------------------------------------------------


def test_repaired_pdf_merges_with_a_warning(tmp_path: Path) -> None:
    data = (CORPUS / "faq.pdf").read_bytes()
    cut = data.rfind(b"startxref")
    path = tmp_path / "bad-xref.pdf"
    path.write_bytes(data[:cut] + b"startxref\n999\n%%EOF\n")
    handout = open_handout(path, item="FAQ")
    assert len(handout.pages) == 1
    assert handout.warnings[0] == "was damaged and has been repaired"
    assert handout.pages[0].extract_text().strip()


def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n")
    error = _error(path)
    assert "does not recognise this kind of file" in error.detail
    assert "PDF, a PNG or JPEG picture" in error.detail


def test_other_picture_formats_say_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "logo.gif"
    Image.new("L", (4, 4)).save(path, format="GIF")
    assert "this is a GIF picture; save or export it as PNG or JPEG" in _error(path).detail


def test_office_name_without_office_content(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"not a zip file at all")
    error = _error(path)
    assert "the name says PowerPoint presentation (.pptx) but the content is not one" in (
        error.detail
    )


def test_content_decides_not_the_name(tmp_path: Path) -> None:
    path = tmp_path / "really-a-pdf.docx"
    path.write_bytes((CORPUS / "faq.pdf").read_bytes())
    assert len(open_handout(path, item="FAQ").pages) == 1
    picture = tmp_path / "photo.pdf"
    picture.write_bytes((CORPUS / "handout-photo.jpg").read_bytes())
    assert open_handout(picture, item="Photo").converted_from == "jpeg"


def test_size_and_page_limits() -> None:
    error = _error(CORPUS / "faq.pdf", max_bytes=10_000)
    assert "larger than the" in error.detail
    assert "MB limit for a handout" in error.detail
    error = _error(CORPUS / "csec-deck.pdf", max_pages=5)
    assert "the PDF has 8 pages, more than the limit of 5" in error.detail


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "nope.pdf").detail
    assert "is a folder, not a file" in _error(tmp_path).detail


def test_errors_are_packetgen_errors() -> None:
    with pytest.raises(PacketgenError):
        open_handout(CORPUS / "truncated.pdf", item="x")


# ---------------------------------------------------------------------------
# Fuzzing: whatever the bytes, a handout or a HandoutError
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Module-scoped: hypothesis runs many examples per test call, and a
    # function-scoped tmp_path would be shared by all of them anyway.
    return tmp_path_factory.mktemp("fuzz")


def _fuzz_once(folder: Path, data: bytes, suffix: str) -> None:
    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        result = open_handout(path, item="Fuzz", pages=None)
    except HandoutError:
        return
    assert isinstance(result, OpenedHandout)
    assert len(result.pages) >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0"]),
    body=st.binary(max_size=2048),
    suffix=st.sampled_from([".pdf", ".png", ".docx"]),
)
def test_random_bytes_never_crash(fuzz_dir: Path, prefix: bytes, body: bytes, suffix: str) -> None:
    _fuzz_once(fuzz_dir, prefix + body, suffix)


_SEEDS = [
    (CORPUS / name).read_bytes()
    for name in ["faq.pdf", "with-bookmarks-and-links.pdf", "mixed-page-sizes.pdf"]
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_SEEDS),
    cut=st.floats(min_value=0.05, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_real_pdfs_never_crash(
    fuzz_dir: Path, seed: bytes, cut: float, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(seed[: max(16, int(len(seed) * cut))])
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] = value
    _fuzz_once(fuzz_dir, bytes(data), ".pdf")


def test_duplicated_page_gets_bookmarks_once() -> None:
    handout = _open("faq.pdf", pages="1,1")
    assert handout.source_page_numbers == [1, 1]
    assert {entry.page_index for entry in handout.outline} == {0}


# ---------------------------------------------------------------------------
# The LibreOffice process itself. These run a small stand-in `soffice` script:
# what is tested is packetgen's handling of a real child process that hangs or
# fails, not LibreOffice.
# ---------------------------------------------------------------------------


def _stand_in_soffice(folder: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    script = folder / "soffice"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    # The stand-in writes to the test's folders, which a sandbox would hide;
    # tests/robustness/test_office_sandbox.py stops a real LibreOffice in the sandboxes.
    monkeypatch.setenv("PACKETGEN_SANDBOX", "none")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_hung_conversion_is_stopped_with_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "child.pid"
    monkeypatch.setenv("PACKETGEN_TEST_PID_FILE", str(pid_file))
    _stand_in_soffice(
        tmp_path / "bin", 'sleep 60 &\necho $! > "$PACKETGEN_TEST_PID_FILE"\nwait\n', monkeypatch
    )
    started = time.monotonic()
    error = _error(CORPUS / "faq.docx", soffice_timeout=1.0)
    assert time.monotonic() - started < 30  # a 60 s sleep was cut short
    assert "LibreOffice did not finish converting it to PDF within 1 seconds" in error.detail
    child = int(pid_file.read_text())
    # The grandchild was in the same session, so it was killed too; allow init
    # a moment to reap it.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        stat_file = Path(f"/proc/{child}/stat")
        try:
            state = stat_file.read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            break
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the stand-in's child process {child} is still running")


def test_failed_conversion_reports_what_libreoffice_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stand_in_soffice(
        tmp_path / "bin", 'echo "Error: source file could not be loaded" >&2\nexit 1\n', monkeypatch
    )
    error = _error(CORPUS / "csec-deck.pptx")
    assert "LibreOffice could not convert it to PDF (exit status 1" in error.detail
    assert "source file could not be loaded" in error.detail
