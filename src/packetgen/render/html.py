"""render: Packet + links → HTML, through Jinja2 templates and a theme's CSS.

Everything a template shows is computed here, up front, into small frozen
views; templates only place them. Autoescaping is on and undefined names are
errors, so a spec can never inject markup and a typo in a template fails loudly.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from packetgen._version import __version__
from packetgen.content.credit import inservice_hours
from packetgen.content.links import LinkRef, LinkTable, item_url, to_uri
from packetgen.content.qr import ErrorCorrection
from packetgen.errors import BuildError, Problem, SpecError
from packetgen.pdf.layout import NO_MARGIN_BOXES
from packetgen.render.themes import Theme
from packetgen.spec.loader import check_path
from packetgen.spec.models import Contact, Evaluation, InService, Packet, Translation, session_times
from packetgen.support._guarded import FileRefusedError, read_bytes
from packetgen.support._repro import w3c_build_date
from packetgen.text.i18n import N_, Strings, fill, language_name, strings_for
from packetgen.text.markdown import is_web_url, render_markdown

__all__ = [
    "DELIVERY_LABELS",
    "AgendaRow",
    "ContactView",
    "DocumentView",
    "HandoutSlot",
    "InServiceView",
    "ItemView",
    "Mode",
    "TranslationView",
    "format_date",
    "format_hours",
    "format_time",
    "render_document",
]

Mode = Literal["print", "screen"]
"""``print`` feeds WeasyPrint; ``screen`` is the standalone HTML file."""

KIND_LABELS = {
    "article": N_("Article"),
    "recording": N_("Recording"),
    "handout": N_("Handout"),
    "presentation": N_("Slides"),
    "film": N_("Film"),
    "campaign": N_("Campaign"),
    "link": N_("Website"),
    "note": N_("Note"),
}
"""In English; printed through ``Strings.gettext``."""
DELIVERY_LABELS = {
    "in_person": N_("in person"),
    "virtual": N_("live online"),
    "self_study": N_("self-study"),
}
"""How an in-service's credit was earned (``delivery``), as certificates and the
attendance sheet say it: "1.5 hours of in-service credit, in person" (in English;
printed through ``Strings.gettext``)."""
_SELF_STUDY = ("article", "recording", "film")
# English and Spanish words of sign-up steps: a Spanish packet's notices say
# "inscríbete", "crea una cuenta", "contraseña".
_REGISTRATION = re.compile(
    r"regist|sign[ -]?up|log ?in|account|password|inscri|cuenta|contrase|iniciar sesi",
    re.IGNORECASE,
)
_OBJECTIVES_QUESTION = "The in-service met its stated objectives."
"""The default evaluation's generic question, which the objectives' own questions replace."""
_DEFAULT_QUESTIONS = frozenset(
    (
        *Evaluation.model_fields["questions"].get_default(call_default_factory=True),
        *Evaluation.model_fields["open_questions"].get_default(call_default_factory=True),
    )
)
"""The spec's default evaluation questions: these are packetgen's words, and print
in the reader's language; a trainer's own questions print as written."""
# The defaults, marked for the catalog (the spec, which holds them, stays free of i18n).
_DEFAULT_QUESTION_MESSAGES = (
    N_("The in-service met its stated objectives."),
    N_("The presenter knew the subject well."),
    N_("I can use what I learned in my advocacy."),
    N_("The materials were useful."),
    N_("What was the most useful part of this in-service?"),
    N_("What would you change, or like to learn about next?"),
)
_SCALE = (
    N_("Strongly disagree"),
    N_("Disagree"),
    N_("Neutral"),
    N_("Agree"),
    N_("Strongly agree"),
)
_IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}
_MAX_IMAGE_BYTES = 10 * 1024 * 1024
_WIDE_CODE_MM = 34.0
"""Past this, an appendix card takes the whole width (its text would be too narrow)."""
_TEMPLATES = Path(__file__).resolve().parent / "templates"


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
    scale: tuple[str, ...] = _SCALE


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


# ---------------------------------------------------------------- helpers


def format_date(value: dt.date | None, lang: str) -> str | None:
    """A date as readers of ``lang`` write it: March 12, 2018; 12 de marzo de 2018."""
    if value is None:
        return None
    if _english(lang):
        return f"{value:%B} {value.day}, {value.year}"
    return strings_for(lang).date(value)


def _english(lang: str) -> bool:
    return lang.split("-")[0].lower() == "en"


def format_time(value: str | None, lang: str) -> str | None:
    """A validated ``time:`` as readers of ``lang`` write it: "6:30-8:00 pm" in English,
    "18:30-20:00" otherwise (an en dash, not a hyphen, between start and end)."""
    if value is None:
        return None
    start, end = session_times(value)
    if not _english(lang):
        return "\u2013".join(t.strftime("%H:%M") for t in (start, end) if t is not None)
    first, first_half = _twelve_hour(start)
    if end is None:
        return f"{first}{_NBSP}{first_half}"
    last, last_half = _twelve_hour(end)
    # "6:30-8:00 pm" (en dash): the half of the day is said once when both share it.
    if first_half == last_half:
        return f"{first}\u2013{last}{_NBSP}{last_half}"
    return f"{first}{_NBSP}{first_half}\u2013{last}{_NBSP}{last_half}"


# "am" and "pm" never start a line of their own.
_NBSP = "\u00a0"


def _twelve_hour(value: dt.time) -> tuple[str, str]:
    return f"{value.hour % 12 or 12}:{value.minute:02d}", "am" if value.hour < 12 else "pm"


def _when(date: dt.date | None, time: str | None, t: Strings) -> tuple[str, str] | None:
    day, hours = format_date(date, t.language), format_time(time, t.language)
    if day and hours:
        return t.gettext("When"), f"{day} \u00b7 {hours}"
    if day:
        return t.gettext("Date"), day
    if hours:
        return t.gettext("Time"), hours
    return None


def _contact(contact: Contact | None) -> ContactView | None:
    if contact is None:
        return None
    digits = re.sub(r"[^0-9+]", "", contact.phone or "")
    return ContactView(
        name=contact.name,
        role=contact.role or None,
        email=contact.email,
        phone=contact.phone or None,
        # Quoted, so that a "?" or "&" in the address cannot add headers to the mail.
        email_uri=f"mailto:{quote(contact.email, safe='@+')}" if contact.email else None,
        phone_uri=f"tel:{digits}" if len(digits.lstrip("+")) >= 3 else None,
    )


def _access(text: str | None, t: Strings) -> tuple[str | None, str]:
    """The access notice's text and heading, without the heading's words twice.

    "Registration required. Enter your details." under the heading
    "Registration required" would print the words twice: the body starts after them.
    """
    plain = t.gettext("How to get in")
    if text is None or not text.strip():
        return None, plain
    english = N_("Registration required") if _REGISTRATION.search(text) else N_("How to get in")
    heading = t.gettext(english)
    # The notice may start with the heading's words in the packet's language or
    # in English (a packet that rewords the heading with `strings:`).
    for said in dict.fromkeys((heading, english)):
        words = r"\s+".join(re.escape(word) for word in said.split())
        lead = re.match(rf"\s*{words}\b", text, re.IGNORECASE)
        if lead is not None:
            break
    else:
        return text, heading
    clause = re.match(r"\s*(?:[.:;!,\u2013\u2014-]+\s*|$)", text[lead.end() :])
    if clause is None:
        # "Registration required for members only" says more than the heading
        # would: it stays whole, under the plain heading.
        return text, plain
    rest = text[lead.end() + clause.end() :]
    return rest[:1].upper() + rest[1:], heading


def _evaluation_questions(
    questions: Sequence[str], objectives: Sequence[str], t: Strings
) -> tuple[str, ...]:
    """The rated statements: one per objective in place of the generic one.

    The spec's objectives are phrases that continue "you will be able to"
    ("Recognize the signs of trafficking"), so each reads on from "I can now":
    the volunteer rates what the cover promised, in few enough words that a
    statement keeps to two lines of the form.
    """
    if not objectives:
        return _questions(questions, t)
    asked = tuple(
        fill(t.gettext("I can now {objective}"), objective=_continued(o)) for o in objectives
    )
    kept = [q for q in questions if q != _OBJECTIVES_QUESTION]
    at = questions.index(_OBJECTIVES_QUESTION) if _OBJECTIVES_QUESTION in questions else 0
    return (*_questions(kept[:at], t), *asked, *_questions(kept[at:], t))


def _questions(questions: Sequence[str], t: Strings) -> tuple[str, ...]:
    """The questions as printed: the spec's defaults in the reader's language."""
    return tuple(t.gettext(q) if q in _DEFAULT_QUESTIONS else q for q in questions)


def _continued(objective: str) -> str:
    """``objective`` in the middle of a sentence, ending with a full stop."""
    text = objective.strip().rstrip(".;")
    first, _, rest = text.partition(" ")
    # "Recognize" goes on in lower case; "CSEC" or "I" keep their capitals.
    if len(first) > 1 and first[0].isupper() and first[1:].islower():
        text = first[0].lower() + first[1:] + (" " + rest if rest else "")
    return text if text.endswith(("?", "!")) else f"{text}."


def _minutes(kind: str, minutes: int | None, t: Strings) -> str | None:
    if minutes is None:
        return None
    if kind == "article":
        return fill(t.gettext("{minutes} min read"), minutes=minutes)
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        if rest:
            return fill(t.gettext("{hours} h {minutes} min"), hours=hours, minutes=rest)
        return fill(t.gettext("{hours} h"), hours=hours)
    return fill(t.gettext("{minutes} min"), minutes=minutes)


def format_hours(value: float, strings: Strings | None = None) -> str:
    """``1.5 hours``, ``1 hour``, ``1,5 horas``: the number and its unit never split
    over two lines."""
    t = strings or strings_for("en")
    # Catalogs choose a form by a whole number; 1.5 reads as a plural in the
    # languages packetgen speaks ("1.5 hours", "1,5 horas").
    count = int(value) if float(value).is_integer() else 2
    number = f"{value:g}" if t.english else t.number(value)
    # "1.5 / hours" split over two lines of a heading reads as two facts.
    form = t.ngettext("{count} hour", "{count} hours", count).replace("{count} ", "{count}" + _NBSP)
    return fill(form, count=number)


class _Renderer:
    """Builds the views for one packet; knows the packet folder for Markdown images."""

    def __init__(self, packet: Packet, links: LinkTable, mode: Mode = "print") -> None:
        self.packet = packet
        self.links = links
        self.mode = mode
        self._qr_ids: dict[str, int] = {}
        self._hours: dict[str, float | None] = {}
        self.numbers: dict[str, int] = {}
        """URL → the number printed beside it: each in-service numbers its links from 1."""
        self.inservice_id: str | None = None
        self.slots: dict[str, tuple[str, ErrorCorrection]] = {}
        """Element id of every QR slot laid out (print) → what its code carries."""
        self.t = strings_for(packet.language, packet.strings)
        """The document's texts: one per document, so its fallbacks are the document's."""

    def number(self, url: str) -> int | None:
        return self.numbers.get(url)

    def markdown(self, text: str | None, *loc: str | int) -> Markup:
        try:
            return render_markdown(text, link_number=self.number, image_src=self._image)
        except _Refused as exc:
            file, line, col = self.packet.locate(*loc)
            raise SpecError([Problem(file, line, col, _dotted(loc), exc.message)]) from None

    def _image(self, src: str) -> str:
        if is_web_url(src) or ":" in src.split("/")[0]:
            raise _Refused(
                f"the image {src!r} is not in the packet folder; packetgen does not load images"
                " from the web or other places. Copy the image into the packet folder and use"
                " its relative path"
            )
        problem = check_path(self.packet.folder.resolve(), src)
        if problem:
            raise _Refused(f"image: {problem}")
        # check_path judged the name; the guarded read judges the file it opens
        # (inside the folder, a regular file, its size before a byte is read).
        try:
            data = read_bytes(
                self.packet.folder / src,
                roots=(self.packet.folder,),
                shown=src,
                max_bytes=_MAX_IMAGE_BYTES,
                limit="10 MiB",
                advice="; make the picture smaller",
            )
        except FileRefusedError as exc:
            raise _Refused(f"the image {src!r} {exc.detail}") from None
        mime = next((m for magic, m in _IMAGE_TYPES.items() if data.startswith(magic)), None)
        if mime is None:
            raise _Refused(f"the image {src!r} is not a PNG, JPEG or GIF file")
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

    def qr(self, ref: LinkRef, *, title: str, scope: str) -> QRView:
        number = self.numbers.get(ref.url, ref.number)
        key = f"qr-{scope}-{number}"
        count = self._qr_ids.get(key, 0)
        self._qr_ids[key] = count + 1
        element_id = key if count == 0 else f"{key}-{count}"
        size = ref.size_mm
        label = fill(
            self.t.gettext("QR code for {title}: {address}"), title=title, address=ref.label
        )
        if self.mode == "print":
            # An empty slot of the code's size: the code is stamped in after layout.
            self.slots[element_id] = (ref.encoded, ref.error_correction)
            mm = f"{size:.2f}mm"
            markup = (
                f'<span class="qr-slot" id="{element_id}" role="img"'
                f' aria-label="{html.escape(label, quote=True)}"'
                f' style="width: {mm}; height: {mm}"></span>'
            )
        else:
            markup = ref.qr.svg(title=label, element_id=element_id, size_mm=size)
        return QRView(number, ref.url, ref.label, Markup(markup), size, to_uri(ref.url))

    def inservice(
        self,
        index: int,
        inservice: InService,
        handouts: dict[int, HandoutSlot] | None = None,
        *,
        facilitator: bool = False,
    ) -> InServiceView:
        # A volunteer holds one in-service's pages: its links are numbered from 1.
        self.inservice_id = inservice.id
        self.numbers = {
            ref.url: k for k, ref in enumerate(self.links.for_inservice(inservice.id), 1)
        }
        lang = self.packet.language
        t = self.t
        facts: list[tuple[str, str]] = []
        when = _when(inservice.date, inservice.time, t)
        if when is not None:
            facts.append(when)
        hours = self.hours(inservice)
        for label, value in (
            (t.gettext("Presenter"), inservice.presenter),
            (t.gettext("Location"), inservice.location),
            # Computed credit of 0 means nothing here earns credit: say nothing.
            (t.gettext("Credit"), format_hours(hours, t) if hours else None),
        ):
            if value:
                facts.append((label, value))
        items = []
        for j, item in enumerate(inservice.items):
            loc = ("inservices", index, "items", j)
            byline = [
                value
                for value in (
                    getattr(item, "presenter", None),
                    getattr(item, "author", None),
                    item.source,
                    format_date(item.date, lang),
                    _minutes(item.kind, item.minutes, t),
                    _starts(getattr(item, "start", None), t),
                )
                if value
            ]
            target = item_url(item)
            ref = self.links.get(target) if target else None
            access, access_heading = _access(item.access, t)
            items.append(
                ItemView(
                    anchor=f"{inservice.id}-item-{j + 1}",
                    kind=item.kind,
                    kind_label=t.gettext(KIND_LABELS[item.kind]),
                    title=item.title,
                    byline=tuple(byline),
                    description=self.markdown(item.description, *loc, "description"),
                    excerpt=self.markdown(getattr(item, "excerpt", None), *loc, "excerpt"),
                    access=access,
                    access_heading=access_heading,
                    where_to_watch=tuple(getattr(item, "where_to_watch", ()) or ()),
                    qr=self.qr(ref, title=item.title, scope=inservice.id) if ref else None,
                    file_name=Path(item.file).name if item.file else None,
                    handout=(handouts or {}).get(j),
                    lang=item.language if item.language and item.language != lang else None,
                    not_in_binder=item.kind in ("handout", "presentation") and item.file is None,
                    translations=tuple(
                        self.translation(translation, item.title, inservice.id)
                        for translation in item.translations
                    ),
                )
            )
        qrs, titles = self.qr_views(
            self.links.for_inservice(inservice.id), scope=f"{inservice.id}-a"
        )
        return InServiceView(
            id=inservice.id,
            anchor=f"{inservice.id}-section",
            title=inservice.title,
            facts=tuple(facts),
            summary=self.markdown(inservice.summary, "inservices", index, "summary"),
            items=tuple(items),
            links=qrs,
            link_titles=titles,
            inline_handouts=self.packet.placement(inservice) == "inline",
            kit=self.kit(inservice, facts, facilitator=facilitator),
            contact=_contact(inservice.contact),
            objectives=tuple(inservice.objectives),
            agenda=tuple(
                AgendaRow(format_time(entry.time, lang) or "", entry.title, entry.presenter or None)
                for entry in inservice.agenda
            ),
        )

    def translation(self, translation: Translation, title: str, scope: str) -> TranslationView:
        """A translation of an item, with its code when the link table numbered its address."""
        name = language_name(translation.language, self.packet.language)
        ref = self.links.get(translation.url) if translation.url else None
        shown = translation.title or title
        return TranslationView(
            lang=translation.language,
            heading=fill(self.t.gettext("Also in {language}"), language=name),
            title=shown,
            qr=self.qr(ref, title=shown, scope=scope) if ref else None,
        )

    def hours(self, inservice: InService) -> float | None:
        """Given or computed credit hours (computed once per in-service)."""
        if inservice.id not in self._hours:
            self._hours[inservice.id] = inservice_hours(self.packet, inservice).hours
        return self._hours[inservice.id]

    def kit(
        self, inservice: InService, facts: list[tuple[str, str]], *, facilitator: bool = False
    ) -> KitView | None:
        """The forms of the binder, or with ``facilitator`` those of the facilitator's kit.

        The roster is the facilitator's: one copy at the door, not one in every
        binder, unless the spec keeps it there (``signin: {in_binder: true}``).
        The credit log is the participant's, and only in the binder.
        """
        roster = inservice.signin is not None and (facilitator or inservice.signin.in_binder)
        credit_log = inservice.credit_log and not facilitator
        if not (roster or inservice.evaluation or credit_log):
            return None
        heading = " · ".join([inservice.title, *(value for _label, value in facts)])
        t = self.t
        evaluation = None
        if inservice.evaluation is not None:
            ref = self.links.get(inservice.evaluation.url) if inservice.evaluation.url else None
            form = t.gettext("the online evaluation form")
            evaluation = EvaluationView(
                questions=_evaluation_questions(
                    inservice.evaluation.questions, inservice.objectives, t
                ),
                open_questions=_questions(inservice.evaluation.open_questions, t),
                qr=self.qr(ref, title=form, scope=f"{inservice.id}-eval") if ref else None,
                scale=tuple(t.gettext(label) for label in _SCALE),
            )
        signin = inservice.signin if roster else None
        log = tuple(
            CreditLogRow(
                item.title,
                t.gettext(KIND_LABELS[item.kind]),
                f"{item.minutes}" if item.minutes else "",
            )
            for item in inservice.items
            if item.kind in _SELF_STUDY
        )
        columns = (t.gettext("Name"), t.gettext("Role"), t.gettext("Signature"))
        return KitView(
            front=inservice.kit_placement == "front",
            heading=heading,
            signin_rows=tuple(range(1, signin.rows + 1)) if signin else (),
            signin_columns=(*columns, *signin.columns) if signin else (),
            evaluation=evaluation,
            credit_log=log if credit_log else (),
            # Blank rows too, for what a volunteer reads beyond the packet.
            credit_log_rows=max(0, 6 - len(log)) + 2 if credit_log else 0,
        )

    def qr_views(
        self, refs: Sequence[LinkRef], *, scope: str
    ) -> tuple[tuple[QRView, ...], dict[int, str]]:
        """QR views and titles for a links appendix."""
        titles = {r.url: _link_title(r, self.t, self.inservice_id) for r in refs}
        qrs = tuple(self.qr(r, title=titles[r.url], scope=scope) for r in refs)
        return qrs, {qr.number: titles[qr.url] for qr in qrs}


def qr_views(
    packet: Packet, links: LinkTable, refs: Sequence[LinkRef], *, scope: str
) -> tuple[tuple[QRView, ...], dict[int, str]]:
    """QR views and titles for a links appendix (of the book)."""
    return _Renderer(packet, links).qr_views(refs, scope=scope)


def _starts(start: str | None, t: Strings) -> str | None:
    return fill(t.gettext("starts at {start}"), start=start) if start else None


def _link_title(ref: LinkRef, t: Strings, inservice_id: str | None = None) -> str:
    """The items that carry the link (in the in-service at hand, when given)."""
    sources = [s for s in ref.sources if inservice_id is None or s.inservice == inservice_id]
    # The evaluation form's link is named by packetgen, not by the trainer: its
    # name is in the catalog (links.EVALUATION_FORM).
    titles = list(
        dict.fromkeys(
            t.gettext(source.item) if source.field.endswith("evaluation.url") else source.item
            for source in sources or ref.sources
        )
    )
    if len(titles) == 1:
        return titles[0]
    return fill(t.gettext("{title} (and {count} more)"), title=titles[0], count=len(titles) - 1)


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# ---------------------------------------------------------------- documents


# Keyed by the templates' text: bounded, so a long `packetgen serve` session in
# which a trainer edits a template again and again does not keep every version.
@lru_cache(maxsize=8)
def _environment(overrides: tuple[tuple[str, str], ...]) -> jinja2.Environment:
    # The theme's templates were read and checked by load_theme (confined to the
    # theme folder, UTF-8, bounded); Jinja never opens a theme file itself. Only
    # packetgen's own templates come from disk.
    loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader(dict(overrides)), jinja2.FileSystemLoader(str(_TEMPLATES))]
    )
    # Sandboxed: a theme's template overrides may come from an untrusted upload,
    # and an ordinary environment lets a template reach any Python object.
    env = ImmutableSandboxedEnvironment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Newstyle: {% trans %} placeholders are filled (and escaped) by gettext
    # itself, so a translation may move them. Trimmed: a message wrapped over
    # lines of a template is one line of the catalog (babel.cfg says the same).
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    # Globals, not render variables: macros imported without context see only
    # globals. They read the document's language from _STRINGS, for the
    # environment is shared by documents in different languages (and threads).
    env.globals.update(gettext=_gettext, ngettext=_ngettext)
    return env


_STRINGS: ContextVar[Strings | None] = ContextVar("packetgen_strings", default=None)
"""The texts of the document being rendered (set by ``render_document``)."""


def _current_strings() -> Strings:
    strings = _STRINGS.get()
    if strings is None:  # a template rendered outside render_document
        raise BuildError("a template asked for a translation outside render_document")
    return strings


def _html_text(text: str) -> Markup:
    """A translated text for HTML. Catalog texts are plain text, and a packet's
    ``strings:`` must not inject markup; quotes are escaped for attributes, the
    apostrophe (never an attribute's delimiter here) is left as the templates had it."""
    return Markup(
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    )


def _gettext(message: str, /, **variables: object) -> Markup:
    """The i18n extension's newstyle ``gettext``, in the document's language."""
    return _formatted(_current_strings().gettext(message), message, variables)


def _ngettext(singular: str, plural: str, num: int, /, **variables: object) -> Markup:
    """The i18n extension's newstyle ``ngettext``, in the document's language."""
    variables.setdefault("num", num)
    text = _current_strings().ngettext(singular, plural, num)
    return _formatted(text, singular if num == 1 else plural, variables)


def _formatted(text: str, english: str, variables: dict[str, object]) -> Markup:
    """``text`` with the template's values in (escaped by Markup's ``%``).

    Newstyle gettext always formats, so "%%" in a message is "%" (as Jinja's own).
    A packet's ``strings:`` with a stray "%" or a misspelt ``%(name)s`` would
    stop the build: the English text, whose placeholders are right, prints instead.
    """
    try:
        return _html_text(text) % variables
    except (KeyError, ValueError, TypeError):
        return _html_text(english) % variables


def page_css(packet: Packet) -> str:
    """Per-document page rules: the paper size, and no margin boxes.

    The running header, the footer and the page numbers are stamped on after
    layout (see ``_stamps``), when the final order of the pages is known.
    """
    size = "letter" if packet.paper == "letter" else "A4"
    return f"@page {{ size: {size} }}\n{NO_MARGIN_BOXES}"


def document_view(
    packet: Packet,
    links: LinkTable,
    theme: Theme,
    *,
    mode: Mode,
    inservice_id: str | None,
    handouts: dict[int, HandoutSlot] | None = None,
    facilitator: bool = False,
) -> DocumentView:
    """The view of one in-service's document (or, with ``inservice_id=None``, the
    packet's front matter: cover and contents of every in-service).

    With ``facilitator``, the in-service's kit holds the facilitator's forms
    (the roster and the evaluation) instead of the binder's.
    """
    renderer = _Renderer(packet, links, mode)
    t = renderer.t
    # Print documents get the theme's stylesheet from layout_html, parsed once per
    # process; the HTML page carries its CSS, for it stands alone.
    css = theme.print_css + "\n" + theme.screen_css if mode == "screen" else ""
    common: dict[str, Any] = {
        "mode": mode,
        "lang": packet.language,
        "packet_title": packet.title,
        "subtitle": packet.subtitle,
        "organization": packet.organization,
        "advisory": packet.advisory,
        "created": w3c_build_date(),
        "generator": f"packetgen {__version__}",
        # Theme stylesheets with "</style" are refused by load_theme; escaping
        # every "</" as well ("\/" is "/" in CSS strings, comments and URLs) keeps
        # any stylesheet from closing the <style> element it is printed in.
        "css": Markup(css.replace("</", "<\\/")),
        "page_css": Markup(page_css(packet)),
        "strings": t,
    }
    if inservice_id is None:
        views = tuple(renderer.inservice(i, s) for i, s in enumerate(packet.inservices))
        return DocumentView(
            doc_title=packet.title,
            keywords=", ".join(s.title for s in packet.inservices),
            inservices=views,
            qr_slots=dict(renderer.slots),
            **common,
        )
    index = next(i for i, s in enumerate(packet.inservices) if s.id == inservice_id)
    inservice = packet.inservices[index]
    view = renderer.inservice(index, inservice, handouts, facilitator=facilitator)
    toc = []
    kit = _kit_entries(view, t)
    if view.kit is not None and view.kit.front:
        toc.extend(kit)
    toc.append(TocEntry(1, view.title, f"#{view.anchor}"))
    for item in view.items:
        toc.append(TocEntry(2, item.title, f"#{item.anchor}", item.kind_label))
        if item.handout is not None:
            toc.append(
                TocEntry(2, item.handout.title, f"#{item.handout.anchor}", t.gettext("In binder"))
            )
    if view.links:
        toc.append(TocEntry(1, t.gettext("Links in this packet"), f"#{inservice.id}-links"))
    if view.kit is not None and not view.kit.front:
        toc.extend(kit)
    return DocumentView(
        doc_title=f"{inservice.title} — {packet.title}",
        keywords=", ".join(dict.fromkeys(item.kind_label for item in view.items)),
        inservice=view,
        toc=tuple(toc),
        qr_slots=dict(renderer.slots),
        **common,
    )


def _kit_entries(view: InServiceView, t: Strings) -> list[TocEntry]:
    kit = view.kit
    if kit is None:
        return []
    entries = []
    if kit.has_signin:
        entries.append(TocEntry(1, t.gettext("Sign-in sheet"), f"#{view.id}-signin"))
    if kit.evaluation is not None:
        entries.append(TocEntry(1, t.gettext("Evaluation"), f"#{view.id}-evaluation"))
    if kit.credit_log or kit.credit_log_rows:
        entries.append(TocEntry(1, t.gettext("Self-study credit log"), f"#{view.id}-credit-log"))
    return entries


def render_document(view: object, theme: Theme, template: str = "inservice.html.j2") -> str:
    """Render ``view`` with the theme's templates (overrides first), in the view's
    language (its ``strings``, or else its ``lang``)."""
    env = _environment(theme.templates)
    strings = getattr(view, "strings", None)
    if not isinstance(strings, Strings):
        strings = strings_for(str(getattr(view, "lang", "en")))
    token = _STRINGS.set(strings)
    try:
        return env.get_template(template).render(doc=view)
    except SecurityError as exc:
        raise BuildError(f"the theme's templates tried something not allowed: {exc}") from None
    except jinja2.TemplateError as exc:
        where = (
            f" ({exc.name}, line {exc.lineno})"
            if isinstance(exc, jinja2.TemplateSyntaxError)
            else ""
        )
        raise BuildError(f"the theme's templates failed{where}: {exc}") from None
    finally:
        _STRINGS.reset(token)
