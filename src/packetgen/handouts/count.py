"""How many pages a handout file has, for credit rules that count pages.

The file is opened as the binder opens it (:func:`~packetgen.handouts.open.open_handout`),
so a page count and a binder never disagree about what a file is.
"""

from __future__ import annotations

from pathlib import Path

from packetgen.errors import PacketgenError
from packetgen.support._read_once import facts_for, remember_pages

__all__ = ["count_pages"]


def count_pages(path: Path) -> int | None:
    """Pages of a handout file, or None when it cannot be read (the build says why).

    A file refused for what it unpacks to is an error here too: ``check`` builds
    nothing, so it would otherwise pass the packet with no credit and no reason.
    """
    # Loaded on first use: the opener brings pypdf (about 90 ms), which every
    # command that imports credit would otherwise pay at start, page-based
    # credit rule or not.
    from packetgen.handouts.open import DecodingLimitError, open_handout

    known = facts_for(path)
    if known is not None and known.pages is not None:
        return known.pages
    try:
        pages = len(open_handout(path, item="").pages)
    except DecodingLimitError:
        raise
    except (PacketgenError, ValueError, OSError):
        return None
    remember_pages(path, pages)
    return pages
