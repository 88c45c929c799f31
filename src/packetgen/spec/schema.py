"""The JSON Schema of spec format v1, for editors and validators.

The descriptions are the docstrings under each field in the modules of
:mod:`packetgen.spec.models`.
They are read here, from the source, rather than by pydantic when the models
are made (``use_attribute_docstrings``): that reading took a tenth of the time
of a rebuild the cache serves, which never prints a description.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import pkgutil
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from packetgen.spec import models
from packetgen.spec.models import Packet

SCHEMA_ID = "https://packetgen.invalid/schema/packet-v1.json"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) describing a packet spec."""
    schema = Packet.model_json_schema(mode="validation")
    docs = _field_docs()
    _describe(schema, docs.get("Packet", {}))
    for name, definition in schema.get("$defs", {}).items():
        _describe(definition, docs.get(name, {}))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def _describe(definition: dict[str, Any], docs: dict[str, str]) -> None:
    properties = definition.get("properties", {})
    for field, doc in docs.items():
        if field in properties:
            # In key order, as pydantic writes a schema's keys.
            properties[field] = dict(sorted({**properties[field], "description": doc}.items()))


def _field_docs() -> dict[str, dict[str, str]]:
    """Class name -> field name -> the docstring written under the field,
    inherited fields included (as pydantic would read them)."""
    own: dict[str, dict[str, str]] = {}
    classes: dict[str, type[BaseModel]] = {}
    for module in _model_modules():
        try:
            tree = ast.parse(inspect.getsource(module))
        except OSError:  # installed without its sources: a schema without descriptions
            return {}
        own.update(_own_docs(tree))
        classes.update(
            (name, cls)
            for name, cls in vars(module).items()
            if isinstance(cls, type) and issubclass(cls, BaseModel)
        )
    docs: dict[str, dict[str, str]] = {}
    for name, cls in classes.items():
        if name in own:
            merged: dict[str, str] = {}
            for base in reversed(cls.__mro__):
                merged.update(own.get(base.__name__, {}))
            docs[name] = merged
    return docs


def _model_modules() -> list[ModuleType]:
    """Every module of the models package, so that a new one is not forgotten."""
    return [
        importlib.import_module(f"{models.__name__}.{info.name}")
        for info in pkgutil.iter_modules(models.__path__)
    ]


def _own_docs(tree: ast.Module) -> dict[str, dict[str, str]]:
    """Class name -> field name -> docstring, for the classes defined in ``tree``."""
    own: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        found: dict[str, str] = {}
        for first, second in itertools.pairwise(node.body):
            if (
                isinstance(first, ast.AnnAssign)
                and isinstance(first.target, ast.Name)
                and isinstance(second, ast.Expr)
                and isinstance(second.value, ast.Constant)
                and isinstance(second.value.value, str)
            ):
                found[first.target.id] = inspect.cleandoc(second.value.value)
        own[node.name] = found
    return own
