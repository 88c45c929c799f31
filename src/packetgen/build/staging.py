"""The output folder: which files a build writes there, the names it refuses
(an input, or one output over another), and what a stopped build left staged.

Outputs are staged by :class:`packetgen.support._atomic.Staging` as hidden
temporary files and renamed into place only when every one is done.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Literal

from packetgen.build.inputs import markdown_fields, merged_files
from packetgen.content.shortlinks import FOLDER as SHORT_LINKS_FOLDER
from packetgen.errors import OutputError
from packetgen.render.themes import BUILTIN_THEMES
from packetgen.spec.models import Packet
from packetgen.text.markdown import images_in

__all__ = [
    "KitKind",
    "kit_names",
    "kits_of",
    "output_count",
    "refuse_overwriting_inputs",
    "remove_staged",
]

KitKind = Literal["facilitator", "certificates"]


def kits_of(packet: Packet, inservice_id: str) -> list[KitKind]:
    """The facilitator's kit, for an in-service with a sign-in sheet, an evaluation,
    an agenda or certificates; the certificates, when it knows its attendees."""
    inservice = packet.inservice(inservice_id)
    certificates = inservice.certificate is not None and bool(inservice.attendees)
    kits: list[KitKind] = []
    if inservice.signin or inservice.evaluation or inservice.agenda or certificates:
        kits.append("facilitator")
    if certificates:
        kits.append("certificates")
    return kits


def output_count(packet: Packet, selected: list[str], format: str, *, whole: bool) -> int:
    """How many outputs a build of ``selected`` in ``format`` writes (``whole``: the book too)."""
    per_inservice = (format in ("pdf", "both")) + (format in ("html", "both"))
    book_too = format in ("pdf", "both") and whole
    kits = sum(len(kits_of(packet, i)) for i in selected) if format != "html" else 0
    return len(selected) * per_inservice + book_too + kits


def kit_names(packet: Packet, selected: list[str]) -> list[str]:
    """The kits' file names; refused when one is another in-service's binder
    (in-services ``one`` and ``one-facilitator``): one would replace the other."""
    ids = [s.id for s in packet.inservices]
    names = []
    for inservice_id in selected:
        for kind in kits_of(packet, inservice_id):
            name = f"{inservice_id}-{kind}"
            if name in selected:
                where = packet.where("inservices", ids.index(name), "id")
                raise OutputError(
                    f"{where}: in-service {name!r} is bound into {name}.pdf, the file the"
                    f" {_KIT_WORDS[kind]} of in-service {inservice_id!r} is written to; give one"
                    " of the two another id"
                )
            names.append(f"{name}.pdf")
    return names


_KIT_WORDS: dict[KitKind, str] = {
    "facilitator": "facilitator's kit",
    "certificates": "certificates",
}


def refuse_overwriting_inputs(packet: Packet, out: Path, selected: list[str]) -> None:
    """An output path that is also an input would destroy the trainer's file."""
    inputs = {packet.source.resolve()} if packet.source is not None else set()
    for inservice in packet.inservices:
        inputs.update((packet.folder / file).resolve() for file in merged_files(inservice))
        for text in markdown_fields(inservice):
            inputs.update((packet.folder / src).resolve() for src in images_in(text))
        if isinstance(inservice.attendees, str):
            inputs.add((packet.folder / inservice.attendees).resolve())
        if inservice.certificate is not None and inservice.certificate.signature:
            inputs.add((packet.folder / inservice.certificate.signature).resolve())
    for name in packet.theme_names():
        theme_folder = packet.folder / name
        if name not in BUILTIN_THEMES and theme_folder.is_dir():
            inputs.update(p.resolve() for p in theme_folder.rglob("*") if p.is_file())
    names = [f"{i}.pdf" for i in selected] + [f"{i}.html" for i in selected] + ["packet.pdf"]
    names += kit_names(packet, selected)
    for name in names:
        target = (out / name).resolve()
        if target in inputs:
            raise OutputError(
                f"the output {out / name} would overwrite an input file; choose another -o folder"
            )
    for inservice_id in selected:
        # An HTML page's files folder is replaced whole, as the short links' is.
        folder = (out / f"{inservice_id}_files").resolve()
        if any(path.is_relative_to(folder) for path in inputs):
            raise OutputError(
                f"the output folder {out / inservice_id}_files would replace input files"
                " that are inside it; choose another -o folder"
            )
    if packet.short_links is not None:
        # The short-links folder is replaced whole: nothing of the packet may live in it.
        folder = (out / SHORT_LINKS_FOLDER).resolve()
        if any(path.is_relative_to(folder) for path in inputs):
            raise OutputError(
                f"the output folder {out / SHORT_LINKS_FOLDER} would replace input files that"
                " are inside it; choose another -o folder"
            )


def remove_staged(out: Path, *, since: float, created: bool) -> None:
    """Remove what a stopped build staged in ``out`` (and ``out`` itself if the build made it)."""
    with contextlib.suppress(OSError):
        for entry in out.iterdir():
            # Staging's names: ".<output>.<random>.tmp", files or folders.
            if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
                continue
            if entry.lstat().st_mtime < since - 1:
                continue  # not this build's: another build may be running
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        if created and not any(out.iterdir()):
            out.rmdir()
