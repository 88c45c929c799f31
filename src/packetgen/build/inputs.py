"""What a build reads: the packet (with the caller's overrides), the in-services
asked for, and the files and Markdown texts each in-service draws on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from packetgen.errors import OptionError
from packetgen.spec.loader import load_packet
from packetgen.spec.models import InService, Packet

__all__ = [
    "as_packet",
    "markdown_fields",
    "merged_files",
    "select_inservices",
    "with_overrides",
]


def as_packet(packet_or_path: Packet | str | os.PathLike[str]) -> Packet:
    if isinstance(packet_or_path, Packet):
        return packet_or_path
    return load_packet(packet_or_path)


def with_overrides(packet: Packet, paper: str | None, theme: str | None) -> Packet:
    """The packet with the caller's paper and theme, for the packet and every in-service:
    what the trainer asks for on the command line wins over the spec."""
    updates: dict[str, object] = {}
    if paper is not None:
        if paper not in ("letter", "a4"):
            raise OptionError(f"paper must be 'letter' or 'a4', found {paper!r}")
        updates["paper"] = paper
    if theme is not None:
        updates["theme"] = theme
    if not updates:
        return packet
    own: dict[str, object] = dict.fromkeys(updates)
    inservices = [s.model_copy(update=own) for s in packet.inservices]
    return packet.model_copy(update={**updates, "inservices": inservices})


def select_inservices(packet: Packet, only: Sequence[str] | None) -> list[str]:
    return [s.id for s in packet.select(only)]


def merged_files(inservice: InService) -> list[str]:
    """Every file merged into the in-service's binder: each item's own, then its
    translations', in the order the binder merges them."""
    return [
        file
        for item in inservice.items
        for file in (item.file, *(t.file for t in item.translations))
        if file is not None
    ]


def markdown_fields(inservice: InService) -> Iterator[str]:
    if inservice.summary:
        yield inservice.summary
    for item in inservice.items:
        for text in item.markdown_texts().values():
            if text:
                yield text
