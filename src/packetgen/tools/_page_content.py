"""A saved web page → its main content as blocks of text with their links.

The page is parsed with the standard library's tokenizer into a small tree
(no script runs; nothing is fetched). Every walk over the tree is iterative,
so deeply nested markup cannot exhaust the stack. The content is ``<main>``,
``[role=main]`` or ``<article>``, else the block holding most of the links
that have words around them; navigation, headers, footers, sidebars and
elements named like them (``class="menu"``…) are never content. The tree
itself is built by :mod:`packetgen.tools._html_tree`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from packetgen.tools._html_tree import MAX_ELEMENTS, NO_TEXT, SCAN, Node, TreeBuilder, decode_page

__all__ = [
    "HEADINGS",
    "MAX_ELEMENTS",
    "Block",
    "LinkSpan",
    "Node",
    "Page",
    "decode_page",
    "parse_page",
]

_BLOCKS = frozenset(
    {"p", "li", "td", "th", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "div", "section", "article", "main", "figcaption", "caption", "pre", "address", "ul",
     "ol", "table", "tr", "tbody", "thead", "tfoot", "dl", "form", "body", "center",
     "header", "footer", "figure", "details", "summary", "fieldset"}
)  # fmt: skip
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

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
    builder = TreeBuilder()
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
        if depth >= SCAN:  # deep inline nesting: no block worth the climb
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
        if node.tag in NO_TEXT:
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
