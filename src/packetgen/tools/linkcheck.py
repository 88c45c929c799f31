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
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

import httpx

from packetgen._version import __version__
from packetgen.content.links import LinkTable, collect_links
from packetgen.errors import PacketgenError
from packetgen.spec.models import Packet
from packetgen.support._csv import csv_cell

__all__ = [
    "CONTROL_HOSTS",
    "USER_AGENT",
    "LinkReport",
    "OfflineError",
    "Verdict",
    "any_broken",
    "check_links",
    "check_links_sync",
    "csv_cell",
    "describe_links",
    "format_reports",
]

Verdict = Literal["ok", "redirected", "broken", "login-wall", "timeout", "error"]
ShortVerdict = Literal["ok", "not-set-up", "elsewhere", "error"]
"""Of a short link: leads to its target, answers 404 (the redirects are not
uploaded yet), leads somewhere else, or could not be asked."""
ReportFormat = Literal["table", "json", "csv"]

USER_AGENT = f"packetgen/{__version__} (link check of a printed training packet)"
"""Says who is asking, so a site owner who sees the requests in a log knows
they are a one-off check and not a crawler."""

FAILURES: frozenset[Verdict] = frozenset({"broken", "timeout", "error"})

CONTROL_HOSTS: tuple[str, ...] = ("example.org", "example.com")
"""Host names looked up when no link's host could be: reserved for examples
(RFC 2606) and always answered, so when none of them can be looked up either,
the computer cannot reach the internet."""


class OfflineError(PacketgenError):
    """No host name could be looked up, not even a known one: the computer seems offline."""


LOGIN_EXPECTED = "login page expected: the item says registration is required"

# An item whose `access` text says any of this expects its link to end on a
# login or registration page.
_EXPECTS_LOGIN = re.compile(
    r"regist(?:er|ered|ering|ration)|log[\s-]?(?:in|on)|sign[\s-]?(?:in|up)|accounts?\b",
    re.IGNORECASE,
)
# Path or host words of login and registration pages. Whole words only, so
# that /author/ or /registry-of-deeds/ are not mistaken for login pages.
_LOGIN_PAGE = re.compile(
    r"(?<![a-z0-9])(?:log-?in|log-?on|sign-?in|sign-?on|sign-?up|register|registration"
    r"|sso|auth|oauth2?|saml|accounts?)(?![a-z0-9])",
    re.IGNORECASE,
)
_ITEM_FIELD = re.compile(r"^inservices\[(\d+)\]\.items\[(\d+)\]")

# HEAD is cheap for the site, but some servers refuse it or answer it wrongly;
# for these answers the same URL is asked again with GET.
_HEAD_REFUSED = frozenset({400, 403, 404, 405, 501})
# Worth asking again after a pause: overloaded or restarting servers.
_TRANSIENT = frozenset({429, 500, 502, 503, 504})
_BACKOFF_S = 0.2


@dataclass(frozen=True)
class LinkReport:
    """One numbered link of the packet, and what a check found."""

    number: int
    """The link's number, as printed beside its QR code."""
    url: str
    items: tuple[str, ...]
    """Titles of the items (or in-services, for summaries) that carry the link."""
    inservices: tuple[str, ...]
    """Ids of the in-services the link appears in."""
    qr_version: int
    """QR version 1..40; higher is denser and harder to scan from a photocopy."""
    printed_mm: float
    """Side of the printed code, quiet zone included."""
    module_mm: float
    status: int | None = None
    """HTTP status of the last answer; None when unchecked or no answer came."""
    final_url: str | None = None
    """Where the link ended after redirects."""
    verdict: Verdict | None = None
    """None until :func:`check_links` has run."""
    detail: str = ""
    """What the trainer should know or do, e.g. ``404 Not Found``."""
    expected_login: bool = False
    """The item's ``access`` text mentions registration or a login."""
    short_url: str | None = None
    """The short link the code carries (with the packet's ``short_links``)."""
    short_verdict: ShortVerdict | None = None
    """Whether the short link leads to :attr:`url`: None until checked."""
    short_detail: str = ""

    @property
    def severity(self) -> Literal["failure", "warning"] | None:
        """``failure``: the code leads nowhere; ``warning``: worth a look; None: fine."""
        if self.verdict in FAILURES or self.short_verdict not in (None, "ok"):
            return "failure"
        if self.verdict == "redirected" or (
            self.verdict == "login-wall" and not self.expected_login
        ):
            return "warning"
        return None


# ---------------------------------------------------------------- describing


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
        raise PacketgenError(f"the link-check timeout must be positive, found {timeout!r}")
    if retries < 0 or per_host < 1 or concurrency < 1:
        raise PacketgenError(
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
                report, lookup_failed = await _check_one(
                    client, report, timeout=timeout, retries=retries
                )
            if lookup_failed:
                unresolved.append(host)
            if report.short_url is None:
                return report
            short_host = (httpx.URL(report.short_url).host or "").lower()
            async with hosts.setdefault(short_host, asyncio.Semaphore(per_host)), overall:
                return await _check_short(client, report, timeout=timeout)

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
        raise PacketgenError(
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


@dataclass(frozen=True)
class _Answer:
    status: int
    final_url: str
    redirected: bool


async def _check_one(
    client: httpx.AsyncClient, report: LinkReport, *, timeout: float, retries: int
) -> tuple[LinkReport, bool]:
    """The report with its verdict, and whether it failed because the host could not be
    looked up (see :func:`_refuse_offline`)."""
    tries = retries + 1
    for attempt in range(tries):
        last = attempt == tries - 1
        try:
            answer = await _ask(client, report.url, timeout)
        except (httpx.TimeoutException, TimeoutError):
            if last:
                timed_out = dataclasses.replace(
                    report,
                    verdict="timeout",
                    detail=f"no answer within {timeout:g} s{_tried(tries)}",
                )
                return timed_out, False
        except httpx.HTTPError as exc:
            verdict, detail, transient = _explain_failure(exc, report.url)
            if last or not transient:
                failed = dataclasses.replace(
                    report, verdict=verdict, detail=detail + _tried(attempt + 1)
                )
                return failed, _lookup_failed(exc)
        else:
            if answer.status not in _TRANSIENT or last:
                return _judge(report, answer, attempt + 1), False
        await asyncio.sleep(_BACKOFF_S * 2**attempt)
    raise AssertionError("unreachable: the last attempt always returns")  # pragma: no cover


async def _ask(client: httpx.AsyncClient, url: str, timeout: float) -> _Answer:
    """HEAD, or GET when HEAD is refused; the body is never read.

    httpx's timeout applies to each network operation, so a server that
    trickles bytes could hold a request forever; the overall bound is ours.
    """
    async with asyncio.timeout(timeout):
        try:
            response = await client.head(url)
            if response.status_code not in _HEAD_REFUSED:
                return _answer(response)
        except (httpx.ProtocolError, httpx.ReadError, httpx.DecodingError):
            pass  # some servers drop the connection on HEAD but serve GET
    async with asyncio.timeout(timeout), client.stream("GET", url) as response:
        return _answer(response)


# A static redirect page (what `short-links/` holds) sends the browser on with
# <meta http-equiv="refresh" content="0; url=…">; read that much of the page.
_META_REFRESH = re.compile(
    rb"""<meta[^>]{0,200}?http-equiv=["']?refresh["']?[^>]{0,200}?content=["']?\s*\d+\s*;"""
    rb"""\s*url=([^"'>]{1,4000})""",
    re.IGNORECASE,
)
_PAGE_BYTES = 64 * 1024


async def _check_short(
    client: httpx.AsyncClient, report: LinkReport, *, timeout: float
) -> LinkReport:
    """Does the short link lead to the link's target (by HTTP redirect or a redirect page)?"""
    assert report.short_url is not None
    host = httpx.URL(report.short_url).host
    try:
        async with (
            asyncio.timeout(timeout),
            client.stream("GET", report.short_url) as response,
        ):
            final = str(response.url)
            status = response.status_code
            body = b""
            if status < 300 and "html" in response.headers.get("content-type", ""):
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= _PAGE_BYTES:
                        break
    except (httpx.HTTPError, TimeoutError) as exc:
        detail = (
            f"no answer within {timeout:g} s"
            if isinstance(exc, TimeoutError | httpx.TimeoutException)
            else _explain_failure(exc, report.short_url)[1]
        )
        return dataclasses.replace(
            report, short_verdict="error", short_detail=f"short link {report.short_url}: {detail}"
        )
    if status >= 400:
        return dataclasses.replace(
            report,
            short_verdict="not-set-up",
            short_detail=(
                f"short link {report.short_url} answers {_status_text(status)}: upload the"
                f" short-links folder of the build to {host} (see its _redirects file)"
            ),
        )
    refresh = _META_REFRESH.search(body)
    if refresh is not None:
        final = str(httpx.URL(final).join(refresh.group(1).decode("utf-8", "replace").strip()))
    if _same_page(report.url, final) or (
        report.final_url is not None and _same_page(report.final_url, final)
    ):
        return dataclasses.replace(report, short_verdict="ok")
    return dataclasses.replace(
        report,
        short_verdict="elsewhere",
        short_detail=(
            f"short link {report.short_url} leads to {final}, not to {report.url}; upload the"
            " short-links folder of this build again"
        ),
    )


def _answer(response: httpx.Response) -> _Answer:
    return _Answer(response.status_code, str(response.url), bool(response.history))


def _judge(report: LinkReport, answer: _Answer, tries: int) -> LinkReport:
    status, final = answer.status, answer.final_url
    moved = answer.redirected and not _same_page(report.url, final)

    def verdict(v: Verdict, detail: str = "") -> LinkReport:
        return dataclasses.replace(report, status=status, final_url=final, verdict=v, detail=detail)

    if status in (401, 403) or (200 <= status < 300 and moved and _looks_like_login(final)):
        if report.expected_login:
            return verdict("login-wall", LOGIN_EXPECTED)
        if status in (401, 403):
            return verdict(
                "login-wall",
                f"{_status_text(status)}: the site asks for a login or refuses automated"
                " checks; open the link in a browser, and if it needs registration say so"
                " in the item's access text",
            )
        return verdict(
            "login-wall",
            f"redirects to a login page ({final}) but the item does not say registration"
            " is required; check the link, or say so in the item's access text",
        )
    if 200 <= status < 300:
        if moved:
            return verdict("redirected", f"redirects to {final}; update the spec")
        return verdict("ok")
    if status in (404, 410) or 500 <= status < 600:
        return verdict("broken", _status_text(status) + _tried(tries))
    return verdict("error", _status_text(status) + _tried(tries))


def _tried(tries: int) -> str:
    return f" (tried {tries} times)" if tries > 1 else ""


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP status {status}"


def _same_page(original: str, final: str) -> bool:
    """Redirects not worth reprinting a code for: a trailing slash added or
    dropped, or http upgraded to https (fragments never reach the server)."""
    a, b = httpx.URL(original), httpx.URL(final)
    if a.scheme != b.scheme and not (a.scheme == "http" and b.scheme == "https"):
        return False
    return (
        a.host == b.host
        and a.port == b.port
        and a.path.rstrip("/") == b.path.rstrip("/")
        and a.query == b.query
    )


def _looks_like_login(url: str) -> bool:
    parsed = httpx.URL(url)
    return bool(_LOGIN_PAGE.search(parsed.path) or _LOGIN_PAGE.search(parsed.host))


def _explain_failure(exc: httpx.HTTPError, url: str) -> tuple[Verdict, str, bool]:
    """(verdict, detail, worth retrying) for a request that got no answer."""
    host = httpx.URL(url).host
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            if cause.errno == socket.EAI_AGAIN:
                return "error", f"could not look up {host}: is this computer online?", True
            return "broken", f"host not found: {host} does not exist (DNS)", False
        if isinstance(cause, ConnectionRefusedError):
            return "broken", f"connection refused by {host}: the site is down or gone", True
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or str(cause)
            return "error", f"the site's certificate is not valid: {reason}", False
        if isinstance(cause, ssl.SSLError):
            return "error", f"secure connection failed: {cause.reason or cause}", True
    if isinstance(exc, httpx.TooManyRedirects):
        return "broken", "too many redirects (the site redirects in a loop)", False
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "error", f"not a link that can be checked: {exc}", False
    message = str(exc) or type(exc).__name__
    return "error", f"request failed: {message}", isinstance(exc, httpx.TransportError)


def _lookup_failed(exc: httpx.HTTPError) -> bool:
    """Whether the request failed because its host name could not be looked up."""
    return any(isinstance(cause, socket.gaierror) for cause in _causes(exc))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# ---------------------------------------------------------------- reporting


def any_broken(reports: list[LinkReport]) -> bool:
    """True when a code would lead nowhere (broken, timeout, error).

    Redirects and unexpected login walls are warnings: the code still leads
    somewhere a volunteer can use.
    """
    return any(r.verdict in FAILURES for r in reports)


_CSV_FIELDS = (
    "number",
    "url",
    "items",
    "inservices",
    "qr_version",
    "printed_mm",
    "module_mm",
    "status",
    "final_url",
    "verdict",
    "detail",
    "expected_login",
    "short_url",
    "short_verdict",
    "short_detail",
)


def format_reports(reports: list[LinkReport], fmt: ReportFormat) -> str:
    """The reports as an aligned table for people, or JSON/CSV for other tools."""
    if fmt == "json":
        return json.dumps([_as_json(r) for r in reports], indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_CSV_FIELDS)
        for r in reports:
            row = _as_json(r)
            row["items"] = "; ".join(r.items)
            row["inservices"] = "; ".join(r.inservices)
            writer.writerow([csv_cell(row[k]) for k in _CSV_FIELDS])
        return buffer.getvalue()
    if fmt == "table":
        return _table(reports)
    raise PacketgenError(f"report format must be table, json or csv, found {fmt!r}")


def _as_json(report: LinkReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data["items"] = list(report.items)
    data["inservices"] = list(report.inservices)
    data["severity"] = report.severity
    return data


_ITEMS_WIDTH = 40


def _table(reports: list[LinkReport]) -> str:
    checked = any(r.verdict is not None for r in reports)
    short = any(r.short_url for r in reports)
    header = ["#", "URL", *(["short link"] if short else []), "QR", "size", "module", "items"]
    if checked:
        header += ["status", "verdict", "detail"]
    rows = [header]
    for r in reports:
        items = "; ".join(r.items)
        if len(items) > _ITEMS_WIDTH:
            items = items[: _ITEMS_WIDTH - 1] + "…"
        row = [
            str(r.number),
            r.url,
            *([r.short_url or ""] if short else []),
            f"v{r.qr_version}",
            f"{r.printed_mm:.1f} mm",
            f"{r.module_mm:.2f} mm",
            items,
        ]
        if checked:
            row += [
                "" if r.status is None else str(r.status),
                r.verdict or "",
                "; ".join(d for d in (r.detail, r.short_detail) if d),
            ]
        rows.append(row)
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if checked:
        failures = sum(r.severity == "failure" for r in reports)
        warnings = sum(r.severity == "warning" for r in reports)
        lines.append("")
        lines.append(
            f"{len(reports)} links: {failures} failed, {warnings} need a look,"
            f" {len(reports) - failures - warnings} fine"
        )
    return "\n".join(lines) + "\n"
