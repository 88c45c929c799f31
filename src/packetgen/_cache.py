"""The on-disk build cache: outputs keyed by everything that goes into them.

A trainer rebuilds a packet dozens of times while editing one item. Each
in-service's outputs are stored under a key made from its part of the spec,
the packet-wide settings, its link numbers, the bytes of its files, the theme
and packetgen's version; a rebuild whose key is unchanged copies the stored
bytes instead of laying out pages again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CACHE_DIR_NAME", "BuildCache", "digest"]

CACHE_DIR_NAME = ".packetgen-cache"


def digest(*parts: str | bytes) -> str:
    """A stable hex key for ``parts`` (length-prefixed so parts cannot run together)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


@dataclass
class BuildCache:
    """Entries live in ``folder/<key[:2]>/<key>/``: a ``meta.json`` and the output files."""

    folder: Path | None
    """None disables the cache (``--no-cache``)."""
    _pending: list[tuple[str, dict[str, Any], dict[str, Path]]] = field(default_factory=list)

    def _entry(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / key

    def get(self, key: str) -> tuple[dict[str, Any], Path] | None:
        """The stored metadata and the entry's folder, or None."""
        if self.folder is None:
            return None
        entry = self._entry(key)
        try:
            meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        files = meta.get("files", [])
        if not isinstance(meta, dict) or not all((entry / name).is_file() for name in files):
            return None
        return meta, entry

    def put(self, key: str, meta: dict[str, Any], files: dict[str, Path]) -> None:
        """Remember to store ``files`` (name → path) with ``meta`` at :meth:`flush`.

        Nothing is written before the build has succeeded, so a failed build
        leaves no cache folder behind in an output folder it did not create.
        """
        if self.folder is not None:
            self._pending.append((key, meta, files))

    def flush(self, where: Callable[[Path], Path] = lambda path: path) -> None:
        """Write the remembered entries; ``where`` says where each file is now."""
        pending, self._pending = self._pending, []
        for key, meta, files in pending:
            self._write(key, meta, {name: where(path) for name, path in files.items()})

    def _write(self, key: str, meta: dict[str, Any], files: dict[str, Path]) -> None:
        """Store copies of ``files``; failures only cost speed next time."""
        assert self.folder is not None
        entry = self._entry(key)
        with contextlib.suppress(OSError):
            entry.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
            try:
                for name, source in files.items():
                    shutil.copyfile(source, staging / name)
                record = dict(meta, files=sorted(files))
                (staging / "meta.json").write_text(json.dumps(record), encoding="utf-8")
                if entry.exists():
                    shutil.rmtree(entry)
                os.replace(staging, entry)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def get_json(self, key: str) -> Any:
        """A small JSON value stored with :meth:`put_json`, or None."""
        found = self.get(key)
        return found[0].get("value") if found is not None else None

    def put_json(self, key: str, value: Any) -> None:
        self.put(key, {"value": value}, {})

    def discard(self) -> None:
        self._pending.clear()


def clean(out_dir: Path) -> bool:
    """Remove the cache of ``out_dir``; True when there was one."""
    folder = out_dir / CACHE_DIR_NAME
    if not folder.is_dir():
        return False
    shutil.rmtree(folder)
    return True
