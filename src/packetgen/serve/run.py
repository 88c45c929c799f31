"""The blocking entry points for the CLI: ``packetgen serve`` and ``packetgen edit``.

Each starts its server, says where it is, and serves until Ctrl-C or SIGTERM;
the server is stopped (and its temporary folders removed) either way.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from packetgen.errors import ServerError
from packetgen.serve.edit import YAML_ONLY, EditorServer
from packetgen.serve.server import EventCallback, PreviewServer

__all__ = ["edit", "editor_spec", "run_until_interrupted", "serve"]

logger = logging.getLogger(__name__)


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


def editor_spec(spec: Path) -> tuple[Path, bool]:
    """The spec file to edit for ``spec`` (a file or a folder), and whether the
    ``init`` starter was written for it (a folder, or a packet.yaml, not there yet)."""
    from packetgen.spec.starter import write_starter

    spec = Path(spec)
    if spec.suffix.lower() in (".json", ".toml"):
        raise ServerError(YAML_ONLY.format(spec=spec))
    if spec.is_dir() or (not spec.exists() and not spec.suffix):
        for name in ("packet.yaml", "packet.yml"):
            if (spec / name).is_file():
                return spec / name, False
        for name in ("packet.json", "packet.toml"):
            if (spec / name).is_file():
                raise ServerError(YAML_ONLY.format(spec=spec / name))
        return write_starter(spec), True
    if not spec.exists():
        if spec.name == "packet.yaml":
            return write_starter(spec.parent), True
        raise ServerError(
            f"{spec} does not exist; give a packet.yaml, or a folder to start a new packet in"
        )
    if spec.suffix.lower() not in (".yaml", ".yml"):
        raise ServerError(YAML_ONLY.format(spec=spec))
    return spec, False


def edit(
    spec: Path,
    *,
    port: int = 0,
    open_browser: bool = True,
    fetch: bool = False,
    on_event: EventCallback | None = None,
    timeout: float | None = None,
    max_memory: int | None = None,
) -> None:
    """Edit ``spec`` (a packet.yaml, or a folder) in the browser until Ctrl-C (or SIGTERM).

    The first line given to ``on_event`` is the editor's address; then one
    line per event (the starter written, saves, builds). A folder without a
    spec gets the ``init`` starter first.
    """
    path, started = editor_spec(Path(spec))
    lock = threading.Lock()
    pending: list[str] | None = []

    def say(line: str) -> None:
        # Until the address is out, events wait: it must be the first line.
        with lock:
            if pending is not None:
                pending.append(line)
                return
        if on_event is not None:
            on_event(line)

    if started:
        say(f"Wrote the starter packet {path}: every change you save goes into this file.")
    server = EditorServer(
        path, port=port, fetch=fetch, on_event=say, timeout=timeout, max_memory=max_memory
    )

    def announce() -> str:
        nonlocal pending
        with lock:
            lines, pending = pending or [], None
        if on_event is not None:
            on_event(server.editor_url)
            for line in lines:
                on_event(line)
            on_event(
                f"Editing {path} in your browser: open the address above."
                " Press Ctrl-C here to stop."
            )
        logger.info("editing %s at %s", path, server.url)
        return server.editor_url

    run_until_interrupted(server, announce, open_browser=open_browser)
