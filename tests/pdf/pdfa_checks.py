"""The PDF/A-2b checks the tests hold archival outputs to, in place of veraPDF.

veraPDF, the reference validator, is a Java program distributed from its own
site and Maven: none of the registries packetgen's machines reach (PyPI,
Debian, npm) has it, so it cannot be installed here. These checks are the
clauses of ISO 19005-2 that packetgen's outputs could break, written
independently of ``packetgen.pdf.archival`` (the code under test must not grade
itself). docs/archival.md lists them; :func:`pdfa_problems` returns every
breach found, in words, so a failing test says what is wrong.

Not checked (packetgen cannot break them, or only veraPDF can judge them):
the byte syntax of the file past its header and trailer, the ICC profile's
internals, transparency blending spaces, glyph widths matching the embedded
font programs, and the structure tree (PDF/UA has its own tests).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast
from xml.etree import ElementTree

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

__all__ = ["pdfa_problems"]

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
}
# 6.6.3: the information dictionary's entries and their XMP twins.
INFO_TO_XMP = {
    "/Title": "dc:title",
    "/Author": "dc:creator",
    "/Subject": "dc:description",
    "/Keywords": "pdf:Keywords",
    "/Creator": "xmp:CreatorTool",
    "/Producer": "pdf:Producer",
    "/CreationDate": "xmp:CreateDate",
    "/ModDate": "xmp:ModifyDate",
}
# 6.6.1: actions PDF/A-2 forbids.
FORBIDDEN_ACTIONS = {
    "/Launch",
    "/Sound",
    "/Movie",
    "/ResetForm",
    "/ImportData",
    "/Hide",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
    "/JavaScript",
}
# 6.3.1: annotation types PDF/A-2 forbids.
FORBIDDEN_ANNOTATIONS = {"/3D", "/Sound", "/Screen", "/Movie"}
HIDING_FLAGS = 1 | 2 | 32 | 256  # Invisible, Hidden, NoView, ToggleNoView (6.3.2)
CMYK_OPERATOR = re.compile(rb"(?:^|\s)(?:[-+]?[\d.]+\s+){4}[kK](?=\s|$)")


def pdfa_problems(path: Path, *, tagged: bool = True) -> list[str]:
    """Every PDF/A-2b clause ``path`` breaks, in words (empty: it passes).

    With ``tagged``, the file must also still declare PDF/UA-1 (XMP
    ``pdfuaid:part`` described by a PDF/A extension schema) and keep its tags.
    """
    data = path.read_bytes()
    problems = _file_structure(data)
    reader = PdfReader(path)
    trailer = reader.trailer
    if "/Encrypt" in trailer:
        problems.append("6.1.3: the trailer has /Encrypt")
    identifier = trailer.get("/ID")
    if not isinstance(identifier, ArrayObject) or len(identifier) != 2:
        problems.append("6.1.3: the trailer has no /ID of two strings")
    catalog = cast(DictionaryObject, trailer["/Root"].get_object())
    problems += _output_intents(catalog)
    xmp = _xmp(catalog, problems)
    if xmp is not None:
        problems += _identification(xmp, tagged=tagged)
        problems += _info_matches_xmp(reader, xmp)
    if tagged and "/StructTreeRoot" not in catalog:
        problems.append("tags: the catalog has no /StructTreeRoot")
    problems += _catalog_rules(catalog)
    walk = _Walk()
    for number, page in enumerate(reader.pages, start=1):
        walk.page(number, page)
    problems += walk.problems
    for obj in _every_object(reader):
        if isinstance(obj, DictionaryObject) and obj.get("/S") in FORBIDDEN_ACTIONS:
            problems.append(f"6.6.1: a {obj['/S']} action")
    return list(dict.fromkeys(problems))


def _file_structure(data: bytes) -> list[str]:
    problems = []
    if not re.match(rb"%PDF-1\.[0-7][\r\n]", data):
        problems.append("6.1.2: the header is not %PDF-1.0 … %PDF-1.7 at byte 0")
    second = data.split(b"\n", 2)[1] if data.count(b"\n") >= 2 else b""
    if not (second.startswith(b"%") and len(second) >= 5 and all(b > 127 for b in second[1:5])):
        problems.append("6.1.2: no comment of four bytes above 127 after the header")
    if not re.search(rb"%%EOF(\r\n|\r|\n)?$", data):
        problems.append("6.1.3: data after the last %%EOF")
    return problems


def _output_intents(catalog: DictionaryObject) -> list[str]:
    intents = catalog.get("/OutputIntents")
    intents = intents.get_object() if intents is not None else None
    profiles = []
    for intent in intents if isinstance(intents, ArrayObject) else []:
        intent = intent.get_object()
        if intent.get("/S") != "/GTS_PDFA1":
            continue
        raw = intent.raw_get("/DestOutputProfile") if "/DestOutputProfile" in intent else None
        profile = raw.get_object() if raw is not None else None
        if not isinstance(raw, IndirectObject) or not isinstance(profile, StreamObject):
            return ["6.2.3: the PDF/A output intent has no DestOutputProfile stream"]
        icc = profile.get_data()
        if icc[36:40] != b"acsp":
            return ["6.2.3: the output intent's DestOutputProfile is not an ICC profile"]
        components = {b"RGB ": 3, b"GRAY": 1, b"CMYK": 4}.get(icc[16:20])
        if components is None or profile.get("/N") != components:
            return ["6.2.3: the output profile's /N does not match its colour space"]
        profiles.append(icc)
    if not profiles:
        return ["6.2.3: no output intent with /S /GTS_PDFA1"]
    if len(set(profiles)) > 1:
        return ["6.2.3: output intents with different profiles"]
    return []


def _xmp(catalog: DictionaryObject, problems: list[str]) -> ElementTree.Element | None:
    stream = catalog.get("/Metadata")
    stream = stream.get_object() if stream is not None else None
    if not isinstance(stream, StreamObject):
        problems.append("6.6.2.1: the catalog has no /Metadata stream")
        return None
    if stream.get("/Type") != "/Metadata" or stream.get("/Subtype") != "/XML":
        problems.append("6.6.2.1: the metadata stream is not /Type /Metadata /Subtype /XML")
    # A filter is allowed on the metadata stream in PDF/A-2 (only PDF/A-1
    # forbade it): read it decoded.
    text = stream.get_data()
    header = re.search(rb"<\?xpacket begin=[^>]*\?>", text)
    if header is None or b"bytes=" in header[0] or b"encoding=" in header[0]:
        problems.append("6.6.2.2: the XMP packet header is missing or has bytes/encoding")
    try:
        return ElementTree.fromstring(re.sub(rb"<\?xpacket[^>]*\?>", b"", text).strip())
    except ElementTree.ParseError as exc:
        problems.append(f"6.6.2.1: the XMP does not parse: {exc}")
        return None


def _property(xmp: ElementTree.Element, name: str) -> list[str]:
    """The values of a property, written as an attribute or as an element
    (a plain value, or the items of an Alt, Seq or Bag)."""
    prefix, local = name.split(":")
    key = f"{{{NS[prefix]}}}{local}"
    found = []
    for description in xmp.iter(f"{{{NS['rdf']}}}Description"):
        if key in description.attrib:
            found.append(description.attrib[key])
        for element in description.findall(key):
            items = element.findall(".//rdf:li", NS)
            found.extend((li.text or "") for li in items) if items else found.append(
                element.text or ""
            )
    return found


def _identification(xmp: ElementTree.Element, *, tagged: bool) -> list[str]:
    problems = []
    if _property(xmp, "pdfaid:part") != ["2"]:
        problems.append("6.6.4: XMP does not say pdfaid:part 2")
    if _property(xmp, "pdfaid:conformance") != ["B"]:
        problems.append("6.6.4: XMP does not say pdfaid:conformance B")
    if tagged:
        if _property(xmp, "pdfuaid:part") != ["1"]:
            problems.append("PDF/UA: XMP does not say pdfuaid:part 1")
        described = [
            (
                li.findtext("pdfaSchema:prefix", None, NS),
                li.findtext("pdfaSchema:namespaceURI", None, NS),
            )
            for li in xmp.iter(f"{{{NS['rdf']}}}li")
        ]
        if ("pdfuaid", NS["pdfuaid"]) not in described:
            problems.append("6.6.2.3: pdfuaid is used in XMP without a PDF/A extension schema")
    return problems


def _info_matches_xmp(reader: PdfReader, xmp: ElementTree.Element) -> list[str]:
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else None
    problems = []
    for key, name in INFO_TO_XMP.items():
        if not isinstance(info, DictionaryObject) or key not in info:
            continue
        value = str(info[key])
        values = _property(xmp, name)
        if key in ("/CreationDate", "/ModDate"):
            same = len(values) == 1 and _pdf_date(value) == _xmp_date(values[0])
        elif key == "/Author":
            same = values == [value]
        else:
            same = len(values) == 1 and values[0] == value
        if not same:
            problems.append(f"6.6.3: info {key} {value!r} is not XMP {name} {values!r}")
    return problems


def _pdf_date(value: str) -> dt.datetime | None:
    found = re.fullmatch(r"D:(\d{14})(Z|[+-]\d\d'?\d\d'?)?(00'00'?)?", value)
    if found is None:
        return None
    when = dt.datetime.strptime(found[1], "%Y%m%d%H%M%S")
    zone = found[2] or "Z"
    if zone == "Z":
        return when.replace(tzinfo=dt.UTC)
    hours, minutes = int(zone[1:3]), int(zone.replace("'", "")[3:5])
    offset = dt.timedelta(hours=hours, minutes=minutes) * (1 if zone[0] == "+" else -1)
    return when.replace(tzinfo=dt.timezone(offset))


def _xmp_date(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _catalog_rules(catalog: DictionaryObject) -> list[str]:
    problems = []
    if "/AA" in catalog:
        problems.append("6.6.2: the catalog has additional actions (/AA)")
    names = catalog.get("/Names")
    names = names.get_object() if names is not None else None
    if isinstance(names, DictionaryObject):
        if "/JavaScript" in names:
            problems.append("6.6.1: the catalog names JavaScript")
        if "/EmbeddedFiles" in names:
            problems.append("6.8: the file embeds files")
    form = catalog.get("/AcroForm")
    form = form.get_object() if form is not None else None
    if isinstance(form, DictionaryObject):
        if form.get("/NeedAppearances") is True or str(form.get("/NeedAppearances")) == "True":
            problems.append("6.4.1: the form sets NeedAppearances")
        if "/XFA" in form:
            problems.append("6.4.2: the form has XFA")
    return problems


class _Walk:
    """Fonts, annotations and colour on every page, in every form, pattern,
    Type 3 glyph and appearance stream they reach."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._seen: set[int] = set()

    def page(self, number: int, page: DictionaryObject) -> None:
        where = f"page {number}"
        if "/AA" in page:
            self.problems.append(f"6.6.2: {where} has additional actions (/AA)")
        self.resources(page.get("/Resources"), where)
        for stream in _contents(page):
            self.content(stream.get_data(), where)
        annots = page.get("/Annots")
        for annot in annots.get_object() if annots is not None else []:
            self.annotation(annot.get_object(), where)

    def annotation(self, annot: DictionaryObject, where: str) -> None:
        subtype = annot.get("/Subtype")
        what = f"{where}: a {subtype} annotation"
        if subtype in FORBIDDEN_ANNOTATIONS:
            self.problems.append(f"6.3.1: {what} (a type PDF/A forbids)")
        if subtype == "/Popup":
            return
        flags = int(annot.get("/F", 0))
        if not flags & 4 or flags & HIDING_FLAGS:
            self.problems.append(f"6.3.2: {what} is not printable and visible (/F {flags})")
        if subtype == "/Widget" and "/AA" in annot:
            self.problems.append(f"6.4.1: {what} has additional actions")
        appearance = annot.get("/AP")
        appearance = appearance.get_object() if appearance is not None else None
        if subtype == "/Link":
            pass  # links need no appearance (6.3.3)
        elif not isinstance(appearance, DictionaryObject) or "/N" not in appearance:
            self.problems.append(f"6.3.3: {what} has no normal appearance")
        elif set(appearance) - {"/N"}:
            self.problems.append(f"6.3.3: {what} has appearances other than /N")
        if isinstance(appearance, DictionaryObject):
            for state in appearance.values():
                state = state.get_object()
                streams = (
                    [state]
                    if isinstance(state, StreamObject)
                    else [s.get_object() for s in state.values()]
                )
                for stream in streams:
                    if isinstance(stream, StreamObject):
                        self.resources(stream.get("/Resources"), f"{what}'s appearance")
                        self.content(stream.get_data(), f"{what}'s appearance")

    def resources(self, value: PdfObject | None, where: str) -> None:
        if isinstance(value, IndirectObject):
            if value.idnum in self._seen:
                return
            self._seen.add(value.idnum)
        resources = value.get_object() if value is not None else None
        if not isinstance(resources, DictionaryObject):
            return
        for font in _items(resources.get("/Font")):
            self.font(font, where)
        for space in _items(resources.get("/ColorSpace"), keep_arrays=True):
            if _is_cmyk(space):
                self.problems.append(f"6.2.4.3: {where} uses DeviceCMYK with an RGB output intent")
        for key in ("/XObject", "/Pattern"):
            holder = resources.get(key)
            holder = holder.get_object() if holder is not None else None
            for name, raw in (holder or DictionaryObject()).items():
                item = raw.get_object()
                if isinstance(raw, IndirectObject):
                    if raw.idnum in self._seen:
                        continue
                    self._seen.add(raw.idnum)
                if not isinstance(item, StreamObject):
                    continue
                if item.get("/Subtype") == "/Image":
                    if _is_cmyk(item.get("/ColorSpace")):
                        self.problems.append(f"6.2.4.3: {where}: image {name} is DeviceCMYK")
                    continue
                self.resources(item.get("/Resources"), f"{where}, form {name}")
                self.content(item.get_data(), f"{where}, form {name}")
        for state in _items(resources.get("/ExtGState")):
            mask = state.get("/SMask")
            mask = mask.get_object() if mask is not None else None
            if isinstance(mask, DictionaryObject) and "/G" in mask:
                group = mask["/G"].get_object()
                self.resources(group.get("/Resources"), f"{where}, soft mask")
                self.content(group.get_data(), f"{where}, soft mask")

    def font(self, font: DictionaryObject, where: str) -> None:
        name = str(font.get("/BaseFont", "?"))
        if font.get("/Subtype") == "/Type3":
            self.resources(font.get("/Resources"), f"{where}, Type 3 font {name}")
            return
        target = font
        if font.get("/Subtype") == "/Type0":
            target = font["/DescendantFonts"].get_object()[0].get_object()
        descriptor = target.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else None
        if not isinstance(descriptor, DictionaryObject) or not (
            {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)
        ):
            self.problems.append(f"6.2.11.4: {where}: font {name} is not embedded")

    def content(self, data: bytes, where: str) -> None:
        if CMYK_OPERATOR.search(data):
            self.problems.append(f"6.2.4.3: {where} paints in DeviceCMYK (k/K)")


def _is_cmyk(space: PdfObject | None) -> bool:
    space = space.get_object() if space is not None else None
    if isinstance(space, NameObject):
        return space == "/DeviceCMYK"
    if isinstance(space, ArrayObject) and space:
        # An Indexed or Separation space on top of DeviceCMYK is DeviceCMYK too.
        return any(
            _is_cmyk(part) for part in space[1:] if isinstance(part, (NameObject, IndirectObject))
        )
    return False


def _items(value: PdfObject | None, *, keep_arrays: bool = False) -> Iterator[DictionaryObject]:
    holder = value.get_object() if value is not None else None
    if not isinstance(holder, DictionaryObject):
        return
    for item in holder.values():
        resolved = item.get_object()
        if isinstance(resolved, DictionaryObject) or (keep_arrays and resolved is not None):
            yield resolved


def _contents(page: DictionaryObject) -> list[StreamObject]:
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if isinstance(contents, StreamObject):
        return [contents]
    if isinstance(contents, ArrayObject):
        return [c.get_object() for c in contents]
    return []


def _every_object(reader: PdfReader) -> Iterator[PdfObject]:
    for generation, table in reader.xref.items():
        for idnum in table:
            obj = reader.get_object(IndirectObject(idnum, generation, reader))
            if obj is not None:
                yield obj
    for idnum in reader.xref_objStm:
        obj = reader.get_object(IndirectObject(idnum, 0, reader))
        if obj is not None:
            yield obj
