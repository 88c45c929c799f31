"""check: everything ``build`` would refuse, found without laying out a page.

Trainers run ``packetgen check`` the night before a session; a check that
passes while the build then refuses a handout costs them that night. So the
check goes down the build's own path as far as it can without layout: it opens
every handout the way the binder does (type, damage, encryption and passwords,
page selections, pictures, office files through LibreOffice), loads every
theme, builds each in-service's document view (which reads every Markdown
image) and renders its templates, and reads the certificate's signature and
attendee list. Every message is the build's own, at the spec line, and every
problem is found: one broken file does not hide the next.

What the handout scan learns is stored in the output folder's build cache, as
the build stores it, so a ``build`` after a ``check`` does not open the
handouts again.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from packetgen.build._cache import CACHE_DIR_NAME, BuildCache
from packetgen.build.inputs import as_packet
from packetgen.build.results import Progress, Reporter
from packetgen.build.scan import ScanProblem, scan_handouts, scan_warnings
from packetgen.build.staging import refuse_overwriting_inputs
from packetgen.content.links import LinkTable, collect_links
from packetgen.errors import HandoutError, PacketgenError, SpecError
from packetgen.handouts._untagged import UntaggedHandout, untagged_warning
from packetgen.render.themes import BUILTIN_THEMES, Theme, load_theme
from packetgen.spec._sources import dotted
from packetgen.spec.models import Packet
from packetgen.support._budget import decoding_budget
from packetgen.support._read_once import read_once

__all__ = ["CheckResult", "LocatedProblem", "check"]

_Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class LocatedProblem:
    """One of :attr:`CheckResult.problems` with the field it is about (for an editor)."""

    field: str
    """Dotted field path (``inservices[0].items[2].file``); "" for the packet as a whole."""
    text: str
    """The problem as :attr:`CheckResult.problems` has it."""
    message: str
    """:attr:`text` without its place in the spec and its field (what an editor
    shows beside the field)."""


@dataclass
class CheckResult:
    """What :func:`check` found: problems the build would refuse, and its warnings."""

    packet: Packet
    problems: list[str] = field(default_factory=list)
    """Each as the build says it (``spec:line:col: field: …``), in spec order."""
    warnings: list[str] = field(default_factory=list)
    """What the build would warn about (untagged handouts in one line)."""
    untagged: list[UntaggedHandout] = field(default_factory=list)
    """Every handout a screen reader cannot read, acknowledged (``tagged: false``) or not."""
    fallbacks: dict[str, list[str]] = field(default_factory=dict)
    """Per language, the printed texts its catalog lacks: they print in English."""
    located: list[LocatedProblem] = field(default_factory=list)
    """:attr:`problems` again, each with its field path."""
    links: LinkTable | None = None
    """Every link as the build numbers it, the links inside handouts included
    (what ``packetgen links`` lists): the summary counts these."""

    @property
    def untagged_warning(self) -> str | None:
        """The one line of :attr:`warnings` about untagged handouts nobody acknowledged."""
        return untagged_warning(self.untagged, self.packet.source)

    @property
    def ok(self) -> bool:
        """True when ``build`` would not refuse the packet for anything the check can see."""
        return not self.problems


def check(
    packet_or_path: Packet | str | os.PathLike[str],
    out_dir: str | os.PathLike[str] = "out",
    *,
    cache: bool = True,
    progress: Progress | None = None,
) -> CheckResult:
    """Find everything ``build(packet, out_dir)`` would refuse, without building.

    Raises :class:`~packetgen.errors.SpecError` when the spec itself is invalid
    (nothing else can be checked then). Every other problem is in
    :attr:`CheckResult.problems`. With ``cache``, what the handouts hold is
    stored in ``out_dir/.packetgen-cache`` for the build that follows. Layout
    problems (fonts, a theme's CSS pictures) and warnings found only while
    merging pages (active content removed) are seen by the build alone.
    """
    packet = as_packet(packet_or_path)
    out = Path(out_dir)
    found: list[_Found] = []
    warnings: list[str] = []
    with decoding_budget(), read_once():
        try:
            refuse_overwriting_inputs(packet, out, [s.id for s in packet.inservices])
        except PacketgenError as exc:
            found.append(_found(packet, (), str(exc)))
        store = BuildCache.open(out / CACHE_DIR_NAME) if cache else BuildCache(None)
        themes = _themes(packet, found)

        failed: list[ScanProblem] = []
        scans, links = scan_handouts(
            packet, collect_links(packet), store, Reporter(progress, 0), problems=failed
        )
        for inservice_id, j, error in failed:
            index = _index(packet, inservice_id)
            found.append(_handout_found(packet, ("inservices", index, "items", j, "file"), error))
        warnings.extend(links.warnings)
        scan_lines, untagged = scan_warnings(packet, [s.id for s in packet.inservices], scans)
        warnings.extend(scan_lines)

        fallbacks: dict[str, set[str]] = {}
        for inservice in packet.inservices:
            theme = themes.get(packet.for_inservice(inservice.id).theme)
            found.extend(_view_problems(packet, links, theme, inservice.id, fallbacks))
        found.extend(_kit_problems(packet, warnings))

        failed_ids = {inservice_id for inservice_id, _j, _exc in failed}
        scanned = [s.id for s in packet.inservices if any(i.file for i in s.items)]
        if store.enabled and any(i not in failed_ids for i in scanned):
            # The build makes the output folder itself; the check makes it only
            # to keep what it learned there (a scan found in the cache means the
            # folder is there already).
            with contextlib.suppress(OSError):
                out.mkdir(parents=True, exist_ok=True)
            store.flush()
        warnings.extend(n for n in store.notes if n not in warnings)
    located: dict[str, LocatedProblem] = {}
    for one in sorted(found, key=lambda f: f.place):
        located.setdefault(one.text, LocatedProblem(one.field, one.text, one.message))
    return CheckResult(
        packet,
        list(located),
        warnings,
        untagged,
        {language: sorted(texts) for language, texts in sorted(fallbacks.items()) if texts},
        list(located.values()),
        links,
    )


@dataclass(frozen=True)
class _Found:
    """A problem as the check finds it, before the problems are put in spec order."""

    place: tuple[int, int]
    """(line, column) in the spec; (0, 0) for the packet as a whole."""
    field: str
    text: str
    message: str


def _found(packet: Packet, loc: _Loc, text: str, message: str | None = None) -> _Found:
    """The problem ``text`` about the field ``loc``; ``message`` is what it says after
    its place and field (read from ``text`` when the error had no parts)."""
    field_path = dotted(loc)
    if message is None:
        message = _message_of(text, field_path)
    return _Found(_line(packet, loc), field_path, text, message)


def _handout_found(packet: Packet, loc: _Loc, error: HandoutError) -> _Found:
    """A handout the build would refuse, at the field that names it (``loc`` when
    the error was not placed in the spec)."""
    problem = error.problem
    if not problem.field:
        return _found(packet, loc, str(error))
    place = (problem.line or 0, problem.column or 0)
    return _Found(place, problem.field, str(error), error.at_field)


_LOCATION = re.compile(r"[^\n]*?:\d+(?::\d+)?: ")


def _message_of(text: str, field: str) -> str:
    """What a problem's line says after its place and field."""
    match = _LOCATION.match(text)
    rest = text[match.end() :] if match else text
    return rest[len(field) + 2 :] if field and rest.startswith(field + ": ") else rest


def _index(packet: Packet, inservice_id: str) -> int:
    return packet.inservice_index(inservice_id)


def _line(packet: Packet, loc: _Loc) -> tuple[int, int]:
    """Where a problem is in the spec, for sorting; the packet as a whole first."""
    if not loc:
        return (0, 0)
    _file, line, column = packet.locate(*loc)
    return (line or 0, column or 0)


def _themes(packet: Packet, found: list[_Found]) -> dict[str, Theme]:
    """Every theme the packet uses, as the build loads them; the ones that fail in ``found``."""
    themes: dict[str, Theme] = {}
    for name in packet.theme_names():
        try:
            themes[name] = load_theme(name, packet.folder)
        except PacketgenError as exc:
            loc: _Loc = ("theme",)
            if packet.theme != name:
                loc = (
                    "inservices",
                    next(i for i, s in enumerate(packet.inservices) if s.theme == name),
                    "theme",
                )
            field_path = "theme" if len(loc) == 1 else f"inservices[{loc[1]}].theme"
            text = f"{packet.where(*loc)}: {field_path}: {exc}"
            found.append(_found(packet, loc, text, str(exc)))
    return themes


_MARKDOWN_FIELD = re.compile(r"inservices\[(\d+)\](?:\.items\[(\d+)\])?\.([a-z_]+)")
_MAX_VIEWS = 500
"""Document views tried for one in-service: one more per field with a problem."""


def _view_problems(
    packet: Packet,
    links: LinkTable,
    theme: Theme | None,
    inservice_id: str,
    fallbacks: dict[str, set[str]],
) -> list[_Found]:
    """What building the in-service's document stops at before layout: Markdown
    images and the theme's templates. The build stops at the first; to find them
    all, the view is built again without each field that had one."""
    from packetgen.render.document import document_view
    from packetgen.render.html import render_document

    if theme is None:  # its problem is already reported; the images are still worth a look
        theme = load_theme(BUILTIN_THEMES[0], packet.folder)
    view_packet: Packet | None = packet.for_inservice(inservice_id)
    found: list[_Found] = []
    for _attempt in range(_MAX_VIEWS):
        if view_packet is None:
            break
        try:
            view = document_view(view_packet, links, theme, mode="print", inservice_id=inservice_id)
            render_document(view, theme)
            fallbacks.setdefault(view_packet.language, set()).update(view.strings.fallbacks)
        except SpecError as exc:
            for problem in exc.problems:
                loc = _loc_of(problem.field)
                message = problem.message if loc else None  # else the field is in the text
                found.append(_found(packet, loc, str(problem), message))
            view_packet = _without(view_packet, [p.field for p in exc.problems])
            continue
        except PacketgenError as exc:
            index = _index(packet, inservice_id)
            found.append(_found(packet, ("inservices", index), str(exc)))
        break
    return found


def _loc_of(field_path: str) -> _Loc:
    match = _MARKDOWN_FIELD.fullmatch(field_path)
    if match is None:
        return ()
    i, j, name = match.groups()
    return ("inservices", int(i), "items", int(j), name) if j else ("inservices", int(i), name)


def _without(packet: Packet, fields: list[str]) -> Packet | None:
    """``packet`` with each of ``fields`` (a summary, description or excerpt) left out;
    None when one of them is not such a field, or is empty already."""
    inservices = list(packet.inservices)
    for field_path in fields:
        match = _MARKDOWN_FIELD.fullmatch(field_path)
        if match is None or int(match[1]) >= len(inservices):
            return None
        i, name = int(match[1]), match[3]
        inservice = inservices[i]
        if match[2] is None:
            if getattr(inservice, name, None) is None:
                return None
            inservices[i] = inservice.model_copy(update={name: None})
            continue
        j, items = int(match[2]), list(inservice.items)
        if j >= len(items) or getattr(items[j], name, None) is None:
            return None
        items[j] = items[j].model_copy(update={name: None})
        inservices[i] = inservice.model_copy(update={"items": items})
    # model_copy keeps the private attributes: the copy still knows its spec lines.
    return packet.model_copy(update={"inservices": inservices})


def _kit_problems(packet: Packet, warnings: list[str]) -> list[_Found]:
    """The certificate's signature as ``packetgen certificates`` reads it, and the
    attendee lists' warnings (the loader has read the lists for errors)."""
    from packetgen.kit.signature import signature_data_url
    from packetgen.spec.attendees import inline_attendees, read_attendees

    found: list[_Found] = []
    for i, inservice in enumerate(packet.inservices):
        certificate = inservice.certificate
        if certificate is not None and certificate.signature:
            try:
                signature_data_url(packet, certificate.signature)
            except PacketgenError as exc:
                loc: _Loc = ("inservices", i, "certificate", "signature")
                text = f"{packet.where(*loc)}: {dotted(loc)}: {exc}"
                found.append(_found(packet, loc, text, str(exc)))
        attendees = inservice.attendees
        try:
            if isinstance(attendees, list):
                where = packet.where("inservices", i, "attendees")
                warnings.extend(
                    f"{where}: inservices[{i}].{w}" for w in inline_attendees(attendees)[1]
                )
            elif isinstance(attendees, str):
                path = packet.folder / attendees
                warnings.extend(read_attendees(path, shown=str(path))[1])
        except PacketgenError as exc:  # changed since the spec was loaded
            found.append(_found(packet, ("inservices", i, "attendees"), str(exc)))
    return found
