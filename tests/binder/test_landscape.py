"""Landscape handout pages printed sideways on the binder's upright sheet (``orientation``).

The handout is made here by WeasyPrint: a landscape Letter page (10 pt text,
a link on known words, a form field under its label) and a portrait page.
One small binder holds it twice, once as the default leaves it and once with
``orientation: fit``, and is read back as a reader's viewer reads it
(pypdfium2's text boxes, pypdf's annotations): where the words are, how large,
which way they run.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, NumberObject

import packetgen
from packetgen.binder.bind import bind_inservice
from packetgen.binder.opening import open_inservice_handouts
from packetgen.binder.placement import Rect, place_page, quarter_turn
from packetgen.binder.plan import MARGIN_PT, PAPER_PT, Orientation, area, plan_cells
from packetgen.content.links import collect_links, register_handout_links
from packetgen.handouts.pdfs import OpenedHandout
from packetgen.render.themes import load_theme

from ..conftest import CORPUS

LINK_TEXT = "the hours report form"
LINK_URI = "https://example.org/hours-report"
LABEL = "Hours this month"
HEADING = "Volunteer hours by month"
LANDSCAPE_W, LANDSCAPE_H = 792.0, 612.0  # Letter landscape

_SHEET_HTML = """<!DOCTYPE html><html lang="en"><head><style>
@page { size: letter landscape; margin: 36pt }
@page tall { size: letter; margin: 36pt }
body { font: 10pt sans-serif; margin: 0 }
h1 { font-size: 18pt; margin: 0 0 12pt }
table { border-collapse: collapse; width: 100% }
td, th { border: 0.5pt solid #444; padding: 3pt; text-align: left }
.tall { page: tall }
input { width: 120pt; font: 10pt sans-serif }
</style></head><body>
<h1>Volunteer hours by month</h1>
<p>Send corrections through <a href="https://example.org/hours-report">the hours report
form</a> before the tenth.</p>
<p><label>Hours this month <input type="text" name="hours"></label></p>
<table><tr><th>Volunteer</th>MONTHS</tr>ROWS</table>
<div class="tall"><h1>Notes</h1><p>A portrait page: it is never turned.</p></div>
</body></html>"""


def _sheet_pdf(path: Path) -> None:
    from weasyprint import HTML

    months = "".join(f"<th>Month {m}</th>" for m in range(1, 13))
    rows = "".join(
        f"<tr><td>Volunteer {v}</td>{''.join(f'<td>{(v * m) % 9 + 1}</td>' for m in range(1, 13))}"
        "</tr>"
        for v in range(1, 16)
    )
    html = _SHEET_HTML.replace("MONTHS", months).replace("ROWS", rows)
    HTML(string=html).write_pdf(path, pdf_forms=True)


@dataclass(frozen=True)
class WideBinder:
    pdf: bytes
    source: bytes


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> WideBinder:
    folder = tmp_path_factory.mktemp("landscape")
    _sheet_pdf(folder / "sheet.pdf")
    (folder / "packet.yaml").write_text(
        "title: Landscape Packet\n"
        "inservices:\n  - id: wide\n    title: Wide sheets\n    items:\n"
        "      - {kind: handout, title: Hours sheet, file: sheet.pdf}\n"
        "      - {kind: handout, title: Hours sheet fitted, file: sheet.pdf, orientation: fit}\n"
    )
    packet = packetgen.load_packet(folder / "packet.yaml")
    binder = open_inservice_handouts(packet, "wide")
    links = register_handout_links(packet, "wide", binder.found_links, collect_links(packet))
    bound = bind_inservice(packet, links, load_theme(packet.theme, packet.folder), binder)
    return WideBinder(bound.data, (folder / "sheet.pdf").read_bytes())


# --------------------------------------------------------------------------- reading back


def _page_index(data: bytes, running_title: str, first_words: str) -> int:
    """The binder page with ``running_title`` in its header and ``first_words`` on it."""
    doc = pdfium.PdfDocument(data)
    try:
        for i in range(len(doc)):
            text = doc[i].get_textpage().get_text_range()
            if first_words in text and re.search(rf"{re.escape(running_title)}\s*page", text):
                return i
    finally:
        doc.close()
    raise AssertionError(f"no page of {running_title!r} shows {first_words!r}")


def _char_boxes(data: bytes, index: int, words: str) -> list[tuple[float, float, float, float]]:
    """PDFium's box (left, bottom, right, top; points) of each character of ``words``."""
    doc = pdfium.PdfDocument(data)
    try:
        text = doc[index].get_textpage()
        found = text.search(words).get_next()
        assert found is not None, f"{words!r} not on page {index + 1}"
        start, count = found
        return [
            text.get_charbox(i)
            for i in range(start, start + count)
            if text.get_text_range(i, 1).strip()
        ]
    finally:
        doc.close()


def _union(boxes: list[tuple[float, float, float, float]]) -> Rect:
    return Rect(
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


_DRAW = re.compile(rb"(\S+) (\S+) (\S+) (\S+) \S+ \S+ cm\s*/PacketgenPage\S* Do")


def _drawing_matrix(page: PageObject) -> tuple[float, float, float, float]:
    """(a, b, c, d) of the ``cm`` that draws the handout page onto the binder page."""
    content = page.get_contents()
    assert content is not None
    (match,) = _DRAW.findall(content.get_data())
    a, b, c, d = (float(v) for v in match)
    return a, b, c, d


def _annotations(page: PageObject, subtype: str) -> list[DictionaryObject]:
    found = []
    for ref in page.get("/Annots", []):
        annot = ref.get_object()
        if annot.get("/Subtype") == subtype:
            found.append(annot)
    return found


def _rect(annot: DictionaryObject) -> Rect:
    return Rect(*(float(v) for v in annot["/Rect"])).normalised()


def _contains(outer: Rect, inner: Rect, slack: float) -> bool:
    return (
        outer.x0 <= inner.x0 + slack
        and outer.y0 <= inner.y0 + slack
        and outer.x1 >= inner.x1 - slack
        and outer.y1 >= inner.y1 - slack
    )


AREA_W, AREA_H = area("letter")


# --------------------------------------------------------------------------- the binder


def test_landscape_page_prints_sideways_at_full_size(wide: WideBinder) -> None:
    index = _page_index(wide.pdf, "Hours sheet", HEADING)
    page = PdfReader(io.BytesIO(wide.pdf)).pages[index]
    assert page.rotation == 0  # the sheet itself stays upright
    assert (float(page.mediabox.width), float(page.mediabox.height)) == PAPER_PT["letter"]

    # What is measured: the scale of the drawing (length on the sheet per point
    # of the handout page), against the scale that fits the page's long side
    # (792 pt) into the handout area's length (the sheet's height inside the
    # header and footer margins): that is as large as a sideways page can print.
    a, b, c, d = _drawing_matrix(page)
    scale = math.hypot(a, b)
    long_side_fit = AREA_H / LANDSCAPE_W
    assert scale >= 0.95 * long_side_fit, (scale, long_side_fit)
    assert scale > 1.25 * (AREA_W / LANDSCAPE_W)  # the old upright fit: about 0.69
    # A quarter turn counterclockwise: the page's top faces the sheet's left edge.
    assert abs(a) < 1e-6
    assert abs(d) < 1e-6
    assert b > 0
    assert c < 0

    # The same, as a viewer reads it: the 10 pt link text runs up the sheet,
    # its length scaled as the drawing says (measured on the source alone too).
    placed = _char_boxes(wide.pdf, index, LINK_TEXT)
    source = _char_boxes(wide.source, 0, LINK_TEXT)
    placed_box, source_box = _union(placed), _union(source)
    assert placed_box.width < placed_box.height  # it runs along the sheet's height
    assert _centre(placed[0])[1] < _centre(placed[-1])[1]  # read from bottom to top
    assert placed_box.height / source_box.width == pytest.approx(scale, rel=0.03)
    # The heading, above the link on the page, is to its left on the sheet.
    heading = _union(_char_boxes(wide.pdf, index, HEADING))
    assert heading.x1 < placed_box.x0

    # Drawn inside the handout area, clear of the header and the footer.
    height = PAPER_PT["letter"][1]
    assert placed_box.x0 >= MARGIN_PT["left"]
    assert heading.x0 >= MARGIN_PT["left"] - 0.5
    assert placed_box.y1 <= height - MARGIN_PT["top"]


def test_header_and_footer_stay_upright_on_a_turned_page(wide: WideBinder) -> None:
    index = _page_index(wide.pdf, "Hours sheet", HEADING)
    doc = pdfium.PdfDocument(wide.pdf)
    try:
        text = " ".join(doc[index].get_textpage().get_text_range().split())
        total = len(doc)
    finally:
        doc.close()
    number = f"page {index + 1} of {total}"
    for words in ("Landscape Packet", "Hours sheet", number):
        assert words in text
        boxes = _char_boxes(wide.pdf, index, words)
        # Read left to right on one line, where every other page has them.
        assert _centre(boxes[0])[0] < _centre(boxes[-1])[0], words
        assert _union(boxes).height < 14, words
    height = PAPER_PT["letter"][1]
    assert _union(_char_boxes(wide.pdf, index, "Landscape Packet")).y0 > height - MARGIN_PT["top"]
    assert _union(_char_boxes(wide.pdf, index, number)).y1 < MARGIN_PT["bottom"]


def test_link_and_form_field_land_on_the_turned_page(wide: WideBinder) -> None:
    index = _page_index(wide.pdf, "Hours sheet", HEADING)
    page = PdfReader(io.BytesIO(wide.pdf)).pages[index]
    (link,) = [
        a for a in _annotations(page, "/Link") if a["/A"].get_object().get("/URI") == LINK_URI
    ]
    rect = _rect(link)
    text = _union(_char_boxes(wide.pdf, index, LINK_TEXT))
    # The link's area covers its words, and not much more: a line's height
    # across (the sheet's x), the words' length along (the sheet's y).
    assert _contains(rect, text, slack=0.5), (rect, text)
    assert rect.width < 3 * text.width, (rect, text)
    assert rect.height < text.height + 6, (rect, text)

    # The field sat under its label on the page: on the sheet it is to the
    # label's right, along the same stretch of the sheet's height.
    (widget,) = _annotations(page, "/Widget")
    field = _rect(widget)
    label = _union(_char_boxes(wide.pdf, index, LABEL))
    assert field.x0 >= label.x1 - 0.5
    assert field.y0 <= label.y1
    assert field.y1 >= label.y0
    assert field.height > field.width  # the 120 pt wide box runs up the sheet
    # Its caption and appearance turn with the page (/MK /R: counterclockwise).
    assert int(widget["/MK"].get("/R", 0)) == 90


def test_orientation_fit_keeps_the_page_upright(wide: WideBinder) -> None:
    index = _page_index(wide.pdf, "Hours sheet fitted", HEADING)
    page = PdfReader(io.BytesIO(wide.pdf)).pages[index]
    a, b, c, d = _drawing_matrix(page)
    assert abs(b) < 1e-6
    assert abs(c) < 1e-6
    assert a == pytest.approx(d)
    assert a == pytest.approx(min(AREA_W / LANDSCAPE_W, AREA_H / LANDSCAPE_H), rel=1e-3)
    boxes = _char_boxes(wide.pdf, index, LINK_TEXT)
    assert _centre(boxes[0])[0] < _centre(boxes[-1])[0]
    (link,) = [
        a for a in _annotations(page, "/Link") if a["/A"].get_object().get("/URI") == LINK_URI
    ]
    assert _contains(_rect(link), _union(boxes), slack=0.5)


def test_portrait_pages_are_never_turned(wide: WideBinder) -> None:
    reader = PdfReader(io.BytesIO(wide.pdf))
    for title in ("Hours sheet", "Hours sheet fitted"):
        a, b, c, d = _drawing_matrix(reader.pages[_page_index(wide.pdf, title, "A portrait page")])
        assert abs(b) < 1e-6, title
        assert abs(c) < 1e-6, title
        assert min(a, d) > 0, title


# --------------------------------------------------------------------------- the plan


def _opened(*sizes: tuple[float, float], rotate: int = 0) -> OpenedHandout:
    writer = PdfWriter()
    for w, h in sizes:
        page = writer.add_blank_page(w, h)
        if rotate:
            page[NameObject("/Rotate")] = NumberObject(rotate)
    data = io.BytesIO()
    writer.write(data)
    reader = PdfReader(data)
    numbers = list(range(1, len(reader.pages) + 1))
    return OpenedHandout(Path("x.pdf"), list(reader.pages), numbers, reader, [], None, [], True)


def _turns(
    opened: OpenedHandout, layout: str = "1-up", orientation: Orientation = None
) -> list[int]:
    cells = plan_cells(opened, layout, "letter", orientation)
    return [cell.turn for page in cells for cell in page]


def test_which_pages_turn() -> None:
    portrait, landscape, squarish = (612, 792), (792, 612), (630, 612)
    opened = _opened(portrait, landscape, squarish, (1224, 792))
    # Default: landscape pages that print larger sideways; a nearly square one
    # would gain under 5 % and stays upright.
    assert _turns(opened) == [0, 270, 0, 270]
    assert _turns(opened, orientation="turn") == [0, 270, 270, 270]
    assert _turns(opened, orientation="fit") == [0, 0, 0, 0]
    # Slides several to a page are left as they were.
    assert set(_turns(opened, layout="2-up", orientation="turn")) == {0}
    # A turned cell is the page fitted sideways: its long side along the area's height.
    (_upright,), (turned,), *_rest = plan_cells(opened, "1-up", "letter")
    assert turned.height == pytest.approx(AREA_H)
    assert turned.width < AREA_W
    # A portrait page shown sideways by its own /Rotate turns back the short way.
    assert _turns(_opened(portrait, rotate=90)) == [270]
    assert _turns(_opened(portrait, rotate=270)) == [90]


@pytest.mark.parametrize("index", [0, 1])
def test_rotated_pages_read_upright_when_turned(index: int) -> None:
    """rotated-pages.pdf: portrait pages shown sideways by /Rotate 90 and 270. Turned,
    both print upright: the turn undoes the rotation instead of adding to it."""
    src = PdfReader(CORPUS / "rotated-pages.pdf").pages[index]
    assert _turns(_opened_from(src)) == [quarter_turn(src)]
    writer = PdfWriter()
    target = writer.add_blank_page(*PAPER_PT["letter"])
    place_page(writer, target, src, Rect(34, 45, 578, 747), turn=quarter_turn(src))
    out = io.BytesIO()
    writer.write(out)
    heading = "Stages of Change" if index == 0 else "Frequently Asked Questions"
    boxes = _char_boxes(out.getvalue(), 0, heading)
    (x0, y0), (x1, y1) = _centre(boxes[0]), _centre(boxes[-1])
    assert x1 - x0 > 50
    assert abs(y1 - y0) < 3


def _opened_from(page: PageObject) -> OpenedHandout:
    reader = page.indirect_reference.pdf if page.indirect_reference else None
    assert isinstance(reader, PdfReader)
    return OpenedHandout(Path("x.pdf"), [page], [1], reader, [], None, [], True)


def test_turn_must_be_a_quarter() -> None:
    src = PdfReader(CORPUS / "rotated-pages.pdf").pages[0]
    writer = PdfWriter()
    target = writer.add_blank_page(*PAPER_PT["letter"])
    with pytest.raises(ValueError, match="multiple of 90"):
        place_page(writer, target, src, Rect(34, 45, 578, 747), turn=45)
    assert target.get_contents() is None  # refused before anything was drawn


def test_spec_mistakes_are_located(tmp_path: Path) -> None:
    (tmp_path / "deck.pdf").write_bytes((CORPUS / "csec-deck.pdf").read_bytes())
    (tmp_path / "packet.yaml").write_text(
        "title: T\ninservices:\n  - id: s\n    title: S\n    items:\n"
        "      - kind: presentation\n        title: Deck\n        file: deck.pdf\n"
        "        layout: 3-up\n        orientation: turn\n"
        "      - kind: handout\n        title: H\n        file: deck.pdf\n"
        "        orientation: sideways\n"
    )
    with pytest.raises(packetgen.SpecError) as caught:
        packetgen.load_packet(tmp_path / "packet.yaml")
    message = str(caught.value)
    assert (
        "packet.yaml:6:9: inservices[0].items[0]: orientation applies to slides printed" in message
    )
    assert (
        "packet.yaml:14:22: inservices[0].items[1].orientation: expected 'fit' or 'turn'" in message
    )


def test_the_corpus_landscape_page_turns_and_the_others_do_not() -> None:
    """mixed-page-sizes.pdf (WeasyPrint): Letter, A4, Legal, Tabloid landscape and
    half-letter. Only the Tabloid page is wider than tall; it prints sideways with
    its long side along the whole height of the area, larger than fitted upright."""
    reader = PdfReader(CORPUS / "mixed-page-sizes.pdf")
    opened = OpenedHandout(
        Path("x.pdf"), list(reader.pages), list(range(1, 6)), reader, [], None, [], True
    )
    cells = [cell for page in plan_cells(opened, "1-up", "letter", None) for cell in page]
    wide = [i for i, p in enumerate(reader.pages) if p.mediabox.width > p.mediabox.height]
    assert wide == [3]
    assert [cell.turn != 0 for cell in cells] == [False, False, False, True, False]
    tabloid = reader.pages[3].mediabox
    upright = min(AREA_W / float(tabloid.width), AREA_H / float(tabloid.height))
    turned = cells[3].height / float(tabloid.width)
    assert cells[3].height == pytest.approx(AREA_H)
    assert turned > 1.2 * upright
