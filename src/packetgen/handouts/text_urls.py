"""Web addresses printed as text on a handout's pages, for the links appendix.

A volunteer cannot click paper: an address printed in a handout ("Visit
https://example.org/page") needs a QR code as much as one the PDF makes a
link of. :func:`text_urls` reads the text layer of the pages the item selects
(from the reader the handout was opened with: the file is not read again)
and finds the ``http://`` and ``https://`` addresses in it, as they would be
copied out of the page: punctuation after them trimmed, an address broken
across two lines joined back.

Reading text is the slowest thing done to a handout page, so it is bounded
by page count and by page content (both fixed numbers, so that the same file
always gives the same addresses, on any machine); past either bound the
trainer is told which pages were not searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pypdf

from packetgen.handouts._forms import drawn_forms
from packetgen.handouts.decoding import DecodingLimitError
from packetgen.handouts.pdfs import _PDF_ERRORS, OpenedHandout, _pypdf_warnings
from packetgen.spec.models import url_problem
from packetgen.support._budget import _size

__all__ = [
    "MAX_TEXT_CONTENT_BYTES",
    "MAX_TEXT_PAGES",
    "MAX_URL_CHARS",
    "TextUrls",
    "text_urls",
    "trim_url",
    "urls_in_text",
]

MAX_TEXT_PAGES = 300
"""Pages of one handout searched for printed addresses. pypdf reads the text
of a full page in about 5 ms (300 pages: under 2 s); a longer handout is a
book, whose addresses a trainer should pick out as items rather than print
them all."""
MAX_TEXT_CONTENT_BYTES = 2 * 1024 * 1024
"""Page content (drawing instructions, unpacked) read for text in one handout.
pypdf reads text at about 1 MB of content a second, so this bounds a handout
to a few seconds whatever its pages hold. A page of text is 3 to 50 KB; a
page of several MB is a drawing or a map, whose text is mostly labels."""
MAX_URL_CHARS = 1000
"""Longer "addresses" are left out: nobody types them, and a code that large
does not fit a page (some do not fit any code)."""

# Where an address stops: white space, and the characters that cannot be in
# one and that text puts around addresses (<…>, straight and curly quotes, «…»).
_URL = re.compile(
    r"(?<![\w.+-])https?://[^\s<>\"\u201c\u201d\u00ab\u00bb\u2039\u203a{}|\\^`]+", re.IGNORECASE
)
# Said after an address, not part of it (a sentence's end, a quote, curly ones too).
_TRAILING = ".,;:!?'\u2018\u2019"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# An address ending in one of these at the end of a line was most likely
# broken there by the layout (a sentence does not end on them).
_BROKEN_AFTER = "/-_=&?#%~"
# The start of the next line continues the address when it is one run of
# address characters with one of these inside it ("laws-policies/", "id=4"):
# a plain word ("for") after an address ending in "/" is not joined to it.
_CONTINUATION = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_CONTINUES = frozenset("/.=&?#%_-")


@dataclass(frozen=True)
class TextUrls:
    """What the text of one handout's selected pages holds."""

    urls: list[str]
    """Each address once, in page order."""
    notes: list[str]
    """Sentences whose subject is the handout (as :attr:`OpenedHandout.warnings`
    are): which pages were not searched, and why."""


def trim_url(candidate: str) -> str:
    """``candidate`` without what text puts after an address: ``.,;:!?``, quotes,
    and closing brackets that the address does not open itself.

    ``"https://x.org/a)."`` (from "(see https://x.org/a).") gives
    ``https://x.org/a``; ``https://x.org/wiki/Foo_(bar)`` stays whole.
    """
    url = candidate
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])):
            url = url[:-1]
        else:
            break
    return url


def urls_in_text(text: str) -> list[str]:
    """The http and https addresses in ``text``, trimmed, each once, in order.

    An address that ends a line on a character a sentence does not end on
    (``/``, ``-``, ``=``…) and whose next line starts with more of an address
    is joined to it: layouts break long addresses across lines.
    """
    found: dict[str, None] = {}
    for match in _URL.finditer(text):
        raw = match.group()
        end = match.end()
        while raw[-1] in _BROKEN_AFTER and text.startswith("\n", end):
            following = _CONTINUATION.match(text, end + 1)
            if following is None or not _CONTINUES & set(following.group().rstrip(_TRAILING)):
                break
            raw += following.group()
            end = following.end()
        url = trim_url(raw)
        if len(url) <= MAX_URL_CHARS and url_problem(url) is None and _has_domain(url):
            found.setdefault(url, None)
    return list(found)


def _has_domain(url: str) -> bool:
    # "https://" followed by a word is prose ("the https://… prefix"), not an
    # address: a printed address names a domain (a dot), an IP address included.
    host = url.split("://", 1)[1].split("/", 1)[0].rpartition("@")[2]
    return "." in host.strip(".") or host.startswith("[")


def text_urls(opened: OpenedHandout) -> TextUrls:
    """The addresses printed on ``opened``'s selected pages (each page read once,
    in the order selected), within :data:`MAX_TEXT_PAGES` and
    :data:`MAX_TEXT_CONTENT_BYTES`.

    Pictures (a photo, a scan without a text layer) have no text to search.
    A page whose text cannot be read is skipped and named in a note: the
    binder still places it, only its printed addresses get no code.
    """
    if opened.converted_from in ("png", "jpeg") or opened.pictures_only:
        return TextUrls([], [])
    found: dict[str, None] = {}
    notes: list[str] = []
    unreadable: list[int] = []
    numbers = list(dict.fromkeys(opened.source_page_numbers))
    pages = dict(zip(opened.source_page_numbers, opened.pages, strict=True))
    content = 0
    # pypdf logs what it cannot make out of a font; that says nothing a trainer
    # can act on, so it is kept from the terminal.
    with _pypdf_warnings():
        for searched, number in enumerate(numbers):
            if searched == MAX_TEXT_PAGES:
                notes.append(_stopped(numbers, searched, f"the first {MAX_TEXT_PAGES} pages"))
                break
            page = pages[number]
            try:
                size = _content_size(page)
                if content + size > MAX_TEXT_CONTENT_BYTES:
                    limit = f"{_size(MAX_TEXT_CONTENT_BYTES)} of page content"
                    notes.append(_stopped(numbers, searched, limit))
                    break
                content += size
                text = page.extract_text()
            except DecodingLimitError:
                # The handout's unpacking budget is spent: whatever reads it next
                # (the binder) stops with the reason; here only the search stops.
                notes.append(_stopped(numbers, searched, "its unpacking budget"))
                break
            except _PDF_ERRORS:
                unreadable.append(number)
                continue
            for url in urls_in_text(text):
                found.setdefault(url, None)
    if unreadable:
        shown = ", ".join(str(n) for n in unreadable[:10])
        more = f" and {len(unreadable) - 10} more" if len(unreadable) > 10 else ""
        word = "page" if len(unreadable) == 1 else "pages"
        notes.append(
            f"has text packetgen could not read on {word} {shown}{more}: web addresses printed"
            " there get no QR code; give any your volunteers need an item of its own in the spec"
        )
    return TextUrls(list(found), notes)


def _content_size(page: pypdf.PageObject) -> int:
    """What reading the page's text parses: its content and the forms (drawn
    pieces) it uses, each once, unpacked. Pictures are not read for text."""
    contents = page.get_contents()
    size = len(contents.get_data()) if contents is not None else 0
    return size + sum(len(form.get_data()) for form in drawn_forms(page))


def _stopped(numbers: list[int], searched: int, limit: str) -> str:
    """The note for a handout whose pages were searched only up to ``limit``."""
    left = len(numbers) - searched
    pages = "page" if left == 1 else f"{left} pages"
    return (
        f"was searched for web addresses printed as text only up to {limit} (the limit for"
        f" one handout): addresses printed on its other {pages}, from page {numbers[searched]}"
        " of the file on, get no QR code; give any your volunteers need an item of its own in"
        " the spec, or select fewer pages with `pages:`"
    )
