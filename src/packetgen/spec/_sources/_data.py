"""JSON and TOML specs, read by the standard library with the limits YAML gets:
finite numbers of reasonable length, no duplicate keys, and (for JSON) the
position of each value, learnt by reading it again as YAML.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import tomllib
from typing import Any

from packetgen.errors import Problem
from packetgen.spec._sources._doc import (
    MAX_DIGITS,
    TOO_DEEP,
    SourceDoc,
    SourceProblems,
    not_finite,
    too_long_number,
)
from packetgen.spec._sources._yaml import parse_yaml

__all__ = ["parse_json", "parse_toml"]


class _BadNumber(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(not_finite(text))
    return value


def _no_constant(text: str) -> float:
    raise _BadNumber(not_finite(text))


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _BadNumber(too_long_number(text))
    return int(text)


def parse_json(text: str, name: str) -> SourceDoc:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise _DuplicateJSONKey(key)
            out[key] = value
        return out

    try:
        data = json.loads(
            text,
            object_pairs_hook=no_duplicates,
            parse_float=_finite_float,
            parse_int=_json_int,
            parse_constant=_no_constant,
        )
    except _BadNumber as exc:
        raise SourceProblems([Problem(name, None, None, "", exc.message)]) from None
    except json.JSONDecodeError as exc:
        raise SourceProblems(
            [Problem(name, exc.lineno, exc.colno, "", f"invalid JSON: {exc.msg}")]
        ) from None
    except _DuplicateJSONKey as exc:
        raise SourceProblems(
            [
                Problem(
                    name, None, None, "", f"duplicate key {exc.key!r}; each field may appear once"
                )
            ]
        ) from None
    except RecursionError:
        raise SourceProblems([Problem(name, None, None, "", TOO_DEEP)]) from None
    doc = SourceDoc(data=data)
    # JSON is (nearly) YAML: compose it only to learn where each value sits.
    with contextlib.suppress(SourceProblems, RecursionError):
        doc.positions = parse_yaml(text, name).positions
    return doc


class _DuplicateJSONKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_toml(text: str, name: str) -> SourceDoc:
    try:
        data = tomllib.loads(text, parse_float=_finite_float)
    except _BadNumber as exc:
        raise SourceProblems([Problem(name, None, None, "", exc.message)]) from None
    except RecursionError:
        raise SourceProblems([Problem(name, None, None, "", TOO_DEEP)]) from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        match = _TOML_POS.search(msg)
        line = int(match.group(1)) if match else None
        col = int(match.group(2)) if match else None
        clean = _TOML_POS.sub("", msg).strip()
        raise SourceProblems([Problem(name, line, col, "", f"invalid TOML: {clean}")]) from None
    except ValueError:  # an integer too long for Python to convert
        raise SourceProblems(
            [Problem(name, None, None, "", "expected numbers of reasonable size, found a huge one")]
        ) from None
    return SourceDoc(data=data)
