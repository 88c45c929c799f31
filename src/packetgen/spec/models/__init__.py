"""The packet spec, format v1: pydantic models validated once, at the edge.

A :class:`~.packet.Packet` holds :class:`~.inservice.InService` sessions, each a
list of items (:mod:`.items`); :mod:`.credit` has the credit rules and the
hours records. Every field is one of the checked types of :mod:`._types`.

Field docstrings are the user documentation: they become the descriptions in
``packetgen schema``, which editors show while a trainer types YAML.
"""

from __future__ import annotations

from packetgen.spec.models._text import (
    MAX_HOURS,
    MAX_ID_CHARS,
    MAX_MINUTES,
    MAX_PAGES,
    MAX_SHORT_NAME,
    url_problem,
)
from packetgen.spec.models._times import session_times, start_seconds
from packetgen.spec.models._types import MAX_MODULE_MM, MIN_MODULE_MM
from packetgen.spec.models.credit import (
    RECORD_COLUMNS,
    CreditPolicy,
    CreditRule,
    Records,
    Requirement,
)
from packetgen.spec.models.inservice import (
    AgendaEntry,
    Certificate,
    Contact,
    Evaluation,
    InService,
    SignIn,
)
from packetgen.spec.models.items import (
    ITEM_KINDS,
    Article,
    Campaign,
    FileOptions,
    Film,
    Handout,
    Item,
    Link,
    Note,
    Presentation,
    Recording,
    Translation,
    item_fields,
)
from packetgen.spec.models.packet import Packet

__all__ = [
    "ITEM_KINDS",
    "MAX_HOURS",
    "MAX_ID_CHARS",
    "MAX_MINUTES",
    "MAX_MODULE_MM",
    "MAX_PAGES",
    "MAX_SHORT_NAME",
    "MIN_MODULE_MM",
    "RECORD_COLUMNS",
    "_KIND_MODELS",
    "AgendaEntry",
    "Article",
    "Campaign",
    "Certificate",
    "Contact",
    "CreditPolicy",
    "CreditRule",
    "Evaluation",
    "FileOptions",
    "Film",
    "Handout",
    "InService",
    "Item",
    "Link",
    "Note",
    "Packet",
    "Presentation",
    "Recording",
    "Records",
    "Requirement",
    "SignIn",
    "Translation",
    "_ItemBase",
    "item_fields",
    "session_times",
    "start_seconds",
    "url_problem",
]
