"""Keep the tag structure (PDF/UA) when tagged parts are joined into one book.

pypdf's ``append`` copies pages but drops the structure tree and each page's
``/StructParents``, so a joined book would reach a screen reader as untagged.
This module copies each part's structure elements, renumbers the parent-tree
keys of its pages and annotations, and hangs every part under one
``Document`` element.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)

__all__ = ["StructureMerger", "drop_keys", "drop_pages", "elements_on", "tag_figures"]


@dataclass
class StructureMerger:
    """Collects the structure of each appended part, then writes one tree."""

    writer: PdfWriter
    next_key: int = 0
    nums: list[PdfObject] = field(default_factory=list)
    parts: list[IndirectObject] = field(default_factory=list)
    role_map: DictionaryObject | None = None

    def add(self, reader: PdfReader, first_page: int) -> None:
        """Take the structure of ``reader``, whose pages were appended at ``first_page``."""
        catalog = cast(DictionaryObject, reader.trailer["/Root"])
        if "/StructTreeRoot" not in catalog:
            return
        source = cast(DictionaryObject, catalog["/StructTreeRoot"].get_object())
        offset = self.next_key
        highest = -1
        for index, page in enumerate(reader.pages):
            target = self.writer.pages[first_page + index]
            if "/StructParents" in page:
                key = int(cast(NumberObject, page["/StructParents"]))
                target[NameObject("/StructParents")] = NumberObject(key + offset)
                highest = max(highest, key)
            for ref in cast(ArrayObject, target.get("/Annots", ArrayObject())) or []:
                annot = cast(DictionaryObject, ref.get_object())
                if "/StructParent" in annot:
                    key = int(cast(NumberObject, annot["/StructParent"]))
                    annot[NameObject("/StructParent")] = NumberObject(key + offset)
                    highest = max(highest, key)
        top = source.get("/K")
        kids = list(top) if isinstance(top, ArrayObject) else [top] if top is not None else []
        for kid in kids:
            if kid is None:
                continue
            # Leave the part's own root behind: copy each top element without its /P.
            copy = kid.clone(self.writer, ignore_fields=[1, "/P"])
            ref = copy if isinstance(copy, IndirectObject) else self.writer._add_object(copy)
            element = cast(DictionaryObject, ref.get_object())
            if element.get("/S") == "/Document":
                element[NameObject("/S")] = NameObject("/Part")
            self.parts.append(ref)
        for key, value in _number_tree(source.get("/ParentTree")):
            self.nums.append(NumberObject(key + offset))
            self.nums.append(value.clone(self.writer))
            highest = max(highest, key)
        if self.role_map is None and "/RoleMap" in source:
            role_map = cast(DictionaryObject, source["/RoleMap"].get_object())
            self.role_map = role_map.clone(self.writer)
        self.next_key = offset + highest + 1

    def finish(self) -> None:
        """Write the joined tree into the writer's catalog."""
        if not self.parts:
            return
        writer = self.writer
        root = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
        root_ref = writer._add_object(root)
        document = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructElem"),
                NameObject("/S"): NameObject("/Document"),
                NameObject("/P"): root_ref,
                NameObject("/K"): ArrayObject(self.parts),
            }
        )
        document_ref = writer._add_object(document)
        for part in self.parts:
            cast(DictionaryObject, part.get_object())[NameObject("/P")] = document_ref
        root[NameObject("/K")] = ArrayObject([document_ref])
        root[NameObject("/ParentTree")] = writer._add_object(
            DictionaryObject({NameObject("/Nums"): ArrayObject(self.nums)})
        )
        root[NameObject("/ParentTreeNextKey")] = NumberObject(self.next_key)
        if self.role_map is not None:
            root[NameObject("/RoleMap")] = self.role_map
        catalog = writer._root_object
        catalog[NameObject("/StructTreeRoot")] = root_ref
        catalog[NameObject("/MarkInfo")] = DictionaryObject(
            {NameObject("/Marked"): BooleanObject(True)}
        )


def _number_tree(node: PdfObject | None) -> list[tuple[int, PdfObject]]:
    """Every (key, value) of a number tree, flat or with /Kids."""
    if node is None:
        return []
    tree = cast(DictionaryObject, node.get_object())
    found: list[tuple[int, PdfObject]] = []
    if "/Nums" in tree:
        nums = cast(ArrayObject, tree["/Nums"])
        for i in range(0, len(nums) - 1, 2):
            found.append((int(cast(NumberObject, nums[i])), nums[i + 1]))
    for kid in cast(ArrayObject, tree.get("/Kids", ArrayObject())):
        found.extend(_number_tree(kid))
    return found


def _tree_root(writer: PdfWriter) -> DictionaryObject | None:
    root = writer._root_object.get("/StructTreeRoot")
    return cast(DictionaryObject, root.get_object()) if root is not None else None


def _parent_tree_nums(tree: DictionaryObject) -> ArrayObject:
    """The parent tree's /Nums, flattened into one array that can be edited."""
    node = tree.get("/ParentTree")
    nums = ArrayObject()
    for key, value in _number_tree(node):
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


def tag_figures(
    writer: PdfWriter, figures: list[tuple[DictionaryObject, list[PageObject], list[str]]]
) -> None:
    """Make each page's content (already fenced as ``/Figure <</MCID 0>> BDC … EMC``) a
    Figure element with its alternate text: for every (parent, pages, texts) given, the
    pages' figures become the kids of that parent."""
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
    for parent, pages, alt in figures:
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
