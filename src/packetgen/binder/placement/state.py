"""What placing a page returns, and what a writer remembers between placements.

The memory (forms already drawn, page numbers and named destinations of each
source document, links waiting for their target page to be drawn, form fields
already cloned) lives on the writer itself, as long as the writer does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, Destination, DictionaryObject, IndirectObject

from packetgen.binder.placement.geometry import Rect

__all__ = ["PlacedPage", "writer_memo"]


@dataclass(frozen=True)
class PlacedPage:
    """What :func:`place_page` did besides drawing."""

    removed_active: list[str] = field(default_factory=list)
    """One description per active item dropped (repeats count), e.g. ``"JavaScript"``."""
    links: list[str] = field(default_factory=list)
    """Web URIs of the links carried over, in reading order, de-duplicated."""
    fields: list[str] = field(default_factory=list)
    """Fully-qualified names of the form fields carried over."""
    transform: Transformation = field(default_factory=Transformation)
    """Source user space to target user space, e.g. to map the handout's own bookmarks."""


@dataclass
class _PendingDest:
    dest: ArrayObject
    fit: str
    args: list[float | None]


@dataclass
class _WriterState:
    # Everything keyed by id(document) also keeps the document in `docs`, so the
    # id cannot be reused by another document while this writer lives.
    docs: dict[int, object] = field(default_factory=dict)
    forms: dict[tuple[int, int], IndirectObject] = field(default_factory=dict)
    page_numbers: dict[int, dict[int, int]] = field(default_factory=dict)
    named_dests: dict[int, dict[str, Destination]] = field(default_factory=dict)
    placements: dict[tuple[int, int, int], tuple[Transformation, Rect]] = field(
        default_factory=dict
    )
    pending: dict[tuple[int, int, int], list[_PendingDest]] = field(default_factory=dict)
    field_nodes: dict[tuple[int, int, str | None], DictionaryObject] = field(default_factory=dict)
    prefix_parents: dict[str, DictionaryObject] = field(default_factory=dict)
    ap_wrappers: dict[tuple[int, int], IndirectObject] = field(default_factory=dict)
    contents: dict[int, tuple[int, ...]] = field(default_factory=dict)
    push_pop: tuple[IndirectObject, IndirectObject] | None = None


# The state lives on the writer itself.  A WeakKeyDictionary would leak: its
# values hold indirect references whose .pdf is the writer, keeping the key alive.
_STATE_ATTRIBUTE = "_packetgen_placement_state"


def _state(writer: PdfWriter) -> _WriterState:
    state = getattr(writer, _STATE_ATTRIBUTE, None)
    if not isinstance(state, _WriterState):
        state = _WriterState()
        setattr(writer, _STATE_ATTRIBUTE, state)
    return state


def writer_memo(writer: PdfWriter, name: str) -> dict[Any, Any]:
    """A dictionary that lives as long as ``writer`` (on the writer, for the same reason)."""
    attribute = f"_packetgen_memo_{name}"
    memo = getattr(writer, attribute, None)
    if not isinstance(memo, dict):
        memo = {}
        setattr(writer, attribute, memo)
    return memo


def _source_doc(page: PageObject) -> PdfReader | PdfWriter | None:
    ref = page.indirect_reference
    pdf = ref.pdf if ref is not None else None
    return pdf if isinstance(pdf, (PdfReader, PdfWriter)) else None


def _page_numbers(state: _WriterState, doc: PdfReader | PdfWriter) -> dict[int, int]:
    numbers = state.page_numbers.get(id(doc))
    if numbers is None:
        numbers = {}
        for index, page in enumerate(doc.pages):
            if page.indirect_reference is not None:
                numbers.setdefault(page.indirect_reference.idnum, index)
        state.docs[id(doc)] = doc
        state.page_numbers[id(doc)] = numbers
    return numbers


def _named_dests(state: _WriterState, doc: PdfReader | PdfWriter) -> dict[str, Destination]:
    named = state.named_dests.get(id(doc))
    if named is None:
        try:
            named = dict(doc.named_destinations)
        except (PyPdfError, KeyError, ValueError, TypeError, AttributeError):
            named = {}
        state.docs[id(doc)] = doc
        state.named_dests[id(doc)] = named
    return named
