"""Placeholder markers: what stands for each handout in the HTML that is laid out.

Two empty sections per handout, and page rules that give them named pages
and make the page counter jump by the handout's length, so every number
WeasyPrint prints is the page's number in the finished binder. The markup is
two f-strings, too small to be worth a template.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from markupsafe import Markup

from packetgen.binder.plan import Binder, HandoutPlan
from packetgen.render.views import HandoutSlot
from packetgen.spec.models import Packet

__all__ = ["handout_slots", "marker_css", "padding"]


def _css_string(text: str) -> str:
    """``text`` as a CSS string that cannot end the string or the <style> element."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 32 else ch for ch in text)
    return f'"{escaped}"'


def _anchor(inservice_id: str, plan: HandoutPlan) -> str:
    return f"{inservice_id}-{plan.anchor}"


def padding(plan: HandoutPlan, duplex: bool) -> int:
    """Blank pages after a handout, so that the next page is a right-hand page again."""
    return len(plan.pages) % 2 if duplex else 0


def _markers(inservice_id: str, plan: HandoutPlan) -> Markup:
    """Two empty pages that stand for the handout in the layout.

    The first becomes the handout's first page (links, the contents and the
    outline point at it); the second is removed. Between the two, the page
    counter jumps by the handout's length (see :func:`marker_css`), so every
    page number WeasyPrint prints is the page's number in the finished binder.
    """
    anchor = _anchor(inservice_id, plan)
    return Markup(
        f'<section class="handout-start" id="{anchor}" aria-label="{escape(plan.title)}">'
        f'</section><section class="handout-end" id="{anchor}-end"></section>'
    )


def marker_css(inservice_id: str, binder: Binder, packet: Packet, *, inline: bool) -> str:
    """Page rules for the markers: named pages, the counter jump, the bookmark."""
    level = 2 if inline else 1
    rules = [
        ".handout-start { break-before: %s }" % ("right" if packet.duplex else "page"),
        ".handout-end { break-before: page; break-after: page }",
    ]
    if packet.duplex:
        rules.append(".inservice, .kit-page { break-before: right }")
    for n, plan in enumerate(binder.handouts, start=1):
        anchor = _anchor(inservice_id, plan)
        jump = len(plan.pages) + padding(plan, packet.duplex) - 1
        rules += [
            f"#{anchor} {{ page: hs-{n}; bookmark-level: {level};"
            f" bookmark-label: {_css_string(plan.title)} }}",
            f"#{anchor}-end {{ page: he-{n} }}",
            f"@page he-{n} {{ counter-increment: page {jump} }}",
        ]
    return "\n".join(rules)


def handout_slots(binder: Binder, packet: Packet) -> dict[int, HandoutSlot]:
    """Where each item's files go: its own file's placeholders, then its translations'
    (the slot points at the first of them)."""
    slots: dict[int, HandoutSlot] = {}
    for plan in binder.handouts:
        markers = _markers(binder.inservice_id, plan)
        held = slots.get(plan.item_index)
        if held is None:
            slots[plan.item_index] = HandoutSlot(
                anchor=_anchor(binder.inservice_id, plan),
                title=plan.title,
                pages=len(plan.pages),
                placeholders=markers,
            )
        else:
            slots[plan.item_index] = replace(held, placeholders=held.placeholders + markers)
    return slots
