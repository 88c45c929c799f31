"""links: every external URL in the packet, numbered once, with its QR code.

Numbers are global to the packet so that the same link carries the same
number in every binder, in ``packet.pdf`` and in the HTML.

A code is printed at the packet's module size, so a long URL makes a large
code. With ``short_links:`` every code carries a short link instead
(``https://example-casa.org/go/casa-faq``), whose name is made from the item's
title (or its ``short:``) and is the same on every build; the build writes
the redirects that send it on (see :mod:`packetgen.content.shortlinks`).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from packetgen.content.addresses import comparable, short_url
from packetgen.content.qr import DEFAULT_MODULE_MM, ErrorCorrection, QRCode, make_qr, symbol_size
from packetgen.errors import Problem, QRCapacityError, SpecError
from packetgen.spec.models import Packet, start_seconds
from packetgen.text.i18n import N_
from packetgen.text.markdown import links_in

EVALUATION_FORM = N_("Evaluation form")
"""How the links appendix names an evaluation's online form (translated where printed)."""

__all__ = [
    "LARGE_CODE_MM",
    "MAX_HANDOUT_LINKS",
    "MAX_LINKS_PER_HANDOUT",
    "LinkRef",
    "LinkTable",
    "collect_links",
    "handout_links_numbered",
    "item_url",
    "register_handout_links",
    "starts_in_link",
]

LARGE_CODE_MM = 40.0
"""A code larger than this crowds the page: without short links, say how to get a smaller one."""

MAX_LINKS_PER_HANDOUT = 50
"""Web links numbered from one handout file. Each becomes a QR code in the
appendix (about 12 to a page); a handout's links are not written by the
trainer, so a file cannot add pages of codes nobody asked for."""
MAX_HANDOUT_LINKS = 200
"""Web links numbered from all the handouts of a packet together."""
_SHOWN_URLS = 3
"""URLs named in the warning of a handout that adds links, so a stray one stands out."""

_TEXT_FIELDS = ("description", "excerpt", "access")


@dataclass(frozen=True)
class LinkSource:
    """Where a link appears."""

    inservice: str
    """The in-service id."""
    item: str
    """The item's title (or the in-service's, for its summary)."""
    field: str
    """Spec path of the field, e.g. ``inservices[0].items[2].url``."""


@dataclass
class LinkRef:
    """One distinct URL with its number and QR code."""

    number: int
    url: str
    """Where the link leads (a recording's start time included)."""
    label: str
    """The address printed to be typed: the short link, or the URL without ``https://www.``."""
    version: int
    """QR version of the code; its modules are drawn only when a page needs them (:attr:`qr`)."""
    modules: int
    """Modules per side, quiet zone included."""
    error_correction: ErrorCorrection = "M"
    module_mm: float = DEFAULT_MODULE_MM
    encoded: str = ""
    """What the code carries: the short link with ``short_links``, else :attr:`url`."""
    short_name: str | None = None
    """The short link's last part (``casa-faq``), with ``short_links``."""
    sources: list[LinkSource] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.encoded:
            self.encoded = self.url

    @property
    def anchor(self) -> str:
        return f"link-{self.number}"

    @property
    def qr(self) -> QRCode:
        """The code, which carries :attr:`encoded` (drawn on first use, cached by content)."""
        return make_qr(self.encoded, self.error_correction)

    @property
    def size_mm(self) -> float:
        """The printed code's side, quiet zone included."""
        return self.modules * self.module_mm


@dataclass
class LinkTable:
    """All links of a packet, in order of first appearance."""

    error_correction: ErrorCorrection = "M"
    module_mm: float = DEFAULT_MODULE_MM
    short_base: str | None = None
    """``short_links`` of the packet, ending in ``/``."""
    links: list[LinkRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    handout_links: int = 0
    """Links numbered because a handout had them (not the spec): see MAX_HANDOUT_LINKS."""
    _by_url: dict[str, LinkRef] = field(default_factory=dict)
    _by_key: dict[str, LinkRef] = field(default_factory=dict)
    """The links by :func:`comparable` form, for links found in handouts."""
    _short_names: set[str] = field(default_factory=set)

    def add(
        self,
        url: str,
        source: LinkSource,
        *,
        where: tuple[str, int | None, int | None] = ("<packet>", None, None),
        short_name: str | None = None,
    ) -> LinkRef:
        """Number ``url`` (once) and record where it appears.

        ``short_name`` is the item's own ``short:``; without it a name is made
        from the item's title.
        """
        ref = self._by_url.get(url)
        if ref is None:
            name = None
            encoded = url
            if self.short_base is not None:
                name = self._unique(short_name or _name_from(source.item) or "link")
                encoded = self.short_base + name
            try:
                version, modules = symbol_size(encoded, self.error_correction)
            except QRCapacityError as exc:
                raise SpecError(
                    [Problem(*where, source.field, f"{exc} (item {source.item!r})")]
                ) from None
            label = short_url(encoded)
            ref = LinkRef(
                len(self.links) + 1,
                url,
                label,
                version,
                modules,
                self.error_correction,
                self.module_mm,
                encoded,
                name,
            )
            self.links.append(ref)
            self._by_url[url] = ref
            self._by_key.setdefault(comparable(url), ref)
            if self.short_base is None and ref.size_mm > LARGE_CODE_MM:
                place = ":".join(str(p) for p in where if p is not None)
                self.warnings.append(
                    f"{place}: {source.field}: the URL is {len(url)} characters long, so its"
                    f" QR code is {ref.size_mm:.0f} mm wide at {self.module_mm:g} mm per module;"
                    " set `short_links:` to the address of a page your program controls"
                    " (packetgen writes the redirects), or shorten the URL with a link"
                    f" shortener (item {source.item!r})"
                )
        ref.sources.append(source)
        return ref

    def _unique(self, name: str) -> str:
        # Names are taken in packet order, so the same spec gives the same names.
        candidate, n = name, 2
        while candidate in self._short_names:
            candidate = f"{name}-{n}"
            n += 1
        self._short_names.add(candidate)
        return candidate

    def number(self, url: str) -> int | None:
        ref = self._by_url.get(url)
        return ref.number if ref is not None else None

    def get(self, url: str) -> LinkRef | None:
        return self._by_url.get(url)

    def same(self, url: str) -> LinkRef | None:
        """The link numbered for ``url`` or for another spelling of it (see :func:`comparable`)."""
        return self._by_url.get(url) or self._by_key.get(comparable(url))

    def for_inservice(self, inservice_id: str) -> list[LinkRef]:
        return [ref for ref in self.links if any(s.inservice == inservice_id for s in ref.sources)]


# Words that say little in a short link's name.
_MINOR_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "for",
        "to",
        "in",
        "on",
        "with",
        "from",
        "at",
        "by",
        "about",
        "as",
        "is",
        "are",
        "how",
        "what",
        "why",
        "your",
        "our",
    ]
)
_NAME_WORDS = 4
_NAME_CHARS = 24


def _name_from(title: str) -> str:
    """A short link name from a title: the first few telling words, in plain ASCII."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    telling = [w for w in words if w not in _MINOR_WORDS] or words
    name = ""
    for word in telling[:_NAME_WORDS]:
        longer = f"{name}-{word}" if name else word
        if len(longer) > _NAME_CHARS:
            break
        name = longer
    return name or (telling[0][:_NAME_CHARS] if telling else "")


def item_url(item: Any) -> str | None:
    """Where an item's code leads: its ``url``, with a recording's ``start`` put in.

    YouTube opens at ``t=SECONDS`` in the query, Vimeo at ``#t=SECONDSs``;
    other sites cannot be told where to start (the page still says it).
    """
    url: str | None = item.url
    start = item.start_time
    if url is None or start is None:
        return url
    seconds = start_seconds(start)
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    if host in ("youtube.com", "youtu.be", "youtube-nocookie.com"):
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        query.append(("t", str(seconds)))
        return urlunsplit(parts._replace(query=urlencode(query)))
    if host in ("vimeo.com", "player.vimeo.com"):
        return urlunsplit(parts._replace(fragment=f"t={seconds}s"))
    return url


def starts_in_link(item: Any) -> bool:
    """Whether :func:`item_url` could put the item's start time into its link."""
    original: str | None = item.url
    return item_url(item) != original


def collect_links(packet: Packet) -> LinkTable:
    """Number every URL of ``packet`` in reading order and make its QR code."""
    short_base = packet.short_links
    if short_base is not None and not short_base.endswith("/"):
        short_base += "/"
    table = LinkTable(
        error_correction=packet.qr_error_correction,
        module_mm=packet.qr_module_mm,
        short_base=short_base,
    )
    for i, inservice in enumerate(packet.inservices):
        for url in links_in(inservice.summary):
            loc = ("inservices", i, "summary")
            table.add(
                url,
                LinkSource(inservice.id, inservice.title, f"inservices[{i}].summary"),
                where=packet.locate(*loc),
            )
        for j, item in enumerate(inservice.items):
            base = f"inservices[{i}].items[{j}]"
            target = item_url(item)
            if target is not None:
                table.add(
                    target,
                    LinkSource(inservice.id, item.title, f"{base}.url"),
                    where=packet.locate("inservices", i, "items", j, "url"),
                    short_name=item.short,
                )
                if item.start_time and not starts_in_link(item):
                    table.warnings.append(
                        f"{packet.where('inservices', i, 'items', j, 'start')}: {base}.start:"
                        f" packetgen can put a start time into YouTube and Vimeo links only;"
                        f" the page says where to start (item {item.title!r})"
                    )
            # Right after the item's own address: a translation added later does not
            # renumber anything before it.
            for k, translation in enumerate(item.translations):
                if translation.url is not None:
                    table.add(
                        translation.url,
                        LinkSource(inservice.id, item.title, f"{base}.translations[{k}].url"),
                        where=packet.locate("inservices", i, "items", j, "translations", k, "url"),
                    )
            for name in _TEXT_FIELDS:
                for url in links_in(item.markdown_texts()[name]):
                    table.add(
                        url,
                        LinkSource(inservice.id, item.title, f"{base}.{name}"),
                        where=packet.locate("inservices", i, "items", j, name),
                    )
        if inservice.evaluation is not None and inservice.evaluation.url is not None:
            table.add(
                inservice.evaluation.url,
                LinkSource(inservice.id, EVALUATION_FORM, f"inservices[{i}].evaluation.url"),
                where=packet.locate("inservices", i, "evaluation", "url"),
            )
    return table


def register_handout_links(
    packet: Packet, inservice_id: str, found: Sequence[tuple[int, str]], links: LinkTable
) -> LinkTable:
    """``links`` with the web links found inside an in-service's handouts numbered
    after them: a new table (``links`` itself is not changed).

    ``found`` is (item index, URL) in page order: the handouts' link
    annotations and the addresses printed in their text alike. Two spellings
    of one address (see :func:`comparable`) are one link, numbered once, as the
    spec or the handout first wrote it. A handout's links were not
    written by the trainer, so each one that adds links gets a warning naming
    how many (and the first few), and at most :data:`MAX_LINKS_PER_HANDOUT`
    links of one file and :data:`MAX_HANDOUT_LINKS` of all files are numbered.
    """
    return handout_links_numbered(packet, {inservice_id: found}, links)


def handout_links_numbered(
    packet: Packet, found: Mapping[str, Sequence[tuple[int, str]]], links: LinkTable
) -> LinkTable:
    """:func:`register_handout_links` for several in-services at once, in the
    order of ``found`` (packet order): one copy of the table for them all."""
    if not any(found.values()):
        return links
    links = copy.deepcopy(links)
    for inservice_id, pairs in found.items():
        _number_handout_links(packet, inservice_id, pairs, links)
    return links


def _number_handout_links(
    packet: Packet, inservice_id: str, found: Sequence[tuple[int, str]], links: LinkTable
) -> None:
    # Changes ``links``: only ever the copy handout_links_numbered made.
    index = packet.inservice_index(inservice_id)
    inservice = packet.inservices[index]
    by_item: dict[int, list[str]] = {}
    for j, url in found:
        by_item.setdefault(j, []).append(url)
    for j, urls in by_item.items():
        item = inservice.items[j]
        field_path = f"inservices[{index}].items[{j}].file"
        where = packet.locate("inservices", index, "items", j, "file")
        source = LinkSource(inservice.id, item.title, field_path)
        # Each address once, as the table already has it or as first found.
        spelled: dict[str, str] = {}
        for url in urls:
            key = comparable(url)
            if key not in spelled:
                known = links.same(url)
                spelled[key] = known.url if known is not None else url
        distinct = list(spelled.values())
        room = max(0, MAX_HANDOUT_LINKS - links.handout_links)
        added: list[str] = []
        left_out = 0
        for url in distinct[:MAX_LINKS_PER_HANDOUT]:
            if links.get(url) is None:
                if len(added) >= room:
                    left_out += 1
                    continue
                added.append(url)
            links.add(url, source, where=where)
        links.handout_links += len(added)
        skipped = len(distinct) - MAX_LINKS_PER_HANDOUT
        message = _handout_links_warning(
            item.file, added, len(distinct), skipped=max(0, skipped), left_out=left_out
        )
        if message:
            place = ":".join(str(p) for p in where if p is not None)
            links.warnings.append(f"{place}: {field_path}: {message}")


def _handout_links_warning(
    file: str | None, added: list[str], total: int, *, skipped: int, left_out: int
) -> str:
    """What a handout did to the appendix, for the trainer to check; "" when nothing."""
    parts: list[str] = []
    if added:
        shown = ", ".join(short_url(url) for url in added[:_SHOWN_URLS])
        more = f" and {len(added) - _SHOWN_URLS} more" if len(added) > _SHOWN_URLS else ""
        word, them = ("link", "it") if len(added) == 1 else ("links", "them")
        parts.append(
            f"{file} adds {len(added)} {word} to the appendix ({shown}{more}); check that you"
            f" want to hand {them} out"
        )
    if skipped:
        parts.append(
            f"{file} has {total} links; only the first {MAX_LINKS_PER_HANDOUT} are numbered"
            " (the limit for one handout)"
        )
    if left_out:
        parts.append(
            f"{left_out} more links of {file} were left out: the packet's handouts already"
            f" add {MAX_HANDOUT_LINKS}, the limit for all handouts together"
        )
    return "; ".join(parts)
