"""Layout through WeasyPrint: the shared caches, anchors, the write wrapper and the
errors, on documents of a line or two (the first layout of a process pays for
WeasyPrint's fonts, under a second)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import BooleanObject

from packetgen.errors import BuildError
from packetgen.pdf import layout
from packetgen.pdf.layout import NO_MARGIN_BOXES, Layout, layout_html

SMALL_PAGE = "@page { size: 200px 200px; margin: 20px }"


def _lay_out(tmp_path: Path, html: str, *sheets: str) -> Layout:
    return layout_html(html, base=tmp_path, roots=(tmp_path,), what="t.pdf", stylesheets=sheets)


def test_a_stylesheet_is_parsed_once_per_process() -> None:
    css = "p { color: #123456 }  /* test_a_stylesheet_is_parsed_once_per_process */"
    first = layout._stylesheet(css)
    assert layout._stylesheet(css) is first
    assert layout._stylesheet(css + " ") is not first
    assert layout._font_config() is layout._font_config()


def test_anchors_name_their_page_and_place(tmp_path: Path) -> None:
    laid_out = _lay_out(
        tmp_path,
        '<h1 id="top">Title</h1><p id="next" style="break-before: page">Text</p>',
        SMALL_PAGE,
    )
    assert laid_out.page_count == 2
    pages = laid_out.anchor_pages()
    assert pages["top"][0] == 0
    assert pages["next"][0] == 1
    index, (x1, y1, x2, y2) = laid_out.anchor_rects()["next"]
    assert index == 1
    assert (x1, y1) == pages["next"][1:]
    assert x2 > x1
    assert y2 > y1


def test_write_is_tagged_pdf_ua_with_the_identifier_given(tmp_path: Path) -> None:
    laid_out = _lay_out(tmp_path, '<html lang="en"><p>Text</p></html>', SMALL_PAGE)
    reader = PdfReader(io.BytesIO(laid_out.write(identifier=b"seed")))
    assert reader.trailer["/ID"][0] == "seed"
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_write_untagged_has_no_structure(tmp_path: Path) -> None:
    laid_out = _lay_out(tmp_path, "<p>Text</p>", SMALL_PAGE)
    reader = PdfReader(io.BytesIO(laid_out.write(identifier=b"seed", tagged=False)))
    assert "/StructTreeRoot" not in reader.trailer["/Root"]


def test_margin_boxes_are_switched_off_even_when_the_document_asks(tmp_path: Path) -> None:
    html = '<style>@page { @top-center { content: "RUNNING HEAD" } }</style><p>Body</p>'
    with_boxes = _lay_out(tmp_path, html, SMALL_PAGE)
    without = _lay_out(tmp_path, html, SMALL_PAGE, NO_MARGIN_BOXES)

    def text(laid_out: Layout) -> str:
        reader = PdfReader(io.BytesIO(laid_out.write(identifier=b"x", tagged=False)))
        return reader.pages[0].extract_text()

    assert "RUNNING HEAD" in text(with_boxes)
    assert "RUNNING HEAD" not in text(without)
    assert "Body" in text(without)


@pytest.mark.parametrize(
    ("html", "why"),
    [
        ('<img src="file:///etc/hosts">', "file:///etc/hosts (outside the packet folder)"),
        ('<img src="missing.png">', "missing.png (no such file)"),
    ],
    ids=["outside", "missing"],
)
def test_a_resource_that_cannot_be_used_fails_the_layout(
    tmp_path: Path, html: str, why: str
) -> None:
    with pytest.raises(BuildError, match=r"^t\.pdf: refused to load ") as caught:
        _lay_out(tmp_path, html)
    assert why in str(caught.value)
