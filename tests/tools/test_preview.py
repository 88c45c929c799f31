"""Page previews and contact sheets of a small five-page PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint
from PIL import Image

from packetgen import PacketgenError
from packetgen.tools.preview import BACKGROUND, FRAME, preview_pdf

LETTER_PT = (612, 792)


@pytest.fixture(scope="module")
def five_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pages = "".join(
        f'<section style="break-after: page"><h1 style="font-size: 60pt">Page {n}</h1></section>'
        for n in range(1, 6)
    )
    html = f"<html><head><style>@page {{ size: letter; margin: 20mm }}</style></head><body>{pages}</body></html>"
    path = tmp_path_factory.mktemp("pdf") / "binder.pdf"
    weasyprint.HTML(string=html).write_pdf(path)
    return path


def size_at(dpi: int) -> tuple[int, int]:
    return round(LETTER_PT[0] * dpi / 72), round(LETTER_PT[1] * dpi / 72)


def test_every_page_and_a_contact_sheet(five_pages: Path, tmp_path: Path) -> None:
    out = tmp_path / "previews" / "nested"
    paths = preview_pdf(five_pages, out)
    assert [p.name for p in paths] == [
        "binder-page-1.png",
        "binder-page-2.png",
        "binder-page-3.png",
        "binder-page-4.png",
        "binder-page-5.png",
        "binder-contact-sheet.png",
    ]
    assert all(p.parent == out for p in paths)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temp files
    width, height = size_at(60)
    for path in paths[:-1]:
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size[0] == pytest.approx(width, abs=1)
            assert image.size[1] == pytest.approx(height, abs=1)
    with Image.open(paths[-1]) as sheet:
        page_w, page_h = Image.open(paths[0]).size
        # 4 columns, 2 rows; at 60 dpi a 10 px gutter and a 20 px label strip.
        assert sheet.size == (4 * page_w + 5 * 10, 2 * (page_h + 20) + 3 * 10)
        rgb = sheet.convert("RGB")
        assert rgb.getpixel((0, 0)) == BACKGROUND
        assert rgb.getpixel((9, 30)) == FRAME  # the frame just outside page 1
        assert rgb.getpixel((10 + page_w // 2, 5 + page_h - 40)) == (255, 255, 255)
        # Each label strip has dark text (the page number) in the middle of its cell.
        for row, col in [(0, 0), (0, 3), (1, 0)]:
            left = 10 + col * (page_w + 10)
            top = 10 + row * (page_h + 20 + 10) + page_h
            strip = rgb.crop((left, top, left + page_w, top + 20)).convert("L")
            assert strip.getextrema()[0] < 120, (row, col)
        # The fourth cell of the second row is empty background.
        empty = rgb.crop(
            (10 + 3 * (page_w + 10), 10 + page_h + 30, sheet.width - 10, sheet.height - 10)
        )
        assert empty.getcolors() == [(empty.width * empty.height, BACKGROUND)]


def test_page_content_is_rendered(five_pages: Path, tmp_path: Path) -> None:
    first, *_ = preview_pdf(five_pages, tmp_path, pages="1", dpi=30)
    with Image.open(first) as image:
        low, high = image.convert("L").getextrema()
    assert (low, high) == (pytest.approx(0, abs=60), 255)  # black heading on white paper


def test_dpi_and_columns(five_pages: Path, tmp_path: Path) -> None:
    paths = preview_pdf(five_pages, tmp_path, dpi=30, columns=2)
    page_w, page_h = Image.open(paths[0]).size
    assert (page_w, page_h) == (
        pytest.approx(size_at(30)[0], abs=1),
        pytest.approx(size_at(30)[1], abs=1),
    )
    # 2 columns, 3 rows; at 30 dpi the gutter (5 px) and label strip (12 px) are at their minimum.
    assert Image.open(paths[-1]).size == (2 * page_w + 3 * 5, 3 * (page_h + 12) + 4 * 5)


def test_page_selection(five_pages: Path, tmp_path: Path) -> None:
    paths = preview_pdf(five_pages, tmp_path, pages="4-5,2")
    assert [p.name for p in paths] == [
        "binder-page-4.png",
        "binder-page-5.png",
        "binder-page-2.png",
        "binder-contact-sheet.png",
    ]
    page_w, page_h = Image.open(paths[0]).size
    # Fewer pages than columns: the sheet is only as wide as it needs to be.
    assert Image.open(paths[-1]).size == (3 * page_w + 4 * 10, page_h + 20 + 2 * 10)


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ("7", 'pages "7" is past the end: the file has 5 pages'),
        (
            "1-x",
            'pages "1-x" is not a page selection: "1-x" should be a page number or a range such'
            ' as "1-3", "5-" (to the end) or "-3" (from the start), with commas between the parts',
        ),
    ],
)
def test_bad_page_selection(five_pages: Path, tmp_path: Path, pages: str, message: str) -> None:
    with pytest.raises(PacketgenError) as info:
        preview_pdf(five_pages, tmp_path / "out", pages=pages)
    assert str(info.value) == f"{five_pages}: {message}"
    assert not (tmp_path / "out").exists()


def test_output_is_deterministic(five_pages: Path, tmp_path: Path) -> None:
    first = preview_pdf(five_pages, tmp_path / "a")
    second = preview_pdf(five_pages, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    again = preview_pdf(five_pages, tmp_path / "a")  # overwrites in place
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in second]


def test_bad_inputs(tmp_path: Path, five_pages: Path) -> None:
    text = tmp_path / "notes.pdf"
    text.write_text("not a PDF")
    with pytest.raises(PacketgenError) as info:
        preview_pdf(text, tmp_path / "out")
    assert str(info.value).startswith(f"{text} is not a PDF that can be read (")
    with pytest.raises(PacketgenError) as info:
        preview_pdf(tmp_path / "missing.pdf", tmp_path / "out")
    assert str(info.value) == f"{tmp_path / 'missing.pdf'} does not exist"
    with pytest.raises(PacketgenError, match="dpi must be between 10 and 300, found 0"):
        preview_pdf(five_pages, tmp_path / "out", dpi=0)
    with pytest.raises(PacketgenError, match="at least 1 column, found 0"):
        preview_pdf(five_pages, tmp_path / "out", columns=0)
    assert not (tmp_path / "out").exists()
