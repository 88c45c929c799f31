"""``packetgen edit``: a form in the browser for the packet spec, beside its live preview.

The editor is ``packetgen serve`` with more routes: the same server, build
loop and watcher (:class:`~packetgen.serve.server.PreviewServer`), a page and its
assets from the package's ``editor/`` folder, and a small JSON API the page
calls to read, check and save the spec, undo a save, add an item from a web
address, take in a dropped file and build one binder PDF.

The spec stays the source of truth: a save writes ``packet.yaml`` (the
previous version kept as ``packet.yaml.bak``) changing only what changed
(:mod:`packetgen.serve._roundtrip`), and only once the new text passes the same
checks ``packetgen check`` makes; the preview rebuilds from the file.

Anything on the machine can reach 127.0.0.1, including web pages open in the
same browser, so every request needs the session's token; requests that
change something need it in a header (which a page on another site cannot
set) and the editor's own ``Origin``; a foreign ``Host`` (DNS rebinding) is
refused; nothing the browser names is used as a path.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import hmac
import html
import http.cookies
import json
import logging
import re
import secrets
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import watchfiles

from packetgen.errors import HandoutError, PacketgenError, Problem, SpecError
from packetgen.serve._roundtrip import RoundTripError, apply_data, to_json
from packetgen.serve.server import EventCallback, PreviewServer, _Handler, run_until_interrupted
from packetgen.spec._sources import SourceProblems, parse
from packetgen.support._atomic import write_bytes_atomic, write_text_atomic

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_UPLOAD_BYTES",
    "TOKEN_COOKIE",
    "TOKEN_HEADER",
    "TOKEN_PLACEHOLDER",
    "EditorServer",
    "edit",
]

logger = logging.getLogger(__name__)

TOKEN_COOKIE = "packetgen_edit"
"""The start of the session cookie's name; the port follows (``packetgen_edit_8765``), as
browsers share cookies between the ports of one host and two editors may be open."""
TOKEN_HEADER = "X-Packetgen-Token"
FILENAME_HEADER = "X-Packetgen-Filename"
TOKEN_PLACEHOLDER = "__PACKETGEN_TOKEN__"
"""Replaced by the session token (HTML-escaped) wherever it is in editor.html."""
MAX_JSON_BYTES = 2 * 1024 * 1024
"""A request body of JSON: a spec is at most 1 MiB as YAML (loader.MAX_SPEC_BYTES)."""
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
"""A dropped file: the most the binder opens (``handouts.open_handout(max_bytes=)``)."""
MAX_TITLE_PAGE_BYTES = 2 * 1024 * 1024
"""Of a page fetched for its title (--fetch): the title is near the top."""
_TITLE_FETCH_TIMEOUT = 10.0
_MAX_NAME_CHARS = 80
_MAX_TITLE_CHARS = 200
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
_SNIFFED_SUFFIX = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}
_DECK_SUFFIXES = frozenset({".ppt", ".pptx", ".pps", ".ppsx", ".odp", ".key"})


class _Refused(Exception):
    """A request answered with an error status and a plain message for the trainer."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class _Checked:
    problems: list[dict[str, str]]
    warnings: list[str]
    hours: dict[str, str]


class EditorServer(PreviewServer):
    """The preview server of ``packetgen serve`` with the editor's page and API.

    >>> with EditorServer(Path("packet.yaml")) as editor:   # doctest: +SKIP
    ...     print(editor.editor_url)

    Binds 127.0.0.1 only. ``fetch`` lets "add from a web address" read the
    page's title (network access); ``timeout`` and ``max_memory`` limit each
    build, preview and PDF alike (see :class:`PreviewServer`).
    """

    def __init__(
        self,
        spec: Path,
        *,
        port: int = 0,
        fetch: bool = False,
        on_event: EventCallback | None = None,
        timeout: float | None = None,
        max_memory: int | None = None,
        debounce_ms: int = 150,
    ) -> None:
        spec = Path(spec)
        if spec.suffix.lower() not in (".yaml", ".yml"):
            raise PacketgenError(_YAML_ONLY.format(spec=spec))
        super().__init__(
            spec,
            host="127.0.0.1",
            port=port,
            on_event=on_event,
            timeout=timeout,
            max_memory=max_memory,
            debounce_ms=debounce_ms,
        )
        self.fetch = fetch
        self.token = secrets.token_urlsafe(32)
        self.backup = self.spec.with_name(self.spec.name + ".bak")
        self._write_lock = threading.Lock()
        self._pdf_lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._work: tempfile.TemporaryDirectory[str] | None = None
        self._schema: dict[str, Any] | None = None

    # -- public API ---------------------------------------------------------

    @property
    def editor_url(self) -> str:
        """``http://127.0.0.1:<port>/edit?token=<token>``: what the trainer opens."""
        return f"{self.url}edit?token={self.token}"

    @property
    def cookie_name(self) -> str:
        """The session cookie's name, for this port."""
        return f"{TOKEN_COOKIE}_{self.address[1]}"

    @property
    def origins(self) -> frozenset[str]:
        """The ``Origin`` values the editor's own page sends."""
        _host, port = self.address
        return frozenset({f"http://127.0.0.1:{port}", f"http://localhost:{port}"})

    def start(self) -> None:
        self._work = tempfile.TemporaryDirectory(
            prefix="packetgen-edit-", ignore_cleanup_errors=True
        )
        super().start()

    def stop(self) -> None:
        super().stop()
        if self._work is not None:
            self._work.cleanup()

    def state(self) -> dict[str, Any]:
        """What GET /api/edit/state answers: the spec as text and as data, and its check."""
        text = self._read_spec()
        try:
            data = to_json(parse(text, name=self.spec.name, fmt="yaml").data)
        except SourceProblems:
            data = {}
        checked = self._check(text)
        return {
            "spec": self.spec.name,
            "folder": self._root.name,
            "schema": self._json_schema(),
            "data": data if isinstance(data, dict) else {},
            "yaml": text,
            "hours": checked.hours,
            "problems": checked.problems,
            "warnings": checked.warnings,
            "fetch": self.fetch,
            "can_undo": self.backup.is_file(),
        }

    def validate(self, data: Any) -> tuple[str, _Checked]:
        """The text a save of ``data`` would write, and what the check says of it."""
        if not isinstance(data, dict):
            raise _Refused(
                HTTPStatus.BAD_REQUEST, "expected the packet's fields as a JSON object in `data`"
            )
        text = self._read_spec()
        try:
            new = _with_line_ends(text, lambda t: apply_data(t, data, name=self.spec.name))
        except RoundTripError as exc:
            problem = {"field": "", "message": str(exc), "text": f"{self.spec.name}: {exc}"}
            return text, _Checked([problem], [], {})
        return new, self._check(new)

    def save(self, data: Any) -> tuple[HTTPStatus, dict[str, Any]]:
        """Check ``data`` as the spec and, when it passes, write it (the old file to .bak)."""
        with self._write_lock:
            text, checked = self.validate(data)
            if checked.problems:
                body = {"ok": False, "problems": checked.problems, "warnings": checked.warnings}
                return HTTPStatus.UNPROCESSABLE_ENTITY, body
            old = self.spec.read_bytes()
            if text.encode("utf-8") != old:
                # The backup first: a failure between the two writes loses nothing.
                write_bytes_atomic(self.backup, old)
                write_text_atomic(self.spec, text)
                self._say(f"Saved {self.spec.name} (the previous version is {self.backup.name})")
            return HTTPStatus.OK, {
                "ok": True,
                "yaml": text,
                "hours": checked.hours,
                "warnings": checked.warnings,
                "problems": [],
                "can_undo": self.backup.is_file(),
                "saved_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }

    def undo(self) -> dict[str, Any]:
        """Put the .bak back; the current version becomes the .bak (undo again to redo)."""
        with self._write_lock:
            if not self.backup.is_file():
                raise _Refused(HTTPStatus.CONFLICT, "there is no earlier version to go back to yet")
            earlier, current = self.backup.read_bytes(), self.spec.read_bytes()
            write_bytes_atomic(self.backup, current)
            write_bytes_atomic(self.spec, earlier)
            self._say(f"Went back to the previous {self.spec.name}")
        return self.state()

    def link(self, url: Any) -> dict[str, Any]:
        """An item for ``url``: its kind guessed as ``import`` does, a title."""
        from packetgen.content._link_kinds import LinkFacts, classify
        from packetgen.spec.models import url_problem

        if not isinstance(url, str) or not url.strip():
            raise _Refused(HTTPStatus.BAD_REQUEST, "paste a web address, like https://example.org/")
        url = url.strip()
        problem = url_problem(url)
        if problem is not None:
            raise _Refused(
                HTTPStatus.BAD_REQUEST,
                f"this is not a web address packetgen can print: {problem}",
            )
        kind, _why = classify(LinkFacts(url, "", "", None))
        title, warnings = None, []
        if self.fetch:
            try:
                title = _title_of_page(url)
            except PacketgenError as exc:
                warnings.append(f"The page's title could not be read ({exc}); check the title.")
        item = {"kind": kind, "title": title or _title_from_address(url), "url": url}
        return {"item": item, "warnings": warnings}

    def upload(self, name: str, data: bytes) -> dict[str, Any]:
        """Keep a dropped file in ``handouts/`` and say what item it makes."""
        from packetgen.handouts.reading import _sniff  # the binder's own test of what a file is

        safe = safe_file_name(name)
        try:
            kind = _sniff(data, Path(safe), safe, safe)
        except HandoutError as exc:
            raise _Refused(
                HTTPStatus.BAD_REQUEST, f"{safe} cannot be added: {exc.detail}"
            ) from None
        suffix = PurePosixPath(safe).suffix.lower()
        wanted = _SNIFFED_SUFFIX.get(kind)
        if wanted is not None and suffix not in (wanted, ".jpeg" if kind == "jpeg" else wanted):
            safe = PurePosixPath(safe).stem + wanted
        with self._write_lock:
            relative = self._keep(safe, data)
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

    def build_pdf(self, inservice: str) -> bytes:
        """The binder PDF of one in-service, built now from the saved spec."""
        from packetgen.build.pipeline import build
        from packetgen.spec.loader import load_packet

        try:
            packet = load_packet(self.spec)
        except SpecError as exc:
            raise _Refused(
                HTTPStatus.CONFLICT,
                f"the saved spec has problems, so no PDF can be made; fix them first:\n{exc}",
            ) from None
        if inservice not in {s.id for s in packet.inservices}:
            raise _Refused(
                HTTPStatus.NOT_FOUND,
                f"there is no in-service with the id {inservice!r} in the saved spec;"
                " save your changes first",
            )
        assert self._work is not None
        out = Path(self._work.name) / "pdf"
        with self._pdf_lock:
            result = build(
                packet,
                out,
                only=[inservice],
                format="pdf",
                timeout=self.timeout,
                max_memory=self.max_memory,
            )
            target = next(
                (o.path for o in result.outputs if o.path.name == f"{inservice}.pdf"), None
            )
            if target is None:
                raise PacketgenError(f"the build wrote no {inservice}.pdf")
            return target.read_bytes()

    # -- inside ---------------------------------------------------------------

    def _handler_class(self) -> type[_Handler]:
        return _EditHandler

    def _accept_change(self, change: watchfiles.Change, path: str) -> bool:
        # The backup is written beside the spec on every save: not a change to show.
        if Path(path) == self.backup.resolve() or Path(path) == self.backup:
            return False
        return super()._accept_change(change, path)

    def _json_schema(self) -> dict[str, Any]:
        if self._schema is None:
            from packetgen.spec.schema import json_schema

            self._schema = json_schema()
        return self._schema

    def _read_spec(self) -> str:
        try:
            raw = self.spec.read_bytes()
        except OSError as exc:
            raise PacketgenError(f"cannot read {self.spec.name}: {exc.strerror}") from None
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PacketgenError(
                f"{self.spec.name} is not saved as UTF-8 text; open it in a text editor and save"
                " it as UTF-8"
            ) from None

    def _check(self, text: str) -> _Checked:
        assert self._work is not None
        # One check at a time: they share what they learn about the handouts.
        with self._check_lock:
            return check_text(text, self.spec, Path(self._work.name) / "check")

    def _keep(self, name: str, data: bytes) -> str:
        """Write ``data`` as ``handouts/<name>`` (or name-2…); the same bytes reuse a file."""
        folder = self._root / "handouts"
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise _Refused(
                HTTPStatus.CONFLICT,
                "the packet's handouts folder is not a plain folder; make handouts/ a folder"
                " inside the packet folder",
            )
        folder.mkdir(exist_ok=True)
        if not folder.resolve().is_relative_to(self._root):
            raise _Refused(HTTPStatus.CONFLICT, "the handouts folder leads outside the packet")
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
            self._say(f"Added handouts/{candidate}")
            return f"handouts/{candidate}"
        raise _Refused(
            HTTPStatus.CONFLICT, f"handouts/ has too many files named like {name}; rename the file"
        )


_YAML_ONLY = (
    "{spec}: packetgen edit writes YAML only; give a .yaml spec (or a folder), or convert this"
    " one to YAML first"
)


# -- checking a text as `packetgen check` checks the file -----------------------


def check_text(text: str, spec: Path, out: Path) -> _Checked:
    """``text`` checked as if it were saved as ``spec``: the problems, each at its field,
    in the words ``packetgen check`` uses; the warnings; each in-service's hours.

    ``out`` keeps what the check learns about the handouts between calls (it
    is never the packet folder).
    """
    from packetgen.build.checkup import check
    from packetgen.spec.loader import MAX_SPEC_BYTES, validate

    name = spec.name
    size = len(text.encode("utf-8"))
    if size > MAX_SPEC_BYTES:
        message = (
            f"the file would be {size:,} bytes; a packet spec may be at most"
            f" {MAX_SPEC_BYTES:,} bytes (1 MiB)"
        )
        return _Checked([{"field": "", "message": message, "text": f"{name}: {message}"}], [], {})
    try:
        doc = parse(text, name=name, fmt="yaml")
        packet = validate(doc, name=name, folder=spec.resolve().parent, source=Path(name))
    except SourceProblems as exc:
        return _Checked([_problem(p) for p in exc.problems], [], {})
    except SpecError as exc:
        return _Checked([_problem(p) for p in exc.problems], [], {})
    try:
        result = check(packet, out, cache=True)
    except SpecError as exc:
        return _Checked([_problem(p) for p in exc.problems], [], {})
    except PacketgenError as exc:
        return _Checked([{"field": "", "message": str(exc), "text": str(exc)}], [], {})
    problems = [
        {"field": p.field, "message": _message_of(p.text, p.field), "text": p.text}
        for p in result.located
    ]
    return _Checked(problems, list(result.warnings), _hours(packet))


def _problem(problem: Problem) -> dict[str, str]:
    return {"field": problem.field, "message": problem.message, "text": str(problem)}


_LOCATION = re.compile(r"[^\n]*?:\d+(?::\d+)?: ")


def _message_of(text: str, field: str) -> str:
    """What a check line says after its place and field."""
    match = _LOCATION.match(text)
    rest = text[match.end() :] if match else text
    return rest[len(field) + 2 :] if field and rest.startswith(field + ": ") else rest


def _hours(packet: Any) -> dict[str, str]:
    from packetgen.content.credit import inservice_hours

    hours: dict[str, str] = {}
    for inservice in packet.inservices:
        try:
            found = inservice_hours(packet, inservice)
        except PacketgenError:
            continue  # the check says what is wrong with the file it counted
        if found.hours is None:
            hours[inservice.id] = "no hours set"
            continue
        words = f"{found.hours:g} hour{'' if found.hours == 1 else 's'}"
        hours[inservice.id] = words if found.given else f"{words} (by the credit policy)"
    return hours


def _with_line_ends(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to ``text`` as if its lines ended in LF; Windows line ends kept."""
    if "\r\n" not in text:
        return change(text)
    return change(text.replace("\r\n", "\n")).replace("\n", "\r\n")


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
        raise _Refused(
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


# -- HTTP ---------------------------------------------------------------------------


class _EditHandler(_Handler):
    server_version = "packetgen-edit"

    @property
    def editor(self) -> EditorServer:
        preview = self.preview
        assert isinstance(preview, EditorServer)
        return preview

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
        except _Refused as exc:
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
        except _Refused as exc:
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
            raise _Refused(
                HTTPStatus.BAD_REQUEST, f"the file's name is missing ({FILENAME_HEADER})"
            )
        try:
            name = unquote(raw_name, errors="strict")
        except UnicodeDecodeError:
            raise _Refused(HTTPStatus.BAD_REQUEST, "the file's name is not readable text") from None
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
            raise _Refused(
                HTTPStatus.LENGTH_REQUIRED, f"the {what} came without its length; send it again"
            )
        size = int(length)
        if size > limit:
            raise _Refused(
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
            raise _Refused(HTTPStatus.BAD_REQUEST, "the request is not valid JSON") from None
        if not isinstance(value, dict):
            raise _Refused(HTTPStatus.BAD_REQUEST, "the request must be a JSON object")
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

    def _finish(self, ctype: str, body: bytes, *, head: bool) -> None:
        """The rest of a response whose status and own headers were sent."""
        self.send_header("Content-Type", ctype + "; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)


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


# -- the blocking entry point for the CLI -------------------------------------------


def editor_spec(spec: Path) -> tuple[Path, bool]:
    """The spec file to edit for ``spec`` (a file or a folder), and whether the
    ``init`` starter was written for it (a folder, or a packet.yaml, not there yet)."""
    from packetgen.spec.starter import write_starter

    spec = Path(spec)
    if spec.suffix.lower() in (".json", ".toml"):
        raise PacketgenError(_YAML_ONLY.format(spec=spec))
    if spec.is_dir() or (not spec.exists() and not spec.suffix):
        for name in ("packet.yaml", "packet.yml"):
            if (spec / name).is_file():
                return spec / name, False
        for name in ("packet.json", "packet.toml"):
            if (spec / name).is_file():
                raise PacketgenError(_YAML_ONLY.format(spec=spec / name))
        return write_starter(spec), True
    if not spec.exists():
        if spec.name == "packet.yaml":
            return write_starter(spec.parent), True
        raise PacketgenError(
            f"{spec} does not exist; give a packet.yaml, or a folder to start a new packet in"
        )
    if spec.suffix.lower() not in (".yaml", ".yml"):
        raise PacketgenError(_YAML_ONLY.format(spec=spec))
    return spec, False


def edit(
    spec: Path,
    *,
    port: int = 0,
    open_browser: bool = True,
    fetch: bool = False,
    on_event: EventCallback | None = None,
    timeout: float | None = None,
    max_memory: int | None = None,
) -> None:
    """Edit ``spec`` (a packet.yaml, or a folder) in the browser until Ctrl-C (or SIGTERM).

    The first line given to ``on_event`` is the editor's address; then one
    line per event (the starter written, saves, builds). A folder without a
    spec gets the ``init`` starter first.
    """
    path, started = editor_spec(Path(spec))
    lock = threading.Lock()
    pending: list[str] | None = []

    def say(line: str) -> None:
        # Until the address is out, events wait: it must be the first line.
        with lock:
            if pending is not None:
                pending.append(line)
                return
        if on_event is not None:
            on_event(line)

    if started:
        say(f"Wrote the starter packet {path}: every change you save goes into this file.")
    server = EditorServer(
        path, port=port, fetch=fetch, on_event=say, timeout=timeout, max_memory=max_memory
    )

    def announce() -> str:
        nonlocal pending
        with lock:
            lines, pending = pending or [], None
        if on_event is not None:
            on_event(server.editor_url)
            for line in lines:
                on_event(line)
            on_event(
                f"Editing {path} in your browser: open the address above."
                " Press Ctrl-C here to stop."
            )
        logger.info("editing %s at %s", path, server.url)
        return server.editor_url

    run_until_interrupted(server, announce, open_browser=open_browser)
