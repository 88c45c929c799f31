"""The views: the template contract, one small frozen dataclass per thing a page shows.

Everything a template prints is computed up front (``packetgen.render.document``)
into these views; templates only place them. A template may use the fields and
properties here and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup

from packetgen.content.qr import ErrorCorrection
from packetgen.text.i18n import N_, Strings, strings_for

__all__ = [
    "AGREEMENT_SCALE",
    "AgendaRow",
    "ContactView",
    "CreditLogRow",
    "DocumentView",
    "EvaluationView",
    "FileOffer",
    "HandoutSlot",
    "InServiceView",
    "ItemView",
    "KitView",
    "Mode",
    "QRView",
    "TocEntry",
    "TranslationView",
]

Mode = Literal["print", "screen"]
"""``print`` feeds WeasyPrint; ``screen`` is the standalone HTML file."""
AGREEMENT_SCALE = (
    N_("Strongly disagree"),
    N_("Disagree"),
    N_("Neutral"),
    N_("Agree"),
    N_("Strongly agree"),
)
_WIDE_CODE_MM = 34.0
"""Past this, an appendix card takes the whole width (its text would be too narrow)."""


@dataclass(frozen=True)
class QRView:
    """A QR code as placed beside an item or in the appendix."""

    number: int
    url: str
    label: str
    svg: Markup
    size_mm: float
    uri: str = ""
    """The ASCII form of ``url`` for links (IDNA host); the QR code carries ``url``."""

    @property
    def label_html(self) -> Markup:
        """The address to type, with break opportunities after ``/ . - ? & = _`` only."""
        return Markup("<wbr>").join(re.split(r"(?<=[./?&=_-])", self.label))

    @property
    def style(self) -> str:
        """Custom properties that size the code's column (codes grow with their URL)."""
        return f"--qr-size: {self.size_mm:.2f}mm"

    @property
    def wide(self) -> bool:
        """Too wide to share a row of the links appendix with another card."""
        return self.size_mm > _WIDE_CODE_MM


@dataclass(frozen=True)
class HandoutSlot:
    """Where a merged handout starts in the binder (filled by the bind stage)."""

    anchor: str
    title: str
    pages: int
    placeholders: Markup
    """Placeholder pages WeasyPrint lays out; handout pages are drawn onto them."""


@dataclass(frozen=True)
class FileOffer:
    """A handout's or deck's file, offered beside the HTML page (``<id>_files/<name>``)."""

    href: str
    """Relative to the page, percent-encoded."""
    name: str
    details: str
    """What the reader is about to open: "PDF, 1 page, 43 kB"."""
    converted_from: str | None = None
    """The office document the PDF was made from ("slides.pptx"), said beside it."""


@dataclass(frozen=True)
class TranslationView:
    """The same resource in another language, printed with its item."""

    lang: str
    heading: str
    """In the document's language: "Also in Spanish", "También en inglés"."""
    title: str
    qr: QRView | None = None


@dataclass(frozen=True)
class ItemView:
    """One item, ready to print."""

    anchor: str
    kind: str
    kind_label: str
    title: str
    byline: tuple[str, ...]
    description: Markup
    excerpt: Markup
    access: str | None
    """The access notice's text after its heading ("" when the heading says it all)."""
    access_heading: str
    where_to_watch: tuple[str, ...]
    qr: QRView | None
    file_name: str | None
    handout: HandoutSlot | None
    lang: str | None = None
    """The item's own language, when it is not the document's (its title and text)."""
    not_in_binder: bool = False
    """A handout or deck given by ``url`` only: the binder says to open it from its code."""
    translations: tuple[TranslationView, ...] = ()
    offer: FileOffer | None = None
    """Screen mode: the item's file, to open beside the page (None: not offered)."""


@dataclass(frozen=True)
class ContactView:
    """Who to ask about the in-service, with the links a screen can follow."""

    name: str
    role: str | None
    email: str | None
    phone: str | None
    email_uri: str | None
    phone_uri: str | None

    @property
    def who(self) -> str:
        return ", ".join(part for part in (self.name, self.role) if part)


@dataclass(frozen=True)
class AgendaRow:
    """One line of the agenda: its time as printed, what happens, who leads it."""

    time: str
    title: str
    presenter: str | None


@dataclass(frozen=True)
class InServiceView:
    """One in-service section."""

    id: str
    anchor: str
    title: str
    facts: tuple[tuple[str, str], ...]
    """Date and time, presenter, location and credit: the cover's list, and the line
    under the title wherever the in-service is named (contents, forms)."""
    summary: Markup
    items: tuple[ItemView, ...]
    links: tuple[QRView, ...]
    link_titles: dict[int, str]
    inline_handouts: bool = False
    kit: KitView | None = None
    contact: ContactView | None = None
    objectives: tuple[str, ...] = ()
    agenda: tuple[AgendaRow, ...] = ()

    @property
    def agenda_times(self) -> bool:
        """Whether any agenda line has a time (otherwise the time column is left out)."""
        return any(row.time for row in self.agenda)


@dataclass(frozen=True)
class EvaluationView:
    """The evaluation form."""

    questions: tuple[str, ...]
    open_questions: tuple[str, ...]
    qr: QRView | None
    scale: tuple[str, ...] = AGREEMENT_SCALE


@dataclass(frozen=True)
class CreditLogRow:
    """One self-study item on the credit log."""

    title: str
    kind_label: str
    minutes: str


@dataclass(frozen=True)
class KitView:
    """The trainer's forms printed with the in-service."""

    front: bool
    """True: right after the contents; False: at the end of the binder."""
    heading: str
    """``in-service title · date · presenter · hours`` printed on every form."""
    signin_rows: tuple[int, ...] = ()
    signin_columns: tuple[str, ...] = ()
    evaluation: EvaluationView | None = None
    credit_log: tuple[CreditLogRow, ...] = ()
    credit_log_rows: int = 0

    @property
    def has_signin(self) -> bool:
        return bool(self.signin_rows)


@dataclass(frozen=True)
class TocEntry:
    """A line of the table of contents."""

    level: int
    title: str
    href: str | None
    """``#anchor`` of the target in the same document; None when the target is in
    another part of an assembled book (``page`` then gives its number)."""
    kind: str = ""
    page: int | str | None = None
    """A literal page number (or "part 2 · 13 pages"), for documents assembled from parts."""
    anchor_id: str | None = None
    """An id on the entry itself, so the assembler can find it and add the link."""


@dataclass(frozen=True)
class DocumentView:
    """Everything one HTML document shows."""

    mode: Mode
    lang: str
    doc_title: str
    packet_title: str
    subtitle: str | None
    organization: str | None
    advisory: str | None
    created: str | None
    keywords: str
    generator: str
    css: Markup
    page_css: Markup
    inservice: InServiceView | None = None
    inservices: tuple[InServiceView, ...] = ()
    toc: tuple[TocEntry, ...] = ()
    appendix: tuple[QRView, ...] = ()
    appendix_titles: dict[int, str] = field(default_factory=dict)
    show_cover: bool = True
    show_contents: bool = True
    qr_slots: dict[str, tuple[str, ErrorCorrection]] = field(default_factory=dict)
    """Print mode: the element id of every empty QR slot → what its code carries."""
    strings: Strings = field(default_factory=lambda: strings_for("en"), compare=False, repr=False)
    """The document's texts: the templates print through it, and its ``fallbacks``
    tell which texts printed in English for want of a translation."""
