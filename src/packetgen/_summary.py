"""The one-screen summary printed by ``packetgen check``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .credit import InServiceHours, packet_hours
from .links import collect_links
from .spec import ITEM_KINDS, Packet


def _hours(value: float) -> str:
    return f"{value:g}"


def format_summary(packet: Packet, spec: Path) -> str:
    """Describe what the spec holds: in-services, items per kind, links, files, hours."""
    table = collect_links(packet)
    credit = packet_hours(packet)
    kinds: Counter[str] = Counter(item.kind for s in packet.inservices for item in s.items)
    files = packet.file_items()
    total_items = sum(kinds.values())
    hours = [h.hours for h in credit.values() if h.hours is not None]
    lines = [
        f"{spec}: OK",
        f"{packet.title}" + (f" — {packet.organization}" if packet.organization else ""),
        (
            f"{_plural(len(packet.inservices), 'in-service')}, {_plural(total_items, 'item')},"
            f" {_plural(len(table.links), 'link')}, {_plural(len(files), 'handout file')},"
            f" {_hours(sum(hours))} hours"
        ),
        "",
    ]
    width = max(len("in-service"), *(len(s.id) for s in packet.inservices))
    header = "  ".join(f"{h:>5}" for h in ("hours", "items", "links", "files"))
    lines.append(f"  {'in-service':<{width}}  {'date':<10}  {header}")
    for inservice in packet.inservices:
        n_links = len(table.for_inservice(inservice.id))
        n_files = sum(1 for item in inservice.items if item.file is not None)
        date = inservice.date.isoformat() if inservice.date else "-"
        given = credit[inservice.id].hours
        hrs = _hours(given) if given is not None else "-"
        lines.append(
            f"  {inservice.id:<{width}}  {date:<10}  {hrs:>5}  {len(inservice.items):>5}"
            f"  {n_links:>5}  {n_files:>5}"
        )
    lines.append("")
    by_kind = ", ".join(f"{kind} {kinds[kind]}" for kind in ITEM_KINDS if kinds[kind])
    lines.append(f"Items by kind: {by_kind or 'none'}")
    if packet.credit is not None or any(h.hours is not None for h in credit.values()):
        lines.append("")
        lines.append("Hours:")
        for inservice in packet.inservices:
            lines.extend(_hours_lines(credit[inservice.id], width))
    for warning in table.warnings:
        lines.append(f"Warning: {warning}")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _hours_lines(hours: InServiceHours, width: int) -> list[str]:
    """One line per in-service, then one per item that the credit policy counts."""
    if hours.hours is None:
        return [f"  {hours.inservice:<{width}}  -       no hours given and no credit rule applies"]
    how = "given in the spec" if hours.given else "computed from the credit policy"
    if not hours.given and not hours.items:
        how = "no item earns credit under the policy"
    lines = [f"  {hours.inservice:<{width}}  {_hours(hours.hours) + ' h':<6}  {how}"]
    if not hours.given:
        for item in hours.items:
            title = item.title if len(item.title) <= 48 else item.title[:47] + "…"
            lines.append(f"      {_hours(item.hours) + ' h':<6}  {title} ({item.kind}: {item.how})")
    return lines
