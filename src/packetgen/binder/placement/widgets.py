"""Form widgets of a placed page: still fillable in the binder.

A widget is copied like an annotation; the field tree above it is rebuilt,
one clone per source field and prefix, so a field whose widgets span pages
stays one field and repeated placements under one prefix share it.
"""

from __future__ import annotations

from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from packetgen.binder.placement.actions import _additional_action_problems
from packetgen.binder.placement.annotations import (
    _add_annotation,
    _copy_dict,
    _Placement,
    _turn_appearances,
)
from packetgen.binder.placement.forms import (
    _FIELD_KEYS,
    _TREE_KEYS,
    _acroform,
    _field_chain,
    _prefix_parent,
    _qualified_name,
    _scaled_da,
)
from packetgen.binder.placement.geometry import _rect_array, _scale_of
from packetgen.binder.placement.values import _get, _name, _opt_float, _text


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

    if p.rotation:
        # A widget without /MK still needs its /R: a viewer that draws the field
        # (NeedAppearances, or after it is filled in) would write its text
        # across a turned box instead of along it.
        mk = _get(copy, "/MK")
        mk = DictionaryObject(mk) if isinstance(mk, DictionaryObject) else DictionaryObject()
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
