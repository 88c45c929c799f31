"""The spec's data as ``packetgen edit`` sends it and as packetgen reads it back.

The browser sends JSON; the models say what each place of the spec holds (its
model, whether it is a date, the order of its keys); and values read back from
the new text are compared with what was sent, kind included (``True`` is not
``1``, a date is not its text).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from packetgen.spec._sources import Loc
from packetgen.spec.models import InService, Packet
from packetgen.spec.models.items import _KIND_MODELS, _ItemBase

__all__ = [
    "differences",
    "entry_model",
    "expected_data",
    "field_order",
    "model_of",
    "same_data",
    "to_json",
]


# -- JSON form -----------------------------------------------------------------


def to_json(value: Any) -> Any:
    """``value`` as JSON can carry it: dates become ``YYYY-MM-DD`` strings."""
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


# -- what the models say about a place in the spec ----------------------------


def model_of(model: type[BaseModel] | None, key: str, value: Any) -> type[BaseModel] | None:
    """The model of the mapping (or of each entry of the list) held by ``model.key``."""
    if model is None:
        return None
    if model is InService and key == "items":
        kind = value.get("kind") if isinstance(value, Mapping) else None
        return _KIND_MODELS.get(kind, _ItemBase) if isinstance(kind, str) else _ItemBase
    info = model.model_fields.get(key)
    if info is None:
        return None
    from packetgen.spec.problems import _model_in  # the loader's own reading of X | None, list[X]

    found = _model_in(info.annotation)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def entry_model(model: type[BaseModel] | None, value: Any) -> type[BaseModel] | None:
    """An item's own model (by its kind) where the list only says "an item"."""
    if model is not None and issubclass(model, _ItemBase) and isinstance(value, Mapping):
        kind = value.get("kind")
        return _KIND_MODELS.get(kind, _ItemBase) if isinstance(kind, str) else _ItemBase
    return model


def _is_date_field(model: type[BaseModel] | None, key: str) -> bool:
    if model is None:
        return False
    info = model.model_fields.get(key)
    return info is not None and _mentions_date(info.annotation)


def _mentions_date(annotation: Any) -> bool:
    if annotation is _dt.date:
        return True
    return any(_mentions_date(arg) for arg in getattr(annotation, "__args__", ()) or ())


def field_order(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    names = list(model.model_fields)
    # People read an item by its kind first (as the starter and `import` write it).
    if "kind" in names or issubclass(model, _ItemBase):
        names = ["kind", *(n for n in names if n != "kind")]
    return names


def expected_data(data: Any, model: type[BaseModel] | None = Packet) -> Any:
    """The browser's JSON as packetgen should read it from the file: ISO strings
    in date fields become dates (other strings stay text, whatever they look like)."""
    if isinstance(data, Mapping):
        model = entry_model(model, data)
        out: dict[str, Any] = {}
        for key, value in data.items():
            if value is None:
                continue  # null removes the field (as leaving it out does)
            if _is_date_field(model, key) and isinstance(value, str):
                try:
                    out[key] = _dt.date.fromisoformat(value)
                except ValueError:
                    out[key] = value  # not a date: kept as typed, the check says why
                continue
            if isinstance(value, list):
                out[key] = [expected_data(v, model_of(model, key, v)) for v in value]
            else:
                out[key] = expected_data(value, model_of(model, key, value))
        return out
    if isinstance(data, list):
        return [expected_data(v, None) for v in data]
    return data


# -- comparing what packetgen reads with what was sent -------------------------


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same kind: True is not 1, 1.0 is not "1.0", a date is not its text."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, _dt.date) or isinstance(b, _dt.date):
        return type(a) is type(b) and a == b
    return bool(a == b)


def same_data(a: Any, b: Any) -> bool:
    """Equal as data (key order aside): an unchanged value keeps its node."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b, strict=True))
    return _same(a, b)


def differences(read: Any, sent: Any, loc: Loc = ()) -> list[Loc]:
    """Where ``read`` (packetgen's reading of the new text) differs from ``sent``."""
    if isinstance(read, Mapping) and isinstance(sent, Mapping):
        if read.keys() != sent.keys():
            return [loc]
        return [d for k in sent for d in differences(read[k], sent[k], (*loc, k))]
    if isinstance(read, list) and isinstance(sent, list):
        if len(read) != len(sent):
            return [loc]
        return [d for i, (r, s) in enumerate(zip(read, sent, strict=True)) for d in
                differences(r, s, (*loc, i))]  # fmt: skip
    return [] if _same(read, sent) else [loc]
