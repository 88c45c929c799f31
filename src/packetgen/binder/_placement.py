"""Draw handout pages into the slots of placeholder pages.

WeasyPrint lays out one placeholder page per handout output page, leaving one
or more empty *slots*; this module draws a source PDF page into such a slot and
carries over what makes the page work on screen: its links (re-pointed into the
binder), its form fields (renamed so two copies of one form do not collide), and
its passive annotations.  Active content (JavaScript, launch actions, embedded
files, media) is dropped and reported, because handouts may come from anywhere
and a printed-packet tool has no business running code in the reader's viewer.

Each source page becomes one form XObject, stored once per writer however often
it is drawn, and is referenced from the target page's content with a ``cm`` that
rotates (as the page's ``/Rotate`` says), scales and centres it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DecodedStreamObject,
    Destination,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from packetgen.errors import HandoutError
from packetgen.spec.models import url_problem

__all__ = [
    "PlacedPage",
    "Rect",
    "append_ops",
    "as_artifact",
    "displayed_size",
    "draw_xobject",
    "fit_transform",
    "form_xobject",
    "place_page",
    "strip_active_content",
    "uri_links",
    "visible_box",
    "writer_memo",
    "xobject_ops",
]


# --------------------------------------------------------------------------- geometry


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


def _get(holder: DictionaryObject, key: str) -> PdfObject | None:
    """``holder[key]`` resolved, or None.

    ``DictionaryObject.get`` is plain ``dict.get`` and returns indirect references
    unresolved; a check like ``action.get("/S") == "/Launch"`` could then be
    dodged by a file that stores the name indirectly.
    """
    value = holder.get(key)
    return value.get_object() if value is not None else None


def _name(holder: DictionaryObject, key: str) -> str | None:
    """A name entry (``/S``, ``/Subtype``…) resolved, as a string, or None."""
    value = _get(holder, key)
    return str(value) if isinstance(value, NameObject) else None


def _inherited(page: DictionaryObject, key: str) -> PdfObject | None:
    # Pages read by PdfReader have inheritable attributes copied onto them, but
    # pages built or cloned in a writer may still inherit from the /Pages tree.
    node: DictionaryObject | None = page
    seen: set[int] = set()
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        if not isinstance(node, DictionaryObject):
            return None
    return None


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


_ALIGNMENTS = ("center", "top", "bottom")


def fit_transform(src: PageObject, slot: Rect, *, align: str = "center") -> Transformation:
    """The transformation drawing ``src`` upright-as-displayed, as large as fits in ``slot``.

    The visible box is turned as ``/Rotate`` says (so the result looks like the
    page does in a viewer), scaled uniformly — down or up — until it touches the
    slot in its limiting dimension, and centred.  ``align="top"`` keeps it
    horizontally centred but against the top of the slot; ``"bottom"`` likewise.
    """
    if align not in _ALIGNMENTS:
        raise ValueError(f"align must be one of {', '.join(_ALIGNMENTS)}, not {align!r}")
    slot = slot.normalised()
    if slot.width <= 0 or slot.height <= 0:
        raise ValueError(f"slot has no area: {slot}")
    box = visible_box(src)
    a, b, c, d = _ROTATION_CTM[_rotation(src)]
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


# --------------------------------------------------------------------------- results


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


# --------------------------------------------------------------------------- per-writer state


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


# --------------------------------------------------------------------------- content


def _content_bytes(src: PageObject) -> bytes:
    contents = src.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    streams: Iterable[PdfObject]
    if isinstance(contents, StreamObject):
        streams = [contents]
    elif isinstance(contents, ArrayObject):
        streams = [s.get_object() for s in contents]
    else:
        return b""
    parts: list[bytes] = []
    for stream in streams:
        if not isinstance(stream, StreamObject):
            continue
        try:
            parts.append(stream.get_data())
        except (PyPdfError, ValueError, NotImplementedError) as exc:
            raise HandoutError("", f"a page's content cannot be decoded ({exc})") from exc
    # Streams of a /Contents array join at token boundaries; a newline keeps them apart.
    return b"\n".join(parts)


def _form_xobject(writer: PdfWriter, state: _WriterState, src: PageObject) -> IndirectObject:
    doc = _source_doc(src)
    key = (
        (id(doc), src.indirect_reference.idnum)
        if doc is not None and src.indirect_reference
        else None
    )
    if key is not None and key in state.forms:
        return state.forms[key]
    form = DecodedStreamObject()
    form.set_data(_content_bytes(src))
    resources = src.raw_get("/Resources") if "/Resources" in src else _inherited(src, "/Resources")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/FormType"): NumberObject(1),
            # The whole media box: clipping to the crop box happens where the form
            # is drawn, so clip=False can still show what lies outside it.
            NameObject("/BBox"): _rect_array(_media_box(src)),
            NameObject("/Resources"): (
                resources.clone(writer) if resources is not None else DictionaryObject()
            ),
        }
    )
    if "/Group" in src:
        # A page's transparency group becomes the form's, so blending is unchanged.
        form[NameObject("/Group")] = src.raw_get("/Group").clone(writer)
    ref = writer._add_object(form.flate_encode())
    if key is not None:
        state.docs[key[0]] = doc
        state.forms[key] = ref
    return ref


def _stream_ref(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


def _resolved_dict(holder: DictionaryObject, key: str) -> DictionaryObject:
    """``holder[key]`` as a dictionary that can be edited in place, created if missing."""
    value = holder.get(key)
    value = value.get_object() if value is not None else None
    if not isinstance(value, DictionaryObject):
        value = DictionaryObject()
        holder[NameObject(key)] = value
    return value


def _target_resources(target: PageObject) -> DictionaryObject:
    if "/Resources" not in target:
        inherited = _inherited(target, "/Resources")
        inherited = inherited.get_object() if inherited is not None else None
        # Editing a /Pages node's resources would be fine too, but a page-level
        # copy keeps this page's change to this page.
        copy = DictionaryObject(inherited) if isinstance(inherited, DictionaryObject) else None
        target[NameObject("/Resources")] = copy if copy is not None else DictionaryObject()
    return _resolved_dict(target, "/Resources")


def _append_content(writer: PdfWriter, state: _WriterState, target: PageObject, ops: bytes) -> None:
    assert target.indirect_reference is not None
    page_id = target.indirect_reference.idnum
    raw = target.get("/Contents")
    raw = raw.get_object() if raw is not None else None
    existing: list[IndirectObject] = []
    if isinstance(raw, StreamObject):
        existing = [
            raw.indirect_reference
            if raw.indirect_reference is not None
            else writer._add_object(raw)
        ]
    elif isinstance(raw, ArrayObject):
        for item in raw:
            existing.append(item if isinstance(item, IndirectObject) else writer._add_object(item))
    ours = tuple(r.idnum for r in existing)
    if existing and state.contents.get(page_id) != ours:
        # The page's own content may leave a transformed or clipped graphics state
        # behind (WeasyPrint starts with a y-flip); fence it in with q/Q once, and
        # again only if someone else changed the content since.
        if state.push_pop is None:
            state.push_pop = (_stream_ref(writer, b"q\n"), _stream_ref(writer, b"\nQ\n"))
        push, pop = state.push_pop
        existing = [push, *existing, pop]
    existing.append(_stream_ref(writer, ops))
    target[NameObject("/Contents")] = ArrayObject(existing)
    state.contents[page_id] = tuple(r.idnum for r in existing)


def _draw_form(
    writer: PdfWriter,
    state: _WriterState,
    target: PageObject,
    form: IndirectObject,
    transform: Transformation,
    clip: Rect | None,
) -> None:
    xobjects = _resolved_dict(_target_resources(target), "/XObject")
    name = f"/PacketgenPage{form.idnum}"
    suffix = 0
    while name in xobjects and xobjects.raw_get(name) != form:
        suffix += 1
        name = f"/PacketgenPage{form.idnum}_{suffix}"
    xobjects[NameObject(name)] = form
    ops = ["q"]
    if clip is not None:
        ops.append(f"{_num(clip.x0)} {_num(clip.y0)} {_num(clip.width)} {_num(clip.height)} re W n")
    ops.append(" ".join(_num(float(v)) for v in transform.ctm) + " cm")
    ops.append(f"{name} Do")
    ops.append("Q")
    _append_content(writer, state, target, ("\n".join(ops) + "\n").encode("ascii"))


def xobject_ops(
    target: PageObject,
    form: IndirectObject,
    ctm: tuple[float, float, float, float, float, float],
) -> str:
    """Operators drawing the Form XObject ``form`` on ``target`` through ``ctm``
    (``form`` is added to the page's resources; append the operators with
    :func:`append_ops`)."""
    xobjects = _resolved_dict(_target_resources(target), "/XObject")
    name = f"/PacketgenX{form.idnum}"
    xobjects[NameObject(name)] = form
    return f"q {' '.join(_num(v) for v in ctm)} cm {name} Do Q"


def append_ops(
    writer: PdfWriter, target: PageObject, ops: Sequence[str], *, artifact: bool = False
) -> None:
    """Append ``ops`` to ``target``'s content in one stream, after its own content.

    With ``artifact``, the drawing is marked as a PDF/UA artifact (a running
    header, a page number): screen readers skip it.
    """
    if not ops:
        return
    text = "\n".join(ops)
    if artifact:
        text = as_artifact(text)
    _append_content(writer, _state(writer), target, (text + "\n").encode("ascii"))


def as_artifact(ops: str) -> str:
    """Operators marked as a PDF/UA artifact: screen readers skip them."""
    return f"/Artifact BMC\n{ops}\nEMC"


def draw_xobject(
    writer: PdfWriter,
    target: PageObject,
    form: IndirectObject,
    ctm: tuple[float, float, float, float, float, float],
    *,
    artifact: bool = False,
) -> None:
    """Draw the Form XObject ``form`` on ``target`` (a page of ``writer``) through ``ctm``."""
    append_ops(writer, target, [xobject_ops(target, form, ctm)], artifact=artifact)


def form_xobject(
    writer: PdfWriter, content: bytes, bbox: Rect, resources: DictionaryObject | None = None
) -> IndirectObject:
    """A Form XObject in ``writer`` drawing ``content`` (operators) within ``bbox``."""
    stream = DecodedStreamObject()
    stream.set_data(content)
    form = stream.flate_encode()
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): _rect_array(bbox),
            NameObject("/Resources"): resources if resources is not None else DictionaryObject(),
        }
    )
    return writer._add_object(form)


# --------------------------------------------------------------------------- actions

_SAFE_URI_SCHEMES = ("http", "https", "mailto")

_ACTIVE_ACTIONS: dict[str, str] = {
    "/JavaScript": "JavaScript",
    "/Launch": "launch action",
    "/ImportData": "data import action",
    "/GoToR": "link to another file",
    "/GoToE": "link to an embedded file",
    "/Rendition": "media",
    "/Movie": "movie",
    "/Sound": "sound",
    "/RichMediaExecute": "rich media",
}

_ACTIVE_ANNOTATIONS: dict[str, str] = {
    "/FileAttachment": "file attachment",
    "/Sound": "sound",
    "/Movie": "movie",
    "/Screen": "media",
    "/RichMedia": "rich media",
    "/3D": "3D content",
}

# Passive annotation kinds carried over; anything else (pop-ups, printer marks,
# unknown kinds) is left behind without comment.
_MARKUP_ANNOTATIONS = frozenset(
    {
        "/Text",
        "/FreeText",
        "/Line",
        "/Square",
        "/Circle",
        "/Polygon",
        "/PolyLine",
        "/Highlight",
        "/Underline",
        "/Squiggly",
        "/StrikeOut",
        "/Stamp",
        "/Caret",
        "/Ink",
    }
)


def _text(value: PdfObject | None) -> str | None:
    if value is None:
        return None
    value = value.get_object()
    if isinstance(value, TextStringObject):
        return str(value)
    if isinstance(value, ByteStringObject):
        return bytes(value).decode("latin-1")
    if isinstance(value, str):
        return str(value)
    return None


def _uri_problem(uri: str) -> str | None:
    try:
        scheme = urlsplit(uri.strip()).scheme.lower()
    except ValueError:  # e.g. "http://[::1": not a link anyone can follow
        return "malformed link"
    if scheme in _SAFE_URI_SCHEMES:
        return None
    if scheme in ("javascript", "vbscript"):
        return "JavaScript"
    return "non-web link"


def _submit_url(action: DictionaryObject) -> str | None:
    target = action.get("/F")
    target = target.get_object() if target is not None else None
    if isinstance(target, DictionaryObject):
        return _text(target.get("/F")) or _text(target.get("/UF"))
    return _text(target)


def _action_problem(action: DictionaryObject) -> str | None:
    """Why this one action (not its /Next chain) must go, or None if it may stay."""
    kind = _name(action, "/S")
    if "/JS" in action:
        return "JavaScript"
    if kind in _ACTIVE_ACTIONS:
        return _ACTIVE_ACTIONS[str(kind)]
    if kind == "/URI":
        uri = _text(action.get("/URI"))
        return _uri_problem(uri) if uri is not None else None
    if kind == "/SubmitForm":
        url = _submit_url(action)
        if url is None or urlsplit(url).scheme.lower() not in ("http", "https"):
            return "form submission to a non-web address"
    return None


def _iter_actions(action: PdfObject | None) -> Iterator[DictionaryObject]:
    """An action and its /Next chain (a dict or array of dicts), each once."""
    todo: list[PdfObject] = [action] if action is not None else []
    seen: set[int] = set()
    while todo:
        item = todo.pop(0).get_object()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ArrayObject):
            todo[:0] = list(item)
        elif isinstance(item, DictionaryObject):
            yield item
            nxt = item.get("/Next")
            if nxt is not None:
                todo.insert(0, nxt)


def _action_problems(action: PdfObject | None) -> list[str]:
    return [p for a in _iter_actions(action) if (p := _action_problem(a)) is not None]


def _additional_action_problems(aa: PdfObject | None) -> list[str]:
    aa = aa.get_object() if aa is not None else None
    if not isinstance(aa, DictionaryObject):
        return []
    problems: list[str] = []
    for trigger in sorted(aa.keys()):
        found = _action_problems(aa.raw_get(trigger))
        problems.extend(found or ["automatic action"])
    return problems


# --------------------------------------------------------------------------- destinations

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


def _opt_float(value: object) -> float | None:
    if isinstance(value, PdfObject):
        value = value.get_object()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


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


# --------------------------------------------------------------------------- annotations


def _copy_dict(
    writer: PdfWriter, src: DictionaryObject, exclude: Iterable[str]
) -> DictionaryObject:
    # A shallow, fresh copy: each placement gets its own annotation object (one
    # annotation can sit on one page only), while appearance streams and fonts
    # underneath are cloned once per writer and shared.  Keys that point back to
    # the source page or field tree are excluded so cloning cannot drag the whole
    # source document along.
    skip = set(exclude)
    copy = DictionaryObject()
    for key, value in src.items():
        if key not in skip:
            copy[NameObject(key)] = value.clone(writer)
    return copy


def _map_points(t: Transformation, values: PdfObject | None) -> ArrayObject | None:
    values = values.get_object() if values is not None else None
    if not isinstance(values, ArrayObject):
        return None
    nums = [_opt_float(v) for v in values]
    if any(n is None for n in nums) or len(nums) % 2:
        return None
    out = ArrayObject()
    for i in range(0, len(nums), 2):
        x, y = t.apply_on((nums[i] or 0.0, nums[i + 1] or 0.0))
        out.extend([_float(x), _float(y)])
    return out


def _transform_geometry(annot: DictionaryObject, src: DictionaryObject, t: Transformation) -> None:
    for key in ("/QuadPoints", "/Vertices", "/L", "/CL"):
        if key in src:
            mapped = _map_points(t, src.get(key))
            if mapped is None:
                del annot[key]
            else:
                annot[NameObject(key)] = mapped
    if "/InkList" in src:
        ink = src["/InkList"]
        paths = ArrayObject()
        if isinstance(ink, ArrayObject):
            for path in ink:
                mapped = _map_points(t, path)
                if mapped is not None:
                    paths.append(mapped)
        annot[NameObject("/InkList")] = paths
    # /RD insets are in unscaled, unturned units; the appearance stream carries
    # the look anyway, so drop them rather than keep them wrong.
    if "/RD" in annot:
        del annot["/RD"]


def _turned_appearance(
    writer: PdfWriter, state: _WriterState, stream_ref: PdfObject, rotation: int
) -> PdfObject:
    """A form drawing ``stream_ref`` turned like the page it sat on."""
    if not isinstance(stream_ref, IndirectObject):
        return stream_ref
    key = (stream_ref.idnum, rotation)
    cached = state.ap_wrappers.get(key)
    if cached is not None:
        return cached
    stream = stream_ref.get_object()
    if not isinstance(stream, StreamObject):
        return stream_ref
    bbox = _as_rect(stream.get("/BBox")) or Rect(0, 0, 1, 1)
    matrix = _get(stream, "/Matrix")
    m = Transformation(
        tuple(float(v) for v in matrix[:6])  # type: ignore[arg-type]
        if isinstance(matrix, ArrayObject) and len(matrix) >= 6
        else (1, 0, 0, 1, 0, 0)
    )
    wrapper = DecodedStreamObject()
    wrapper.set_data(b"/A Do\n")
    wrapper.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): _rect_array(_map_rect(m, bbox)),
            NameObject("/Matrix"): ArrayObject(
                NumberObject(v) for v in (*_ROTATION_CTM[rotation], 0, 0)
            ),
            NameObject("/Resources"): DictionaryObject(
                {NameObject("/XObject"): DictionaryObject({NameObject("/A"): stream_ref})}
            ),
        }
    )
    ref = writer._add_object(wrapper)
    state.ap_wrappers[key] = ref
    return ref


def _turn_appearances(
    writer: PdfWriter, state: _WriterState, annot: DictionaryObject, rotation: int
) -> None:
    # On a rotated source page a viewer turns annotations with the page, unless
    # they are flagged NoRotate; the target page is not rotated, so the turn is
    # built into each appearance instead.
    flags = _opt_float(annot.get("/F")) or 0
    if rotation == 0 or int(flags) & 16 or "/AP" not in annot:
        return
    ap = annot["/AP"]
    if not isinstance(ap, DictionaryObject):
        return
    turned = DictionaryObject()
    for kind, value in ap.items():
        resolved = value.get_object()
        if isinstance(resolved, StreamObject):
            turned[NameObject(kind)] = _turned_appearance(writer, state, value, rotation)
        elif isinstance(resolved, DictionaryObject):
            states = DictionaryObject()
            for name, stream in resolved.items():
                states[NameObject(name)] = _turned_appearance(writer, state, stream, rotation)
            turned[NameObject(kind)] = states
        else:
            turned[NameObject(kind)] = value
    annot[NameObject("/AP")] = turned


def _add_annotation(
    writer: PdfWriter, target: PageObject, annot: DictionaryObject
) -> IndirectObject:
    assert target.indirect_reference is not None
    annot[NameObject("/P")] = target.indirect_reference
    ref = writer._add_object(annot)
    annots = target.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    if not isinstance(annots, ArrayObject):
        annots = ArrayObject()
        target[NameObject("/Annots")] = annots
    annots.append(ref)
    return ref


def _base_uri(doc: PdfReader | PdfWriter | None) -> str | None:
    if doc is None:
        return None
    try:
        uri = doc.root_object.get("/URI")
        uri = uri.get_object() if uri is not None else None
        return _text(uri.get("/Base")) if isinstance(uri, DictionaryObject) else None
    except (PyPdfError, KeyError, ValueError):
        return None


def _action_uri(action: DictionaryObject, doc: PdfReader | PdfWriter | None) -> str | None:
    uri = _text(action.get("/URI")) if _name(action, "/S") == "/URI" else None
    if uri is None:
        return None
    # Relative URIs are relative to the document's /URI /Base, which the binder
    # does not share.
    base = _base_uri(doc)
    return urljoin(base, uri) if base and not urlsplit(uri).scheme else uri


def _link_uri(annot: DictionaryObject, doc: PdfReader | PdfWriter | None) -> str | None:
    action = annot.get("/A")
    action = action.get_object() if action is not None else None
    return _action_uri(action, doc) if isinstance(action, DictionaryObject) else None


_LINK_KEYS = ("/Border", "/BS", "/C", "/H", "/F", "/Contents")


@dataclass
class _Placement:
    writer: PdfWriter
    state: _WriterState
    target: PageObject
    src: PageObject
    doc: PdfReader | PdfWriter | None
    transform: Transformation
    rotation: int
    clip: Rect | None
    link_targets: Callable[[int], PageObject | None] | None
    field_prefix: str | None
    removed: list[str] = field(default_factory=list)
    links: list[tuple[Rect, str]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)

    def target_rect(self, annot: DictionaryObject) -> Rect | None:
        r = _as_rect(annot.get("/Rect"))
        if r is None:
            return None
        mapped = _map_rect(self.transform, r)
        if self.clip is not None and mapped.intersection(self.clip) is None:
            return None
        return mapped

    def safe_action(self, action: PdfObject | None) -> DictionaryObject | ArrayObject | None:
        """A fresh copy of a harmless action (no /Next chain), or None; reports the rest."""
        actions = list(_iter_actions(action))
        if not actions:
            return None
        for extra in actions[1:]:
            problem = _action_problem(extra)
            if problem is not None:
                self.removed.append(problem)
        first = actions[0]
        problem = _action_problem(first)
        if problem is not None:
            self.removed.append(problem)
            return None
        kind = _name(first, "/S")
        if kind == "/URI":
            uri = _action_uri(first, self.doc)
            return _uri_action(uri) if uri else None
        if kind == "/GoTo" and self.doc is not None:
            return _link_dest(
                self.writer, self.state, self.doc, first.raw_get("/D"), self.link_targets
            )
        if kind == "/Named":
            return DictionaryObject(
                {
                    NameObject("/S"): NameObject("/Named"),
                    NameObject("/N"): first["/N"].clone(self.writer),
                }
            )
        if kind in ("/SubmitForm", "/ResetForm"):
            # The field list named the original's field objects, which the binder
            # does not have.  Without a list the action covers every field of the
            # binder — other handouts' answers included — so with a prefix it is
            # narrowed to this copy of the form.
            copy = _copy_dict(self.writer, first, ("/Next", "/Fields"))
            flags = int(_opt_float(first.get("/Flags")) or 0)
            copy[NameObject("/Flags")] = NumberObject(flags & ~1)  # bit 1: "exclude"
            if self.field_prefix:
                parent = _prefix_parent(self.writer, self.state, self.field_prefix)
                assert parent.indirect_reference is not None
                copy[NameObject("/Fields")] = ArrayObject([parent.indirect_reference])
            return copy
        return None

    def copy_link(self, annot: DictionaryObject) -> None:
        rect = self.target_rect(annot)
        if rect is None:
            return
        if self.clip is not None:
            rect = rect.intersection(self.clip) or rect
        link = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): _rect_array(rect),
            }
        )
        for key in _LINK_KEYS:
            if key in annot:
                link[NameObject(key)] = annot.raw_get(key).clone(self.writer)
        _transform_geometry(link, annot, self.transform)
        self.removed.extend(_additional_action_problems(annot.get("/AA")))
        if "/Dest" in annot:
            if self.doc is None:
                return
            dest = _link_dest(
                self.writer, self.state, self.doc, annot.raw_get("/Dest"), self.link_targets
            )
            if dest is None:
                return
            link[NameObject("/Dest")] = dest
        else:
            action = self.safe_action(annot.raw_get("/A") if "/A" in annot else None)
            if action is None:
                return
            if isinstance(action, ArrayObject):
                link[NameObject("/Dest")] = action
            else:
                link[NameObject("/A")] = action
                uri = _text(action.get("/URI")) if _name(action, "/S") == "/URI" else None
                if uri:
                    self.links.append((rect, uri))
        _add_annotation(self.writer, self.target, link)

    def copy_markup(self, annot: DictionaryObject) -> None:
        rect = self.target_rect(annot)
        if rect is None:
            return
        self.removed.extend(_action_problems(annot.get("/A")))
        self.removed.extend(_additional_action_problems(annot.get("/AA")))
        copy = _copy_dict(
            self.writer,
            annot,
            ("/P", "/Popup", "/IRT", "/Parent", "/A", "/AA", "/StructParent", "/NM"),
        )
        copy[NameObject("/Rect")] = _rect_array(rect)
        _transform_geometry(copy, annot, self.transform)
        _turn_appearances(self.writer, self.state, copy, self.rotation)
        _add_annotation(self.writer, self.target, copy)


def _uri_action(uri: str) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Action"),
            NameObject("/S"): NameObject("/URI"),
            NameObject("/URI"): TextStringObject(uri),
        }
    )


# --------------------------------------------------------------------------- forms

# Keys of a field dictionary; the remaining keys of a merged field/widget belong
# to the widget annotation.
_FIELD_KEYS = frozenset(
    {
        "/FT",
        "/Ff",
        "/V",
        "/DV",
        "/T",
        "/TU",
        "/TM",
        "/MaxLen",
        "/Opt",
        "/TI",
        "/I",
        "/Q",
        "/DA",
        "/DS",
        "/RV",
        "/Lock",
        "/SV",
    }
)
_TREE_KEYS = ("/Kids", "/Parent", "/P", "/A", "/AA", "/StructParent")
_TF_RE = re.compile(r"(\d*\.?\d+)(\s+Tf)")


def _scaled_da(da: str, scale: float) -> str:
    def repl(m: re.Match[str]) -> str:
        size = float(m.group(1))
        return (_num(size * scale) if size > 0 else m.group(1)) + m.group(2)

    return _TF_RE.sub(repl, da, count=1)


def _acroform(writer: PdfWriter) -> DictionaryObject:
    root = writer.root_object
    form = _resolved_dict(root, "/AcroForm")
    fields = form.get("/Fields")
    if not isinstance(fields.get_object() if fields is not None else None, ArrayObject):
        form[NameObject("/Fields")] = ArrayObject()
    return form


def _qualified_name(node: DictionaryObject) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    current: DictionaryObject | None = node
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = _text(current.get("/T"))
        if name is not None:
            parts.append(name)
        parent = current.get("/Parent")
        parent = parent.get_object() if parent is not None else None
        current = parent if isinstance(parent, DictionaryObject) else None
    return ".".join(reversed(parts))


def _merge_form_resources(
    writer: PdfWriter, doc: PdfReader | PdfWriter | None
) -> DictionaryObject | None:
    """Bring the source form's fonts and defaults over; return the source /AcroForm."""
    if doc is None:
        return None
    src_form = doc.root_object.get("/AcroForm")
    src_form = src_form.get_object() if src_form is not None else None
    if not isinstance(src_form, DictionaryObject):
        return None
    form = _acroform(writer)
    src_dr = src_form.get("/DR")
    src_dr = src_dr.get_object() if src_dr is not None else None
    if isinstance(src_dr, DictionaryObject):
        dr = _resolved_dict(form, "/DR")
        for category in ("/Font", "/Encoding"):
            src_cat = src_dr.get(category)
            src_cat = src_cat.get_object() if src_cat is not None else None
            if not isinstance(src_cat, DictionaryObject):
                continue
            cat = _resolved_dict(dr, category)
            for name, value in src_cat.items():
                # Keep an existing resource of the same name: fields already in
                # the binder use it, and /Helv and friends mean the same font.
                if name not in cat:
                    cat[NameObject(name)] = value.clone(writer)
    if "/DA" in src_form and "/DA" not in form:
        form[NameObject("/DA")] = src_form.raw_get("/DA").clone(writer)
    return src_form


def _prefix_parent(writer: PdfWriter, state: _WriterState, prefix: str) -> DictionaryObject:
    """The field named ``prefix`` that copied fields hang under, created on first use.

    A partial field name may not contain a period, so ``a.b`` becomes a field
    ``b`` under a field ``a`` — which gives the same fully-qualified names.
    """
    parent = state.prefix_parents.get(prefix)
    if parent is not None:
        return parent
    head, _, last = prefix.rpartition(".")
    parent = DictionaryObject(
        {NameObject("/T"): TextStringObject(last), NameObject("/Kids"): ArrayObject()}
    )
    ref = writer._add_object(parent)
    if head:
        above = _prefix_parent(writer, state, head)
        assert above.indirect_reference is not None
        parent[NameObject("/Parent")] = above.indirect_reference
        siblings = above["/Kids"]
    else:
        siblings = _acroform(writer)["/Fields"]
    assert isinstance(siblings, ArrayObject)
    siblings.append(ref)
    state.prefix_parents[prefix] = parent
    return parent


def _field_chain(widget: DictionaryObject) -> list[DictionaryObject]:
    """The widget's field ancestors, nearest first (a merged field/widget included)."""
    chain: list[DictionaryObject] = []
    seen: set[int] = {id(widget)}
    if "/T" in widget:
        chain.append(widget)
    node = widget.get("/Parent")
    while node is not None:
        resolved = node.get_object()
        if not isinstance(resolved, DictionaryObject) or id(resolved) in seen:
            break
        seen.add(id(resolved))
        chain.append(resolved)
        node = resolved.get("/Parent")
    return chain


def _copy_widget(
    p: _Placement, widget: DictionaryObject, src_form: DictionaryObject | None
) -> None:
    rect = p.target_rect(widget)
    if rect is None:
        return
    writer, state = p.writer, p.state
    chain = _field_chain(widget)
    merged = "/T" in widget
    exclude = set(_TREE_KEYS) | {"/NM"} | (_FIELD_KEYS - {"/DA"} if merged else set())
    if _name(widget, "/FT") == "/Sig" or any(_name(n, "/FT") == "/Sig" for n in chain):
        # A signature does not survive being moved into another document.
        exclude |= {"/V"}
    copy = _copy_dict(writer, widget, exclude)
    copy[NameObject("/Rect")] = _rect_array(rect)
    p.removed.extend(_additional_action_problems(widget.get("/AA")))
    if "/A" in widget:
        action = p.safe_action(widget.raw_get("/A"))
        if isinstance(action, DictionaryObject):
            copy[NameObject("/A")] = action
        elif isinstance(action, ArrayObject):
            copy[NameObject("/A")] = DictionaryObject(
                {NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): action}
            )

    # Text size follows the drawing's scale, so a regenerated appearance matches.
    da = _text(widget.get("/DA"))
    for node in chain:
        if da is not None:
            break
        da = _text(node.get("/DA"))
    if da is None and src_form is not None:
        da = _text(src_form.get("/DA"))
    scale = _scale_of(p.transform)
    if da is not None and abs(scale - 1) > 1e-6:
        copy[NameObject("/DA")] = TextStringObject(_scaled_da(da, scale))

    mk = _get(copy, "/MK")
    if p.rotation and isinstance(mk, DictionaryObject):
        mk = DictionaryObject(mk)
        turn = int(_opt_float(mk.get("/R")) or 0)
        mk[NameObject("/R")] = NumberObject((turn - p.rotation) % 360)
        copy[NameObject("/MK")] = mk
    _turn_appearances(writer, state, copy, p.rotation)

    widget_ref = _add_annotation(writer, p.target, copy)
    if not chain:
        return  # a widget that belongs to no field: an annotation, nothing to fill

    # Rebuild the field tree above the widget, one clone per source field (and
    # per prefix): repeated placements with one prefix share the field and its
    # value, a field whose widgets span pages stays one field.
    child: DictionaryObject = copy
    child_ref: IndirectObject = widget_ref
    terminal: DictionaryObject | None = None
    doc_key = id(p.doc)
    for level, node in enumerate(chain):
        ref = node.indirect_reference
        key = (doc_key, ref.idnum if ref is not None else id(node), p.field_prefix)
        clone = state.field_nodes.get(key)
        created = clone is None
        if clone is None:
            keep = _FIELD_KEYS if node is widget else None
            clone = _copy_dict(
                writer,
                node,
                set(_TREE_KEYS)
                | ({k for k in node if k not in keep} if keep is not None else set())
                | ({"/V"} if _name(node, "/FT") == "/Sig" else set()),
            )
            p.removed.extend(_additional_action_problems(node.get("/AA")))
            top = level == len(chain) - 1
            if top and "/DA" not in clone and src_form is not None and "/DA" in src_form:
                # Top-level fields inherit /DA from their form's /AcroForm, which
                # the binder's /AcroForm may not share.
                clone[NameObject("/DA")] = src_form.raw_get("/DA").clone(writer)
            clone[NameObject("/Kids")] = ArrayObject()
            writer._add_object(clone)
            state.docs[doc_key] = p.doc
            state.field_nodes[key] = clone
        if terminal is None:
            terminal = clone
        assert clone.indirect_reference is not None
        kids = clone["/Kids"]
        assert isinstance(kids, ArrayObject)
        kids.append(child_ref)
        child[NameObject("/Parent")] = clone.indirect_reference
        child, child_ref = clone, clone.indirect_reference
        if not created:
            break
    else:
        # The loop ran to the top of the source tree with new clones only: hang
        # the new top-level field under the prefix, or into the form itself.
        if p.field_prefix:
            parent = _prefix_parent(writer, state, p.field_prefix)
            kids = parent["/Kids"]
            assert isinstance(kids, ArrayObject)
            assert parent.indirect_reference is not None
            kids.append(child_ref)
            child[NameObject("/Parent")] = parent.indirect_reference
        else:
            fields = _acroform(writer)["/Fields"].get_object()
            assert isinstance(fields, ArrayObject)
            fields.append(child_ref)
    if terminal is not None:
        name = _qualified_name(terminal)
        if name and name not in p.fields:
            p.fields.append(name)


# --------------------------------------------------------------------------- placing


def _reading_order(items: list[tuple[Rect, str]]) -> list[str]:
    """URIs sorted top to bottom, left to right (in displayed space), each once."""
    ordered = sorted(items, key=lambda it: (-it[0].y1, it[0].x0))
    lines: list[list[tuple[Rect, str]]] = []
    for item in ordered:
        # Links whose boxes overlap vertically share a line.
        if lines and item[0].y1 > lines[-1][0][0].y0 + 0.5 * lines[-1][0][0].height:
            lines[-1].append(item)
        else:
            lines.append([item])
    result: list[str] = []
    for line in lines:
        for _, uri in sorted(line, key=lambda it: it[0].x0):
            if uri not in result:
                result.append(uri)
    return result


def place_page(
    writer: PdfWriter,
    target: PageObject,
    src: PageObject,
    slot: Rect,
    *,
    link_targets: Callable[[int], PageObject | None] | None = None,
    field_prefix: str | None = None,
    clip: bool = True,
) -> PlacedPage:
    """Draw ``src`` into ``slot`` on ``target`` (a page of ``writer``), with its annotations.

    - The page is drawn with :func:`fit_transform`: turned as its ``/Rotate``
      says, scaled to fit, centred.  With ``clip`` (the default) nothing outside
      its crop box or the slot is drawn.
    - Web links keep working where the link now is; links to other pages of the
      same document go to ``link_targets(page_index)`` (dropped when that is
      None or no callback is given).
    - Form fields stay fillable; with ``field_prefix`` they become kids of a
      field of that name (``h1.q0``), so two copies of one form do not share
      values.  Without it, the names are kept, and placing the same page twice
      gives two widgets of one field.
    - JavaScript, launch and import actions, non-web form submissions, media,
      file attachments and additional actions are dropped and reported.
    """
    ref = target.indirect_reference
    if ref is None or ref.pdf is not writer:
        raise ValueError("target must be a page of writer (e.g. from writer.pages)")
    state = _state(writer)
    doc = _source_doc(src)
    transform = fit_transform(src, slot)
    drawn = _map_rect(transform, visible_box(src))
    clip_rect = (drawn.intersection(slot) or drawn) if clip else None
    _draw_form(writer, state, target, _form_xobject(writer, state, src), transform, clip_rect)

    p = _Placement(
        writer=writer,
        state=state,
        target=target,
        src=src,
        doc=doc,
        transform=transform,
        rotation=_rotation(src),
        clip=clip_rect,
        link_targets=link_targets,
        field_prefix=field_prefix,
    )
    p.removed.extend(_additional_action_problems(src.get("/AA")))

    annots = src.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    src_form: DictionaryObject | None = None
    form_merged = False
    for item in annots if isinstance(annots, ArrayObject) else []:
        annot = item.get_object()
        if not isinstance(annot, DictionaryObject):
            continue
        subtype = _name(annot, "/Subtype")
        if subtype in _ACTIVE_ANNOTATIONS:
            p.removed.append(_ACTIVE_ANNOTATIONS[str(subtype)])
        elif subtype == "/Link":
            p.copy_link(annot)
        elif subtype == "/Widget":
            if not form_merged:
                src_form = _merge_form_resources(writer, doc)
                form_merged = True
                if src_form is not None and "/XFA" in src_form:
                    p.removed.append("XFA form")
            _copy_widget(p, annot, src_form)
            # The widgets keep their own appearance streams, drawn scaled into
            # the new rectangles; only a form that already asked viewers to
            # redraw its fields keeps asking (forcing it makes viewers redraw
            # checkboxes with fonts the form never declared).
            if src_form is not None and src_form.get("/NeedAppearances"):
                _acroform(writer)[NameObject("/NeedAppearances")] = BooleanObject(True)
        elif subtype in _MARKUP_ANNOTATIONS:
            p.copy_markup(annot)

    if doc is not None and src.indirect_reference is not None:
        index = _page_numbers(state, doc).get(src.indirect_reference.idnum)
        if index is not None:
            key = (id(doc), index, ref.idnum)
            box = visible_box(src)
            state.placements[key] = (transform, box)
            for pending in state.pending.pop(key, []):
                _set_dest(
                    pending.dest, ref, *_mapped_dest_args(pending.fit, pending.args, transform, box)
                )

    # Target space is the displayed page scaled and shifted, so reading order
    # can be taken there directly.
    return PlacedPage(
        removed_active=p.removed,
        links=_reading_order(p.links),
        fields=p.fields,
        transform=transform,
    )


_HIDDEN_FLAGS = 2 | 32
"""Annotation flags Hidden and NoView (PDF 32000-1, 12.5.3): a viewer never shows the link."""
_MIN_LINK_PT = 1.0
"""A link area thinner than this on the visible page cannot be seen or clicked."""


def _link_shown(annot: DictionaryObject, rect: Rect, width: float, height: float) -> bool:
    """Whether a reader of the page can see and click a link at ``rect`` (displayed space)."""
    flags = _get(annot, "/F")
    # /F is an integer; anything else is damage, read as no flags, as viewers do.
    if isinstance(flags, int) and flags & _HIDDEN_FLAGS:
        return False
    # The part of the link on the visible page (crop box), not under its edges.
    visible_w = min(rect.x1, width) - max(rect.x0, 0.0)
    visible_h = min(rect.y1, height) - max(rect.y0, 0.0)
    return visible_w >= _MIN_LINK_PT and visible_h >= _MIN_LINK_PT


def uri_links(reader_page: PageObject) -> list[str]:
    """Web URIs (http, https, mailto) of a page's link annotations, in reading order, each once.

    Other schemes (``javascript:``, ``file:``…) are left out: :func:`place_page`
    drops them, so they are not links a reader of the packet can follow. So are
    links no reader can see (hidden, or off or nearly off the visible page): a
    handout could otherwise plant URLs in the packet's appendix unseen.
    """
    width, height = displayed_size(reader_page)
    display = fit_transform(reader_page, Rect(0, 0, width, height))
    doc = _source_doc(reader_page)
    found: list[tuple[Rect, str]] = []
    annots = reader_page.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    for item in annots if isinstance(annots, ArrayObject) else []:
        annot = item.get_object()
        if not isinstance(annot, DictionaryObject) or _name(annot, "/Subtype") != "/Link":
            continue
        uri = _link_uri(annot, doc)
        rect = _as_rect(annot.get("/Rect"))
        if uri is None or rect is None or _uri_problem(uri) is not None:
            continue
        if uri.lower().startswith(("http:", "https:")) and url_problem(uri) is not None:
            continue  # a port or host no browser accepts: nothing to print a code for
        shown = _map_rect(display, rect)
        if not _link_shown(annot, shown, width, height):
            continue
        found.append((shown, uri))
    return _reading_order(found)


# --------------------------------------------------------------------------- scrubbing


def _strip_action_entry(holder: DictionaryObject, key: str, found: list[str]) -> None:
    """Remove ``holder[key]`` if the action is active; cut an active /Next chain off."""
    if key not in holder:
        return
    action = holder[key]
    if not isinstance(action, DictionaryObject):
        return  # a destination array, e.g. /OpenAction [page /Fit]
    first = _action_problem(action)
    if first is not None:
        found.append(first)
        found.extend(_action_problems(action.get("/Next")))
        del holder[key]
        return
    rest = _action_problems(action.get("/Next"))
    if rest:
        found.extend(rest)
        del action["/Next"]


def _strip_aa(holder: DictionaryObject, found: list[str]) -> None:
    if "/AA" in holder:
        found.extend(_additional_action_problems(holder.get("/AA")))
        del holder["/AA"]


def _walk_fields(fields: PdfObject | None) -> Iterator[DictionaryObject]:
    todo = [fields] if fields is not None else []
    seen: set[int] = set()
    while todo:
        item = todo.pop().get_object()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ArrayObject):
            todo.extend(item)
        elif isinstance(item, DictionaryObject):
            yield item
            if "/Kids" in item:
                todo.append(item.raw_get("/Kids"))


def _walk_outline(outlines: PdfObject | None) -> Iterator[DictionaryObject]:
    todo = [outlines] if outlines is not None else []
    seen: set[int] = set()
    while todo:
        item = todo.pop().get_object()
        if not isinstance(item, DictionaryObject) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        for key in ("/First", "/Next"):
            if key in item:
                todo.append(item.raw_get(key))


def _sweep_problem(obj: PdfObject) -> str | None:
    """Why an object of the writer must be blanked regardless of who refers to it."""
    if not isinstance(obj, DictionaryObject):
        return None
    if isinstance(obj, StreamObject) and _name(obj, "/Type") == "/EmbeddedFile":
        return "embedded file"
    if _name(obj, "/Type") == "/Filespec" and "/EF" in obj:
        return "embedded file"
    if "/S" in obj and (problem := _action_problem(obj)) is not None:
        return problem
    if "/JS" in obj:
        return "JavaScript"
    subtype = _name(obj, "/Subtype")
    # /Type /Annot is optional; /Rect is what every annotation has.
    if subtype in _ACTIVE_ANNOTATIONS and "/Rect" in obj:
        return _ACTIVE_ANNOTATIONS[subtype]
    return None


def strip_active_content(writer: PdfWriter) -> list[str]:
    """Remove active content from a whole document; describe what went, each kind once.

    Removes JavaScript and launch (and other non-web) actions wherever they are
    referenced — the open action, document, page, field and annotation
    additional actions, link and widget actions, outline items — the document's
    JavaScript and embedded-file name trees, XFA, and media or attachment
    annotations.  A final sweep blanks any such object still stored in the
    writer, referenced or not, since pypdf writes unreferenced objects too.
    """
    found: list[str] = []
    root = writer.root_object
    _strip_action_entry(root, "/OpenAction", found)
    _strip_aa(root, found)

    names = root.get("/Names")
    names = names.get_object() if names is not None else None
    if isinstance(names, DictionaryObject):
        if "/JavaScript" in names:
            found.append("JavaScript")
            del names["/JavaScript"]
        if "/EmbeddedFiles" in names:
            found.append("embedded file")
            del names["/EmbeddedFiles"]
    if "/Collection" in root:
        del root["/Collection"]  # a portfolio view of the embedded files just removed

    form = root.get("/AcroForm")
    form = form.get_object() if form is not None else None
    if isinstance(form, DictionaryObject):
        if "/XFA" in form:
            found.append("XFA form")
            del form["/XFA"]
        if "/CO" in form:
            del form["/CO"]  # calculation order: only meaningful with calculation scripts
        for node in _walk_fields(form.raw_get("/Fields") if "/Fields" in form else None):
            _strip_aa(node, found)
            _strip_action_entry(node, "/A", found)

    for page in writer.pages:
        _strip_aa(page, found)
        annots = page.get("/Annots")
        annots = annots.get_object() if annots is not None else None
        if not isinstance(annots, ArrayObject):
            continue
        kept = ArrayObject()
        for item in annots:
            annot = item.get_object()
            if not isinstance(annot, DictionaryObject):
                continue
            subtype = _name(annot, "/Subtype")
            if subtype in _ACTIVE_ANNOTATIONS:
                found.append(_ACTIVE_ANNOTATIONS[str(subtype)])
                continue
            _strip_aa(annot, found)
            had_action = "/A" in annot
            _strip_action_entry(annot, "/A", found)
            if subtype == "/Link" and had_action and "/A" not in annot and "/Dest" not in annot:
                continue  # a link that no longer goes anywhere
            kept.append(item)
        annots[:] = kept

    outlines = root.get("/Outlines")
    outlines = outlines.get_object() if outlines is not None else None
    if isinstance(outlines, DictionaryObject) and "/First" in outlines:
        for item in _walk_outline(outlines.raw_get("/First")):
            _strip_action_entry(item, "/A", found)

    # pypdf has no public way to list or blank a writer's objects; _objects and
    # _replace_object are its internals (pypdf 7.1), used here because it writes
    # every stored object, referenced or not.
    for idnum, obj in enumerate(writer._objects, start=1):
        if obj is None:
            continue
        if isinstance(obj, NameObject) and obj in _ACTIVE_ACTIONS:
            # A bare indirect name such as /Launch exists only to be an action's
            # /S; blanking it leaves anything still pointing at it inert.
            writer._replace_object(idnum, NullObject())
            continue
        problem = _sweep_problem(obj)
        if problem is not None:
            found.append(problem)
            writer._replace_object(idnum, NullObject())

    return list(dict.fromkeys(found))
