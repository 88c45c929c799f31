"""run_isolated: results, errors, time and memory limits, and a clean process table."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from packetgen.errors import BuildError, HandoutError, LimitError, Problem, SpecError
from packetgen.support._isolation import GRACE_SECONDS, run_isolated

from . import _cases


def _children() -> set[int]:
    """Live child processes of this process, except multiprocessing's resource tracker."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(pid) for pid in text)
    keep = set()
    for pid in found:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"resource_tracker" not in command:
            keep.add(pid)
    return keep


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
