"""Page selections: a trainer's ``pages: "1-3,5"`` as 0-based page indexes.

Used by the handout reader (``pages:`` of an item) and by ``preview``
(``--pages``); the messages are written for the trainer who typed the selection.
"""

from __future__ import annotations

import re

__all__ = ["parse_page_selection"]

# Trainers copy page ranges out of word processors, which turn "-" into dashes.
_SELECTION_PAGE = re.compile(r"[0-9]+")
_SELECTION_RANGE = re.compile(r"(?P<start>[0-9]*)\s*[-\u2010-\u2015]\s*(?P<end>[0-9]*)")


def _page_number(digits: str) -> int:
    # Python refuses to parse very long digit strings; any number this long is
    # past the end of every file anyway.
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 9 else 10**9


def _pages_word(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def parse_page_selection(spec: str | None, page_count: int) -> list[int]:
    """Turn a trainer's page selection into 0-based page indexes, in the order given.

    ``"1-3,5"``, ``"2-"`` (to the end), ``"-3"`` (from the start), ``"4"``;
    ``None`` selects every page. Raises :class:`ValueError` with a message meant
    for the trainer when the selection is malformed, runs backwards, selects
    nothing, or names a page the file does not have.
    """
    if spec is None:
        return list(range(page_count))
    if not spec.strip():
        raise ValueError(
            'pages "" selects no pages: write page numbers such as "1-3,5", '
            "or leave `pages:` out to use every page"
        )
    selected: list[int] = []
    for raw in spec.split(","):
        part = raw.strip()
        single = _SELECTION_PAGE.fullmatch(part)
        span = _SELECTION_RANGE.fullmatch(part)
        if single is not None:
            first = last = _page_number(part)
        elif span is not None and (span["start"] or span["end"]):
            first = _page_number(span["start"]) if span["start"] else 1
            last = _page_number(span["end"]) if span["end"] else page_count
            if span["end"] and last < 1:
                raise ValueError(f'pages "{part}": pages are numbered from 1')
        else:
            shown = part or "(nothing)"
            raise ValueError(
                f'pages "{spec}" is not a page selection: "{shown}" should be a page number '
                'or a range such as "1-3", "5-" (to the end) or "-3" (from the start), '
                "with commas between the parts"
            )
        if first < 1:
            raise ValueError(f'pages "{part}": pages are numbered from 1')
        if first > page_count or last > page_count:
            raise ValueError(
                f'pages "{part}" is past the end: the file has {_pages_word(page_count)}'
            )
        if first > last:
            raise ValueError(
                f'pages "{part}" runs backwards: write the smaller number first, '
                f'as in "{last}-{first}"'
            )
        selected.extend(range(first - 1, last))
    return selected
