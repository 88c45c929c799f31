"""The forms (drawn pieces, Form XObjects) a handout page draws, each once.

Reading a page's text, and telling a scan from a page with text, both need
what the page draws through forms as well as its own content. A damaged file
can nest forms without end or have a form draw itself: each form is given
once, and only down to a bounded depth (real files nest two or three).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

__all__ = ["MAX_FORM_DEPTH", "drawn_forms", "resources_of"]

MAX_FORM_DEPTH = 8
"""Forms nested deeper than this are not given (pypdf's text reading does not go
that deep either)."""


def resources_of(value: Any) -> DictionaryObject | None:
    """A page's or a form's ``/Resources``, resolved; None when there is none."""
    resolved = value.get_object() if value is not None else None
    return resolved if isinstance(resolved, DictionaryObject) else None


def drawn_forms(page: DictionaryObject) -> Iterator[StreamObject]:
    """Every form the page draws, directly or through other forms, each once,
    nested at most :data:`MAX_FORM_DEPTH` deep; lazily, so a caller may stop early."""
    seen: set[tuple[int, int]] = set()

    def walk(resources: DictionaryObject | None, depth: int) -> Iterator[StreamObject]:
        if resources is None or depth >= MAX_FORM_DEPTH:
            return
        objects = resources_of(resources.get("/XObject"))
        for value in (objects or DictionaryObject()).values():
            form = value.get_object()
            key = (
                (value.idnum, value.generation)
                if isinstance(value, IndirectObject)
                else (-1, id(form))
            )
            if key in seen or not isinstance(form, StreamObject):
                continue
            seen.add(key)
            if form.get("/Subtype") == "/Form":
                yield form
                yield from walk(resources_of(form.get("/Resources")), depth + 1)

    yield from walk(resources_of(page.get("/Resources")), 0)
