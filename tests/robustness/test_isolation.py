"""run_isolated: results, errors, time and memory limits, and a clean process table."""

from __future__ import annotations

import contextlib
import multiprocessing.forkserver
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from packetgen.errors import BuildError, HandoutError, LimitError, Problem, SpecError
from packetgen.support import _isolation, _warm_server
from packetgen.support._isolation import GRACE_SECONDS, run_isolated

from . import _cases

SERVER = b"multiprocessing.forkserver"
"""In the command line of the warm server (and of the workers it forks)."""


def _child_pids(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found.update(int(child) for child in (task / "children").read_text().split())
    return found


def _command(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _servers() -> set[int]:
    """The warm servers this process started (workers are forked from them)."""
    return {pid for pid in _child_pids(os.getpid()) if SERVER in _command(pid)}


def _children() -> set[int]:
    """Live workers of this process: its children, and the children of its warm
    server, except the helpers that live as long as it does (multiprocessing's
    resource tracker, the warm server)."""
    keep = set()
    for pid in _child_pids(os.getpid()) | {c for s in _servers() for c in _child_pids(s)}:
        command = _command(pid)
        if command and b"resource_tracker" not in command and pid not in _servers():
            keep.add(pid)
    return keep


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture(autouse=True)
def no_leftovers() -> object:
    before = _children()
    yield
    assert _children() <= before, "a worker or its helper was left behind"


def test_isolation_result_comes_back() -> None:
    assert run_isolated(_cases.add, 2, 3, timeout=30, max_memory=None) == 5


def test_isolation_keyword_arguments_and_progress() -> None:
    seen: list[str] = []
    result = run_isolated(
        _cases.report, messages=["a", "b"], timeout=30, max_memory=None, on_progress=seen.append
    )
    assert result == "reported"
    assert seen == ["a", "b"]


def test_isolation_handout_error_keeps_class_and_fields() -> None:
    with pytest.raises(HandoutError) as info:
        run_isolated(_cases.raise_handout_error, timeout=30, max_memory=None)
    assert type(info.value) is HandoutError
    assert str(info.value) == "handouts/faq.pdf: FAQ: the file is damaged"
    assert (info.value.file, info.value.item, info.value.detail) == (
        "handouts/faq.pdf",
        "FAQ",
        "the file is damaged",
    )
    assert info.value.__traceback__ is not None  # raised here, not carried over


def test_isolation_handout_error_keeps_its_place_in_the_spec() -> None:
    with pytest.raises(HandoutError) as info:
        run_isolated(_cases.raise_located_handout_error, timeout=30, max_memory=None)
    error = info.value
    assert type(error) is HandoutError
    assert str(error) == (
        "packet.yaml:12:15: inservices[0].items[2].file: handouts/faq.pdf: FAQ: the file is damaged"
    )
    assert error.problem == Problem(
        "packet.yaml",
        12,
        15,
        "inservices[0].items[2].file",
        "handouts/faq.pdf: FAQ: the file is damaged",
    )
    assert error.handout == "handouts/faq.pdf"
    assert (error.spec, error.at_field) == (
        "packet.yaml",
        "handouts/faq.pdf: FAQ: the file is damaged",
    )


def test_isolation_spec_error_keeps_every_problem() -> None:
    with pytest.raises(SpecError) as info:
        run_isolated(_cases.raise_spec_error, timeout=30, max_memory=None)
    assert [p.line for p in info.value.problems] == [3, 9]
    assert str(info.value) == (
        "2 problems in the packet spec:\n"
        "  packet.yaml:3:5: title: expected text\n"
        "  packet.yaml:9:7: inservices[0].id: expected a short name"
    )


def test_isolation_other_errors_become_build_errors_without_traceback() -> None:
    with pytest.raises(BuildError) as info:
        run_isolated(_cases.raise_key_error, timeout=30, max_memory=None)
    assert type(info.value) is BuildError
    assert str(info.value) == (
        "the build failed unexpectedly: KeyError: '/srv/uploads/secret/packet.yaml'"
    )
    assert "Traceback" not in str(info.value)
    assert info.value.__cause__ is None


def test_isolation_infinite_loop_is_stopped_in_time() -> None:
    start = time.monotonic()
    with pytest.raises(LimitError) as info:
        run_isolated(_cases.spin, timeout=1.5, max_memory=None)
    # Generous: a loaded 2-core machine may take seconds to reap the worker.
    assert time.monotonic() - start < 1.5 + 15
    assert str(info.value).startswith("the build took longer than 1.5 s and was stopped")


def test_isolation_timeout_ends_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    start = time.monotonic()
    with pytest.raises(LimitError):
        run_isolated(_cases.spawn_sleeper_and_spin, str(pid_file), timeout=2, max_memory=None)
    assert time.monotonic() - start < 2 + GRACE_SECONDS + 15
    sleeper = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while _alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(sleeper)


def test_isolation_memory_hog_is_a_limit_error() -> None:
    limit = 512 * 1024 * 1024
    with pytest.raises(LimitError) as info:
        run_isolated(_cases.hog, 2 * limit, timeout=30, max_memory=limit)
    assert str(info.value).startswith("the build needed more than 512 MB of memory and was stopped")


def test_isolation_worker_that_dies_is_a_build_error() -> None:
    with pytest.raises(BuildError) as info:
        run_isolated(_cases.exit_abruptly, timeout=30, max_memory=None)
    assert str(info.value) == "the build's worker process stopped unexpectedly (exit status 3)"


def test_isolation_unpicklable_function_is_refused_before_starting() -> None:
    with pytest.raises(TypeError, match="must pickle"):
        run_isolated(lambda: 1, timeout=30, max_memory=None)


def test_isolation_interrupted_caller_leaves_no_worker() -> None:
    def interrupt(_message: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_isolated(
            _cases.report, messages=["x"], timeout=30, max_memory=None, on_progress=interrupt
        )


# ---------------------------------------------------------------- the warm server


def test_isolation_workers_are_forked_by_one_single_threaded_warm_server() -> None:
    first: dict[str, Any] = run_isolated(_cases.describe_process, "X", timeout=60, max_memory=None)
    second: dict[str, Any] = run_isolated(_cases.describe_process, "X", timeout=60, max_memory=None)
    server = first["ppid"]
    assert second["ppid"] == server, "every worker comes from the same server"
    assert first["pid"] != second["pid"], "a fresh process for every call"
    assert _parent(server) == os.getpid()
    assert SERVER in _command(server)
    # Forking copies only the forking thread: the server must have no other
    # (native threads included), or a lock held by one would stay held.
    assert len(os.listdir(f"/proc/{server}/task")) == 1
    # Warm: the libraries a build needs came with the fork.
    assert {"weasyprint", "pypdf", "pydantic", "packetgen.build.pipeline"} <= set(first["modules"])
    # Each worker leads its own process group (a timeout ends it with its helpers).
    assert (first["pgid"], second["pgid"]) == (first["pid"], second["pid"])
    # The process-wide fork server belongs to the application: left as it was.
    assert multiprocessing.forkserver._forkserver._preload_modules == ["__main__"]


def test_isolation_worker_takes_on_the_callers_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """A forked worker is what a process started by the caller *now* would be,
    although the server was started earlier, in another state."""
    run_isolated(_cases.add, 1, 1, timeout=60, max_memory=None)  # the server is running
    capfd.readouterr()
    monkeypatch.setenv("PACKETGEN_TEST_STATE", "now")
    monkeypatch.chdir(tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lower = min(soft, 512)
    previous_umask = os.umask(0o027)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lower, hard))
    try:
        state: dict[str, Any] = run_isolated(
            _cases.describe_process, "PACKETGEN_TEST_STATE", timeout=60, max_memory=None
        )
    finally:
        os.umask(previous_umask)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert state["env"] == "now"
    assert state["cwd"] == str(tmp_path)
    assert (state["umask"], state["atomic_umask"]) == (0o027, 0o027)
    assert state["nofile"] == (lower, hard)
    out, err = capfd.readouterr()
    assert "worker output" in out, "the worker writes where the caller's output goes now"
    assert "worker warning" in err


def test_isolation_memory_limit_applies_to_a_forked_worker() -> None:
    limit = 768 * 1024 * 1024
    state: dict[str, Any] = run_isolated(_cases.describe_process, "X", timeout=60, max_memory=limit)
    assert state["address_space"] == (limit, limit)


def test_isolation_without_the_warm_server_workers_start_fresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Elsewhere than Linux, or once the server has proved unusable."""
    fresh = _warm_server._WarmServer()
    fresh.give_up("this test")
    monkeypatch.setattr(_isolation, "_SERVER", fresh)
    state: dict[str, Any] = run_isolated(
        _cases.describe_process, "X", timeout=60, max_memory=512 * 1024 * 1024
    )
    assert state["ppid"] == os.getpid(), "a spawned child of the caller"
    assert state["pgid"] == state["pid"]
    assert "weasyprint" not in state["modules"]
    with pytest.raises(LimitError):
        run_isolated(_cases.hog, 1024 * 1024 * 1024, timeout=60, max_memory=512 * 1024 * 1024)


def test_isolation_server_running_other_code_is_refused_and_the_call_runs_fresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that imported another packetgen than the caller's (another
    sys.path) is not used: the worker refuses before running anything and the
    call runs again in a fresh process."""
    server = _warm_server._WarmServer()
    monkeypatch.setattr(_isolation, "_SERVER", server)
    monkeypatch.setattr(_warm_server, "__file__", "/elsewhere/packetgen/support/_warm_server.py")
    try:
        state: dict[str, Any] = run_isolated(
            _cases.describe_process, "X", timeout=60, max_memory=None
        )
        assert state["ppid"] == os.getpid(), "run again, in a spawned child of the caller"
        assert server.refusal is not None
        assert "/elsewhere/" in server.refusal
        # From now on, straight to a fresh process.
        assert run_isolated(_cases.add, 2, 2, timeout=60, max_memory=None) == 4
    finally:
        server._server._stop()  # this test's own server


def _tagged(tag: str) -> list[int]:
    marker = f"PACKETGEN_TEST_TAG={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def test_isolation_killed_caller_takes_the_warm_server_and_its_worker_along() -> None:
    """SIGKILL to the caller: the server sees its end of file and ends, and the
    kernel ends the worker with it (PR_SET_PDEATHSIG). The worker here is stuck
    in C code that never lets go of the GIL (a regular expression backtracking
    for ever), so its own watch thread cannot run: only the kernel can end it."""
    tag = uuid.uuid4().hex
    script = (
        "import re\n"
        "from packetgen.support._isolation import run_isolated\n"
        "run_isolated(re.fullmatch, r'(a+)+b', 'a' * 64, timeout=600, max_memory=None)\n"
    )
    caller = subprocess.Popen(
        [sys.executable, "-c", script],
        env=dict(os.environ, PACKETGEN_TEST_TAG=tag),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        worker = None
        while worker is None and time.monotonic() < deadline:
            assert caller.poll() is None
            for pid in _tagged(tag):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    if SERVER in _command(pid) and SERVER in _command(_parent(pid)):
                        worker = pid
            time.sleep(0.05)
        assert worker is not None, "the worker never started"
        caller.kill()
        caller.wait()
        deadline = time.monotonic() + 5
        while (left := _tagged(tag)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert left == [], f"still running 5 s after the caller was killed: {left}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(caller.pid, signal.SIGKILL)
        for pid in _tagged(tag):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        caller.wait()
