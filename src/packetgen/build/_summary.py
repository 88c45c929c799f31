"""The one-screen summary printed by ``packetgen check``, and the lines ``packetgen build``
prints about what it wrote."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packetgen.content.credit import InServiceHours, packet_hours
from packetgen.content.links import LinkTable, collect_links
from packetgen.spec.models import ITEM_KINDS, Packet
from packetgen.text.i18n import has_catalog

if TYPE_CHECKING:
    from packetgen.build.checkup import CheckResult
    from packetgen.build.results import BuildResult


def _hours(value: float) -> str:
    return f"{value:g}"


def format_check(result: CheckResult, spec: Path, *, verbose: bool = False) -> str:
    """The summary of a packet that passed :func:`packetgen.check`, its warnings after it."""
    return format_summary(
        result.packet, spec, warning_lines(result, verbose=verbose), links=result.links
    )


def warning_lines(result: CheckResult, *, verbose: bool = False) -> list[str]:
    """``Warning: …`` lines; with ``verbose`` one per untagged handout, with its advice,
    instead of the one line that groups them."""
    if not verbose:
        return [f"Warning: {w}" for w in result.warnings]
    grouped = result.untagged_warning
    lines = [f"Warning: {w}" for w in result.warnings if w != grouped]
    lines += [f"Warning: {h}" for h in result.untagged if not h.acknowledged]
    lines += [f"Note: {h}" for h in result.untagged if h.acknowledged]
    if not result.untagged and result.packet.file_items():
        lines.append("Every handout is tagged for screen readers.")
    for language, texts in result.fallbacks.items():
        if not has_catalog(language):
            lines.append(
                f"Note: packetgen has no translation into {language!r} yet, so its own texts"
                " (headings, labels, forms) print in English; dates and numbers follow"
                f" {language!r}. Give the texts in your own words under `strings:` in the spec,"
                " or add a catalog (README: Packets in Spanish and other languages)"
            )
            continue
        # A partial catalog: say which texts a reader will meet in English.
        shown = "; ".join(f'"{text}"' for text in texts[:20])
        more = f" and {len(texts) - 20} more" if len(texts) > 20 else ""
        lines.append(
            f"Note: {len(texts)} printed text{'' if len(texts) == 1 else 's'} have no"
            f" translation into {language!r} and print in English: {shown}{more}; give them"
            " in your own words under `strings:` in the spec"
        )
    return lines


def output_lines(result: BuildResult) -> list[str]:
    """``Wrote …`` for every output of a build, with its pages and whether it was unchanged."""
    lines = []
    for output in result.outputs:
        what = "certificate" if output.kind == "certificates" else "page"
        count = output.pages or 0
        pages = f" ({count} {what}{'' if count == 1 else 's'})" if count else ""
        unchanged = ", unchanged" if output.cached else ""
        lines.append(f"Wrote {output.path}{pages}{unchanged}")
    return lines


def format_problems(problems: Sequence[str]) -> str:
    """The problems of a failed check as one error: a single one exactly as ``build`` says it."""
    if len(problems) == 1:
        return problems[0]
    head = f"{len(problems)} problems, each of which would stop `packetgen build`:"
    return "\n".join([head, *(f"  {p}" for p in problems)])


def format_summary(
    packet: Packet,
    spec: Path,
    tail: Sequence[str] | None = None,
    *,
    links: LinkTable | None = None,
) -> str:
    """Describe what the spec holds: in-services, items per kind, links, files, hours.

    ``tail`` is printed last, line by line; by default the link warnings.
    ``links`` are the links as the build numbers them (the check's, with the
    links inside handouts, so that ``check``, ``links`` and ``build`` give one
    count); without it, the spec's own links.
    """
    table = links if links is not None else collect_links(packet)
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
    lines.extend(_own_settings(packet, width))
    lines.append("")
    by_kind = ", ".join(f"{kind} {kinds[kind]}" for kind in ITEM_KINDS if kinds[kind])
    lines.append(f"Items by kind: {by_kind or 'none'}")
    if packet.credit is not None or any(h.hours is not None for h in credit.values()):
        lines.append("")
        lines.append("Hours:")
        for inservice in packet.inservices:
            lines.extend(_hours_lines(credit[inservice.id], width))
    if tail is None:
        tail = [f"Warning: {warning}" for warning in table.warnings]
    lines.extend(tail)
    return "\n".join(lines)


def _own_settings(packet: Packet, width: int) -> list[str]:
    """The in-services that print differently from the packet, and how."""
    lines = []
    for inservice in packet.inservices:
        view = packet.for_inservice(inservice.id)
        own = [
            f"{view.paper} paper" if view.paper != packet.paper else "",
            f"{view.theme} theme" if view.theme != packet.theme else "",
            ("two-sided" if view.duplex else "one-sided") if view.duplex != packet.duplex else "",
            f"handouts {view.handout_placement}"
            if view.handout_placement != packet.handout_placement
            else "",
        ]
        if any(own):
            lines.append(
                f"  {inservice.id:<{width}}  prints on its own: {', '.join(o for o in own if o)}"
            )
    if lines:
        sides = "two-sided" if packet.duplex else "one-sided"
        others = f"{packet.paper} paper, {packet.theme} theme, {sides}"
        lines = ["", *lines, f"  {'the others':<{width}}  {others}"]
    return lines


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
