"""A saved web page's bytes → text → a small tree of elements.

The standard library's tokenizer builds the tree (no script runs; nothing is
fetched), closing the elements HTML ends implicitly (``<li>``, ``<p>``…) as
browsers do in the common cases. Every walk over the tree is iterative, so
deeply nested markup cannot exhaust the stack; past :data:`MAX_ELEMENTS` the
rest of the page is not read.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from html.parser import HTMLParser

__all__ = ["MAX_ELEMENTS", "NO_TEXT", "SCAN", "Node", "TreeBuilder", "decode_page"]

MAX_ELEMENTS = 400_000
"""Elements read from one page: a resource page has a few thousand; past this
the rest of the page is not read (and the import says so)."""

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
# Their text is never content: code, styles, and fallbacks shown only without scripts.
NO_TEXT = frozenset({"script", "style", "template", "noscript", "svg", "math", "iframe", "object",
                      "select", "textarea", "button"})  # fmt: skip
# An open element that a new one implicitly ends, unless one of the
# boundaries is open nearer (the HTML rules, the common cases).
_IMPLIED_END: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "tr": (frozenset({"tr", "td", "th"}), frozenset({"table", "tbody", "thead", "tfoot"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "option": (frozenset({"option"}), frozenset({"select"})),
}
_ENDS_P = frozenset(
    {"p", "div", "ul", "ol", "dl", "table", "h1", "h2", "h3", "h4", "h5", "h6", "section",
     "article", "blockquote", "pre", "form", "hr", "main", "nav", "header", "footer",
     "aside", "figure", "address", "details", "fieldset"}
)  # fmt: skip
SCAN = 64  # how far up the open elements an implied end looks


class Node:
    """One element: its tag, attributes and children (elements and text)."""

    __slots__ = ("attrs", "children", "parent", "tag")

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def iter(self) -> Iterator[Node]:
        """This element and every element inside it, in document order."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(c for c in reversed(node.children) if isinstance(c, Node))

    def text(self) -> str:
        parts: list[str] = []
        stack: list[Node | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                parts.append(item)
            elif item.tag not in NO_TEXT:
                stack.extend(reversed(item.children))
        return " ".join("".join(parts).split())

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def decode_page(html: bytes) -> tuple[str, str]:
    """The page's text and the encoding it was read in.

    A byte-order mark wins, then a declared ``<meta charset>`` or
    ``http-equiv`` content type; an undeclared page is UTF-8 when it decodes
    as UTF-8, else windows-1252, what browsers assume for old pages.
    """
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if html.startswith(bom):
            return html[len(bom) :].decode(name, errors="replace"), name
    declared = _declared_encoding(html[:8192])
    if declared is None:
        try:
            return html.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            declared = "cp1252"
    return html.decode(declared, errors="replace"), declared


_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)


def _declared_encoding(head: bytes) -> str | None:
    found = _META_CHARSET.search(head)
    if found is None:
        return None
    try:
        name = codecs.lookup(found.group(1).decode("ascii")).name
    except LookupError:
        return None
    # As browsers do: Latin-1 and ASCII labels mean windows-1252, and a page
    # that could read its own UTF-16 label is not UTF-16.
    if name in ("latin_1", "iso8859-1", "ascii"):
        return "cp1252"
    if name.startswith("utf-16"):
        return "utf-8"
    return name


class TreeBuilder(HTMLParser):
    """Builds the :class:`Node` tree of a page fed to it, up to :data:`MAX_ELEMENTS`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.stack: list[Node] = [self.root]
        self.open: dict[str, int] = {}
        self.elements = 0
        self.truncated = False

    def _pop(self) -> None:
        node = self.stack.pop()
        self.open[node.tag] -= 1

    def _close(self, targets: frozenset[str], boundaries: frozenset[str]) -> None:
        for depth in range(len(self.stack) - 1, max(0, len(self.stack) - SCAN), -1):
            tag = self.stack[depth].tag
            if tag in targets:
                while len(self.stack) > depth:
                    self._pop()
                return
            if tag in boundaries:
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.elements >= MAX_ELEMENTS:
            self.truncated = True
            return
        self.elements += 1
        if tag in _IMPLIED_END:
            self._close(*_IMPLIED_END[tag])
        if tag in _ENDS_P and self.open.get("p"):
            self._close(frozenset({"p"}), frozenset({"td", "th", "li", "button"}))
        parent = self.stack[-1]
        node = Node(tag, {k: v or "" for k, v in attrs}, parent)
        parent.children.append(node)
        if tag not in _VOID:
            self.stack.append(node)
            self.open[tag] = self.open.get(tag, 0) + 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack[-1].tag == tag and not self.truncated:
            self._pop()

    def handle_endtag(self, tag: str) -> None:
        # Only an element that is open can end: a stray end tag is ignored,
        # and the count keeps this from searching the whole stack for it.
        if not self.open.get(tag):
            return
        while self.stack[-1].tag != tag:
            self._pop()
        self._pop()

    def handle_data(self, data: str) -> None:
        if self.truncated:
            return
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)
