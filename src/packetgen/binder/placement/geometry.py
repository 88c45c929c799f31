"""Geometry of placing a page: rectangles, visible boxes, rotation, the fit.

Everything is in PDF user space (points, origin bottom-left). A page is drawn
as a viewer shows it: its crop box, turned as ``/Rotate`` says, scaled to fit
a slot. Numbers are rounded and formatted here, once, so the written file is
the same on every run and machine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pypdf import PageObject, Transformation
from pypdf.generic import ArrayObject, FloatObject, PdfObject

from packetgen.binder.placement.values import _inherited

__all__ = ["Rect", "displayed_size", "fit_transform", "quarter_turn", "visible_box"]


@dataclass(frozen=True)
class Rect:
    """A rectangle in PDF user space of the target page (points, origin bottom-left)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def normalised(self) -> Rect:
        return Rect(
            min(self.x0, self.x1),
            min(self.y0, self.y1),
            max(self.x0, self.x1),
            max(self.y0, self.y1),
        )

    def intersection(self, other: Rect) -> Rect | None:
        a, b = self.normalised(), other.normalised()
        r = Rect(max(a.x0, b.x0), max(a.y0, b.y0), min(a.x1, b.x1), min(a.y1, b.y1))
        return r if r.width > 0 and r.height > 0 else None


# Rotation matrices (a, b, c, d) turning page content clockwise by /Rotate degrees,
# which is what a viewer does on screen.  Exact integers, so that a 90-degree turn
# leaves no 6e-17 residue in the written matrices.
_ROTATION_CTM: dict[int, tuple[int, int, int, int]] = {
    0: (1, 0, 0, 1),
    90: (0, -1, 1, 0),
    180: (-1, 0, 0, -1),
    270: (0, 1, -1, 0),
}


_US_LETTER = Rect(0, 0, 612, 792)


def _as_rect(value: PdfObject | None) -> Rect | None:
    if value is None:
        return None
    value = value.get_object()
    if not isinstance(value, ArrayObject) or len(value) < 4:
        return None
    try:
        nums = [float(v.get_object()) for v in value[:4]]
    except (TypeError, ValueError):
        return None
    r = Rect(*nums).normalised()
    return r if r.width > 0 and r.height > 0 else None


def _media_box(page: PageObject) -> Rect:
    # A missing or broken media box is read as US Letter, as PDF viewers do.
    return _as_rect(_inherited(page, "/MediaBox")) or _US_LETTER


def visible_box(page: PageObject) -> Rect:
    """The part of ``page`` a viewer shows: its crop box clipped to its media box.

    Falls back to the media box when there is no crop box or when the crop box
    does not overlap the media box (a broken file; viewers show the media box).
    """
    media = _media_box(page)
    crop = _as_rect(_inherited(page, "/CropBox"))
    if crop is None:
        return media
    return crop.intersection(media) or media


def _rotation(page: PageObject) -> int:
    raw = _inherited(page, "/Rotate")
    try:
        degrees = float(raw.get_object()) if raw is not None else 0.0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    # Viewers accept any multiple of 90, negative or above 360; snap the rest.
    return (round(degrees / 90) * 90) % 360


def displayed_size(page: PageObject) -> tuple[float, float]:
    """Width and height of ``page`` as a viewer shows it (crop box, ``/Rotate`` applied)."""
    box = visible_box(page)
    if _rotation(page) in (90, 270):
        return box.height, box.width
    return box.width, box.height


def quarter_turn(page: PageObject) -> int:
    """The quarter turn (degrees clockwise) that prints ``page`` sideways on an upright sheet.

    The binder's convention: the content is turned a quarter counterclockwise,
    so its top faces the sheet's left edge — the binding edge of a front page.
    Books set their sideways (broadside) tables so, and printer drivers print
    a landscape page on portrait paper so: a reader always gives the binder
    the same quarter turn clockwise to read, on front and back pages alike.

    A page shown sideways only by its own ``/Rotate 270`` is turned clockwise
    instead: that cancels its rotation and draws the content as it was drawn.
    Turned the usual way it would print upside down when the rotation was a
    mistake (a portrait page saved sideways, as in the corpus' rotated-pages.pdf);
    turned back, such a page reads upright, and a page meant to be landscape
    has its top to the right: still one quarter turn from reading, never a half.
    """
    return 90 if _rotation(page) == 270 else 270


def _turned_rotation(page: PageObject, turn: int) -> int:
    """The page's own ``/Rotate`` and a further ``turn``, as one of 0, 90, 180, 270."""
    if turn % 90:
        raise ValueError(f"turn must be a multiple of 90 degrees, not {turn}")
    return (_rotation(page) + turn) % 360


_ALIGNMENTS = ("center", "top", "bottom")


def fit_transform(
    src: PageObject, slot: Rect, *, align: str = "center", turn: int = 0
) -> Transformation:
    """The transformation drawing ``src`` upright-as-displayed, as large as fits in ``slot``.

    The visible box is turned as ``/Rotate`` says (so the result looks like the
    page does in a viewer), then ``turn`` degrees further clockwise (a landscape
    page printed sideways: :func:`quarter_turn`), scaled uniformly — down or
    up — until it touches the slot in its limiting dimension, and centred.
    ``align="top"`` keeps it horizontally centred but against the top of the
    slot; ``"bottom"`` likewise.
    """
    if align not in _ALIGNMENTS:
        raise ValueError(f"align must be one of {', '.join(_ALIGNMENTS)}, not {align!r}")
    slot = slot.normalised()
    if slot.width <= 0 or slot.height <= 0:
        raise ValueError(f"slot has no area: {slot}")
    box = visible_box(src)
    a, b, c, d = _ROTATION_CTM[_turned_rotation(src, turn)]
    # Plain arithmetic rather than composing pypdf Transformations: this runs
    # for every merged page, and the composition is fixed (move the visible
    # box's corner to the origin, turn it, bring the turned box back into the
    # first quadrant, scale, then move into the slot).
    w, h = box.width, box.height
    turned_w, turned_h = a * w + c * h, b * w + d * h
    width, height = abs(turned_w), abs(turned_h)
    scale = min(slot.width / width, slot.height / height)
    x = slot.x0 + (slot.width - width * scale) / 2
    if align == "top":
        y = slot.y1 - height * scale
    elif align == "bottom":
        y = slot.y0
    else:
        y = slot.y0 + (slot.height - height * scale) / 2
    e = -scale * (a * box.x0 + c * box.y0 + min(0.0, turned_w)) + x
    f = -scale * (b * box.x0 + d * box.y0 + min(0.0, turned_h)) + y
    return Transformation((scale * a, scale * b, scale * c, scale * d, e, f))


def _map_rect(t: Transformation, r: Rect) -> Rect:
    pts = [t.apply_on(p) for p in ((r.x0, r.y0), (r.x1, r.y0), (r.x0, r.y1), (r.x1, r.y1))]
    return Rect(
        min(p[0] for p in pts),
        min(p[1] for p in pts),
        max(p[0] for p in pts),
        max(p[1] for p in pts),
    )


def _scale_of(t: Transformation) -> float:
    a, b = float(t.ctm[0]), float(t.ctm[1])
    return float((a * a + b * b) ** 0.5)


@functools.lru_cache(maxsize=4096)
def _num(v: float) -> str:
    # Cached: the same few coordinates (stamp positions, scales of 1 and 0)
    # are written tens of thousands of times in a large binder.
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _float(v: float) -> FloatObject:
    # Rounding keeps float noise (1e-13 from rotations) out of the written file
    # and keeps the output byte-identical between runs and machines.
    return FloatObject(round(v, 4) + 0.0)


def _rect_array(r: Rect) -> ArrayObject:
    return ArrayObject([_float(r.x0), _float(r.y0), _float(r.x1), _float(r.y1)])
