"""The only gate through which WeasyPrint may load anything.

WeasyPrint's default fetcher reads any ``file://`` path and any http URL, and a
failed fetch only logs a warning while the PDF is still written. This fetcher
allows ``data:`` URLs and regular files inside a few allowed folders (the
packet folder and the theme's), refuses everything else, and remembers each
refusal so the build can fail loudly instead of printing a blank.
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["PacketFetcher"]

MAX_RESOURCE_BYTES = 20 * 1024 * 1024


class PacketFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type information
    """Serve ``data:`` URLs and files under ``roots``; refuse and record the rest."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__(timeout=1, allowed_protocols={"data", "file"}, allow_redirects=False)
        self._roots = tuple(root.resolve() for root in roots)
        self._lock = threading.Lock()
        self.refused: list[str] = []

    def _refuse(self, url: str, why: str) -> ValueError:
        shown = url if len(url) < 120 else url[:117] + "..."
        with self._lock:
            self.refused.append(f"{shown} ({why})")
        return ValueError(f"packetgen refused {shown}: {why}")

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            if len(url) > MAX_RESOURCE_BYTES * 2:
                raise self._refuse(url, "larger than the resource limit")
            return super().fetch(url, headers)
        if scheme != "file":
            raise self._refuse(url, "packetgen does not load anything from the network")
        path = Path(url2pathname(unquote(urlsplit(url).path)))
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise self._refuse(url, "no such file") from None
        if not any(resolved == root or resolved.is_relative_to(root) for root in self._roots):
            raise self._refuse(url, "outside the packet folder")
        if not resolved.is_file():
            raise self._refuse(url, "not a regular file")
        if resolved.stat().st_size > MAX_RESOURCE_BYTES:
            raise self._refuse(url, "larger than 20 MiB")
        return URLFetcherResponse(url, resolved.read_bytes(), {}, 200)
