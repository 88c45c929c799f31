"""packet.pdf: the book joined from the binders.

Most tests join small PDFs made here with pypdf and read the book back; one
builds a packet, to check the join gives the same bytes however a part is copied.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

import packetgen
from packetgen.binder import book
from packetgen.binder.volume import Volume
from packetgen.errors import BuildError
from packetgen.pdf._join import RawObjects, Sink
from packetgen.render.themes import load_theme
from packetgen.spec.models import Packet

from ..conftest import CORPUS

SEED = b"0123456789abcdef0123456789abcdef"


def _packet(tmp_path: Path) -> Packet:
    note = [{"kind": "note", "title": "N"}]
    return packetgen.packet_from_data(
        {
            "title": "The Book",
            "inservices": [
                {"id": "one", "title": "One", "items": note},
                {"id": "two", "title": "Two", "items": note},
            ],
        },
        folder=tmp_path,
    )


def _pdf(pages: int, *, prefix: str | None = None, tagged: bool = False) -> bytes:
    """``pages`` blank pages; with ``prefix``, an outline entry and a named destination;
    with ``tagged``, a structure tree whose ``Document`` element holds the first page."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(200, 200)
    if prefix is not None:
        writer.add_outline_item(title=f"{prefix} intro", page_number=0)
        writer.add_named_destination(f"{prefix}-dest", pages - 1)
    if tagged:
        document = writer._add_object(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/StructElem"),
                    NameObject("/S"): NameObject("/Document"),
                    NameObject("/K"): ArrayObject(),
                }
            )
        )
        tree = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructTreeRoot"),
                NameObject("/K"): document,
                NameObject("/ParentTree"): DictionaryObject(
                    {NameObject("/Nums"): ArrayObject([NumberObject(0), ArrayObject()])}
                ),
                NameObject("/ParentTreeNextKey"): NumberObject(1),
            }
        )
        writer._root_object[NameObject("/StructTreeRoot")] = writer._add_object(tree)
        writer.pages[0][NameObject("/StructParents")] = NumberObject(0)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def _joined(tmp_path: Path) -> PdfReader:
    """A front page with its own outline entry, then two tagged parts of two pages."""
    parts = [
        book.Part("one", "Part one", tmp_path / "one.pdf", 2),
        book.Part("two", "Part two", tmp_path / "two.pdf", 2),
    ]
    starts = {"one": 1, "two": 3}
    buffer = io.BytesIO()
    volume = Volume(Sink(buffer), 5)
    volume.add(_reader(_pdf(1, prefix="front")), 0)
    one = _pdf(2, prefix="one", tagged=True)
    volume.add(_reader(one), 1, title="Part one", raw=RawObjects.of(one, _reader(one)))
    volume.add(_reader(_pdf(2, prefix="two", tagged=True)), 3, title="Part two", language="fr")
    volume.close(_packet(tmp_path), book._labels(parts, starts), SEED)
    return PdfReader(io.BytesIO(buffer.getvalue()), strict=True)


def test_parts_keep_their_outline_under_an_entry_of_their_own(tmp_path: Path) -> None:
    reader = _joined(tmp_path)
    assert len(reader.pages) == 5
    outline = reader.outline
    titles = [e.title if not isinstance(e, list) else [c.title for c in e] for e in outline]
    assert titles == ["front intro", "Part one", ["one intro"], "Part two", ["two intro"]]
    starts = [reader.get_destination_page_number(e) for e in outline if not isinstance(e, list)]
    assert starts == [0, 1, 3]


def test_named_destinations_of_every_part_point_into_that_part(tmp_path: Path) -> None:
    reader = _joined(tmp_path)
    pages = {
        name: reader.get_destination_page_number(dest)
        for name, dest in reader.named_destinations.items()
    }
    assert pages == {"front-dest": 0, "one-dest": 2, "two-dest": 4}


def test_page_labels_number_the_front_matter_and_each_part(tmp_path: Path) -> None:
    assert _joined(tmp_path).page_labels == ["i", "1-1", "1-2", "2-1", "2-2"]


def test_each_part_document_becomes_a_part_of_the_book_document(tmp_path: Path) -> None:
    reader = _joined(tmp_path)
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    (document,) = [k.get_object() for k in tree["/K"]]
    assert document["/S"] == "/Document"
    parts = [k.get_object() for k in document["/K"]]
    assert [p["/S"] for p in parts] == ["/Part", "/Part"]
    assert "/Lang" not in parts[0]
    assert parts[1]["/Lang"] == "fr"
    # The parts' parent-tree keys are renumbered apart, and the tree knows both.
    keys = [reader.pages[i]["/StructParents"] for i in (1, 3)]
    assert keys[0] != keys[1]
    nums = tree["/ParentTree"]["/Nums"]
    assert set(keys) <= {nums[i] for i in range(0, len(nums), 2)}
    assert tree["/ParentTreeNextKey"] > max(keys)


def test_the_book_catalog_has_the_packet_metadata_and_the_seed(tmp_path: Path) -> None:
    reader = _joined(tmp_path)
    assert reader.metadata is not None
    assert reader.metadata["/Title"] == "The Book"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert [x.original_bytes for x in reader.trailer["/ID"]] == [SEED, SEED]


def test_a_part_that_changed_since_it_was_written_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    front = SimpleNamespace(
        document=SimpleNamespace(pages=[]),
        write=lambda identifier, archival=False: _pdf(1),
        anchor_rects=dict,
    )
    # The front matter and the stamps' words are laid out by WeasyPrint; the
    # check on the parts comes before either is drawn.
    monkeypatch.setattr(book, "_front", lambda *args: front)
    monkeypatch.setattr(book, "_atlas", lambda *args: None)
    (tmp_path / "one.pdf").write_bytes(_pdf(2))
    parts = [book.Part("one", "One", tmp_path / "one.pdf", 3)]
    theme = SimpleNamespace(name="default")
    with pytest.raises(BuildError, match=r"one\.pdf has 2 pages, not the 3 it was written with"):
        book.assemble(_packet(tmp_path), object(), theme, parts)  # type: ignore[arg-type]


def test_a_part_with_a_broken_cross_reference_table_is_read_leniently() -> None:
    data = _pdf(2)
    assert book._read_part(data).strict
    broken = re.sub(rb"startxref\s+(\d+)", lambda m: b"startxref\n%d" % (int(m.group(1)) + 7), data)
    reader = book._read_part(broken)
    assert not reader.strict
    assert len(reader.pages) == 2


def test_the_book_is_the_same_whether_parts_are_copied_as_bytes_or_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(CORPUS / "faq.pdf", tmp_path / "faq.pdf")
    shutil.copy(CORPUS / "evaluation-form-fillable.pdf", tmp_path / "form.pdf")
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: Join\nduplex: true\ninservices:\n"
        "  - id: one\n    title: One\n    items:\n"
        "      - {kind: handout, title: FAQ, file: faq.pdf}\n"
        "      - {kind: link, title: Site, url: 'https://example.org/one'}\n"
        "  - id: two\n    title: Two\n    items:\n"
        "      - {kind: handout, title: Form, file: form.pdf}\n"
    )
    packetgen.build(spec, tmp_path / "out", format="pdf")
    packet = packetgen.load_packet(spec)
    links = packetgen.packet_links(packet)
    theme = load_theme(packet.theme, packet.folder)
    parts = [
        book.Part(s.id, s.title, tmp_path / "out" / f"{s.id}.pdf", 0) for s in packet.inservices
    ]
    parts = [
        book.Part(p.inservice_id, p.title, p.path, len(PdfReader(p.path).pages)) for p in parts
    ]
    as_bytes, pages = book.assemble(packet, links, theme, parts)
    assert as_bytes == (tmp_path / "out" / "packet.pdf").read_bytes()
    monkeypatch.setattr(RawObjects, "of", classmethod(lambda cls, data, reader: None))
    parsed, _ = book.assemble(packet, links, theme, parts)
    assert parsed == as_bytes
    assert pages == len(PdfReader(io.BytesIO(parsed)).pages)
