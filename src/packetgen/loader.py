"""load: spec file → validated :class:`Packet`, or one SpecError listing every problem."""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ._sources import Loc, SourceDoc, SourceProblems, dotted, parse
from .errors import Problem, SpecError, utf8_problem
from .markdown import MAX_MARKDOWN_CHARS
from .spec import ITEM_KINDS, Packet, item_fields

__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES_TOTAL",
    "MAX_INSERVICES",
    "MAX_ITEMS",
    "MAX_MARKDOWN_CHARS",
    "MAX_SPEC_BYTES",
    "MAX_TEXT_CHARS",
    "check_path",
    "load_packet",
]

MAX_SPEC_BYTES = 1024 * 1024
"""Specs are hand-written; anything bigger is a mistake or an attack."""
MAX_INSERVICES = 100
"""In-services in one packet (each becomes a binder)."""
MAX_ITEMS = 2000
"""Items in one packet, all in-services together."""
MAX_FILES = 200
"""Items with a ``file:`` (handouts and slides) in one packet."""
MAX_FILE_BYTES_TOTAL = 1024**3
"""Bytes of all the files a packet names, together (1 GiB)."""
MAX_TEXT_CHARS = 2000
"""One plain-text field (title, source, access…); Markdown fields have MAX_MARKDOWN_CHARS."""

_MARKDOWN_FIELDS = ("summary", "description", "excerpt")

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
            what = (
                "is a folder"
                if path.is_dir()
                else "is not a regular file"
                if path.exists()
                else "does not exist"
            )
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
        raise SpecError([utf8_problem(raw, exc, name, "save the file as UTF-8")]) from None
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
    limits = _check_limits(doc, name)
    if limits:
        # Past a count limit, validating every entry would itself be the attack.
        raise SpecError(_sorted(limits))
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


def _check_limits(doc: SourceDoc, name: str) -> list[Problem]:
    """Counts and lengths a hand-written packet never comes near."""
    problems: list[Problem] = []

    def too_long(loc: Loc, value: Any, limit: int, what: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            problems.append(
                _at(
                    doc,
                    name,
                    loc,
                    dotted(loc),
                    f"the {what} is {len(value):,} characters long; at most {limit:,} are allowed",
                )
            )

    def fields(mapping: dict[str, Any], loc: Loc) -> None:
        for key, value in mapping.items():
            if key in _MARKDOWN_FIELDS:
                too_long((*loc, key), value, MAX_MARKDOWN_CHARS, "text")
            elif key not in ("url", "file", "items", "inservices", "where_to_watch"):
                too_long((*loc, key), value, MAX_TEXT_CHARS, "text")

    data = doc.data
    fields(data, ())
    inservices = data.get("inservices")
    inservices = inservices if isinstance(inservices, list) else []
    if len(inservices) > MAX_INSERVICES:
        problems.append(
            _at(
                doc,
                name,
                ("inservices",),
                "inservices",
                f"the packet has {len(inservices):,} in-services; at most {MAX_INSERVICES}"
                " are allowed (split it into several packets)",
            )
        )
        return problems
    items = 0
    files = 0
    for i, inservice in enumerate(inservices):
        if not isinstance(inservice, dict):
            continue
        fields(inservice, ("inservices", i))
        entries = inservice.get("items")
        for j, item in enumerate(entries if isinstance(entries, list) else []):
            items += 1
            if isinstance(item, dict):
                fields(item, ("inservices", i, "items", j))
                files += isinstance(item.get("file"), str)
    for count, limit, what in ((items, MAX_ITEMS, "items"), (files, MAX_FILES, "files")):
        if count > limit:
            problems.append(
                _at(
                    doc,
                    name,
                    ("inservices",),
                    "inservices",
                    f"the packet has {count:,} {what}; at most {limit:,} are allowed"
                    " (split it into several packets)",
                )
            )
    return problems


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
    if len(loc) == 4 and loc[0] == "inservices" and loc[2] == "items":
        item = _value_at(doc, loc)
        kind = item.get("kind") if isinstance(item, dict) else None
        return item_fields(kind if isinstance(kind, str) else "")
    model: Any = Packet
    for part in loc:
        if isinstance(part, int):
            continue
        field_info = getattr(model, "model_fields", {}).get(part)
        if field_info is None:
            return ()
        model = _model_in(field_info.annotation)
        if model is None:
            return ()
    return tuple(getattr(model, "model_fields", ()))


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside ``X | None``, ``list[X]`` or ``Annotated[X, …]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    origin = getattr(annotation, "__origin__", None)
    return _model_in(origin) if origin is not None and origin is not annotation else None


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
        where = (
            "item"
            if len(loc) == 5 and loc[2] == "items"
            else "in-service"
            if len(loc) == 3 and loc[0] == "inservices"
            else "packet"
            if len(loc) == 1
            else dotted(loc[:-1])
        )
        section = (
            f"for this {where}"
            if len(loc) in (1, 3, 5) and where in ("item", "in-service", "packet")
            else f"in {where}"
        )
        message = f"unknown field {key!r} {section}{hint}"
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
    sizes: dict[Path, int] = {}
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
                else:
                    target = (root / file).resolve()
                    with contextlib.suppress(OSError):
                        sizes[target] = target.stat().st_size
                        total = sum(sizes.values())
                        if total > MAX_FILE_BYTES_TOTAL and total - sizes[target] <= (
                            MAX_FILE_BYTES_TOTAL
                        ):
                            problems.append(
                                _at(
                                    doc,
                                    name,
                                    (*loc, "file"),
                                    dotted((*loc, "file")),
                                    f"with this file the packet's files add up to {total:,}"
                                    f" bytes; at most {MAX_FILE_BYTES_TOTAL:,} bytes (1 GiB)"
                                    " are allowed in one packet",
                                )
                            )
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
    for i, inservice in enumerate(inservices if isinstance(inservices, list) else []):
        if isinstance(inservice, dict):
            problems.extend(_check_kit_files(doc, name, root, i, inservice))
    return problems


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
        message = check_path(root, signature)
        if message is None:
            with (root / signature).open("rb") as handle:
                head = handle.read(8)
            if not head.startswith(_IMAGE_MAGIC):
                message = (
                    "expected a PNG or JPEG image of the signature, found another kind of"
                    f" file: {signature!r}"
                )
        if message:
            problems.append(_at(doc, name, loc, dotted(loc), message))
    attendees = inservice.get("attendees")
    if isinstance(attendees, str) and attendees:
        loc = ("inservices", index, "attendees")
        message = check_path(root, attendees)
        if message:
            problems.append(_at(doc, name, loc, dotted(loc), message))
        else:
            from .attendees import read_attendees

            try:
                read_attendees(root / attendees, shown=str(Path(name).parent / attendees))
            except SpecError as exc:
                problems.extend(exc.problems)
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


def _resolve_or_self(path: Path) -> Path:
    try:
        return path.resolve()
    except RuntimeError:  # a symbolic link loop: judged (and refused) below
        return path


def _inside(root: Path, path: Path) -> bool:
    return path == root or path.is_relative_to(root)
