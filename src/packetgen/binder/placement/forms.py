"""The binder's form field tree: where copied fields hang, and their defaults.

Copied fields hang under a field named after the in-service and item (so two
copies of one form do not share values); the source form's fonts and default
appearance come along.
"""

from __future__ import annotations

import re

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from packetgen.binder.placement.content import _resolved_dict
from packetgen.binder.placement.geometry import _num
from packetgen.binder.placement.state import _WriterState
from packetgen.binder.placement.values import _text

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
