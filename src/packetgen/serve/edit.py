"""``packetgen edit``: a form in the browser for the packet spec, beside its live preview.

The editor is ``packetgen serve`` with more routes: the same server, build
loop and watcher (:class:`~packetgen.serve.server.PreviewServer`), a page and its
assets from the package's ``editor/`` folder, and a small JSON API the page
calls to read, check and save the spec, undo a save, add an item from a web
address, take in a dropped file and build one binder PDF. This module holds
what the editor does; :mod:`~packetgen.serve.edit_handler` answers the
requests, :mod:`~packetgen.serve.edit_check` checks a text as ``packetgen
check`` does, and :mod:`~packetgen.serve.new_items` turns a dropped file or a
pasted address into an item.

The spec stays the source of truth: a save writes ``packet.yaml`` (the
previous version kept as ``packet.yaml.bak``) changing only what changed
(:mod:`packetgen.serve._roundtrip`), and only once the new text passes the same
checks ``packetgen check`` makes; the preview rebuilds from the file.

Anything on the machine can reach 127.0.0.1, including web pages open in the
same browser, so every request needs the session's token; requests that
change something need it in a header (which a page on another site cannot
set) and the editor's own ``Origin``; a foreign ``Host`` (DNS rebinding) is
refused; nothing the browser names is used as a path.
"""

from __future__ import annotations

import datetime as _dt
import logging
import secrets
import tempfile
import threading
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import watchfiles

from packetgen.errors import BuildError, ServerError, SpecError
from packetgen.serve._roundtrip import RoundTripError, apply_data
from packetgen.serve._spec_values import to_json
from packetgen.serve.edit_check import Checked, check_text
from packetgen.serve.edit_handler import EditHandler
from packetgen.serve.handler import PreviewHandler, Refused
from packetgen.serve.new_items import keep_file, link_item, upload_item
from packetgen.serve.server import EventCallback, PreviewServer
from packetgen.spec._sources import SourceProblems, parse
from packetgen.support._atomic import write_bytes_atomic, write_text_atomic

__all__ = ["TOKEN_COOKIE", "YAML_ONLY", "EditorServer"]

logger = logging.getLogger(__name__)

TOKEN_COOKIE = "packetgen_edit"
"""The start of the session cookie's name; the port follows (``packetgen_edit_8765``), as
browsers share cookies between the ports of one host and two editors may be open."""
YAML_ONLY = (
    "{spec}: packetgen edit writes YAML only; give a .yaml spec (or a folder), or convert this"
    " one to YAML first"
)
"""The refusal of a spec that is not YAML (``{spec}`` is its path)."""


class EditorServer(PreviewServer):
    """The preview server of ``packetgen serve`` with the editor's page and API.

    >>> with EditorServer(Path("packet.yaml")) as editor:   # doctest: +SKIP
    ...     print(editor.editor_url)

    Binds 127.0.0.1 only. ``fetch`` lets "add from a web address" read the
    page's title (network access); ``timeout`` and ``max_memory`` limit each
    build, preview and PDF alike (see :class:`PreviewServer`).
    """

    def __init__(
        self,
        spec: Path,
        *,
        port: int = 0,
        fetch: bool = False,
        on_event: EventCallback | None = None,
        timeout: float | None = None,
        max_memory: int | None = None,
        debounce_ms: int = 150,
    ) -> None:
        spec = Path(spec)
        if spec.suffix.lower() not in (".yaml", ".yml"):
            raise ServerError(YAML_ONLY.format(spec=spec))
        super().__init__(
            spec,
            host="127.0.0.1",
            port=port,
            on_event=on_event,
            timeout=timeout,
            max_memory=max_memory,
            debounce_ms=debounce_ms,
        )
        self.fetch = fetch
        self.token = secrets.token_urlsafe(32)
        self.backup = self.spec.with_name(self.spec.name + ".bak")
        self._write_lock = threading.Lock()
        self._pdf_lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._work: tempfile.TemporaryDirectory[str] | None = None
        self._schema: dict[str, Any] | None = None

    # -- public API ---------------------------------------------------------

    @property
    def editor_url(self) -> str:
        """``http://127.0.0.1:<port>/edit?token=<token>``: what the trainer opens."""
        return f"{self.url}edit?token={self.token}"

    @property
    def cookie_name(self) -> str:
        """The session cookie's name, for this port."""
        return f"{TOKEN_COOKIE}_{self.address[1]}"

    @property
    def origins(self) -> frozenset[str]:
        """The ``Origin`` values the editor's own page sends."""
        _host, port = self.address
        return frozenset({f"http://127.0.0.1:{port}", f"http://localhost:{port}"})

    def start(self) -> None:
        self._work = tempfile.TemporaryDirectory(
            prefix="packetgen-edit-", ignore_cleanup_errors=True
        )
        super().start()

    def stop(self) -> None:
        super().stop()
        if self._work is not None:
            self._work.cleanup()

    def state(self) -> dict[str, Any]:
        """What GET /api/edit/state answers: the spec as text and as data, and its check."""
        text = self._read_spec()
        try:
            data = to_json(parse(text, name=self.spec.name, fmt="yaml").data)
        except SourceProblems:
            data = {}
        checked = self._check(text)
        return {
            "spec": self.spec.name,
            "folder": self._root.name,
            "schema": self._json_schema(),
            "data": data if isinstance(data, dict) else {},
            "yaml": text,
            "hours": checked.hours,
            "problems": checked.problems,
            "warnings": checked.warnings,
            "fetch": self.fetch,
            "can_undo": self.backup.is_file(),
        }

    def validate(self, data: Any) -> tuple[str, Checked]:
        """The text a save of ``data`` would write, and what the check says of it."""
        if not isinstance(data, dict):
            raise Refused(
                HTTPStatus.BAD_REQUEST, "expected the packet's fields as a JSON object in `data`"
            )
        text = self._read_spec()
        try:
            new = _with_line_ends(text, lambda t: apply_data(t, data, name=self.spec.name))
        except RoundTripError as exc:
            problem = {"field": "", "message": str(exc), "text": f"{self.spec.name}: {exc}"}
            return text, Checked([problem], [], {})
        return new, self._check(new)

    def save(self, data: Any) -> tuple[HTTPStatus, dict[str, Any]]:
        """Check ``data`` as the spec and, when it passes, write it (the old file to .bak)."""
        with self._write_lock:
            text, checked = self.validate(data)
            if checked.problems:
                body = {"ok": False, "problems": checked.problems, "warnings": checked.warnings}
                return HTTPStatus.UNPROCESSABLE_ENTITY, body
            old = self.spec.read_bytes()
            if text.encode("utf-8") != old:
                # The backup first: a failure between the two writes loses nothing.
                write_bytes_atomic(self.backup, old)
                write_text_atomic(self.spec, text)
                self._say(f"Saved {self.spec.name} (the previous version is {self.backup.name})")
            return HTTPStatus.OK, {
                "ok": True,
                "yaml": text,
                "hours": checked.hours,
                "warnings": checked.warnings,
                "problems": [],
                "can_undo": self.backup.is_file(),
                "saved_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }

    def undo(self) -> dict[str, Any]:
        """Put the .bak back; the current version becomes the .bak (undo again to redo)."""
        with self._write_lock:
            if not self.backup.is_file():
                raise Refused(HTTPStatus.CONFLICT, "there is no earlier version to go back to yet")
            earlier, current = self.backup.read_bytes(), self.spec.read_bytes()
            write_bytes_atomic(self.backup, current)
            write_bytes_atomic(self.spec, earlier)
            self._say(f"Went back to the previous {self.spec.name}")
        return self.state()

    def link(self, url: Any) -> dict[str, Any]:
        """An item for ``url``: its kind guessed as ``import`` does, a title."""
        return link_item(url, fetch=self.fetch)

    def upload(self, name: str, data: bytes) -> dict[str, Any]:
        """Keep a dropped file in ``handouts/`` and say what item it makes."""
        return upload_item(name, data, keep=self._keep)

    def build_pdf(self, inservice: str) -> bytes:
        """The binder PDF of one in-service, built now from the saved spec."""
        from packetgen.build.pipeline import build
        from packetgen.spec.loader import load_packet

        try:
            packet = load_packet(self.spec)
        except SpecError as exc:
            raise Refused(
                HTTPStatus.CONFLICT,
                f"the saved spec has problems, so no PDF can be made; fix them first:\n{exc}",
            ) from None
        if inservice not in {s.id for s in packet.inservices}:
            raise Refused(
                HTTPStatus.NOT_FOUND,
                f"there is no in-service with the id {inservice!r} in the saved spec;"
                " save your changes first",
            )
        assert self._work is not None
        out = Path(self._work.name) / "pdf"
        with self._pdf_lock:
            result = build(
                packet,
                out,
                only=[inservice],
                format="pdf",
                timeout=self.timeout,
                max_memory=self.max_memory,
            )
            target = next(
                (o.path for o in result.outputs if o.path.name == f"{inservice}.pdf"), None
            )
            if target is None:
                raise BuildError(f"the build wrote no {inservice}.pdf")
            return target.read_bytes()

    # -- inside ---------------------------------------------------------------

    def _handler_class(self) -> type[PreviewHandler]:
        return EditHandler

    def _accept_change(self, change: watchfiles.Change, path: str) -> bool:
        # The backup is written beside the spec on every save: not a change to show.
        if Path(path) == self.backup.resolve() or Path(path) == self.backup:
            return False
        return super()._accept_change(change, path)

    def _json_schema(self) -> dict[str, Any]:
        if self._schema is None:
            from packetgen.spec.schema import json_schema

            self._schema = json_schema()
        return self._schema

    def _read_spec(self) -> str:
        try:
            raw = self.spec.read_bytes()
        except OSError as exc:
            raise ServerError(f"cannot read {self.spec.name}: {exc.strerror}") from None
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ServerError(
                f"{self.spec.name} is not saved as UTF-8 text; open it in a text editor and save"
                " it as UTF-8"
            ) from None

    def _check(self, text: str) -> Checked:
        assert self._work is not None
        # One check at a time: they share what they learn about the handouts.
        with self._check_lock:
            return check_text(text, self.spec, Path(self._work.name) / "check")

    def _keep(self, name: str, data: bytes) -> str:
        with self._write_lock:
            return keep_file(self._root, name, data, say=self._say)


def _with_line_ends(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to ``text`` as if its lines ended in LF; Windows line ends kept."""
    if "\r\n" not in text:
        return change(text)
    return change(text.replace("\r\n", "\n")).replace("\n", "\r\n")
