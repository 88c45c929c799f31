"""What an output PDF says about itself: metadata, language, page labels, identifier.

The information dictionary and XMP (declaring PDF/UA-1, and PDF/A-2b too when
the packet is ``archival``: see ``archival``), the catalog's
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

from packetgen.pdf.archival import indirect_streams, make_archival, output_intents
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
    for key, value in catalog_entries(packet, title=title, subject=subject).items():
        root[NameObject(key)] = indirect_streams(value, writer._add_object)
    if labels:
        writer.set_page_label(
            0, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=first_page
        )
    writer._ID = ArrayObject([ByteStringObject(seed), ByteStringObject(seed)])
    if packet.archival:
        make_archival(writer, what=title)


def document_info(packet: Packet, *, title: str, subject: str) -> dict[str, Any]:
    """The information dictionary of an output (dates only with SOURCE_DATE_EPOCH)."""
    info: dict[str, Any] = {
        "/Title": title,
        "/Subject": subject,
        "/Keywords": _keywords(packet),
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


def catalog_entries(
    packet: Packet, *, title: str, subject: str | None = None
) -> dict[str, PdfObject]:
    """Language, viewer preferences, XMP and, for an archival packet, the output
    intent. Streams are direct: :func:`~packetgen.pdf.archival.indirect_streams`
    makes them objects of the file. ``subject`` is the information dictionary's,
    which an archival file's XMP repeats."""
    entries: dict[str, PdfObject] = {
        "/Lang": TextStringObject(packet.language),
        # PDF/UA: viewers show the title, not the file name.
        "/ViewerPreferences": DictionaryObject(
            {NameObject("/DisplayDocTitle"): BooleanObject(True)}
        ),
        "/Metadata": _xmp(title=title, author=packet.organization, language=packet.language),
    }
    if packet.archival:
        entries["/Metadata"] = _xmp(
            title=title,
            author=packet.organization,
            language=packet.language,
            archival=(subject, _keywords(packet)),
        )
        entries["/OutputIntents"] = output_intents()
    return entries


def _keywords(packet: Packet) -> str:
    return ", ".join(s.title for s in packet.inservices)


def _xmp(
    *,
    title: str,
    author: str | None,
    language: str,
    archival: tuple[str | None, str] | None = None,
) -> StreamObject:
    """XMP metadata declaring PDF/UA-1, as WeasyPrint writes it for its own documents.

    Uncompressed, as archives want it; the dates only with SOURCE_DATE_EPOCH.
    With ``archival`` (the information dictionary's subject and keywords) it also
    declares PDF/A-2b and repeats those two, as PDF/A wants every entry of the
    information dictionary repeated here.
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
        f"{_PDFAID if archival else ''}"
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        "<pdfuaid:part>1</pdfuaid:part>"
        f"{_archival_xmp(*archival) if archival else ''}"
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{xml_escape(title)}</rdf:li>'
        f"</rdf:Alt></dc:title>{creator}"
        f"<dc:language><rdf:Bag><rdf:li>{xml_escape(language)}</rdf:li></rdf:Bag></dc:language>"
        "<pdf:Producer>packetgen (WeasyPrint, pypdf)</pdf:Producer>"
        f"<xmp:CreatorTool>packetgen</xmp:CreatorTool>{dates if date else ''}"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    if archival:
        # PDF/A checks every XMP property against a known schema; PDF/UA's is not
        # one PDF/A-2 knows, so the packet describes it (ISO 19005-2, 6.6.2.3).
        packet = packet.replace("</rdf:RDF>", PDFUA_EXTENSION + "</rdf:RDF>")
    stream = DecodedStreamObject()
    stream.set_data(packet.encode("utf-8"))
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    return stream


_PDFAID = ' xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"'


def _archival_xmp(subject: str | None, keywords: str) -> str:
    description = (
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{xml_escape(subject)}'
        "</rdf:li></rdf:Alt></dc:description>"
        if subject is not None
        else ""
    )
    return (
        "<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>"
        f"{description}<pdf:Keywords>{xml_escape(keywords)}</pdf:Keywords>"
    )


XMP_EXTENSION_NAMESPACES = {
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
PDFUA_EXTENSION = (
    '<rdf:Description rdf:about=""'
    ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    ' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
    ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
    ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
    "<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>"
    "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>"
    "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>"
    '<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">'
    "<pdfaProperty:name>part</pdfaProperty:name>"
    "<pdfaProperty:valueType>Integer</pdfaProperty:valueType>"
    "<pdfaProperty:category>internal</pdfaProperty:category>"
    "<pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed"
    "</pdfaProperty:description>"
    "</rdf:li></rdf:Seq></pdfaSchema:property>"
    "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
)
"""The PDF/A extension schema describing ``pdfuaid:part`` (an XMP description)."""
