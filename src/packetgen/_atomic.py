"""Atomic writes: a failed build never leaves a half-written or missing output."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import BuildError


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Read once at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise BuildError(f"cannot write to {folder}: {exc.strerror}") from None
    os.close(fd)
    os.chmod(name, 0o666 & ~_UMASK)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        raise BuildError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: Path, text: str) -> None:
    write_bytes_atomic(target, text.encode("utf-8"))


class Staging:
    """Outputs written as temporary files beside their targets and renamed together.

    A build stages every output first and renames them all only when every one
    has been produced, so a failed or interrupted build leaves the previous
    outputs as they were, no temporary files behind, and no output folder it
    had to create.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._pending: list[tuple[Path, Path]] = []
        self._scratch: list[Path] = []
        self._renamed: dict[Path, Path] = {}
        self._created_dir = False

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def path_for(self, name: str) -> Path:
        """A fresh temporary path that :meth:`commit` will rename to ``out_dir/name``."""
        tmp = self._temp(name)
        self._pending.append((tmp, self.out_dir / name))
        return tmp

    def scratch(self, name: str) -> Path:
        """A temporary path for an intermediate file, removed when the build ends."""
        tmp = self._temp(name)
        self._scratch.append(tmp)
        return tmp

    def _temp(self, name: str) -> Path:
        try:
            if not self.out_dir.is_dir():
                self.out_dir.mkdir(parents=True)
                self._created_dir = True
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.out_dir)
        except OSError as exc:
            raise BuildError(f"cannot write to {self.out_dir}: {exc.strerror}") from None
        os.close(fd)
        # mkstemp makes the file private; outputs get the usual permissions.
        os.chmod(tmp, 0o666 & ~_UMASK)
        return Path(tmp)

    def commit(self) -> None:
        """Rename every staged output into place."""
        try:
            while self._pending:
                tmp, target = self._pending[0]
                os.replace(tmp, target)
                self._renamed[tmp] = target
                self._pending.pop(0)
        except OSError as exc:
            raise BuildError(f"cannot write {self.out_dir}: {exc.strerror}") from None
        self._created_dir = False

    def where(self, path: Path) -> Path:
        """Where a staged file is now (its output path once committed)."""
        return self._renamed.get(path, path)

    def discard(self) -> None:
        """Remove what was not committed (and scratch files)."""
        for tmp in [*(tmp for tmp, _target in self._pending), *self._scratch]:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._pending.clear()
        self._scratch.clear()
        if self._created_dir:
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()
            self._created_dir = False
