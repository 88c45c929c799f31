"""The draft an import writes: in-service entries, the summary line, the YAML.

:mod:`packetgen.tools.importer` walks the page and makes the items; what it
found under each heading (a :class:`Section`) becomes an in-service here, with
the date, presenter, hours and language its introduction gives, and the
draft is written as ``packet.yaml`` under a comment that says what to review.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from packetgen.spec.models import MAX_HOURS, MAX_ID_CHARS
from packetgen.tools._page_text import (
    _HOURS_MINUTES,
    _PRESENTER,
    _TITLE_DOT,
    _clean,
    _cut,
    _date,
    _language,
    _prose,
    _slug,
)

__all__ = ["MAX_TITLE", "Section", "draft_yaml", "inservice_entry", "summary_line"]

MAX_TITLE = 200

_SPANISH = re.compile(r"\b(?:el|la|los|las|del|y|para|con|por|una|que|su|sus|en|es)\b", re.I)
_ENGLISH = re.compile(r"\b(?:the|and|of|to|for|with|is|your|this|from|on|an)\b", re.I)


@dataclass
class Section:
    """What the page has under one heading: the future in-service."""

    title: str
    intro: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


def inservice_entry(
    section: Section, ids: set[str], number: int, page_lang: str | None
) -> dict[str, Any]:
    """``section`` as an in-service of the draft, with an id not yet in ``ids`` (added)."""
    ident = _slug(section.title) or f"inservice-{number}"
    base, n = ident, 2
    while ident in ids:
        suffix = f"-{n}"
        ident = base[: MAX_ID_CHARS - len(suffix)].rstrip("-") + suffix
        n += 1
    ids.add(ident)
    entry: dict[str, Any] = {"id": ident, "title": _cut(section.title, MAX_TITLE)}
    intro = " ".join(section.intro)
    when = _date(intro)
    if when is not None:
        entry["date"] = when
    # "Dr. Ana Ruiz": the title's full stop does not end the name.
    presenter = _PRESENTER.search(_TITLE_DOT.sub("\\1\u2024", intro))
    name = _clean(presenter.group(1).replace("\u2024", ".")) if presenter else ""
    if name[:1].isupper():
        entry["presenter"] = _cut(name, MAX_TITLE)
    hours = _HOURS_MINUTES.search(intro)
    if hours and not hours.group(2) and 0 < float(hours.group(1)) <= MAX_HOURS:
        entry["hours"] = float(hours.group(1))
    spanish = len(_SPANISH.findall(" ".join(section.words)))
    english = len(_ENGLISH.findall(" ".join(section.words)))
    page_language = _language(page_lang) or "en"
    if spanish >= 5 and spanish > 2 * english and not page_language.startswith("es"):
        entry["language"] = "es"
    if intro.strip():
        entry["summary"] = _prose(intro)
    entry["items"] = section.items
    return entry


def summary_line(
    inservices: list[dict[str, Any]],
    *,
    repeats: int,
    navigation: int,
    other_reasons: Sequence[str],
) -> str:
    """One line: links → in-services and kinds; what was merged and skipped.

    ``navigation`` counts the links skipped as the page's chrome;
    ``other_reasons`` is why each other skipped link was, one entry a link.
    """
    kinds = Counter(item["kind"] for s in inservices for item in s["items"])
    total = sum(kinds.values())
    parts = ", ".join(_plural(n, kind) for kind, n in kinds.most_common())
    line = f"{_plural(total, 'link')} → {_plural(len(inservices), 'in-service')}: {parts}"
    if repeats:
        line += f"; {_plural(repeats, 'repeated link')} merged"
    other = Counter(other_reasons)
    other.pop(next((r for r in other if r.startswith("the same address")), ""), None)
    skipped = [f"{_plural(navigation, 'navigation link')}"] if navigation else []
    for reason, n in other.items():
        if reason.startswith("the same address"):
            continue
        skipped.append(f"{n} {_short_reason(reason, n)}")
    if skipped:
        line += "; skipped " + ", ".join(skipped)
    return line


def draft_yaml(data: dict[str, Any], *, where: str, relative_skipped: bool) -> str:
    """The draft as ``packet.yaml``: what to review, then the spec.

    ``where`` names the page it came from; ``relative_skipped`` says that
    relative links were left out for want of ``--base``.
    """
    handouts = any(
        i["kind"] in ("handout", "presentation") for s in data["inservices"] for i in s["items"]
    )
    lines = [
        f"# Draft packet made by `packetgen import` from {where}.",
        "# Review before printing: every title, kind and description was guessed from",
        "# the page's words and addresses; check the in-services' dates, presenters and",
        "# hours, and each item's `access` (registration, accounts).",
    ]
    if handouts:
        lines += [
            '# Handouts and slides are given by url: and print with a QR code and "Not in',
            '# this binder". To bind one in, save it under handouts/ and write file: instead.',
        ]
    if relative_skipped:
        lines.append("# Relative links were left out: import again with --base URL.")
    lines.append("# Then run: packetgen check packet.yaml")
    body = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return "\n".join(lines) + "\n" + body


def _short_reason(reason: str, n: int) -> str:
    if reason.startswith("relative"):
        return f"relative link{'s' if n != 1 else ''} (give --base)"
    if reason.startswith("an email"):
        return "email address" + ("es" if n != 1 else "")
    if reason.startswith("a phone"):
        return "phone number" + ("s" if n != 1 else "")
    if reason.startswith("a script"):
        return "script link" + ("s" if n != 1 else "")
    if reason.startswith("a place on this"):
        return "link" + ("s" if n != 1 else "") + " within the page"
    return "other link" + ("s" if n != 1 else "")


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    if word.endswith("s"):
        return f"{n} {word}es"
    return f"{n} {word}s"
