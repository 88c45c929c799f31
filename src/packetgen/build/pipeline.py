"""build: the one place that knows the order of the pipeline.

    load → links → scan handouts → render + pdf + bind (per in-service) → book → write

Every output is staged as a temporary file and renamed only when all of them
are done, so a failed build leaves the previous outputs untouched. Work per
in-service is independent once links are numbered: it runs in worker
processes with ``jobs > 1`` and is skipped when the build cache has it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

from packetgen._version import __version__
from packetgen.build._cache import CACHE_DIR_NAME, BuildCache, digest
from packetgen.content.credit import packet_hours
from packetgen.content.links import LinkTable, collect_links, register_handout_links
from packetgen.content.shortlinks import FOLDER as SHORT_LINKS_FOLDER
from packetgen.content.shortlinks import redirect_files
from packetgen.errors import BuildError, HandoutError, LimitError, PacketgenError
from packetgen.handouts._conversions import converted_documents, remember_converted_documents
from packetgen.handouts._untagged import (
    KINDS,
    UntaggedHandout,
    UntaggedKind,
    untagged_handouts,
    untagged_warning,
)
from packetgen.render.themes import BUILTIN_THEMES, Theme, load_theme
from packetgen.spec.loader import load_packet
from packetgen.spec.models import InService, Packet
from packetgen.support._atomic import Staging, write_failed
from packetgen.support._budget import decoding_budget
from packetgen.support._guarded import fingerprint
from packetgen.support._isolation import (
    GRACE_SECONDS,
    die_with_parent,
    exit_if_orphaned,
    exit_reason,
)
from packetgen.support._repro import w3c_build_date
from packetgen.text.i18n import LOCALE_DIR
from packetgen.text.markdown import images_in

__all__ = [
    "BuildResult",
    "OutputFile",
    "Progress",
    "ProgressEvent",
    "build",
    "packet_links",
    "render_html",
]

Format = Literal["pdf", "html", "both"]


@dataclass(frozen=True)
class ProgressEvent:
    """A step of a build, for progress bars and logs."""

    message: str
    done: int
    """Outputs finished so far."""
    total: int
    """Outputs this build writes."""


Progress = Callable[[ProgressEvent], None]


class _Reporter:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.done = 0
        self.total = total

    def note(self, message: str) -> None:
        if self.progress is not None:
            self.progress(ProgressEvent(message, self.done, self.total))

    def advance(self, message: str) -> None:
        self.done += 1
        self.note(message)


@dataclass(frozen=True)
class OutputFile:
    """One file a build wrote."""

    path: Path
    kind: Literal["binder", "facilitator", "certificates", "html", "book", "short-links"]
    inservice: str | None
    pages: int | None
    cached: bool = False
    """True when the output came from the build cache instead of being laid out."""


@dataclass
class BuildResult:
    """What a build produced: files, page counts, links and warnings."""

    outputs: list[OutputFile] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)
    """(number, URL) of every link, as numbered in the packet."""
    warnings: list[str] = field(default_factory=list)
    hours: dict[str, float | None] = field(default_factory=dict)
    """Credit hours of each in-service (given in the spec or computed from its policy)."""

    @property
    def rebuilt(self) -> list[OutputFile]:
        """Outputs that were laid out anew (not taken from the cache)."""
        return [o for o in self.outputs if not o.cached]

    def to_dict(self) -> dict[str, object]:
        return {
            "outputs": [
                {
                    "path": str(o.path),
                    "kind": o.kind,
                    "inservice": o.inservice,
                    "pages": o.pages,
                    "cached": o.cached,
                }
                for o in self.outputs
            ],
            "links": [{"number": n, "url": u} for n, u in self.links],
            "warnings": list(self.warnings),
            "hours": dict(self.hours),
        }


# ---------------------------------------------------------------- the pipeline


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
    jobs: int = 1,
    cache: bool = True,
    timeout: float | None = None,
    max_memory: int | None = None,
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
    """
    options = {
        "paper": paper,
        "theme": theme,
        "only": only,
        "format": format,
        "strict": strict,
        "jobs": jobs,
        "cache": cache,
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
        _remove_staged(out, since=started, created=not existed)
        raise


def _remove_staged(out: Path, *, since: float, created: bool) -> None:
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
) -> BuildResult:
    # One budget for what all the handouts of this build unpack to, together.
    with decoding_budget(), _scanned:
        out = Path(out_dir)
        packet = _with_overrides(_as_packet(packet_or_path), paper, theme)
        selected = _select(packet, only)
        per_inservice = (format in ("pdf", "both")) + (format in ("html", "both"))
        book_too = format in ("pdf", "both") and only is None
        kits = sum(len(_kits_of(packet, i)) for i in selected) if format != "html" else 0
        say = _Reporter(progress, len(selected) * per_inservice + book_too + kits)
        _refuse_overwriting_inputs(packet, out, selected)
        store = BuildCache.open(out / CACHE_DIR_NAME) if cache else BuildCache(None)
        links = collect_links(packet)
        themes = {name: load_theme(name, packet.folder) for name in packet.theme_names()}
        # A build of one binder in this process takes the handouts the scan opened.
        single = selected[0] if len(selected) == 1 and jobs <= 1 and format != "html" else None
        scans = _scan_handouts(packet, links, store, say, keep=single)

        result = BuildResult(
            links=[(ref.number, ref.url) for ref in links.links],
            hours={key: value.hours for key, value in packet_hours(packet).items()},
        )
        result.warnings.extend(links.warnings)
        untagged: list[UntaggedHandout] = []
        for inservice_id in selected:
            result.warnings.extend(scans[inservice_id].warnings)
            untagged += untagged_handouts(packet, inservice_id, scans[inservice_id].untagged)
        # One line for them all: nearly every packet has a photo or someone else's PDF.
        untagged_line = untagged_warning(untagged, packet.source)
        if untagged_line is not None:
            result.warnings.append(untagged_line)

        context = _Context(packet, links, themes, out, converted_documents())
        with Staging(out) as staging, _Runner(context, jobs) as runner:
            run = _Run(context, staging, store, runner, result, say)
            if format in ("pdf", "both"):
                binders = _binders(run, selected)
                _kits(run, selected)
                if only is None:
                    _book(run, binders)
            if format in ("html", "both"):
                _pages(run, selected)
            _short_links(run)
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


def render_html(
    packet: Packet | str | os.PathLike[str],
    inservice_id: str | None = None,
    *,
    links: LinkTable | None = None,
    theme: Theme | None = None,
) -> str:
    """The standalone HTML page of one in-service (the first when not given)."""
    # Imported here: Jinja2 and the templates are not needed by a rebuild the
    # cache serves.
    from packetgen.render.html import document_view, render_document

    packet = _as_packet(packet)
    links = links or packet_links(packet)
    target = inservice_id or packet.inservices[0].id
    _select(packet, [target])
    packet = packet.for_inservice(target)
    theme = theme or load_theme(packet.theme, packet.folder)
    view = document_view(packet, links, theme, mode="screen", inservice_id=target)
    return render_document(view, theme)


def packet_links(packet: Packet | str | os.PathLike[str]) -> LinkTable:
    """Every link of the packet numbered as a build numbers it, links inside
    handouts included."""
    packet = _as_packet(packet)
    links = collect_links(packet)
    with decoding_budget():
        _scan_handouts(packet, links, BuildCache(None), _Reporter(None, 0))
    return links


# ---------------------------------------------------------------- stages


@dataclass(frozen=True)
class _Scan:
    """What the handout scan learned about one in-service."""

    warnings: list[str]
    untagged: list[tuple[int, UntaggedKind]]
    """(item index, kind) of every handout without accessibility tags."""


ScanProblem = tuple[str, int, HandoutError]
"""(in-service id, item index, why) of a file that cannot be used."""


def _scan_handouts(
    packet: Packet,
    links: LinkTable,
    store: BuildCache,
    say: _Reporter,
    keep: str | None = None,
    problems: list[ScanProblem] | None = None,
) -> dict[str, _Scan]:
    """Number the links inside every handout (in packet order) and collect warnings.

    Every in-service is scanned, even with ``only``, so that numbers do not
    depend on which in-services a build writes. Scans are cached by file content.
    A file that cannot be used raises its :class:`HandoutError`; with ``problems``
    (``packetgen check``) it is added there instead and every other file is still
    opened, and an in-service with such a file is not cached.
    """
    scans: dict[str, _Scan] = {}
    for inservice in packet.inservices:
        files = _merged_files(inservice)
        if not files:
            scans[inservice.id] = _Scan([], [])
            continue
        view = packet.for_inservice(inservice.id)
        key = digest(
            "scan",
            __version__,
            view.paper,
            json.dumps([item.model_dump(mode="json") for item in inservice.items]),
            *(_file_digest(packet, file) for file in files),
        )
        found = _scan_record(
            store.get_json(key, f"the links found in the handouts of {inservice.id}")
        )
        if found is None:
            say.note(f"Opening the handouts of {inservice.id}")
            from packetgen.binder.bind import open_inservice_handouts  # see _run_job for why here

            binder = open_inservice_handouts(view, inservice.id, collect=problems is not None)
            found = {
                "links": binder.found_links,
                "warnings": binder.warnings,
                "untagged": binder.untagged,
            }
            if binder.problems:
                assert problems is not None  # without it the first problem was raised
                problems.extend((inservice.id, j, exc) for j, exc in binder.problems)
            else:
                if inservice.id == keep:
                    _scanned.keep(packet, inservice.id, binder)
                store.put_json(key, found)
        register_handout_links(packet, inservice.id, found["links"], links)
        scans[inservice.id] = _Scan(found["warnings"], found["untagged"])
    return scans


class _LastScanned:
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

    def __enter__(self) -> _LastScanned:
        return self

    def __exit__(self, *_exc: object) -> None:
        # Released with the build, whether it succeeded or not.
        self._held = None


_scanned = _LastScanned()


def _scan_record(value: Any) -> dict[str, Any] | None:
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


def _binders(run: _Run, selected: list[str]) -> dict[str, _Done]:
    """``<id>.pdf`` for each selected in-service; returns where each was staged."""
    context, staging, result = run.context, run.staging, run.result
    jobs = [
        _Job(
            "binder", inservice_id, f"{inservice_id}.pdf", key=_key(context, inservice_id, "binder")
        )
        for inservice_id in selected
    ]
    done_by_id: dict[str, _Done] = {}
    for job, done in _run_cached(jobs, run):
        done_by_id[job.inservice_id] = done
        result.warnings.extend(w for w in done.warnings if w not in result.warnings)
        result.outputs.append(
            OutputFile(
                staging.out_dir / job.name, "binder", job.inservice_id, done.pages, done.cached
            )
        )
    return done_by_id


KitKind = Literal["facilitator", "certificates"]


def _kits(run: _Run, selected: list[str]) -> None:
    """``<id>-facilitator.pdf`` and ``<id>-certificates.pdf`` for each selected
    in-service that has them (see :func:`_kits_of`)."""
    context, staging, result = run.context, run.staging, run.result
    jobs = [
        _Job(
            kind, inservice_id, f"{inservice_id}-{kind}.pdf", _kit_key(context, inservice_id, kind)
        )
        for inservice_id in selected
        for kind in _kits_of(context.packet, inservice_id)
    ]
    for job, done in _run_cached(jobs, run):
        result.warnings.extend(w for w in done.warnings if w not in result.warnings)
        result.outputs.append(
            OutputFile(
                staging.out_dir / job.name, job.kind, job.inservice_id, done.pages, done.cached
            )
        )


def _kits_of(packet: Packet, inservice_id: str) -> list[KitKind]:
    """The facilitator's kit, for an in-service with a sign-in sheet, an evaluation,
    an agenda or certificates; the certificates, when it knows its attendees."""
    inservice = next(s for s in packet.inservices if s.id == inservice_id)
    certificates = inservice.certificate is not None and bool(inservice.attendees)
    kits: list[KitKind] = []
    if inservice.signin or inservice.evaluation or inservice.agenda or certificates:
        kits.append("facilitator")
    if certificates:
        kits.append("certificates")
    return kits


def _kit_names(packet: Packet, selected: list[str]) -> list[str]:
    """The kits' file names; refused when one is another in-service's binder
    (in-services ``one`` and ``one-facilitator``): one would replace the other."""
    ids = [s.id for s in packet.inservices]
    names = []
    for inservice_id in selected:
        for kind in _kits_of(packet, inservice_id):
            name = f"{inservice_id}-{kind}"
            if name in selected:
                where = packet.where("inservices", ids.index(name), "id")
                raise PacketgenError(
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


def _book(run: _Run, binders: dict[str, _Done]) -> None:
    """``packet.pdf``: the front matter, then every binder as it was written."""
    context, staging, store, result, say = run.context, run.staging, run.store, run.result, run.say
    packet, links = context.packet, context.links
    theme = context.themes[packet.theme]
    target = staging.path_for("packet.pdf")
    key = digest("book", *(_key(context, s.id, "binder") for s in packet.inservices))
    hit = _cached_outcome(_get(store, key, "packet.pdf", target, staging))
    if hit is not None:
        result.outputs.append(
            OutputFile(staging.out_dir / "packet.pdf", "book", None, hit[0], True)
        )
        say.advance("packet.pdf is unchanged")
        return
    from packetgen.binder import book  # see _run_job for why here

    parts = [
        book.Part(
            s.id, s.title, binders[s.id].path, binders[s.id].pages or 0, context.theme_for(s.id)
        )
        for s in packet.inservices
    ]
    say.note("Assembling packet.pdf")
    data, pages = book.assemble(packet, links, theme, parts)
    staging.write_bytes(target, data)
    say.advance(f"Wrote packet.pdf ({pages} pages)")
    store.put(key, {"pages": pages}, {"output": target})
    result.outputs.append(OutputFile(staging.out_dir / "packet.pdf", "book", None, pages))


def _short_links(run: _Run) -> None:
    """``short-links/``: the redirects that make the codes' short links lead somewhere."""
    files = redirect_files(run.context.links)
    if files:
        run.staging.folder_for(SHORT_LINKS_FOLDER, files)
        run.result.outputs.append(
            OutputFile(run.staging.out_dir / SHORT_LINKS_FOLDER, "short-links", None, None)
        )


def _pages(run: _Run, selected: list[str]) -> None:
    """``<id>.html`` for each selected in-service."""
    context, staging, result = run.context, run.staging, run.result
    jobs = [
        _Job("html", inservice_id, f"{inservice_id}.html", key=_key(context, inservice_id, "html"))
        for inservice_id in selected
    ]
    for job, done in _run_cached(jobs, run):
        result.outputs.append(
            OutputFile(staging.out_dir / job.name, "html", job.inservice_id, None, done.cached)
        )


# ---------------------------------------------------------------- jobs, workers and the cache


@dataclass(frozen=True)
class _Context:
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
class _Run:
    """One build's shared machinery, handed to each stage."""

    context: _Context
    staging: Staging
    store: BuildCache
    runner: _Runner
    result: BuildResult
    say: _Reporter


@dataclass(frozen=True)
class _Job:
    kind: Literal["binder", "html", "facilitator", "certificates"]
    inservice_id: str
    name: str
    """Output file name."""
    key: str = ""

    @property
    def shown(self) -> str:
        """The output as the user knows it, for messages."""
        return self.name


@dataclass(frozen=True)
class _Done:
    path: Path
    pages: int | None
    warnings: tuple[str, ...]
    cached: bool


def _run_job(context: _Context, job: _Job, target: Path) -> tuple[int | None, tuple[str, ...]]:
    """Lay out one output into ``target``; runs in a worker process when ``jobs > 1``."""
    try:
        return _lay_out(context, job, target)
    except OSError as exc:
        # A full disk or a vanished output folder, while writing.
        raise write_failed(exc, context.out_dir / job.name) from None


def _lay_out(context: _Context, job: _Job, target: Path) -> tuple[int | None, tuple[str, ...]]:
    if job.kind == "html":
        html = render_html(
            context.packet,
            job.inservice_id,
            links=context.links,
            theme=context.theme_for(job.inservice_id),
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
    from packetgen.binder.bind import bind_inservice, open_inservice_handouts

    # Handouts are opened here and released with the job, so memory is bounded
    # by the largest in-service, not the whole packet.
    packet = context.packet.for_inservice(job.inservice_id)
    binder = _scanned.take(context.packet, job.inservice_id) or open_inservice_handouts(
        packet, job.inservice_id
    )
    bound = bind_inservice(packet, context.links, context.theme_for(job.inservice_id), binder)
    # A worker whose build is gone must not write into the output folder.
    exit_if_orphaned()
    target.write_bytes(bound.data)
    return bound.pages, bound.warnings


_WORKER_CONTEXT: _Context | None = None
_WORKER_SLOTS: ctypes.Array[ctypes.c_int64] | None = None

_SLOTS = 1024
"""Size of the ring that says which worker lays out which job: more than the
jobs one stage runs at once (one per in-service, at most 100)."""


def _worker_init(context: _Context, parent: int, slots: ctypes.Array[ctypes.c_int64]) -> None:
    # First: a worker must not outlive the build (see die_with_parent; the
    # pool starts its workers from the thread running the build, in submit()).
    die_with_parent(parent)
    global _WORKER_CONTEXT, _WORKER_SLOTS
    remember_converted_documents(context.conversions)
    _WORKER_CONTEXT = context
    _WORKER_SLOTS = slots


def _worker_run(ticket: int, job: _Job, target: Path) -> tuple[int | None, tuple[str, ...]]:
    assert _WORKER_CONTEXT is not None
    assert _WORKER_SLOTS is not None
    # While the job runs its slot holds this worker's pid: if the worker is
    # killed, the build can say which in-service it was laying out.
    _WORKER_SLOTS[ticket] = os.getpid()
    try:
        return _run_job(_WORKER_CONTEXT, job, target)
    finally:
        _WORKER_SLOTS[ticket] = 0


class _Runner:
    """Runs jobs in this process, and with ``jobs > 1`` in spawned worker processes too."""

    def __init__(self, context: _Context, jobs: int) -> None:
        if jobs < 1:
            raise PacketgenError(f"jobs must be 1 or more, found {jobs}")
        self.context = context
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._slots: ctypes.Array[ctypes.c_int64] | None = None
        self._tickets = 0
        self._ticket_of: dict[int, int] = {}

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if self._pool is None:
            return
        if kind is None:
            self._pool.shutdown(wait=True)
            return
        # A failure or an interrupt: stop the workers now instead of letting
        # them finish laying out pages nobody will use.
        for process in self._processes().values():
            process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _processes(self) -> dict[int, BaseProcess]:
        """The pool's worker processes by pid (the executor does not publish them)."""
        return dict(getattr(self._pool, "_processes", None) or {})

    def run(self, work: list[tuple[_Job, Path]]) -> Iterator[tuple[int | None, tuple[str, ...]]]:
        """Lay out ``work``; yields each job's outcome, in job order.

        With ``jobs = N`` this process lays out jobs too, beside N - 1 workers: it
        has the libraries, the theme and the fonts loaded already, and would
        otherwise wait idle while a worker paid to load them again.
        """
        if self.jobs == 1 or len(work) < 2:
            for job, target in work:
                yield _run_job(self.context, job, target)
            return
        pool = self._start_pool()
        shared = _Shared(len(work))
        # The first job is submitted from this thread: the pool starts its worker
        # in submit(), and the worker must be tied to a thread that outlives it.
        first = shared.claim()
        assert first is not None
        in_flight = {self._submit(pool, work, first): first}
        feeder = threading.Thread(
            target=self._feed, args=(pool, work, shared, in_flight), daemon=True
        )
        feeder.start()
        try:
            while (index := shared.claim()) is not None:
                job, target = work[index]
                shared.done(index, _run_job(self.context, job, target))
                yield from shared.ready()
            feeder.join()
        finally:
            shared.stop()
        if shared.failure is not None:
            raise shared.failure
        yield from shared.ready()

    def _start_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = get_context("spawn")
            self._slots = context.RawArray(ctypes.c_int64, _SLOTS)
            # spawn, not fork: WeasyPrint and its font libraries are not fork-safe.
            # Workers are started in submit(), by the thread running the build,
            # which lives until the pool is shut down: PR_SET_PDEATHSIG (set in
            # _worker_init) fires when the starting *thread* ends, so it cannot
            # fire early. No max_tasks_per_child: with it the executor's own
            # thread would start replacement workers.
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs - 1,
                mp_context=context,
                initializer=_worker_init,
                initargs=(self.context, os.getpid(), self._slots),
            )
        return self._pool

    def _submit(
        self, pool: ProcessPoolExecutor, work: list[tuple[_Job, Path]], index: int
    ) -> Future[tuple[int | None, tuple[str, ...]]]:
        slots = self._slots
        assert slots is not None
        job, target = work[index]
        ticket = self._tickets % _SLOTS
        self._tickets += 1
        slots[ticket] = 0
        self._ticket_of[index] = ticket
        return pool.submit(_worker_run, ticket, job, target)

    def _feed(
        self,
        pool: ProcessPoolExecutor,
        work: list[tuple[_Job, Path]],
        shared: _Shared,
        in_flight: dict[Future[tuple[int | None, tuple[str, ...]]], int],
    ) -> None:
        """Keep the workers busy: each finished job makes room for the next one."""
        try:
            while True:
                while len(in_flight) < self.jobs - 1 and (index := shared.claim()) is not None:
                    in_flight[self._submit(pool, work, index)] = index
                if not in_flight:
                    break
                finished, _pending = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    shared.done(in_flight.pop(future), future.result())
        except BrokenProcessPool:
            # A worker was killed (the OOM killer, SIGKILL): the pool is unusable
            # and the executor's message and traceback say nothing a trainer can act on.
            indexes = sorted(in_flight.values())
            waiting = work[indexes[0] if indexes else 0][0]
            shared.fail(
                self._stopped(
                    [work[i][0] for i in indexes], [self._ticket_of[i] for i in indexes], waiting
                )
            )
        except BaseException as exc:  # handed to the build's thread
            shared.fail(exc)

    def _stopped(self, jobs: list[_Job], tickets: list[int], waiting: _Job) -> BuildError:
        """The error for a pool broken by a worker that died, naming what it was building."""
        assert self._slots is not None
        slots = self._slots
        running = [(job, slots[t]) for job, t in zip(jobs, tickets, strict=True) if slots[t] > 0]
        processes = self._processes()
        # The executor sends SIGTERM to the other workers once one has died;
        # the one that died first is the one that did not end by SIGTERM.
        culprit, code = (running[0][0] if running else waiting), None
        for job, pid in running:
            status = _exit_status(processes.get(pid))
            if status is not None and status != -signal.SIGTERM:
                culprit, code = job, status
                break
        what = f"{culprit.inservice_id} ({culprit.shown})"
        if code is None or code == -signal.SIGKILL:
            return BuildError(
                f"the worker building {what} was stopped by the system, probably for lack of"
                " memory; earlier outputs are unchanged. Free some memory or lay out fewer"
                " in-services at once (-j 1), then build again"
            )
        return BuildError(
            f"the worker building {what} stopped unexpectedly ({exit_reason(code)});"
            " earlier outputs are unchanged"
        )


class _Shared:
    """Which jobs are claimed and which outcomes are in, between the build's thread
    (laying out jobs itself) and the thread feeding the workers."""

    def __init__(self, count: int) -> None:
        self._lock = threading.Lock()
        self._next = 0
        self._count = count
        self._outcomes: dict[int, tuple[int | None, tuple[str, ...]]] = {}
        self._yielded = 0
        self.failure: BaseException | None = None

    def claim(self) -> int | None:
        with self._lock:
            if self._next >= self._count or self.failure is not None:
                return None
            self._next += 1
            return self._next - 1

    def done(self, index: int, outcome: tuple[int | None, tuple[str, ...]]) -> None:
        with self._lock:
            self._outcomes[index] = outcome

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self.failure is None:
                self.failure = exc

    def stop(self) -> None:
        """No more claims (the build's thread failed or is done)."""
        with self._lock:
            self._next = self._count

    def ready(self) -> Iterator[tuple[int | None, tuple[str, ...]]]:
        """The outcomes that are in, in job order, up to the first still missing."""
        while True:
            with self._lock:
                outcome = self._outcomes.pop(self._yielded, None)
                if outcome is None:
                    return
                self._yielded += 1
            yield outcome


def _exit_status(process: BaseProcess | None) -> int | None:
    """The exit code of a pool worker that has ended or is ending; None if unknown."""
    if process is None:
        return None
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        code = process.exitcode
        if code is not None:
            return code
        process.join(0.05)
    return None


def _run_cached(jobs: list[_Job], run: _Run, *, keep: bool = False) -> Iterator[tuple[_Job, _Done]]:
    """Run ``jobs``, taking what the cache has; yields in job order.

    Outputs are staged (renamed into place at commit); with ``keep`` they are
    staged under a temporary name only and removed when the build ends.
    """
    staging, store, runner, say = run.staging, run.store, run.runner, run.say
    staged: dict[str, Path] = {}
    cached: dict[str, tuple[int | None, tuple[str, ...]]] = {}
    todo: list[tuple[_Job, Path]] = []
    for job in jobs:
        target = staging.scratch(job.name) if keep else staging.path_for(job.name)
        staged[job.name] = target
        hit = _cached_outcome(_get(store, job.key, job.shown, target, staging))
        if hit is not None:
            cached[job.name] = hit
        else:
            todo.append((job, target))
    if todo:
        names = [job.name for job, _t in todo]
        say.note(
            f"Laying out {names[0]}" + (f" and {len(names) - 1} more" if len(names) > 1 else "")
        )
    fresh: dict[str, tuple[int | None, tuple[str, ...]]] = {}
    for (job, _target), outcome in zip(todo, runner.run(todo), strict=True):
        fresh[job.name] = outcome
        if not keep:
            say.advance(f"Laid out {job.name}")
    for job in jobs:
        if job.name not in fresh and not keep:
            say.advance(f"{job.name} is unchanged")
    for job in jobs:
        target = staged[job.name]
        if job.name in fresh:
            pages, warnings = fresh[job.name]
            store.put(job.key, {"pages": pages, "warnings": list(warnings)}, {"output": target})
            yield job, _Done(target, pages, warnings, cached=False)
        else:
            pages, warnings = cached[job.name]
            yield job, _Done(target, pages, warnings, cached=True)


def _get(
    store: BuildCache, key: str, what: str, target: Path, staging: Staging
) -> dict[str, Any] | None:
    """The cache's metadata for ``key``, its verified output copied into ``target``."""
    try:
        return store.get(key, what, into=target)
    except OSError as exc:
        raise write_failed(exc, staging.name_of(target)) from None


def _cached_outcome(meta: dict[str, Any] | None) -> tuple[int | None, tuple[str, ...]] | None:
    """(pages, warnings) of a cache entry, or None (a miss) unless they have the right types."""
    if meta is None:
        return None
    pages, warnings = meta.get("pages"), meta.get("warnings", [])
    if pages is not None and type(pages) is not int:
        return None
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        return None
    return pages, tuple(warnings)


def _key(context: _Context, inservice_id: str, what: str) -> str:
    """Everything an in-service's output depends on, hashed."""
    packet = context.packet
    index = next(i for i, s in enumerate(packet.inservices) if s.id == inservice_id)
    inservice = packet.inservices[index]
    settings = packet.model_dump(mode="json", exclude={"inservices"})
    numbers = [
        (ref.number, ref.url, [s.item for s in ref.sources if s.inservice == inservice_id])
        for ref in context.links.for_inservice(inservice_id)
    ]
    files = [_file_digest(packet, file) for file in _merged_files(inservice)]
    images = [
        _file_digest(packet, src)
        for text in _markdown_fields(inservice)
        for src in images_in(text)
        if (packet.folder / src).is_file()
    ]
    return digest(
        what,
        __version__,
        json.dumps(settings, sort_keys=True),
        json.dumps(inservice.model_dump(mode="json"), sort_keys=True),
        json.dumps(numbers),
        _theme_digest(context.theme_for(inservice_id)),
        w3c_build_date() or "",
        *files,
        *images,
    )


def _kit_key(context: _Context, inservice_id: str, kind: KitKind) -> str:
    """The in-service's key, and the files only its kit and certificates read:
    the attendee list and the signature."""
    packet = context.packet
    inservice = next(s for s in packet.inservices if s.id == inservice_id)
    files = [
        _file_digest(packet, name)
        for name in (
            inservice.attendees if isinstance(inservice.attendees, str) else None,
            inservice.certificate.signature if inservice.certificate else None,
        )
        if name
    ]
    return digest(_key(context, inservice_id, kind), *files)


def _merged_files(inservice: InService) -> list[str]:
    """Every file merged into the in-service's binder: each item's own, then its
    translations', in the order the binder merges them."""
    return [
        file
        for item in inservice.items
        for file in (item.file, *(t.file for t in item.translations))
        if file is not None
    ]


def _markdown_fields(inservice: object) -> Iterator[str]:
    summary = getattr(inservice, "summary", None)
    if summary:
        yield summary
    for item in getattr(inservice, "items", []):
        for name in ("description", "excerpt", "access"):
            text = getattr(item, name, None)
            if text:
                yield text


def _file_digest(packet: Packet, relative: str) -> str:
    # Read in blocks, and not at all when the file is outside the folder, too
    # large or not a regular file: the stage that uses it refuses it properly.
    return fingerprint(packet.folder / relative, roots=(packet.folder,), max_bytes=_MAX_KEYED_BYTES)


_MAX_KEYED_BYTES = 200 * 1024 * 1024
"""As large as a handout may be (``handouts.open_handout(max_bytes=)``)."""


def _theme_digest(theme: Theme) -> str:
    """The theme's CSS and the templates in use (built-in and overrides)."""
    # By content, not by object: an edited stylesheet is a new theme even if
    # Python reuses the old object's id, as a long `serve` session will.
    return _theme_digest_of(theme.print_css, theme.screen_css, theme.templates)


@functools.lru_cache(maxsize=16)
def _theme_digest_of(
    print_css: str, screen_css: str, templates: tuple[tuple[str, str], ...]
) -> str:
    builtin = Path(__file__).resolve().parents[1] / "render" / "templates"
    texts = [print_css, screen_css]
    for path in sorted(builtin.rglob("*")):
        if path.is_file():
            texts.append(f"{path.relative_to(builtin)}\n{path.read_text('utf-8')}")
    # The catalogs too: a corrected translation must reach the pages.
    for path in sorted(LOCALE_DIR.rglob("*.po")):
        texts.append(f"{path.relative_to(LOCALE_DIR)}\n{path.read_text('utf-8')}")
    # The theme's own templates were read and checked when it was loaded.
    texts += [f"theme:{name}\n{source}" for name, source in templates]
    return digest(*texts)


# ---------------------------------------------------------------- inputs


def _as_packet(packet_or_path: Packet | str | os.PathLike[str]) -> Packet:
    if isinstance(packet_or_path, Packet):
        return packet_or_path
    return load_packet(packet_or_path)


def _with_overrides(packet: Packet, paper: str | None, theme: str | None) -> Packet:
    """The packet with the caller's paper and theme, for the packet and every in-service:
    what the trainer asks for on the command line wins over the spec."""
    updates: dict[str, object] = {}
    if paper is not None:
        if paper not in ("letter", "a4"):
            raise PacketgenError(f"paper must be 'letter' or 'a4', found {paper!r}")
        updates["paper"] = paper
    if theme is not None:
        updates["theme"] = theme
    if not updates:
        return packet
    own: dict[str, object] = dict.fromkeys(updates)
    inservices = [s.model_copy(update=own) for s in packet.inservices]
    return packet.model_copy(update={**updates, "inservices": inservices})


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
    for inservice in packet.inservices:
        inputs.update((packet.folder / file).resolve() for file in _merged_files(inservice))
        for text in _markdown_fields(inservice):
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
    names += _kit_names(packet, selected)
    for name in names:
        target = (out / name).resolve()
        if target in inputs:
            raise PacketgenError(
                f"the output {out / name} would overwrite an input file; choose another -o folder"
            )
    if packet.short_links is not None:
        # The short-links folder is replaced whole: nothing of the packet may live in it.
        folder = (out / SHORT_LINKS_FOLDER).resolve()
        if any(path.is_relative_to(folder) for path in inputs):
            raise PacketgenError(
                f"the output folder {out / SHORT_LINKS_FOLDER} would replace input files that"
                " are inside it; choose another -o folder"
            )
