"""The preview server's HTTP side: the threading server and the request handler.

The handler answers the in-services' pages (each with the reload script), the
build's PDFs and files, the build generation as JSON and as Server-Sent Events.
It reads the server's latest build state and never serves a file the latest
build did not write; on loopback it refuses requests for other host names.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, cast
from urllib.parse import unquote

from packetgen.serve.pages import (
    error_page,
    index_page,
    inject,
    internal_error_page,
    not_found_page,
)

if TYPE_CHECKING:
    from packetgen.serve.server import BuildState, PreviewServer

__all__ = ["HTTPServer", "HTTPServer6", "PreviewHandler", "Refused", "is_loopback"]

logger = logging.getLogger(__name__)

_API = "/__packetgen__/"
_SSE_KEEPALIVE = 10.0
"""Seconds between SSE comments; a closed browser tab is noticed at the next one."""
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class Refused(Exception):
    """A request answered with an error status and a plain message for the trainer."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    preview: PreviewServer


class HTTPServer6(HTTPServer):
    address_family = socket.AF_INET6


class PreviewHandler(BaseHTTPRequestHandler):
    server_version = "packetgen-serve"

    @property
    def preview(self) -> PreviewServer:
        return cast(HTTPServer, self.server).preview

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def _dispatch(self, *, head: bool) -> None:
        try:
            self._route(head=head)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:
            logger.exception("serving %s failed", self.path)
            with contextlib.suppress(OSError):
                page = internal_error_page(traceback.format_exc())
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/html", page, head=head)

    def _route(self, *, head: bool) -> None:
        if not self._host_allowed():
            body = b"packetgen serve answers only to requests for localhost\n"
            self._send(HTTPStatus.FORBIDDEN, "text/plain", body, head=head)
            return
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        state = self.preview.snapshot()
        if raw in ("/", "/index.html"):
            self._send_page(index_page(state, self.preview.pdf), head=head)
        elif raw == _API + "generation":
            data = json.dumps({"generation": state.generation, "ok": state.ok}).encode()
            self._send(HTTPStatus.OK, "application/json", data, head=head)
        elif raw == _API + "events":
            self._events(head=head)
        else:
            self._file(raw, state, head=head)

    def _host_allowed(self) -> bool:
        """Refuse requests for other host names (DNS rebinding) when serving on loopback."""
        if not is_loopback(self.preview.host):
            return True
        header = self.headers.get("Host")
        if not header:
            return True
        name = header.strip()
        if name.startswith("["):
            name = name[1 : name.find("]")] if "]" in name else name
        elif name.count(":") == 1:
            name = name.split(":", 1)[0]
        return is_loopback(name)

    def _file(self, raw: str, state: BuildState, *, head: bool) -> None:
        name = unquote(raw.removeprefix("/"), errors="replace")
        target = state.files.get(name) if _plain_name(name) else None
        out = self.preview.out_dir
        if target is not None and not target.resolve().is_relative_to(out):
            target = None
        is_page = name.endswith((".html", ".htm")) or target is not None
        if not state.ok and is_page:
            # Never the stale output: every page says the build failed until it is fixed.
            self._send_page(error_page(state), head=head)
            return
        if target is None or not target.is_file():
            body = not_found_page(raw, state.generation if name.endswith(".html") else None)
            self._send(HTTPStatus.NOT_FOUND, "text/html", body, head=head)
            return
        if target.suffix == ".pdf":
            self._send(HTTPStatus.OK, "application/pdf", target.read_bytes(), head=head)
        elif target.suffix in (".html", ".htm"):
            self._send_page(inject(target.read_bytes(), state.generation), head=head)
        else:
            self._send(HTTPStatus.OK, "application/octet-stream", target.read_bytes(), head=head)

    def _send_page(self, body: bytes, *, head: bool) -> None:
        """Pages are 200 even when they show an error, so their reload script keeps running."""
        self._send(HTTPStatus.OK, "text/html", body, head=head)

    def _send(self, status: HTTPStatus, ctype: str, body: bytes, *, head: bool) -> None:
        self.send_response(status)
        self._finish(ctype, body, head=head)

    def _finish(self, ctype: str, body: bytes, *, head: bool) -> None:
        """The rest of a response whose status (and own headers) were sent."""
        charset = "; charset=utf-8" if ctype.startswith(("text/", "application/json")) else ""
        self.send_header("Content-Type", ctype + charset)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, *, head: bool) -> None:
        """Server-Sent Events: one ``generation`` event now and after every build."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        if head:
            return
        preview = self.preview
        self.wfile.write(b"retry: 1000\n\n")
        state = preview.snapshot()
        while True:
            data = json.dumps({"generation": state.generation, "ok": state.ok})
            self.wfile.write(f"event: generation\ndata: {data}\n\n".encode())
            sent = state.generation
            while True:
                state = preview.wait_for_change(sent, _SSE_KEEPALIVE)
                if preview.stopping:
                    return
                if state.generation != sent:
                    break
                self.wfile.write(b": keep-alive\n\n")


def _plain_name(name: str) -> bool:
    """A single file name: no folders, no parent references, no hidden files."""
    return (
        bool(name)
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
        and not name.startswith(".")
    )
