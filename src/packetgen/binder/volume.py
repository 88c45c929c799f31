"""The book's own PDF objects, filled part by part as the parts are joined.

The page tree, the outline (one top-level entry per part, the part's own
entries below it), the structure tree (each part's ``Document`` becoming a
``Part``), named destinations and form fields: each part is copied object by
object through ``pdf._join`` and only these few objects are written at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from pypdf import PageObject, PdfReader
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
    create_string_object,
)

from packetgen.pdf._join import Copy, RawObjects, Sink, name_tree, number_tree
from packetgen.pdf.archival import indirect_streams
from packetgen.pdf.metadata import catalog_entries, document_info
from packetgen.spec.models import Packet

__all__ = ["Stamp", "Volume"]


@dataclass(frozen=True)
class Stamp:
    """What the book draws on a page: one content stream and the forms it names."""

    stream: IndirectObject
    xobjects: dict[str, IndirectObject]


class Volume:
    """The book's own objects (page tree, outline, structure, names), filled part by part."""

    def __init__(self, sink: Sink, pages: int) -> None:
        self.sink = sink
        self.pages_root = sink.reserve()
        self.page_refs = [sink.reserve() for _ in range(pages)]
        self.outline_root = sink.reserve()
        self.struct_root = sink.reserve()
        self.document = sink.reserve()
        self.push = sink.add(_stream(b"q\n"))
        self.pop = sink.add(_stream(b"\nQ\n"))
        self.tops: list[tuple[IndirectObject, DictionaryObject]] = []
        """Top-level outline items, in order (written at :meth:`close`, when chained)."""
        self.outline_count = 0
        self.struct_kids: list[PdfObject] = []
        self.nums: list[PdfObject] = []
        self.next_key = 0
        self.role_map: PdfObject | None = None
        self.names: list[tuple[PdfObject, PdfObject]] = []
        self.fields: list[PdfObject] = []
        self.form_entries: dict[str, PdfObject] = {}

    def add(
        self,
        source: PdfReader,
        first: int,
        *,
        stamp: Stamp | None = None,
        title: str | None = None,
        annotations: dict[int, list[DictionaryObject]] | None = None,
        raw: RawObjects | None = None,
        language: str | None = None,
    ) -> None:
        """Copy ``source``'s pages to pages ``first…`` of the book, with its outline
        (under an item ``title`` when given), structure, destinations and form fields;
        with ``raw`` (a file pypdf wrote), objects other than pages are copied as bytes."""
        catalog = cast(DictionaryObject, source.trailer["/Root"])
        preset = dict.fromkeys(_page_tree_nodes(catalog.raw_get("/Pages")), self.pages_root)
        pages = list(source.pages)
        for index, page in enumerate(pages):
            assert page.indirect_reference is not None
            preset[page.indirect_reference.idnum] = self.page_refs[first + index]
        outline = catalog.raw_get("/Outlines") if "/Outlines" in catalog else None
        item = self.sink.reserve() if title is not None else None
        if isinstance(outline, IndirectObject):
            preset[outline.idnum] = item if item is not None else self.outline_root
        tree = catalog.get("/StructTreeRoot")
        tree_ref = catalog.raw_get("/StructTreeRoot") if tree is not None else None
        if isinstance(tree_ref, IndirectObject):
            preset[tree_ref.idnum] = self.document
        copy = Copy(self.sink, source, preset=preset, key_offset=self.next_key, raw=raw)

        for index, page in enumerate(pages):
            self._page(
                copy, page, self.page_refs[first + index], stamp, (annotations or {}).get(index)
            )
        self._outline(copy, outline, item, title, self.page_refs[first])
        highest = self._structure(copy, tree, language)
        self._names(copy, catalog)
        self._form(copy, catalog)
        copy.drain()
        self.next_key += max(highest, copy.highest_key) + 1

    def add_blank(self, index: int, stamp: Stamp, size: tuple[float, float]) -> None:
        page = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Page"),
                NameObject("/Parent"): self.pages_root,
                NameObject("/MediaBox"): ArrayObject(
                    [NumberObject(0), NumberObject(0), FloatObject(size[0]), FloatObject(size[1])]
                ),
                NameObject("/Resources"): DictionaryObject(
                    {NameObject("/XObject"): _names_dict(stamp.xobjects)}
                ),
                NameObject("/Contents"): ArrayObject([stamp.stream]),
            }
        )
        self.sink.write(self.page_refs[index], page)

    def _page(
        self,
        copy: Copy,
        page: PageObject,
        new: IndirectObject,
        stamp: Stamp | None,
        annotations: list[DictionaryObject] | None,
    ) -> None:
        special = ("/Parent", "/Resources", "/Contents", "/Annots")
        result = cast(
            DictionaryObject,
            copy.convert(DictionaryObject({k: v for k, v in page.items() if k not in special})),
        )
        result[NameObject("/Parent")] = self.pages_root
        resources = _resolved(page, "/Resources")
        contents = _content_refs(page)
        annots = _resolved(page, "/Annots", ArrayObject())
        if stamp is None:
            result[NameObject("/Resources")] = copy.convert(resources)
            result[NameObject("/Contents")] = ArrayObject(copy.convert(c) for c in contents)
        else:
            rest = DictionaryObject({k: v for k, v in resources.items() if k != "/XObject"})
            converted = cast(DictionaryObject, copy.convert(rest))
            xobjects = cast(DictionaryObject, copy.convert(_resolved(resources, "/XObject")))
            xobjects.update(_names_dict(stamp.xobjects))
            converted[NameObject("/XObject")] = xobjects
            result[NameObject("/Resources")] = converted
            # The page's own content may leave a transformed graphics state behind.
            result[NameObject("/Contents")] = ArrayObject(
                [self.push, *(copy.convert(c) for c in contents), self.pop, stamp.stream]
            )
        new_annots = ArrayObject(copy.convert(a) for a in annots)
        new_annots.extend(self.sink.add(a) for a in annotations or [])
        if new_annots:
            result[NameObject("/Annots")] = new_annots
        self.sink.write(new, result)

    def _outline(
        self,
        copy: Copy,
        outline: PdfObject | None,
        item: IndirectObject | None,
        title: str | None,
        first_page: IndirectObject,
    ) -> None:
        """Top-level entries are the book's own (chained at :meth:`close`); the
        entries below them are copied as they are."""
        root = cast(DictionaryObject, outline.get_object()) if outline is not None else None
        children = _outline_children(root)
        count = int(cast(NumberObject, root.get("/Count", 0))) if root is not None else 0
        if item is None:
            # The front matter's own entries are top-level entries of the book.
            for old in children:
                new = copy.mapping[old.idnum] = self.sink.reserve()
                entry = cast(DictionaryObject, old.get_object())
                kept = DictionaryObject(
                    {k: v for k, v in entry.items() if k not in ("/Parent", "/Prev", "/Next")}
                )
                self.tops.append((new, cast(DictionaryObject, copy.convert(kept))))
            self.outline_count += count
            return
        entry = DictionaryObject(
            {
                NameObject("/Title"): TextStringObject(title or ""),
                NameObject("/Dest"): ArrayObject([first_page, NameObject("/Fit")]),
            }
        )
        if children:
            entry[NameObject("/First")] = copy.ref(children[0])
            entry[NameObject("/Last")] = copy.ref(children[-1])
            entry[NameObject("/Count")] = NumberObject(count)
        self.outline_count += 1 + max(count, 0)
        self.tops.append((item, entry))

    def _structure(self, copy: Copy, tree: PdfObject | None, language: str | None) -> int:
        """Hang the source's structure elements under the book's ``Document`` (its own
        ``Document`` becoming a ``Part``, in ``language`` when given); returns the
        highest parent-tree key used."""
        if tree is None:
            return -1
        root = cast(DictionaryObject, tree.get_object())
        top = root.raw_get("/K") if "/K" in root else None
        top = top.get_object() if isinstance(top, IndirectObject) and not _is_element(top) else top
        kids = list(top) if isinstance(top, ArrayObject) else [top] if top is not None else []

        def to_part(element: DictionaryObject) -> None:
            _document_to_part(element, language)

        for kid in kids:
            if isinstance(kid, IndirectObject):
                self.struct_kids.append(copy.ref(kid))
                copy.edits[kid.idnum] = to_part
            elif isinstance(kid, DictionaryObject):
                converted = cast(DictionaryObject, copy.convert(kid))
                to_part(converted)
                self.struct_kids.append(self.sink.add(converted))
        highest = int(cast(NumberObject, root.get("/ParentTreeNextKey", 0))) - 1
        for key, value in number_tree(root.get("/ParentTree")):
            self.nums.append(NumberObject(key + copy.key_offset))
            self.nums.append(copy.convert(value))
            highest = max(highest, key)
        if self.role_map is None and "/RoleMap" in root:
            self.role_map = copy.convert(root.raw_get("/RoleMap"))
        return highest

    def _names(self, copy: Copy, catalog: DictionaryObject) -> None:
        """Named destinations: binders name theirs after their in-service, so they do not clash."""
        names = catalog.get("/Names")
        if names is not None:
            for key, value in name_tree(cast(DictionaryObject, names.get_object()).get("/Dests")):
                self.names.append((key, copy.convert(value)))
        old_style = catalog.get("/Dests")
        if isinstance(old_style, DictionaryObject):
            for key, value in old_style.items():
                self.names.append((TextStringObject(key.lstrip("/")), copy.convert(value)))

    def _form(self, copy: Copy, catalog: DictionaryObject) -> None:
        form = catalog.get("/AcroForm")
        if not isinstance(form, DictionaryObject):
            return
        for key, value in form.items():
            if key == "/Fields":
                self.fields.extend(copy.convert(f) for f in cast(ArrayObject, value.get_object()))
            elif key not in self.form_entries:
                self.form_entries[key] = copy.convert(value)

    def close(self, packet: Packet, labels: PdfObject, seed: bytes) -> None:
        """Write the book's own objects, the catalog and the trailer."""
        sink = self.sink
        sink.write(
            self.pages_root,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Pages"),
                    NameObject("/Kids"): ArrayObject(self.page_refs),
                    NameObject("/Count"): NumberObject(len(self.page_refs)),
                }
            ),
        )
        for index, (ref, entry) in enumerate(self.tops):
            entry[NameObject("/Parent")] = self.outline_root
            if index > 0:
                entry[NameObject("/Prev")] = self.tops[index - 1][0]
            if index + 1 < len(self.tops):
                entry[NameObject("/Next")] = self.tops[index + 1][0]
            sink.write(ref, entry)
        outline = DictionaryObject({NameObject("/Type"): NameObject("/Outlines")})
        if self.tops:
            outline[NameObject("/First")] = self.tops[0][0]
            outline[NameObject("/Last")] = self.tops[-1][0]
            outline[NameObject("/Count")] = NumberObject(self.outline_count)
        sink.write(self.outline_root, outline)
        sink.write(
            self.document,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/StructElem"),
                    NameObject("/S"): NameObject("/Document"),
                    NameObject("/P"): self.struct_root,
                    NameObject("/K"): ArrayObject(self.struct_kids),
                }
            ),
        )
        tree = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructTreeRoot"),
                NameObject("/K"): ArrayObject([self.document]),
                NameObject("/ParentTree"): sink.add(
                    DictionaryObject({NameObject("/Nums"): ArrayObject(self.nums)})
                ),
                NameObject("/ParentTreeNextKey"): NumberObject(self.next_key),
            }
        )
        if self.role_map is not None:
            tree[NameObject("/RoleMap")] = self.role_map
        sink.write(self.struct_root, tree)

        catalog = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Catalog"),
                NameObject("/Pages"): self.pages_root,
                NameObject("/Outlines"): self.outline_root,
                NameObject("/PageMode"): NameObject("/UseOutlines"),
                NameObject("/StructTreeRoot"): self.struct_root,
                NameObject("/MarkInfo"): DictionaryObject(
                    {NameObject("/Marked"): BooleanObject(True)}
                ),
                NameObject("/PageLabels"): sink.add(labels),
            }
        )
        subject = packet.subtitle or packet.title
        for key, value in catalog_entries(packet, title=packet.title, subject=subject).items():
            catalog[NameObject(key)] = indirect_streams(value, sink.add)
        if self.names:
            ordered = sorted(self.names, key=lambda pair: str(pair[0]))
            flat = ArrayObject(x for pair in ordered for x in pair)
            dests = sink.add(DictionaryObject({NameObject("/Names"): flat}))
            catalog[NameObject("/Names")] = DictionaryObject({NameObject("/Dests"): dests})
        if self.fields:
            form = DictionaryObject({NameObject(k): v for k, v in self.form_entries.items()})
            form[NameObject("/Fields")] = ArrayObject(self.fields)
            catalog[NameObject("/AcroForm")] = sink.add(form)
        info = DictionaryObject(
            {
                NameObject(key): create_string_object(value)
                for key, value in document_info(packet, title=packet.title, subject=subject).items()
            }
        )
        sink.close(sink.add(catalog), sink.add(info), seed)


def _page_tree_nodes(node: PdfObject | None) -> Iterator[int]:
    """The object numbers of every /Pages node of a page tree."""
    if not isinstance(node, IndirectObject):
        return
    tree = cast(DictionaryObject, node.get_object())
    if tree.get("/Type") != "/Pages":
        return
    yield node.idnum
    for kid in cast(ArrayObject, tree.get("/Kids", ArrayObject())):
        yield from _page_tree_nodes(kid)


def _outline_children(root: DictionaryObject | None) -> list[IndirectObject]:
    children: list[IndirectObject] = []
    current = root.raw_get("/First") if root is not None and "/First" in root else None
    seen: set[int] = set()
    while isinstance(current, IndirectObject) and current.idnum not in seen:
        seen.add(current.idnum)
        children.append(current)
        entry = cast(DictionaryObject, current.get_object())
        current = entry.raw_get("/Next") if "/Next" in entry else None
    return children


def _is_element(ref: IndirectObject) -> bool:
    return isinstance(ref.get_object(), DictionaryObject)


def _document_to_part(element: DictionaryObject, language: str | None = None) -> None:
    if element.get("/S") == "/Document":
        element[NameObject("/S")] = NameObject("/Part")
        if language is not None:
            element[NameObject("/Lang")] = TextStringObject(language)


def _resolved(holder: DictionaryObject, key: str, default: PdfObject | None = None) -> Any:
    value = holder.get(key)
    value = value.get_object() if value is not None else None
    if value is None:
        return default if default is not None else DictionaryObject()
    return value


def _content_refs(page: PageObject) -> list[PdfObject]:
    raw = page.raw_get("/Contents") if "/Contents" in page else None
    if raw is None:
        return []
    resolved = raw.get_object()
    if isinstance(resolved, ArrayObject):
        return list(resolved)
    return [raw]


def _names_dict(entries: dict[str, IndirectObject]) -> DictionaryObject:
    return DictionaryObject({NameObject(k): v for k, v in entries.items()})


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream
