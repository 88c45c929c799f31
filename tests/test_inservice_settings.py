"""Per-in-service paper, theme, duplex and handout placement; the library's way in from data."""

from __future__ import annotations

import ctypes
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import yaml
from pypdf import PdfReader

from packetgen import PacketgenError, build, load_packet, packet_from_data
from packetgen.cli import main

from .conftest import EXAMPLE, page_texts

LETTER = (612, 792)
A4 = (595, 842)

MIXED = """\
    title: Mixed packet
    organization: Example County CASA
    paper: letter
    credit:
      article: {hours: 1}
      recording: {running_time: true, cap: 2}
    inservices:
      - id: first
        title: First in-service
        items:
          - kind: link
            title: A page
            url: https://example.org/first
      - id: large
        title: Large print in-service
        paper: a4
        theme: large-print
        credit_log: true
        signin: {}
        evaluation: {}
        summary: Read with [the guide](https://example.org/guide) at hand.
        items:
          - kind: article
            title: An article about advocacy
            source: The Example Times
            url: https://example.org/article
            minutes: 20
            description: What the article says, in a sentence or two.
          - kind: recording
            title: A recorded webinar
            url: https://example.org/webinar
            minutes: 75
            access: Registration required. Enter your contact information to watch.
      - id: third
        title: Third in-service
        items:
          - kind: note
            title: A note
            description: Something to read.
"""


def _sizes(pdf: Path) -> list[tuple[tuple[int, int], float]]:
    """Each page's size and the smallest visible text on it, in points, after every transform."""
    doc = pdfium.PdfDocument(str(pdf))
    out = []
    try:
        for page in doc:
            text = page.get_textpage()
            matrix = pdfium_c.FS_MATRIX()
            smallest = math.inf
            for index in range(pdfium_c.FPDFText_CountChars(text)):
                if pdfium_c.FPDFText_GetUnicode(text, index) <= 32:
                    continue
                pdfium_c.FPDFText_GetMatrix(text, index, ctypes.byref(matrix))
                scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
                size = pdfium_c.FPDFText_GetFontSize(text, index) * scale
                smallest = min(smallest, size)
            width, height = page.get_size()
            out.append(((round(width), round(height)), smallest))
    finally:
        doc.close()
    return out


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    spec = folder / "packet.yaml"
    spec.write_text(MIXED.replace("\n    ", "\n").removeprefix("    "), encoding="utf-8")
    build(load_packet(spec), folder / "out")
    return folder / "out"


def test_an_inservice_prints_on_its_own_paper_in_its_own_theme(mixed: Path) -> None:
    assert {size for size, _ in _sizes(mixed / "first.pdf")} == {LETTER}
    large = _sizes(mixed / "large.pdf")
    assert {size for size, _ in large} == {A4}
    # Large print is large everywhere: labels, the links appendix's instructions,
    # the forms (evaluation, credit log), the running header and footer; and the
    # facilitator's kit too (its cover, run sheet, roster and attendance sheet).
    assert min(smallest for _, smallest in large) >= 13.99
    texts = page_texts(mixed / "large.pdf")
    for words in ("Links in this packet", "Evaluation", "Self-study credit log"):
        assert any(words in text for text in texts), words
    kit = _sizes(mixed / "large-facilitator.pdf")
    assert {size for size, _ in kit} == {A4}
    assert min(smallest for _, smallest in kit) >= 13.99
    texts = page_texts(mixed / "large-facilitator.pdf")
    for words in ("Sign-in sheet", "Attendance and hours", "Evaluation"):
        assert any(words in text for text in texts), words


def test_the_book_keeps_each_parts_paper_and_type(mixed: Path) -> None:
    pages = _sizes(mixed / "packet.pdf")
    texts = page_texts(mixed / "packet.pdf")
    large_pages = len(PdfReader(mixed / "large.pdf").pages)
    start = next(i for i, t in enumerate(texts) if "Part 2" in t)
    part = pages[start : start + large_pages]
    assert {size for size, _ in part} == {A4}
    assert min(smallest for _, smallest in part) >= 13.99  # "Part 2" stamped in large print too
    assert {size for size, _ in pages[:start]} == {LETTER}
    assert {size for size, _ in pages[start + large_pages :]} == {LETTER}
    # "Part 2" is centred on the A4 page, not where a letter page's centre would be.
    doc = pdfium.PdfDocument(str(mixed / "packet.pdf"))
    try:
        text = doc[start].get_textpage()
        found = text.search("Part 2").get_next()
        assert found is not None
        left, _bottom, right, _top = text.get_charbox(found[0])
        *_, end_right, _ = text.get_charbox(found[0] + found[1] - 1)
        assert abs((left + end_right) / 2 - A4[0] / 2) < 2, (left, end_right)
        del right
    finally:
        doc.close()


def test_the_command_line_paper_wins_over_an_inservices_own(
    write_spec: Callable[..., Path], packet_dir: Path
) -> None:
    spec = write_spec(MIXED.replace("\n    ", "\n").removeprefix("    "))
    out = packet_dir / "out"
    assert main(["build", str(spec), "-o", str(out), "--only", "large", "--paper", "letter"]) == 0
    assert {size for size, _ in _sizes(out / "large.pdf")} == {LETTER}


def test_packet_from_data_builds_the_example(tmp_path: Path) -> None:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE.parent, folder)
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    before = repr(data)
    packet = packet_from_data(data, folder=folder)
    assert repr(data) == before  # the caller's data is not changed
    assert packet.folder == folder
    assert packet.source is None
    result = build(packet, tmp_path / "out", only=[packet.inservices[1].id])
    (binder,) = [o for o in result.outputs if o.kind == "binder"]
    assert (binder.pages or 0) > 3
    assert "Frequently Asked Questions" in " ".join(page_texts(binder.path))


def test_library_errors_name_parameters_not_options(tmp_path: Path) -> None:
    packet = load_packet(EXAMPLE)
    with pytest.raises(PacketgenError, match=r"^paper must be 'letter' or 'a4', found 'legal'$"):
        build(packet, tmp_path / "out", paper="legal")
    with pytest.raises(PacketgenError, match=r"^jobs must be 1 or more, found 0$"):
        build(packet, tmp_path / "out", jobs=0)


def test_check_says_which_inservices_print_differently(
    write_spec: Callable[..., Path], packet_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(MIXED.replace("\n    ", "\n").removeprefix("    "))
    assert main(["check", str(spec), "-o", str(packet_dir / "out")]) == 0
    out = capsys.readouterr().out
    assert "  large       prints on its own: a4 paper, large-print theme\n" in out
    assert "  the others  letter paper, default theme, one-sided\n" in out
