"""Handouts a screen reader cannot read: one line in a build, one per file in ``check -v``.

Nearly every packet has some (a phone photo, a PDF from another program), so
a warning per file drowned the warnings that matter and made ``--strict``
useless. The build says it once; ``packetgen check -v`` names each file at its
spec line with advice that fits where it came from; an item with
``tagged: false`` has been looked at and is not mentioned again.

Kept free of pypdf so that a build served from the cache can use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packetgen.spec.models import Packet

__all__ = [
    "KINDS",
    "UntaggedHandout",
    "UntaggedKind",
    "advice",
    "untagged_handouts",
    "untagged_warning",
]

UntaggedKind = Literal["picture", "office", "pdf"]
"""``picture``: a photo, screenshot or scan (its pages use no font); ``office``:
a document packetgen converted to PDF; ``pdf``: a PDF made elsewhere."""
KINDS: tuple[UntaggedKind, ...] = ("picture", "office", "pdf")

_STOP = "or set `tagged: false` on the item to stop this warning"
_EXPORT_TAGGED = (
    "Word or PowerPoint: File > Save As > PDF, Options, tick"
    ' "Document structure tags for accessibility"; LibreOffice: File > Export as PDF, tick'
    ' "Universal Accessibility (PDF/UA)"'
)
_ADVICE: dict[UntaggedKind, str] = {
    "picture": (
        "is a picture of a page (a photo, a screenshot or a scan), so a screen reader finds"
        " no text in it: type the text it shows into the item's `description` so that a"
        " screen reader can read it"
    ),
    "office": (
        "was converted to PDF without accessibility tags, so a screen reader cannot follow"
        f" it: export it as a tagged PDF yourself ({_EXPORT_TAGGED}) and point `file:` at that"
        " PDF"
    ),
    "pdf": (
        "is not tagged, so a screen reader cannot follow it: ask its author for an accessible"
        " (tagged) version; if you made it, export it again as a tagged PDF"
        f" ({_EXPORT_TAGGED})"
    ),
}
_NAMES_SHOWN = 5


@dataclass(frozen=True)
class UntaggedHandout:
    """A file item whose handout has no accessibility tags."""

    inservice: str
    item: str
    """The item's title."""
    file: str
    """The file as the spec names it."""
    where: str
    """``spec:line:col`` of the item's ``file:``."""
    field: str
    """``inservices[i].items[j].file``."""
    kind: UntaggedKind
    acknowledged: bool
    """The item says ``tagged: false``: the trainer knows, nothing to warn about."""

    @property
    def advice(self) -> str:
        """What the file is and what to do about it, after its name."""
        if self.acknowledged:
            return "is not tagged for screen readers; `tagged: false` on the item says you know"
        return f"{_ADVICE[self.kind]}, {_STOP}"

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.file}: {self.advice}"


def advice(kind: UntaggedKind) -> str:
    """What a handout of ``kind`` is and what to do, for files bound without a spec
    (no ``description`` to type into, no ``tagged: false`` to set)."""
    if kind == "picture":
        return (
            "is a picture of a page (a photo, a screenshot or a scan), so a screen reader finds"
            " no text in it: give readers who need it its text in a typed document"
        )
    return _ADVICE[kind]


def untagged_handouts(
    packet: Packet, inservice_id: str, found: Iterable[tuple[int, UntaggedKind]]
) -> list[UntaggedHandout]:
    """The untagged handouts of one in-service from ``(item index, kind)`` facts of a scan."""
    index = packet.inservice_index(inservice_id)
    items = packet.inservices[index].items
    handouts = []
    for j, kind in found:
        # Facts may come from the build cache: only items that still name a file count.
        file = items[j].file if 0 <= j < len(items) else None
        if file is None or kind not in KINDS:
            continue
        handouts.append(
            UntaggedHandout(
                inservice=inservice_id,
                item=items[j].title,
                file=file,
                where=packet.where("inservices", index, "items", j, "file"),
                field=f"inservices[{index}].items[{j}].file",
                kind=kind,
                acknowledged=items[j].file_options.tagged is False,
            )
        )
    return handouts


def untagged_warning(handouts: Sequence[UntaggedHandout], spec: Path | None) -> str | None:
    """One line for every untagged handout nobody has acknowledged, or None."""
    names = list(dict.fromkeys(h.file for h in handouts if not h.acknowledged))
    if not names:
        return None
    shown = ", ".join(names[:_NAMES_SHOWN])
    if len(names) > _NAMES_SHOWN:
        shown += f" and {len(names) - _NAMES_SHOWN} more"
    count = "1 handout file is" if len(names) == 1 else f"{len(names)} handout files are"
    command = f"packetgen check -v {spec}" if spec is not None else "packetgen check -v"
    place = f"{spec}: " if spec is not None else ""
    return (
        f"{place}{count} not tagged for screen readers: {shown}; `{command}` says what to do"
        " about each, or set `tagged: false` on an item to stop this warning for it"
    )
