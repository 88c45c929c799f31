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

This module watches and builds; :mod:`~packetgen.serve.handler` answers the
requests, :mod:`~packetgen.serve.pages` renders the server's own pages, and
:mod:`~packetgen.serve.run` serves until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import watchfiles

from packetgen.build.pipeline import BuildResult, Format, build
from packetgen.errors import OptionError, OutputError, PacketgenError, ServerError
from packetgen.serve.handler import HTTPServer, HTTPServer6, PreviewHandler, is_loopback
from packetgen.spec.loader import load_packet
from packetgen.spec.models import Packet
from packetgen.support._isolation import run_isolated

__all__ = ["BuildState", "EventCallback", "PreviewServer"]

logger = logging.getLogger(__name__)

EventCallback = Callable[[str], None]


@dataclass(frozen=True)
class BuildState:
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
            raise OptionError("the host to serve on is empty; use 127.0.0.1")
        if not 0 <= port <= 65535:
            raise OptionError(f"the port must be between 0 and 65535, found {port}")
        if debounce_ms < 1:
            raise OptionError(f"debounce_ms must be at least 1, found {debounce_ms}")
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
        self._state = BuildState()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._dirty = threading.Event()
        self._watch_ready = threading.Event()
        self._httpd: HTTPServer | None = None
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
            raise ServerError(f"{self.spec}: cannot serve: the folder {self._root} does not exist")
        if not self.spec.is_file():
            what = "is a folder" if self.spec.is_dir() else "does not exist"
            raise ServerError(f"{self.spec}: cannot read the spec: it {what}")
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
        if not is_loopback(self.host):
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
            raise OutputError(
                f"the output folder {self._given_out} contains the spec's folder;"
                " choose a folder inside it or elsewhere"
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {self._given_out}: {exc.strerror}") from None
        self._out = out

    def _bind(self) -> HTTPServer:
        server_class = HTTPServer6 if ":" in self.host else HTTPServer
        try:
            httpd = server_class((self.host, self.port), self._handler_class())
        except OSError as exc:
            reason = exc.strerror or str(exc)
            hint = "; choose another port" if exc.errno == errno.EADDRINUSE else ""
            raise ServerError(f"cannot serve on {self.host}:{self.port}: {reason}{hint}") from None
        httpd.preview = self
        return httpd

    def _handler_class(self) -> type[PreviewHandler]:
        """The request handler; ``packetgen edit`` answers more routes with its own."""
        return PreviewHandler

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
            state = BuildState(
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

    @property
    def stopping(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._stopping.is_set()

    def snapshot(self) -> BuildState:
        """The latest build attempt's state (replaced as a whole, so safe to read)."""
        return self._state

    def wait_for_change(self, generation: int, timeout: float) -> BuildState:
        """The state once it differs from ``generation`` (or the server stops, or ``timeout``)."""
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


def _failure(previous: BuildState, error: str, *, internal: bool) -> BuildState:
    """A failed build keeps the last good files on record but never serves them."""
    return BuildState(
        ok=False,
        files=previous.files,
        inservices=previous.inservices,
        title=previous.title,
        error=error,
        internal=internal,
    )
