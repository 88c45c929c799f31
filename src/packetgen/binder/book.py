"""book: ``packet.pdf``, every in-service in one volume, made of the binders themselves.

Nothing of an in-service is laid out again: the book is the packet's own
front matter (cover and contents, laid out here) followed by every binder as
it was written, each a *part*. A part keeps its binder's page numbers ("page
5 of 13" under the in-service's title), so every number printed in it, its
contents page included, stays true; the book adds "Part 2" to the footer of
every page of the second part, PDF page labels "2-5", and a contents page
that says where each part starts. (Court bundles number their tabs the same
way.) Each binder carries its own links appendix, numbered from 1, so the
number beside an item always matches a card in the part in hand.

The parts are joined one at a time, object by object (``_join``): the book is
never held in memory as parsed objects.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from markupsafe import Markup
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PdfReadError
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

from packetgen.binder._placement import as_artifact
from packetgen.binder._stamps import DIGITS, Atlas, StampText, composed_ops, digit_keys
from packetgen.binder.bind import PAPER_PT, catalog_entries, document_info, stamp_frame
from packetgen.content.links import LinkTable
from packetgen.errors import PacketgenError
from packetgen.pdf._join import Copy, RawObjects, Sink, name_tree, number_tree
from packetgen.pdf.layout import Layout, layout_html
from packetgen.render.html import TocEntry, document_view, render_document
from packetgen.render.themes import Theme
from packetgen.spec.models import Packet
from packetgen.text.i18n import strings_for

__all__ = ["Part", "assemble"]

_PX_TO_PT = 0.75


@dataclass(frozen=True)
class Part:
    """One in-service's binder, as written."""

    inservice_id: str
    title: str
    path: Path
    pages: int
    theme: Theme | None = None
    """The binder's theme when it is not the packet's (an in-service's own ``theme``)."""


def assemble(
    packet: Packet, links: LinkTable, theme: Theme, parts: list[Part]
) -> tuple[bytes, int]:
    """The book: front matter, then every part with its part number stamped on."""
    front = _front(packet, links, theme, parts)
    front_pdf = front.write(identifier=b"front")
    front_reader = PdfReader(io.BytesIO(front_pdf))
    front_pages = len(front_reader.pages)
    # The first part starts on a right-hand page, as its binder does.
    filler = packet.duplex and front_pages % 2 == 1
    starts: dict[str, int] = {}
    position = front_pages + filler
    for part in parts:
        starts[part.inservice_id] = position
        position += part.pages

    buffer = io.BytesIO()
    book = _Book(Sink(buffer), position)
    footer = stamp_frame(front).footer
    stamps = _Stamps(book.sink, _atlas(packet, theme), packet, footer)
    # A part on other paper or in another theme (large print) gets its "Part N"
    # centred on its own page, in its own type; a part in another language says
    # it in the words of the pages around it.
    own_stamps: dict[tuple[str, str, str], _Stamps] = {
        (packet.paper, theme.name, packet.language): stamps
    }
    book.add(front_reader, 0, annotations=_contents_links(front, front_reader, book, starts))
    del front_reader
    if filler:
        book.add_blank(front_pages, stamps.blank(), PAPER_PT[packet.paper])
    digests = [front_pdf]
    for number, part in enumerate(parts, start=1):
        view, look = packet.for_inservice(part.inservice_id), part.theme or theme
        look_key = (view.paper, look.name, view.language)
        if look_key not in own_stamps:
            own_stamps[look_key] = _Stamps(book.sink, _atlas(view, look), view, footer)
        data = part.path.read_bytes()
        digests.append(data)
        reader = _read_part(data)
        if len(reader.pages) != part.pages:
            raise PacketgenError(
                f"{part.path.name} has {len(reader.pages)} pages, not the {part.pages} it was"
                " written with: it changed during the build. Build again."
            )
        book.add(
            reader,
            starts[part.inservice_id],
            stamp=own_stamps[look_key].part(number),
            title=part.title,
            raw=RawObjects.of(data, reader),
            # The book's catalog names the packet's language; a part in another
            # says so on its own element, as its binder's catalog did.
            language=view.language if view.language != packet.language else None,
        )
        # Released part by part: only one part is ever parsed at a time.
        del reader, data
    seed = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d in digests)).hexdigest()
    book.close(packet, _labels(parts, starts), seed.encode("ascii")[:32])
    return buffer.getvalue(), position


def _read_part(data: bytes) -> PdfReader:
    """A binder this build wrote. Strict, which skips pypdf's check of every
    object's offset (a tenth of the join): a file that fails it is read leniently."""
    try:
        return PdfReader(io.BytesIO(data), strict=True)
    except PdfReadError:
        return PdfReader(io.BytesIO(data))


def _atlas(packet: Packet, theme: Theme) -> Atlas:
    strings = strings_for(packet.language, packet.strings)
    texts = [
        StampText("part", strings.gettext("Part ")),
        StampText("blank", strings.gettext("This page is intentionally blank"), style="blank"),
    ]
    texts += [StampText(f"digit-{d}", d) for d in DIGITS]
    return Atlas.lay_out(packet, theme, texts)


@dataclass(frozen=True)
class _Stamp:
    """What the book draws on a page: one content stream and the forms it names."""

    stream: IndirectObject
    xobjects: dict[str, IndirectObject]


class _Stamps:
    """The book's own stamps, drawn from the atlas's forms, each written once."""

    def __init__(self, sink: Sink, atlas: Atlas, packet: Packet, footer: float) -> None:
        self.sink = sink
        self.atlas = atlas
        self.width, self.height = PAPER_PT[packet.paper]
        self.footer = footer
        self._scratch = PdfWriter()
        self._forms = Copy(sink, self._scratch)

    def part(self, number: int) -> _Stamp:
        """ "Part N" at the foot of the page, between the binder's own footers."""
        keys = ["part", *digit_keys(number)]
        total = sum(self.atlas.width(k) for k in keys)
        return self._make(
            lambda page: composed_ops(
                self.atlas,
                self._scratch,
                page,
                keys,
                right=(self.width + total) / 2,
                top=self.footer,
            )
        )

    def blank(self) -> _Stamp:
        x = (self.width - self.atlas.width("blank")) / 2
        return self._make(
            lambda page: [self.atlas.ops(self._scratch, page, "blank", x, self.height * 0.6)]
        )

    def _make(self, draw: Callable[[PageObject], list[str]]) -> _Stamp:
        page = self._scratch.add_blank_page(self.width, self.height)
        ops = "\n".join(draw(page))
        xobjects: dict[str, IndirectObject] = {}
        scratch_x = cast(DictionaryObject, _resolved(_resolved(page, "/Resources"), "/XObject"))
        for name in list(scratch_x):
            form = cast(IndirectObject, scratch_x.raw_get(name))
            # Named apart from the binder's own stamps on the same page.
            ours = f"/PacketgenBook{form.idnum}"
            ops = ops.replace(f"{name} Do", f"{ours} Do")
            xobjects[ours] = self._forms.ref(form)
        self._forms.drain()
        stream = DecodedStreamObject()
        stream.set_data(f"{as_artifact(ops)}\n".encode("ascii"))
        return _Stamp(self.sink.add(stream.flate_encode()), xobjects)


class _Book:
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
        stamp: _Stamp | None = None,
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

    def add_blank(self, index: int, stamp: _Stamp, size: tuple[float, float]) -> None:
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
        stamp: _Stamp | None,
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
        for key, value in catalog_entries(packet, title=packet.title).items():
            catalog[NameObject(key)] = sink.add(value) if key == "/Metadata" else value
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
                for key, value in document_info(
                    packet, title=packet.title, subject=packet.subtitle or packet.title
                ).items()
            }
        )
        sink.close(sink.add(catalog), sink.add(info), seed)


def _labels(parts: list[Part], starts: dict[str, int]) -> DictionaryObject:
    """Page labels: the front matter i, ii…; part 2's pages 2-1, 2-2…"""
    nums = ArrayObject()
    first_part = min(starts.values()) if starts else 0
    if first_part:
        nums += [NumberObject(0), DictionaryObject({NameObject("/S"): NameObject("/r")})]
    for number, part in enumerate(parts, start=1):
        nums += [
            NumberObject(starts[part.inservice_id]),
            DictionaryObject(
                {
                    NameObject("/S"): NameObject("/D"),
                    NameObject("/P"): TextStringObject(f"{number}-"),
                }
            ),
        ]
    return DictionaryObject({NameObject("/Nums"): nums})


def _contents_links(
    front: Layout, reader: PdfReader, book: _Book, starts: dict[str, int]
) -> dict[int, list[DictionaryObject]]:
    """A link on each contents line of the front matter, to the part it names."""
    anchors = front.anchor_rects()
    found: dict[int, list[DictionaryObject]] = {}
    for key, start in starts.items():
        anchor = f"toc-{key}"
        if anchor not in anchors:
            continue
        page_index, (x1, y1, x2, y2) = anchors[anchor]
        height = float(reader.pages[page_index].mediabox.height)
        rect = (x1 * _PX_TO_PT, height - y2 * _PX_TO_PT, x2 * _PX_TO_PT, height - y1 * _PX_TO_PT)
        found.setdefault(page_index, []).append(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Link"),
                    NameObject("/Rect"): ArrayObject(FloatObject(round(v, 3)) for v in rect),
                    NameObject("/Border"): ArrayObject([NumberObject(0)] * 3),
                    NameObject("/Dest"): ArrayObject([book.page_refs[start], NameObject("/Fit")]),
                }
            )
        )
    return found


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


def _front(packet: Packet, links: LinkTable, theme: Theme, parts: list[Part]) -> Layout:
    view = document_view(packet, links, theme, mode="print", inservice_id=None)
    where = strings_for(packet.language, packet.strings).gettext("part {number} · {pages} pages")
    toc = [
        TocEntry(
            1,
            part.title,
            None,
            page=where.replace("{number}", str(number)).replace("{pages}", str(part.pages)),
            anchor_id=f"toc-{part.inservice_id}",
        )
        for number, part in enumerate(parts, start=1)
    ]
    view = replace(view, toc=tuple(toc), page_css=Markup(view.page_css))
    html = render_document(view, theme, "front.html.j2")
    return layout_html(
        html,
        base=packet.folder,
        roots=(packet.folder, *theme.roots),
        what="packet.pdf (front matter)",
        stylesheets=[theme.print_css],
    )
