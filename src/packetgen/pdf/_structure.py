"""Keep the tag structure (PDF/UA) right when a binder's pages change.

Pages removed after layout take their elements with them, and each merged
handout page becomes a ``Figure`` element with alternate text. (The book's
join renumbers the parts' parent-tree keys itself, in ``book``.)
"""

from __future__ import annotations

from typing import NamedTuple, cast

from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)

from packetgen.pdf._join import number_tree

__all__ = ["Figures", "drop_keys", "drop_pages", "elements_on", "tag_figures"]


def _tree_root(writer: PdfWriter) -> DictionaryObject | None:
    root = writer._root_object.get("/StructTreeRoot")
    return cast(DictionaryObject, root.get_object()) if root is not None else None


def _parent_tree_nums(tree: DictionaryObject) -> ArrayObject:
    """The parent tree's /Nums, flattened into one array that can be edited."""
    node = tree.get("/ParentTree")
    nums = ArrayObject()
    for key, value in number_tree(node):
        nums.append(NumberObject(key))
        nums.append(value)
    holder = DictionaryObject({NameObject("/Nums"): nums})
    tree[NameObject("/ParentTree")] = holder
    return nums


def drop_pages(writer: PdfWriter, pages: dict[int, int | None]) -> None:
    """Forget the structure of removed pages: ``pages`` maps their object numbers to
    their ``/StructParents`` keys. Elements on those pages leave the tree."""
    tree = _tree_root(writer)
    if tree is None or not pages:
        return

    def prune(element: DictionaryObject) -> None:
        kids = element.get("/K")
        if not isinstance(kids, ArrayObject):
            kids = ArrayObject([kids]) if kids is not None else ArrayObject()
        kept = ArrayObject()
        for kid in kids:
            child = kid.get_object() if isinstance(kid, IndirectObject) else kid
            if isinstance(child, DictionaryObject) and "/S" in child:
                page = child.raw_get("/Pg") if "/Pg" in child else None
                if isinstance(page, IndirectObject) and page.idnum in pages:
                    continue
                prune(child)
            kept.append(kid)
        element[NameObject("/K")] = kept

    prune(tree)
    drop_keys(writer, {key for key in pages.values() if key is not None})


def drop_keys(writer: PdfWriter, keys: set[int]) -> None:
    """Remove parent-tree entries (of pages that are gone or drawn anew)."""
    tree = _tree_root(writer)
    if tree is None or not keys:
        return
    nums = _parent_tree_nums(tree)
    for i in reversed(range(0, len(nums) - 1, 2)):
        if int(cast(NumberObject, nums[i])) in keys:
            del nums[i : i + 2]


class Figures(NamedTuple):
    """The pages of one merged handout, to become Figure elements of ``parent``."""

    parent: DictionaryObject
    pages: list[PageObject]
    alt: list[str]
    """Each page's alternate text."""
    language: str | None = None
    """The handout's language when the spec gives one: the figures' /Lang, so a
    screen reader reads a Spanish handout's alternate text in Spanish."""


def tag_figures(writer: PdfWriter, figures: list[Figures]) -> None:
    """Make each page's content (already fenced as ``/Figure <</MCID 0>> BDC … EMC``) a
    Figure element with its alternate text: the pages' figures become the kids of their
    parent."""
    tree = _tree_root(writer)
    if tree is None or not figures:
        return
    nums = _parent_tree_nums(tree)
    # WeasyPrint writes no /ParentTreeNextKey: the next key is past every key in use.
    used = [int(cast(NumberObject, nums[i])) for i in range(0, len(nums) - 1, 2)]
    next_key = max(
        int(cast(NumberObject, tree.get("/ParentTreeNextKey", NumberObject(0)))),
        max(used, default=-1) + 1,
    )
    for parent, pages, alt, language in figures:
        parent_ref = parent.indirect_reference
        kids = ArrayObject()
        for page, text in zip(pages, alt, strict=True):
            figure = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/StructElem"),
                    NameObject("/S"): NameObject("/Figure"),
                    NameObject("/Alt"): TextStringObject(text),
                    NameObject("/Pg"): page.indirect_reference,
                    NameObject("/K"): NumberObject(0),
                }
            )
            if parent_ref is not None:
                figure[NameObject("/P")] = parent_ref
            if language is not None:
                figure[NameObject("/Lang")] = TextStringObject(language)
            ref = writer._add_object(figure)
            kids.append(ref)
            page[NameObject("/StructParents")] = NumberObject(next_key)
            nums.append(NumberObject(next_key))
            nums.append(ArrayObject([ref]))
            next_key += 1
        parent[NameObject("/K")] = kids
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(next_key)


def elements_on(writer: PdfWriter, kind: str) -> dict[int, DictionaryObject]:
    """The first structure element of ``kind`` (``/Sect``) on each page, by page object number."""
    tree = _tree_root(writer)
    found: dict[int, DictionaryObject] = {}
    if tree is None:
        return found
    stack: list[PdfObject] = [tree]
    while stack:
        item = stack.pop()
        element = item.get_object() if isinstance(item, IndirectObject) else item
        if not isinstance(element, DictionaryObject):
            continue
        pg = element.raw_get("/Pg") if "/Pg" in element else None
        if element.get("/S") == kind and isinstance(pg, IndirectObject):
            found.setdefault(pg.idnum, element)
        kids = element.get("/K")
        if isinstance(kids, ArrayObject):
            stack.extend(reversed(list(kids)))
        elif kids is not None:
            stack.append(kids)
    return found
