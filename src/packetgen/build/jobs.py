"""Jobs: one output of one in-service (a binder, a page, a kit, certificates),
laid out from the build's shared :class:`Context` into a staged file.

:func:`run_job` is all a worker process runs; it is also how this process lays
out its share.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packetgen.build.inputs import as_packet, select_inservices
from packetgen.build.scan import packet_links, scanned
from packetgen.content.links import LinkTable
from packetgen.render.themes import Theme, load_theme
from packetgen.spec.models import Packet
from packetgen.support._atomic import write_failed
from packetgen.support._isolation import exit_if_orphaned

if TYPE_CHECKING:
    from packetgen.render.offered import OfferedFile

__all__ = ["Context", "Done", "Job", "render_html", "run_job"]


@dataclass(frozen=True)
class Context:
    """What every job needs; sent once to each worker process."""

    packet: Packet
    links: LinkTable
    themes: dict[str, Theme]
    """Every theme the packet and its in-services use, by name."""
    out_dir: Path
    """The output folder as the caller named it, for messages."""
    conversions: dict[str, bytes] = field(default_factory=dict)
    """Office documents already converted by this process, so workers do not convert again."""

    def theme_for(self, inservice_id: str) -> Theme:
        """The theme of one in-service's outputs (its own, or the packet's)."""
        return self.themes[self.packet.for_inservice(inservice_id).theme]


@dataclass(frozen=True)
class Job:
    """One output of one in-service to lay out, and the cache key of its inputs."""

    kind: Literal["binder", "html", "facilitator", "certificates"]
    inservice_id: str
    name: str
    """Output file name."""
    key: str = ""
    offered: tuple[OfferedFile, ...] = ()
    """An HTML page's files beside it (written by the build, not the job)."""

    @property
    def shown(self) -> str:
        """The output as the user knows it, for messages."""
        return self.name


@dataclass(frozen=True)
class Done:
    """A job's output, staged at ``path``: laid out now or taken from the cache."""

    path: Path
    pages: int | None
    warnings: tuple[str, ...]
    cached: bool


def run_job(context: Context, job: Job, target: Path) -> tuple[int | None, tuple[str, ...]]:
    """Lay out one output into ``target``; runs in a worker process when ``jobs > 1``."""
    try:
        return _lay_out(context, job, target)
    except OSError as exc:
        # A full disk or a vanished output folder, while writing.
        raise write_failed(exc, context.out_dir / job.name) from None


def _lay_out(context: Context, job: Job, target: Path) -> tuple[int | None, tuple[str, ...]]:
    if job.kind == "html":
        html = render_html(
            context.packet,
            job.inservice_id,
            links=context.links,
            theme=context.theme_for(job.inservice_id),
            offered=job.offered,
        )
        exit_if_orphaned()
        target.write_bytes(html.encode("utf-8"))
        return None, ()
    if job.kind == "facilitator" or job.kind == "certificates":
        from packetgen.kit.facilitator import lay_out_kit  # see below for why here

        packet = context.packet.for_inservice(job.inservice_id)
        theme = context.theme_for(job.inservice_id)
        data, pages, warnings = lay_out_kit(
            job.kind, packet, context.links, theme, job.inservice_id
        )
        exit_if_orphaned()
        target.write_bytes(data)
        return pages, warnings
    # Imported here, not at the top: pypdf and WeasyPrint take a quarter of a
    # second to load, which a rebuild served from the cache should not pay.
    from packetgen.binder.bind import bind_inservice
    from packetgen.binder.opening import open_inservice_handouts

    # Handouts are opened here and released with the job, so memory is bounded
    # by the largest in-service, not the whole packet.
    packet = context.packet.for_inservice(job.inservice_id)
    binder = scanned.take(context.packet, job.inservice_id) or open_inservice_handouts(
        packet, job.inservice_id
    )
    bound = bind_inservice(packet, context.links, context.theme_for(job.inservice_id), binder)
    # A worker whose build is gone must not write into the output folder.
    exit_if_orphaned()
    target.write_bytes(bound.data)
    return bound.pages, bound.warnings


def render_html(
    packet: Packet | str | os.PathLike[str],
    inservice_id: str | None = None,
    *,
    links: LinkTable | None = None,
    theme: Theme | None = None,
    offered: tuple[OfferedFile, ...] = (),
) -> str:
    """The standalone HTML page of one in-service (the first when not given).

    ``offered``: the files the build writes beside it (``<id>_files/``); without
    them the page names each handout's file as in the printed binder.
    """
    # Imported here: Jinja2 and the templates are not needed by a rebuild the
    # cache serves.
    from packetgen.render.document import document_view
    from packetgen.render.html import render_document

    packet = as_packet(packet)
    links = links or packet_links(packet)
    target = inservice_id or packet.inservices[0].id
    select_inservices(packet, [target])
    packet = packet.for_inservice(target)
    theme = theme or load_theme(packet.theme, packet.folder)
    view = document_view(packet, links, theme, mode="screen", inservice_id=target, offered=offered)
    return render_document(view, theme)
