"""The only gate through which WeasyPrint may load anything.

WeasyPrint's default fetcher reads any ``file://`` path and any http URL, and a
failed fetch only logs a warning while the PDF is still written. This fetcher
allows ``data:`` URLs and regular files inside a few allowed folders (the
packet folder and the theme's), refuses everything else, and remembers each
refusal so the build can fail loudly instead of printing a blank. Files are
read through :mod:`packetgen.support._guarded`, like every file an upload names.

Every resource is also bounded: at most :data:`MAX_RESOURCE_BYTES` bytes, and a
picture at most :data:`MAX_IMAGE_PIXELS` pixels (a small PNG can declare a
100 000 x 100 000 canvas and take gigabytes to decode). Refusals name a file
in the packet folder by its path relative to that folder, never by where the
folder sits on the machine.
"""

from __future__ import annotations

import io
import os
import re
import threading
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from PIL import Image
from weasyprint.urls import URLFetcher, URLFetcherResponse

from packetgen.support._guarded import FileRefusedError, read_bytes

__all__ = ["MAX_IMAGE_PIXELS", "MAX_RESOURCE_BYTES", "PacketFetcher"]

MAX_RESOURCE_BYTES = 20 * 1024 * 1024
"""One resource (picture, font, stylesheet), 20 MiB."""
MAX_IMAGE_PIXELS = 50_000_000
"""One picture's width x height, as its header declares it (the handout limit too)."""

_PICTURE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


def _is_picture(head: bytes) -> bool:
    return head.startswith(_PICTURE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


_BOMB_SIZE = re.compile(r"\((\d+) pixels\)")


def _pixels(data: bytes) -> int | None:
    """Width x height declared in a picture's header (nothing is decoded), if readable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        # Past twice Pillow's own limit it refuses to open at all, and says the size.
        found = _BOMB_SIZE.search(str(exc))
        return int(found.group(1)) if found else MAX_IMAGE_PIXELS + 1
    except (OSError, SyntaxError, ValueError, EOFError):
        return None
    return int(width) * int(height)


class PacketFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type information
    """Serve ``data:`` URLs and files under ``roots``; refuse and record the rest."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__(timeout=1, allowed_protocols={"data", "file"}, allow_redirects=False)
        self._given = tuple(Path(os.path.abspath(root)) for root in roots)
        self._roots = tuple(root.resolve() for root in roots)
        self._lock = threading.Lock()
        self.refused: list[str] = []

    def _shown(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme.lower() == "data":
            head = url.split(",", 1)[0]
            return head[:60] + ",…" if len(url) > 60 else url
        if parts.scheme.lower() == "file":
            path = Path(os.path.abspath(url2pathname(unquote(parts.path))))
            for root in (*self._given, *self._roots):
                if path.is_relative_to(root):
                    return path.relative_to(root).as_posix() or "."
        return url if len(url) < 120 else url[:117] + "..."

    def _refuse(self, url: str, why: str) -> ValueError:
        shown = self._shown(url)
        with self._lock:
            self.refused.append(f"{shown} ({why})")
        return ValueError(f"packetgen refused {shown}: {why}")

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            if len(url) > MAX_RESOURCE_BYTES * 2:
                raise self._refuse(url, "larger than the resource limit")
            response = super().fetch(url, headers)
            try:
                body = response.read(MAX_RESOURCE_BYTES + 1)
            finally:
                response.close()
            if len(body) > MAX_RESOURCE_BYTES:
                raise self._refuse(url, "larger than 20 MiB")
            self._check_picture(url, body)
            return URLFetcherResponse(url, body, response.headers, response.status)
        if scheme != "file":
            raise self._refuse(url, "packetgen does not load anything from the network")
        path = Path(url2pathname(unquote(urlsplit(url).path)))
        try:
            body = read_bytes(
                path,
                roots=self._roots,
                shown=url,  # the refusal below names the file; only the reason is used
                max_bytes=MAX_RESOURCE_BYTES,
                limit="20 MiB",
            )
        except FileRefusedError as exc:
            raise self._refuse(url, exc.reason) from None
        self._check_picture(url, body)
        return URLFetcherResponse(url, body, {}, 200)

    def _check_picture(self, url: str, body: bytes) -> None:
        if not _is_picture(body[:16]):
            return
        pixels = _pixels(body)
        if pixels is not None and pixels > MAX_IMAGE_PIXELS:
            raise self._refuse(
                url,
                f"a picture of {pixels:,} pixels, more than the limit of {MAX_IMAGE_PIXELS:,};"
                " resize it",
            )
