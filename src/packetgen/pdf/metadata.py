"""What an output PDF says about itself: metadata, language, page labels, identifier.

The information dictionary and XMP (declaring PDF/UA-1), the catalog's
``/Lang`` and viewer preferences, page labels and a file identifier derived
from the inputs, so the same inputs give the same bytes. Dates appear only
with ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape as xml_escape

from pypdf import PdfWriter
from pypdf.constants import PageLabelStyle
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from packetgen.spec.models import Packet
from packetgen.support._repro import pdf_build_date, w3c_build_date

__all__ = ["catalog_entries", "document_info", "finish"]


def finish(
    writer: PdfWriter,
    packet: Packet,
    *,
    title: str,
    subject: str,
    first_page: int,
    seed: bytes,
    labels: bool = True,
) -> None:
    """Metadata (the information dictionary and XMP), language, page labels and a
    stable file identifier."""
    writer.add_metadata(document_info(packet, title=title, subject=subject))
    root = writer._root_object
    for key, value in catalog_entries(packet, title=title).items():
        root[NameObject(key)] = writer._add_object(value) if key == "/Metadata" else value
    if labels:
        writer.set_page_label(
            0, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=first_page
        )
    writer._ID = ArrayObject([ByteStringObject(seed), ByteStringObject(seed)])


def document_info(packet: Packet, *, title: str, subject: str) -> dict[str, Any]:
    """The information dictionary of an output (dates only with SOURCE_DATE_EPOCH)."""
    info: dict[str, Any] = {
        "/Title": title,
        "/Subject": subject,
        "/Keywords": ", ".join(s.title for s in packet.inservices),
        "/Creator": "packetgen",
        "/Producer": "packetgen (WeasyPrint, pypdf)",
    }
    if packet.organization:
        info["/Author"] = packet.organization
    date = pdf_build_date()
    if date:
        info["/CreationDate"] = date
        info["/ModDate"] = date
    return info


def catalog_entries(packet: Packet, *, title: str) -> dict[str, PdfObject]:
    """Language, viewer preferences and XMP (``/Metadata``, a stream: make it indirect)."""
    return {
        "/Lang": TextStringObject(packet.language),
        # PDF/UA: viewers show the title, not the file name.
        "/ViewerPreferences": DictionaryObject(
            {NameObject("/DisplayDocTitle"): BooleanObject(True)}
        ),
        "/Metadata": _xmp(title=title, author=packet.organization, language=packet.language),
    }


def _xmp(*, title: str, author: str | None, language: str) -> StreamObject:
    """XMP metadata declaring PDF/UA-1, as WeasyPrint writes it for its own documents.

    Uncompressed, as archives want it; the dates only with SOURCE_DATE_EPOCH.
    """
    date = w3c_build_date()
    dates = f"<xmp:CreateDate>{date}</xmp:CreateDate><xmp:ModifyDate>{date}</xmp:ModifyDate>"
    creator = (
        f"<dc:creator><rdf:Seq><rdf:li>{xml_escape(author)}</rdf:li></rdf:Seq></dc:creator>"
        if author
        else ""
    )
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about=""'
        ' xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        "<pdfuaid:part>1</pdfuaid:part>"
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{xml_escape(title)}</rdf:li>'
        f"</rdf:Alt></dc:title>{creator}"
        f"<dc:language><rdf:Bag><rdf:li>{xml_escape(language)}</rdf:li></rdf:Bag></dc:language>"
        "<pdf:Producer>packetgen (WeasyPrint, pypdf)</pdf:Producer>"
        f"<xmp:CreatorTool>packetgen</xmp:CreatorTool>{dates if date else ''}"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    stream = DecodedStreamObject()
    stream.set_data(packet.encode("utf-8"))
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    return stream
