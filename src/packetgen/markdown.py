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
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

from .errors import LimitError

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
    return md


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
    found: dict[str, None] = {}
    for token in _walk(_parser().parse(text)):
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if is_web_url(href):
                found[href] = None
    return list(found)


def images_in(text: str | None) -> list[str]:
    """Image sources in ``text`` (checked by the renderer: only packet files)."""
    if not text:
        return []
    _check_length(text)
    return [
        str(token.attrGet("src") or "")
        for token in _walk(_parser().parse(text))
        if token.type == "image"
    ]


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
