"""load: spec file → validated :class:`Packet`, or one SpecError listing every problem."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ._sources import Loc, SourceDoc, SourceProblems, dotted, parse
from .errors import Problem, SpecError
from .spec import ITEM_KINDS, InService, Packet, item_fields

__all__ = ["MAX_SPEC_BYTES", "load_packet"]

MAX_SPEC_BYTES = 1024 * 1024
"""Specs are hand-written; anything bigger is a mistake or an attack."""

_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
BUILTIN_THEMES = ("default", "ink-saver", "large-print")


def load_packet(path: str | os.PathLike[str]) -> Packet:
    """Read, parse and validate a packet spec.

    Raises :class:`SpecError` listing every problem found, each located as
    ``file:line:col: field: message``.
    """
    spec_path = Path(path)
    name = str(path)
    text = _read_text(spec_path, name)
    fmt = _FORMATS.get(spec_path.suffix.lower(), "yaml")
    try:
        doc = parse(text, name=name, fmt=fmt)
    except SourceProblems as exc:
        raise SpecError(exc.problems) from None
    return validate(doc, name=name, folder=spec_path.parent, source=spec_path)


def _read_text(path: Path, name: str) -> str:
    try:
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise SpecError([Problem(name, None, None, "", f"cannot read the spec: it {what}")])
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise SpecError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        "",
                        f"the file is {size:,} bytes; a packet spec may be at most"
                        f" {MAX_SPEC_BYTES:,} bytes (1 MiB)",
                    )
                ]
            )
        raw = path.read_bytes()[: MAX_SPEC_BYTES + 1]
    except OSError as exc:
        raise SpecError(
            [Problem(name, None, None, "", f"cannot read the spec: {exc.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            [
                Problem(
                    name,
                    line,
                    col,
                    "",
                    f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x};"
                    " save the file as UTF-8",
                )
            ]
        ) from None
    if "\x00" in text:
        raise SpecError([Problem(name, None, None, "", "expected a text file, found binary data")])
    if not text.strip():
        raise SpecError(
            [
                Problem(
                    name,
                    1,
                    1,
                    "",
                    "the file is empty; expected a packet with a title and inservices",
                )
            ]
        )
    return text


def validate(doc: SourceDoc, *, name: str, folder: Path, source: Path | None) -> Packet:
    """Validate parsed data against the spec models and the packet folder."""
    problems: list[Problem] = []
    if not isinstance(doc.data, dict):
        raise SpecError(
            [
                _at(
                    doc,
                    name,
                    (),
                    "",
                    "expected a mapping of fields (title:, inservices: …),"
                    f" found {_kind_of(doc.data)}",
                )
            ]
        )
    packet: Packet | None = None
    try:
        packet = Packet.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(_translate(doc, name, err) for err in exc.errors() if _keep(err))
    problems.extend(_duplicate_ids(doc, name))
    problems.extend(_check_files(doc, name, folder))
    if problems:
        raise SpecError(_sorted(problems))
    assert packet is not None
    packet._source = source
    packet._positions = dict(doc.positions)
    return packet


def _keep(err: ErrorDetails) -> bool:
    return err["type"] != "duplicate_id"


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0))


def _at(
    doc: SourceDoc, name: str, loc: Loc, field: str, message: str, *, key: bool = False
) -> Problem:
    pos = None
    if key:
        pos = doc.key_positions.get(loc)
    for cut in range(len(loc), -1, -1):
        if pos is not None:
            break
        pos = doc.positions.get(loc[:cut])
    line, col = pos if pos is not None else (None, None)
    return Problem(name, line, col, field, message)


def _data_loc(doc: SourceDoc, loc: tuple[Any, ...]) -> Loc:
    """Drop the union tag pydantic inserts after a list index (items[2].article.url)."""
    out: list[str | int] = []
    node: Any = doc.data
    for part in loc:
        if (
            isinstance(node, dict)
            and isinstance(part, str)
            and part not in node
            and node.get("kind") == part
            and part in ITEM_KINDS
        ):
            continue
        out.append(part)
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _value_at(doc: SourceDoc, loc: Loc) -> Any:
    node: Any = doc.data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _allowed_fields(doc: SourceDoc, loc: Loc) -> tuple[str, ...]:
    """Field names valid in the mapping at ``loc`` (for "did you mean")."""
    if not loc:
        return tuple(Packet.model_fields)
    if len(loc) == 2 and loc[0] == "inservices":
        return tuple(InService.model_fields)
    if len(loc) == 4 and loc[2] == "items":
        item = _value_at(doc, loc)
        kind = item.get("kind") if isinstance(item, dict) else None
        return item_fields(kind if isinstance(kind, str) else "")
    return ()


def _suggest(word: str, options: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if not match:
        lowered = {o.lower(): o for o in options}
        if word.lower() in lowered:
            match = [lowered[word.lower()]]
    return f"; did you mean {match[0]!r}?" if match else ""


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _found(doc: SourceDoc, loc: Loc, value: Any) -> str:
    raw = doc.raw.get(loc)
    if raw is not None and not isinstance(value, str) and value is not None:
        return (
            f"{raw} (YAML reads it as {_kind_of(value)}); put it in quotes if you meant text:"
            f" '{raw}'"
        )
    if raw is not None and value is None and raw not in ("", "~", "null", "Null", "NULL"):
        return f"{raw} (YAML reads it as nothing)"
    return _kind_of(value)


def _translate(doc: SourceDoc, name: str, err: ErrorDetails) -> Problem:
    loc = _data_loc(doc, err["loc"])
    field = dotted(loc)
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        hint = _suggest(key, _allowed_fields(doc, loc[:-1]))
        where = "item" if len(loc) == 5 else "in-service" if len(loc) == 3 else "packet"
        message = f"unknown field {key!r} for this {where}{hint}"
        if not hint:
            allowed = ", ".join(_allowed_fields(doc, loc[:-1]))
            message += f" (expected one of: {allowed})"
        return _at(doc, name, loc, field, message, key=True)
    if kind == "missing":
        return _at(doc, name, loc, field, f"required field missing; add `{loc[-1]}:`")
    if kind == "union_tag_invalid":
        found = ctx.get("tag", "")
        kinds = ", ".join(ITEM_KINDS)
        return _at(
            doc,
            name,
            (*loc, "kind"),
            f"{field}.kind",
            f"unknown kind {found!r}{_suggest(str(found), ITEM_KINDS)} (expected one of: {kinds})",
        )
    if kind == "union_tag_not_found":
        item = _value_at(doc, loc)
        if isinstance(item, dict):
            kinds = ", ".join(ITEM_KINDS)
            got = item.get("kind")
            message = (
                f"expected `kind:` to be one of {kinds}; found {_kind_of(got)}"
                if "kind" in item
                else f"required field missing; add `kind:` (one of: {kinds})"
            )
            target = (*loc, "kind") if "kind" in item else loc
            return _at(doc, name, target, f"{field}.kind", message)
        return _at(
            doc,
            name,
            loc,
            field,
            f"expected an item (a mapping with kind: and title:), found {_kind_of(item)}",
        )
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in str(expected).replace(" or ", ", ").split(",")]
        hint = _suggest(str(value), options) if isinstance(value, str) else ""
        return _at(
            doc, name, loc, field, f"expected {expected}, found {_found(doc, loc, value)}{hint}"
        )
    if kind in ("string_type", "str_type"):
        return _at(doc, name, loc, field, f"expected text, found {_found(doc, loc, value)}")
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return _at(
            doc, name, loc, field, f"expected a whole number, found {_found(doc, loc, value)}"
        )
    if kind in ("float_type", "float_parsing"):
        return _at(doc, name, loc, field, f"expected a number, found {_found(doc, loc, value)}")
    if kind in ("bool_type", "bool_parsing"):
        return _at(
            doc, name, loc, field, f"expected true or false, found {_found(doc, loc, value)}"
        )
    if kind in ("greater_than_equal", "greater_than"):
        return _at(doc, name, loc, field, f"expected a number of 0 or more, found {value}")
    if kind == "list_type":
        return _at(doc, name, loc, field, f"expected a list, found {_found(doc, loc, value)}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _at(
            doc, name, loc, field, f"expected a mapping of fields, found {_found(doc, loc, value)}"
        )
    if kind == "too_short":
        return _at(
            doc,
            name,
            loc,
            field,
            f"expected at least one entry, found {_kind_of(value) if value else 'none'}",
        )
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        return _at(doc, name, loc, field, message)
    return _at(doc, name, loc, field, err["msg"][:1].lower() + err["msg"][1:])


def _duplicate_ids(doc: SourceDoc, name: str) -> list[Problem]:
    inservices = doc.data.get("inservices")
    if not isinstance(inservices, list):
        return []
    seen: dict[str, int] = {}
    problems = []
    for index, inservice in enumerate(inservices):
        ident = inservice.get("id") if isinstance(inservice, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in seen:
            loc: Loc = ("inservices", index, "id")
            first = doc.positions.get(("inservices", seen[ident], "id"), (None, None))[0]
            problems.append(
                _at(
                    doc,
                    name,
                    loc,
                    dotted(loc),
                    f"in-service id {ident!r} is already used by inservices[{seen[ident]}]"
                    f" (line {first}); each in-service needs its own id, it names the output files",
                )
            )
        else:
            seen[ident] = index
    return problems


def _check_files(doc: SourceDoc, name: str, folder: Path) -> list[Problem]:
    problems: list[Problem] = []
    root = folder.resolve()
    theme = doc.data.get("theme")
    if isinstance(theme, str) and theme not in BUILTIN_THEMES:
        message = check_path(root, theme, want_dir=True)
        if message:
            message += f" (or use a built-in theme: {', '.join(BUILTIN_THEMES)})"
            problems.append(_at(doc, name, ("theme",), "theme", message))
    inservices = doc.data.get("inservices")
    for i, inservice in enumerate(inservices if isinstance(inservices, list) else []):
        items = inservice.get("items") if isinstance(inservice, dict) else None
        for j, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            loc: Loc = ("inservices", i, "items", j)
            file = item.get("file")
            if isinstance(file, str) and file:
                message = check_path(root, file)
                if message:
                    problems.append(_at(doc, name, (*loc, "file"), dotted((*loc, "file")), message))
            env = item.get("password_env")
            if isinstance(env, str) and env and env not in os.environ:
                problems.append(
                    _at(
                        doc,
                        name,
                        (*loc, "password_env"),
                        dotted((*loc, "password_env")),
                        f"the environment variable {env} is not set; set it to the PDF's password"
                        f" before building (e.g. export {env}=…)",
                    )
                )
    return problems


def check_path(root: Path, relative: str, *, want_dir: bool = False) -> str | None:
    """Why ``relative`` is not a usable path inside ``root``, or None when it is.

    Messages mention only the path as the trainer wrote it, never the absolute
    location on the machine (which may be a server's).
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
    target = root / relative
    if ".." in Path(posix).parts and not _inside(root, target.resolve()):
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
        hint = ""
        parent = resolved.parent
        if parent.is_dir():
            siblings = [p.name for p in parent.iterdir()]
            match = difflib.get_close_matches(resolved.name, siblings, n=1, cutoff=0.6)
            if match:
                shown = str(Path(relative).parent / match[0]).removeprefix("./")
                hint = f"; did you mean {shown!r}?"
        return f"file not found: {relative!r} (paths are relative to the spec's folder){hint}"
    if want_dir:
        if not resolved.is_dir():
            return f"expected a folder, found a file: {relative!r}"
        return None
    if not resolved.is_file():
        what = "a folder" if resolved.is_dir() else "not a regular file"
        return f"expected a regular file, found {what}: {relative!r}"
    return None


def _inside(root: Path, path: Path) -> bool:
    return path == root or path.is_relative_to(root)
