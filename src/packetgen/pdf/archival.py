"""Archival PDFs (PDF/A-2b, ISO 19005-2), on top of the tagged PDF/UA-1 output.

Training records are kept for years: ``archival: pdf/a-2b`` makes every PDF
output also a PDF/A-2b file. What that takes beyond PDF/UA:

- an output intent: the sRGB ICC profile (WeasyPrint's own copy, so every
  part of a book names the same profile) that gives device colours a meaning;
- XMP declaring ``pdfaid:part=2``/``conformance=B`` besides ``pdfuaid:part=1``,
  with the PDF/A extension schema that PDF/A requires for the ``pdfuaid``
  namespace (it is not one of the schemas PDF/A-2 predefines), and every entry
  of the information dictionary repeated in XMP (``metadata``);
- every annotation printable and visible, every annotation but links and
  pop-ups with its normal appearance (and only that), no ``NeedAppearances``;
- every font embedded and no DeviceCMYK colour (meaningless under an sRGB
  intent), in every content stream, form and appearance: WeasyPrint embeds its
  fonts and paints in RGB, so only merged handouts can break this, and those are
  refused with a message naming the handout (:func:`handout_problems`): a file
  that says it is PDF/A and is not would be worse than no promise at all (a
  missing font cannot be added, and converting colours would change the print).

Encryption, JavaScript and launch actions need nothing here: packetgen never
encrypts what it writes, copies a handout's pages decrypted, and the binder
strips every action but links (``binder.placement``).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, cast

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from packetgen.errors import BuildError

__all__ = [
    "ARCHIVAL_LEVEL",
    "ArchivalProblems",
    "handout_problems",
    "indirect_streams",
    "make_archival",
    "output_intents",
]

ARCHIVAL_LEVEL: Final = "pdf/a-2b"
"""The one archival level offered: PDF/A-2b ("basic", the visual appearance kept).
Level A would also need every handout's own tags, which drawing pages drops."""

_PRINT = 4
# Invisible, Hidden, NoView, ToggleNoView: PDF/A-2 6.3.2 wants all four clear.
_HIDING = 1 | 2 | 32 | 256


@functools.cache
def _srgb_profile() -> bytes:
    """WeasyPrint's sRGB profile, found without importing WeasyPrint (half a second)."""
    spec = importlib.util.find_spec("weasyprint")
    assert spec is not None
    assert spec.origin is not None
    return (Path(spec.origin).parent / "pdf" / "sRGB2014.icc").read_bytes()


def output_intents() -> ArrayObject:
    """The catalog's ``/OutputIntents``: sRGB, as WeasyPrint writes it for PDF/A.

    The profile is a direct stream here: :func:`indirect_streams` makes it an
    object of the file being written."""
    profile = DecodedStreamObject()
    profile.set_data(_srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    return ArrayObject(
        [
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/OutputIntent"),
                    NameObject("/S"): NameObject("/GTS_PDFA1"),
                    NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB2014.icc"),
                    NameObject("/Info"): TextStringObject("sRGB2014.icc"),
                    NameObject("/DestOutputProfile"): profile.flate_encode(),
                }
            )
        ]
    )


def indirect_streams(value: PdfObject, add: Callable[[PdfObject], IndirectObject]) -> PdfObject:
    """``value`` with every stream in it (itself included) made an indirect object
    with ``add``: a stream can only be written as an object of its own."""
    if isinstance(value, StreamObject):
        return add(value)
    if isinstance(value, DictionaryObject):
        for key in list(value):
            value[NameObject(key)] = indirect_streams(value[key], add)
    elif isinstance(value, ArrayObject):
        for index, item in enumerate(value):
            value[index] = indirect_streams(item, add)
    return value


def make_archival(writer: PdfWriter, *, what: str) -> None:
    """What a finished document needs beyond its catalog entries (``metadata``):
    printable annotations, no ``NeedAppearances``, and proof that every font is
    embedded (a :class:`BuildError` otherwise: packetgen's own pages always are,
    so this guards the promise rather than expecting to fail)."""
    problems = ArchivalProblems()
    for page in writer.pages:
        problems.annotations(page, fix=True)
        problems.fonts_of(page)
    form = writer._root_object.get("/AcroForm")
    if form is not None:
        form = cast(DictionaryObject, form.get_object())
        if "/NeedAppearances" in form:
            del form[NameObject("/NeedAppearances")]
    if problems:
        raise BuildError(
            f"{what}: cannot be written as an archival (PDF/A) file: "
            + "; ".join(problems.sentences())
            + ". The theme or a picture uses them: change it, or turn archival off"
        )


def handout_problems(pages: list[DictionaryObject]) -> list[str]:
    """What keeps a handout's pages out of an archival binder, in plain words;
    empty when they can go in."""
    problems = ArchivalProblems()
    for page in pages:
        problems.annotations(page, fix=False)
        problems.fonts_of(page)
    return problems.sentences()


# A CMYK colour set in a content stream (``c m y k k``) or an inline image's
# colour space; neither has a meaning under an sRGB output intent (6.2.4.3).
_CMYK_IN_CONTENT = re.compile(
    rb"(?:^|\s)(?:[-+]?[\d.]+\s+){4}[kK](?=\s|$)|/CS\s*/(?:DeviceCMYK|CMYK)\b"
)


class ArchivalProblems:
    """Fonts that are not embedded, printing-press colour (DeviceCMYK) and
    annotations without an appearance, found walking pages, forms, patterns,
    Type 3 glyphs and appearance streams."""

    def __init__(self) -> None:
        self.fonts: dict[str, None] = {}
        self.no_appearance: dict[str, None] = {}
        self.cmyk = False
        self._seen: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.fonts or self.no_appearance or self.cmyk)

    def sentences(self) -> list[str]:
        said = []
        if self.fonts:
            said.append(f"fonts not embedded in the file: {', '.join(self.fonts)}")
        if self.cmyk:
            said.append(
                "colours given for a printing press (CMYK) with no colour profile to"
                " say what they look like"
            )
        if self.no_appearance:
            said.append(
                "form fields or notes with no appearance of their own: "
                + ", ".join(self.no_appearance)
            )
        return said

    def annotations(self, page: DictionaryObject, *, fix: bool) -> None:
        for annot in _resolved_list(page.get("/Annots")):
            subtype = str(annot.get("/Subtype", ""))
            if subtype == "/Popup":
                continue
            if fix:
                flags = int(cast(NumberObject, annot.get("/F", 0)))
                annot[NameObject("/F")] = NumberObject((flags | _PRINT) & ~_HIDING)
            appearance = annot.get("/AP")
            if appearance is None:
                if subtype != "/Link":
                    name = annot.get("/T") or subtype.lstrip("/")
                    self.no_appearance[str(name)] = None
                continue
            appearances = cast(DictionaryObject, appearance.get_object())
            if fix:
                # PDF/A-2 allows the normal appearance only (6.3.3): rollover and
                # down appearances are for screens, and paper has neither.
                for state in ("/R", "/D"):
                    if state in appearances:
                        del appearances[NameObject(state)]
            for state in ("/N", "/R", "/D"):
                self._appearance(appearances.get(state))

    def _appearance(self, value: PdfObject | None) -> None:
        if value is None:
            return
        stream = value.get_object()
        if isinstance(stream, StreamObject):
            self._resources(stream.get("/Resources"))
            self._content(stream)
        elif isinstance(stream, DictionaryObject):  # one appearance per state (check boxes)
            for state in stream.values():
                self._appearance(state)

    def fonts_of(self, page: DictionaryObject) -> None:
        """Fonts and colour of a page and of everything it draws."""
        self._resources(page.get("/Resources"))
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else None
        streams = contents if isinstance(contents, ArrayObject) else [contents]
        for stream in streams:
            if stream is not None:
                self._content(stream.get_object())

    def _content(self, stream: PdfObject) -> None:
        if not self.cmyk and isinstance(stream, StreamObject):
            self.cmyk = _CMYK_IN_CONTENT.search(stream.get_data()) is not None

    def _resources(self, value: PdfObject | None) -> None:
        resources = _dictionary(value)
        if resources is None or self._visit(value):
            return
        fonts = _dictionary(resources.get("/Font"))
        for font in _values(fonts):
            self._font(font)
        for space in _dictionary_values(resources.get("/ColorSpace")):
            self.cmyk = self.cmyk or _is_cmyk(space)
        for shading in _values(_dictionary(resources.get("/Shading"))):
            self.cmyk = self.cmyk or _is_cmyk(shading.get("/ColorSpace"))
        for category in ("/XObject", "/Pattern"):
            for item in _values(_dictionary(resources.get(category))):
                if isinstance(item, StreamObject) and not self._visit_object(item):
                    if item.get("/Subtype") == "/Image":
                        self.cmyk = self.cmyk or _is_cmyk(item.get("/ColorSpace"))
                    else:  # a form, or a tiling pattern
                        self._resources(item.get("/Resources"))
                        self._content(item)
                elif "/Shading" in item:  # a shading pattern
                    drawn = _dictionary(item.get("/Shading"))
                    if drawn is not None:
                        self.cmyk = self.cmyk or _is_cmyk(drawn.get("/ColorSpace"))
        for state in _values(_dictionary(resources.get("/ExtGState"))):
            mask = _dictionary(state.get("/SMask")) if isinstance(state, DictionaryObject) else None
            group = mask.get("/G") if mask is not None else None
            if group is not None:
                self._resources(cast(DictionaryObject, group.get_object()).get("/Resources"))
                self._content(group.get_object())

    def _font(self, font: DictionaryObject) -> None:
        subtype = font.get("/Subtype")
        name = str(font.get("/BaseFont", "a font")).lstrip("/")
        if subtype == "/Type3":
            # Drawn by its own glyph procedures: their resources are what to check.
            self._resources(font.get("/Resources"))
            return
        described = font
        if subtype == "/Type0":
            descendants = _resolved_list(font.get("/DescendantFonts"))
            if not descendants:
                self.fonts[name] = None
                return
            described = descendants[0]
        descriptor = _dictionary(described.get("/FontDescriptor"))
        if descriptor is None or not any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            self.fonts[name.split("+", 1)[-1]] = None

    def _visit(self, value: PdfObject | None) -> bool:
        """True when this indirect object was walked already (forms are shared)."""
        if isinstance(value, IndirectObject):
            if value.idnum in self._seen:
                return True
            self._seen.add(value.idnum)
        return False

    def _visit_object(self, obj: PdfObject) -> bool:
        ref = obj.indirect_reference
        return self._visit(ref) if ref is not None else False


def _is_cmyk(space: PdfObject | None) -> bool:
    """DeviceCMYK, or a space (indexed, separation, DeviceN) that falls back on it;
    an ICC-based CMYK space carries its own profile and is fine."""
    resolved = space.get_object() if space is not None else None
    if isinstance(resolved, NameObject):
        return resolved == "/DeviceCMYK"
    if isinstance(resolved, ArrayObject) and resolved and resolved[0] != "/ICCBased":
        return any(_is_cmyk(part) for part in resolved[1:])
    return False


def _dictionary_values(value: PdfObject | None) -> Iterator[PdfObject]:
    holder = _dictionary(value)
    yield from (holder or DictionaryObject()).values()


def _dictionary(value: PdfObject | None) -> DictionaryObject | None:
    resolved = value.get_object() if value is not None else None
    return resolved if isinstance(resolved, DictionaryObject) else None


def _values(value: DictionaryObject | None) -> Iterator[DictionaryObject]:
    for item in (value or DictionaryObject()).values():
        resolved = item.get_object()
        if isinstance(resolved, DictionaryObject):
            yield resolved


def _resolved_list(value: PdfObject | None) -> list[DictionaryObject]:
    resolved = value.get_object() if value is not None else None
    if not isinstance(resolved, ArrayObject):
        return []
    items = [item.get_object() for item in resolved]
    return [item for item in items if isinstance(item, DictionaryObject)]
