"""Placing a page: draw it into a slot and carry over its links, fields and markup.

Also reads a page's web links as a reader sees them, in reading order, for
the links appendix and its QR codes.
"""

from __future__ import annotations

from collections.abc import Callable

from pypdf import PageObject, PdfWriter
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, NameObject

from packetgen.binder.placement.actions import (
    _ACTIVE_ANNOTATIONS,
    _MARKUP_ANNOTATIONS,
    _additional_action_problems,
    _uri_problem,
)
from packetgen.binder.placement.annotations import _link_uri, _Placement
from packetgen.binder.placement.content import _draw_form, _form_xobject
from packetgen.binder.placement.destinations import _mapped_dest_args, _set_dest
from packetgen.binder.placement.forms import _acroform, _merge_form_resources
from packetgen.binder.placement.geometry import (
    _ROTATION_CTM,
    Rect,
    _as_rect,
    _map_rect,
    _turned_rotation,
    displayed_size,
    fit_transform,
    visible_box,
)
from packetgen.binder.placement.state import PlacedPage, _page_numbers, _source_doc, _state
from packetgen.binder.placement.values import _get, _name
from packetgen.binder.placement.widgets import _copy_widget
from packetgen.spec.models import url_problem

__all__ = ["place_page", "uri_links"]


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


def _unturned(rect: Rect, turn: int) -> Rect:
    """``rect`` turned back by ``turn`` degrees (about the origin): where it lies on the
    page as its reader holds it, which is all reading order needs."""
    a, b, c, d = _ROTATION_CTM[(360 - turn) % 360]
    corners = [
        (a * x + c * y, b * x + d * y) for x in (rect.x0, rect.x1) for y in (rect.y0, rect.y1)
    ]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return Rect(min(xs), min(ys), max(xs), max(ys))


def place_page(
    writer: PdfWriter,
    target: PageObject,
    src: PageObject,
    slot: Rect,
    *,
    link_targets: Callable[[int], PageObject | None] | None = None,
    field_prefix: str | None = None,
    clip: bool = True,
    turn: int = 0,
) -> PlacedPage:
    """Draw ``src`` into ``slot`` on ``target`` (a page of ``writer``), with its annotations.

    - The page is drawn with :func:`fit_transform`: turned as its ``/Rotate``
      says, scaled to fit, centred.  With ``clip`` (the default) nothing outside
      its crop box or the slot is drawn.  ``turn`` turns it further, clockwise
      (a multiple of 90): a landscape page printed sideways (``quarter_turn``);
      its links, fields and markup turn with it.
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
    rotation = _turned_rotation(src, turn)
    transform = fit_transform(src, slot, turn=turn)
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
        # Appearances and widget captions turn by the page's own /Rotate and the
        # binder's turn together: both are turns of the drawing.
        rotation=rotation,
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

    # Target space is the displayed page scaled, shifted and turned by ``turn``:
    # turned back, reading order can be taken there.
    turn %= 360
    links = [(_unturned(r, turn), uri) for r, uri in p.links] if turn else p.links
    return PlacedPage(
        removed_active=p.removed,
        links=_reading_order(links),
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
