"""Join PDFs into one file object by object, holding one source at a time.

The book is hundreds of pages from a dozen binders. pypdf's ``PdfWriter``
keeps every object of every part in memory until it writes, and cloning each
part into it costs more than reading it: on 16 parts that was half a gigabyte
and half a minute. Here a :class:`Copy` renumbers each object of one source
the first time it is referred to and writes it out at once, so memory is one
part's parse, not the book's, and each object is serialized once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

__all__ = ["Copy", "Sink", "name_tree", "number_tree"]

_STRUCT_KEYS = (NameObject("/StructParent"), NameObject("/StructParents"))


class Sink:
    """A PDF written as it goes: objects are numbered when reserved, written when ready."""

    def __init__(self, out: BinaryIO, version: str = "1.7") -> None:
        self.out = out
        self._offsets: dict[int, int] = {}
        self._next = 1
        self._start = out.tell()
        out.write(f"%PDF-{version}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1"))

    def reserve(self) -> IndirectObject:
        ref = IndirectObject(self._next, 0, None)
        self._next += 1
        return ref

    def write(self, ref: IndirectObject, obj: PdfObject) -> None:
        assert ref.idnum not in self._offsets, ref.idnum
        self._offsets[ref.idnum] = self.out.tell() - self._start
        self.out.write(f"{ref.idnum} 0 obj\n".encode("ascii"))
        obj.write_to_stream(self.out)
        self.out.write(b"\nendobj\n")

    def add(self, obj: PdfObject) -> IndirectObject:
        ref = self.reserve()
        self.write(ref, obj)
        return ref

    def close(self, root: IndirectObject, info: IndirectObject, identifier: bytes) -> None:
        """The cross-reference table and trailer. A number reserved and never
        written becomes a null object, so the table has no holes."""
        for idnum in range(1, self._next):
            if idnum not in self._offsets:
                self.write(IndirectObject(idnum, 0, None), NullObject())
        xref = self.out.tell() - self._start
        lines = [f"xref\n0 {self._next}\n", "0000000000 65535 f \n"]
        lines += [f"{self._offsets[i]:010d} 00000 n \n" for i in range(1, self._next)]
        self.out.write("".join(lines).encode("ascii"))
        trailer = DictionaryObject(
            {
                NameObject("/Size"): NumberObject(self._next),
                NameObject("/Root"): root,
                NameObject("/Info"): info,
                NameObject("/ID"): ArrayObject(
                    [ByteStringObject(identifier), ByteStringObject(identifier)]
                ),
            }
        )
        self.out.write(b"trailer\n")
        trailer.write_to_stream(self.out)
        self.out.write(f"\nstartxref\n{xref}\n%%EOF\n".encode("ascii"))


Edit = Callable[[DictionaryObject], None]


class Copy:
    """The objects of one source document, copied into a sink as they are reached.

    ``preset`` maps source object numbers to objects of the sink that stand for
    them (the source's page tree root becomes the book's). Parent-tree keys
    (``/StructParent(s)``) are shifted by ``key_offset`` so the parts' keys do
    not collide.
    """

    def __init__(
        self,
        sink: Sink,
        source: PdfReader | PdfWriter,
        *,
        preset: dict[int, IndirectObject] | None = None,
        key_offset: int = 0,
    ) -> None:
        self.sink = sink
        self.source = source
        self.mapping: dict[int, IndirectObject] = dict(preset or {})
        self.edits: dict[int, Edit] = {}
        self.key_offset = key_offset
        self.highest_key = -1
        """The highest parent-tree key met in the source (before the shift)."""
        self._pending: list[int] = []

    def ref(self, old: IndirectObject) -> IndirectObject:
        """The sink's number for a source object; it is written by :meth:`drain`."""
        new = self.mapping.get(old.idnum)
        if new is None:
            new = self.mapping[old.idnum] = self.sink.reserve()
            self._pending.append(old.idnum)
        return new

    def convert(self, obj: PdfObject) -> PdfObject:
        """A copy of a direct object whose references are the sink's."""
        if isinstance(obj, IndirectObject):
            return self.ref(obj)
        if isinstance(obj, StreamObject):
            stream: StreamObject = (
                EncodedStreamObject()
                if isinstance(obj, EncodedStreamObject)
                else DecodedStreamObject()
            )
            self._copy_entries(obj, stream)
            stream._data = obj._data
            return stream
        if isinstance(obj, DictionaryObject):
            copy = DictionaryObject()
            self._copy_entries(obj, copy)
            return copy
        if isinstance(obj, ArrayObject):
            return ArrayObject(self.convert(item) for item in obj)
        return obj

    def _copy_entries(self, source: DictionaryObject, target: DictionaryObject) -> None:
        for key, value in source.items():
            if key == "/Length" and isinstance(source, StreamObject):
                continue  # written from the data
            if key in _STRUCT_KEYS and isinstance(value, NumberObject):
                self.highest_key = max(self.highest_key, int(value))
                target[NameObject(key)] = NumberObject(int(value) + self.key_offset)
            else:
                target[NameObject(key)] = self.convert(value)

    def drain(self) -> None:
        """Write every source object referred to so far (and what they refer to)."""
        while self._pending:
            idnum = self._pending.pop()
            obj = self.source.get_object(idnum)
            copy = self.convert(NullObject() if obj is None else obj)
            edit = self.edits.get(idnum)
            if edit is not None and isinstance(copy, DictionaryObject):
                edit(copy)
            self.sink.write(self.mapping[idnum], copy)


def number_tree(node: PdfObject | None) -> Iterator[tuple[int, PdfObject]]:
    """Every (key, value) of a number tree, flat or with /Kids."""
    if node is None:
        return
    tree = cast(DictionaryObject, node.get_object())
    nums = cast(ArrayObject, tree.get("/Nums", ArrayObject()))
    for i in range(0, len(nums) - 1, 2):
        yield int(cast(NumberObject, nums[i])), nums[i + 1]
    for kid in cast(ArrayObject, tree.get("/Kids", ArrayObject())):
        yield from number_tree(kid)


def name_tree(node: PdfObject | None) -> Iterator[tuple[PdfObject, PdfObject]]:
    """Every (name, value) of a name tree, flat or with /Kids."""
    if node is None:
        return
    tree = cast(DictionaryObject, node.get_object())
    names = cast(ArrayObject, tree.get("/Names", ArrayObject()))
    for i in range(0, len(names) - 1, 2):
        yield names[i], names[i + 1]
    for kid in cast(ArrayObject, tree.get("/Kids", ArrayObject())):
        yield from name_tree(kid)
