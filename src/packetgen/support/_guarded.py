"""The one way packetgen reads a file an upload pointed it at.

Every file named by a packet or a theme (a theme's stylesheets, templates and
assets, a Markdown image, a resource WeasyPrint asks for) may be hostile: a
symbolic link to a secret elsewhere on the server, a FIFO that never answers,
a device that never ends, a sparse file of many gigabytes, bytes that are not
text. So such a file is read here, in this order:

1. its real location (symbolic links resolved) must lie inside one of the given
   folders; this is judged before anything is opened, so nothing outside is
   even probed;
2. it is opened without following a last symbolic link and without blocking,
   and the open descriptor must be a regular file;
3. its size, from ``fstat`` on that descriptor, must be within the limit
   before a byte is read;
4. it is read once, at most ``max_bytes + 1`` bytes, so a file that grows
   after the check is still caught;
5. optionally it is decoded as UTF-8, naming the line and column of the first
   bad byte.

Refusals are :class:`FileRefusedError`, one line naming the file as the
trainer knows it (relative to the packet folder, never where that folder sits
on the server), what was expected and what was found.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from packetgen.errors import BuildError
from packetgen.support._read_once import MAX_HELD_BYTES, facts_for, remember

__all__ = [
    "FileRefusedError",
    "fingerprint",
    "human_size",
    "read_bytes",
    "read_text",
    "resolve_inside",
]

# O_NONBLOCK: a FIFO put where a file was expected must not stall the build.
# O_NOFOLLOW: the path opened is already resolved; a symbolic link put there
# afterwards is refused instead of followed.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


class FileRefusedError(BuildError):
    """A file is outside its folder, not a regular file, too large, unreadable or
    not text, or a theme file breaks one of the theme rules."""

    def __init__(self, file: str, detail: str, *, reason: str, line: int | None = None) -> None:
        self.file = file
        self.detail = detail
        """The message without the file's name: ``is a folder, not a regular file``."""
        self.reason = reason
        """A few words for lists of refusals: ``outside the packet folder``."""
        self.line = line
        where = f"{file}, line {line}:" if line is not None else file
        super().__init__(f"{where} {detail}")


def human_size(size: int) -> str:
    """``3,221,225,472 bytes (3.0 GiB)``: exact for the record, rounded to read."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size:,} bytes ({size / scale:.1f} {unit})"
    return f"{size:,} bytes"


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def resolve_inside(
    path: Path, *, roots: Sequence[Path], shown: str, where: str, what: str = "file"
) -> Path:
    """``path`` with every symbolic link resolved, which must lie inside one of ``roots``.

    Nothing is opened; a path that leads outside is refused without learning
    whether it exists there.
    """
    if "\x00" in str(path):
        raise FileRefusedError(shown, "contains a NUL character", reason="no such file")
    target = Path(os.path.abspath(path))
    try:
        resolved = target.resolve(strict=False)
        real_roots = [root.resolve() for root in roots]
    except (OSError, RuntimeError):
        raise FileRefusedError(
            shown,
            "cannot be opened: its symbolic links go round in a loop",
            reason="a symbolic link loop",
        ) from None
    if _inside(resolved, real_roots):
        return resolved
    # Told apart because they are fixed differently.
    if _inside(target, [Path(os.path.abspath(root)) for root in roots] + real_roots):
        detail = (
            f"is a symbolic link to a {what} outside {where}; packetgen reads only what is"
            f" inside, so copy the {what} itself there"
        )
    else:
        detail = f"leads outside {where}; copy the {what} into it and refer to that copy"
    raise FileRefusedError(shown, detail, reason=f"outside {where}")


@contextmanager
def _opened(
    path: Path,
    *,
    roots: Sequence[Path],
    shown: str,
    where: str,
    max_bytes: int | None,
    limit: str,
    advice: str,
) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    resolved = resolve_inside(path, roots=roots, shown=shown, where=where)
    try:
        fd = os.open(resolved, _OPEN_FLAGS)
    except FileNotFoundError:
        raise FileRefusedError(shown, f"was not found in {where}", reason="no such file") from None
    except OSError as exc:
        raise FileRefusedError(
            shown, f"cannot be read ({exc.strerror or type(exc).__name__})", reason="cannot be read"
        ) from None
    try:
        # Judged on the descriptor, before a file object exists (which refuses
        # folders with its own, less helpful, error).
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefusedError(
                shown, f"is {_kind(info.st_mode)}, not a regular file", reason="not a regular file"
            )
        if max_bytes is not None and info.st_size > max_bytes:
            raise FileRefusedError(
                shown,
                f"is {human_size(info.st_size)}, more than the limit of {limit}{advice}",
                reason=f"larger than {limit}",
            )
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle, info


def read_bytes(
    path: Path,
    *,
    roots: Sequence[Path],
    shown: str,
    max_bytes: int,
    limit: str,
    where: str = "the packet folder",
    advice: str = "",
) -> bytes:
    """The bytes of ``path``, a regular file inside one of ``roots``, at most ``max_bytes``.

    ``shown`` names the file in messages; ``limit`` is ``max_bytes`` for people
    (``"10 MiB"``); ``where`` names the folders for people (``"the packet
    folder"``); ``advice`` ends the too-large message (``"; make it smaller"``).
    """
    with _opened(
        path,
        roots=roots,
        shown=shown,
        where=where,
        max_bytes=max_bytes,
        limit=limit,
        advice=advice,
    ) as (handle, _info):
        try:
            body = handle.read(max_bytes + 1)
        except OSError as exc:
            raise FileRefusedError(
                shown,
                f"cannot be read ({exc.strerror or type(exc).__name__})",
                reason="cannot be read",
            ) from None
    if len(body) > max_bytes:
        raise FileRefusedError(
            shown,
            f"grew past the limit of {limit} while it was being read{advice}",
            reason=f"larger than {limit}",
        )
    return body


def read_text(
    path: Path,
    *,
    roots: Sequence[Path],
    shown: str,
    max_bytes: int,
    limit: str,
    where: str = "the packet folder",
    advice: str = "",
) -> str:
    """Like :func:`read_bytes`, decoded as UTF-8 (a leading byte-order mark is dropped)."""
    raw = read_bytes(
        path, roots=roots, shown=shown, max_bytes=max_bytes, limit=limit, where=where, advice=advice
    )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FileRefusedError(
            shown,
            f"is not UTF-8 text: found the byte 0x{raw[exc.start]:02x} on line {line},"
            f" column {column}; save it as UTF-8 text",
            reason="not UTF-8 text",
        ) from None
    return text.removeprefix("\ufeff")


def fingerprint(path: Path, *, roots: Sequence[Path], max_bytes: int | None = None) -> str:
    """A cache-key part for a file, found without trusting it.

    The SHA-256 of its bytes, read in blocks (constant memory), when it is a
    regular file inside ``roots`` of at most ``max_bytes``; otherwise a few
    words saying why not (``refused: larger than …``) without reading it: the
    build refuses such a file later with a proper message.
    """
    known = facts_for(path)
    if known is not None and known.guarded:
        return known.digest
    try:
        with _opened(
            path,
            roots=roots,
            shown=str(path),
            where="its folder",
            max_bytes=max_bytes,
            limit=str(max_bytes),
            advice="",
        ) as (handle, info):
            digest = hashlib.sha256()
            left = info.st_size if max_bytes is None else max_bytes + 1
            # Kept (within the build's read_once) for the scan that opens the
            # file next: one read serves the cache key and the handout.
            blocks: list[bytes] | None = [] if info.st_size <= MAX_HELD_BYTES else None
            while left > 0:
                block = handle.read(min(left, 1024 * 1024))
                if not block:
                    break
                digest.update(block)
                if blocks is not None:
                    blocks.append(block)
                left -= len(block)
            found = f"sha256:{digest.hexdigest()}"
            if blocks is not None:
                remember(path, info, b"".join(blocks), guarded=True, digest=found)
            return found
    except FileRefusedError as exc:
        return f"refused: {exc.reason}"
    except OSError as exc:
        return f"refused: {exc.strerror or type(exc).__name__}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something else"
