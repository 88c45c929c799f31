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
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from markupsafe import Markup
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from packetgen.binder._stamps import DIGITS, Atlas, StampText, composed_ops, digit_keys
from packetgen.binder.furniture import stamp_frame
from packetgen.binder.placement import as_artifact
from packetgen.binder.plan import PAPER_PT, PX_TO_PT
from packetgen.binder.volume import Stamp, Volume, _resolved
from packetgen.content.links import LinkTable
from packetgen.errors import BuildError
from packetgen.pdf._join import Copy, RawObjects, Sink
from packetgen.pdf.layout import Layout, layout_html
from packetgen.render.document import document_view
from packetgen.render.html import render_document
from packetgen.render.themes import Theme
from packetgen.render.views import TocEntry
from packetgen.spec.models import Packet
from packetgen.text.i18n import strings_for

__all__ = ["Part", "assemble"]


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
    front_pdf = front.write(identifier=b"front", archival=packet.archival is not None)
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
    book = Volume(Sink(buffer), position)
    footer = stamp_frame(front).footer
    stamps = _Stamps(book.sink, _atlas(packet, theme), packet, footer)
    # A part on other paper or in another theme (large print) gets its "Part N"
    # centred on its own page, in its own type; a part in another language says
    # it in the words of the pages around it.
    own_stamps: dict[tuple[str, str, str], _Stamps] = {
        (packet.paper, theme.name, packet.language): stamps
    }
    contents_links = _contents_links(front, front_reader, book, starts)
    if packet.archival:
        for link in (a for page in contents_links.values() for a in page):
            link[NameObject("/F")] = NumberObject(4)  # printable, as PDF/A wants every link
    book.add(front_reader, 0, annotations=contents_links)
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
            raise BuildError(
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


class _Stamps:
    """The book's own stamps, drawn from the atlas's forms, each written once."""

    def __init__(self, sink: Sink, atlas: Atlas, packet: Packet, footer: float) -> None:
        self.sink = sink
        self.atlas = atlas
        self.width, self.height = PAPER_PT[packet.paper]
        self.footer = footer
        self._scratch = PdfWriter()
        self._forms = Copy(sink, self._scratch)

    def part(self, number: int) -> Stamp:
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

    def blank(self) -> Stamp:
        x = (self.width - self.atlas.width("blank")) / 2
        return self._make(
            lambda page: [self.atlas.ops(self._scratch, page, "blank", x, self.height * 0.6)]
        )

    def _make(self, draw: Callable[[PageObject], list[str]]) -> Stamp:
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
        return Stamp(self.sink.add(stream.flate_encode()), xobjects)


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
    front: Layout, reader: PdfReader, book: Volume, starts: dict[str, int]
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
        rect = (x1 * PX_TO_PT, height - y2 * PX_TO_PT, x2 * PX_TO_PT, height - y1 * PX_TO_PT)
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
