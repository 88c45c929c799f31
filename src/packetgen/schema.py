"""The JSON Schema of spec format v1, for editors and validators."""

from __future__ import annotations

from typing import Any

from .spec import Packet

SCHEMA_ID = "https://packetgen.invalid/schema/packet-v1.json"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) describing a packet spec."""
    schema = Packet.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
