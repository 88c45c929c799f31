"""links: every external URL in the packet, numbered once, with its QR code.

Numbers are global to the packet so that the same link carries the same
number in every binder, in ``packet.pdf`` and in the HTML.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

from .errors import Problem, QRCapacityError, SpecError
from .markdown import links_in
from .qr import ErrorCorrection, QRCode, make_qr
from .spec import Packet

__all__ = [
    "LONG_URL",
    "MAX_HANDOUT_LINKS",
    "MAX_LINKS_PER_HANDOUT",
    "LinkRef",
    "LinkTable",
    "collect_links",
    "register_handout_links",
    "short_url",
]

LONG_URL = 100
"""Past this many characters a QR code gets dense enough to fail from a photocopy."""

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
    label: str
    qr: QRCode
    sources: list[LinkSource] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"link-{self.number}"


@dataclass
class LinkTable:
    """All links of a packet, in order of first appearance."""

    error_correction: ErrorCorrection = "M"
    links: list[LinkRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    handout_links: int = 0
    """Links numbered because a handout had them (not the spec): see MAX_HANDOUT_LINKS."""
    _by_url: dict[str, LinkRef] = field(default_factory=dict)

    def add(
        self,
        url: str,
        source: LinkSource,
        *,
        where: tuple[str, int | None, int | None] = ("<packet>", None, None),
    ) -> LinkRef:
        """Number ``url`` (once) and record where it appears."""
        ref = self._by_url.get(url)
        if ref is None:
            try:
                qr = make_qr(url, self.error_correction)
            except QRCapacityError as exc:
                raise SpecError(
                    [Problem(*where, source.field, f"{exc} (item {source.item!r})")]
                ) from None
            ref = LinkRef(len(self.links) + 1, url, short_url(url), qr)
            self.links.append(ref)
            self._by_url[url] = ref
            if len(url) > LONG_URL:
                place = ":".join(str(p) for p in where if p is not None)
                self.warnings.append(
                    f"{place}: {source.field}: the URL is {len(url)}"
                    " characters long, so its QR code is dense and may not scan from a"
                    f" photocopy; use a short link (item {source.item!r})"
                )
        ref.sources.append(source)
        return ref

    def number(self, url: str) -> int | None:
        ref = self._by_url.get(url)
        return ref.number if ref is not None else None

    def get(self, url: str) -> LinkRef | None:
        return self._by_url.get(url)

    def for_inservice(self, inservice_id: str) -> list[LinkRef]:
        return [ref for ref in self.links if any(s.inservice == inservice_id for s in ref.sources)]


def short_url(url: str) -> str:
    """The URL as a person would type it: no scheme, no ``www.``, no lone slash."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    if parts.port:
        host += f":{parts.port}"
    rest = parts.path if parts.path not in ("", "/") else ""
    if parts.query:
        rest += "?" + parts.query
    if parts.fragment:
        rest += "#" + parts.fragment
    return host + rest


# RFC 3986: what may stay unescaped in each part ("%" too: existing escapes stay).
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


def to_uri(url: str) -> str:
    """The ASCII form of an http(s) URL, for link annotations and ``href`` attributes.

    QR codes carry the URL exactly as the trainer wrote it (UTF-8): every
    phone scanner opens ``https://straße.de/`` correctly. A PDF link must be
    7-bit ASCII, so there a non-ASCII host becomes its IDNA-2008 A-label
    (``straße.de`` → ``xn--strae-oqa.de``) and everything else is
    percent-encoded. Python's built-in ``idna`` codec is not used: it
    implements IDNA 2003, which maps ``ß`` to ``ss`` and would send the
    reader to ``strasse.de``, a different domain.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    labels = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label)
        else:
            # NFC and lower case, as UTS 46 does for the names people type;
            # str.casefold is not used, it too turns ß into ss.
            normal = unicodedata.normalize("NFC", label).lower()
            labels.append("xn--" + normal.encode("punycode").decode("ascii"))
    netloc = ".".join(labels)
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    try:
        port = parts.port
    except ValueError:  # not a number or out of range: keep it as written
        port = None
        netloc += ":" + quote(parts.netloc.rpartition(":")[2], safe="")
    if port is not None:
        netloc += f":{port}"
    if parts.username is not None:
        userinfo = quote(parts.username, safe="!$&'()*+,;=-._~%")
        if parts.password is not None:
            userinfo += ":" + quote(parts.password, safe="!$&'()*+,;=-._~%")
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=_PATH_SAFE),
            quote(parts.query, safe=_QUERY_SAFE),
            quote(parts.fragment, safe=_QUERY_SAFE),
        )
    )


def collect_links(packet: Packet) -> LinkTable:
    """Number every URL of ``packet`` in reading order and make its QR code."""
    table = LinkTable(error_correction=packet.qr_error_correction)
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
            if item.url is not None:
                table.add(
                    item.url,
                    LinkSource(inservice.id, item.title, f"{base}.url"),
                    where=packet.locate("inservices", i, "items", j, "url"),
                )
            for name in _TEXT_FIELDS:
                for url in links_in(getattr(item, name, None)):
                    table.add(
                        url,
                        LinkSource(inservice.id, item.title, f"{base}.{name}"),
                        where=packet.locate("inservices", i, "items", j, name),
                    )
        if inservice.evaluation is not None and inservice.evaluation.url is not None:
            table.add(
                inservice.evaluation.url,
                LinkSource(inservice.id, "Evaluation form", f"inservices[{i}].evaluation.url"),
                where=packet.locate("inservices", i, "evaluation", "url"),
            )
    return table


def register_handout_links(
    packet: Packet, inservice_id: str, found: Sequence[tuple[int, str]], links: LinkTable
) -> None:
    """Number the web links found inside an in-service's handouts.

    ``found`` is (item index, URL) in page order. A handout's links were not
    written by the trainer, so each one that adds links gets a warning naming
    how many (and the first few), and at most :data:`MAX_LINKS_PER_HANDOUT`
    links of one file and :data:`MAX_HANDOUT_LINKS` of all files are numbered.
    """
    index = next(i for i, s in enumerate(packet.inservices) if s.id == inservice_id)
    inservice = packet.inservices[index]
    by_item: dict[int, list[str]] = {}
    for j, url in found:
        by_item.setdefault(j, []).append(url)
    for j, urls in by_item.items():
        item = inservice.items[j]
        field_path = f"inservices[{index}].items[{j}].file"
        where = packet.locate("inservices", index, "items", j, "file")
        source = LinkSource(inservice.id, item.title, field_path)
        distinct = list(dict.fromkeys(urls))
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
