"""The HTTP side of ``packetgen edit``: the editor's page, its assets and its JSON API.

Every request needs the session's token (the page's address, then its cookie);
requests that change something need it in a header, which a page on another
site cannot set, and the editor's own ``Origin``; a foreign ``Host`` is refused.
The answers come from :class:`~packetgen.serve.edit.EditorServer`; the preview's
own routes are the :class:`~packetgen.serve.handler.PreviewHandler`'s.
"""

from __future__ import annotations

import contextlib
import hmac
import html
import http.cookies
import json
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from importlib import resources
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from packetgen.errors import PacketgenError
from packetgen.serve.handler import PreviewHandler, Refused

if TYPE_CHECKING:
    from packetgen.serve.edit import EditorServer

__all__ = [
    "FILENAME_HEADER",
    "MAX_JSON_BYTES",
    "MAX_UPLOAD_BYTES",
    "TOKEN_HEADER",
    "TOKEN_PLACEHOLDER",
    "EditHandler",
]

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Packetgen-Token"
FILENAME_HEADER = "X-Packetgen-Filename"
TOKEN_PLACEHOLDER = "__PACKETGEN_TOKEN__"
"""Replaced by the session token (HTML-escaped) wherever it is in editor.html."""
MAX_JSON_BYTES = 2 * 1024 * 1024
"""A request body of JSON: a spec is at most 1 MiB as YAML (loader.MAX_SPEC_BYTES)."""
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
"""A dropped file: the most the binder opens (``handouts.open_handout(max_bytes=)``)."""
_STATIC = re.compile(r"[a-z0-9][a-z0-9-]*\.(?:js|css|svg|png|woff2)")
_CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data: blob:; frame-src 'self' blob:; object-src 'self' blob:;"
    " frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


class EditHandler(PreviewHandler):
    server_version = "packetgen-edit"

    @property
    def editor(self) -> EditorServer:
        return cast("EditorServer", self.preview)

    def end_headers(self) -> None:
        # The token is in the page's address: it must not leave in a Referer.
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        super().end_headers()

    # -- GET ----------------------------------------------------------------

    def _route(self, *, head: bool) -> None:
        if not self._host_allowed():
            self._text(HTTPStatus.FORBIDDEN, _FOREIGN_HOST, head=head)
            return
        parts = urlsplit(self.path)
        path = parts.path
        page = path in ("/edit", "/edit/")
        if not self._token_ok(query=parts.query if page else None, cookie=True):
            self._text(HTTPStatus.FORBIDDEN, _NO_TOKEN, head=head)
            return
        origin = self.headers.get("Origin")
        if origin is not None and origin not in self.editor.origins:
            # Another site's script asking, even for something harmless: refuse.
            self._text(HTTPStatus.FORBIDDEN, _FOREIGN_ORIGIN, head=head)
            return
        try:
            if page:
                self._page(head=head)
            elif path.startswith("/edit/static/"):
                self._static(path.removeprefix("/edit/static/"), head=head)
            elif path == "/api/edit/state":
                self._json(HTTPStatus.OK, self.editor.state(), head=head)
            elif path == "/api/edit/pdf":
                ident = parse_qs(parts.query).get("inservice", [""])[0]
                body = self.editor.build_pdf(ident)
                self._send(HTTPStatus.OK, "application/pdf", body, head=head)
            elif path.startswith("/api/"):
                self._json(HTTPStatus.NOT_FOUND, {"error": "no such request"}, head=head)
            else:
                super()._route(head=head)
        except Refused as exc:
            self._json(exc.status, {"error": exc.message}, head=head)
        except PacketgenError as exc:
            self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)}, head=head)

    def _page(self, *, head: bool) -> None:
        try:
            template = (resources.files("packetgen.serve") / "editor" / "editor.html").read_text(
                "utf-8"
            )
        except (OSError, FileNotFoundError):
            template = _MISSING_PAGE
        body = template.replace(TOKEN_PLACEHOLDER, html.escape(self.editor.token, quote=True))
        self.send_response(HTTPStatus.OK)
        self.send_header(
            "Set-Cookie",
            f"{self.editor.cookie_name}={self.editor.token}; HttpOnly; SameSite=Strict; Path=/",
        )
        self.send_header("Content-Security-Policy", _CSP)
        self._finish("text/html", body.encode("utf-8"), head=head)

    def _static(self, name: str, *, head: bool) -> None:
        data: bytes | None = None
        if _STATIC.fullmatch(name):
            with contextlib.suppress(OSError, FileNotFoundError):
                data = (resources.files("packetgen.serve") / "editor" / name).read_bytes()
        if data is None:
            self._text(HTTPStatus.NOT_FOUND, "no such file of the editor\n", head=head)
            return
        ctype = _CONTENT_TYPES[PurePosixPath(name).suffix]
        self._send(HTTPStatus.OK, ctype, data, head=head)

    # -- POST ---------------------------------------------------------------

    def do_POST(self) -> None:
        try:
            self._post()
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:
            logger.exception("answering POST %s failed", self.path)
            self.close_connection = True
            with contextlib.suppress(OSError):
                body = {"error": "packetgen hit an internal error; see the terminal for details"}
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR, body)

    def _post(self) -> None:
        if not self._host_allowed():
            self._refuse_body(HTTPStatus.FORBIDDEN, _FOREIGN_HOST)
            return
        if not self._token_ok(query=None, cookie=False):
            self._refuse_body(HTTPStatus.FORBIDDEN, _NO_TOKEN)
            return
        if self.headers.get("Origin") not in self.editor.origins:
            self._refuse_body(HTTPStatus.FORBIDDEN, _FOREIGN_ORIGIN)
            return
        path = urlsplit(self.path).path
        routes: dict[str, Callable[[], tuple[HTTPStatus, dict[str, Any]]]] = {
            "/api/edit/validate": self._validate,
            "/api/edit/save": self._save,
            "/api/edit/undo": self._undo,
            "/api/edit/link": self._link,
            "/api/edit/upload": self._upload,
        }
        route = routes.get(path)
        if route is None:
            self._refuse_body(HTTPStatus.NOT_FOUND, "no such request\n")
            return
        try:
            status, body = route()
        except Refused as exc:
            if exc.status in (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, HTTPStatus.LENGTH_REQUIRED):
                self.close_connection = True  # the body was not read
            status, body = exc.status, {"error": exc.message}
        except PacketgenError as exc:
            status, body = HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)}
        self._json(status, body)

    def _validate(self) -> tuple[HTTPStatus, dict[str, Any]]:
        _text, checked = self.editor.validate(self._json_body().get("data"))
        return HTTPStatus.OK, {
            "ok": not checked.problems,
            "problems": checked.problems,
            "warnings": checked.warnings,
            "hours": checked.hours,
        }

    def _save(self) -> tuple[HTTPStatus, dict[str, Any]]:
        return self.editor.save(self._json_body().get("data"))

    def _undo(self) -> tuple[HTTPStatus, dict[str, Any]]:
        self._json_body()
        return HTTPStatus.OK, self.editor.undo()

    def _link(self) -> tuple[HTTPStatus, dict[str, Any]]:
        return HTTPStatus.OK, self.editor.link(self._json_body().get("url"))

    def _upload(self) -> tuple[HTTPStatus, dict[str, Any]]:
        raw_name = self.headers.get(FILENAME_HEADER)
        if raw_name is None:
            raise Refused(HTTPStatus.BAD_REQUEST, f"the file's name is missing ({FILENAME_HEADER})")
        try:
            name = unquote(raw_name, errors="strict")
        except UnicodeDecodeError:
            raise Refused(HTTPStatus.BAD_REQUEST, "the file's name is not readable text") from None
        data = self._body(MAX_UPLOAD_BYTES, what="file")
        return HTTPStatus.OK, self.editor.upload(name, data)

    # -- helpers ------------------------------------------------------------

    def _token_ok(self, *, query: str | None, cookie: bool) -> bool:
        given: list[str] = []
        header = self.headers.get(TOKEN_HEADER)
        if header:
            given.append(header)
        if query is not None:
            given += parse_qs(query).get("token", [])[:1]
        if cookie:
            with contextlib.suppress(http.cookies.CookieError):
                jar = http.cookies.SimpleCookie(self.headers.get("Cookie") or "")
                name = self.editor.cookie_name
                if name in jar:
                    given.append(jar[name].value)
        expected = self.editor.token.encode()
        return any(hmac.compare_digest(value.encode(), expected) for value in given)

    def _body(self, limit: int, *, what: str) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            raise Refused(
                HTTPStatus.LENGTH_REQUIRED, f"the {what} came without its length; send it again"
            )
        size = int(length)
        if size > limit:
            raise Refused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the {what} is {size / (1024 * 1024):.1f} MB; at most"
                f" {limit / (1024 * 1024):g} MB can be added"
                + (
                    "; export a smaller version (for example with compressed pictures)"
                    if what == "file"
                    else ""
                ),
            )
        return self.rfile.read(size)

    def _json_body(self) -> dict[str, Any]:
        raw = self._body(MAX_JSON_BYTES, what="request")
        try:
            value = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            raise Refused(HTTPStatus.BAD_REQUEST, "the request is not valid JSON") from None
        if not isinstance(value, dict):
            raise Refused(HTTPStatus.BAD_REQUEST, "the request must be a JSON object")
        return value

    def _refuse_body(self, status: HTTPStatus, message: str) -> None:
        # The body is left unread: the connection must not be reused for another request.
        self.close_connection = True
        self._text(status, message, head=False)

    def _text(self, status: HTTPStatus, message: str, *, head: bool) -> None:
        self._send(status, "text/plain", message.encode("utf-8"), head=head)

    def _json(self, status: HTTPStatus, body: dict[str, Any], *, head: bool = False) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._send(status, "application/json", data, head=head)


_FOREIGN_HOST = "packetgen edit answers only to requests for localhost\n"
_NO_TOKEN = (
    "This editor address is incomplete or out of date. Open the address `packetgen edit`"
    " printed in the terminal (start it again if it has stopped).\n"
)
_FOREIGN_ORIGIN = "packetgen edit accepts changes only from its own page\n"
_MISSING_PAGE = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="packetgen-token" content="__PACKETGEN_TOKEN__">
<title>packetgen edit</title></head>
<body><main><h1>packetgen edit</h1>
<p>The editor's page is missing from this installation of packetgen; reinstall packetgen.</p>
</main></body></html>
"""
