"""Every URL in a stylesheet that a browser or WeasyPrint could load, found by a linear scan.

:func:`css_refs` yields each ``url()``, each URL string of ``image-set()`` and
friends, and each ``@import``, with its place in the text, so that a theme's
stylesheet can be checked (and its files inlined) before anything loads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["CssRef", "css_refs"]

# A hand-written tokenizer of just enough of CSS Syntax Level 3 (§4) to find
# every URL a browser or WeasyPrint would load: url() tokens, url("…") and the
# strings of image-set() and friends, and @import. Each character is looked at
# a bounded number of times, so the scan is linear in the stylesheet's length
# (the regular expressions below are single character classes, matched once
# per position they start at). It may see a URL where a browser would not
# (harmless: that one is checked too), never the other way round: it follows
# the specification's comments, strings, escapes and bad URLs exactly.

_NEWLINES = "\n\r\f"
_WHITESPACE = "\t\n\f\r "
_HEX = frozenset("0123456789abcdefABCDEF")
# Code points that continue a name, and the NUL that preprocessing turns into U+FFFD.
_NAME_RUN = re.compile("[A-Za-z0-9_\\-\u0080-\U0010ffff\x00]+")
# Code points that start nothing the scan cares about.
_PLAIN_RUN = re.compile("[^\"'/\\\\@#()\\[\\]{};A-Za-z0-9_\\-\u0080-\U0010ffff\x00]+")
_STRING_RUN = {'"': re.compile('[^"\\\\\n\r\f]+'), "'": re.compile("[^'\\\\\n\r\f]+")}
_URL_RUN = re.compile("[^)\"'(\\\\\t\n\f\r \x01-\x08\x0b\x0e-\x1f\x7f]+")
_BAD_URL_RUN = re.compile("[^)\\\\]+")
# Functions whose string arguments are URLs (url("…") included).
_URL_FUNCTIONS = frozenset(
    {
        "url",
        "src",
        "image",
        "-webkit-image",
        "image-set",
        "-webkit-image-set",
        "cross-fade",
        "-webkit-cross-fade",
    }
)
_OPENERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class CssRef:
    """A URL in a stylesheet: ``css[start:end]`` is the url() token or the string token."""

    kind: Literal["url", "bad-url", "string", "import"]
    start: int
    end: int
    value: str
    function: str = "url"
    """For a string, the function it is an argument of."""


def _valid_escape(css: str, i: int) -> bool:
    return css[i] == "\\" and (i + 1 >= len(css) or css[i + 1] not in _NEWLINES)


def _escape(css: str, i: int) -> tuple[str, int]:
    """The code point of the escape whose backslash is at ``i - 1``, and where it ends."""
    n = len(css)
    if i >= n:
        return "\ufffd", i
    j = i
    while j < n and j - i < 6 and css[j] in _HEX:
        j += 1
    if j == i:
        return ("\ufffd" if css[i] == "\x00" else css[i]), i + 1
    value = int(css[i:j], 16)
    if css.startswith("\r\n", j):
        j += 2
    elif j < n and css[j] in _WHITESPACE:
        j += 1
    if value == 0 or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return "\ufffd", j
    return chr(value), j


def _name(css: str, i: int) -> tuple[str, int]:
    parts = []
    n = len(css)
    while i < n:
        run = _NAME_RUN.match(css, i)
        if run:
            parts.append(run.group())
            i = run.end()
        elif _valid_escape(css, i):
            char, i = _escape(css, i + 1)
            parts.append(char)
        else:
            break
    return "".join(parts).replace("\x00", "\ufffd"), i


def _string(css: str, i: int) -> tuple[str, int]:
    """The value of the string whose quote is at ``i``, and where the token ends."""
    quote = css[i]
    run_of = _STRING_RUN[quote]
    parts = []
    n = len(css)
    i += 1
    while i < n:
        run = run_of.match(css, i)
        if run:
            parts.append(run.group())
            i = run.end()
            continue
        char = css[i]
        if char == quote:
            i += 1
            break
        if char in _NEWLINES:  # a bad string: it ends before the newline
            break
        if i + 1 >= n:  # a backslash at the very end: nothing
            i += 1
        elif css[i + 1] in _NEWLINES:  # a line continuation
            i += 3 if css.startswith("\r\n", i + 1) else 2
        else:
            char, i = _escape(css, i + 1)
            parts.append(char)
    return "".join(parts).replace("\x00", "\ufffd"), i


def _bad_url_rest(css: str, i: int) -> int:
    n = len(css)
    while i < n:
        run = _BAD_URL_RUN.match(css, i)
        if run:
            i = run.end()
        elif css[i] == ")":
            return i + 1
        elif _valid_escape(css, i):
            i = _escape(css, i + 1)[1]
        else:
            i += 1
    return i


def _url_body(css: str, i: int) -> tuple[str | None, int]:
    """An unquoted url's value (None for a malformed, "bad" url) and where it ends."""
    parts = []
    n = len(css)
    while i < n:
        run = _URL_RUN.match(css, i)
        if run:
            parts.append(run.group())
            i = run.end()
            continue
        char = css[i]
        if char == ")":
            i += 1
            break
        if char in _WHITESPACE:
            while i < n and css[i] in _WHITESPACE:
                i += 1
            if i < n and css[i] != ")":
                return None, _bad_url_rest(css, i)
            i += 1
            break
        if _valid_escape(css, i):
            char, i = _escape(css, i + 1)
            parts.append(char)
            continue
        return None, _bad_url_rest(css, i)  # a quote, "(", a control character, "\" + newline
    return "".join(parts).replace("\x00", "\ufffd"), min(i, n)


def css_refs(css: str) -> Iterator[CssRef]:
    """Every URL in ``css`` a browser or WeasyPrint could load, and every @import."""
    n = len(css)
    i = 0
    stack: list[str] = []  # open blocks: "(", "[", "{" or a function's lowercase name
    url_functions: list[str] = []  # the open functions among them that take URLs as strings
    namespace_depth = -1  # the block depth of an @namespace prelude, whose URL is only a name
    while i < n:
        run = _PLAIN_RUN.match(css, i)
        if run:
            i = run.end()
            continue
        char = css[i]
        start = i
        if char == "/":
            if css.startswith("*", i + 1):
                close = css.find("*/", i + 2)
                i = n if close < 0 else close + 2
            else:
                i += 1
        elif char in "\"'":
            value, i = _string(css, i)
            if url_functions:
                yield CssRef("string", start, i, value, url_functions[-1])
        elif char in "@#":
            # An at-keyword or a hash: "#url(" and "@url(" are not URLs.
            if i + 1 < n and (_NAME_RUN.match(css, i + 1) or _valid_escape(css, i + 1)):
                name, i = _name(css, i + 1)
                keyword = _ascii_lower(name) if char == "@" else ""
                if keyword == "import":
                    yield CssRef("import", start, i, "")
                elif keyword == "namespace":
                    namespace_depth = len(stack)
            else:
                i += 1
        elif char in "([{":
            stack.append(char)
            namespace_depth = -1 if char == "{" else namespace_depth
            i += 1
        elif char in ")]}":
            # A closer that does not match the innermost block is only a token in it.
            matches = bool(stack) and (
                stack[-1] == _OPENERS[char] or (char == ")" and stack[-1] not in _OPENERS.values())
            )
            if matches and stack.pop() in _URL_FUNCTIONS:
                url_functions.pop()
            namespace_depth = -1 if char == "}" else namespace_depth
            i += 1
        elif char == ";":
            namespace_depth = -1
            i += 1
        elif char == "\\" and not _valid_escape(css, i):
            i += 1
        else:
            # A name (an ident, a function, or a number's digits and unit).
            name, i = _name(css, i)
            if i >= n or css[i] != "(":
                continue
            function = _ascii_lower(name)
            i += 1
            quoted = i
            while quoted < n and css[quoted] in _WHITESPACE:
                quoted += 1
            in_namespace = namespace_depth == len(stack)
            if function == "url" and not (quoted < n and css[quoted] in "\"'"):
                body, i = _url_body(css, quoted)
                if body is None:
                    yield CssRef("bad-url", start, i, css[start:i])
                elif not in_namespace:
                    yield CssRef("url", start, i, body)
                continue
            stack.append("" if function == "url" and in_namespace else function)
            if stack[-1] in _URL_FUNCTIONS:
                url_functions.append(stack[-1])


def _ascii_lower(name: str) -> str:
    # CSS compares names ASCII case-insensitively: Kelvin sign "K" is no "k".
    return name.lower() if name.isascii() else name
