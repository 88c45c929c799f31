"""The worker pool: with ``jobs > 1``, jobs are laid out by spawned worker
processes beside this one, in job order, and a worker that dies is named with
the output it was laying out.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from multiprocessing.process import BaseProcess
from pathlib import Path

from packetgen.build.jobs import Context, Job, run_job
from packetgen.errors import BuildError, OptionError
from packetgen.handouts._conversions import remember_converted_documents
from packetgen.support._isolation import GRACE_SECONDS, die_with_parent, exit_reason

__all__ = ["Runner"]

_WORKER_CONTEXT: Context | None = None
_WORKER_SLOTS: ctypes.Array[ctypes.c_int64] | None = None

_SLOTS = 1024
"""Size of the ring that says which worker lays out which job: more than the
jobs one stage runs at once (one per in-service, at most 100)."""


def _worker_init(context: Context, parent: int, slots: ctypes.Array[ctypes.c_int64]) -> None:
    # First: a worker must not outlive the build (see die_with_parent; the
    # pool starts its workers from the thread running the build, in submit()).
    die_with_parent(parent)
    global _WORKER_CONTEXT, _WORKER_SLOTS
    remember_converted_documents(context.conversions)
    _WORKER_CONTEXT = context
    _WORKER_SLOTS = slots


def _worker_run(ticket: int, job: Job, target: Path) -> tuple[int | None, tuple[str, ...]]:
    assert _WORKER_CONTEXT is not None
    assert _WORKER_SLOTS is not None
    # While the job runs its slot holds this worker's pid: if the worker is
    # killed, the build can say which in-service it was laying out.
    _WORKER_SLOTS[ticket] = os.getpid()
    try:
        return run_job(_WORKER_CONTEXT, job, target)
    finally:
        _WORKER_SLOTS[ticket] = 0


class Runner:
    """Runs jobs in this process, and with ``jobs > 1`` in spawned worker processes too."""

    def __init__(self, context: Context, jobs: int) -> None:
        if jobs < 1:
            raise OptionError(f"jobs must be 1 or more, found {jobs}")
        self.context = context
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._slots: ctypes.Array[ctypes.c_int64] | None = None
        self._tickets = 0
        self._ticket_of: dict[int, int] = {}

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if self._pool is None:
            return
        if kind is None:
            self._pool.shutdown(wait=True)
            return
        # A failure or an interrupt: stop the workers now instead of letting
        # them finish laying out pages nobody will use.
        for process in self._processes().values():
            process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _processes(self) -> dict[int, BaseProcess]:
        """The pool's worker processes by pid (the executor does not publish them)."""
        return dict(getattr(self._pool, "_processes", None) or {})

    def run(self, work: list[tuple[Job, Path]]) -> Iterator[tuple[int | None, tuple[str, ...]]]:
        """Lay out ``work``; yields each job's outcome, in job order.

        With ``jobs = N`` this process lays out jobs too, beside N - 1 workers: it
        has the libraries, the theme and the fonts loaded already, and would
        otherwise wait idle while a worker paid to load them again.
        """
        if self.jobs == 1 or len(work) < 2:
            for job, target in work:
                yield run_job(self.context, job, target)
            return
        pool = self._start_pool()
        shared = _Shared(len(work))
        # The first job is submitted from this thread: the pool starts its worker
        # in submit(), and the worker must be tied to a thread that outlives it.
        first = shared.claim()
        assert first is not None
        in_flight = {self._submit(pool, work, first): first}
        feeder = threading.Thread(
            target=self._feed, args=(pool, work, shared, in_flight), daemon=True
        )
        feeder.start()
        try:
            while (index := shared.claim()) is not None:
                job, target = work[index]
                shared.done(index, run_job(self.context, job, target))
                yield from shared.ready()
            feeder.join()
        finally:
            shared.stop()
        if shared.failure is not None:
            raise shared.failure
        yield from shared.ready()

    def _start_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = get_context("spawn")
            self._slots = context.RawArray(ctypes.c_int64, _SLOTS)
            # spawn, not fork: WeasyPrint and its font libraries are not fork-safe.
            # Workers are started in submit(), by the thread running the build,
            # which lives until the pool is shut down: PR_SET_PDEATHSIG (set in
            # _worker_init) fires when the starting *thread* ends, so it cannot
            # fire early. No max_tasks_per_child: with it the executor's own
            # thread would start replacement workers.
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs - 1,
                mp_context=context,
                initializer=_worker_init,
                initargs=(self.context, os.getpid(), self._slots),
            )
        return self._pool

    def _submit(
        self, pool: ProcessPoolExecutor, work: list[tuple[Job, Path]], index: int
    ) -> Future[tuple[int | None, tuple[str, ...]]]:
        slots = self._slots
        assert slots is not None
        job, target = work[index]
        ticket = self._tickets % _SLOTS
        self._tickets += 1
        slots[ticket] = 0
        self._ticket_of[index] = ticket
        return pool.submit(_worker_run, ticket, job, target)

    def _feed(
        self,
        pool: ProcessPoolExecutor,
        work: list[tuple[Job, Path]],
        shared: _Shared,
        in_flight: dict[Future[tuple[int | None, tuple[str, ...]]], int],
    ) -> None:
        """Keep the workers busy: each finished job makes room for the next one."""
        try:
            while True:
                while len(in_flight) < self.jobs - 1 and (index := shared.claim()) is not None:
                    in_flight[self._submit(pool, work, index)] = index
                if not in_flight:
                    break
                finished, _pending = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    shared.done(in_flight.pop(future), future.result())
        except BrokenProcessPool:
            # A worker was killed (the OOM killer, SIGKILL): the pool is unusable
            # and the executor's message and traceback say nothing a trainer can act on.
            indexes = sorted(in_flight.values())
            waiting = work[indexes[0] if indexes else 0][0]
            shared.fail(
                self._stopped(
                    [work[i][0] for i in indexes], [self._ticket_of[i] for i in indexes], waiting
                )
            )
        except BaseException as exc:  # handed to the build's thread
            shared.fail(exc)

    def _stopped(self, jobs: list[Job], tickets: list[int], waiting: Job) -> BuildError:
        """The error for a pool broken by a worker that died, naming what it was building."""
        assert self._slots is not None
        slots = self._slots
        running = [(job, slots[t]) for job, t in zip(jobs, tickets, strict=True) if slots[t] > 0]
        processes = self._processes()
        # The executor sends SIGTERM to the other workers once one has died;
        # the one that died first is the one that did not end by SIGTERM.
        culprit, code = (running[0][0] if running else waiting), None
        for job, pid in running:
            status = _exit_status(processes.get(pid))
            if status is not None and status != -signal.SIGTERM:
                culprit, code = job, status
                break
        what = f"{culprit.inservice_id} ({culprit.shown})"
        if code is None or code == -signal.SIGKILL:
            return BuildError(
                f"the worker building {what} was stopped by the system, probably for lack of"
                " memory; earlier outputs are unchanged. Free some memory or lay out fewer"
                " in-services at once (-j 1), then build again"
            )
        return BuildError(
            f"the worker building {what} stopped unexpectedly ({exit_reason(code)});"
            " earlier outputs are unchanged"
        )


class _Shared:
    """Which jobs are claimed and which outcomes are in, between the build's thread
    (laying out jobs itself) and the thread feeding the workers."""

    def __init__(self, count: int) -> None:
        self._lock = threading.Lock()
        self._next = 0
        self._count = count
        self._outcomes: dict[int, tuple[int | None, tuple[str, ...]]] = {}
        self._yielded = 0
        self.failure: BaseException | None = None

    def claim(self) -> int | None:
        with self._lock:
            if self._next >= self._count or self.failure is not None:
                return None
            self._next += 1
            return self._next - 1

    def done(self, index: int, outcome: tuple[int | None, tuple[str, ...]]) -> None:
        with self._lock:
            self._outcomes[index] = outcome

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self.failure is None:
                self.failure = exc

    def stop(self) -> None:
        """No more claims (the build's thread failed or is done)."""
        with self._lock:
            self._next = self._count

    def ready(self) -> Iterator[tuple[int | None, tuple[str, ...]]]:
        """The outcomes that are in, in job order, up to the first still missing."""
        while True:
            with self._lock:
                outcome = self._outcomes.pop(self._yielded, None)
                if outcome is None:
                    return
                self._yielded += 1
            yield outcome


def _exit_status(process: BaseProcess | None) -> int | None:
    """The exit code of a pool worker that has ended or is ending; None if unknown."""
    if process is None:
        return None
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        code = process.exitcode
        if code is not None:
            return code
        process.join(0.05)
    return None
