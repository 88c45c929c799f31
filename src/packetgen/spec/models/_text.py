"""What one value of the spec must look like: web addresses, one-line texts and
paragraphs without control characters, short names, email addresses, and the
ceilings on numbers. Each check raises ``ValueError`` with the message the
trainer reads; :mod:`._types` attaches them to the field types.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

# Always used with re.fullmatch: `$` would also match before a final "\n",
# and "one\n" would name an output file with a line break in it.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
BCP47 = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")

MAX_HOURS = 100
"""Credit hours in one number of the spec (an in-service's ``hours``, a credit
rule's ``hours`` and ``cap``). A session lasts a few hours and a yearly
requirement is about a dozen; past 100 the number is a typo or an attack, and
printed on every certificate it would be wrong either way."""
MAX_MINUTES = 6000
"""An item's running or reading time: 100 hours, the same ceiling as ``hours``."""
MAX_PAGES = 100_000
"""``length_pages`` and ``per_pages``: more pages than any book or report."""
MAX_ID_CHARS = 64
"""An in-service id names files (``<id>-certificates.pdf``, temporary files
beside them); 64 characters stay far below every file system's name limit."""
_SHORT_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SHORT_NAME = 40


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a web address packetgen can print and check, or None.

    Everything a later stage would trip over (a port out of range, a host
    that cannot be read) is caught here, where the spec's line is known.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # urlsplit refuses bad [IPv6] hosts and NFKC tricks
        if "[" in url or "]" in url:
            return (
                "expected a web address like https://example.org/page; the part in [ ]"
                " is not a valid IPv6 address"
            )
        return (
            "expected a web address like https://example.org/page; its host name has"
            " characters a web address cannot contain"
        )
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        found = f"a {scheme}: URL" if scheme else "no scheme"
        return f"expected an http:// or https:// URL, found {found}"
    if not parts.hostname:
        return "expected a URL with a host name, like https://example.org/page"
    if any(ch.isspace() for ch in url):
        return "expected a URL without spaces (write %20 for a space)"
    bad = _bad_char(url, allow="")
    if bad is not None:
        return f"expected a URL without control characters, found {bad[1]}; delete it"
    try:
        port = parts.port
    except ValueError:  # not digits, or more than 65535
        port = -1
    if port is not None and not 1 <= port <= 65535:
        written = parts.netloc.rpartition(":")[2]
        return (
            f"the port {written!r} is not a number from 1 to 65535; most web addresses need"
            f" no port: remove ':{written}'"
        )
    if not parts.netloc.rpartition("@")[2].startswith("["):  # [IPv6] is checked by urlsplit
        for ch in parts.hostname:
            if not _host_char(ch):
                return (
                    f"the host name {parts.hostname!r} contains {ch!r}, which a web address"
                    " cannot contain; check the address"
                )
    return None


def _host_char(ch: str) -> bool:
    """Whether ``ch`` can be part of a host name as people write it.

    ASCII: letters, digits, ``-``, ``.`` and ``_`` (seen in real subdomains).
    Beyond ASCII (international names, even emoji domains) anything visible;
    not spaces, controls, unassigned code points, or format characters other
    than the joiners some scripts need (a bidi override would spoof the name).
    """
    if ch.isascii():
        return ch.isalnum() or ch in "-._"
    category = unicodedata.category(ch)
    if category == "Cf":
        return ch in "\u200c\u200d"
    return category[0] not in "CZ"


def check_url(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("expected some text, found an empty string")
    return value


# Every character _bad_char can refuse (categories Cc, Zl, Zp and Cs): the
# search runs in C, the classification only on what it finds.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _bad_char(value: str, *, allow: str) -> tuple[int, str] | None:
    """Where the first character a text field cannot use is, and what it is."""
    for match in _SUSPECT.finditer(value):
        index, ch = match.start(), match.group()
        if ch in allow:
            continue
        if ch in "\n\r":
            return index, "a line break"
        if ch == "\t":
            return index, "a tab"
        category = unicodedata.category(ch)
        if category == "Cc":
            return index, f"the control character U+{ord(ch):04X}"
        if category in ("Zl", "Zp"):
            return index, f"the line separator U+{ord(ch):04X}"
        if category == "Cs":  # only reachable through escapes like "\ud800"
            return index, f"the invalid character U+{ord(ch):04X} (half of a UTF-16 pair)"
    return None


def check_line(value: str) -> str:
    # Names and titles end up in file names, PDF metadata, CSV cells and
    # terminal output, where a line break or an escape character misleads.
    found = _bad_char(value, allow="")
    if found is None:
        return value
    _, what = found
    if what == "a line break":
        raise ValueError(
            f"expected one line of text, found a line break in {clip(value)}; write it on one line"
        )
    raise ValueError(f"expected text without {what}, found it in {clip(value)}; delete it")


def check_prose(value: str) -> str:
    # Paragraphs may have line breaks and tabs, and U+2028 pasted from the web
    # is a harmless line break too; other control characters are invisible
    # in an editor, so the message says where the character is.
    found = _bad_char(value, allow="\t\n\r\u2028\u2029")
    if found is None:
        return value
    index, what = found
    line = value.count("\n", 0, index) + 1
    before = value[max(0, value.rfind("\n", 0, index) + 1, index - 30) : index]
    where = f" after {before!r}" if before else " at its start"
    raise ValueError(
        f"expected text without {what}; line {line} of the text has one{where}: delete it"
    )


def check_short_name(value: str) -> str:
    if not _SHORT_NAME.fullmatch(value) or len(value) > MAX_SHORT_NAME:
        raise ValueError(
            f"expected a short name of lowercase letters, digits and single hyphens"
            f" (at most {MAX_SHORT_NAME} characters), like casa-faq; found {clip(value)}"
        )
    return value


def check_language(value: str) -> str:
    if not BCP47.fullmatch(value):
        raise ValueError(f"expected a language tag like en or es-MX, found {clip(value)}")
    return value


def check_verify_url(value: str) -> str:
    if value.count("{id}") != 1 or value.replace("{id}", "").count("{") + value.count("}") > 1:
        raise ValueError(
            "expected a web address with {id} once where the certificate's id goes, like"
            f" https://example.org/cert/{{id}}; found {clip(value)}"
        )
    problem = url_problem(value.replace("{id}", "ID"))
    if problem is not None:
        raise ValueError(problem)
    return value


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value.strip()):
        raise ValueError(f"expected an email address like name@example.org, found {clip(value)}")
    return value.strip()


def clip(value: str) -> str:
    return repr(value) if len(value) <= 60 else repr(value[:57] + "...")


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)
