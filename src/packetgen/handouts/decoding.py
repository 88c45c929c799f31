"""The budget of PDF content a handout may unpack to, enforced inside pypdf.

pypdf's stream decoder is replaced (once, on import) by one that charges
what each stream unpacks to the handout its reader belongs to, and to the
build's ledger (:func:`packetgen.support._budget.decoding_budget`); past
either limit the handout fails with :class:`DecodingLimitError`. Streams of
readers packetgen did not open are decoded exactly as before.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pypdf
import pypdf.filters

from packetgen.errors import HandoutError
from packetgen.support._budget import _LEDGER, _size

__all__ = ["MAX_DECODED_BYTES", "DecodingLimitError", "HandoutBudget"]

MAX_DECODED_BYTES = 256 * 1024 * 1024
"""PDF content one handout may unpack to, all its streams together (256 MiB).

pypdf stops each stream at 75 MB, but a file of many such streams (a Flate
bomb of 40 pages of 70 MB each fits in 3 MB) would still take gigabytes. A
real handout's page content is a few hundred KB a page; pictures are copied
into the binder without being unpacked, so they do not count."""


class DecodingLimitError(HandoutError):
    """A handout's PDF streams unpacked to more than its budget, or the build's.

    A :class:`~packetgen.errors.HandoutError` like any other; its own class lets
    callers that tolerate unreadable handouts (page counts for credit) still
    stop on it.
    """


class HandoutBudget:
    """The bytes one handout's reader has unpacked, checked as they are unpacked."""

    def __init__(self, file: str, item: str, limit: int, key: str) -> None:
        self.file = file
        self.item = item
        self.limit = limit
        self.key = key
        self.used = 0
        self.ledger = _LEDGER.get()
        self.refusal: str | None = None

    def check(self) -> None:
        """Refuse once the budget is spent: nothing more of this file is unpacked."""
        if self.refusal is not None:
            # A new exception each time: raising one instance twice chains tracebacks.
            raise DecodingLimitError(self.file, self.refusal, item=self.item)

    def charge(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            self.refusal = (
                f"the PDF unpacks to more than {_size(self.limit)} of content, the limit for one"
                " handout, so packetgen stopped reading it (a PDF this heavy is broken or made"
                " to exhaust memory); select fewer pages with `pages:`, split it into smaller"
                " PDFs, or print it to a new PDF"
            )
        elif self.ledger is not None and not self.ledger.record(self.key, self.used):
            self.refusal = (
                f"with this file the packet's handouts unpack to more than"
                f" {_size(self.ledger.limit)} of PDF content, the limit for one build; use fewer"
                " or smaller handouts, or select fewer pages with `pages:`"
            )
        self.check()

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Charge here what is unpacked while the file is read, before its reader is known."""
        token = _LOADING.set(self)
        try:
            yield
        finally:
            _LOADING.reset(token)

    def follow(self, reader: Any) -> None:
        """Charge here too what ``reader`` unpacks later (the binder drawing its pages)."""
        _BUDGETS[reader] = self


# The budget of each open reader, found from the stream being decoded; while
# a file is being read (before its reader is known) the budget in _LOADING.
_BUDGETS: weakref.WeakKeyDictionary[Any, HandoutBudget] = weakref.WeakKeyDictionary()
_LOADING: ContextVar[HandoutBudget | None] = ContextVar("packetgen_loading", default=None)


def _budget_of(stream: Any) -> HandoutBudget | None:
    owner = getattr(getattr(stream, "indirect_reference", None), "pdf", None)
    if owner is not None:
        with contextlib.suppress(TypeError):  # an owner that cannot be weakly referenced
            budget = _BUDGETS.get(owner)
            if budget is not None:
                return budget
    return _LOADING.get()


# Kept on pypdf's module, so that reloading this one never wraps the wrapper.
_decode_unbudgeted: Callable[[Any], bytes] = getattr(
    pypdf.filters, "_packetgen_unbudgeted", pypdf.filters.decode_stream_data
)


def _decode_within_budget(stream: Any) -> bytes:
    """pypdf's decoder, charging what it unpacks to the handout the stream belongs to.

    Every stream pypdf unpacks goes through here — page contents checked when
    a handout opens, drawn into the binder, read for text or links, object and
    cross-reference streams — so the budget holds whatever asks for the bytes.
    """
    budget = _budget_of(stream)
    if budget is None:
        return _decode_unbudgeted(stream)
    budget.check()
    data = _decode_unbudgeted(stream)
    budget.charge(len(data))
    return data


def _install_decode_hook() -> None:
    # pypdf looks the function up in its filters module on every call
    # (EncodedStreamObject.get_data), so replacing it there covers every reader;
    # streams of readers packetgen did not open are decoded exactly as before.
    pypdf.filters._packetgen_unbudgeted = _decode_unbudgeted  # type: ignore[attr-defined]  # our own marker on pypdf's module
    pypdf.filters.decode_stream_data = _decode_within_budget


_install_decode_hook()
