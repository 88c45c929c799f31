"""Pydantic's validation errors as :class:`Problem` s a trainer can act on: each
at the line and column of the value, with the field path as the spec writes it,
what was expected, what YAML made of what was written, and a "did you mean".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from packetgen.errors import Problem
from packetgen.spec._sources import Loc, SourceDoc, count_digits, dotted
from packetgen.spec.models import ITEM_KINDS, MAX_MINUTES, Packet, item_fields

__all__ = ["field_problem", "kind_of", "problem_at", "suggest", "translate"]


def problem_at(
    doc: SourceDoc, name: str, loc: Loc, field: str, message: str, *, key: bool = False
) -> Problem:
    """A problem at the value of ``loc`` (at its key with ``key``), or at the
    nearest enclosing value the source knows the place of."""
    pos = None
    if key:
        pos = doc.key_positions.get(loc)
    for cut in range(len(loc), -1, -1):
        if pos is not None:
            break
        pos = doc.positions.get(loc[:cut])
    line, col = pos if pos is not None else (None, None)
    return Problem(name, line, col, field, message)


def field_problem(
    doc: SourceDoc, name: str, loc: Loc, message: str, *, key: bool = False
) -> Problem:
    """A problem at the field ``loc``, named by its path (``inservices[0].theme``)."""
    return problem_at(doc, name, loc, dotted(loc), message, key=key)


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


def suggest(word: str, options: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if not match:
        lowered = {o.lower(): o for o in options}
        if word.lower() in lowered:
            match = [lowered[word.lower()]]
    return f"; did you mean {match[0]!r}?" if match else ""


def kind_of(value: Any) -> str:
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
            f"{raw} (YAML reads it as {kind_of(value)}); put it in quotes if you meant text:"
            f" '{raw}'"
        )
    if raw is not None and value is None and raw not in ("", "~", "null", "Null", "NULL"):
        return f"{raw} (YAML reads it as nothing)"
    return kind_of(value)


def translate(doc: SourceDoc, name: str, err: ErrorDetails) -> Problem:
    loc = _data_loc(doc, err["loc"])
    field = dotted(loc)
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        hint = suggest(key, _allowed_fields(doc, loc[:-1]))
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
        return problem_at(doc, name, loc, field, message, key=True)
    if kind == "missing":
        return problem_at(doc, name, loc, field, f"required field missing; add `{loc[-1]}:`")
    if kind == "union_tag_invalid":
        found = ctx.get("tag", "")
        kinds = ", ".join(ITEM_KINDS)
        return problem_at(
            doc,
            name,
            (*loc, "kind"),
            f"{field}.kind",
            f"unknown kind {found!r}{suggest(str(found), ITEM_KINDS)} (expected one of: {kinds})",
        )
    if kind == "union_tag_not_found":
        item = _value_at(doc, loc)
        if isinstance(item, dict):
            kinds = ", ".join(ITEM_KINDS)
            got = item.get("kind")
            message = (
                f"expected `kind:` to be one of {kinds}; found {kind_of(got)}"
                if "kind" in item
                else f"required field missing; add `kind:` (one of: {kinds})"
            )
            target = (*loc, "kind") if "kind" in item else loc
            return problem_at(doc, name, target, f"{field}.kind", message)
        return problem_at(
            doc,
            name,
            loc,
            field,
            f"expected an item (a mapping with kind: and title:), found {kind_of(item)}",
        )
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in str(expected).replace(" or ", ", ").split(",")]
        hint = suggest(str(value), options) if isinstance(value, str) else ""
        return problem_at(
            doc, name, loc, field, f"expected {expected}, found {_found(doc, loc, value)}{hint}"
        )
    if kind in ("string_type", "str_type"):
        return problem_at(doc, name, loc, field, f"expected text, found {_found(doc, loc, value)}")
    if kind in ("int_type", "int_from_float", "int_parsing", "float_type", "float_parsing"):
        whole = kind.startswith("int")
        if isinstance(value, str):
            special = _number_text(str(loc[-1]) if loc else "", value, whole=whole)
            if special is not None:
                return problem_at(doc, name, loc, field, special)
        if isinstance(value, int) and not isinstance(value, bool):
            # An integer beyond a float's range. Parsed specs never get here
            # (_sources refuses integers of more than 100 digits); data given
            # to validate() directly (bind_files) can.
            return problem_at(
                doc,
                name,
                loc,
                field,
                f"expected a number of reasonable size, found {_show_number(doc, loc, value)}",
            )
        what = "a whole number" if whole else "a number"
        return problem_at(
            doc, name, loc, field, f"expected {what}, found {_found(doc, loc, value)}"
        )
    if kind in ("bool_type", "bool_parsing"):
        return problem_at(
            doc, name, loc, field, f"expected true or false, found {_found(doc, loc, value)}"
        )
    if kind == "greater_than_equal":
        least = ctx.get("ge", 0)
        return problem_at(
            doc,
            name,
            loc,
            field,
            f"expected a number of {least:g} or more, found {_show_number(doc, loc, value)}",
        )
    if kind == "greater_than":
        least = ctx.get("gt", 0)
        return problem_at(
            doc,
            name,
            loc,
            field,
            f"expected a number greater than {least:g}, found {_show_number(doc, loc, value)}",
        )
    if kind == "less_than_equal":
        return problem_at(doc, name, loc, field, _too_big(doc, loc, value, ctx.get("le", 0)))
    if kind == "list_type":
        return problem_at(
            doc, name, loc, field, f"expected a list, found {_found(doc, loc, value)}"
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return problem_at(
            doc, name, loc, field, f"expected a mapping of fields, found {_found(doc, loc, value)}"
        )
    if kind == "too_short":
        return problem_at(
            doc,
            name,
            loc,
            field,
            f"expected at least one entry, found {kind_of(value) if value else 'none'}",
        )
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        return problem_at(doc, name, loc, field, message)
    return problem_at(doc, name, loc, field, err["msg"][:1].lower() + err["msg"][1:])


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
