"""Removing active content from a whole document, whoever refers to it.

The last step before writing: JavaScript, launch actions, embedded files,
XFA and media go, wherever they are referenced, and a final sweep blanks any
such object the writer still holds.
"""

from __future__ import annotations

from collections.abc import Iterator

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NullObject,
    PdfObject,
    StreamObject,
)

from packetgen.binder.placement.actions import (
    _ACTIVE_ACTIONS,
    _ACTIVE_ANNOTATIONS,
    _action_problem,
    _action_problems,
    _additional_action_problems,
)
from packetgen.binder.placement.values import _name

__all__ = ["strip_active_content"]


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
