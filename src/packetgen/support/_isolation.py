"""Run one call in a separate worker process, with a time and a memory limit.

Untrusted packets reach parsers with sharp edges (WeasyPrint layout that can
loop, pypdf with a history of memory bombs, C libraries that abort when
memory runs out). :func:`run_isolated` runs such work in a worker process of
its own so that a hang or a runaway allocation ends in a clear
:class:`~packetgen.errors.LimitError` and a clean process table, never in a
stuck or dying caller.

How the worker starts: on Linux it is forked from a warm server, a process
started once (on the first call) that has imported what a build needs
(:mod:`packetgen.support._warm`), so a worker is ready in milliseconds instead
of the 1 to 2 s a fresh interpreter takes to import WeasyPrint and packetgen
again; ``packetgen serve`` rebuilds on every save and pays that once. The
worker takes on the caller's environment, working folder, umask, resource
limits and standard output and error, as a fresh process would have them.
Elsewhere, or when the server cannot be used, the worker is a fresh ``spawn``
process.

How the worker is ended: on a timeout (or when the caller is interrupted) the
worker's process group first gets SIGTERM, which the worker turns into an
exception so that ``finally`` blocks run (temporary files are removed,
LibreOffice sessions stopped); whatever is still alive after a short grace
period gets SIGKILL. Results and :class:`~packetgen.errors.PacketgenError`\\ s
come back through a pipe; any other exception comes back as a
:class:`~packetgen.errors.BuildError` naming its type and message only, never a
traceback (which would show paths on the machine).

POSIX only for the limits: on Windows the call still runs in a worker and the
timeout still applies, but ``max_memory`` is not enforced.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from packetgen.errors import BuildError, LimitError, PacketgenError
from packetgen.support._warm_server import SERVER as _SERVER
from packetgen.support._warm_server import Start as _Start
from packetgen.support._warm_server import WarmProcess as _WarmProcess
from packetgen.support._warm_server import brief as _brief
from packetgen.support._warm_server import caller_state as _caller_state
from packetgen.support._warm_server import refusal as _refusal
from packetgen.support._warm_server import take_on as _take_on

__all__ = [
    "GRACE_SECONDS",
    "die_with_parent",
    "exit_if_orphaned",
    "exit_reason",
    "report_progress",
    "run_isolated",
]

T = TypeVar("T")

GRACE_SECONDS = 2.0
"""How long a worker told to stop (SIGTERM) may take to clean up before SIGKILL."""

_MB = 1024 * 1024


# Set in the worker: where report_progress sends its messages.
_channel: Connection | None = None


class _Stopped(BaseException):
    """Raised in the worker on SIGTERM, so that ``finally`` blocks clean up."""


def report_progress(message: str) -> None:
    """A progress callback usable inside the worker (it pickles by reference).

    Pass it as the isolated function's progress callback and give
    ``on_progress=`` to :func:`run_isolated`: each message is relayed to it.
    Outside a worker it does nothing.
    """
    if _channel is not None:
        with contextlib.suppress(OSError, ValueError):
            _channel.send(("progress", str(message)))


def run_isolated(
    fn: Callable[..., T],
    /,
    *args: Any,
    timeout: float | None,
    max_memory: int | None,
    on_progress: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> T:
    """Call ``fn(*args, **kwargs)`` in a fresh worker process and return its result.

    ``timeout`` is wall-clock seconds for the whole call, worker start-up
    included (None: no limit). ``max_memory`` is the worker's address-space
    limit in bytes (``RLIMIT_AS``; None: no limit). ``fn``, its arguments and
    its result must pickle; ``fn`` must be importable (a module-level function).
    ``on_progress`` receives the messages the worker sends with
    :func:`report_progress`.

    Raises :class:`LimitError` when the time or memory limit is reached, the
    :class:`PacketgenError` the call raised (same class, same message), or
    :class:`BuildError` for anything else that went wrong in the worker.
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, found {timeout!r}")
    if max_memory is not None and max_memory <= 0:
        raise ValueError(f"max_memory must be a positive number of bytes, found {max_memory!r}")
    try:
        payload = pickle.dumps((fn, args, kwargs))
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise TypeError(
            f"run_isolated: the function and its arguments must pickle ({exc})"
        ) from None

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        process, receiver, warm = _start(payload, max_memory)
        outcome: tuple[str, Any] | None = None
        exitcode: int | None = None
        try:
            outcome = _wait(receiver, deadline, on_progress)
        finally:
            # Also on KeyboardInterrupt or an error in on_progress: never leave
            # the worker (or anything it started) behind.
            stop = outcome is None or outcome[0] == "timeout"
            exitcode = _finish(process, stop=stop, reaped_elsewhere=warm)
            receiver.close()
        if outcome[0] != "refused":
            break
        # The worker found the warm server unfit before doing anything (see
        # _worker): run the call again in a fresh process, within the same time.
        _SERVER.give_up(outcome[1])
    result: T = _result(outcome, exitcode, timeout, max_memory)
    return result


def _start(payload: bytes, max_memory: int | None) -> tuple[BaseProcess, Connection, bool]:
    """Start a worker for ``payload``: forked from the warm server when it can
    be, else a fresh ``spawn`` process. Returns it, the end its messages
    arrive on, and whether it was forked by the server (then the server, not
    this process, is its parent)."""
    parent = os.getpid()
    server = _SERVER.ready()
    if server is not None:
        try:
            return _launch(
                lambda sender: _WarmProcess(
                    server,
                    target=_worker,
                    args=(_Start(sender, payload, max_memory, parent, *_caller_state(server)),),
                    name="packetgen-isolated",
                    daemon=False,
                ),
                warm=True,
            )
        except (OSError, EOFError, ValueError) as exc:
            _SERVER.give_up(f"it could not start a worker ({_brief(exc)})")
    return _launch(
        lambda sender: multiprocessing.get_context("spawn").Process(
            target=_worker,
            args=(_Start(sender, payload, max_memory, parent),),
            name="packetgen-isolated",
            # Not a daemon: multiprocessing forbids daemons to start processes,
            # and a build with jobs > 1 starts a pool of workers. Nothing is
            # lost: this call always ends and reaps the worker before it
            # returns, and the worker dies with its caller (die_with_parent).
            daemon=False,
        ),
        warm=False,
    )


def _launch(
    make: Callable[[Connection], BaseProcess], *, warm: bool
) -> tuple[BaseProcess, Connection, bool]:
    # A pipe of its own for each attempt: a worker half-started by a failed
    # attempt can never write into the next one's.
    receiver, sender = multiprocessing.Pipe(duplex=False)
    try:
        process = make(sender)
        process.start()
    except BaseException:
        receiver.close()
        raise
    finally:
        # The worker holds its own copy now: end of file on the receiver
        # means the worker is gone.
        sender.close()
    return process, receiver, warm


def _wait(
    receiver: Connection,
    deadline: float | None,
    on_progress: Callable[[str], None] | None,
) -> tuple[str, Any]:
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return ("timeout", None)
        if not receiver.poll(remaining):
            return ("timeout", None)
        try:
            kind, value = receiver.recv()
        except (EOFError, OSError):
            return ("died", None)
        except Exception as exc:  # the result did not unpickle here
            return (
                "error",
                BuildError(f"the build's result could not be read back: {_brief(exc)}"),
            )
        if kind == "progress":
            if on_progress is not None:
                on_progress(value)
            continue
        return (kind, value)


def _result(
    outcome: tuple[str, Any] | None,
    exitcode: int | None,
    timeout: float | None,
    max_memory: int | None,
) -> Any:
    assert outcome is not None
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "error":
        assert isinstance(value, PacketgenError)
        raise value
    if kind == "timeout":
        raise LimitError(
            f"the build took longer than {timeout:g} s and was stopped; simplify the packet"
            " (fewer or smaller handouts) or allow more time (timeout=)"
        )
    if kind == "memory" or (kind == "died" and _killed_for_memory(exitcode, max_memory)):
        raise LimitError(_memory_message(max_memory))
    raise BuildError(f"the build's worker process stopped unexpectedly ({exit_reason(exitcode)})")


def _memory_message(max_memory: int | None) -> str:
    if max_memory is None:
        return "the build ran out of memory and was stopped; simplify the packet"
    return (
        f"the build needed more than {max_memory / _MB:g} MB of memory and was stopped;"
        " simplify the packet (fewer or smaller handouts and pictures) or allow more"
        " memory (max_memory=)"
    )


def _killed_for_memory(exitcode: int | None, max_memory: int | None) -> bool:
    if exitcode is None or exitcode >= 0:
        return False
    # SIGKILL from the kernel's OOM killer; with an address-space limit, C
    # libraries that cannot allocate abort or crash instead of raising.
    if -exitcode == signal.SIGKILL:
        return True
    return max_memory is not None and -exitcode in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)


def exit_reason(exitcode: int | None) -> str:
    """A process's exit code in words: ``signal SIGKILL``, ``exit status 1``."""
    if exitcode is None:
        return "no exit status"
    if exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


# ------------------------------------------------------------------ ending the worker


def _finish(process: Any, *, stop: bool, reaped_elsewhere: bool = False) -> int | None:
    """End the worker and its process group, reap it and return its exit code.

    Leaves no zombie and no process of the group behind. ``reaped_elsewhere``:
    the worker was forked by the warm server, which reaps it and reports its
    exit code.
    """
    pid = process.pid
    if sys.platform == "win32":  # pragma: no cover - no process groups there
        if stop:
            process.terminate()
        process.join(GRACE_SECONDS)
        if process.exitcode is None:
            process.kill()
        process.join()
        exitcode: int | None = process.exitcode
        process.close()
        return exitcode
    if stop:
        _signal_group(pid, signal.SIGTERM)
    # Wait for the worker to end, cleaning up after SIGTERM or simply exiting
    # after sending its result. A child of ours is not reaped yet, so its
    # group id stays valid. A worker of the warm server is reaped by the
    # server as soon as it ends; its group id then stays taken while any
    # helper it started is alive (the kernel does not hand out the id of a
    # live group), and once the group is empty, signalling it finds nothing:
    # the id could only name another process after the kernel had handed out
    # every other pid (pid_max, at least 32768) in the meantime.
    if reaped_elsewhere:
        process.join(GRACE_SECONDS if stop else 5.0)
    else:
        _wait_exit(pid, GRACE_SECONDS if stop else 5.0)
    # Anything still in the group — the worker if it ignored SIGTERM, or a
    # helper it started — goes now.
    _signal_group(pid, signal.SIGKILL)
    process.join()
    code: int | None = process.exitcode
    process.close()
    return code


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _wait_exit(pid: int, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is not None:
            return
        time.sleep(0.01)


# ------------------------------------------------------------------ in the worker


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Stopped


# How often the watchdog looks for its parent when it cannot wait on the pipe.
_WATCH_SECONDS = 0.1
_ORPHANED = 1
"""Exit status of a worker that ended because its parent was gone."""

# Set in a worker by die_with_parent: the pid of the process that started it,
# and the pid its parent must keep (the caller, or the warm server).
_parent_pid: int | None = None
_expected_ppid: int | None = None


def die_with_parent(parent: int, *, via: int | None = None) -> None:
    """End this worker process as soon as ``parent``, the process that started it, is gone.

    Call it first thing in a worker (the isolated worker, and the build's pool
    workers in their initializer). ``via``: the warm server that forked this
    worker for ``parent`` (then the server is its parent process). A packetgen
    killed outright (SIGKILL, the OOM killer) cannot stop its workers; without
    this they are re-parented, finish their pages, write into the output
    folder and then wait forever for work that never comes, holding memory and
    the terminal.

    Two mechanisms, each covering the other's gap:

    * Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``. The kernel kills the worker
      the moment its parent process dies: nothing more is written. A worker
      of the warm server dies with the server, which ends as soon as the
      caller is gone. The signal fires when the *thread* that started the
      worker ends, not the process, so a worker must be started by a thread
      that outlives it. Every starter does that: the warm server has one
      thread, :func:`run_isolated` starts a spawned worker and waits for it
      in the same call, and the build's ``ProcessPoolExecutor`` starts
      workers in ``submit()``, from the thread running the build, which shuts
      the pool down (ending every worker) before it returns.
    * Everywhere: a daemon thread waits on multiprocessing's parent sentinel
      (a pipe whose write end only ``parent`` holds, so end-of-file means it
      is gone; a process handle on Windows) and, as a fallback, checks
      ``os.getppid()`` every 0.1 s, then ends the process with ``os._exit``.
      :func:`exit_if_orphaned` closes the last gap: callers check it just
      before writing an output.

    A parent that died before this ran (during the worker's start-up) is
    noticed here and the worker exits at once.
    """
    global _parent_pid, _expected_ppid
    _parent_pid = parent
    _expected_ppid = parent if via is None else via
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    exit_if_orphaned()
    threading.Thread(target=_watch, name="packetgen-parent-watch", daemon=True).start()


def exit_if_orphaned() -> None:
    """End this worker now if the process that started it is gone (no-op elsewhere)."""
    if _parent_pid is not None and not _parent_alive():
        os._exit(_ORPHANED)


def _parent_alive() -> bool:
    sentinel = multiprocessing.parent_process()
    if sentinel is not None and not sentinel.is_alive():
        return False
    # Re-parented (to init or a subreaper): the parent (or the warm server)
    # died. On Windows a process keeps its parent's pid, and the sentinel above
    # is what counts.
    return sys.platform == "win32" or os.getppid() == _expected_ppid


def _watch() -> None:
    assert _parent_pid is not None
    sentinel = multiprocessing.parent_process()
    while True:
        if sentinel is not None:
            sentinel.join(_WATCH_SECONDS)  # returns at once when the parent's end closes
        else:
            time.sleep(_WATCH_SECONDS)
        exit_if_orphaned()


def _worker(start: _Start) -> None:
    global _channel
    channel = start.channel
    forked = start.origin is not None
    if forked:
        refusal = _refusal(start)
        if refusal is not None:
            # Before anything else: the caller runs the call in a fresh process.
            channel.send(("refused", refusal))
            channel.close()
            return
    _channel = channel
    if forked:
        die_with_parent(start.parent, via=start.server or os.getppid())
    else:
        die_with_parent(start.parent)
    if forked:
        _take_on(start)
    max_memory = start.max_memory
    if sys.platform != "win32":
        # Its own process group, so a timeout can end it with everything it
        # started; the terminal's Ctrl-C goes to the caller, which ends us.
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, _on_sigterm)
        if max_memory is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    message: tuple[str, Any]
    try:
        fn, args, kwargs = pickle.loads(start.payload)
        message = ("ok", fn(*args, **kwargs))
    except MemoryError:
        message = ("memory", None)
    except _Stopped:
        os._exit(128 + signal.SIGTERM)
    except PacketgenError as exc:
        message = ("error", exc)
    except BaseException as exc:  # reported to the caller, not raised here
        message = ("error", BuildError(f"the build failed unexpectedly: {_brief(exc)}"))
    try:
        channel.send(message)
    except MemoryError:
        channel.send(("memory", None))
    except Exception as exc:  # the result or error does not pickle
        channel.send(
            ("error", BuildError(f"the build's result could not be sent back: {_brief(exc)}"))
        )
    finally:
        channel.close()
