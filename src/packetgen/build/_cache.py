"""The on-disk build cache: outputs keyed by everything that goes into them.

A trainer rebuilds a packet dozens of times while editing one item. Each
in-service's outputs are stored under a key made from its part of the spec,
the packet-wide settings, its link numbers, the bytes of its files, the theme
and packetgen's version; a rebuild whose key is unchanged copies the stored
bytes instead of laying out pages again.

The cache is verified, because it lives in the output folder and output
folders travel: a packet shared together with its ``out/`` folder must not
decide what the recipient prints. Every entry carries an HMAC-SHA256 made with
a key that never leaves the user's own cache folder
(``$XDG_CACHE_HOME/packetgen/cache-key``, mode 0600); an entry is used only
when its HMAC and the SHA-256 of each stored file check out, and the copy
handed to the build is the very bytes that were checked. Anything else — an
edited file, a record made with someone else's key, a malformed record, a
symbolic link — is a cache miss: the output is laid out again and the user is
told. Nothing is read or written outside the cache folder: names come from
the key (64 hex digits), never from a record, and symbolic links, hard links,
FIFOs and devices are refused, not followed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packetgen.build._cache_key import OPEN_FLAGS as _OPEN_FLAGS
from packetgen.build._cache_key import key_path, load_key

__all__ = ["CACHE_DIR_NAME", "BuildCache", "clean", "digest", "key_path"]

CACHE_DIR_NAME = ".packetgen-cache"

_FORMAT = b"packetgen-cache 2"
"""First words of every record; a record of another format is a plain miss."""
_RECORD = "record"
_MAX_RECORD = 16 * 1024 * 1024
"""A record holds metadata (page counts, warnings, the links found in handouts)."""
_CHUNK = 1024 * 1024

_HEX64 = re.compile(r"[0-9a-f]{64}")
_FILE_NAME = re.compile(r"[a-z]{1,32}")


def digest(*parts: str | bytes) -> str:
    """A stable hex key for ``parts`` (length-prefixed so parts cannot run together)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


# ---------------------------------------------------------------- the cache


def _real_dir(path: Path) -> bool | None:
    """True: a folder (not a link to one); None: nothing there; False: anything else."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode)


class _Mismatch(Exception):
    """An entry that is there but does not verify: rebuilt, and the user is told."""


@dataclass
class BuildCache:
    """Entries live in ``folder/<key[:2]>/<key>/``: a ``record`` and the stored files.

    A record is three parts: ``packetgen-cache 2 <key id>`` on the first line,
    the HMAC on the second, then the body, JSON ``{"meta": …, "files": {name:
    {"size": …, "sha256": …}}}``. The HMAC covers the format, the entry's key
    and the body, so an entry cannot be moved under another key either.
    """

    folder: Path | None
    """None disables the cache (``--no-cache``)."""
    secret: bytes | None = None
    """The user's key (see :func:`key_path`); None disables the cache."""
    notes: list[str] = field(default_factory=list)
    """What the user should be told: entries that did not verify, a cache that is off."""
    _pending: list[tuple[str, dict[str, Any], dict[str, Path]]] = field(default_factory=list)
    _told_foreign: bool = False

    @classmethod
    def open(cls, folder: Path) -> BuildCache:
        """The cache in ``folder`` with the user's key; off, with a note, without one."""
        if _real_dir(folder) is False:
            # Following a link would read and write wherever it points.
            note = (
                f"the build cache {folder} is not a folder (a symbolic link?), so it was not used"
            )
            return cls(None, None, [note])
        secret, problem = load_key()
        cache = cls(folder if secret is not None else None, secret)
        if problem is not None:
            cache.notes.append(problem)
        return cache

    @property
    def enabled(self) -> bool:
        return self.folder is not None and self.secret is not None

    def _key_id(self) -> bytes:
        assert self.secret is not None
        return hmac.new(self.secret, b"packetgen cache key id", "sha256").hexdigest()[:32].encode()

    def _mac(self, key: str, body: bytes) -> bytes:
        assert self.secret is not None
        message = _FORMAT + b"\n" + key.encode("ascii") + b"\n" + body
        return hmac.new(self.secret, message, "sha256").hexdigest().encode("ascii")

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # ------------------------------------------------------------ reading

    def get(self, key: str, what: str, into: Path | None = None) -> dict[str, Any] | None:
        """The stored metadata, with the stored ``output`` file copied into ``into``.

        None on a miss. The file is checked as it is copied (the bytes used
        are the bytes checked), so after a mismatch ``into`` holds a partial
        or altered copy: the build lays the output out again over it.
        ``what`` names the output in the note about an entry that did not
        verify. Raises OSError only when writing ``into`` fails.
        """
        if not self.enabled or not _HEX64.fullmatch(key):
            return None
        assert self.folder is not None
        entry = self.folder / key[:2] / key
        try:
            found = self._verified(key, entry, ["output"] if into is not None else [])
            if found is None:
                return None
            meta, files = found
            if into is not None:
                name, (size, sha256) = next(iter(files.items()))
                _copy_checked(entry / name, into, size, sha256)
        except _Mismatch:
            self._note(f"the cached copy of {what} did not match its checksum and was rebuilt")
            return None
        return meta

    def _verified(
        self, key: str, entry: Path, names: list[str]
    ) -> tuple[dict[str, Any], dict[str, tuple[int, str]]] | None:
        """The record of ``entry`` if it verifies; None when there is none."""
        assert self.folder is not None
        for folder in (self.folder, entry.parent, entry):
            kind = _real_dir(folder)
            if kind is None:
                return None
            if not kind:
                raise _Mismatch
        try:
            raw = _read_regular(entry / _RECORD, _MAX_RECORD)
        except FileNotFoundError:
            return None  # an entry of an older packetgen, or one being written
        except OSError:
            raise _Mismatch from None
        head, _, rest = raw.partition(b"\n")
        mac, _, body = rest.partition(b"\n")
        words = head.split(b" ")
        if head.startswith(b"packetgen-cache ") and not head.startswith(_FORMAT + b" "):
            return None  # another format: not ours to judge
        if len(words) != 3 or b" ".join(words[:2]) != _FORMAT:
            raise _Mismatch
        if not hmac.compare_digest(words[2], self._key_id()):
            if not self._told_foreign:
                self._told_foreign = True
                self.notes.append(
                    f"the build cache in {self.folder} was made by another user, on another"
                    " computer or with a cache key since deleted, so it was not used; its"
                    " outputs were laid out again"
                )
            return None
        if not hmac.compare_digest(mac, self._mac(key, body)):
            raise _Mismatch
        return _parse_body(body, names)

    def get_json(self, key: str, what: str) -> Any:
        """A small JSON value stored with :meth:`put_json`, or None."""
        found = self.get(key, what)
        return found.get("value") if found is not None else None

    # ------------------------------------------------------------ writing

    def put(self, key: str, meta: dict[str, Any], files: dict[str, Path]) -> None:
        """Remember to store ``files`` (name → path) with ``meta`` at :meth:`flush`.

        Nothing is written before the build has succeeded, so a failed build
        leaves no cache folder behind in an output folder it did not create.
        """
        if self.enabled and _HEX64.fullmatch(key) and all(map(_FILE_NAME.fullmatch, files)):
            self._pending.append((key, meta, files))

    def put_json(self, key: str, value: Any) -> None:
        self.put(key, {"value": value}, {})

    def flush(self, where: Callable[[Path], Path] = lambda path: path) -> None:
        """Write the remembered entries; ``where`` says where each file is now."""
        pending, self._pending = self._pending, []
        for key, meta, files in pending:
            self._write(key, meta, {name: where(path) for name, path in files.items()})

    def _write(self, key: str, meta: dict[str, Any], files: dict[str, Path]) -> None:
        """Store copies of ``files``; failures only cost speed next time."""
        assert self.folder is not None
        entry = self.folder / key[:2] / key
        with contextlib.suppress(OSError):
            if not _make_real_dir(self.folder, replace=False) or not _make_real_dir(
                entry.parent, replace=True
            ):
                return
            staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
            try:
                stored = {
                    name: _copy_hashed(source, staging / name) for name, source in files.items()
                }
                body = json.dumps(
                    {
                        "meta": meta,
                        "files": {n: {"size": s, "sha256": h} for n, (s, h) in stored.items()},
                    },
                    sort_keys=True,
                ).encode("utf-8")
                record = b"%s %s\n%s\n%s" % (_FORMAT, self._key_id(), self._mac(key, body), body)
                (staging / _RECORD).write_bytes(record)
                _remove(entry)
                os.replace(staging, entry)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def discard(self) -> None:
        self._pending.clear()


def _parse_body(body: bytes, names: list[str]) -> tuple[dict[str, Any], dict[str, tuple[int, str]]]:
    """The metadata and stored files of a record's body, checked for shape."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        raise _Mismatch from None
    if not isinstance(data, dict) or set(data) != {"meta", "files"}:
        raise _Mismatch
    meta, files = data["meta"], data["files"]
    if not isinstance(meta, dict) or not isinstance(files, dict) or sorted(files) != sorted(names):
        raise _Mismatch
    checked: dict[str, tuple[int, str]] = {}
    for name, info in files.items():
        if not isinstance(info, dict) or set(info) != {"size", "sha256"}:
            raise _Mismatch
        size, sha256 = info["size"], info["sha256"]
        if type(size) is not int or size < 0 or not isinstance(sha256, str):
            raise _Mismatch
        if not _HEX64.fullmatch(sha256) or not _FILE_NAME.fullmatch(name):
            raise _Mismatch
        checked[name] = (size, sha256)
    return meta, checked


def _open_regular(path: Path) -> int:
    """A descriptor of ``path``, which must be a regular file with one name."""
    fd = os.open(path, _OPEN_FLAGS)
    info = os.fstat(fd)
    # One link only: a hard link would let the cache stand for a file elsewhere.
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise _Mismatch
    return fd


def _read_regular(path: Path, limit: int) -> bytes:
    fd = _open_regular(path)
    try:
        if os.fstat(fd).st_size > limit:
            raise _Mismatch
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _Mismatch
    return data


def _copy_checked(source: Path, target: Path, size: int, sha256: str) -> None:
    """Copy ``source`` into ``target`` while hashing it; _Mismatch unless it is as recorded.

    Hashing the bytes as they are copied means the bytes used are the bytes
    checked: a file swapped after a separate check could not slip through.
    """
    try:
        fd = _open_regular(source)
    except OSError:
        raise _Mismatch from None
    h = hashlib.sha256()
    copied = 0
    with os.fdopen(fd, "rb") as stream, target.open("wb") as out:
        if os.fstat(fd).st_size != size:
            raise _Mismatch
        while copied <= size:
            try:
                chunk = stream.read(min(_CHUNK, size + 1 - copied))
            except OSError:
                raise _Mismatch from None
            if not chunk:
                break
            h.update(chunk)
            copied += len(chunk)
            out.write(chunk)
    if copied != size or not hmac.compare_digest(h.hexdigest(), sha256):
        raise _Mismatch


def _copy_hashed(source: Path, target: Path) -> tuple[int, str]:
    """Copy ``source`` to ``target``; the size and SHA-256 of what was written."""
    h = hashlib.sha256()
    size = 0
    with source.open("rb") as stream, target.open("xb") as out:
        while chunk := stream.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return size, h.hexdigest()


def _make_real_dir(path: Path, *, replace: bool) -> bool:
    """Make sure ``path`` is a folder, not a link to one; False when it cannot be."""
    kind = _real_dir(path)
    if kind:
        return True
    if kind is False:
        if not replace:
            return False
        _remove(path)
    path.mkdir()
    return True


def _remove(path: Path) -> None:
    """Remove whatever is at ``path`` without following a link."""
    kind = _real_dir(path)
    if kind:
        shutil.rmtree(path)
    elif kind is False:
        path.unlink()


def clean(out_dir: Path) -> bool:
    """Remove the cache of ``out_dir``; True when there was one."""
    folder = out_dir / CACHE_DIR_NAME
    kind = _real_dir(folder)
    if kind:
        shutil.rmtree(folder)
        return True
    if kind is False and folder.is_symlink():
        folder.unlink()  # the link, not the folder it points to (rmtree refuses links)
        return True
    return False
