"""Times and dates as trainers write them: a start time in a recording
(``1:30``), a session's time or span (``6:30pm``, ``18:30-20:00``), a date
(``2018-03-12``) and a date format for the hours records.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
from typing import Any

from packetgen.spec.models._text import clip, describe

_START = re.compile(r"(?:(?P<h>[0-9]{1,2}):)?(?P<m>[0-9]{1,3}):(?P<s>[0-5][0-9])")


def start_seconds(value: str) -> int:
    """Seconds from the start of ``"1:30"`` or ``"1:02:03"`` (validated)."""
    match = _START.fullmatch(value)
    assert match is not None
    return int(match["h"] or 0) * 3600 + int(match["m"]) * 60 + int(match["s"])


def check_start(value: str) -> str:
    match = _START.fullmatch(value.strip())
    if match is None:
        raise ValueError(
            f'expected a time like "1:30" (minutes:seconds) or "1:02:03"'
            f" (hours:minutes:seconds), found {clip(value)}"
        )
    if match["h"] and int(match["m"]) > 59:
        raise ValueError(f"expected minutes from 00 to 59 after the hours, found {clip(value)}")
    return value.strip()


# A clock time as trainers write it: 6:30pm, 6:30 p.m., 6pm, 18:30, 18.30.
_CLOCK_PART = r"(?P<{n}h>[0-9]{{1,2}})(?:[:.h](?P<{n}m>[0-9]{{2}}))?\s*(?P<{n}ap>[ap]\.?\s?m\.?)?"
_SESSION_TIME = re.compile(
    _CLOCK_PART.format(n="s")
    + r"(?:\s*(?:-|\u2013|\u2014|to|until)\s*"
    + _CLOCK_PART.format(n="e")
    + r")?",
    re.IGNORECASE,
)
_TIME_EXAMPLE = 'a time like 6:30pm or 18:30, or a span like "18:30-20:00"'


def _clock(hours: str, minutes: str | None, ampm: str | None) -> _dt.time | None:
    hour, minute = int(hours), int(minutes or 0)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        pm = ampm.lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return _dt.time(hour, minute)


def session_times(value: str) -> tuple[_dt.time, _dt.time | None]:
    """Start and (optional) end of a validated ``time:`` ("18:30" or "18:30-20:00")."""
    start, _, end = value.partition("-")
    return _dt.time.fromisoformat(start), _dt.time.fromisoformat(end) if end else None


def check_time(value: str) -> str:
    match = _SESSION_TIME.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"expected {_TIME_EXAMPLE}, found {clip(value)}")
    end_ap = match["eap"]
    # "6:30-8pm": the end's am/pm is the start's too, unless that makes no sense.
    start_ap = match["sap"] or (end_ap if match["eh"] is not None else None)
    start = _clock(match["sh"], match["sm"], start_ap)
    if start is None and match["sap"] is None and start_ap is not None:
        start = _clock(match["sh"], match["sm"], None)
    end = _clock(match["eh"], match["em"], end_ap) if match["eh"] is not None else None
    if start is None or (match["eh"] is not None and end is None):
        raise ValueError(
            f"expected {_TIME_EXAMPLE}, found {clip(value)}, which is not a time of day"
        )
    if end is not None and end <= start:
        if start_ap is end_ap and start_ap is None and end.hour < 12 and start.hour < 12:
            end = _dt.time(end.hour + 12, end.minute)  # "6:30-8:00" in the evening
        if end <= start:
            raise ValueError(
                f"expected the end after the start, found {clip(value)}; write it like 18:30-20:00"
            )
    text = start.strftime("%H:%M")
    return f"{text}-{end.strftime('%H:%M')}" if end is not None else text


def time_text(value: Any) -> Any:
    # YAML 1.1 reads 18:30 unquoted as a base-60 number; the source layer keeps
    # such values as text, and JSON may give a bare hour.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24:
        return str(value)
    return value


_DATE_CODES = re.compile(r"%[YmdbBeyaA%]")


def check_date_format(value: str) -> str:
    rest = _DATE_CODES.sub("", value)
    if "%" in rest or ("%Y" not in value and "%y" not in value):
        raise ValueError(
            "expected a date format made of %Y (year), %m (month), %d (day) and separators,"
            f" like %m/%d/%Y; found {clip(value)}"
        )
    return value


def to_date(value: Any) -> Any:
    # YAML and TOML give real dates; JSON can only give a string.
    if isinstance(value, _dt.datetime):
        raise ValueError(
            f"expected only a date like 2018-03-12, found a date with a time; put the time in its"
            f" own field on the next line: time: {value.strftime('%H:%M')}"
        )
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
        day, _, rest = value.strip().partition(" ")
        with contextlib.suppress(ValueError):
            _dt.date.fromisoformat(day)
            if rest.strip():
                raise ValueError(
                    f"expected only a date like 2018-03-12, found {value!r}; put the time in its"
                    f" own field on the next line: time: {rest.strip()}"
                ) from None
        raise ValueError(f"expected a date like 2018-03-12, found {value!r}")
    raise ValueError(f"expected a date like 2018-03-12, found {describe(value)}")
