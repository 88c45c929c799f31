"""Values read out of PDF objects without trusting them.

Entries resolved through indirect references (a check on ``/S`` cannot be
dodged by storing the name indirectly), names and text strings as ``str``,
numbers as ``float``, and page attributes inherited from the page tree.
"""

from __future__ import annotations

from pypdf.generic import (
    ByteStringObject,
    DictionaryObject,
    NameObject,
    PdfObject,
    TextStringObject,
)


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


def _opt_float(value: object) -> float | None:
    if isinstance(value, PdfObject):
        value = value.get_object()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
