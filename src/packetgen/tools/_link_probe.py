"""Asking one link's site, politely, and judging its answer.

HEAD first, GET when HEAD is refused (the body is never read), retries with
a pause for overloaded servers, and a verdict a trainer can act on: a moved
page, a login wall, a host that does not exist. A short link is followed to
see that it leads to its target.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus

import httpx

from packetgen.tools._link_report import LinkReport, Verdict

__all__ = [
    "LOGIN_EXPECTED",
    "check_one",
    "check_short",
    "looks_like_login",
    "lookup_failed",
    "same_page",
]

LOGIN_EXPECTED = "login page expected: the item says registration is required"

# Path or host words of login and registration pages. Whole words only, so
# that /author/ or /registry-of-deeds/ are not mistaken for login pages.
_LOGIN_PAGE = re.compile(
    r"(?<![a-z0-9])(?:log-?in|log-?on|sign-?in|sign-?on|sign-?up|register|registration"
    r"|sso|auth|oauth2?|saml|accounts?)(?![a-z0-9])",
    re.IGNORECASE,
)

# HEAD is cheap for the site, but some servers refuse it or answer it wrongly;
# for these answers the same URL is asked again with GET.
_HEAD_REFUSED = frozenset({400, 403, 404, 405, 501})
# Worth asking again after a pause: overloaded or restarting servers.
_TRANSIENT = frozenset({429, 500, 502, 503, 504})
_BACKOFF_S = 0.2


@dataclass(frozen=True)
class _Answer:
    status: int
    final_url: str
    redirected: bool


async def check_one(
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
                return failed, lookup_failed(exc)
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


async def check_short(
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
    if same_page(report.url, final) or (
        report.final_url is not None and same_page(report.final_url, final)
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
    moved = answer.redirected and not same_page(report.url, final)

    def verdict(v: Verdict, detail: str = "") -> LinkReport:
        return dataclasses.replace(report, status=status, final_url=final, verdict=v, detail=detail)

    if status in (401, 403) or (200 <= status < 300 and moved and looks_like_login(final)):
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


def same_page(original: str, final: str) -> bool:
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


def looks_like_login(url: str) -> bool:
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


def lookup_failed(exc: httpx.HTTPError) -> bool:
    """Whether the request failed because its host name could not be looked up."""
    return any(isinstance(cause, socket.gaierror) for cause in _causes(exc))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
