"""Drawing handout pages into placeholder slots: checked on real PDFs, by rendering them.

Geometry is checked with pdfium (which honours /Rotate and the crop box) rather
than by re-reading matrices: the source page is rendered alone at the size it
should have in the slot, and the placed page must show the same picture at the
predicted place.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from packetgen.binder.placement import (
    Rect,
    displayed_size,
    fit_transform,
    place_page,
    strip_active_content,
    uri_links,
    visible_box,
)

from ..conftest import CORPUS

SLOT = Rect(50, 80, 562, 742)
PAGE_W, PAGE_H = 612, 792
QPDF = shutil.which("qpdf")


# --------------------------------------------------------------------------- helpers


def _reader(name: str) -> PdfReader:
    return PdfReader(CORPUS / name)


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _render(data: bytes, index: int = 0, scale: float = 1.0) -> Image.Image:
    doc = pdfium.PdfDocument(data)
    try:
        return doc[index].render(scale=scale).to_pil().convert("L")
    finally:
        doc.close()


def _ink_bbox(image: Image.Image, threshold: int = 245) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom; pixels) of everything not white."""
    mask = ImageOps.invert(image).point(lambda v: 255 if v > 255 - threshold else 0)
    return mask.getbbox()


def _slot_px(slot: Rect) -> tuple[float, float, float, float]:
    return slot.x0, PAGE_H - slot.y1, slot.x1, PAGE_H - slot.y0


def _fitted_px(src: PageObject, slot: Rect) -> tuple[float, float, float, float, float]:
    """Where the page should land (left, top, right, bottom in pixels) and its scale.

    Computed here from the displayed size alone, independently of fit_transform.
    """
    width, height = displayed_size(src)
    scale = min(slot.width / width, slot.height / height)
    left = slot.x0 + (slot.width - width * scale) / 2
    bottom = slot.y0 + (slot.height - height * scale) / 2
    return left, PAGE_H - (bottom + height * scale), left + width * scale, PAGE_H - bottom, scale


def _place_alone(src: PageObject, slot: Rect = SLOT, **kwargs: object) -> bytes:
    writer = PdfWriter()
    target = writer.add_blank_page(PAGE_W, PAGE_H)
    place_page(writer, target, src, slot, **kwargs)  # type: ignore[arg-type]
    return _written(writer)


def _single_page_pdf(
    media: tuple[float, float, float, float],
    content: bytes,
    *,
    crop: tuple[float, float, float, float] | None = None,
    rotate: int | None = None,
) -> PageObject:
    writer = PdfWriter()
    page = writer.add_blank_page(media[2] - media[0], media[3] - media[1])
    page[NameObject("/MediaBox")] = ArrayObject(FloatObject(v) for v in media)
    if crop is not None:
        page[NameObject("/CropBox")] = ArrayObject(FloatObject(v) for v in crop)
    if rotate is not None:
        page[NameObject("/Rotate")] = NumberObject(rotate)
    stream = DecodedStreamObject()
    stream.set_data(content)
    page[NameObject("/Contents")] = writer._add_object(stream)
    return PdfReader(io.BytesIO(_written(writer))).pages[0]


CORPUS_PAGES = [
    (name, index)
    for name, count in (
        ("mixed-page-sizes.pdf", 5),
        ("rotated-pages.pdf", 2),
        ("csec-deck.pdf", 8),
    )
    for index in range(count)
]


# --------------------------------------------------------------------------- geometry


@pytest.mark.parametrize(("name", "index"), CORPUS_PAGES)
def test_corpus_page_lands_inside_the_slot_where_predicted(name: str, index: int) -> None:
    src = _reader(name).pages[index]
    placed = _render(_place_alone(src))
    assert placed.size == (PAGE_W, PAGE_H)
    ink = _ink_bbox(placed)
    assert ink is not None, "nothing was drawn"
    sx0, sy0, sx1, sy1 = _slot_px(SLOT)
    assert ink[0] >= sx0 - 2
    assert ink[1] >= sy0 - 2
    assert ink[2] <= sx1 + 2
    assert ink[3] <= sy1 + 2

    # The source rendered alone at the fitted scale shows where its ink must be.
    left, top, _, _, scale = _fitted_px(src, SLOT)
    alone = _render(_written(_writer_with(src)), scale=scale)
    own = _ink_bbox(alone)
    assert own is not None
    expected = (left + own[0], top + own[1], left + own[2], top + own[3])
    assert all(abs(a - b) <= 3 for a, b in zip(ink, expected, strict=True)), (ink, expected)


def _writer_with(src: PageObject) -> PdfWriter:
    writer = PdfWriter()
    writer.add_page(src)
    return writer


SIZES = {
    "letter": (612, 792),
    "a4": (595.28, 841.89),
    "legal": (612, 1008),
    "tabloid-landscape": (1224, 792),
    "half-letter": (396, 612),
    "slide-16x9": (960, 540),
}


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("rotate", [0, 90, -90, 450])
def test_edge_to_edge_page_fills_slot_in_limiting_dimension(size: str, rotate: int) -> None:
    # A grey page with a black band outside its crop box: the grey must fill the
    # slot exactly in the limiting dimension, the black must not show at all.
    w, h = SIZES[size]
    pad = 36
    content = (
        f"0 g {-pad} {-pad} {w + 2 * pad} {h + 2 * pad} re f "
        f"0.6 g 0 0 {w} {h} re f "
        # a darker top-left quarter, so a wrong turn shows in the picture
        f"0.3 g 0 {h / 2} {w / 2} {h / 2} re f"
    ).encode()
    src = _single_page_pdf(
        (-pad, -pad, w + pad, h + pad), content, crop=(0, 0, w, h), rotate=rotate
    )
    assert visible_box(src) == Rect(0, 0, w, h)

    placed = _render(_place_alone(src))
    ink = _ink_bbox(placed)
    assert ink is not None
    left, top, right, bottom, _ = _fitted_px(src, SLOT)
    assert all(abs(a - b) <= 1.5 for a, b in zip(ink, (left, top, right, bottom), strict=True)), (
        ink,
        (left, top, right, bottom),
    )
    sx0, sy0, sx1, sy1 = _slot_px(SLOT)
    touches_width = abs(ink[0] - sx0) <= 1.5 and abs(ink[2] - sx1) <= 1.5
    touches_height = abs(ink[1] - sy0) <= 1.5 and abs(ink[3] - sy1) <= 1.5
    assert touches_width or touches_height
    # Unclipped, the black band would reach ~28 px past the page; the bbox check
    # above rules that out.  pdfium snaps clip edges outward to whole pixels, so
    # a 1-px sliver at the edge is the renderer's, and only the inside must be
    # free of black.
    inside = placed.crop((round(left) + 2, round(top) + 2, round(right) - 2, round(bottom) - 2))
    assert inside.getextrema()[0] > 20

    # Orientation: the placed page looks like pdfium's own rendering of the source.
    _assert_same_picture(src, placed, SLOT)


def _assert_same_picture(src: PageObject, placed: Image.Image, slot: Rect) -> float:
    left, top, right, bottom, scale = _fitted_px(src, slot)
    alone = _render(_written(_writer_with(src)), scale=scale)
    region = placed.crop((round(left), round(top), round(right), round(bottom)))
    size = (120, round(120 * (bottom - top) / (right - left)))
    a = region.resize(size, Image.Resampling.BOX)
    b = alone.resize(size, Image.Resampling.BOX)
    diff = ImageStat.Stat(ImageChops.difference(a, b)).mean[0]
    upside_down = ImageStat.Stat(ImageChops.difference(a, b.rotate(180))).mean[0]
    assert diff < 4, diff
    assert upside_down > diff + 2, (diff, upside_down)
    return diff


@pytest.mark.parametrize("index", [0, 1])
def test_rotated_pages_read_as_their_viewer_shows_them(index: int) -> None:
    src = _reader("rotated-pages.pdf").pages[index]
    assert src.rotation in (90, 270)
    data = _place_alone(src)
    _assert_same_picture(src, _render(data), SLOT)

    # The text is all there, and the target page itself is not rotated.
    doc = pdfium.PdfDocument(data)
    page = doc[0]
    text = page.get_textpage().get_text_range()
    assert page.get_rotation() == 0
    doc.close()
    heading = "Stages of Change" if index == 0 else "Frequently Asked Questions"
    assert heading in text


def test_rotation_is_normalised() -> None:
    content = b"0 g 0 0 100 50 re f"
    for rotate, expected in ((-90, 270), (450, 90), (-180, 180), (720, 0)):
        src = _single_page_pdf((0, 0, 200, 100), content, rotate=rotate)
        reference = _single_page_pdf((0, 0, 200, 100), content, rotate=expected)
        assert fit_transform(src, SLOT).ctm == fit_transform(reference, SLOT).ctm
        assert displayed_size(src) == ((100, 200) if expected % 180 else (200, 100))


@pytest.mark.parametrize("rotate", [0, 90, 270])
def test_annotation_appearances_turn_with_their_page(rotate: int) -> None:
    # A square annotation whose appearance is lopsided (a white notch top-left):
    # on a rotated page a viewer turns it with the page, so the copy must be
    # turned the same way on the unrotated binder page.
    writer = PdfWriter()
    page = writer.add_blank_page(300, 200)
    page[NameObject("/Rotate")] = NumberObject(rotate)
    appearance = DecodedStreamObject()
    appearance.set_data(b"0.2 g 0 0 120 60 re f 1 g 0 30 60 30 re f")
    appearance.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(NumberObject(v) for v in (0, 0, 120, 60)),
        }
    )
    writer.add_annotation(
        0,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Square"),
                NameObject("/Rect"): ArrayObject(NumberObject(v) for v in (40, 30, 160, 90)),
                NameObject("/F"): NumberObject(4),
                NameObject("/AP"): DictionaryObject(
                    {NameObject("/N"): writer._add_object(appearance)}
                ),
            }
        ),
    )
    src = PdfReader(io.BytesIO(_written(writer))).pages[0]
    _assert_same_picture(src, _render(_place_alone(src)), SLOT)


def test_align_top_and_bad_arguments() -> None:
    src = _reader("csec-deck.pdf").pages[0]
    left = _fitted_px(src, SLOT)[0]
    t = fit_transform(src, SLOT, align="top")
    box = visible_box(src)
    x, y = t.apply_on((box.x0, box.y1))
    assert abs(y - SLOT.y1) < 1e-6
    assert abs(x - left) < 1e-6
    with pytest.raises(ValueError, match="align"):
        fit_transform(src, SLOT, align="left-ish")
    with pytest.raises(ValueError, match="slot"):
        fit_transform(src, Rect(10, 10, 10, 50))
    other = PdfWriter().add_blank_page(PAGE_W, PAGE_H)
    with pytest.raises(ValueError, match="target"):
        place_page(PdfWriter(), other, src, SLOT)


def test_n_up_on_a_page_whose_content_leaves_a_flipped_state() -> None:
    # WeasyPrint-style content starts with a y-flip and never restores it; drawn
    # slots must not inherit it.  Two slides on one page share one form XObject.
    writer = PdfWriter()
    target = writer.add_blank_page(PAGE_W, PAGE_H)
    stream = DecodedStreamObject()
    stream.set_data(b"1 0 0 -1 0 792 cm 0.9 g 0 0 10 10 re f")
    target[NameObject("/Contents")] = writer._add_object(stream)
    deck = _reader("csec-deck.pdf")
    top_slot, bottom_slot = Rect(50, 420, 562, 742), Rect(50, 80, 562, 400)
    place_page(writer, target, deck.pages[0], top_slot)
    place_page(writer, target, deck.pages[0], bottom_slot)
    data = _written(writer)

    page = PdfReader(io.BytesIO(data)).pages[0]
    xobjects = page["/Resources"]["/XObject"]
    assert len({v.idnum for v in xobjects.values()}) == 1, "the same slide is stored once"

    image = _render(data)
    for slot in (top_slot, bottom_slot):
        _assert_same_picture(deck.pages[0], image, slot)


# --------------------------------------------------------------------------- links


def test_links_survive_and_point_into_the_binder() -> None:
    reader = _reader("with-bookmarks-and-links.pdf")
    assert uri_links(reader.pages[0]) == ["https://example.org/resources"]
    writer = PdfWriter()
    targets = [writer.add_blank_page(PAGE_W, PAGE_H) for _ in reader.pages]
    results = [
        place_page(writer, targets[i], page, SLOT, link_targets=targets.__getitem__)
        for i, page in enumerate(reader.pages)
    ]
    assert results[0].links == ["https://example.org/resources"]
    assert all(not r.removed_active for r in results)

    out = PdfReader(io.BytesIO(_written(writer)))
    ids = [p.indirect_reference.idnum for p in out.pages]
    annots0 = [a.get_object() for a in out.pages[0]["/Annots"]]
    uri = [a for a in annots0 if "/A" in a]
    internal = [a for a in annots0 if "/Dest" in a]
    assert [a["/A"]["/URI"] for a in uri] == ["https://example.org/resources"]
    for annot in annots0:
        x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
        assert SLOT.x0 <= x0 < x1 <= SLOT.x1
        assert SLOT.y0 <= y0 < y1 <= SLOT.y1

    # The link on page 1 goes to the named destination "s2" on page 2; page 2's
    # link goes back to "top" on page 1, at the spot the heading now occupies.
    # The forward link was made before page 2 was drawn, and refined after.
    assert len(internal) == 1
    forward = internal[0]["/Dest"]
    back = out.pages[1]["/Annots"][0].get_object()["/Dest"]
    for dest, page_id, name, placed in ((forward, ids[1], "s2", 1), (back, ids[0], "top", 0)):
        assert dest[0].idnum == page_id
        assert dest[1] == "/XYZ"
        source = reader.named_destinations[name]
        x, y = results[placed].transform.apply_on((source["/Left"], source["/Top"]))
        assert abs(float(dest[2]) - x) < 0.01
        assert abs(float(dest[3]) - y) < 0.01

    # Without link targets, internal links are dropped and web links kept.
    lone = PdfWriter()
    place_page(lone, lone.add_blank_page(PAGE_W, PAGE_H), reader.pages[0], SLOT)
    annots = [a.get_object() for a in lone.pages[0]["/Annots"]]
    assert [a["/A"]["/URI"] for a in annots] == ["https://example.org/resources"]


# --------------------------------------------------------------------------- forms


def _terminal_names(reader: PdfReader) -> list[str]:
    names: list[str] = []

    def walk(node: DictionaryObject, prefix: str) -> None:
        name = f"{prefix}.{node['/T']}" if prefix and "/T" in node else str(node.get("/T", prefix))
        kids = [k.get_object() for k in node.get("/Kids", [])]
        field_kids = [k for k in kids if "/T" in k]
        if not field_kids:
            names.append(name)
        for kid in field_kids:
            walk(kid, name)

    for item in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        walk(item.get_object(), "")
    return names


def test_two_copies_of_a_form_stay_fillable_and_distinct() -> None:
    reader = _reader("evaluation-form-fillable.pdf")
    writer = PdfWriter()
    placed = []
    for prefix in ("h1", "h2"):
        target = writer.add_blank_page(PAGE_W, PAGE_H)
        placed.append(place_page(writer, target, reader.pages[0], SLOT, field_prefix=prefix))
    assert placed[0].fields == ["h1.q0", "h1.q1", "h1.q2", "h1.rating", "h1.followup"]
    assert placed[1].fields == [f.replace("h1", "h2") for f in placed[0].fields]
    data = _written(writer)

    out = PdfReader(io.BytesIO(data))
    fields = out.get_fields()
    assert fields is not None
    for prefix in ("h1", "h2"):
        for name in ("q0", "q1", "q2", "rating", "followup"):
            assert f"{prefix}.{name}" in fields
    assert fields["h1.rating"].value == "/4"
    terminal = _terminal_names(out)
    assert len(terminal) == len(set(terminal)) == 10
    form = out.trailer["/Root"]["/AcroForm"]
    assert "/NeedAppearances" not in form  # the source form did not ask for it
    assert "/Helv" in form["/DR"]["/Font"]
    for page in out.pages:
        widgets = [a.get_object() for a in page["/Annots"]]
        assert len(widgets) == 9
        for widget in widgets:
            x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
            assert SLOT.x0 <= x0 < x1 <= SLOT.x1
            assert SLOT.y0 <= y0 < y1 <= SLOT.y1
            assert widget.raw_get("/P").idnum == page.indirect_reference.idnum

    # Fill each copy differently through pypdf, as a viewer would.
    filled = PdfWriter(clone_from=io.BytesIO(data))
    filled.update_page_form_field_values(filled.pages[0], {"h1.q0": "Alice"})
    filled.update_page_form_field_values(filled.pages[1], {"h2.q0": "Bob"})
    again = PdfReader(io.BytesIO(_written(filled))).get_fields()
    assert again is not None
    assert again["h1.q0"].value == "Alice"
    assert again["h2.q0"].value == "Bob"


def test_same_form_twice_without_prefix_shares_its_fields() -> None:
    reader = _reader("evaluation-form-fillable.pdf")
    writer = PdfWriter()
    for _ in range(2):
        place_page(writer, writer.add_blank_page(PAGE_W, PAGE_H), reader.pages[0], SLOT)
    out = PdfReader(io.BytesIO(_written(writer)))
    terminal = _terminal_names(out)
    assert sorted(terminal) == ["followup", "q0", "q1", "q2", "rating"]


def test_dotted_prefix_nests_fields() -> None:
    reader = _reader("evaluation-form-fillable.pdf")
    writer = PdfWriter()
    placed = place_page(
        writer, writer.add_blank_page(PAGE_W, PAGE_H), reader.pages[0], SLOT, field_prefix="day1.h2"
    )
    assert placed.fields[0] == "day1.h2.q0"
    out = PdfReader(io.BytesIO(_written(writer)))
    fields = out.get_fields()
    assert fields is not None
    assert "day1.h2.q0" in fields
    assert all("." not in str(f.get("/T", "")) for f in fields.values())


# --------------------------------------------------------------------------- active content


def _hostile_pdf() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(PAGE_W, PAGE_H)
    stream = DecodedStreamObject()
    stream.set_data(b"0 g 72 600 300 40 re f")
    page[NameObject("/Contents")] = writer._add_object(stream)

    def link(rect: tuple[int, int, int, int], action: DictionaryObject) -> DictionaryObject:
        return DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject(NumberObject(v) for v in rect),
                NameObject("/A"): action,
            }
        )

    def action(kind: str, **entries: object) -> DictionaryObject:
        d = DictionaryObject({NameObject("/S"): NameObject(kind)})
        for key, value in entries.items():
            d[NameObject(f"/{key}")] = value
        return d

    js = action("/JavaScript", JS=TextStringObject("app.alert('link')"))
    launch = action("/Launch", F=TextStringObject("calc.exe"))
    chained = action("/URI", URI=TextStringObject("https://example.org/chained"), Next=js)
    # An action type stored indirectly must not slip past a plain dict lookup.
    sneaky = DictionaryObject(
        {
            NameObject("/S"): writer._add_object(NameObject("/Launch")),
            NameObject("/F"): TextStringObject("calc.exe"),
        }
    )
    annotations = [
        link((72, 700, 200, 720), js),
        link((72, 660, 200, 680), launch),
        link((72, 620, 200, 640), action("/URI", URI=TextStringObject("https://example.org/ok"))),
        link((72, 580, 200, 600), action("/URI", URI=TextStringObject("javascript:alert(1)"))),
        link((72, 540, 200, 560), chained),
        link((72, 500, 200, 520), sneaky),
    ]
    embedded = DecodedStreamObject()
    embedded.set_data(b"payload")
    embedded[NameObject("/Type")] = NameObject("/EmbeddedFile")
    annotations.append(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/Rect"): ArrayObject(NumberObject(v) for v in (300, 300, 320, 320)),
                NameObject("/FS"): DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Filespec"),
                        NameObject("/F"): TextStringObject("payload.exe"),
                        NameObject("/EF"): DictionaryObject(
                            {NameObject("/F"): writer._add_object(embedded)}
                        ),
                    }
                ),
            }
        )
    )
    for annotation in annotations:
        writer.add_annotation(0, annotation)
    page.add_action(PageTrigger.OPEN, JavaScript("app.alert('page open')"))
    writer.add_open_action(JavaScript("app.alert('document level')"))
    writer.root_object[NameObject("/OpenAction")] = writer._add_object(
        action("/Launch", F=TextStringObject("cmd.exe"))
    )
    writer.root_object[NameObject("/AA")] = DictionaryObject(
        {NameObject("/WC"): action("/JavaScript", JS=TextStringObject("app.alert('close')"))}
    )
    writer.add_attachment("notes.txt", b"attached")
    return _written(writer)


FORBIDDEN = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFiles", b"/EmbeddedFile", b"calc.exe")


def test_active_content_is_removed_and_reported(tmp_path: Path) -> None:
    hostile = _hostile_pdf()
    assert all(token in hostile for token in (b"/JavaScript", b"/Launch", b"/EmbeddedFiles"))

    # The binder already holds the hostile document (as if merged whole) and a
    # placeholder page into which its page is drawn.
    writer = PdfWriter(clone_from=io.BytesIO(hostile))
    target = writer.add_blank_page(PAGE_W, PAGE_H)
    result = place_page(writer, target, PdfReader(io.BytesIO(hostile)).pages[0], SLOT)
    assert result.links == ["https://example.org/ok", "https://example.org/chained"]
    assert result.removed_active.count("JavaScript") == 4  # link, javascript: URI, /Next, page /AA
    assert result.removed_active.count("launch action") == 2
    assert "file attachment" in result.removed_active

    removed = strip_active_content(writer)
    assert len(removed) == len(set(removed))
    assert {"JavaScript", "launch action", "embedded file", "file attachment"} <= set(removed)
    assert strip_active_content(writer) == []
    data = _written(writer)
    for token in FORBIDDEN:
        assert token not in data, token

    out = PdfReader(io.BytesIO(data))
    root = out.trailer["/Root"]
    assert "/OpenAction" not in root
    assert "/AA" not in root
    assert "/JavaScript" not in root.get("/Names", {})
    assert "/EmbeddedFiles" not in root.get("/Names", {})
    kept = [a.get_object()["/A"]["/URI"] for p in out.pages for a in p.get("/Annots", [])]
    # The original page keeps its two web links; the placed copy carries both too.
    assert sorted(kept) == sorted(["https://example.org/ok", "https://example.org/chained"] * 2)
    assert all("/Next" not in a.get_object()["/A"] for p in out.pages for a in p["/Annots"])

    if QPDF:
        written, expanded = tmp_path / "scrubbed.pdf", tmp_path / "qdf.pdf"
        written.write_bytes(data)
        subprocess.run(
            [QPDF, "--qdf", "--object-streams=disable", str(written), str(expanded)], check=True
        )
        qdf = expanded.read_bytes()
        for token in FORBIDDEN:
            assert token not in qdf, token


# --------------------------------------------------------------------------- output quality


def _build_sample() -> bytes:
    writer = PdfWriter()
    deck = _reader("csec-deck.pdf")
    links = _reader("with-bookmarks-and-links.pdf")
    form = _reader("evaluation-form-fillable.pdf")
    rotated = _reader("rotated-pages.pdf")
    link_pages = [writer.add_blank_page(PAGE_W, PAGE_H) for _ in links.pages]
    for i, page in enumerate(links.pages):
        place_page(writer, link_pages[i], page, SLOT, link_targets=link_pages.__getitem__)
    for page in [*deck.pages[:3], *rotated.pages]:
        place_page(writer, writer.add_blank_page(PAGE_W, PAGE_H), page, SLOT)
    place_page(writer, writer.add_blank_page(PAGE_W, PAGE_H), form.pages[0], SLOT, field_prefix="f")
    strip_active_content(writer)
    return _written(writer)


def test_output_is_deterministic_and_valid(tmp_path: Path) -> None:
    # A fresh PdfWriter in pypdf 7 writes no /ID at all (it is only generated
    # for encryption, or copied when cloning a document that has one), so no
    # identifier has to be pinned for byte-identical output.
    first, second = _build_sample(), _build_sample()
    assert first == second
    assert b"/ID" not in first.rsplit(b"trailer", 1)[-1]
    if QPDF is None:
        pytest.skip("qpdf not installed")
    written = tmp_path / "sample.pdf"
    written.write_bytes(first)
    check = subprocess.run([QPDF, "--check", str(written)], capture_output=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_whole_deck_is_compact() -> None:
    deck = _reader("csec-deck.pdf")
    writer = PdfWriter()
    for page in deck.pages:
        place_page(writer, writer.add_blank_page(PAGE_W, PAGE_H), page, SLOT)
    size = len(_written(writer))
    # The fonts are shared by all slides and stored once: the binder pages are
    # about as large as the deck itself.
    assert size < 1.3 * (CORPUS / "csec-deck.pdf").stat().st_size


def test_link_targets_must_be_pages_of_the_writer() -> None:
    reader = _reader("with-bookmarks-and-links.pdf")
    writer = PdfWriter()
    target = writer.add_blank_page(PAGE_W, PAGE_H)
    stranger = PdfWriter().add_blank_page(PAGE_W, PAGE_H)
    targets: Callable[[int], PageObject | None] = lambda _index: stranger  # noqa: E731
    with pytest.raises(ValueError, match="link_targets"):
        place_page(writer, target, reader.pages[0], SLOT, link_targets=targets)
