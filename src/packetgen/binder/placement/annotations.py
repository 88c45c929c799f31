"""Annotations of a placed page: links and markup, carried over where they now sit.

Each copy is a fresh annotation (one annotation can sit on one page only)
with its rectangle and geometry mapped through the drawing's transformation,
its appearance turned like the page it sat on, and only harmless actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from packetgen.binder.placement.actions import (
    _action_problem,
    _action_problems,
    _additional_action_problems,
    _iter_actions,
)
from packetgen.binder.placement.destinations import _link_dest
from packetgen.binder.placement.forms import _prefix_parent
from packetgen.binder.placement.geometry import (
    _ROTATION_CTM,
    Rect,
    _as_rect,
    _float,
    _map_rect,
    _rect_array,
)
from packetgen.binder.placement.state import _WriterState
from packetgen.binder.placement.values import _get, _name, _opt_float, _text


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
