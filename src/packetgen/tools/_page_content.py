"""A saved web page → its main content as blocks of text with their links.

The page is parsed with the standard library's tokenizer into a small tree
(no script runs; nothing is fetched). Every walk over the tree is iterative,
so deeply nested markup cannot exhaust the stack. The content is ``<main>``,
``[role=main]`` or ``<article>``, else the block holding most of the links
that have words around them; navigation, headers, footers, sidebars and
elements named like them (``class="menu"``…) are never content.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = [
    "MAX_ELEMENTS",
    "Block",
    "LinkSpan",
    "Node",
    "Page",
    "decode_page",
    "parse_page",
]

MAX_ELEMENTS = 400_000
"""Elements read from one page: a resource page has a few thousand; past this
the rest of the page is not read (and the import says so)."""

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
# Their text is never content: code, styles, and fallbacks shown only without scripts.
_NO_TEXT = frozenset({"script", "style", "template", "noscript", "svg", "math", "iframe", "object",
                      "select", "textarea", "button"})  # fmt: skip
_BLOCKS = frozenset(
    {"p", "li", "td", "th", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "div", "section", "article", "main", "figcaption", "caption", "pre", "address", "ul",
     "ol", "table", "tr", "tbody", "thead", "tfoot", "dl", "form", "body", "center",
     "header", "footer", "figure", "details", "summary", "fieldset"}
)  # fmt: skip
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
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
_SCAN = 64  # how far up the open elements an implied end looks

_CHROME_TAGS = frozenset({"nav", "aside", "menu", "dialog"})
_SECTIONING = frozenset({"main", "article", "section"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search",
                           "menu", "menubar", "dialog"})  # fmt: skip
# Words in class and id names that mark a page's chrome. A name part is
# compared whole: "sidebar-1" and "site-footer" match, "entry-content" not.
_CHROME_WORDS = frozenset(
    {"nav", "navbar", "navigation", "menu", "menubar", "sidebar", "footer", "social", "share",
     "sharing", "sharedaddy", "donate", "donation", "breadcrumb", "breadcrumbs", "cookie",
     "cookies", "widget", "widgets", "masthead", "skip", "comments", "related", "subscribe",
     "newsletter", "banner", "toolbar", "topbar", "pagination"}
)  # fmt: skip
# A class that wraps the content *and* the sidebar ("content-sidebar-wrap")
# names both; such layout names are not chrome.
_LAYOUT_WORDS = frozenset({"content", "main", "wrap", "wrapper", "container", "layout", "page",
                           "body", "entry", "post", "article"})  # fmt: skip
_NAME_PARTS = re.compile(r"[-_\s]+")


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
            elif item.tag not in _NO_TEXT:
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


class _TreeBuilder(HTMLParser):
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
        for depth in range(len(self.stack) - 1, max(0, len(self.stack) - _SCAN), -1):
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


@dataclass
class LinkSpan:
    """A link inside a block: the element, its address as written, and where its
    words are in the block's text."""

    node: Node
    href: str
    start: int
    end: int
    text: str = ""


@dataclass
class Block:
    """A run of text the page shows as one block (a paragraph, list item, cell, heading)."""

    tag: str
    text: str
    links: list[LinkSpan] = field(default_factory=list)


@dataclass
class Page:
    """The parsed page: its tree, main content, title and chrome."""

    root: Node
    content: Node
    truncated: bool
    title: str
    lang: str | None
    base_href: str | None
    canonical: str | None

    def is_chrome(self, node: Node) -> bool:
        return _is_chrome(node)

    def blocks(self) -> list[Block]:
        """The content's blocks in document order; chrome inside it is left out."""
        return _blocks(self.content)


def parse_page(text: str) -> Page:
    """Parse the page and find its main content."""
    builder = _TreeBuilder()
    try:
        builder.feed(text)
        builder.close()
    except AssertionError:  # html.parser's own check of a malformed declaration
        pass
    root = builder.root
    title = lang = base = canonical = None
    for node in root.iter():
        if node.tag == "title" and title is None:
            title = node.text()
        elif node.tag == "html" and lang is None:
            lang = node.attrs.get("lang") or None
        elif node.tag == "base" and base is None and node.attrs.get("href"):
            base = node.attrs["href"].strip()
        elif (
            node.tag == "link"
            and canonical is None
            and "canonical" in node.attrs.get("rel", "").lower().split()
        ):
            canonical = node.attrs.get("href", "").strip() or None
        elif node.tag == "meta" and canonical is None and node.attrs.get("property") == "og:url":
            canonical = node.attrs.get("content", "").strip() or None
    return Page(
        root=root,
        content=_main_content(root),
        truncated=builder.truncated,
        title=title or "",
        lang=lang,
        base_href=base,
        canonical=canonical,
    )


def _is_chrome(node: Node) -> bool:
    """Whether ``node`` itself is navigation, a header, footer, sidebar or hidden."""
    tag = node.tag
    if tag in _CHROME_TAGS:
        return True
    if tag in ("header", "footer"):
        # The page's header and footer are chrome; an article's own header
        # (its title, its byline) is content.
        return not any(a.tag in _SECTIONING for a in node.ancestors())
    attrs = node.attrs
    if "hidden" in attrs or attrs.get("aria-hidden", "").lower() == "true":
        return True
    if attrs.get("role", "").lower() in _CHROME_ROLES:
        return True
    if tag in ("html", "body", "main") or attrs.get("role", "").lower() == "main":
        return False
    for name in (*attrs.get("class", "").split(), attrs.get("id", "")):
        parts = set(_NAME_PARTS.split(name.lower())) - {""}
        if parts & _CHROME_WORDS and not parts & _LAYOUT_WORDS:
            return True
    return False


def _main_content(root: Node) -> Node:
    chrome: set[int] = set()
    mains: list[Node] = []
    articles: list[Node] = []
    body = root
    for node in _walk(root, chrome):
        if node.tag == "body" and body is root:
            body = node
        if node.tag == "main" or node.attrs.get("role", "").lower() == "main":
            mains.append(node)
        elif node.tag == "article":
            articles.append(node)
    if mains:
        return mains[0]
    weights = _link_weights(body)
    if articles:
        return max(articles, key=lambda a: weights.get(id(a), 0.0))
    total = weights.get(id(body), 0.0)
    if total == 0:
        return body
    # The deepest element that still holds most of the weight: elements with
    # more than half of it form one chain from the body down.
    best, best_depth = body, 0
    stack: list[tuple[Node, int]] = [(body, 0)]
    while stack:
        node, depth = stack.pop()
        for child in node.children:
            if isinstance(child, Node) and weights.get(id(child), 0.0) >= 0.7 * total:
                stack.append((child, depth + 1))
                if depth + 1 > best_depth:
                    best, best_depth = child, depth + 1
    return best


def _walk(root: Node, chrome: set[int]) -> Iterator[Node]:
    """Every element under ``root`` that is not chrome or inside chrome."""
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if node is not root and _is_chrome(node):
            chrome.add(id(node))
            continue
        yield node
        stack.extend(c for c in reversed(node.children) if isinstance(c, Node))


def _link_weights(body: Node) -> dict[int, float]:
    """Per element, how much content-like linking it holds (chrome weighs nothing).

    A link counts fully when it has words around it or several words of its
    own, as resource links do; a bare "Home" or "About us" counts little.
    """
    weights: dict[int, float] = {}
    block_words: dict[int, int] = {}  # one count per block, however many links it has
    order = list(_walk(body, set()))
    for node in reversed(order):  # children before their parents
        own = 0.0
        if node.tag == "a" and node.attrs.get("href"):
            words = len(node.text().split())
            block = _nearest_block(node)
            around = 0
            if block is not None and block.tag != "body":
                if id(block) not in block_words:
                    # Words that are not links: a menu's cell is all links.
                    linked = sum(len(a.text().split()) for a in block.iter() if a.tag == "a")
                    block_words[id(block)] = len(block.text().split()) - linked
                around = block_words[id(block)]
            own = 1.0 if words >= 3 or around >= 2 else 0.3
        total = own + sum(weights.get(id(c), 0.0) for c in node.children if isinstance(c, Node))
        if total:
            weights[id(node)] = total
    return weights


def _nearest_block(node: Node) -> Node | None:
    for depth, ancestor in enumerate(node.ancestors()):
        if ancestor.tag in _BLOCKS:
            return ancestor
        if depth >= _SCAN:  # deep inline nesting: no block worth the climb
            return None
    return None


class _BlockBuilder:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.text = ""
        self.links: list[LinkSpan] = []

    def add(self, data: str) -> None:
        if data == "\n":
            self.text = self.text.rstrip(" ") + "\n"
            return
        chunk = re.sub(r"\s+", " ", data)
        if (not self.text or self.text[-1] in " \n") and chunk.startswith(" "):
            chunk = chunk[1:]
        self.text += chunk

    def block(self) -> Block | None:
        stripped = self.text.lstrip()
        cut = len(self.text) - len(stripped)
        text = stripped.rstrip()
        if not text and not self.links:
            return None
        for link in self.links:
            link.start = max(0, min(len(text), link.start - cut))
            link.end = max(link.start, min(len(text), link.end - cut))
            link.text = text[link.start : link.end].strip()
        return Block(self.tag, text, self.links)


def _blocks(content: Node) -> list[Block]:
    out: list[Block] = []
    builders = [_BlockBuilder(content.tag)]
    # (node, leaving?) pairs: leaving marks where an element ends.
    stack: list[tuple[Node | str, bool]] = [(content, False)]
    open_link: LinkSpan | None = None
    while stack:
        item, leaving = stack.pop()
        if isinstance(item, str):
            builders[-1].add(item)
            continue
        node = item
        if leaving:
            if node.tag == "a" and open_link is not None and open_link.node is node:
                open_link.end = len(builders[-1].text)
                open_link = None
            if node.tag in _BLOCKS and node is not content:
                if open_link is not None and open_link in builders[-1].links:
                    # The link's words ended with the block it was moved into.
                    open_link.end = len(builders[-1].text)
                    open_link = None
                done = builders.pop().block()
                if done is not None:
                    out.append(done)
                builders[-1] = _BlockBuilder(builders[-1].tag)
            continue
        if node is not content and _is_chrome(node):
            continue
        if node.tag in _NO_TEXT:
            continue
        if node.tag == "br":
            builders[-1].add("\n")
            continue
        if node.tag == "img" and open_link is not None:
            builders[-1].add(" " + node.attrs.get("alt", "") + " ")
            continue
        if node.tag in _BLOCKS and node is not content:
            moved = open_link if open_link in builders[-1].links else None
            if moved is not None:
                # A block inside the link (<a><h3>…</h3></a>): the link goes with it.
                builders[-1].links.remove(moved)
                moved.start = 0
            done = builders[-1].block()
            if done is not None:
                out.append(done)
            builders[-1] = _BlockBuilder(builders[-1].tag)
            builders.append(_BlockBuilder(node.tag))
            if moved is not None:
                builders[-1].links.append(moved)
        if node.tag == "a" and open_link is None and "href" in node.attrs:
            open_link = LinkSpan(node, node.attrs["href"], len(builders[-1].text), 0)
            builders[-1].links.append(open_link)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(node.children))
    done = builders[-1].block()
    if done is not None:
        out.append(done)
    return out
