"""load: spec file → validated :class:`Packet`, or one SpecError listing every problem."""

from __future__ import annotations

import contextlib
import copy
import difflib
import errno
import itertools
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from packetgen.errors import Problem, SpecError, utf8_problem
from packetgen.spec._sources import (
    Loc,
    SourceDoc,
    SourceProblems,
    count_digits,
    dotted,
    parse,
    shallow,
)
from packetgen.spec.models import ITEM_KINDS, MAX_MINUTES, Packet, item_fields, url_problem
from packetgen.text.markdown import MAX_MARKDOWN_CHARS, links_in

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
    "packet_from_data",
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
# Fields whose Markdown links get numbered QR codes (links.collect_links) or
# are rendered as links: each link must be a usable web address.
_LINK_FIELDS = (*_MARKDOWN_FIELDS, "access", "advisory")

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


def packet_from_data(data: Mapping[str, Any], *, folder: str | os.PathLike[str]) -> Packet:
    """Validate spec data (as parsed from YAML, JSON or TOML) into a :class:`Packet`.

    Relative paths in ``data`` (handouts, images, a theme folder) resolve
    against ``folder``, and nothing outside it is read. Raises
    :class:`SpecError` listing every problem, each with its field path
    (``inservices[0].items[2].url``); ``data`` itself is not changed.
    """
    if not isinstance(data, Mapping):
        raise SpecError(
            [
                Problem(
                    _DATA_NAME,
                    None,
                    None,
                    "",
                    f"expected a mapping of fields (title, inservices, …), found {_kind_of(data)}",
                )
            ]
        )
    try:
        doc = shallow(SourceDoc(data=copy.deepcopy(dict(data))), _DATA_NAME)
    except SourceProblems as exc:
        raise SpecError(exc.problems) from None
    except RecursionError:
        raise SpecError(
            [Problem(_DATA_NAME, None, None, "", "the data is nested too deeply")]
        ) from None
    return validate(doc, name=_DATA_NAME, folder=Path(folder), source=None)


_DATA_NAME = "<data>"


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
    # Files first: a name found on disk under another Unicode normalisation is
    # rewritten to the disk's spelling before the models see it.
    problems.extend(_check_files(doc, name, folder))
    packet: Packet | None = None
    try:
        packet = Packet.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(_translate(doc, name, err) for err in exc.errors() if _keep(err))
    problems.extend(_duplicate_ids(doc, name))
    problems.extend(_check_strings(doc, name))
    problems.extend(_check_markdown_links(doc, name))
    if problems:
        raise SpecError(_sorted(problems))
    assert packet is not None
    packet._source = source
    packet._folder = folder
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
    if isinstance(value, int) and count_digits(value) > 15:
        return f"a number with {count_digits(value):,} digits"
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
    if kind in ("int_type", "int_from_float", "int_parsing", "float_type", "float_parsing"):
        whole = kind.startswith("int")
        if isinstance(value, str):
            special = _number_text(str(loc[-1]) if loc else "", value, whole=whole)
            if special is not None:
                return _at(doc, name, loc, field, special)
        if isinstance(value, int) and not isinstance(value, bool):
            # An integer beyond a float's range. Parsed specs never get here
            # (_sources refuses integers of more than 100 digits); data given
            # to validate() directly (bind_files) can.
            return _at(
                doc,
                name,
                loc,
                field,
                f"expected a number of reasonable size, found {_show_number(doc, loc, value)}",
            )
        what = "a whole number" if whole else "a number"
        return _at(doc, name, loc, field, f"expected {what}, found {_found(doc, loc, value)}")
    if kind in ("bool_type", "bool_parsing"):
        return _at(
            doc, name, loc, field, f"expected true or false, found {_found(doc, loc, value)}"
        )
    if kind == "greater_than_equal":
        least = ctx.get("ge", 0)
        return _at(
            doc,
            name,
            loc,
            field,
            f"expected a number of {least:g} or more, found {_show_number(doc, loc, value)}",
        )
    if kind == "greater_than":
        least = ctx.get("gt", 0)
        return _at(
            doc,
            name,
            loc,
            field,
            f"expected a number greater than {least:g}, found {_show_number(doc, loc, value)}",
        )
    if kind == "less_than_equal":
        return _at(doc, name, loc, field, _too_big(doc, loc, value, ctx.get("le", 0)))
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


# field name -> (unit, what to write instead); the field names are the same
# wherever they appear (an in-service's hours, a credit rule's hours).
_UNITS: dict[str, tuple[str, str]] = {
    "hours": ("hours", "give the credit hours as a number like 1.5"),
    "cap": ("hours", "give the most credit one item can earn, like 1.5"),
    "round_to": ("hours", "give a step like 0.25 for a quarter hour"),
    "minutes": ("minutes", "give the running or reading time in minutes, like 90"),
    "length_pages": ("pages", "give the number of pages"),
    "per_pages": ("pages", "give the number of pages each credit step stands for"),
    "rows": ("rows", "print a blank roster more than once if you need more rows"),
}
_HOURS_FIELDS = frozenset(k for k, (unit, _) in _UNITS.items() if unit == "hours")
_CLOCK = re.compile(r"[0-9]+(?::[0-9]+){1,2}")
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]+")
# YAML 1.1 reads 1e3 as text (it wants a point and a sign: 1.0e+3); JSON and
# YAML 1.2 read it as a number. Either way a trainer means plain digits.
_EXPONENT = re.compile(r"[-+]?[0-9]*\.?[0-9]+[eE][-+]?[0-9]+")


def _show_number(doc: SourceDoc, loc: Loc, value: Any) -> str:
    """A number as the trainer wrote it, without printing hundreds of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        digits = count_digits(value)
        if digits > 15:
            return f"a number with {digits:,} digits"
    raw = doc.raw.get(loc)
    if raw is not None and len(raw) <= 24:
        return raw
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _too_big(doc: SourceDoc, loc: Loc, value: Any, limit: Any) -> str:
    key = str(loc[-1]) if loc else ""
    unit, advice = _UNITS.get(key, ("", ""))
    if unit and limit == 1:
        unit = unit.removesuffix("s")
    most = f"{limit:,g}" if isinstance(limit, float) else f"{limit:,}"
    if key == "minutes":
        unit += f" ({MAX_MINUTES // 60} hours)"
    message = f"expected at most {most}{' ' + unit if unit else ''}, found"
    message += f" {_show_number(doc, loc, value)}"
    return f"{message}; {advice}" if advice else message


def _duration(hours: int, minutes: int, seconds: int) -> str:
    parts = [
        f"{count} {unit}{'' if count == 1 else 's'}"
        for count, unit in ((hours, "hour"), (minutes, "minute"), (seconds, "second"))
        if count
    ]
    return " ".join(parts) or "0 minutes"


def _number_text(key: str, text: str, *, whole: bool) -> str | None:
    """A message for a number field given a time or a decimal comma, or None.

    YAML 1.1 would read ``1:30`` as 90 (base 60); the source layer keeps it as
    the text it is, and here the trainer learns which number to write.
    """
    written = text.strip()
    unit, _ = _UNITS.get(key, ("", ""))
    expected = "a whole number" if whole else "a number"
    if unit:
        expected += f" of {unit}"
    if _CLOCK.fullmatch(written):
        numbers = [int(part) for part in written.split(":")]
        shape = "hours:minutes" if len(numbers) == 2 else "hours:minutes:seconds"
        found = f"expected {expected}, found {written} ({shape})"
        if any(n >= 60 for n in numbers[1:]):
            return f"{found}; write the time as a single number"
        hours, minutes, seconds = (*numbers, 0)[:3]
        total = hours * 60 + minutes + seconds / 60
        said = _duration(hours, minutes, seconds)
        if key in _HOURS_FIELDS:
            return f"{found}; write {round(total / 60, 2):g} for {said}"
        if key == "minutes":
            return f"{found}; write {round(total)} for {said}"
        return f"{found}; write the time as a single number"
    if _EXPONENT.fullmatch(written):
        return f"expected {expected}, found {written}; write the number in plain digits, like 1.5"
    if _DECIMAL_COMMA.fullmatch(written):
        if not whole:
            dotted_ = written.replace(",", ".")
            return f"expected {expected}, found {written}; use a point for decimals: {dotted_}"
        if len(written.partition(",")[2]) == 3:
            plain = written.replace(",", "")
            return f"expected {expected}, found {written}; write it without the comma: {plain}"
    return None


def _check_markdown_links(doc: SourceDoc, name: str) -> list[Problem]:
    """Links inside Markdown get QR codes too: the same checks as ``url:``."""
    problems: list[Problem] = []

    def fields(mapping: Any, loc: Loc) -> None:
        if not isinstance(mapping, dict):
            return
        for key in _LINK_FIELDS:
            text = mapping.get(key)
            if not isinstance(text, str) or len(text) > MAX_MARKDOWN_CHARS:
                continue
            for url in links_in(text):
                problem = url_problem(url)
                if problem is not None:
                    shown = url if len(url) <= 80 else url[:77] + "..."
                    where = (*loc, key)
                    problems.append(
                        _at(doc, name, where, dotted(where), f"the link {shown}: {problem}")
                    )

    fields(doc.data, ())
    inservices = doc.data.get("inservices")
    for i, inservice in enumerate(inservices if isinstance(inservices, list) else []):
        fields(inservice, ("inservices", i))
        items = inservice.get("items") if isinstance(inservice, dict) else None
        for j, item in enumerate(items if isinstance(items, list) else []):
            fields(item, ("inservices", i, "items", j))
    return problems


def _check_strings(doc: SourceDoc, name: str) -> list[Problem]:
    """``strings:`` may only reword texts packetgen prints: a misspelt name would
    otherwise change nothing, silently."""
    given = doc.data.get("strings")
    if not isinstance(given, dict) or not given:
        return []
    from packetgen.text.i18n import (
        printed_texts,  # Babel reads the catalog only for specs that reword
    )

    texts = printed_texts()
    problems = []
    for key in given:
        if not isinstance(key, str) or key in texts or key in texts.values():
            continue
        loc: Loc = ("strings", key)
        hint = _suggest(key, [*texts, *texts.values()])
        problems.append(
            _at(
                doc,
                name,
                loc,
                dotted(loc),
                f"packetgen prints no text called {key!r}{hint} (give a text's short name,"
                ' like registration_required, or its English words, like "Registration'
                ' required"; docs/strings.md lists them)',
                key=True,
            )
        )
    return problems


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
    inservices = doc.data.get("inservices")
    owners: list[tuple[Any, Loc]] = [(doc.data, ())]
    owners += [(s, ("inservices", i)) for i, s in enumerate(_listed(inservices))]
    for owner, at in owners:
        theme = owner.get("theme") if isinstance(owner, dict) else None
        if isinstance(theme, str) and theme not in BUILTIN_THEMES:
            message = _find(owner, "theme", root, want_dir=True)
            if message:
                message += f" (or use a built-in theme: {', '.join(BUILTIN_THEMES)})"
                problems.append(_at(doc, name, (*at, "theme"), dotted((*at, "theme")), message))
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
        return [_at(doc, name, at, dotted(at), message)]
    target = (root / holder["file"]).resolve()
    with contextlib.suppress(OSError):
        sizes[target] = target.stat().st_size
        total = sum(sizes.values())
        if total > MAX_FILE_BYTES_TOTAL and total - sizes[target] <= MAX_FILE_BYTES_TOTAL:
            return [
                _at(
                    doc,
                    name,
                    at,
                    dotted(at),
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
            problems.append(_at(doc, name, loc, dotted(loc), message))
    attendees = inservice.get("attendees")
    if isinstance(attendees, str) and attendees:
        loc = ("inservices", index, "attendees")
        message = _find(inservice, "attendees", root)
        if message:
            problems.append(_at(doc, name, loc, dotted(loc), message))
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
