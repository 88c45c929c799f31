"""Opening an in-service's handouts, once per process, before anything is laid out.

Every file item (and each of its translations' files) is opened, its pages
selected and planned into cells, its web links and warnings collected; a
file that cannot be used is reported as the spec names it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from packetgen.binder.placement import uri_links
from packetgen.binder.plan import PAPER_PT, Binder, HandoutPlan, plan_cells
from packetgen.errors import HandoutError
from packetgen.handouts._untagged import UntaggedKind
from packetgen.handouts.located import located_error
from packetgen.handouts.open import OpenedHandout, open_handout
from packetgen.handouts.text_urls import text_urls
from packetgen.pdf.archival import handout_problems
from packetgen.spec._sources import dotted
from packetgen.spec.models import Packet
from packetgen.support._read_once import facts_for

__all__ = ["handout_links", "language_name", "open_inservice_handouts"]


# The scan stage and the binder open the same handouts in one process: the last
# packet's are kept (a worker process opens its own once, for its in-service).
_OPENED: dict[int, tuple[Packet, dict[str, Binder]]] = {}


def open_inservice_handouts(packet: Packet, inservice_id: str, *, collect: bool = False) -> Binder:
    """Open every file item of the in-service; the links found in them are in
    :attr:`Binder.found_links` (``register_handout_links`` numbers them).

    Raises the :class:`HandoutError` of the first file that cannot be used; with
    ``collect``, returns the binder with every such file in :attr:`Binder.problems`
    instead (``packetgen check``: one broken file must not hide the next).
    """
    held = _OPENED.get(id(packet))
    if held is None or held[0] is not packet:
        _OPENED.clear()
        held = _OPENED[id(packet)] = (packet, {})
    binder = held[1].get(inservice_id)
    if binder is None:
        binder = held[1][inservice_id] = _open_handouts(packet, inservice_id)
    if binder.problems and not collect:
        raise binder.problems[0][1]
    return binder


def handout_links(
    packet: Packet, inservice_id: str, binder: Binder
) -> tuple[list[tuple[int, str]], list[str]]:
    """The binder's links found in handouts with the addresses printed in their
    text added, and the notes about pages that were not searched.

    Each item's link annotations come first, then what its files' text
    prints, file by file: the numbers of links a handout already had codes for
    do not move when its printed addresses are added. The numbering
    (:func:`~packetgen.content.links.handout_links_numbered`) takes each
    address once however spelled.
    """
    index = packet.inservice_index(inservice_id)
    by_item: dict[int, list[str]] = {}
    for j, url in binder.found_links:
        by_item.setdefault(j, []).append(url)
    notes: list[str] = []
    for plan in binder.handouts:
        printed = text_urls(plan.opened)
        by_item.setdefault(plan.item_index, []).extend(printed.urls)
        if printed.notes:
            loc: tuple[str | int, ...] = ("inservices", index, "items", plan.item_index)
            loc += (
                ("file",)
                if plan.translation is None
                else ("translations", plan.translation, "file")
            )
            label = f"{packet.where(*loc)}: {dotted(loc)}: {plan.file}"
            notes.extend(f"{label}: {note}" for note in printed.notes)
    # Items in packet order, as the binder found them.
    ordered = [(j, url) for j in sorted(by_item) for url in by_item[j]]
    return ordered, notes


def handout_bytes(path: Path) -> bytes:
    """The bytes the handout was opened from (kept by the build's read_once)."""
    known = facts_for(path)
    return known.data if known is not None and known.data is not None else path.read_bytes()


def _open_handouts(packet: Packet, inservice_id: str) -> Binder:
    index = packet.inservice_index(inservice_id)
    inservice = packet.inservices[index]
    plans: list[HandoutPlan] = []
    warnings: list[str] = []
    found: list[tuple[int, str]] = []
    untagged: list[tuple[int, UntaggedKind]] = []
    problems: list[tuple[int, HandoutError]] = []
    digest = hashlib.sha256()
    for j, item in enumerate(inservice.items):
        for file in _item_files(item):
            field_path: tuple[str | int, ...] = ("inservices", index, "items", j, *file.field)
            label = f"{packet.where(*field_path)}: {dotted(field_path)}: {file.path}"
            try:
                opened = _open_item(packet, item, field_path, file)
            except HandoutError as exc:
                # Each file is opened on its own: the next one may have a problem of its own.
                problems.append((j, exc))
                continue
            digest.update(handout_bytes(packet.folder / file.path))
            for warning in opened.warnings:
                warnings.append(f"{label}: {warning}")
            # The untagged report names items by their own file, which a translation
            # is not: reporting it there would send the trainer to the wrong file.
            if not opened.tagged and file.translation is None:
                untagged.append((j, _untagged_kind(opened)))
            found.extend((j, url) for page in opened.pages for url in uri_links(page))
            layout = item.file_options.layout
            plan = HandoutPlan(
                j,
                file.title,
                file.path,
                layout,
                opened,
                language=file.language,
                translation=file.translation,
            )
            plan.pages = plan_cells(opened, layout, packet.paper, item.file_options.orientation)
            plans.append(plan)
    return Binder(inservice_id, plans, warnings, digest.digest(), found, untagged, problems)


@dataclass(frozen=True)
class _ItemFile:
    """A file merged for an item: its own, or one of its translations'."""

    path: str
    title: str
    language: str | None
    translation: int | None
    field: tuple[str | int, ...]
    """Where the spec names it, below the item."""


def _item_files(item: Any) -> list[_ItemFile]:
    """The item's own file, then its translations' files, in the order they are merged."""
    files = []
    if item.file is not None:
        files.append(_ItemFile(item.file, item.title, item.language, None, ("file",)))
    for k, translation in enumerate(item.translations):
        if translation.file is not None:
            title = f"{translation.title or item.title} ({language_name(translation.language)})"
            where = ("translations", k, "file")
            files.append(_ItemFile(translation.file, title, translation.language, k, where))
    return files


def language_name(language: str) -> str:
    """A language as its own speakers name it ("español"), as language pickers do:
    whoever needs the translation can read its name."""
    try:
        locale = Locale.parse(language, sep="-")
        name = locale.get_display_name(locale)
    except (UnknownLocaleError, ValueError):
        name = None
    return name or language


def _open_item(
    packet: Packet, item: Any, loc: tuple[str | int, ...], file: _ItemFile
) -> OpenedHandout:
    """One file of an item; its problem located at ``loc``, the spec field naming the file.

    A translation's file is opened whole and without a password: ``pages`` and
    the passwords of the item belong to the item's own file.
    """
    own = file.translation is None
    password = item.file_options.password if own else None
    env = item.file_options.password_env if own else None
    if env:
        password = os.environ.get(env)
        if password is None:
            message = f"the environment variable {env} is not set"
            raise located_error(packet, loc, file.path, message, item=file.title)
    try:
        opened = open_handout(
            packet.folder / file.path,
            item=file.title,
            pages=item.file_options.pages if own else None,
            password=password,
            paper=PAPER_PT[packet.paper],
        )
    except HandoutError as exc:
        raise located_error(packet, loc, file.path, exc.detail, item=file.title) from None
    except ValueError as exc:  # page selection
        raise located_error(packet, loc, file.path, str(exc), item=file.title) from None
    if packet.archival:
        # Refused here, where check opens handouts too: a binder that claims
        # PDF/A and is not would be found out only when the fonts are gone.
        problems = handout_problems(list(opened.pages))
        if problems:
            message = (
                f"cannot go into an archival (PDF/A) binder: {'; '.join(problems)}. Export"
                " it again as PDF/A from the program that made it (in LibreOffice or Word:"
                " Export as PDF with the PDF/A option), or turn archival off (remove"
                " `archival:` from the spec, or build without --pdf-a)"
            )
            raise located_error(packet, loc, file.path, message, item=file.title)
    return opened


def _untagged_kind(opened: OpenedHandout) -> UntaggedKind:
    """Where an untagged handout came from, which decides what the trainer can do."""
    if opened.converted_from in ("png", "jpeg") or opened.pictures_only:
        return "picture"
    if opened.converted_from is not None:
        return "office"
    return "pdf"
