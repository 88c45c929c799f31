"""Which actions and annotations are active content, and why.

Handouts may come from anywhere: JavaScript, launch and import actions, links
to other files, media and non-web form submissions are named here, so that
placing a page can drop them and say what went.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from pypdf.generic import ArrayObject, DictionaryObject, PdfObject

from packetgen.binder.placement.values import _name, _text

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
