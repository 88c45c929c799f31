"""What an output says about itself, read back from a small PDF: no layout, no build."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import BooleanObject

from packetgen import packet_from_data
from packetgen.pdf.metadata import catalog_entries, document_info, finish
from packetgen.spec.models import Packet

SEED = b"0123456789abcdef0123456789abcdef"


def _packet(tmp_path: Path, **fields: object) -> Packet:
    data: dict[str, object] = {
        "title": "Safety & <Care>",
        "organization": "Test CASA",
        "language": "es",
        "inservices": [
            {"id": "one", "title": "First", "items": [{"kind": "note", "title": "N"}]},
            {"id": "two", "title": "Second", "items": [{"kind": "note", "title": "N"}]},
        ],
        **fields,
    }
    return packet_from_data(data, folder=tmp_path)


def _finished(packet: Packet, *, pages: int = 3, **options: object) -> PdfReader:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    kwargs: dict[str, object] = {"title": "Title", "subject": "Subject", "first_page": 1}
    kwargs.update(options)
    finish(writer, packet, seed=SEED, **kwargs)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    writer.write(buffer)
    return PdfReader(io.BytesIO(buffer.getvalue()))


def test_finish_writes_the_information_dictionary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    info = _finished(_packet(tmp_path), title="A — B", subject="Presenter").metadata
    assert info is not None
    assert info["/Title"] == "A — B"
    assert info["/Subject"] == "Presenter"
    assert info["/Keywords"] == "First, Second"
    assert info["/Author"] == "Test CASA"
    assert info["/Creator"] == "packetgen"
    assert "/CreationDate" not in info
    assert "/ModDate" not in info


def test_dates_come_only_from_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    info = document_info(_packet(tmp_path), title="T", subject="S")
    assert info["/CreationDate"] == info["/ModDate"] == "D:19700102000000Z"
    xmp = catalog_entries(_packet(tmp_path), title="T")["/Metadata"]
    assert b"<xmp:CreateDate>1970-01-02T00:00:00Z</xmp:CreateDate>" in xmp.get_data()


def test_no_author_without_an_organization(tmp_path: Path) -> None:
    packet = _packet(tmp_path, organization=None)
    assert "/Author" not in document_info(packet, title="T", subject="S")
    xmp = catalog_entries(packet, title="T")["/Metadata"].get_data()
    assert b"dc:creator" not in xmp


def test_the_catalog_names_language_title_display_and_pdf_ua(tmp_path: Path) -> None:
    reader = _finished(_packet(tmp_path), title="Safety & <Care>")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "es"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    metadata = root.raw_get("/Metadata")
    assert metadata.idnum > 0, "XMP is a stream: it must be an indirect object"
    xmp = metadata.get_object().get_data().decode("utf-8")
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert "Safety &amp; &lt;Care&gt;" in xmp
    assert "<rdf:li>Test CASA</rdf:li>" in xmp
    assert "<rdf:li>es</rdf:li>" in xmp


def test_page_labels_start_at_first_page_and_the_identifier_is_the_seed(tmp_path: Path) -> None:
    reader = _finished(_packet(tmp_path), first_page=5)
    assert reader.page_labels == ["5", "6", "7"]
    assert [part.original_bytes for part in reader.trailer["/ID"]] == [SEED, SEED]


def test_no_page_labels_when_asked(tmp_path: Path) -> None:
    reader = _finished(_packet(tmp_path), labels=False)
    assert "/PageLabels" not in reader.trailer["/Root"]
