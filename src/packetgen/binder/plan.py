"""The plan of a binder: paper, fixed margins, and where each handout page goes.

A handout is laid out into output pages of *cells* (one page 1-up, or 2, 3,
4 or 6 slides a page) inside the margins that hold the running header and
footer, so a handout never sits under them.

A landscape page printed one to a page may be *turned*: the sheet stays
upright (the binder is punched, printed on both sides and read upright), the
page is drawn sideways into the handout area, its top toward the left edge
(``placement.quarter_turn``), and the header and footer stay where they are
on every other page. The reader turns the binder for that page's content only,
and still finds the page number and title where they always are while
leafing through. Slides several to a page are never turned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pypdf import PageObject

from packetgen.binder.placement import Rect, displayed_size, quarter_turn
from packetgen.errors import HandoutError
from packetgen.handouts._untagged import UntaggedKind
from packetgen.handouts.open import OpenedHandout
from packetgen.spec.models.items import Orientation

__all__ = [
    "MARGIN_PT",
    "PAPER_PT",
    "PT_PER_MM",
    "PX_TO_PT",
    "SLOTS_PER_PAGE",
    "Binder",
    "Cell",
    "HandoutPlan",
    "Orientation",
    "area",
    "plan_cells",
]


PT_PER_MM = 72 / 25.4


PX_TO_PT = 0.75


PAPER_PT = {"letter": (612.0, 792.0), "a4": (595.276, 841.89)}


# Placeholder pages use fixed margins: the header and footer live in them and
# the handout area is everything inside, so the two can never overlap.
MARGIN_PT = {
    "top": 16 * PT_PER_MM,
    "right": 12 * PT_PER_MM,
    "bottom": 16 * PT_PER_MM,
    "left": 12 * PT_PER_MM,
}


SLOTS_PER_PAGE = {"1-up": 1, "2-up": 2, "3-up": 3, "4-up": 4, "6-up": 6}


_LABEL_PT = 13.0


_GAP_PT = 14.0


_TURN_GAIN = 1.05
"""By default a landscape page is turned only when that prints it at least 5 % larger:
a nearly square page gains less than anyone could see, and would still make
the reader turn the binder."""


@dataclass(frozen=True)
class Cell:
    """Where one source page goes, in points from the handout area's top left."""

    x: float
    y: float
    width: float
    height: float
    source_index: int
    """Index into the handout's selected pages."""
    label: str | None
    """The slide's number in its file, printed under it (n-up layouts)."""
    notes: Rect | None
    """Area for ruled note lines (3-up), same coordinates."""
    turn: int = 0
    """Degrees clockwise the page is drawn turned beyond its own ``/Rotate`` (0: upright;
    ``width`` and ``height`` are then of the turned page)."""


@dataclass
class HandoutPlan:
    """One file item of an in-service, opened and laid out into output pages."""

    item_index: int
    title: str
    file: str
    layout: str
    opened: OpenedHandout
    pages: list[list[Cell]] = field(default_factory=list)
    language: str | None = None
    """The file's own language when the spec gives one (the item's, or its translation's)."""
    translation: int | None = None
    """Index into the item's ``translations`` for a translation's file; None: the item's own."""

    @property
    def anchor(self) -> str:
        if self.translation is None:
            return f"handout-{self.item_index + 1}"
        return f"handout-{self.item_index + 1}-t{self.translation + 1}"


@dataclass
class Binder:
    """What the bind stage knows about one in-service before rendering."""

    inservice_id: str
    handouts: list[HandoutPlan]
    warnings: list[str]
    digest: bytes
    """Hash of every handout's bytes (for the PDF identifier)."""
    found_links: list[tuple[int, str]] = field(default_factory=list)
    """(item index, URL) of every web link inside the handouts, in page order."""
    untagged: list[tuple[int, UntaggedKind]] = field(default_factory=list)
    """(item index, kind) of every handout without accessibility tags (see ``_untagged``)."""
    problems: list[tuple[int, HandoutError]] = field(default_factory=list)
    """(item index, why) of every file that cannot be used; such a binder cannot be bound,
    and :func:`open_inservice_handouts` raises the first unless asked to collect them."""


def area(paper: str) -> tuple[float, float]:
    """Width and height of the handout area on a placeholder page, in points."""
    width, height = PAPER_PT[paper]
    return (
        width - MARGIN_PT["left"] - MARGIN_PT["right"],
        height - MARGIN_PT["top"] - MARGIN_PT["bottom"],
    )


def _fit(box_w: float, box_h: float, page: PageObject) -> tuple[float, float]:
    src_w, src_h = displayed_size(page)
    scale = min(box_w / src_w, box_h / src_h)
    return src_w * scale, src_h * scale


def _turned(box_w: float, box_h: float, page: PageObject, orientation: Orientation) -> bool:
    """Whether a page printed one to a page is drawn sideways (see the module's notes)."""
    src_w, src_h = displayed_size(page)
    if orientation == "fit" or src_w <= src_h:
        return False  # a portrait (or square) page is never turned
    if orientation == "turn":
        return True
    upright = min(box_w / src_w, box_h / src_h)
    sideways = min(box_w / src_h, box_h / src_w)
    return sideways >= upright * _TURN_GAIN


def plan_cells(
    opened: OpenedHandout, layout: str, paper: str, orientation: Orientation = None
) -> list[list[Cell]]:
    """Split the handout's pages into output pages of cells for ``layout``; with 1-up,
    landscape pages are turned as ``orientation`` says."""
    width, height = area(paper)
    per_page = SLOTS_PER_PAGE[layout]
    pages: list[list[Cell]] = []
    count = len(opened.pages)
    for start in range(0, count, per_page):
        cells = []
        for slot, index in enumerate(range(start, min(start + per_page, count))):
            page = opened.pages[index]
            number = opened.source_page_numbers[index]
            if layout == "1-up":
                if _turned(width, height, page, orientation):
                    h, w = _fit(height, width, page)  # fitted sideways: the area's axes swap
                    turn = quarter_turn(page)
                else:
                    w, h = _fit(width, height, page)
                    turn = 0
                cells.append(Cell((width - w) / 2, 0.0, w, h, index, None, None, turn))
                continue
            columns = 1 if layout in ("2-up", "3-up") else 2
            rows = math.ceil(per_page / columns)
            cell_w = (width - _GAP_PT * (columns - 1)) / columns
            cell_h = (height - _GAP_PT * (rows - 1)) / rows
            col, row = slot % columns, slot // columns
            x0 = col * (cell_w + _GAP_PT)
            y0 = row * (cell_h + _GAP_PT)
            box_w = cell_w * 0.56 if layout == "3-up" else cell_w
            w, h = _fit(box_w, cell_h - _LABEL_PT, page)
            x = x0 if layout == "3-up" else x0 + (cell_w - w) / 2
            # Centre slide and label in the cell so gaps are even down the page.
            y = y0 + (cell_h - h - _LABEL_PT) / 2
            notes = None
            if layout == "3-up":
                notes = Rect(x0 + box_w + _GAP_PT, y, x0 + cell_w, y + h + _LABEL_PT)
            cells.append(Cell(x, y, w, h, index, str(number), notes))
        pages.append(cells)
    return pages
