"""linkcheck: does every link of a packet still lead where the printout says?

A printed packet cannot be patched: a volunteer who scans a code for a page
that has moved or vanished just gets an error, months after the trainer
printed it. So before printing, the trainer checks every numbered link once.

:func:`describe_links` lists the links with their QR sizes (no network);
:func:`check_links` asks each site and gives a verdict a trainer can act on:

========== ===========================================================
verdict    meaning
========== ===========================================================
ok         the page answers (a redirect that only adds or drops a
           trailing slash, or upgrades http to https, is fine too)
redirected the page moved: print the new address instead (a warning)
login-wall the page asks for a login; fine when the item's ``access``
           text says so, a warning otherwise
broken     404/410, a server error that persisted, an unknown host or a
           refused connection (a failure)
timeout    no answer in time, even after retries (a failure)
error      anything else: TLS problems, odd status codes (a failure)
========== ===========================================================

Sites are asked politely (a few requests per host at a time, a descriptive
User-Agent, HEAD before GET) because trainers run this against small
non-profit sites, and the bodies of GET requests are never downloaded.

A computer that is offline cannot look up any host name, so every link would
come back "host not found". When no link's host could be looked up and a name
that is known to exist (:data:`CONTROL_HOSTS`) cannot be either, the check
raises :class:`OfflineError` instead of calling every link broken; a link to
a host that really does not exist is still broken while the computer is online.

This module lists the links and runs the checks; asking one site and judging
its answer is :mod:`packetgen.tools._link_probe`, the report and its formats
:mod:`packetgen.tools._link_report`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
from collections.abc import Iterator, Sequence

import httpx

from packetgen._version import __version__
from packetgen.content.links import LinkTable, collect_links
from packetgen.errors import OptionError, PacketgenError
from packetgen.spec.models import Packet
from packetgen.support._csv import csv_cell
from packetgen.tools._link_probe import LOGIN_EXPECTED, check_one, check_short
from packetgen.tools._link_report import (
    FAILURES,
    LinkReport,
    ReportFormat,
    ShortVerdict,
    Verdict,
    any_broken,
    format_reports,
)

__all__ = [
    "CONTROL_HOSTS",
    "FAILURES",
    "LOGIN_EXPECTED",
    "USER_AGENT",
    "LinkReport",
    "OfflineError",
    "ReportFormat",
    "ShortVerdict",
    "Verdict",
    "any_broken",
    "check_links",
    "check_links_sync",
    "csv_cell",
    "describe_links",
    "format_reports",
]

USER_AGENT = f"packetgen/{__version__} (link check of a printed training packet)"
"""Says who is asking, so a site owner who sees the requests in a log knows
they are a one-off check and not a crawler."""

CONTROL_HOSTS: tuple[str, ...] = ("example.org", "example.com")
"""Host names looked up when no link's host could be: reserved for examples
(RFC 2606) and always answered, so when none of them can be looked up either,
the computer cannot reach the internet."""


class OfflineError(PacketgenError):
    """No host name could be looked up, not even a known one: the computer seems offline."""


# An item whose `access` text says any of this expects its link to end on a
# login or registration page.
_EXPECTS_LOGIN = re.compile(
    r"regist(?:er|ered|ering|ration)|log[\s-]?(?:in|on)|sign[\s-]?(?:in|up)|accounts?\b",
    re.IGNORECASE,
)
_ITEM_FIELD = re.compile(r"^inservices\[(\d+)\]\.items\[(\d+)\]")


def describe_links(packet: Packet, links: LinkTable | None = None) -> list[LinkReport]:
    """Every numbered link of ``packet`` with its QR size; nothing is fetched.

    Pass the ``links`` a build used to include the links it found inside
    handouts; by default only the spec's own links are listed.
    """
    table = links if links is not None else collect_links(packet)
    reports: list[LinkReport] = []
    for ref in table.links:
        expected = False
        for source in ref.sources:
            match = _ITEM_FIELD.match(source.field)
            if match is None:
                continue
            i, j = int(match[1]), int(match[2])
            try:
                access = packet.inservices[i].items[j].access
            except IndexError:  # a table built from another version of the spec
                continue
            if access and _EXPECTS_LOGIN.search(access):
                expected = True
        reports.append(
            LinkReport(
                number=ref.number,
                url=ref.url,
                items=_unique(s.item for s in ref.sources),
                inservices=_unique(s.inservice for s in ref.sources),
                qr_version=ref.version,
                printed_mm=round(ref.size_mm, 2),
                module_mm=round(ref.module_mm, 3),
                expected_login=expected,
                short_url=ref.encoded if ref.short_name is not None else None,
            )
        )
    return reports


def _unique(values: Iterator[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# ---------------------------------------------------------------- checking


async def check_links(
    reports: list[LinkReport],
    *,
    timeout: float = 10,
    retries: int = 2,
    per_host: int = 2,
    concurrency: int = 8,
    user_agent: str = USER_AGENT,
    control_hosts: Sequence[str] | None = None,
) -> list[LinkReport]:
    """Ask every link's site and return the reports with verdicts, in the same order.

    ``timeout`` bounds each request (seconds, whole answer); ``retries`` is how
    many times a timeout, connection failure or server error is tried again.
    Never raises for a link that fails: that is what the verdict is for. Raises
    :class:`OfflineError` when the host of no link could be looked up and none of
    ``control_hosts`` (default :data:`CONTROL_HOSTS`) either: the computer is
    offline, and no verdict would say anything about the links.
    """
    if not timeout > 0:
        raise OptionError(f"the link-check timeout must be positive, found {timeout!r}")
    if retries < 0 or per_host < 1 or concurrency < 1:
        raise OptionError(
            "retries must be 0 or more, and per_host and concurrency at least 1;"
            f" found retries={retries}, per_host={per_host}, concurrency={concurrency}"
        )
    overall = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}
    unresolved: list[str] = []
    """The host of every link whose host could not be looked up."""
    async with httpx.AsyncClient(
        follow_redirects=True,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent},
        limits=httpx.Limits(max_connections=concurrency),
    ) as client:

        async def one(report: LinkReport) -> LinkReport:
            try:
                host = (httpx.URL(report.url).host or "").lower()
            except httpx.InvalidURL as exc:  # only from callers that skip the spec
                return dataclasses.replace(
                    report, verdict="error", detail=f"not a link that can be checked: {exc}"
                )
            gate = hosts.setdefault(host, asyncio.Semaphore(per_host))
            # Host first: a task waiting for a busy host must not hold one of
            # the overall slots that links to other hosts could use meanwhile.
            async with gate, overall:
                report, lookup_failed = await check_one(
                    client, report, timeout=timeout, retries=retries
                )
            if lookup_failed:
                unresolved.append(host)
            if report.short_url is None:
                return report
            short_host = (httpx.URL(report.short_url).host or "").lower()
            async with hosts.setdefault(short_host, asyncio.Semaphore(per_host)), overall:
                return await check_short(client, report, timeout=timeout)

        checked = list(await asyncio.gather(*(one(r) for r in reports)))
    if reports and len(unresolved) == len(reports):
        await _refuse_offline(checked, set(unresolved), control_hosts, timeout)
    return checked


async def _refuse_offline(
    reports: list[LinkReport],
    unresolved: set[str],
    control_hosts: Sequence[str] | None,
    timeout: float,
) -> None:
    """Raise :class:`OfflineError` when the control hosts cannot be looked up either.

    A host that does not exist makes a broken link only on a computer that is
    online, which a control host that resolves proves; without control hosts
    nothing is proved and the links keep their verdicts.
    """
    controls = CONTROL_HOSTS if control_hosts is None else tuple(control_hosts)
    if not controls:
        return
    for host in controls:
        if await _resolves(host, timeout):
            return
    names = sorted(unresolved)
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    count = "the link" if len(reports) == 1 else f"any of the {len(reports)} links"
    answer = "always answers" if len(controls) == 1 else "always answer"
    raise OfflineError(
        f"could not check {count}: no host name could be looked up, neither the links'"
        f" ({shown}) nor {' or '.join(controls)}, which {answer}, so this computer seems to be"
        " offline. Check its internet connection (Wi-Fi, network cable, VPN or proxy), then"
        " run the check again"
    )


async def _resolves(host: str, timeout: float) -> bool:
    """Whether ``host`` can be looked up (the address is not used)."""
    try:
        async with asyncio.timeout(timeout):
            await asyncio.get_running_loop().getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError):  # socket.gaierror is an OSError
        return False
    return True


def check_links_sync(
    reports: list[LinkReport],
    *,
    timeout: float = 10,
    retries: int = 2,
    per_host: int = 2,
    concurrency: int = 8,
    user_agent: str = USER_AGENT,
    control_hosts: Sequence[str] | None = None,
) -> list[LinkReport]:
    """:func:`check_links` for callers without an event loop (the CLI)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise OptionError(
            "check_links_sync cannot run inside an event loop; await check_links instead"
        )
    return asyncio.run(
        check_links(
            reports,
            timeout=timeout,
            retries=retries,
            per_host=per_host,
            concurrency=concurrency,
            user_agent=user_agent,
            control_hosts=control_hosts,
        )
    )
