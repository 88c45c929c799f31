"""Office documents converted by this process, by content: each is converted once per build.

Kept apart from ``_office`` (which needs pypdf) so that a build can hand its
conversions to its workers without loading it.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["converted", "converted_documents", "remember", "remember_converted_documents"]

# Converted PDFs by the digest of the document LibreOffice was given: a build
# opens a handout several times (links, credit, binder) and converts it once.
_converted: OrderedDict[str, bytes] = OrderedDict()
_MEMO_BYTES = 256 * 1024 * 1024


def remember(key: str, pdf: bytes) -> None:
    _converted[key] = pdf
    while len(_converted) > 1 and sum(len(v) for v in _converted.values()) > _MEMO_BYTES:
        _converted.popitem(last=False)


def converted_documents() -> dict[str, bytes]:
    """The conversions this process holds, to hand to a build's worker processes."""
    return dict(_converted)


def remember_converted_documents(found: dict[str, bytes]) -> None:
    """Take conversions made by the process that started this one."""
    for key, pdf in found.items():
        remember(key, pdf)


def converted(key: str) -> bytes | None:
    return _converted.get(key)
