"""The decoding budget of one build: what all its handouts may unpack to, together.

Kept apart from ``handouts`` (which needs pypdf and Pillow) so that a build
served from the cache can open its budget without loading them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["MAX_DECODED_BYTES_TOTAL", "decoding_budget"]

MAX_DECODED_BYTES_TOTAL = 1024**3
"""PDF content all the handouts of one build may unpack to together (1 GiB),
inside :func:`decoding_budget`. Each file counts once, however often it is read."""

_MIB = 1024 * 1024


def _size(limit: int) -> str:
    return f"{limit / _MIB:g} MiB" if limit < 1024**3 else f"{limit / 1024**3:g} GiB"


class _BuildLedger:
    """What the handouts opened in one :func:`decoding_budget` unpacked, per file."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._by_file: dict[str, int] = {}
        self._lock = threading.Lock()

    def record(self, key: str, used: int) -> bool:
        """Note that ``key`` has unpacked ``used`` bytes; False once over the limit."""
        with self._lock:
            # The same file is opened by the handout scan, again to lay out
            # its binder, and again to count its pages: it counts once.
            before = self._by_file.get(key, 0)
            if used > before:
                self._by_file[key] = used
                self.total += used - before
            return self.total <= self.limit


_LEDGER: ContextVar[_BuildLedger | None] = ContextVar("packetgen_decoding_ledger", default=None)


@contextmanager
def decoding_budget(max_bytes: int = MAX_DECODED_BYTES_TOTAL) -> Iterator[None]:
    """Limit what all handouts opened inside unpack to, together, to ``max_bytes``.

    Wrap one build (or one ``links``/``check`` run) in it. Every handout still
    has its own limit (``open_handout(max_decoded_bytes=)``); this one stops a
    packet of many handouts that each stay just under it. Readers opened
    inside keep counting against it after the block ends.
    """
    token = _LEDGER.set(_BuildLedger(max_bytes))
    try:
        yield
    finally:
        _LEDGER.reset(token)
