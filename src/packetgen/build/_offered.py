"""The files beside an in-service's HTML page (``<id>_files/``), staged with it.

What each file is and holds comes from :mod:`packetgen.render.offered`; this
module keeps it in the build cache, so that a rebuild neither opens the PDFs
again to count their pages nor runs LibreOffice again for an office document
(the converted PDF is cached with the page that offers it).
"""

from __future__ import annotations

from typing import Any

from packetgen._version import __version__
from packetgen.build._cache import BuildCache, digest
from packetgen.build.jobs import Context
from packetgen.build.keys import file_digest
from packetgen.render.offered import (
    OfferedFile,
    OfferedSource,
    files_folder,
    offer,
    offered_sources,
    original_bytes,
)
from packetgen.support._atomic import Staging, write_failed

__all__ = ["stage_offered_files"]

_FORMATS = ("PDF", "PNG", "JPEG")


def stage_offered_files(
    context: Context, staging: Staging, store: BuildCache, inservice_id: str
) -> tuple[OfferedFile, ...]:
    """Stage ``<id>_files/`` with every file the page offers; return what the page says.

    The folder replaces the one an earlier build wrote, whole: a file no
    longer offered does not linger there, and a page that offers none leaves
    no folder.
    """
    packet = context.packet
    folder = files_folder(inservice_id)
    sources = offered_sources(packet, inservice_id)
    if not sources:
        staging.remove_folder(folder)
        return ()
    items = packet.inservice(inservice_id).items
    files: dict[str, bytes] = {}
    by_name: dict[str, OfferedFile] = {}
    offered: list[OfferedFile] = []
    for source in sources:
        known = by_name.get(source.name)
        if known is None:
            known, data = _offered(
                context, staging, store, folder, source, items[source.item].title
            )
            by_name[source.name] = known
            files[source.name] = data
        # One file for two items: each item links it.
        offered.append(OfferedFile(source.item, *_fields(known)))
    staging.folder_for(folder, files)
    return tuple(offered)


def _fields(found: OfferedFile) -> tuple[str, str, int | None, int, str | None]:
    return found.name, found.format, found.pages, found.size, found.converted_from


def _offered(
    context: Context,
    staging: Staging,
    store: BuildCache,
    folder: str,
    source: OfferedSource,
    title: str,
) -> tuple[OfferedFile, bytes]:
    packet = context.packet
    key = digest("offered file", __version__, file_digest(packet, source.source))
    shown = f"{folder}/{source.name}"
    cached = _from_cache(context, staging, store, key, shown, source)
    if cached is not None:
        return cached
    found, data = offer(packet, source, title)
    meta = {
        "format": found.format,
        "pages": found.pages,
        "size": found.size,
        "converted_from": found.converted_from,
    }
    # Where the file is once the build has committed (the cache is written after).
    stored = {"output": staging.out_dir / folder / source.name} if source.office else {}
    store.put(key, meta, stored)
    return found, data


def _from_cache(
    context: Context,
    staging: Staging,
    store: BuildCache,
    key: str,
    shown: str,
    source: OfferedSource,
) -> tuple[OfferedFile, bytes] | None:
    """The file and what was learned about it, from the cache; None on a miss."""
    if not store.enabled:
        return None
    into = staging.scratch(source.name) if source.office else None
    try:
        meta = store.get(key, shown, into=into)
    except OSError as exc:
        raise write_failed(exc, staging.name_of(into) if into else staging.out_dir) from None
    found = _cached_record(meta, source)
    if found is None:
        return None
    data = into.read_bytes() if into is not None else original_bytes(context.packet, source)
    if len(data) != found.size:
        return None
    return found, data


def _cached_record(meta: dict[str, Any] | None, source: OfferedSource) -> OfferedFile | None:
    """A cache entry's record, or None unless it has exactly the expected shape."""
    if meta is None or set(meta) != {"format", "pages", "size", "converted_from"}:
        return None
    form, pages, size, converted = (meta[k] for k in ("format", "pages", "size", "converted_from"))
    if form not in _FORMATS or type(size) is not int or size < 0:
        return None
    if pages is not None and (type(pages) is not int or pages < 1):
        return None
    if converted is not None and not isinstance(converted, str):
        return None
    return OfferedFile(source.item, source.name, form, pages, size, converted)
