"""Atomic writes: a failed build never leaves a half-written or missing output.

Every way of writing an output here turns an ``OSError`` into a
:class:`~packetgen.errors.BuildError` naming the output as the user knows it
(``out/packet.pdf``, not ``out/.packet.pdf.k3j2.tmp``); a full disk is said
plainly (:func:`write_failed`), so that any caller writing through this module
gets the same message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from packetgen.errors import BuildError

__all__ = [
    "Staging",
    "atomic_path",
    "disk_full",
    "write_bytes_atomic",
    "write_failed",
    "write_text_atomic",
]


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Read once at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = _read_umask()

# ENOSPC: the file system is full; EDQUOT: the user's quota on it is (the user
# sees the same thing: no room left). EDQUOT does not exist on Windows.
_NO_ROOM = {errno.ENOSPC} | ({errno.EDQUOT} if hasattr(errno, "EDQUOT") else set())


def disk_full(exc: BaseException) -> bool:
    """True when ``exc`` says there is no room left on the disk (or in the quota)."""
    return isinstance(exc, OSError) and exc.errno in _NO_ROOM


def write_failed(exc: OSError, target: os.PathLike[str] | str, *, into: bool = False) -> BuildError:
    """The error to raise when writing ``target`` failed with ``exc``.

    ``into``: ``target`` is a folder being written to, not a file.
    """
    where = f"to {target}" if into else str(target)
    if disk_full(exc):
        return BuildError(
            f"the disk is full while writing {where}; free some space and build again"
        )
    return BuildError(f"cannot write {where}: {exc.strerror or exc}")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise write_failed(exc, folder, into=True) from None
    os.close(fd)
    os.chmod(name, 0o666 & ~_UMASK)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        raise write_failed(exc, target) from None
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

    Write staged files with :meth:`write_bytes`: a failure names the output
    (``out/packet.pdf``) and a full disk says so. A caller that writes them its
    own way still gets a :class:`~packetgen.errors.BuildError` instead of an
    ``OSError`` when the write fails inside ``with Staging(…)`` (see
    :meth:`__exit__`).
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._pending: list[tuple[Path, Path]] = []
        self._scratch: list[Path] = []
        self._renamed: dict[Path, Path] = {}
        self._names: dict[Path, Path] = {}
        self._removals: list[Path] = []
        self._created_dir = False

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()
        if isinstance(exc, OSError):
            # A write the caller made itself (``path.write_bytes``) failed. An
            # error from open() names the file; one from write() does not, and
            # then the output folder is the most we can say.
            staged = self._names.get(Path(exc.filename)) if exc.filename else None
            if staged is not None:
                raise write_failed(exc, staged) from None
            if disk_full(exc):
                raise write_failed(exc, self.out_dir, into=True) from None

    def path_for(self, name: str) -> Path:
        """A fresh temporary path that :meth:`commit` will rename to ``out_dir/name``."""
        tmp = self._temp(name)
        self._pending.append((tmp, self.out_dir / name))
        return tmp

    def folder_for(self, name: str, files: dict[str, bytes]) -> None:
        """Stage a folder ``out_dir/name`` holding ``files`` (by ``/``-separated path).

        At :meth:`commit` it replaces the folder of that name, whatever it held:
        a file removed from ``files`` does not linger from an earlier build.
        """
        tmp = self._temp_folder(name)
        for relative, data in sorted(files.items()):
            target = tmp.joinpath(*relative.split("/"))
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise write_failed(exc, self.out_dir / name) from None
            self._names[target] = self.out_dir / name / relative
            self.write_bytes(target, data)
        self._pending.append((tmp, self.out_dir / name))

    def remove_folder(self, name: str) -> None:
        """At :meth:`commit`, remove the folder ``out_dir/name`` an earlier build
        wrote and this one does not (a folder only: a link or a file is left alone)."""
        self._removals.append(self.out_dir / name)

    def _temp_folder(self, name: str) -> Path:
        try:
            if not self.out_dir.is_dir():
                self.out_dir.mkdir(parents=True)
                self._created_dir = True
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=self.out_dir))
        except OSError as exc:
            raise write_failed(exc, self.out_dir, into=True) from None
        os.chmod(tmp, 0o777 & ~_UMASK)
        self._names[tmp] = self.out_dir / name
        return tmp

    def scratch(self, name: str) -> Path:
        """A temporary path for an intermediate file, removed when the build ends."""
        tmp = self._temp(name)
        self._scratch.append(tmp)
        return tmp

    def name_of(self, tmp: Path) -> Path:
        """The output a temporary path stands for (``out/packet.pdf``), for messages."""
        return self._names.get(tmp, tmp)

    def write_bytes(self, tmp: Path, data: bytes) -> None:
        """Write ``data`` into a staged or scratch path; failures name the output."""
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise write_failed(exc, self.name_of(tmp)) from None

    def _temp(self, name: str) -> Path:
        try:
            if not self.out_dir.is_dir():
                self.out_dir.mkdir(parents=True)
                self._created_dir = True
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.out_dir)
        except OSError as exc:
            raise write_failed(exc, self.out_dir, into=True) from None
        os.close(fd)
        # mkstemp makes the file private; outputs get the usual permissions.
        os.chmod(tmp, 0o666 & ~_UMASK)
        self._names[Path(tmp)] = self.out_dir / name
        return Path(tmp)

    def commit(self) -> None:
        """Rename every staged output into place."""
        try:
            while self._pending:
                tmp, target = self._pending[0]
                if tmp.is_dir() and target.is_dir() and not target.is_symlink():
                    # A folder cannot be renamed over a folder that holds files:
                    # move the old one aside, put the new one in, then remove the old.
                    aside = f".{target.name}.old."
                    old = Path(tempfile.mkdtemp(prefix=aside, suffix=".tmp", dir=self.out_dir))
                    os.replace(target, old / target.name)
                    os.replace(tmp, target)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    os.replace(tmp, target)
                self._renamed[tmp] = target
                self._pending.pop(0)
            while self._removals:
                target = self._removals.pop(0)
                if target.is_dir() and not target.is_symlink():
                    # Renamed aside first: the output name is gone at once, even
                    # if removing every file inside it fails halfway.
                    aside = f".{target.name}.old."
                    old = Path(tempfile.mkdtemp(prefix=aside, suffix=".tmp", dir=self.out_dir))
                    os.replace(target, old / target.name)
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            raise write_failed(exc, self.out_dir) from None
        self._created_dir = False

    def where(self, path: Path) -> Path:
        """Where a staged file is now (its output path once committed)."""
        return self._renamed.get(path, path)

    def discard(self) -> None:
        """Remove what was not committed (and scratch files)."""
        for tmp in [*(tmp for tmp, _target in self._pending), *self._scratch]:
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)
                continue
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._pending.clear()
        self._scratch.clear()
        if self._created_dir:
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()
            self._created_dir = False
