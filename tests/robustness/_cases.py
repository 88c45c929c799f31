"""Functions the robustness cases run in isolated workers (importable, light imports)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any


def add(a: int, b: int) -> int:
    return a + b


def spin() -> None:
    while True:
        pass


def sleep_then_return(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def hog(size: int) -> int:
    return len(bytearray(size))


def raise_handout_error() -> None:
    from packetgen.errors import HandoutError

    raise HandoutError("handouts/faq.pdf", "the file is damaged", item="FAQ")


def raise_located_handout_error() -> None:
    from packetgen.errors import HandoutError

    raise HandoutError.located(
        "handouts/faq.pdf",
        "the file is damaged",
        item="FAQ",
        spec="packet.yaml",
        line=12,
        column=15,
        field="inservices[0].items[2].file",
    )


def raise_spec_error() -> None:
    from packetgen.errors import Problem, SpecError

    raise SpecError(
        [
            Problem("packet.yaml", 3, 5, "title", "expected text"),
            Problem("packet.yaml", 9, 7, "inservices[0].id", "expected a short name"),
        ]
    )


def raise_key_error() -> None:
    raise KeyError("/srv/uploads/secret/packet.yaml")


def exit_abruptly() -> None:
    os._exit(3)


def spawn_sleeper_and_spin(pid_file: str) -> None:
    """Start a grandchild in the worker's process group, then hang."""
    import subprocess

    child = subprocess.Popen(["sleep", "300"])
    Path(pid_file).write_text(str(child.pid))
    while True:
        time.sleep(0.05)


def report(messages: list[str]) -> str:
    from packetgen.support._isolation import report_progress

    for message in messages:
        report_progress(message)
    return "reported"


def build(spec: Path, out: Path, **options: Any) -> Any:
    from packetgen.build.pipeline import build as run

    options.setdefault("cache", False)
    return run(spec, out, **options)


def load(spec: Path) -> Any:
    from packetgen.spec.loader import load_packet

    return load_packet(spec)


def open_handout(path: Path, **options: Any) -> tuple[int, list[str]]:
    from packetgen.handouts.open import open_handout as run

    opened = run(path, item=options.pop("item", "Handout"), **options)
    return len(opened.pages), opened.warnings


def describe_process(variable: str) -> dict[str, Any]:
    """What a worker sees of its process: ids, inherited state, loaded modules."""
    import resource

    from packetgen.support import _atomic

    print("worker output", flush=True)
    print("worker warning", file=sys.stderr, flush=True)
    umask = os.umask(0)
    os.umask(umask)
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "pgid": os.getpgid(0),
        "env": os.environ.get(variable),
        "cwd": os.getcwd(),
        "umask": umask,
        "atomic_umask": _atomic._UMASK,
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
        "address_space": resource.getrlimit(resource.RLIMIT_AS),
        "modules": sorted(sys.modules),
    }
