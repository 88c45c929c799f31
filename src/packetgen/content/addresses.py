"""addresses: one web address in its spellings.

How a person types it (:func:`short_url`), the ASCII form a PDF link or an
``href`` needs (:func:`to_uri`), and the form in which two spellings of one
address compare equal (:func:`comparable`), so that a handout's printed
address and its link annotation get one number.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = ["comparable", "short_url", "to_uri"]


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


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _escapes(text: str) -> str:
    """``%7e`` and ``%7E`` as ``~``, ``%c3`` as ``%C3``: one spelling of each escape."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group()[1:], 16))
        return char if char in _UNRESERVED else match.group().upper()

    return _ESCAPE.sub(one, text)


def comparable(url: str) -> str:
    """``url`` in the form in which two spellings of one address are equal.

    A handout prints ``https://Example.org/straße`` where its link says
    ``https://example.org/stra%C3%9Fe/``: one address, which should get one
    number. Equal here are: the case of the scheme and host, a host's Unicode
    and ``xn--`` forms, the default port, percent escapes (and characters that
    need none), and a last ``/`` of the path. Not equal: ``http`` and
    ``https``, the query and fragment (a site may tell pages apart by them).
    """
    try:
        parts = urlsplit(to_uri(url))
        port = parts.port
    except ValueError:  # a port that is no number: compared as written
        return url
    scheme = parts.scheme.lower()
    netloc = (parts.hostname or "").rstrip(".")
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    path = _escapes(parts.path).rstrip("/")
    return urlunsplit((scheme, netloc, path, _escapes(parts.query), _escapes(parts.fragment)))
