"""Packet + links → the views of one document (an in-service's, or the front matter).

The :class:`_Renderer` turns the spec's in-services, items and forms into the
frozen views of :mod:`packetgen.render.views`, numbering each in-service's links
from 1, reading Markdown images from the packet folder and, for print, leaving
an empty slot where each QR code is stamped after layout.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from packetgen._version import __version__
from packetgen.content.addresses import to_uri
from packetgen.content.credit import inservice_hours
from packetgen.content.links import LinkRef, LinkTable, item_url
from packetgen.content.qr import ErrorCorrection
from packetgen.errors import Problem, SpecError
from packetgen.pdf.layout import NO_MARGIN_BOXES
from packetgen.render.offered import OfferedFile, files_folder
from packetgen.render.themes import Theme
from packetgen.render.views import (
    AGREEMENT_SCALE,
    AgendaRow,
    ContactView,
    CreditLogRow,
    DocumentView,
    EvaluationView,
    FileOffer,
    HandoutSlot,
    InServiceView,
    ItemView,
    KitView,
    Mode,
    QRView,
    TocEntry,
    TranslationView,
)
from packetgen.render.wording import (
    KIND_LABELS,
    access_notice,
    duration,
    evaluation_questions,
    file_details,
    format_date,
    format_hours,
    format_time,
    link_title,
    printed_questions,
    starts_at,
    when_fact,
)
from packetgen.spec._sources import dotted
from packetgen.spec.loader import check_path
from packetgen.spec.models import Contact, InService, Packet, Translation
from packetgen.support._guarded import FileRefusedError, read_bytes
from packetgen.support._repro import w3c_build_date
from packetgen.text.i18n import Strings, fill, language_name, strings_for
from packetgen.text.markdown import is_web_url, render_markdown

__all__ = ["document_view", "page_css", "qr_views"]

_SELF_STUDY = ("article", "recording", "film")
_IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}
_MAX_IMAGE_BYTES = 10 * 1024 * 1024


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
            raise SpecError([Problem(file, line, col, dotted(loc), exc.message)]) from None

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
        offered: Sequence[OfferedFile] = (),
    ) -> InServiceView:
        # A volunteer holds one in-service's pages: its links are numbered from 1.
        self.inservice_id = inservice.id
        self.numbers = {
            ref.url: k for k, ref in enumerate(self.links.for_inservice(inservice.id), 1)
        }
        lang = self.packet.language
        t = self.t
        facts: list[tuple[str, str]] = []
        when = when_fact(inservice.date, inservice.time, t)
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
        offers = {f.item: self.offer(f, inservice.id) for f in offered}
        items = []
        for j, item in enumerate(inservice.items):
            loc = ("inservices", index, "items", j)
            byline = [
                value
                for value in (
                    item.byline_name,
                    item.source,
                    format_date(item.date, lang),
                    duration(item.kind, item.minutes, t),
                    starts_at(item.start_time, t),
                )
                if value
            ]
            target = item_url(item)
            ref = self.links.get(target) if target else None
            access, access_heading = access_notice(item.access, t)
            items.append(
                ItemView(
                    anchor=f"{inservice.id}-item-{j + 1}",
                    kind=item.kind,
                    kind_label=t.gettext(KIND_LABELS[item.kind]),
                    title=item.title,
                    byline=tuple(byline),
                    description=self.markdown(item.description, *loc, "description"),
                    excerpt=self.markdown(item.markdown_texts()["excerpt"], *loc, "excerpt"),
                    access=access,
                    access_heading=access_heading,
                    where_to_watch=item.watch_on,
                    qr=self.qr(ref, title=item.title, scope=inservice.id) if ref else None,
                    file_name=Path(item.file).name if item.file else None,
                    handout=(handouts or {}).get(j),
                    lang=item.language if item.language and item.language != lang else None,
                    not_in_binder=item.kind in ("handout", "presentation") and item.file is None,
                    translations=tuple(
                        self.translation(translation, item.title, inservice.id)
                        for translation in item.translations
                    ),
                    offer=offers.get(j),
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

    def offer(self, offered: OfferedFile, inservice_id: str) -> FileOffer:
        """An offered file as the page links it: beside the page, in ``<id>_files/``."""
        return FileOffer(
            href=quote(f"{files_folder(inservice_id)}/{offered.name}"),
            name=offered.name,
            details=file_details(offered.format, offered.pages, offered.size, self.t),
            converted_from=offered.converted_from,
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
                questions=evaluation_questions(
                    inservice.evaluation.questions, inservice.objectives, t
                ),
                open_questions=printed_questions(inservice.evaluation.open_questions, t),
                qr=self.qr(ref, title=form, scope=f"{inservice.id}-eval") if ref else None,
                scale=tuple(t.gettext(label) for label in AGREEMENT_SCALE),
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
        titles = {r.url: link_title(r, self.t, self.inservice_id) for r in refs}
        qrs = tuple(self.qr(r, title=titles[r.url], scope=scope) for r in refs)
        return qrs, {qr.number: titles[qr.url] for qr in qrs}


def qr_views(
    packet: Packet, links: LinkTable, refs: Sequence[LinkRef], *, scope: str
) -> tuple[tuple[QRView, ...], dict[int, str]]:
    """QR views and titles for a links appendix (of the book)."""
    return _Renderer(packet, links).qr_views(refs, scope=scope)


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    offered: Sequence[OfferedFile] = (),
) -> DocumentView:
    """The view of one in-service's document (or, with ``inservice_id=None``, the
    packet's front matter: cover and contents of every in-service).

    With ``facilitator``, the in-service's kit holds the facilitator's forms
    (the roster and the evaluation) instead of the binder's. ``offered``: the
    files the screen page offers beside it (see :mod:`packetgen.render.offered`).
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
    index = packet.inservice_index(inservice_id)
    inservice = packet.inservices[index]
    view = renderer.inservice(index, inservice, handouts, facilitator=facilitator, offered=offered)
    toc = []
    kit = _kit_entries(view, t, mode)
    if view.kit is not None and view.kit.front and mode == "print":
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
    if view.kit is not None and (not view.kit.front or mode == "screen"):
        toc.extend(kit)
    return DocumentView(
        doc_title=f"{inservice.title} — {packet.title}",
        keywords=", ".join(dict.fromkeys(item.kind_label for item in view.items)),
        inservice=view,
        toc=tuple(toc),
        qr_slots=dict(renderer.slots),
        **common,
    )


def _kit_entries(view: InServiceView, t: Strings, mode: Mode) -> list[TocEntry]:
    """The contents lines of the forms the document has.

    The screen page has none of the paper forms (a roster to sign, circles to
    mark, lines to write on): only the evaluation, when it can be filled in
    online, as a link at the end of the page (``inservice.html.j2``).
    """
    kit = view.kit
    if kit is None:
        return []
    if mode == "screen":
        if kit.evaluation is not None and kit.evaluation.qr is not None:
            return [TocEntry(1, t.gettext("Evaluation"), f"#{view.id}-evaluation")]
        return []
    entries = []
    if kit.has_signin:
        entries.append(TocEntry(1, t.gettext("Sign-in sheet"), f"#{view.id}-signin"))
    if kit.evaluation is not None:
        entries.append(TocEntry(1, t.gettext("Evaluation"), f"#{view.id}-evaluation"))
    if kit.credit_log or kit.credit_log_rows:
        entries.append(TocEntry(1, t.gettext("Self-study credit log"), f"#{view.id}-credit-log"))
    return entries
