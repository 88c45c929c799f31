"""Links inside a handout, re-pointed to where its pages now are in the binder.

A destination (an explicit array, a named destination, a ``/GoTo``) is
resolved to a page of the source document, then re-expressed on the binder
page that page was drawn on, through the transformation of the drawing.
"""

from __future__ import annotations

from collections.abc import Callable

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    PdfObject,
    TextStringObject,
)

from packetgen.binder.placement.geometry import Rect, _float, _map_rect
from packetgen.binder.placement.state import _named_dests, _page_numbers, _PendingDest, _WriterState
from packetgen.binder.placement.values import _name, _opt_float, _text

_DEST_ARGS = {
    "/XYZ": 3,
    "/Fit": 0,
    "/FitB": 0,
    "/FitH": 1,
    "/FitBH": 1,
    "/FitV": 1,
    "/FitBV": 1,
    "/FitR": 4,
}


def _resolve_dest(
    state: _WriterState, doc: PdfReader | PdfWriter, dest: PdfObject | None
) -> tuple[int, str, list[float | None]] | None:
    """(page index in doc, fit type, fit arguments) of a destination, or None."""
    dest = dest.get_object() if dest is not None else None
    if isinstance(dest, (TextStringObject, ByteStringObject, NameObject)):
        named = _named_dests(state, doc)
        name = _text(dest) if not isinstance(dest, NameObject) else str(dest)
        found = named.get(name or "") or named.get((name or "").lstrip("/"))
        if found is None:
            return None
        page = found.get("/Page")
        fit = _name(found, "/Type") or "/Fit"
        keys = {
            "/XYZ": ["/Left", "/Top", "/Zoom"],
            "/FitH": ["/Top"],
            "/FitBH": ["/Top"],
            "/FitV": ["/Left"],
            "/FitBV": ["/Left"],
            "/FitR": ["/Left", "/Bottom", "/Right", "/Top"],
        }.get(fit, [])
        args = [_opt_float(found.get(k)) for k in keys]
    elif isinstance(dest, DictionaryObject) and "/D" in dest:
        return _resolve_dest(state, doc, dest.raw_get("/D"))
    elif isinstance(dest, ArrayObject) and len(dest) >= 1:
        page = dest[0]
        fit = str(dest[1]) if len(dest) > 1 and isinstance(dest[1], NameObject) else "/Fit"
        args = [_opt_float(v) for v in dest[2:]]
    else:
        return None
    if isinstance(page, IndirectObject):
        index = _page_numbers(state, doc).get(page.idnum)
    else:
        # Some writers use a page number where a page reference belongs.
        number = _opt_float(page)
        index = int(number) if number is not None and 0 <= number < len(doc.pages) else None
    if index is None:
        return None
    if fit not in _DEST_ARGS:
        fit, args = "/Fit", []
    args = (args + [None] * _DEST_ARGS[fit])[: _DEST_ARGS[fit]]
    return index, fit, args


def _mapped_dest_args(
    fit: str, args: list[float | None], transform: Transformation, box: Rect
) -> tuple[str, list[PdfObject]]:
    """A destination on the source page, re-expressed on the page it was drawn onto."""

    def point(x: float | None, y: float | None) -> tuple[float, float]:
        return transform.apply_on((box.x0 if x is None else x, box.y1 if y is None else y))

    turned = abs(float(transform.ctm[0])) < 1e-9  # a 90 or 270 degree turn swaps axes
    if fit == "/XYZ":
        left, top, zoom = args
        if left is None and top is None:
            return fit, [NullObject(), NullObject(), NullObject()]
        x, y = point(left, top)
        return fit, [_float(x), _float(y), _float(zoom) if zoom else NullObject()]
    if fit in ("/FitH", "/FitBH", "/FitV", "/FitBV"):
        (value,) = args
        if value is None:
            return fit, [NullObject()]
        horizontal = fit in ("/FitH", "/FitBH")  # the argument is a top, else a left
        bounded = fit in ("/FitBH", "/FitBV")
        x, y = point(None if horizontal else value, value if horizontal else None)
        if horizontal != turned:
            return ("/FitBH" if bounded else "/FitH"), [_float(y)]
        return ("/FitBV" if bounded else "/FitV"), [_float(x)]
    if fit == "/FitR" and None not in args:
        left, bottom, right, top = (float(v) for v in args if v is not None)
        r = _map_rect(transform, Rect(left, bottom, right, top))
        return fit, [_float(r.x0), _float(r.y0), _float(r.x1), _float(r.y1)]
    return ("/FitB" if fit == "/FitB" else "/Fit"), []


def _set_dest(dest: ArrayObject, page_ref: IndirectObject, fit: str, args: list[PdfObject]) -> None:
    dest[:] = [page_ref, NameObject(fit), *args]


def _link_dest(
    writer: PdfWriter,
    state: _WriterState,
    doc: PdfReader | PdfWriter,
    raw_dest: PdfObject | None,
    link_targets: Callable[[int], PageObject | None] | None,
) -> ArrayObject | None:
    if link_targets is None:
        return None
    resolved = _resolve_dest(state, doc, raw_dest)
    if resolved is None:
        return None
    index, fit, args = resolved
    page = link_targets(index)
    if page is None:
        return None
    ref = page.indirect_reference
    if ref is None or ref.pdf is not writer:
        raise ValueError("link_targets must return pages of the writer being placed into")
    dest = ArrayObject()
    key = (id(doc), index, ref.idnum)
    placed = state.placements.get(key)
    if placed is not None:
        _set_dest(dest, ref, *_mapped_dest_args(fit, args, *placed))
    else:
        # The linked page is not drawn yet: point at the whole page for now and
        # refine when place_page draws that page there.
        _set_dest(dest, ref, "/Fit", [])
        state.pending.setdefault(key, []).append(_PendingDest(dest, fit, args))
    return dest
