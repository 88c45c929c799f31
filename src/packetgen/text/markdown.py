"""Markdown in summaries, descriptions and excerpts: CommonMark, raw HTML off.

Links are printed for paper: the link text is followed by the link's number,
which leads to its QR code in the "Links in this packet" appendix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core.smartquotes import QUOTE_RE, process_inlines
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

from packetgen.errors import LimitError

__all__ = ["links_in", "render_markdown"]

MAX_MARKDOWN_CHARS = 20_000
"""One field's Markdown; a packet's text is read on paper, not a book."""


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "linkify": False})
    md.enable(["replacements", "smartquotes", "strikethrough", "table"])
    md.core.ruler.at("smartquotes", _smartquotes)
    return md


# ---------------------------------------------------------------- smart quotes
#
# markdown-it-py's smartquotes rule is quadratic in the number of quotes: for
# every closing candidate it walks its whole stack of open quotes looking for
# a partner of the same kind, and it copies the text on every quote it finds
# and every quote it replaces. 20,000 characters of `"a' ` took 3.5 s, for
# each of the several times a field is parsed. This is the same algorithm
# (same results, tested against the original) with each walk replaced by a
# pointer kept on the stack and each copy by a list edited in place.

_SINGLE, _DOUBLE = 0, 1
_APOSTROPHE = "\u2019"


def _smartquotes(state: StateCore) -> None:
    if not state.md.options.typographer:
        return
    quotes = state.md.options.quotes
    for token in state.tokens:
        if token.type != "inline" or not QUOTE_RE.search(token.content):
            continue
        if token.children is None:
            continue
        if all(len(q) == 1 for q in quotes):
            _process_inlines(token.children, quotes)
        else:
            # Multi-character quotes shift positions; the original handles that.
            process_inlines(token.children, state)


class _Open:
    """A quote that may open a pair, on the stack."""

    __slots__ = ("level", "pos", "previous", "single", "token")

    def __init__(
        self, token: int, pos: int, single: bool, level: int, previous: tuple[int, int]
    ) -> None:
        self.token = token
        self.pos = pos
        self.single = single
        self.level = level
        self.previous = previous
        """Stack index of the topmost single and double quote at this level, at or
        below this entry with nothing of a lower level between (-1: none)."""


def _process_inlines(tokens: list[Token], quotes: Sequence[str]) -> None:
    """markdown-it-py's ``process_inlines`` for one-character quotes, in linear time."""
    stack: list[_Open] = []
    edited: dict[int, list[str]] = {}

    def char(j: int, k: int) -> int:
        chars = edited.get(j)
        return ord(chars[k] if chars is not None else tokens[j].content[k])

    def replace(j: int, k: int, ch: str) -> None:
        chars = edited.get(j)
        if chars is None:
            chars = edited[j] = list(tokens[j].content)
        chars[k] = ch

    for i, token in enumerate(tokens):
        level = token.level
        # Levels only grow up the stack: drop the entries of deeper levels.
        while stack and stack[-1].level > level:
            stack.pop()
        if token.type != "text":
            continue
        text = token.content
        maximum = len(text)
        pos = 0
        while pos < maximum:
            found = QUOTE_RE.search(text, pos)
            if not found:
                break
            at = found.start()
            pos = at + 1
            single = found.group(0) == "'"

            last = 0x20  # the start of a line counts as a space
            if at > 0:
                last = char(i, at - 1)
            else:
                for j in range(i - 1, -1, -1):
                    if tokens[j].type in ("softbreak", "hardbreak"):
                        break
                    if tokens[j].content:
                        last = char(j, len(tokens[j].content) - 1)
                        break
            following = 0x20
            if pos < maximum:
                following = ord(text[pos])
            else:
                for j in range(i + 1, len(tokens)):
                    if tokens[j].type in ("softbreak", "hardbreak"):
                        break
                    if tokens[j].content:
                        following = ord(tokens[j].content[0])
                        break

            last_punct = isMdAsciiPunct(last) or isPunctChar(chr(last))
            next_punct = isMdAsciiPunct(following) or isPunctChar(chr(following))
            last_space = isWhiteSpace(last)
            next_space = isWhiteSpace(following)

            can_open = can_close = True
            if next_space or (next_punct and not (last_space or last_punct)):
                can_open = False
            if last_space or (last_punct and not (next_space or next_punct)):
                can_close = False
            if following == 0x22 and not single and 0x30 <= last <= 0x39:
                can_close = can_open = False  # 1"" - the first quote is an inch
            if can_open and can_close:
                # Quotes amid punctuation may pair; amid a word they may not.
                can_open, can_close = last_punct, next_punct

            if not can_open and not can_close:
                if single:
                    replace(i, at, _APOSTROPHE)  # in the middle of a word
                continue

            if can_close and stack and stack[-1].level == level:
                partner = stack[-1].previous[_SINGLE if single else _DOUBLE]
                if partner >= 0:
                    item = stack[partner]
                    open_quote, close_quote = (quotes[2], quotes[3]) if single else quotes[:2]
                    replace(i, at, close_quote)
                    replace(item.token, item.pos, open_quote)
                    del stack[partner:]
                    continue

            if can_open:
                top = stack[-1] if stack else None
                previous = top.previous if top is not None and top.level == level else (-1, -1)
                index = len(stack)
                mine = (index, previous[_DOUBLE]) if single else (previous[_SINGLE], index)
                stack.append(_Open(i, at, single, level, mine))
            elif can_close and single:
                replace(i, at, _APOSTROPHE)

    for j, chars in edited.items():
        tokens[j].content = "".join(chars)


# ---------------------------------------------------------------- reading fields


def _check_length(text: str) -> None:
    # The loader refuses longer fields with their place in the spec; this
    # guards callers that render Markdown without loading a spec.
    if len(text) > MAX_MARKDOWN_CHARS:
        raise LimitError(
            f"a Markdown text of {len(text):,} characters is longer than the limit of"
            f" {MAX_MARKDOWN_CHARS:,}"
        )


def links_in(text: str | None) -> list[str]:
    """Web URLs linked from ``text``, in order of appearance (duplicates kept once)."""
    if not text:
        return []
    _check_length(text)
    return list(_scan(text)[0])


def images_in(text: str | None) -> list[str]:
    """Image sources in ``text`` (checked by the renderer: only packet files)."""
    if not text:
        return []
    _check_length(text)
    return list(_scan(text)[1])


@lru_cache(maxsize=1024)
def _scan(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The links and images of ``text``, from one parse.

    A build asks for them many times per field (the loader, link numbering,
    the cache key of every output, the overwrite check): the answer is kept
    per text, small as it is, rather than the tokens, which can be large.
    """
    links: dict[str, None] = {}
    images: list[str] = []
    for token in _walk(_parser().parse(text)):
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if is_web_url(href):
                links[href] = None
        elif token.type == "image":
            images.append(str(token.attrGet("src") or ""))
    return tuple(links), tuple(images)


def _walk(tokens: Sequence[Token]) -> Any:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def render_markdown(
    text: str | None,
    *,
    link_number: Callable[[str], int | None] | None = None,
    image_src: Callable[[str], str] | None = None,
) -> Markup:
    """Render ``text`` to safe HTML.

    ``link_number`` maps a URL to its number in the links appendix, printed
    after the link text. ``image_src`` maps an image reference to the URL the
    renderer may load (it raises for anything not allowed).
    """
    if not text:
        return Markup("")
    _check_length(text)
    env: dict[str, Any] = {"link_number": link_number, "image_src": image_src}
    html = _parser().render(text, env)
    return Markup(html)


def _render_link_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    number = None
    # Find the matching link_open to read its href.
    depth = 0
    for back in range(idx - 1, -1, -1):
        tok = tokens[back]
        if tok.type == "link_close":
            depth += 1
        elif tok.type == "link_open":
            if depth == 0:
                href = str(tok.attrGet("href") or "")
                lookup = env.get("link_number")
                if lookup is not None and is_web_url(href):
                    number = lookup(href)
                break
            depth -= 1
    out = "</a>"
    if number is not None:
        out += f'<sup class="ref" aria-label="link {number}">[{number}]</sup>'
    return out


def _render_image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    mapper = env.get("image_src")
    if mapper is None:
        return str(escape(token.content))
    resolved = mapper(src)
    alt = self.renderInlineAsText(token.children or [], options, env)
    return f'<img src="{escape(resolved)}" alt="{escape(alt)}">'


def _install() -> None:
    renderer = _parser().renderer
    assert isinstance(renderer, RendererHTML)
    renderer.rules["link_close"] = _render_link_close.__get__(renderer)
    renderer.rules["image"] = _render_image.__get__(renderer)


_install()
