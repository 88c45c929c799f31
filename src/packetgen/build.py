"""build: the one place that knows the order of the pipeline.

    load → links → (open handouts) → render → pdf → bind → write

Outputs are written atomically at the very end, so a failed build leaves the
previous outputs untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import book
from ._atomic import write_bytes_atomic
from .binder import Binder, bind_inservice, open_inservice_handouts
from .errors import BuildError, PacketgenError
from .links import LinkTable, collect_links
from .loader import load_packet
from .render import document_view, render_document
from .spec import Packet
from .themes import Theme, load_theme

__all__ = ["BuildResult", "OutputFile", "build", "render_html"]

Format = Literal["pdf", "html", "both"]


@dataclass(frozen=True)
class OutputFile:
    """One file a build wrote."""

    path: Path
    kind: Literal["binder", "html", "book"]
    inservice: str | None
    pages: int | None


@dataclass
class BuildResult:
    """What a build produced: files, page counts, links and warnings."""

    outputs: list[OutputFile] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)
    """(number, URL) of every link, as numbered in the packet."""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "outputs": [
                {"path": str(o.path), "kind": o.kind, "inservice": o.inservice, "pages": o.pages}
                for o in self.outputs
            ],
            "links": [{"number": n, "url": u} for n, u in self.links],
            "warnings": list(self.warnings),
        }


Progress = Callable[[str], None]


def _as_packet(packet_or_path: Packet | str | os.PathLike[str]) -> Packet:
    if isinstance(packet_or_path, Packet):
        return packet_or_path
    return load_packet(packet_or_path)


def _with_overrides(packet: Packet, paper: str | None, theme: str | None) -> Packet:
    updates: dict[str, object] = {}
    if paper is not None:
        if paper not in ("letter", "a4"):
            raise PacketgenError(f"--paper must be letter or a4, found {paper!r}")
        updates["paper"] = paper
    if theme is not None:
        updates["theme"] = theme
    if not updates:
        return packet
    copy = packet.model_copy(update=updates)
    copy._source = packet._source
    copy._positions = packet._positions
    return copy


def build(
    packet_or_path: Packet | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    paper: str | None = None,
    theme: str | None = None,
    only: Sequence[str] | None = None,
    format: Format = "both",
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the packet's outputs into ``out_dir``.

    Per in-service: ``<id>.pdf`` (the binder) and ``<id>.html``; and
    ``packet.pdf`` with every in-service (not written when ``only`` is given).
    """
    say = progress or (lambda _message: None)
    out = Path(out_dir)
    packet = _with_overrides(_as_packet(packet_or_path), paper, theme)
    selected = _select(packet, only)
    _refuse_overwriting_inputs(packet, out, selected)
    links = collect_links(packet)
    look = load_theme(packet.theme, packet.folder)
    result = BuildResult()

    binders: dict[str, Binder] = {}
    for inservice_id in selected:
        say(f"Opening handouts of {inservice_id}")
        binders[inservice_id] = open_inservice_handouts(packet, inservice_id, links)

    result.warnings.extend(links.warnings)
    for binder in binders.values():
        result.warnings.extend(binder.warnings)

    pending: list[tuple[Path, bytes, OutputFile]] = []
    if format in ("pdf", "both"):
        lengths: dict[str, int] = {}
        for inservice_id, binder in binders.items():
            say(f"Rendering {inservice_id}.pdf")
            bound = bind_inservice(packet, links, look, binder)
            lengths[inservice_id] = bound.pages
            result.warnings.extend(bound.warnings)
            path = out / f"{inservice_id}.pdf"
            pending.append(
                (path, bound.data, OutputFile(path, "binder", inservice_id, bound.pages))
            )
        if only is None:
            say("Assembling packet.pdf")
            data, pages = book.assemble(packet, links, look, binders, lengths)
            path = out / "packet.pdf"
            pending.append((path, data, OutputFile(path, "book", None, pages)))
    if format in ("html", "both"):
        for inservice_id in selected:
            say(f"Rendering {inservice_id}.html")
            html = render_html(packet, inservice_id, links=links, theme=look)
            path = out / f"{inservice_id}.html"
            pending.append(
                (path, html.encode("utf-8"), OutputFile(path, "html", inservice_id, None))
            )

    if strict and result.warnings:
        raise BuildError(
            "--strict: the build has warnings:\n" + "\n".join(f"  {w}" for w in result.warnings)
        )
    for path, data, record in pending:
        write_bytes_atomic(path, data)
        result.outputs.append(record)
    result.links = [(ref.number, ref.url) for ref in links.links]
    return result


def render_html(
    packet: Packet | str | os.PathLike[str],
    inservice_id: str | None = None,
    *,
    links: LinkTable | None = None,
    theme: Theme | None = None,
) -> str:
    """The standalone HTML page of one in-service (the first when not given)."""
    packet = _as_packet(packet)
    links = links or collect_links(packet)
    theme = theme or load_theme(packet.theme, packet.folder)
    target = inservice_id or packet.inservices[0].id
    _select(packet, [target])
    view = document_view(packet, links, theme, mode="screen", inservice_id=target)
    return render_document(view, theme)


def _select(packet: Packet, only: Sequence[str] | None) -> list[str]:
    ids = [s.id for s in packet.inservices]
    if not only:
        return ids
    unknown = [i for i in only if i not in ids]
    if unknown:
        raise PacketgenError(
            f"no in-service with id {unknown[0]!r}; the packet has: {', '.join(ids)}"
        )
    return [i for i in ids if i in only]


def _refuse_overwriting_inputs(packet: Packet, out: Path, selected: list[str]) -> None:
    """An output path that is also an input would destroy the trainer's file."""
    inputs = {packet.source.resolve()} if packet.source is not None else set()
    for _inservice, item in packet.file_items():
        inputs.add((packet.folder / item.file).resolve())
    names = [f"{i}.pdf" for i in selected] + [f"{i}.html" for i in selected] + ["packet.pdf"]
    for name in names:
        target = (out / name).resolve()
        if target in inputs:
            raise PacketgenError(
                f"the output {out / name} would overwrite an input file; choose another -o folder"
            )
