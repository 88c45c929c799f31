"""Content streams: a source page as a Form XObject, drawn into a target page.

Each source page becomes one Form XObject per writer, however often it is
drawn; drawing appends a stream with a ``cm`` and a ``Do`` to the target page,
fencing the page's own content in ``q``/``Q`` first. Stamps (headers, page
numbers, QR codes) use the same helpers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pypdf import PageObject, PdfWriter, Transformation
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
)

from packetgen.binder.placement.geometry import Rect, _media_box, _num, _rect_array
from packetgen.binder.placement.state import _source_doc, _state, _WriterState
from packetgen.binder.placement.values import _inherited
from packetgen.errors import HandoutError

__all__ = ["append_ops", "as_artifact", "draw_xobject", "form_xobject", "xobject_ops"]


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
