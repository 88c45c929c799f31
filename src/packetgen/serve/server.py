"""serve: a live preview of a packet while the trainer edits its spec.

Like ``mkdocs serve``: the HTML of every in-service is built into a temporary
folder, served on ``http://127.0.0.1:<port>/``, and rebuilt whenever the spec
or any file in the spec's folder changes. Every page carries a small script
that reloads it when a new build is ready (Server-Sent Events, with polling as
the fallback). When the latest build failed, every page shows the error
instead of the out-of-date output.

The server is a developer tool for one person on one machine: it answers only
on the loopback interface unless another host is explicitly given, and it
serves only the files the latest build wrote.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import html
import ipaddress
import json
import logging
import signal
import socket
import tempfile
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import cast
from urllib.parse import unquote

import watchfiles

from packetgen.build.pipeline import BuildResult, Format, build
from packetgen.errors import PacketgenError
from packetgen.spec.loader import load_packet
from packetgen.spec.models import Packet
from packetgen.support._isolation import run_isolated

__all__ = ["PreviewServer", "serve"]

logger = logging.getLogger(__name__)

EventCallback = Callable[[str], None]

_API = "/__packetgen__/"
_SSE_KEEPALIVE = 10.0
"""Seconds between SSE comments; a closed browser tab is noticed at the next one."""
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class _State:
    """What the latest build attempt produced; replaced as a whole, never mutated."""

    generation: int = 0
    ok: bool = False
    files: dict[str, Path] = field(default_factory=dict)
    """URL name (``first.html``) → file the last *successful* build wrote."""
    inservices: tuple[tuple[str, str], ...] = ()
    """(id, title) of each in-service of the last successful build."""
    title: str = ""
    warnings: tuple[str, ...] = ()
    error: str = ""
    """Text of the failure: the problems of a spec error, or a traceback."""
    internal: bool = False
    """The failure was not a PacketgenError: a bug, shown with its traceback."""
    finished: str = ""
    """Wall-clock time the build finished, for the pages."""
    seconds: float = 0.0


class PreviewServer:
    """Build a packet's HTML, serve it, and rebuild it when its folder changes.

    >>> server = PreviewServer(Path("packet.yaml"))   # doctest: +SKIP
    >>> server.start(); print(server.url); server.stop()   # doctest: +SKIP

    ``start()`` runs the first build (a failing build is shown in the browser,
    not raised), then serves in a background thread while another thread
    watches the spec's folder. ``stop()`` ends the threads and removes the
    temporary output folder. Also usable as a context manager.

    With ``timeout`` (seconds) or ``max_memory`` (bytes) every build runs in a
    separate worker process stopped at the limit, as ``build(timeout=,
    max_memory=)`` does; the page then shows the :class:`LimitError`. Use
    them whenever the folder holds files you did not make yourself.
    """

    def __init__(
        self,
        spec: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        out_dir: Path | None = None,
        pdf: bool = False,
        debounce_ms: int = 150,
        on_event: EventCallback | None = None,
        timeout: float | None = None,
        max_memory: int | None = None,
    ) -> None:
        if not host:
            raise PacketgenError("the host to serve on is empty; use 127.0.0.1")
        if not 0 <= port <= 65535:
            raise PacketgenError(f"the port must be between 0 and 65535, found {port}")
        if debounce_ms < 1:
            raise PacketgenError(f"debounce_ms must be at least 1, found {debounce_ms}")
        self.spec = Path(spec)
        self.host = host
        self.port = port
        self.pdf = pdf
        self.debounce_ms = debounce_ms
        self.timeout = timeout
        self.max_memory = max_memory
        self._on_event = on_event
        self._given_out = Path(out_dir) if out_dir is not None else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._out: Path | None = None
        self._root = self.spec.resolve().parent
        self._state = _State()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._dirty = threading.Event()
        self._watch_ready = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._started = False
        self._stopped = False
        self._ignore_default = watchfiles.DefaultFilter()

    # -- public API ---------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/`` (the real port when 0 was asked for)."""
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on."""
        if self._httpd is None:
            raise RuntimeError("the preview server is not started; call start() first")
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def out_dir(self) -> Path:
        """The folder the builds are written to."""
        if self._out is None:
            raise RuntimeError("the preview server is not started; call start() first")
        return self._out

    @property
    def generation(self) -> int:
        """Number of build attempts so far (successful or not)."""
        return self._state.generation

    @property
    def ok(self) -> bool:
        """Whether the latest build attempt succeeded."""
        return self._state.ok

    def start(self) -> None:
        """Build once, then serve and watch in background threads."""
        if self._started:
            raise RuntimeError("a PreviewServer can be started only once")
        self._started = True
        if not self._root.is_dir():
            raise PacketgenError(
                f"{self.spec}: cannot serve: the folder {self._root} does not exist"
            )
        if not self.spec.is_file():
            what = "is a folder" if self.spec.is_dir() else "does not exist"
            raise PacketgenError(f"{self.spec}: cannot read the spec: it {what}")
        try:
            self._prepare_out()
            self._httpd = self._bind()
            self._spawn("packetgen-serve-watch", self._watch_loop)
            # Changes saved during the first build must not be missed: watch first.
            if not self._watch_ready.wait(10.0):
                self._say(f"warning: watching {self._root} did not start; edits may be missed")
            self._build_once()
            self._spawn("packetgen-serve-build", self._build_loop)
            self._spawn("packetgen-serve-http", self._serve_forever)
        except BaseException:
            self.stop()
            raise
        if not _is_loopback(self.host):
            self._say(
                f"warning: serving on {self.host}: anyone who can reach this machine"
                " can read the packet"
            )

    def stop(self) -> None:
        """Stop serving and watching, and remove the temporary output folder."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        self._dirty.set()
        with self._cond:
            self._cond.notify_all()
        if self._httpd is not None:
            if any(t.name == "packetgen-serve-http" for t in self._threads):
                self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            # A build in progress finishes first (seconds with PDFs).
            thread.join(timeout=120.0 if thread.name.endswith("build") else 10.0)
            if thread.is_alive():
                logger.warning("%s did not stop in time", thread.name)
        if self._tmp is not None:
            self._tmp.cleanup()

    def wait_for_build(self, generation: int, timeout: float) -> int:
        """Block until a build later than ``generation`` has finished; return its number.

        Raises TimeoutError when none finishes within ``timeout`` seconds.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._state.generation > generation, timeout):
                raise TimeoutError(
                    f"no build after build {generation} within {timeout} s"
                    f" (latest: {self._state.generation})"
                )
            return self._state.generation

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- setup --------------------------------------------------------------

    def _prepare_out(self) -> None:
        if self._given_out is None:
            self._tmp = tempfile.TemporaryDirectory(
                prefix="packetgen-serve-", ignore_cleanup_errors=True
            )
            self._out = Path(self._tmp.name).resolve()
            return
        out = self._given_out.resolve()
        if out == self._root or self._root.is_relative_to(out):
            raise PacketgenError(
                f"the output folder {self._given_out} contains the spec's folder;"
                " choose a folder inside it or elsewhere"
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PacketgenError(f"cannot create {self._given_out}: {exc.strerror}") from None
        self._out = out

    def _bind(self) -> _HTTPServer:
        server_class = _HTTPServer6 if ":" in self.host else _HTTPServer
        try:
            httpd = server_class((self.host, self.port), self._handler_class())
        except OSError as exc:
            reason = exc.strerror or str(exc)
            hint = "; choose another port" if exc.errno == errno.EADDRINUSE else ""
            raise PacketgenError(
                f"cannot serve on {self.host}:{self.port}: {reason}{hint}"
            ) from None
        httpd.preview = self
        return httpd

    def _handler_class(self) -> type[_Handler]:
        """The request handler; ``packetgen edit`` answers more routes with its own."""
        return _Handler

    def _serve_forever(self) -> None:
        assert self._httpd is not None
        # A short poll interval keeps stop() quick: shutdown() waits for the next poll.
        self._httpd.serve_forever(poll_interval=0.05)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _say(self, message: str) -> None:
        logger.info("%s", message)
        if self._on_event is not None:
            try:
                self._on_event(message)
            except Exception:
                logger.exception("the on_event callback failed")

    # -- watching and building ----------------------------------------------

    def _accept_change(self, change: watchfiles.Change, path: str) -> bool:
        """Whether a changed path should trigger a rebuild."""
        changed = Path(path)
        if self._out is not None and (changed == self._out or changed.is_relative_to(self._out)):
            return False
        with contextlib.suppress(ValueError):
            if any(part.startswith(".") for part in changed.relative_to(self._root).parts):
                return False
        return self._ignore_default(change, path)

    def _watch_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                for changes in watchfiles.watch(
                    self._root,
                    watch_filter=self._accept_change,
                    debounce=max(1600, 4 * self.debounce_ms),
                    step=self.debounce_ms,
                    stop_event=self._stopping,
                    rust_timeout=100,
                    yield_on_timeout=True,
                    raise_interrupt=False,
                ):
                    self._watch_ready.set()
                    if changes and not self._stopping.is_set():
                        self._say(f"Changed: {self._describe(changes)}; rebuilding")
                        self._dirty.set()
            except Exception:
                logger.exception("watching %s failed; trying again in 1 s", self._root)
                self._stopping.wait(1.0)

    def _describe(self, changes: set[tuple[watchfiles.Change, str]]) -> str:
        names = sorted({self._relative(path) for _change, path in changes})
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        return ", ".join(names[:3]) + more

    def _relative(self, path: str) -> str:
        try:
            return Path(path).relative_to(self._root).as_posix()
        except ValueError:
            return path

    def _build_loop(self) -> None:
        while True:
            self._dirty.wait()
            if self._stopping.is_set():
                return
            self._dirty.clear()
            self._build_once()

    def _build_once(self) -> None:
        assert self._out is not None
        started = time.monotonic()
        previous = self._state
        try:
            packet = load_packet(self.spec)
            fmt: Format = "both" if self.pdf else "html"
            if self.timeout is None and self.max_memory is None:
                result = _build_within_budget(packet, self._out, fmt)
            else:
                result = run_isolated(
                    _build_within_budget,
                    packet,
                    self._out,
                    fmt,
                    timeout=self.timeout,
                    max_memory=self.max_memory,
                )
        except PacketgenError as exc:
            state = _failure(previous, str(exc), internal=False)
            self._say(f"Build failed:\n{exc}")
        except Exception:
            text = traceback.format_exc()
            logger.exception("build of %s failed with an internal error", self.spec)
            state = _failure(previous, text, internal=True)
            if self._on_event is not None:
                self._say("Build failed with an internal error (traceback on the page)")
        else:
            files = {record.path.name: record.path for record in result.outputs}
            state = _State(
                ok=True,
                files=files,
                inservices=tuple((s.id, s.title) for s in packet.inservices),
                title=packet.title,
                warnings=tuple(result.warnings),
            )
            for warning in result.warnings:
                self._say(f"warning: {warning}")
        seconds = time.monotonic() - started
        with self._cond:
            generation = self._state.generation + 1
            self._state = dataclasses.replace(
                state, generation=generation, finished=time.strftime("%H:%M:%S"), seconds=seconds
            )
            self._cond.notify_all()
        if state.ok:
            count = len(state.inservices)
            self._say(
                f"Build {generation}: {count} in-service{'s' if count != 1 else ''}"
                f" in {seconds:.1f} s"
            )

    # -- what the handler reads ---------------------------------------------

    def _snapshot(self) -> _State:
        return self._state

    def _wait_for_change(self, generation: int, timeout: float) -> _State:
        with self._cond:
            self._cond.wait_for(
                lambda: self._state.generation != generation or self._stopping.is_set(), timeout
            )
            return self._state


def _build_within_budget(packet: Packet, out: Path, fmt: Format) -> BuildResult:
    """One build, its handouts' unpacked content limited together (in a worker, with limits)."""
    from packetgen.support._budget import decoding_budget  # pypdf loads slowly; only builds need it

    with decoding_budget():
        return build(packet, out, format=fmt)


def _failure(previous: _State, error: str, *, internal: bool) -> _State:
    """A failed build keeps the last good files on record but never serves them."""
    return _State(
        ok=False,
        files=previous.files,
        inservices=previous.inservices,
        title=previous.title,
        error=error,
        internal=internal,
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- HTTP ---------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    preview: PreviewServer


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server_version = "packetgen-serve"

    @property
    def preview(self) -> PreviewServer:
        return cast(_HTTPServer, self.server).preview

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
                page = _page(
                    "packetgen: internal error",
                    "<p>Serving this page failed; this is a bug in packetgen.</p>"
                    f"<pre>{html.escape(traceback.format_exc())}</pre>",
                    None,
                )
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/html", page, head=head)

    def _route(self, *, head: bool) -> None:
        if not self._host_allowed():
            body = b"packetgen serve answers only to requests for localhost\n"
            self._send(HTTPStatus.FORBIDDEN, "text/plain", body, head=head)
            return
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        state = self.preview._snapshot()
        if raw in ("/", "/index.html"):
            self._send_page(_index_page(state, self.preview.pdf), head=head)
        elif raw == _API + "generation":
            data = json.dumps({"generation": state.generation, "ok": state.ok}).encode()
            self._send(HTTPStatus.OK, "application/json", data, head=head)
        elif raw == _API + "events":
            self._events(head=head)
        else:
            self._file(raw, state, head=head)

    def _host_allowed(self) -> bool:
        """Refuse requests for other host names (DNS rebinding) when serving on loopback."""
        if not _is_loopback(self.preview.host):
            return True
        header = self.headers.get("Host")
        if not header:
            return True
        name = header.strip()
        if name.startswith("["):
            name = name[1 : name.find("]")] if "]" in name else name
        elif name.count(":") == 1:
            name = name.split(":", 1)[0]
        return _is_loopback(name)

    def _file(self, raw: str, state: _State, *, head: bool) -> None:
        name = unquote(raw.removeprefix("/"), errors="replace")
        target = state.files.get(name) if _plain_name(name) else None
        out = self.preview._out
        if target is not None and out is not None and not target.resolve().is_relative_to(out):
            target = None
        is_page = name.endswith((".html", ".htm")) or target is not None
        if not state.ok and is_page:
            # Never the stale output: every page says the build failed until it is fixed.
            self._send_page(_error_page(state), head=head)
            return
        if target is None or not target.is_file():
            body = _page(
                "packetgen: not found",
                f"<p>Nothing is built at <code>{html.escape(raw)}</code>."
                ' See <a href="/">the in-services of this packet</a>.</p>',
                state.generation if name.endswith(".html") else None,
            )
            self._send(HTTPStatus.NOT_FOUND, "text/html", body, head=head)
            return
        if target.suffix == ".pdf":
            self._send(HTTPStatus.OK, "application/pdf", target.read_bytes(), head=head)
        elif target.suffix in (".html", ".htm"):
            self._send_page(_inject(target.read_bytes(), state.generation), head=head)
        else:
            self._send(HTTPStatus.OK, "application/octet-stream", target.read_bytes(), head=head)

    def _send_page(self, body: bytes, *, head: bool) -> None:
        """Pages are 200 even when they show an error, so their reload script keeps running."""
        self._send(HTTPStatus.OK, "text/html", body, head=head)

    def _send(self, status: HTTPStatus, ctype: str, body: bytes, *, head: bool) -> None:
        self.send_response(status)
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
        state = preview._snapshot()
        while True:
            data = json.dumps({"generation": state.generation, "ok": state.ok})
            self.wfile.write(f"event: generation\ndata: {data}\n\n".encode())
            sent = state.generation
            while True:
                state = preview._wait_for_change(sent, _SSE_KEEPALIVE)
                if preview._stopping.is_set():
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


# -- pages --------------------------------------------------------------------

_RELOAD_JS = """\
<script>
/* packetgen serve: reload this page when a new build is ready. */
(function () {
  "use strict";
  var shown = %(generation)d, reloading = false, polling = false;
  function check(data) {
    if (!reloading && data.generation !== shown) {
      reloading = true;
      window.location.reload();
    }
  }
  function poll() {
    if (polling) { return; }
    polling = true;
    (function next() {
      fetch("/__packetgen__/generation", {cache: "no-store"})
        .then(function (r) { return r.json(); })
        .then(function (d) { check(d); if (!reloading) { setTimeout(next, 500); } })
        .catch(function () { setTimeout(next, 1000); });
    })();
  }
  if (typeof window.EventSource !== "function") { poll(); return; }
  var opened = false, failures = 0;
  var source = new EventSource("/__packetgen__/events");
  function fallBack() { source.close(); poll(); }
  source.onopen = function () { opened = true; failures = 0; };
  source.addEventListener("generation", function (e) { check(JSON.parse(e.data)); });
  source.onerror = function () {
    failures += 1;
    if (!opened || failures > 5 || source.readyState === 2) { fallBack(); }
  };
  setTimeout(function () { if (!opened) { fallBack(); } }, 5000);
})();
</script>
"""

_STYLE = """\
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #111; }
h1 { font-size: 1.6rem; }
.meta { color: #555; }
pre.error { background: #fff4f4; border: 2px solid #b00020; padding: 1rem; white-space: pre-wrap;
            overflow-wrap: anywhere; font-size: 0.95rem; }
ul.inservices li { margin: 0.4rem 0; }
.warnings { border-left: 4px solid #a66b00; padding-left: 1rem; }
"""


def _reload_script(generation: int) -> str:
    return _RELOAD_JS % {"generation": generation}


def _inject(page: bytes, generation: int) -> bytes:
    """The page with the reload script inserted before its last ``</body>``."""
    script = _reload_script(generation).encode("utf-8")
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + script
    return page[:at] + script + page[at:]


def _page(title: str, body: str, generation: int | None) -> bytes:
    script = _reload_script(generation) if generation is not None else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n{script}</body>\n</html>\n"
    ).encode()


def _error_page(state: _State) -> bytes:
    if state.internal:
        title = "packetgen: build failed (internal error)"
        intro = (
            "packetgen hit an unexpected error while building. This is a bug in"
            " packetgen; please report it with the traceback below."
        )
    else:
        title = "packetgen: build failed"
        intro = "Fix the spec and save it; this page reloads by itself."
    body = (
        f'<p class="meta">Build {state.generation} failed at {html.escape(state.finished)}.'
        f" {intro} No earlier output is shown while the build fails.</p>\n"
        f'<pre class="error" id="packetgen-error">{html.escape(state.error)}</pre>\n'
        '<p><a href="/">All in-services</a></p>'
    )
    return _page(title, body, state.generation)


def _index_page(state: _State, pdf: bool) -> bytes:
    if not state.ok:
        return _error_page(state)
    items = []
    for ident, title in state.inservices:
        links = f'<a href="/{html.escape(ident)}.html">{html.escape(title)}</a>'
        if pdf and f"{ident}.pdf" in state.files:
            links += f' · <a href="/{html.escape(ident)}.pdf">binder PDF</a>'
        items.append(f'<li>{links} <span class="meta">({html.escape(ident)})</span></li>')
    book = ""
    if pdf and "packet.pdf" in state.files:
        book = '<p><a href="/packet.pdf">packet.pdf</a>: every in-service in one book</p>\n'
    warnings = ""
    if state.warnings:
        shown = "".join(f"<li>{html.escape(w)}</li>" for w in state.warnings)
        warnings = f'<div class="warnings"><p>Warnings:</p><ul>{shown}</ul></div>\n'
    body = (
        f'<p class="meta">Build {state.generation} at {html.escape(state.finished)}'
        f" ({state.seconds:.1f} s). Pages reload by themselves after every change.</p>\n"
        f'<ul class="inservices">\n{"".join(items)}\n</ul>\n{book}{warnings}'
    )
    return _page(f"{state.title} — packetgen preview", body, state.generation)


# -- the blocking entry point for the CLI -------------------------------------


def serve(
    spec: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    pdf: bool = False,
    open_browser: bool = False,
    on_event: EventCallback | None = None,
    timeout: float | None = None,
    max_memory: int | None = None,
) -> None:
    """Serve a live preview of ``spec`` until Ctrl-C (or SIGTERM).

    ``on_event`` receives one line per event (serving, changes, builds,
    errors); the CLI passes ``click.echo``. ``timeout`` and ``max_memory``
    limit each build (see :class:`PreviewServer`).
    """
    server = PreviewServer(
        Path(spec),
        host=host,
        port=port,
        pdf=pdf,
        on_event=on_event,
        timeout=timeout,
        max_memory=max_memory,
    )

    def announce() -> str:
        message = f"Serving {spec} at {server.url} (press Ctrl-C to stop)"
        logger.info("%s", message)
        if on_event is not None:
            on_event(message)
        return server.url

    run_until_interrupted(server, announce, open_browser=open_browser)


def run_until_interrupted(
    server: PreviewServer, announce: Callable[[], str], *, open_browser: bool
) -> None:
    """Start ``server``, say where it is (``announce`` returns the address to open),
    and serve until Ctrl-C or SIGTERM; the server is stopped either way."""
    with _interrupt_on_sigterm():
        server.start()
        try:
            url = announce()
            if open_browser:
                webbrowser.open(url)
            while True:  # short sleeps: a simulated Ctrl-C (interrupt_main) is seen soon
                time.sleep(0.25)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


@contextlib.contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so the temporary folder is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
