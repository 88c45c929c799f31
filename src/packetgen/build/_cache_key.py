"""The build cache's key: 32 random bytes made on first use and kept in the user's
own cache folder (``$XDG_CACHE_HOME/packetgen/cache-key``, mode 0600), refused
when it is a link, someone else's, readable by others or damaged.

Every cache entry carries an HMAC made with it (see :mod:`packetgen.build._cache`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from pathlib import Path

__all__ = ["KEY_BYTES", "OPEN_FLAGS", "key_path", "load_key"]

KEY_BYTES = 32

# Opened files must be regular files reached without a symbolic link; O_NONBLOCK
# so that a FIFO planted in the cache does not block open() (it is then refused
# by the S_ISREG check). Neither flag exists on Windows.
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
)


def key_path() -> Path:
    """Where the user's cache key lives: ``$XDG_CACHE_HOME/packetgen/cache-key``.

    ``~/.cache`` when ``XDG_CACHE_HOME`` is unset or not absolute (as the XDG
    specification says), ``%LOCALAPPDATA%`` on Windows. Raises RuntimeError
    when there is no home folder.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(base):
        root = Path(base)
    elif sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        root = Path(os.environ["LOCALAPPDATA"])
    else:
        root = Path.home() / ".cache"
    return root / "packetgen" / "cache-key"


class _Untrusted(Exception):
    """The key file exists but is not one this user alone can have written."""


def load_key() -> tuple[bytes | None, str | None]:
    """The user's cache key, made on first use; or None and why the cache is off."""
    try:
        path = key_path()
    except RuntimeError:
        return None, (
            "the build cache is off: there is no home folder to keep its key in;"
            " set XDG_CACHE_HOME to a folder of yours"
        )
    for _attempt in range(2):
        try:
            return _read_key(path), None
        except FileNotFoundError:
            pass
        except _Untrusted as exc:
            return None, (
                f"the build cache is off: its key {path} {exc}; delete it and build again"
                " to make a new one"
            )
        except OSError as exc:
            return None, f"the build cache is off: cannot read its key {path}: {exc.strerror}"
        try:
            _create_key(path)
        except OSError as exc:
            return None, (
                f"the build cache is off: cannot create its key in {path.parent}"
                f" ({exc.strerror}); set XDG_CACHE_HOME to a folder you can write"
            )
    return None, f"the build cache is off: its key {path} keeps disappearing"


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Untrusted("is a symbolic link") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Untrusted("is not a regular file")
        if sys.platform != "win32":
            # Someone else's key (or one others can read) lets them forge entries.
            if info.st_uid != os.geteuid():
                raise _Untrusted("belongs to another user")
            if info.st_mode & 0o077:
                raise _Untrusted("can be read or changed by other users")
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise _Untrusted("is damaged")
    return data


def _create_key(path: Path) -> None:
    """Write a fresh random key, readable by this user only; never replace one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.parent / f".cache-key.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags | getattr(os, "O_BINARY", 0), 0o600)
    try:
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # A hard link publishes the finished key and fails if another build
            # made one meanwhile (then both use that one).
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:
            if not path.exists():  # a file system without hard links
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
