"""In-service credit hours: given by the trainer, or computed from the program's policy.

Programs count credit their own way: an article a fixed hour, a film or
webinar its running time, a book so many minutes per so many pages, each with
a cap. A policy maps item kinds to such rules; an in-service's own ``hours``
always wins.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packetgen.errors import HandoutError
from packetgen.handouts.count import count_pages
from packetgen.handouts.located import located_error
from packetgen.spec.models import CreditRule, InService, Packet

__all__ = [
    "InServiceHours",
    "ItemCredit",
    "PageCounter",
    "credit_for",
    "inservice_hours",
    "item_credits",
    "packet_hours",
    "round_hours",
]

PageCounter = Callable[[Path], int | None]
"""Counts a handout file's pages (None: unreadable); tests pass their own."""


@dataclass(frozen=True)
class ItemCredit:
    """What one item earns and why."""

    title: str
    kind: str
    hours: float
    how: str
    """How the hours were computed, e.g. ``90 min running time = 1.5 h, capped at 1 h``."""


@dataclass(frozen=True)
class InServiceHours:
    """An in-service's credit hours and where they come from."""

    inservice: str
    hours: float | None
    given: bool
    """True when the spec gives ``hours`` (computed credit is then only shown)."""
    items: tuple[ItemCredit, ...]


def _h(hours: float) -> str:
    return f"{hours:g} h"


def round_hours(hours: float, step: float) -> float:
    """``hours`` rounded half up to a multiple of ``step`` (a policy's ``round_to``)."""
    # Floats like 0.1 + 0.2 would otherwise leave 0.30000000000000004 on a certificate.
    return round(math.floor(hours / step + 0.5 + 1e-9) * step, 4)


def credit_for(
    rule: CreditRule,
    *,
    title: str,
    kind: str,
    minutes: int | None,
    pages: int | None,
    round_to: float = 0.25,
) -> ItemCredit:
    """Apply ``rule`` to one item."""
    if rule.running_time:
        if minutes is None:
            return ItemCredit(title, kind, 0.0, "no running time given (minutes:), so no credit")
        raw = minutes / 60
        how = f"{minutes} min running time"
    elif rule.per_pages is not None:
        assert rule.hours is not None  # the model guarantees it
        if pages is None:
            return ItemCredit(
                title, kind, 0.0, "no page count (length_pages: or a file), so no credit"
            )
        raw = rule.hours * pages / rule.per_pages
        unit = "page" if pages == 1 else "pages"
        how = f"{pages} {unit} at {_h(rule.hours)} per {rule.per_pages} pages"
    else:
        assert rule.hours is not None
        raw = rule.hours
        how = "fixed"
    hours = round_hours(raw, round_to)
    how += f" = {_h(hours)}" if how != "fixed" else f" {_h(hours)}"
    if rule.cap is not None and hours > rule.cap:
        hours = rule.cap
        how += f", capped at {_h(rule.cap)}"
    return ItemCredit(title, kind, hours, how)


def inservice_hours(
    packet: Packet, inservice: InService, *, page_count: PageCounter | None = None
) -> InServiceHours:
    """The in-service's hours; ``page_count(path)`` counts a file's pages when a
    page-based rule needs it (default: read the file)."""
    policy = packet.credit
    credits = [c for c in item_credits(packet, inservice, page_count=page_count) if c is not None]
    if inservice.hours is not None:
        return InServiceHours(inservice.id, inservice.hours, True, tuple(credits))
    if policy is None:
        return InServiceHours(inservice.id, None, False, ())
    total = round(sum(c.hours for c in credits), 4)
    return InServiceHours(inservice.id, total, False, tuple(credits))


def item_credits(
    packet: Packet, inservice: InService, *, page_count: PageCounter | None = None
) -> list[ItemCredit | None]:
    """What each item of ``inservice`` earns under the packet's policy, in item
    order; None for an item whose kind the policy gives no rule (or no policy)."""
    counter = page_count or count_pages
    policy = packet.credit
    if policy is None:
        return [None] * len(inservice.items)
    credits: list[ItemCredit | None] = []
    for j, item in enumerate(inservice.items):
        rule = getattr(policy, item.kind)
        if rule is None:
            credits.append(None)
            continue
        pages = item.length_pages
        if pages is None and item.file is not None and rule.per_pages is not None:
            try:
                pages = counter(packet.folder / item.file)
            except HandoutError as exc:
                raise _located(packet, inservice, j, item, exc) from None
        credits.append(
            credit_for(
                rule,
                title=item.title,
                kind=item.kind,
                minutes=item.minutes,
                pages=pages,
                round_to=policy.round_to,
            )
        )
    return credits


def packet_hours(packet: Packet) -> dict[str, InServiceHours]:
    """Hours of every in-service, by id."""
    return {s.id: inservice_hours(packet, s) for s in packet.inservices}


def _located(
    packet: Packet, inservice: InService, j: int, item: Any, error: HandoutError
) -> HandoutError:
    """``error`` named as the build names a handout: place in the spec, field, file."""
    index = next(i for i, s in enumerate(packet.inservices) if s is inservice)
    loc = ("inservices", index, "items", j, "file")
    return located_error(packet, loc, item.file, error.detail, item=item.title)
