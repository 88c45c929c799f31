"""Reproducible builds: the only clock packetgen reads is SOURCE_DATE_EPOCH.

Without it, outputs carry no creation date at all, so identical inputs give
byte-identical files by default (https://reproducible-builds.org/specs/source-date-epoch/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os

from packetgen.errors import OptionError


def build_datetime() -> dt.datetime | None:
    """The build time from SOURCE_DATE_EPOCH, or None when it is not set."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise OptionError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, found {raw!r}"
        ) from None


def w3c_build_date() -> str | None:
    when = build_datetime()
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when is not None else None


def pdf_build_date() -> str | None:
    when = build_datetime()
    return when.strftime("D:%Y%m%d%H%M%SZ") if when is not None else None


def identifier(*parts: bytes) -> bytes:
    """A PDF /ID derived from content, so it is stable across identical builds."""
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(part)
    return digest.hexdigest().encode("ascii")
