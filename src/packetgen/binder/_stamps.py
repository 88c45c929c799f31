"""Stamps: what is drawn on pages after layout, once the final page order is known.

Pages are laid out once (WeasyPrint), handout pages are merged in by direct
PDF operations, and only then is it known which page is which: so the
running header, the footer with "page X of Y", the "This page is
intentionally blank" of duplex fillers and the QR codes are drawn on
afterwards, from shared Form XObjects, as tagged artifacts.

The words are laid out by WeasyPrint too, once per document, in the theme's
font and colours (the :class:`Atlas`): one small page per string, each page
becoming a Form XObject. A page number is composed of digit pieces, so a
thousand-page binder needs eleven pieces for its numbers, not a thousand
layouts.
"""

from __future__ import annotations

import functools
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from weakref import WeakKeyDictionary

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject

from packetgen.binder.placement import Rect, form_xobject, writer_memo, xobject_ops
from packetgen.content.qr import QRCode
from packetgen.pdf.layout import NO_MARGIN_BOXES, layout_html
from packetgen.render.themes import Theme
from packetgen.spec.models import Packet
from packetgen.text.i18n import Strings

__all__ = [
    "Atlas",
    "NumberPattern",
    "StampText",
    "composed_ops",
    "page_of_pages",
    "qr_form",
    "qr_ops",
]

PT_PER_MM = 72 / 25.4
_PX = 0.75
"""Points per CSS pixel."""
_ATLAS_W_MM, _ATLAS_H_MM = 400, 60


@dataclass(frozen=True)
class StampText:
    """One string to lay out: a running title, the organization, a digit."""

    key: str
    text: str
    style: Literal["running", "blank", "slide", "rule", "frame"] = "running"
    """``rule`` and ``frame`` are lines (1 by 100 points, scaled when drawn) in the
    colours of the theme's rules and frames."""
    width_pt: float | None = None
    """Wrap within this width (a long title), aligned by ``align``; None: one line."""
    align: Literal["left", "right", "center"] = "left"


@dataclass(frozen=True)
class _Piece:
    page: int
    box: Rect
    """In the atlas page's PDF coordinates (points, origin at the bottom left)."""


@dataclass
class Atlas:
    """Strings laid out in the theme's font, each available as a Form XObject."""

    pdf: bytes
    pieces: dict[str, _Piece]
    # Per writer: XObjects and cloned resources are objects of that writer.
    _forms: WeakKeyDictionary[PdfWriter, dict[str, IndirectObject]] = field(
        default_factory=WeakKeyDictionary
    )
    _resources: WeakKeyDictionary[PdfWriter, dict[int, DictionaryObject]] = field(
        default_factory=WeakKeyDictionary
    )
    _reader: PdfReader | None = None

    @classmethod
    def lay_out(cls, packet: Packet, theme: Theme, texts: Iterable[StampText]) -> Atlas:
        wanted = list({t.key: t for t in texts}.values())
        pages = []
        for i, t in enumerate(wanted):
            text = html.escape(t.text)
            if t.style in ("rule", "frame"):
                pages.append(f'<div class="stamp stamp-{t.style}" id="s{i}"></div>')
            elif t.width_pt is None:
                pages.append(
                    f'<div class="stamp stamp-{t.style}"><span id="s{i}">{text}</span></div>'
                )
            else:
                pages.append(
                    f'<div class="stamp stamp-{t.style} stamp-wrap" id="s{i}"'
                    f' style="width: {t.width_pt:.2f}pt;'
                    f' text-align: {t.align}">{text}</div>'
                )
        document = (
            f'<!DOCTYPE html><html lang="{html.escape(packet.language)}"><head><style>'
            f"{_ATLAS_CSS}</style></head><body>{''.join(pages)}</body></html>"
        )
        layout = layout_html(
            document,
            base=packet.folder,
            roots=(packet.folder, *theme.roots),
            what="page stamps",
            stylesheets=[theme.print_css],
        )
        boxes = layout.anchor_rects()
        height = _ATLAS_H_MM * PT_PER_MM
        pieces = {}
        for i, t in enumerate(wanted):
            page, (x1, y1, x2, y2) = boxes[f"s{i}"]
            pieces[t.key] = _Piece(
                page, Rect(x1 * _PX, height - y2 * _PX, x2 * _PX, height - y1 * _PX)
            )
        return cls(layout.write(identifier=b"stamps", tagged=False), pieces)

    def width(self, key: str) -> float:
        return self.pieces[key].box.width

    def height(self, key: str) -> float:
        return self.pieces[key].box.height

    def form(self, writer: PdfWriter, key: str) -> IndirectObject:
        """The piece as a Form XObject of ``writer`` (made once per writer)."""
        forms = self._forms.setdefault(writer, {})
        cached = forms.get(key)
        if cached is not None:
            return cached
        if self._reader is None:
            self._reader = PdfReader(io.BytesIO(self.pdf))
        piece = self.pieces[key]
        page = self._reader.pages[piece.page]
        cloned = self._resources.setdefault(writer, {})
        resources = cloned.get(piece.page)
        if resources is None:
            source = page.get("/Resources")
            source = source.get_object() if source is not None else DictionaryObject()
            resources = source.clone(writer)
            cloned[piece.page] = resources
        content = page.get_contents()
        data = content.get_data() if content is not None else b""
        form = form_xobject(writer, data, piece.box, resources)
        forms[key] = form
        return form

    def ops(
        self,
        writer: PdfWriter,
        target: PageObject,
        key: str,
        x: float,
        y: float,
        *,
        width: float | None = None,
        height: float | None = None,
    ) -> str:
        """Operators drawing piece ``key`` with its box's bottom left corner at (x, y)
        of ``target``, stretched to ``width`` and ``height`` when given (lines).

        Collect a page's operators and append them once (``append_ops``): one
        content stream per page, however many stamps it has.
        """
        box = self.pieces[key].box
        sx = 1.0 if width is None else width / box.width
        sy = 1.0 if height is None else height / box.height
        form = self.form(writer, key)
        return xobject_ops(target, form, (sx, 0.0, 0.0, sy, x - box.x0 * sx, y - box.y0 * sy))


_ATLAS_CSS = f"""
@page {{ size: {_ATLAS_W_MM}mm {_ATLAS_H_MM}mm; margin: 0 }}
{NO_MARGIN_BOXES}
body {{ margin: 0 }}
.stamp {{ break-after: page; line-height: 1.25; margin: 0; padding: 0 }}
.stamp-running {{ font: var(--small-size) var(--font); color: var(--muted); white-space: pre }}
.stamp-blank {{ font: 10pt var(--font); color: var(--muted); white-space: pre }}
.stamp-wrap {{ white-space: normal }}
.stamp-slide {{ font: 8pt var(--font); color: var(--muted); white-space: pre }}
.stamp-rule, .stamp-frame {{ width: 100pt; height: 1pt }}
.stamp-rule {{ background: var(--rule) }}
.stamp-frame {{ background: var(--muted) }}
.stamp:last-child {{ break-after: auto }}
"""


# ---------------------------------------------------------------- running header and footer


DIGITS = tuple(str(d) for d in range(10))


def number_texts(words: Sequence[tuple[str, str]]) -> list[StampText]:
    """The pieces page numbers are composed of: digits and the given words."""
    return [StampText(f"digit-{d}", d) for d in DIGITS] + [
        StampText(key, text) for key, text in words
    ]


def composed_ops(
    atlas: Atlas,
    writer: PdfWriter,
    target: PageObject,
    keys: Sequence[str],
    *,
    right: float,
    top: float,
) -> list[str]:
    """Operators drawing pieces side by side, ending at ``right``, their tops at ``top``."""
    total = sum(atlas.width(k) for k in keys)
    x = right - total
    ops = []
    for key in keys:
        ops.append(atlas.ops(writer, target, key, x, top - atlas.height(key)))
        x += atlas.width(key)
    return ops


def digit_keys(number: int) -> list[str]:
    return [f"digit-{d}" for d in str(number)]


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class NumberPattern:
    """A translated text with numbers in it ("page {page} of {pages}") as atlas pieces.

    The whole sentence is translated, not its words one by one, so that a
    language may put the numbers in its own order ("{pages}页中的第 {page} 页");
    the words between the numbers become pieces, the numbers are drawn from the
    shared digits.
    """

    words: tuple[tuple[str, str], ...]
    """(key, text) of every run of words, for :func:`number_texts`."""
    order: tuple[str, ...]
    """Word keys and ``{name}`` placeholders, in reading order."""

    @classmethod
    def of(cls, name: str, text: str, numbers: Sequence[str]) -> NumberPattern:
        """Split ``text`` at the placeholders in ``numbers``; any other braces are words
        (a mistyped placeholder in a packet's ``strings:`` prints, it does not crash)."""
        words: list[tuple[str, str]] = []
        order: list[str] = []
        run = ""
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            if match.group(1) not in numbers:
                continue
            run += text[position : match.start()]
            if run:
                key = f"{name}-{len(words)}"
                words.append((key, run))
                order.append(key)
            run = ""
            order.append(match.group(0))
            position = match.end()
        run += text[position:]
        if run:
            key = f"{name}-{len(words)}"
            words.append((key, run))
            order.append(key)
        return cls(tuple(words), tuple(order))

    def keys(self, **numbers: int) -> list[str]:
        """The pieces to draw, side by side, for these numbers."""
        keys: list[str] = []
        for part in self.order:
            if part.startswith("{"):
                keys += digit_keys(numbers[part[1:-1]])
            else:
                keys.append(part)
        return keys


def page_of_pages(strings: Strings) -> NumberPattern:
    """The running footer's "page X of Y" in ``strings``' language (``keys(page=, pages=)``)."""
    return NumberPattern.of("page", strings.gettext("page {page} of {pages}"), ("page", "pages"))


# ---------------------------------------------------------------- QR codes


@functools.lru_cache(maxsize=4096)
def _qr_content(code: QRCode) -> bytes:
    n = code.modules
    ops = ["0 g"]
    for x, y, w, h in code.rects:
        ops.append(f"{x} {n - y - h} {w} {h} re")
    ops.append("f")
    return ("\n".join(ops) + "\n").encode("ascii")


def qr_form(writer: PdfWriter, code: QRCode) -> IndirectObject:
    """The code's modules as a Form XObject of ``writer``, one unit per module (once per URL)."""
    forms = writer_memo(writer, "qr_forms")
    key = (code.data, code.error_correction)
    cached = forms.get(key)
    if cached is None:
        n = code.modules
        cached = forms[key] = form_xobject(writer, _qr_content(code), Rect(0, 0, n, n))
    return cached


def qr_ops(writer: PdfWriter, target: PageObject, code: QRCode, slot: Rect) -> str:
    """Operators drawing ``code`` filling ``slot`` (a square, in the page's PDF coordinates)."""
    scale = slot.width / code.modules
    return xobject_ops(target, qr_form(writer, code), (scale, 0, 0, scale, slot.x0, slot.y0))
