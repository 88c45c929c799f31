"""The streaming join: objects copied one source at a time, as bytes when pypdf wrote them."""

from __future__ import annotations

import io

import pytest
import weasyprint
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from packetgen.pdf._join import Copy, RawObjects, Sink

TRICKY = "see 12 0 R, /StructParents 4 and (nested) \\ text"


def _source() -> bytes:
    """A pypdf-written page with parent-tree keys and a string that looks like PDF syntax."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    page[NameObject("/StructParents")] = NumberObject(3)
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Text"),
            NameObject("/Rect"): ArrayObject([FloatObject(10), FloatObject(10)] * 2),
            NameObject("/Contents"): TextStringObject(TRICKY),
            NameObject("/StructParent"): NumberObject(2),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _join(data: bytes, *, raw: bool) -> PdfReader:
    reader = PdfReader(io.BytesIO(data), strict=True)
    out = io.BytesIO()
    sink = Sink(out)
    copy = Copy(sink, reader, key_offset=100, raw=RawObjects.of(data, reader) if raw else None)
    root = copy.ref(reader.trailer.raw_get("/Root"))
    copy.drain()
    sink.close(root, sink.add(DictionaryObject()), b"0" * 32)
    return PdfReader(io.BytesIO(out.getvalue()), strict=True)


@pytest.mark.parametrize("raw", [True, False], ids=["bytes", "parsed"])
def test_a_copy_renumbers_keys_and_leaves_strings_alone(raw: bool) -> None:
    joined = _join(_source(), raw=raw)
    page = joined.pages[0]
    assert page["/StructParents"] == 103
    annotation = page["/Annots"][0].get_object()
    assert annotation["/StructParent"] == 102
    assert annotation["/Contents"] == TRICKY


def test_only_files_pypdf_wrote_are_copied_as_bytes() -> None:
    data = _source()
    assert RawObjects.of(data, PdfReader(io.BytesIO(data))) is not None
    # WeasyPrint's own output (object streams, its own string syntax) is parsed.
    pdf = weasyprint.HTML(string="<p>(12 0 R)</p>").write_pdf()
    assert pdf is not None
    assert RawObjects.of(pdf, PdfReader(io.BytesIO(pdf))) is None
