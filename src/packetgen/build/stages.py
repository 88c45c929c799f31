"""The stages that write outputs: the binders, the kits, the book, the pages and
the short links, each a list of jobs run through the cache (:func:`run_cached`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packetgen.build._cache import BuildCache
from packetgen.build._offered import stage_offered_files
from packetgen.build.jobs import Context, Done, Job
from packetgen.build.keys import book_key, inservice_key, kit_key
from packetgen.build.results import BuildResult, OutputFile, Reporter
from packetgen.build.staging import kits_of
from packetgen.build.workers import Runner
from packetgen.content.shortlinks import FOLDER as SHORT_LINKS_FOLDER
from packetgen.content.shortlinks import redirect_files
from packetgen.support._atomic import Staging, write_failed

__all__ = [
    "Run",
    "assemble_book",
    "lay_out_binders",
    "lay_out_kits",
    "lay_out_pages",
    "run_cached",
    "write_short_links",
]


@dataclass(frozen=True)
class Run:
    """One build's shared machinery, handed to each stage."""

    context: Context
    staging: Staging
    store: BuildCache
    runner: Runner
    result: BuildResult
    say: Reporter


def lay_out_binders(run: Run, selected: list[str]) -> dict[str, Done]:
    """``<id>.pdf`` for each selected in-service; returns where each was staged."""
    context, staging, result = run.context, run.staging, run.result
    jobs = [
        Job(
            "binder",
            inservice_id,
            f"{inservice_id}.pdf",
            key=inservice_key(context, inservice_id, "binder"),
        )
        for inservice_id in selected
    ]
    done_by_id: dict[str, Done] = {}
    for job, done in run_cached(jobs, run):
        done_by_id[job.inservice_id] = done
        result.warnings.extend(w for w in done.warnings if w not in result.warnings)
        result.outputs.append(
            OutputFile(
                staging.out_dir / job.name, "binder", job.inservice_id, done.pages, done.cached
            )
        )
    return done_by_id


def lay_out_kits(run: Run, selected: list[str]) -> None:
    """``<id>-facilitator.pdf`` and ``<id>-certificates.pdf`` for each selected
    in-service that has them (see :func:`kits_of`)."""
    context, staging, result = run.context, run.staging, run.result
    jobs = [
        Job(kind, inservice_id, f"{inservice_id}-{kind}.pdf", kit_key(context, inservice_id, kind))
        for inservice_id in selected
        for kind in kits_of(context.packet, inservice_id)
    ]
    for job, done in run_cached(jobs, run):
        result.warnings.extend(w for w in done.warnings if w not in result.warnings)
        result.outputs.append(
            OutputFile(
                staging.out_dir / job.name, job.kind, job.inservice_id, done.pages, done.cached
            )
        )


def assemble_book(run: Run, binders: dict[str, Done]) -> None:
    """``packet.pdf``: the front matter, then every binder as it was written."""
    context, staging, store, result, say = run.context, run.staging, run.store, run.result, run.say
    packet, links = context.packet, context.links
    theme = context.themes[packet.theme]
    target = staging.path_for("packet.pdf")
    key = book_key(context)
    hit = _cached_outcome(_get(store, key, "packet.pdf", target, staging))
    if hit is not None:
        result.outputs.append(
            OutputFile(staging.out_dir / "packet.pdf", "book", None, hit[0], True)
        )
        say.advance("packet.pdf is unchanged")
        return
    from packetgen.binder import book  # see jobs._lay_out for why here

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


def write_short_links(run: Run) -> None:
    """``short-links/``: the redirects that make the codes' short links lead somewhere."""
    files = redirect_files(run.context.links)
    if files:
        run.staging.folder_for(SHORT_LINKS_FOLDER, files)
        run.result.outputs.append(
            OutputFile(run.staging.out_dir / SHORT_LINKS_FOLDER, "short-links", None, None)
        )


def lay_out_pages(run: Run, selected: list[str]) -> None:
    """``<id>.html`` for each selected in-service, and ``<id>_files/`` beside it."""
    context, staging, result = run.context, run.staging, run.result
    jobs = [
        Job(
            "html",
            inservice_id,
            f"{inservice_id}.html",
            key=inservice_key(context, inservice_id, "html"),
            offered=stage_offered_files(context, staging, run.store, inservice_id),
        )
        for inservice_id in selected
    ]
    for job, done in run_cached(jobs, run):
        result.outputs.append(
            OutputFile(staging.out_dir / job.name, "html", job.inservice_id, None, done.cached)
        )


def run_cached(jobs: list[Job], run: Run, *, keep: bool = False) -> Iterator[tuple[Job, Done]]:
    """Run ``jobs``, taking what the cache has; yields in job order.

    Outputs are staged (renamed into place at commit); with ``keep`` they are
    staged under a temporary name only and removed when the build ends.
    """
    staging, store, runner, say = run.staging, run.store, run.runner, run.say
    staged: dict[str, Path] = {}
    cached: dict[str, tuple[int | None, tuple[str, ...]]] = {}
    todo: list[tuple[Job, Path]] = []
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
            yield job, Done(target, pages, warnings, cached=False)
        else:
            pages, warnings = cached[job.name]
            yield job, Done(target, pages, warnings, cached=True)


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
