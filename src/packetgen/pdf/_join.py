"""Join PDFs into one file object by object, holding one source at a time.

The book is hundreds of pages from a dozen binders. pypdf's ``PdfWriter``
keeps every object of every part in memory until it writes, and cloning each
part into it costs more than reading it: on 16 parts that was half a gigabyte
and half a minute. Here a :class:`Copy` renumbers each object of one source
the first time it is referred to and writes it out at once, so memory is one
part's parse, not the book's, and each object is serialized once.
"""

from __future__ import annotations

import re
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

__all__ = ["Copy", "RawObjects", "Sink", "name_tree", "number_tree"]

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

    def write_raw(self, ref: IndirectObject, *parts: bytes) -> None:
        """Write an object given as the bytes of its body."""
        assert ref.idnum not in self._offsets, ref.idnum
        self._offsets[ref.idnum] = self.out.tell() - self._start
        self.out.write(f"{ref.idnum} 0 obj\n".encode("ascii"))
        for part in parts:
            self.out.write(part)
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

_HEADER = re.compile(rb"\s*(\d+) 0 obj\n")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
# In what pypdf writes, a literal string escapes every byte but letters, digits
# and spaces, and a name every delimiter and space: outside strings, "N G R" is a
# reference and "/StructParents N" a parent-tree key, nothing else.
_TOKENS = re.compile(
    rb"\((?:[^\\)]|\\.)*\)|(\d+) (\d+) R(?![A-Za-z0-9])|/(StructParents?) (\d+)", re.DOTALL
)


class RawObjects:
    """The objects of a PDF that pypdf wrote, as the bytes it wrote them with.

    Copying a binder object by object through pypdf's parser costs a thousand
    Python calls an object (a book of 16 parts has 100,000 objects, most of them
    structure elements); copying the bytes and renumbering the references in
    them costs one regular expression. Only files pypdf wrote qualify: a plain
    cross-reference table, generation 0, no object streams.
    """

    def __init__(self, data: bytes, spans: dict[int, tuple[int, int]]) -> None:
        self._data = data
        self._spans = spans

    @classmethod
    def of(cls, data: bytes, reader: PdfReader) -> RawObjects | None:
        if reader.xref_objStm or any(table for gen, table in reader.xref.items() if gen != 0):
            return None
        table: dict[int, int] = reader.xref.get(0, {})
        tail = _STARTXREF.search(data[-64:])
        if not table or tail is None:
            return None
        ordered = sorted((offset, idnum) for idnum, offset in table.items())
        ends = [offset for offset, _idnum in ordered[1:]] + [int(tail[1])]
        if ends[-1] <= ordered[-1][0] or ends[-1] > len(data):
            return None
        return cls(data, {idnum: (o, e) for (o, idnum), e in zip(ordered, ends, strict=True)})

    def body(self, idnum: int) -> tuple[bytes, bytes] | None:
        """(dictionary or value, stream part or b"") of an object, or None if it
        does not have the shape pypdf writes."""
        span = self._spans.get(idnum)
        if span is None:
            return None
        chunk = self._data[span[0] : span[1]]
        header = _HEADER.match(chunk)
        if header is None or int(header[1]) != idnum:
            return None
        chunk = chunk.rstrip()
        if not chunk.endswith(b"\nendobj"):
            return None
        body = chunk[header.end() : -len(b"\nendobj")]
        if body.startswith(b"<<"):
            split = body.find(b"\nstream\n")
            if split >= 0:
                return body[:split], body[split:]
        return body, b""


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
        raw: RawObjects | None = None,
    ) -> None:
        self.sink = sink
        self.source = source
        self.raw = raw
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
            body = (
                self.raw.body(idnum) if self.raw is not None and idnum not in self.edits else None
            )
            if body is not None:
                head, stream = body
                self.sink.write_raw(self.mapping[idnum], _TOKENS.sub(self._renumber, head), stream)
                continue
            obj = self.source.get_object(idnum)
            copy = self.convert(NullObject() if obj is None else obj)
            edit = self.edits.get(idnum)
            if edit is not None and isinstance(copy, DictionaryObject):
                edit(copy)
            self.sink.write(self.mapping[idnum], copy)

    def _renumber(self, match: re.Match[bytes]) -> bytes:
        if match[1] is not None:
            new = self.ref(IndirectObject(int(match[1]), int(match[2]), self.source))
            return b"%d 0 R" % new.idnum
        if match[3] is not None:
            key = int(match[4])
            self.highest_key = max(self.highest_key, key)
            return b"/%s %d" % (match[3], key + self.key_offset)
        return match[0]  # a string, left as it is


def number_tree(node: PdfObject | None) -> Iterator[tuple[int, PdfObject]]:
    """Every (key, value) of a number tree, flat or with /Kids."""
    for key, value in _tree(node, "/Nums"):
        yield int(cast(NumberObject, key)), value


def name_tree(node: PdfObject | None) -> Iterator[tuple[PdfObject, PdfObject]]:
    """Every (name, value) of a name tree, flat or with /Kids."""
    return _tree(node, "/Names")


def _tree(node: PdfObject | None, leaves: str) -> Iterator[tuple[PdfObject, PdfObject]]:
    if node is None:
        return
    tree = cast(DictionaryObject, node.get_object())
    pairs = cast(ArrayObject, tree.get(leaves, ArrayObject()))
    for i in range(0, len(pairs) - 1, 2):
        yield pairs[i], pairs[i + 1]
    for kid in cast(ArrayObject, tree.get("/Kids", ArrayObject())):
        yield from _tree(kid, leaves)
