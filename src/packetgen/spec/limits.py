"""Counts and lengths a hand-written packet never comes near: past them a spec is
a mistake or an attack, refused before the models validate every entry.
"""

from __future__ import annotations

from typing import Any

from packetgen.errors import Problem
from packetgen.spec._sources import Loc, SourceDoc
from packetgen.spec.problems import field_problem
from packetgen.text.markdown import MAX_MARKDOWN_CHARS

__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES_TOTAL",
    "MAX_INSERVICES",
    "MAX_ITEMS",
    "MAX_SPEC_BYTES",
    "MAX_TEXT_CHARS",
    "check_limits",
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

MARKDOWN_FIELDS = ("summary", "description", "excerpt")


def check_limits(doc: SourceDoc, name: str) -> list[Problem]:
    """Counts and lengths a hand-written packet never comes near."""
    problems: list[Problem] = []

    def too_long(loc: Loc, value: Any, limit: int, what: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            problems.append(
                field_problem(
                    doc,
                    name,
                    loc,
                    f"the {what} is {len(value):,} characters long; at most {limit:,} are allowed",
                )
            )

    def fields(mapping: dict[str, Any], loc: Loc) -> None:
        for key, value in mapping.items():
            if key in MARKDOWN_FIELDS:
                too_long((*loc, key), value, MAX_MARKDOWN_CHARS, "text")
            elif key not in ("url", "file", "items", "inservices", "where_to_watch"):
                too_long((*loc, key), value, MAX_TEXT_CHARS, "text")

    data = doc.data
    fields(data, ())
    inservices = data.get("inservices")
    inservices = inservices if isinstance(inservices, list) else []
    if len(inservices) > MAX_INSERVICES:
        problems.append(
            field_problem(
                doc,
                name,
                ("inservices",),
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
                field_problem(
                    doc,
                    name,
                    ("inservices",),
                    f"the packet has {count:,} {what}; at most {limit:,} are allowed"
                    " (split it into several packets)",
                )
            )
    return problems
