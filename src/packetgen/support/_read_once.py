"""Each handout file read once per build.

A build looks at a handout several times: its digest keys the cache (for the
scan, the binder and the page), the scan opens it, credit counts its pages.
Inside :func:`read_once` the first read keeps what it learned — the bytes (up
to :data:`MAX_HELD_BYTES` for the whole build), their SHA-256 and, once
counted, the page count — as immutable :class:`FileFacts`, and later looks are
served from them without opening the file again.

Facts are keyed by the file's path and its identity on disk (device, inode,
size, modification time, read from the open handle), so a file changed during
the build is read afresh, never confused with what it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = [
    "MAX_HELD_BYTES",
    "FileFacts",
    "facts_for",
    "read_once",
    "remember",
    "remember_pages",
]

MAX_HELD_BYTES = 256 * 1024 * 1024
"""Bytes kept for the whole build; past it, only digests and page counts are kept."""


@dataclass(frozen=True)
class FileFacts:
    """What one read of a file learned."""

    digest: str
    """``sha256:<hex>`` of the bytes, as the cache keys name files."""
    size: int
    data: bytes | None
    """The bytes, when the build could keep them."""
    guarded: bool
    """Read through the guarded reader (inside the packet folder, within the size limit)."""
    pages: int | None = None
    """The page count, once something counted it."""


_Key = tuple[str, int, int, int, int]


class _Facts:
    def __init__(self) -> None:
        self.by_key: dict[_Key, FileFacts] = {}
        self.held = 0
        self.lock = threading.Lock()


_current: ContextVar[_Facts | None] = ContextVar("packetgen_read_once", default=None)


@contextlib.contextmanager
def read_once() -> Iterator[None]:
    """Keep what reads learn until the end of the block (a build, a check).

    Nested blocks share the outer one's facts.
    """
    if _current.get() is not None:
        yield
        return
    token = _current.set(_Facts())
    try:
        yield
    finally:
        _current.reset(token)


def _key(path: Path, info: os.stat_result) -> _Key:
    return (str(path.resolve()), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def facts_for(path: Path) -> FileFacts | None:
    """What an earlier read of ``path``, as it is on disk now, learned (no open)."""
    facts = _current.get()
    if facts is None:
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    with facts.lock:
        return facts.by_key.get(_key(path, info))


def remember(
    path: Path, info: os.stat_result, data: bytes, *, guarded: bool, digest: str | None = None
) -> None:
    """Keep what reading ``data`` from ``path`` (stat'ed as ``info`` on the open
    handle) learned; ``digest`` when the reader already hashed it."""
    facts = _current.get()
    if facts is None:
        return
    key = _key(path, info)
    digest = digest or f"sha256:{hashlib.sha256(data).hexdigest()}"
    with facts.lock:
        held = facts.by_key.get(key)
        if held is not None and held.data is not None:
            if guarded and not held.guarded:
                facts.by_key[key] = replace(held, guarded=True)
            return
        keep = facts.held + len(data) <= MAX_HELD_BYTES
        if keep:
            facts.held += len(data)
        facts.by_key[key] = FileFacts(
            digest,
            len(data),
            data if keep else None,
            guarded or (held is not None and held.guarded),
            held.pages if held is not None else None,
        )


def remember_pages(path: Path, pages: int) -> None:
    """Keep the page count of ``path`` as it is on disk now."""
    facts = _current.get()
    if facts is None:
        return
    try:
        info = path.stat()
    except OSError:
        return
    key = _key(path, info)
    with facts.lock:
        held = facts.by_key.get(key)
        if held is not None:
            facts.by_key[key] = replace(held, pages=pages)
