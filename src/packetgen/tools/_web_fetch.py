"""Opt-in network for ``packetgen import``: the page itself (``--fetch``) and the
documents it links to (``--download``).

Nothing here runs unless the trainer asks for it. One request at a time, a
size cap read as the bytes arrive (a server's Content-Length is not trusted),
a time limit, at most five redirects, and only http and https. A document is
type-sniffed the way the binder sniffs a handout before it is kept: a
registration page saved as ``report.pdf`` is left out, not written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import httpx

from packetgen._version import __version__
from packetgen.errors import FetchError, HandoutError, PacketgenError
from packetgen.handouts.sniff import sniff  # the binder's own test of what a file is
from packetgen.support._atomic import write_bytes_atomic

__all__ = ["MAX_DOCUMENT_BYTES", "Downloaded", "download_documents", "fetch"]

USER_AGENT = f"packetgen/{__version__} (import of a training resource page)"
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""One downloaded handout or slide deck."""
TIMEOUT_S = 20.0


def fetch(url: str, *, max_bytes: int, timeout: float = TIMEOUT_S) -> bytes:
    """The body of ``url``; a :class:`FetchError` in plain words when it cannot be had."""
    host = urlsplit(url).hostname or url
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=5,
                timeout=timeout,
                headers={"User-Agent": USER_AGENT},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise FetchError(
                    f"{url} answered {response.status_code} {response.reason_phrase}; check the"
                    " address in a browser"
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(
                        f"{url} is larger than {max_bytes // (1024 * 1024)} MB, the most packetgen"
                        " downloads; save it in the browser instead"
                    )
            return bytes(body)
    except httpx.ConnectError as exc:
        if "name" in str(exc).lower() or "resolution" in str(exc).lower():
            raise FetchError(
                f"could not look up {host}: check the address, and that this computer is online"
            ) from None
        raise FetchError(f"could not connect to {host}: the site did not answer") from None
    except httpx.TimeoutException:
        raise FetchError(
            f"{host} did not answer within {timeout:g} seconds; try again later"
        ) from None
    except httpx.TooManyRedirects:
        raise FetchError(f"{url} redirects too many times; open it in a browser") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"could not download {url}: {type(exc).__name__}") from None


@dataclass(frozen=True)
class Downloaded:
    """What ``download_documents`` did with each document address."""

    files: dict[str, str]
    """URL → path written, relative to the packet folder (``handouts/faq.pdf``)."""
    left_out: dict[str, str]
    """URL → why it was not kept (it stays in the draft as ``url:``)."""


_SAFE = re.compile(r"[^a-z0-9.-]+")
_EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}


def download_documents(urls: list[str], folder: Path) -> Downloaded:
    """Fetch each document into ``folder/handouts/`` and sniff it as the binder would."""
    files: dict[str, str] = {}
    left_out: dict[str, str] = {}
    taken: set[str] = set()
    for url in dict.fromkeys(urls):
        try:
            data = fetch(url, max_bytes=MAX_DOCUMENT_BYTES)
            name = _file_name(url, taken)
            kind = sniff(data, Path(name), name, url)
        except PacketgenError as exc:
            detail = exc.detail if isinstance(exc, HandoutError) else str(exc)
            left_out[url] = detail
            continue
        suffix = _EXTENSIONS.get(kind, f".{kind}")
        name = _file_name(str(PurePosixPath(name).with_suffix(suffix)), taken)
        taken.add(name)
        write_bytes_atomic(folder / "handouts" / name, data)
        files[url] = f"handouts/{name}"
    return Downloaded(files, left_out)


def _file_name(url: str, taken: set[str]) -> str:
    """A plain file name from the address's last part, unique in the folder."""
    last = unquote(PurePosixPath(urlsplit(url).path).name).lower()
    stem, dot, ext = last.rpartition(".")
    stem = _SAFE.sub("-", stem if dot else last).strip("-.")[:60] or "document"
    ext = _SAFE.sub("", ext)[:5] if dot else "pdf"
    name, n = f"{stem}.{ext}", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.{ext}"
    return name
