"""Time and memory limits for the process that runs them, and its workers.

:func:`packetgen.support._isolation.run_isolated` limits a call by running it
in a worker process, which is what the library does with ``build(timeout=,
max_memory=)``. A command is already a process of its own: it limits itself
with :func:`limited` and pays no start-up. Both stop with a
:class:`~packetgen.errors.LimitError` that says what was stopped and how to
allow more.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from packetgen.errors import LimitError

__all__ = ["MB", "limited"]

MB = 1024 * 1024
"""Bytes in a megabyte, as the commands count memory."""


class _TimedOut(BaseException):
    """The time limit passed (SIGALRM)."""


@contextlib.contextmanager
def limited(
    *,
    timeout: float,
    max_memory: int,
    what: str = "the build",
    writes: bool = True,
    option: str = "--timeout",
) -> Iterator[None]:
    """Limit this process (and the workers it starts) to ``timeout`` seconds and
    ``max_memory`` megabytes while the block runs.

    ``what`` names the work in the messages; ``writes`` says whether it writes
    outputs (which a stopped run leaves as they were); ``option`` is the time
    option to name.
    """
    import resource

    old_memory = resource.getrlimit(resource.RLIMIT_AS)
    limit = max_memory * MB
    if old_memory[1] == resource.RLIM_INFINITY or limit <= old_memory[1]:
        resource.setrlimit(resource.RLIMIT_AS, (limit, old_memory[1]))

    def expire(signum: int, frame: object) -> None:
        raise _TimedOut

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGALRM, expire) if in_main else None
    if in_main:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    unchanged = "; earlier outputs are unchanged" if writes else ""
    try:
        yield
    except _TimedOut:
        raise LimitError(
            f"{what} took longer than {timeout:g} s and was stopped{unchanged}"
            f" (raise the limit with {option})"
        ) from None
    except MemoryError:
        raise LimitError(
            f"{what} needed more than {max_memory} MB of memory and was stopped{unchanged}"
            " (raise the limit with --max-memory)"
        ) from None
    finally:
        if in_main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, old_memory)
