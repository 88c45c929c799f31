"""The files a spec names (handouts, translations, a theme folder, a signature,
an attendee list): inside the packet folder, there, of the right kind, and
within the packet's total size. A name that differs from the one on disk only
by Unicode normalisation is put into the data as the disk spells it.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import itertools
import os
import unicodedata
from pathlib import Path
from typing import Any

from packetgen.errors import Problem, SpecError
from packetgen.spec._sources import Loc, SourceDoc
from packetgen.spec.limits import MAX_FILE_BYTES_TOTAL
from packetgen.spec.problems import field_problem

__all__ = ["BUILTIN_THEMES", "check_files", "check_path"]

BUILTIN_THEMES = ("default", "ink-saver", "large-print")


def check_files(doc: SourceDoc, name: str, folder: Path) -> list[Problem]:
    problems: list[Problem] = []
    root = folder.resolve()
    sizes: dict[Path, int] = {}
    inservices = doc.data.get("inservices")
    owners: list[tuple[Any, Loc]] = [(doc.data, ())]
    owners += [(s, ("inservices", i)) for i, s in enumerate(_listed(inservices))]
    for owner, at in owners:
        theme = owner.get("theme") if isinstance(owner, dict) else None
        if isinstance(theme, str) and theme not in BUILTIN_THEMES:
            message = _find(owner, "theme", root, want_dir=True)
            if message:
                message += f" (or use a built-in theme: {', '.join(BUILTIN_THEMES)})"
                problems.append(field_problem(doc, name, (*at, "theme"), message))
    for i, inservice in enumerate(inservices if isinstance(inservices, list) else []):
        items = inservice.get("items") if isinstance(inservice, dict) else None
        for j, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            loc: Loc = ("inservices", i, "items", j)
            # A translation's file is merged like the item's own: the same checks.
            holders: list[tuple[dict[str, Any], Loc]] = [(item, loc)]
            translations = item.get("translations")
            holders += [
                (t, (*loc, "translations", k))
                for k, t in enumerate(_listed(translations))
                if isinstance(t, dict)
            ]
            for holder, at in holders:
                problems.extend(_check_file(doc, name, root, holder, at, sizes))
            env = item.get("password_env")
            if isinstance(env, str) and env and env not in os.environ:
                problems.append(
                    field_problem(
                        doc,
                        name,
                        (*loc, "password_env"),
                        f"the environment variable {env} is not set; set it to the PDF's password"
                        f" before building (e.g. export {env}=…)",
                    )
                )
    for i, inservice in enumerate(inservices if isinstance(inservices, list) else []):
        if isinstance(inservice, dict):
            problems.extend(_check_kit_files(doc, name, root, i, inservice))
    return problems


def _check_file(
    doc: SourceDoc, name: str, root: Path, holder: dict[str, Any], loc: Loc, sizes: dict[Path, int]
) -> list[Problem]:
    """The ``file`` of an item or a translation: inside the folder, there, and within
    the packet's total size (``sizes`` gathers every file's size so far)."""
    file = holder.get("file")
    if not isinstance(file, str) or not file:
        return []
    at: Loc = (*loc, "file")
    message = _find(holder, "file", root)
    if message:
        return [field_problem(doc, name, at, message)]
    target = (root / holder["file"]).resolve()
    with contextlib.suppress(OSError):
        sizes[target] = target.stat().st_size
        total = sum(sizes.values())
        if total > MAX_FILE_BYTES_TOTAL and total - sizes[target] <= MAX_FILE_BYTES_TOTAL:
            return [
                field_problem(
                    doc,
                    name,
                    at,
                    f"with this file the packet's files add up to {total:,}"
                    f" bytes; at most {MAX_FILE_BYTES_TOTAL:,} bytes (1 GiB)"
                    " are allowed in one packet",
                )
            ]
    return []


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def _check_kit_files(
    doc: SourceDoc, name: str, root: Path, index: int, inservice: dict[str, Any]
) -> list[Problem]:
    """The certificate's signature image and the attendee CSV of one in-service."""
    problems: list[Problem] = []
    certificate = inservice.get("certificate")
    signature = certificate.get("signature") if isinstance(certificate, dict) else None
    if isinstance(signature, str) and signature:
        loc: Loc = ("inservices", index, "certificate", "signature")
        assert isinstance(certificate, dict)  # signature came from it
        message = _find(certificate, "signature", root)
        if message is None:
            signature = certificate["signature"]
            with (root / signature).open("rb") as handle:
                head = handle.read(8)
            if not head.startswith(_IMAGE_MAGIC):
                message = (
                    "expected a PNG or JPEG image of the signature, found another kind of"
                    f" file: {signature!r}"
                )
        if message:
            problems.append(field_problem(doc, name, loc, message))
    attendees = inservice.get("attendees")
    if isinstance(attendees, str) and attendees:
        loc = ("inservices", index, "attendees")
        message = _find(inservice, "attendees", root)
        if message:
            problems.append(field_problem(doc, name, loc, message))
        else:
            attendees = inservice["attendees"]
            from packetgen.spec.attendees import read_attendees

            try:
                read_attendees(root / attendees, shown=str(Path(name).parent / attendees))
            except SpecError as exc:
                problems.extend(exc.problems)
    return problems


def _find(mapping: dict[str, Any], key: str, root: Path, *, want_dir: bool = False) -> str | None:
    """Check the path ``mapping[key]``; when the file is there under another
    Unicode normalisation, put the name as it is on disk into ``mapping``."""
    relative = mapping[key]
    message = check_path(root, relative, want_dir=want_dir)
    if message is None:
        return None
    twin = _normalisation_twin(root, relative)
    if twin is not None and check_path(root, twin, want_dir=want_dir) is None:
        mapping[key] = twin
        return None
    return message


_SCAN_LIMIT = 10_000
"""Folder entries read while looking for a name; an upload cannot make it slow."""


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def _normalisation_twin(root: Path, relative: str) -> str | None:
    """``relative`` spelled as on disk, when it differs only by Unicode normalisation.

    ``café`` can be stored as é (NFC, what most editors type) or as e plus a
    combining accent (NFD, what macOS file systems hand out); both look the
    same to the trainer, but to Linux they are different names.
    """
    current = root
    spelled: list[str] = []
    changed = False
    for part in relative.split("/"):
        if part not in ("", ".", "..") and not os.path.lexists(current / part):
            want = _nfc(part)
            try:
                with os.scandir(current) as entries:
                    names = [e.name for e in itertools.islice(entries, _SCAN_LIMIT)]
            except OSError:
                return None
            matches = [n for n in names if _nfc(n) == want]
            if len(matches) != 1:
                return None
            part, changed = matches[0], True
        spelled.append(part)
        current = current / part
    return "/".join(spelled) if changed else None


def _show(relative: str) -> str:
    """A path in quotes as the trainer typed it: repr would double a backslash."""
    if relative.isprintable() and "'" not in relative:
        return f"'{relative}'"
    return repr(relative)


def check_path(root: Path, relative: str, *, want_dir: bool = False) -> str | None:
    """Why ``relative`` is not a usable path inside ``root``, or None when it is.

    Messages mention only the path as the trainer wrote it, never the absolute
    location on the machine (which may be a server's). A name that differs
    from the file on disk only by Unicode normalisation is not usable as
    written (the loader puts the disk's spelling into the packet instead).
    """
    posix = relative.replace("\\", "/")
    if (
        Path(relative).is_absolute()
        or posix.startswith("/")
        or (len(posix) > 1 and posix[1] == ":")
    ):
        return (
            f"expected a path inside the packet folder, found the absolute path {relative!r};"
            " copy the file into the packet folder and give its relative path"
        )
    if "\x00" in relative:
        return "expected a path, found a NUL character"
    control = next((ch for ch in relative if unicodedata.category(ch) in ("Cc", "Cs")), None)
    if control is not None:
        # A file name with a line break or an escape in it would end up in
        # messages and logs; no trainer's file is named like that.
        return (
            f"expected a path, found the control character U+{ord(control):04X} in"
            f" {relative!r}; rename the file and give its plain name"
        )
    try:
        return _check_on_disk(root, relative, posix, want_dir=want_dir)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return f"the path {_clip(relative)} is too long; use shorter folder and file names"
        return f"{_clip(relative)} cannot be used: {exc.strerror or type(exc).__name__}"


def _clip(relative: str) -> str:
    return repr(relative) if len(relative) <= 80 else repr(relative[:77] + "...")


def _check_on_disk(root: Path, relative: str, posix: str, *, want_dir: bool) -> str | None:
    target = root / relative
    if ".." in Path(posix).parts and not _inside(root, _resolve_or_self(target)):
        return (
            f"expected a path inside the packet folder, found {relative!r}, which leads outside it;"
            " copy the file into the packet folder"
        )
    try:
        resolved = target.resolve(strict=False)
    except (OSError, RuntimeError):
        return f"{relative!r} cannot be resolved (a symbolic link loop?)"
    if not _inside(root, resolved):
        return (
            f"{relative!r} is a symbolic link to a file outside the packet folder;"
            " copy the file itself into the packet folder"
        )
    if not resolved.exists():
        return _not_found(root, relative)
    if want_dir:
        if not resolved.is_dir():
            return f"expected a folder, found a file: {relative!r}"
        return None
    if not resolved.is_file():
        what = "a folder" if resolved.is_dir() else "not a regular file"
        return f"expected a regular file, found {what}: {relative!r}"
    return None


def _not_found(root: Path, relative: str) -> str:
    missing = f"file not found: {_show(relative)}"
    if "\\" in relative:
        # On Linux and macOS a backslash is part of a name, not a separator.
        return f"{missing}; use / between folders: {relative.replace(chr(92), '/')}"
    if _normalisation_twin(root, relative) is not None:
        return (
            f"{missing}; a file with the same name is there, but its accented letters are"
            " stored differently (as macOS does); rename the file by typing its name again"
        )
    hint = ""
    target = root / relative
    parent = target.parent
    if parent.is_dir():
        siblings = {_nfc(e.name): e.name for e in itertools.islice(parent.iterdir(), _SCAN_LIMIT)}
        match = difflib.get_close_matches(_nfc(target.name), list(siblings), n=1, cutoff=0.6)
        if match:
            shown = str(Path(relative).parent / siblings[match[0]]).removeprefix("./")
            hint = f"; did you mean {_show(shown)}?"
    return f"{missing} (paths are relative to the spec's folder){hint}"


def _resolve_or_self(path: Path) -> Path:
    try:
        return path.resolve()
    except RuntimeError:  # a symbolic link loop: judged (and refused) below
        return path


def _inside(root: Path, path: Path) -> bool:
    return path == root or path.is_relative_to(root)
