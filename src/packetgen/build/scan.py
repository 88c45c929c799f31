"""The handout scan: every handout of the packet opened before layout, in packet
order, to number the links inside them and collect their warnings.

The links of a handout are its link annotations and the web addresses printed
in its text (:mod:`packetgen.handouts.text_urls`), read from the pages the
binder opened: the file is not read again.

What it learns is cached by file content; a build of one in-service keeps the
handouts it opened for that in-service's binder (:data:`scanned`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from packetgen._version import __version__
from packetgen.build._cache import BuildCache, digest
from packetgen.build.inputs import as_packet, merged_files
from packetgen.build.keys import file_digest
from packetgen.build.results import Reporter
from packetgen.content.links import LinkTable, collect_links, handout_links_numbered
from packetgen.errors import HandoutError
from packetgen.handouts._untagged import (
    KINDS,
    UntaggedHandout,
    UntaggedKind,
    untagged_handouts,
    untagged_warning,
)
from packetgen.spec.models import Packet
from packetgen.support._budget import decoding_budget
from packetgen.support._read_once import read_once

__all__ = [
    "LastScanned",
    "Scan",
    "ScanProblem",
    "packet_links",
    "scan_handouts",
    "scan_warnings",
    "scanned",
]


@dataclass(frozen=True)
class Scan:
    """What the handout scan learned about one in-service."""

    warnings: list[str]
    untagged: list[tuple[int, UntaggedKind]]
    """(item index, kind) of every handout without accessibility tags."""


ScanProblem = tuple[str, int, HandoutError]
"""(in-service id, item index, why) of a file that cannot be used."""


def scan_handouts(
    packet: Packet,
    links: LinkTable,
    store: BuildCache,
    say: Reporter,
    keep: str | None = None,
    problems: list[ScanProblem] | None = None,
) -> tuple[dict[str, Scan], LinkTable]:
    """Number the links inside every handout (in packet order) and collect warnings.

    Returns the scans and ``links`` with the handouts' links numbered after the
    spec's: a new table; ``links`` itself is not changed.

    Every in-service is scanned, even with ``only``, so that numbers do not
    depend on which in-services a build writes. Scans are cached by file content.
    A file that cannot be used raises its :class:`HandoutError`; with ``problems``
    (``packetgen check``) it is added there instead and every other file is still
    opened, and an in-service with such a file is not cached.
    """
    scans: dict[str, Scan] = {}
    found_links: dict[str, list[tuple[int, str]]] = {}
    for inservice in packet.inservices:
        files = merged_files(inservice)
        if not files:
            scans[inservice.id] = Scan([], [])
            continue
        view = packet.for_inservice(inservice.id)
        key = digest(
            "scan",
            _SCAN_FORMAT,
            __version__,
            view.paper,
            view.archival or "",  # an archival binder refuses some handouts
            json.dumps([item.model_dump(mode="json") for item in inservice.items]),
            *(file_digest(packet, file) for file in files),
        )
        found = scan_record(
            store.get_json(key, f"the links found in the handouts of {inservice.id}")
        )
        if found is None:
            say.note(f"Opening the handouts of {inservice.id}")
            # Imported here: see jobs._lay_out for why.
            from packetgen.binder.opening import handout_links, open_inservice_handouts

            binder = open_inservice_handouts(view, inservice.id, collect=problems is not None)
            links_found, text_notes = handout_links(packet, inservice.id, binder)
            found = {
                "links": links_found,
                "warnings": [*binder.warnings, *text_notes],
                "untagged": binder.untagged,
            }
            if binder.problems:
                assert problems is not None  # without it the first problem was raised
                problems.extend((inservice.id, j, exc) for j, exc in binder.problems)
            else:
                if inservice.id == keep:
                    scanned.keep(packet, inservice.id, binder)
                store.put_json(key, found)
        found_links[inservice.id] = found["links"]
        scans[inservice.id] = Scan(found["warnings"], found["untagged"])
    return scans, handout_links_numbered(packet, found_links, links)


_SCAN_FORMAT = "text-urls-1"
"""Part of the scan's cache key: what a scan finds changed (printed addresses
count as links since text-urls-1), so scans kept before are not used."""


def scan_warnings(
    packet: Packet, selected: list[str], scans: dict[str, Scan]
) -> tuple[list[str], list[UntaggedHandout]]:
    """The scan's warnings about the selected in-services, in packet order, and
    their handouts without accessibility tags (said in one warning)."""
    warnings: list[str] = []
    untagged: list[UntaggedHandout] = []
    for inservice_id in selected:
        warnings.extend(scans[inservice_id].warnings)
        untagged += untagged_handouts(packet, inservice_id, scans[inservice_id].untagged)
    # One line for them all: nearly every packet has a photo or someone else's PDF.
    untagged_line = untagged_warning(untagged, packet.source)
    if untagged_line is not None:
        warnings.append(untagged_line)
    return warnings, untagged


class LastScanned:
    """The handouts the link scan opened, for the binder job of the same in-service
    when a build of one in-service runs it in this process (it opened every handout
    twice). The packet is compared by identity: a worker's copy never matches."""

    def __init__(self) -> None:
        self._held: tuple[Packet, str, Any] | None = None

    def keep(self, packet: Packet, inservice_id: str, opened: Any) -> None:
        self._held = (packet, inservice_id, opened)

    def take(self, packet: Packet, inservice_id: str) -> Any:
        held, self._held = self._held, None
        if held is not None and held[0] is packet and held[1] == inservice_id:
            return held[2]
        return None

    def __enter__(self) -> LastScanned:
        return self

    def __exit__(self, *_exc: object) -> None:
        # Released with the build, whether it succeeded or not.
        self._held = None


scanned = LastScanned()


def scan_record(value: Any) -> dict[str, Any] | None:
    """A cached handout scan, or None unless it has exactly the expected shape."""
    if not isinstance(value, dict) or set(value) != {"links", "warnings", "untagged"}:
        return None
    found_links, found_warnings = value["links"], value["warnings"]
    found_untagged = value["untagged"]
    if not all(isinstance(v, list) for v in (found_links, found_warnings, found_untagged)):
        return None
    pairs = [
        (number, url)
        for pair in found_links
        if isinstance(pair, list) and len(pair) == 2
        for number, url in [pair]
        if type(number) is int and isinstance(url, str)
    ]
    untagged = [
        (index, kind)
        for pair in found_untagged
        if isinstance(pair, list) and len(pair) == 2
        for index, kind in [pair]
        if type(index) is int and index >= 0 and kind in KINDS
    ]
    if len(pairs) != len(found_links) or len(untagged) != len(found_untagged):
        return None
    if not all(isinstance(w, str) for w in found_warnings):
        return None
    return {"links": pairs, "warnings": list(found_warnings), "untagged": untagged}


def packet_links(packet: Packet | str | os.PathLike[str]) -> LinkTable:
    """Every link of the packet numbered as a build numbers it, links inside
    handouts included."""
    packet = as_packet(packet)
    with decoding_budget(), read_once():
        _scans, links = scan_handouts(
            packet, collect_links(packet), BuildCache(None), Reporter(None, 0)
        )
    return links
