"""What a dropped file or a pasted web address becomes in ``packetgen edit``: an item.

A dropped file is named safely, checked as the binder checks a handout, kept
in the packet's ``handouts/`` folder (the same bytes reuse a file) and offered
as a handout or a slide deck; a pasted address gets its kind guessed as
``import`` guesses it, and a title from the page (with ``--fetch``) or from the
address itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
import unicodedata
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from packetgen.errors import HandoutError, PacketgenError
from packetgen.serve.handler import Refused
from packetgen.support._atomic import write_bytes_atomic

__all__ = ["MAX_TITLE_PAGE_BYTES", "keep_file", "link_item", "safe_file_name", "upload_item"]

MAX_TITLE_PAGE_BYTES = 2 * 1024 * 1024
"""Of a page fetched for its title (--fetch): the title is near the top."""
_TITLE_FETCH_TIMEOUT = 10.0
_MAX_NAME_CHARS = 80
_MAX_TITLE_CHARS = 200
_SNIFFED_SUFFIX = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}
_DECK_SUFFIXES = frozenset({".ppt", ".pptx", ".pps", ".ppsx", ".odp", ".key"})


def link_item(url: Any, *, fetch: bool) -> dict[str, Any]:
    """An item for ``url``: its kind guessed as ``import`` does, a title (read from
    the page when ``fetch``)."""
    from packetgen.content._link_kinds import LinkFacts, classify
    from packetgen.spec.models import url_problem

    if not isinstance(url, str) or not url.strip():
        raise Refused(HTTPStatus.BAD_REQUEST, "paste a web address, like https://example.org/")
    url = url.strip()
    problem = url_problem(url)
    if problem is not None:
        raise Refused(
            HTTPStatus.BAD_REQUEST,
            f"this is not a web address packetgen can print: {problem}",
        )
    kind, _why = classify(LinkFacts(url, "", "", None))
    title, warnings = None, []
    if fetch:
        try:
            title = _title_of_page(url)
        except PacketgenError as exc:
            warnings.append(f"The page's title could not be read ({exc}); check the title.")
    item = {"kind": kind, "title": title or _title_from_address(url), "url": url}
    return {"item": item, "warnings": warnings}


def upload_item(name: str, data: bytes, *, keep: Callable[[str, bytes], str]) -> dict[str, Any]:
    """The item a dropped file makes, once ``keep`` has written it (it returns the
    file's path relative to the packet folder)."""
    from packetgen.handouts.sniff import sniff as _sniff  # the binder's own test of what a file is

    safe = safe_file_name(name)
    try:
        kind = _sniff(data, Path(safe), safe, safe)
    except HandoutError as exc:
        raise Refused(HTTPStatus.BAD_REQUEST, f"{safe} cannot be added: {exc.detail}") from None
    suffix = PurePosixPath(safe).suffix.lower()
    wanted = _SNIFFED_SUFFIX.get(kind)
    if wanted is not None and suffix not in (wanted, ".jpeg" if kind == "jpeg" else wanted):
        safe = PurePosixPath(safe).stem + wanted
    relative = keep(safe, data)
    is_deck = suffix in _DECK_SUFFIXES or bool(_deck_words(PurePosixPath(safe).stem))
    item_kind = "presentation" if is_deck else "handout"
    pages = _count_pages(data) if kind == "pdf" else (1 if kind in ("png", "jpeg") else None)
    offer = ["pages", "layout"] if item_kind == "presentation" else ["pages"]
    if kind in ("png", "jpeg"):
        offer = ["layout"] if item_kind == "presentation" else []
    return {
        "item": {"kind": item_kind, "title": _title_from_name(safe), "file": relative},
        "pages": pages,
        "offer": offer,
    }


def keep_file(root: Path, name: str, data: bytes, *, say: Callable[[str], None]) -> str:
    """Write ``data`` as ``handouts/<name>`` (or name-2…); the same bytes reuse a file."""
    folder = root / "handouts"
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise Refused(
            HTTPStatus.CONFLICT,
            "the packet's handouts folder is not a plain folder; make handouts/ a folder"
            " inside the packet folder",
        )
    folder.mkdir(exist_ok=True)
    if not folder.resolve().is_relative_to(root):
        raise Refused(HTTPStatus.CONFLICT, "the handouts folder leads outside the packet")
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
    digest = hashlib.sha256(data).digest()
    for n in range(1, 1000):
        candidate = name if n == 1 else f"{stem}-{n}{suffix}"
        target = folder / candidate
        if target.is_symlink():
            continue
        if target.is_file():
            with contextlib.suppress(OSError):
                if target.stat().st_size == len(data) and (
                    hashlib.sha256(target.read_bytes()).digest() == digest
                ):
                    return f"handouts/{candidate}"
            continue
        if target.exists():
            continue
        write_bytes_atomic(target, data)
        say(f"Added handouts/{candidate}")
        return f"handouts/{candidate}"
    raise Refused(
        HTTPStatus.CONFLICT, f"handouts/ has too many files named like {name}; rename the file"
    )


# -- file names and titles -------------------------------------------------------

_UNSAFE_NAME_CHARS = re.compile(r"[^\w.()+ -]+")


def safe_file_name(name: str) -> str:
    """A plain file name from what the browser says a file is called.

    Only the last part of any path is kept; control characters, leading dots
    (hidden files, ``..``) and characters shells and file systems treat
    specially are dropped. Raises a refusal when nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name)
    last = re.split(r"[/\\]", name)[-1]
    last = "".join(ch for ch in last if unicodedata.category(ch)[0] != "C")
    last = _UNSAFE_NAME_CHARS.sub("-", last).strip(" .-")
    last = re.sub(r"[ -]{2,}", "-", last)
    stem, dot, suffix = last.rpartition(".")
    if not dot:
        stem, suffix = last, ""
    stem = stem.strip(" .-")[:_MAX_NAME_CHARS].strip(" .-")
    suffix = re.sub(r"[^A-Za-z0-9]", "", suffix)[:8].lower()
    if not stem:
        raise Refused(
            HTTPStatus.BAD_REQUEST,
            "the file has no usable name; rename it (for example session-handout.pdf) and add"
            " it again",
        )
    return f"{stem}.{suffix}" if suffix else stem


def _title_from_name(name: str) -> str:
    words = re.sub(r"[-_+.]+", " ", PurePosixPath(name).stem).strip()
    return (words[:1].upper() + words[1:])[:_MAX_TITLE_CHARS] or "Handout"


def _title_from_address(url: str) -> str:
    parts = urlsplit(url)
    last = unquote(parts.path.rstrip("/").rpartition("/")[2])
    last = last.rpartition(".")[0] or last
    words = re.sub(r"[-_+]+", " ", last).strip()
    words = "".join(ch for ch in words if ch.isprintable())
    if len(words) >= 6 and any(ch.isalpha() for ch in words):
        return (words[:1].upper() + words[1:])[:_MAX_TITLE_CHARS]
    host = (parts.hostname or url).removeprefix("www.")
    return host[:_MAX_TITLE_CHARS]


def _deck_words(text: str) -> bool:
    from packetgen.content._link_kinds import _DECK_WORDS

    return bool(_DECK_WORDS.search(text.replace("-", " ").replace("_", " ")))


_TITLE_TAG = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def _title_of_page(url: str) -> str | None:
    from packetgen.tools._web_fetch import fetch

    page = fetch(url, max_bytes=MAX_TITLE_PAGE_BYTES, timeout=_TITLE_FETCH_TIMEOUT)
    match = _TITLE_TAG.search(page[:MAX_TITLE_PAGE_BYTES])
    if match is None:
        return None
    raw = match.group(1)[:4000].decode("utf-8", errors="replace")
    text = " ".join(html.unescape(raw).split())
    text = "".join(ch for ch in text if ch.isprintable())
    # "Resources - Example CASA": the page's own name comes first (as `import` reads it).
    text = re.split(r"\s+[|\u2013\u2014-]\s+", text)[0] if text else ""
    return text[:_MAX_TITLE_CHARS] or None


def _count_pages(data: bytes) -> int | None:
    """Pages of a PDF, or None when it cannot be read here (the check says why)."""
    import io

    import pypdf

    from packetgen.support._budget import decoding_budget

    try:
        with decoding_budget():
            return len(pypdf.PdfReader(io.BytesIO(data)).pages)
    except Exception:  # damaged, encrypted or hostile: the count is only a hint
        return None
