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

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
)

__all__ = ["StructureMerger"]


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
