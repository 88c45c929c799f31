"""The tag structure kept right as a binder's pages change: a small tagged PDF made
here, edited, written and read back."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
)

from packetgen.pdf._structure import Figures, drop_keys, drop_pages, elements_on, tag_figures


def _element(
    writer: PdfWriter, kind: str, page: int | None, kids: list[PdfObject]
) -> IndirectObject:
    element = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructElem"),
            NameObject("/S"): NameObject(kind),
            NameObject("/K"): ArrayObject(kids),
        }
    )
    if page is not None:
        element[NameObject("/Pg")] = writer.pages[page].indirect_reference
    return writer._add_object(element)


def _tagged(pages: int = 3) -> PdfWriter:
    """A document of ``pages`` pages with a ``Sect`` holding a ``P`` on each, and a
    parent-tree entry (key = page index) for each page."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(200, 200)
    sections = []
    nums = ArrayObject()
    for index in range(pages):
        paragraph = _element(writer, "/P", index, [NumberObject(0)])
        sections.append(_element(writer, "/Sect", index, [paragraph]))
        writer.pages[index][NameObject("/StructParents")] = NumberObject(index)
        nums += [NumberObject(index), ArrayObject([paragraph])]
    document = _element(writer, "/Document", None, sections)
    tree = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructTreeRoot"),
            NameObject("/K"): ArrayObject([document]),
            NameObject("/ParentTree"): DictionaryObject({NameObject("/Nums"): nums}),
        }
    )
    writer._root_object[NameObject("/StructTreeRoot")] = writer._add_object(tree)
    return writer


def _read_back(writer: PdfWriter) -> PdfReader:
    buffer = io.BytesIO()
    writer.write(buffer)
    return PdfReader(io.BytesIO(buffer.getvalue()), strict=True)


def _tree(reader: PdfReader) -> DictionaryObject:
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    assert isinstance(tree, DictionaryObject)
    return tree


def _keys(tree: DictionaryObject) -> list[int]:
    nums = tree["/ParentTree"]["/Nums"]
    return [int(nums[i]) for i in range(0, len(nums), 2)]


def _page_number(document: PdfWriter | PdfReader, element: DictionaryObject) -> int:
    ref = element.raw_get("/Pg")
    return next(i for i, p in enumerate(document.pages) if p.indirect_reference.idnum == ref.idnum)


def test_elements_on_finds_the_first_element_of_a_kind_on_each_page() -> None:
    writer = _tagged()
    found = elements_on(writer, "/Sect")
    assert len(found) == 3
    for idnum, element in found.items():
        assert element["/S"] == "/Sect"
        assert writer.pages[_page_number(writer, element)].indirect_reference.idnum == idnum
    assert elements_on(writer, "/Table") == {}


def test_a_removed_page_takes_its_elements_and_its_key_with_it() -> None:
    writer = _tagged()
    gone = writer.pages[1]
    drop_pages(writer, {gone.indirect_reference.idnum: 1})
    writer.remove_page(1)
    tree = _tree(_read_back(writer))
    document = tree["/K"][0].get_object()
    assert len(document["/K"]) == 2
    assert _keys(tree) == [0, 2]


def test_drop_keys_removes_only_the_keys_named() -> None:
    writer = _tagged()
    drop_keys(writer, {0, 2})
    assert _keys(_tree(_read_back(writer))) == [1]


def test_merged_pages_become_figures_with_alternate_text_and_language() -> None:
    writer = _tagged()
    section = next(iter(elements_on(writer, "/Sect").values()))
    pages = [writer.pages[1], writer.pages[2]]
    # As the binder does: the keys of the pages drawn anew go first.
    drop_keys(writer, {1, 2})
    tag_figures(writer, [Figures(section, pages, ["FAQ, page 1 of 2", "FAQ, page 2 of 2"], "es")])
    reader = _read_back(writer)
    tree = _tree(reader)
    figures = [k.get_object() for k in tree["/K"][0].get_object()["/K"][0].get_object()["/K"]]
    assert [f["/S"] for f in figures] == ["/Figure", "/Figure"]
    assert [f["/Alt"] for f in figures] == ["FAQ, page 1 of 2", "FAQ, page 2 of 2"]
    assert {f["/Lang"] for f in figures} == {"es"}
    assert [f["/K"] for f in figures] == [0, 0]
    assert [_page_number(reader, f) for f in figures] == [1, 2]
    # Each page's key leads to its figure; new keys come after every key in use.
    keys = [reader.pages[i]["/StructParents"] for i in (1, 2)]
    assert keys == [1, 2]
    nums = tree["/ParentTree"]["/Nums"]
    entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    assert [entries[k][0].get_object() for k in keys] == figures
    assert tree["/ParentTreeNextKey"] == 3


def test_figure_keys_follow_the_next_key_the_tree_declares() -> None:
    writer = _tagged()
    tree = writer._root_object["/StructTreeRoot"].get_object()
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(10)
    section = next(iter(elements_on(writer, "/Sect").values()))
    tag_figures(writer, [Figures(section, [writer.pages[0]], ["Alt"])])
    page = writer.pages[0]
    assert page["/StructParents"] == 10
    assert tree["/ParentTreeNextKey"] == 11
    assert "/Lang" not in section["/K"][0].get_object()


def test_without_a_structure_tree_nothing_changes() -> None:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    drop_pages(writer, {writer.pages[0].indirect_reference.idnum: None})
    drop_keys(writer, {0})
    tag_figures(writer, [])
    assert elements_on(writer, "/Sect") == {}
    assert "/StructTreeRoot" not in _read_back(writer).trailer["/Root"]
