"""build: the one place that knows the order of the pipeline.

    load → links → scan handouts → render + pdf + bind (per in-service) → book → write

Every output is staged as a temporary file and renamed only when all of them
are done, so a failed build leaves the previous outputs untouched. Work per
in-service is independent once links are numbered: it runs in worker
processes with ``jobs > 1`` and is skipped when the build cache has it.
The pieces: :mod:`~packetgen.build.inputs`, :mod:`~packetgen.build.scan`,
:mod:`~packetgen.build.stages` (each a list of :mod:`~packetgen.build.jobs`
keyed by :mod:`~packetgen.build.keys`, run by :mod:`~packetgen.build.workers`),
:mod:`~packetgen.build.staging`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from packetgen.build import defaults
from packetgen.build._cache import CACHE_DIR_NAME, BuildCache
from packetgen.build.inputs import as_packet, select_inservices, with_overrides
from packetgen.build.jobs import Context, render_html
from packetgen.build.results import (
    BuildResult,
    Format,
    OutputFile,
    Progress,
    ProgressEvent,
    Reporter,
)
from packetgen.build.scan import packet_links, scan_handouts, scan_warnings, scanned
from packetgen.build.stages import (
    Run,
    assemble_book,
    lay_out_binders,
    lay_out_kits,
    lay_out_pages,
    write_short_links,
)
from packetgen.build.staging import output_count, refuse_overwriting_inputs, remove_staged
from packetgen.build.workers import Runner
from packetgen.content.credit import packet_hours
from packetgen.content.links import collect_links
from packetgen.errors import BuildError, LimitError
from packetgen.handouts._conversions import converted_documents
from packetgen.pdf.archival import ARCHIVAL_LEVEL
from packetgen.render.themes import load_theme
from packetgen.spec.models import Packet
from packetgen.support._atomic import Staging
from packetgen.support._budget import decoding_budget
from packetgen.support._read_once import read_once

__all__ = [
    "BuildResult",
    "Format",
    "OutputFile",
    "Progress",
    "ProgressEvent",
    "build",
    "packet_links",
    "render_html",
]


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
    jobs: int = defaults.JOBS,
    cache: bool = True,
    timeout: float | None = defaults.TIMEOUT,
    max_memory: int | None = defaults.MAX_MEMORY,
    archival: bool = defaults.ARCHIVAL,
) -> BuildResult:
    """Build the packet's outputs into ``out_dir``.

    Per in-service: ``<id>.pdf`` (the binder) and ``<id>.html``; with a sign-in
    sheet, an evaluation, an agenda or certificates, ``<id>-facilitator.pdf``
    (the facilitator's kit); with ``certificate:`` and ``attendees:``,
    ``<id>-certificates.pdf``; and ``packet.pdf`` with every in-service (not
    written when ``only`` is given).
    ``jobs`` in-services are laid out at once (this process and ``jobs - 1``
    worker processes); ``cache`` reuses outputs whose inputs have not changed (kept in
    ``out_dir/.packetgen-cache``).

    With ``timeout`` (seconds) or ``max_memory`` (bytes) the whole build runs
    in a separate worker process that is stopped at the limit, raising
    :class:`~packetgen.errors.LimitError`: use both for untrusted input.

    ``archival`` makes every PDF also PDF/A-2b whatever the spec's ``archival``
    says (``packetgen build --pdf-a``).
    """
    options = {
        "paper": paper,
        "theme": theme,
        "only": only,
        "format": format,
        "strict": strict,
        "jobs": jobs,
        "cache": cache,
        "archival": archival,
    }
    if timeout is None and max_memory is None:
        return _build(packet_or_path, out_dir, progress=progress, **options)  # type: ignore[arg-type]
    from packetgen.support._isolation import run_isolated

    def relay(message: str) -> None:
        if progress is not None:
            done, total, text = message.split(" ", 2)
            progress(ProgressEvent(text, int(done), int(total)))

    out = Path(out_dir)
    existed = out.exists()
    started = time.time()
    try:
        return run_isolated(
            _build,
            packet_or_path,
            out_dir,
            progress=_report_from_worker if progress is not None else None,
            timeout=timeout,
            max_memory=max_memory,
            on_progress=relay,
            **options,
        )
    except LimitError:
        # A worker stopped at its limit cleans up after itself when it can; one
        # killed outright (stuck in layout past the grace period) cannot.
        remove_staged(out, since=started, created=not existed)
        raise


def _report_from_worker(event: ProgressEvent) -> None:
    """Progress from an isolated build, sent to the caller (must pickle by reference)."""
    from packetgen.support._isolation import report_progress

    report_progress(f"{event.done} {event.total} {event.message}")


def _build(
    packet_or_path: Packet | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    paper: str | None,
    theme: str | None,
    only: Sequence[str] | None,
    format: Format,
    strict: bool,
    progress: Progress | None,
    jobs: int,
    cache: bool,
    archival: bool,
) -> BuildResult:
    # One budget for what all the handouts of this build unpack to, together.
    with decoding_budget(), read_once(), scanned:
        out = Path(out_dir)
        packet = with_overrides(as_packet(packet_or_path), paper, theme)
        if archival and packet.archival is None:
            # A packet setting like the others: the cache keys and every stage see it.
            packet = packet.model_copy(update={"archival": ARCHIVAL_LEVEL})
        selected = select_inservices(packet, only)
        say = Reporter(progress, output_count(packet, selected, format, whole=only is None))
        refuse_overwriting_inputs(packet, out, selected)
        store = BuildCache.open(out / CACHE_DIR_NAME) if cache else BuildCache(None)
        themes = {name: load_theme(name, packet.folder) for name in packet.theme_names()}
        # A build of one binder in this process takes the handouts the scan opened.
        single = selected[0] if len(selected) == 1 and jobs <= 1 and format != "html" else None
        scans, links = scan_handouts(packet, collect_links(packet), store, say, keep=single)

        result = BuildResult(
            links=[(ref.number, ref.url) for ref in links.links],
            hours={key: value.hours for key, value in packet_hours(packet).items()},
        )
        result.warnings.extend(links.warnings)
        result.warnings.extend(scan_warnings(packet, selected, scans)[0])

        context = Context(packet, links, themes, out, converted_documents())
        with Staging(out) as staging, Runner(context, jobs) as runner:
            run = Run(context, staging, store, runner, result, say)
            if format in ("pdf", "both"):
                binders = lay_out_binders(run, selected)
                lay_out_kits(run, selected)
                if only is None:
                    assemble_book(run, binders)
            if format in ("html", "both"):
                lay_out_pages(run, selected)
            write_short_links(run)
            if strict and result.warnings:
                raise BuildError(
                    "the build has warnings, and strict mode treats them as errors:\n"
                    + "\n".join(f"  {w}" for w in result.warnings)
                )
            staging.commit()
            store.flush(staging.where)
        # After the --strict check: notes about the cache (an entry rebuilt because
        # it did not verify, a cache that is off) are about this machine, not the
        # packet, and the outputs are right either way.
        result.warnings.extend(note for note in store.notes if note not in result.warnings)
        return result
