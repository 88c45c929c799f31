"""The warm server isolated workers are forked from (Linux).

:func:`packetgen.support._isolation.run_isolated` starts each worker from a
process that has already imported what a build needs
(:mod:`packetgen.support._warm`) instead of a fresh interpreter: a worker is
ready in milliseconds instead of the 1 to 2 s that importing WeasyPrint and
packetgen again takes, which ``packetgen serve`` and ``edit`` pay on every
save. Here: the server, the process class that asks it for a worker, and what
the caller hands the worker so that it becomes what a fresh process started
by the caller would be (environment, umask, limits, standard output).
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import multiprocessing
import os
import sys
import threading
from dataclasses import dataclass
from multiprocessing import reduction
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["SERVER", "Start", "WarmProcess", "brief", "caller_state", "refusal", "take_on"]

logger = logging.getLogger(__name__)

_MAX_MESSAGE = 300


def brief(exc: BaseException) -> str:
    """``exc`` in one line of at most 300 characters, for a message."""
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


_WARM_MODULE = "packetgen.support._warm"


class _WarmServer:
    """The process workers are forked from, started on first use (Linux only).

    It is multiprocessing's fork server, but a private one: the process-wide
    one (``set_forkserver_preload``, the default start method from Python
    3.14) belongs to the application, which may preload its own modules or
    none; this one preloads only :mod:`packetgen.support._warm`.

    It is a child of the caller and ends when the caller does (its "alive"
    pipe reaches end of file; workers close their copy, so a worker still
    running does not keep it alive), and its workers die with it
    (``PR_SET_PDEATHSIG``, see :func:`die_with_parent`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: Any = None
        self.refusal: str | None = None if sys.platform.startswith("linux") else "not Linux"

    def ready(self) -> Any:
        """The fork server to start a worker from, or None: start a fresh process."""
        with self._lock:
            if self.refusal is not None:
                return None
            if self._server is None:
                try:
                    from multiprocessing import forkserver

                    server: Any = forkserver.ForkServer()
                    server.set_forkserver_preload([_WARM_MODULE])
                except (ImportError, AttributeError) as exc:  # another Python's internals
                    self.refusal = f"no fork server here ({brief(exc)})"
                    return None
                self._server = server
            server = self._server
        try:
            # Started (or started again, if it died) here rather than when the
            # worker is: the worker is told the server's pid, its parent.
            server.ensure_running()
        except (OSError, ValueError) as exc:
            self.give_up(f"it could not be started ({brief(exc)})")
            return None
        return server

    def give_up(self, reason: str) -> None:
        """Start every later worker fresh: the server cannot be used (``reason``)."""
        with self._lock:
            if self.refusal is None:
                self.refusal = reason
                logger.debug("isolated workers start fresh from now on: %s", reason)


SERVER = _WarmServer()


@functools.cache
def _warm_popen() -> Any:
    """multiprocessing's forkserver ``Popen``, asking the process's own warm
    server instead of the process-wide fork server. Its ``_launch`` is the
    standard library's (3.11 to 3.14) with that one change."""
    from multiprocessing import context, forkserver, popen_forkserver, spawn, util

    class _WarmPopen(popen_forkserver.Popen):
        def _launch(self, process_obj: WarmProcess) -> None:
            prep_data = spawn.get_preparation_data(process_obj.name)
            buf = io.BytesIO()
            context.set_spawning_popen(self)
            try:
                reduction.dump(prep_data, buf)
                reduction.dump(process_obj, buf)
            finally:
                context.set_spawning_popen(None)
            server = process_obj.warm_server
            self.sentinel, w = server.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
            # The child's parent sentinel: end of file when this process is gone.
            parent_w = os.dup(w)
            close_fds = util.close_fds  # type: ignore[attr-defined]
            self.finalizer = util.Finalize(self, close_fds, (parent_w, self.sentinel))
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = forkserver.read_signed(self.sentinel)

    return _WarmPopen


class WarmProcess(multiprocessing.context.ForkServerProcess):
    """A process forked by the warm server ``server``."""

    def __init__(self, server: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.warm_server = server

    def __getstate__(self) -> dict[str, Any]:
        # The server (its lock) stays here: the worker has no use for it.
        state = dict(self.__dict__)
        state.pop("warm_server", None)
        return state

    @staticmethod
    def _Popen(process_obj: BaseProcess) -> Any:
        return _warm_popen()(process_obj)


class _Fd:
    """A file descriptor of the caller, duplicated into the worker when it starts."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self) -> tuple[Any, ...]:
        # Only while multiprocessing starts the worker (it sends the fd along).
        return (_adopt_fd, (reduction.DupFd(self.fd),))


def _adopt_fd(duplicate: Any) -> _Fd:
    """In the worker: the caller's descriptor, as this process's copy of it."""
    return _Fd(duplicate.detach())


@dataclass
class Start:
    """What a worker needs: the call, its limits, and (when forked by the warm
    server) the caller's state that a fresh process would have inherited."""

    channel: Connection
    payload: bytes
    max_memory: int | None
    parent: int
    server: int | None = None
    origin: str | None = None
    environ: dict[str, str] | None = None
    umask: int | None = None
    limits: dict[int, tuple[int, int]] | None = None
    stdio: tuple[_Fd | None, _Fd | None] | None = None


def caller_state(
    server: Any,
) -> tuple[
    int | None,
    str,
    dict[str, str],
    int | None,
    dict[int, tuple[int, int]],
    tuple[_Fd | None, _Fd | None],
]:
    """This process's state for a worker forked by the warm server, in Start's order.

    The server was started earlier, maybe with another environment, umask or
    limits, and its output went wherever this process's went then.
    """
    import resource

    pid = getattr(server, "_forkserver_pid", None)
    limits = {}
    for name in dir(resource):
        if name.startswith("RLIMIT_"):
            number = getattr(resource, name)
            with contextlib.suppress(OSError, ValueError):
                limits[number] = resource.getrlimit(number)
    return (
        pid if isinstance(pid, int) else None,
        __file__,
        dict(os.environ),
        _umask(),
        limits,
        (_open_fd(1), _open_fd(2)),
    )


def _umask() -> int | None:
    # Read from /proc: os.umask can only be read by setting it, which races
    # with other threads creating files.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return None


def _open_fd(fd: int) -> _Fd | None:
    try:
        os.fstat(fd)
    except OSError:
        return None
    return _Fd(fd)


def take_on(start: Start) -> None:
    """In a worker forked by the warm server: become what a fresh process started
    by the caller now would be (multiprocessing already set the working folder,
    ``sys.path`` and ``sys.argv``)."""
    from multiprocessing import forkserver

    # Workers inherit the server's "alive" pipe; the server must see its end of
    # file when the caller dies, whatever workers are still running, so that
    # it ends and takes them with it (PR_SET_PDEATHSIG).
    server_state = getattr(forkserver, "_forkserver", None)
    alive = getattr(server_state, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        with contextlib.suppress(OSError):
            os.close(alive)
        server_state._forkserver_alive_fd = None  # type: ignore[union-attr]
    if start.environ is not None:
        os.environ.clear()
        os.environ.update(start.environ)
    if start.umask is not None:
        os.umask(start.umask)
        # _atomic reads the umask once, at import: here that was in the server.
        atomic = sys.modules.get("packetgen.support._atomic")
        if atomic is not None:
            atomic._UMASK = start.umask  # type: ignore[attr-defined]
    if start.limits is not None:
        import resource

        for number, limit in start.limits.items():
            # Lowering always works; raising a hard limit may not (as in a
            # fresh process, which could not have more than the caller).
            with contextlib.suppress(OSError, ValueError):
                if resource.getrlimit(number) != limit:
                    resource.setrlimit(number, limit)
    for target, fd in zip((1, 2), start.stdio or (), strict=False):
        if fd is not None:
            with contextlib.suppress(OSError, ValueError):
                (sys.stdout if target == 1 else sys.stderr).flush()
                os.dup2(fd.fd, target)
            with contextlib.suppress(OSError):
                os.close(fd.fd)


def refusal(start: Start) -> str | None:
    """Why this worker, forked by the warm server, must not run the call (None: it may)."""
    if start.origin != __file__:
        # The server imported another packetgen than the caller's (another
        # sys.path): the call would run code the caller does not have.
        return f"the server runs packetgen from {__file__}, the caller from {start.origin}"
    warm = sys.modules.get(_WARM_MODULE)
    if warm is not None and not warm.fork_safe():
        return "a library started a thread in the server, which makes forking from it unsafe"
    return None
