"""The packet spec, format v1: pydantic models validated once, at the edge.

Field docstrings are the user documentation: they become the descriptions in
``packetgen schema``, which editors show while a trainer types YAML.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StrictBool,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from packetgen.errors import PacketgenError

__all__ = [
    "ITEM_KINDS",
    "MAX_HOURS",
    "MAX_ID_CHARS",
    "MAX_MINUTES",
    "MAX_MODULE_MM",
    "MAX_PAGES",
    "MAX_SHORT_NAME",
    "MIN_MODULE_MM",
    "RECORD_COLUMNS",
    "AgendaEntry",
    "Article",
    "Campaign",
    "Certificate",
    "Contact",
    "CreditPolicy",
    "CreditRule",
    "Evaluation",
    "Film",
    "Handout",
    "InService",
    "Item",
    "Link",
    "Note",
    "Packet",
    "Presentation",
    "Recording",
    "Records",
    "Requirement",
    "SignIn",
    "Translation",
    "session_times",
    "start_seconds",
    "url_problem",
]

ITEM_KINDS = (
    "article",
    "recording",
    "handout",
    "presentation",
    "film",
    "campaign",
    "link",
    "note",
)

# Always used with re.fullmatch: `$` would also match before a final "\n",
# and "one\n" would name an output file with a line break in it.
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_BCP47 = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")

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


def _check_url(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _check_text(value: str) -> str:
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


def _check_line(value: str) -> str:
    # Names and titles end up in file names, PDF metadata, CSV cells and
    # terminal output, where a line break or an escape character misleads.
    found = _bad_char(value, allow="")
    if found is None:
        return value
    _, what = found
    if what == "a line break":
        raise ValueError(
            f"expected one line of text, found a line break in {_clip(value)}; write it on one line"
        )
    raise ValueError(f"expected text without {what}, found it in {_clip(value)}; delete it")


def _check_prose(value: str) -> str:
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


_SHORT_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SHORT_NAME = 40
_START = re.compile(r"(?:(?P<h>[0-9]{1,2}):)?(?P<m>[0-9]{1,3}):(?P<s>[0-5][0-9])")

MIN_MODULE_MM = 0.7
"""Smallest QR module (mm) that survived a photocopy of a photocopy (see README)."""
MAX_MODULE_MM = 2.0


def _check_short_name(value: str) -> str:
    if not _SHORT_NAME.fullmatch(value) or len(value) > MAX_SHORT_NAME:
        raise ValueError(
            f"expected a short name of lowercase letters, digits and single hyphens"
            f" (at most {MAX_SHORT_NAME} characters), like casa-faq; found {_clip(value)}"
        )
    return value


def start_seconds(value: str) -> int:
    """Seconds from the start of ``"1:30"`` or ``"1:02:03"`` (validated)."""
    match = _START.fullmatch(value)
    assert match is not None
    return int(match["h"] or 0) * 3600 + int(match["m"]) * 60 + int(match["s"])


def _check_start(value: str) -> str:
    match = _START.fullmatch(value.strip())
    if match is None:
        raise ValueError(
            f'expected a time like "1:30" (minutes:seconds) or "1:02:03"'
            f" (hours:minutes:seconds), found {_clip(value)}"
        )
    if match["h"] and int(match["m"]) > 59:
        raise ValueError(f"expected minutes from 00 to 59 after the hours, found {_clip(value)}")
    return value.strip()


def _clip(value: str) -> str:
    return repr(value) if len(value) <= 60 else repr(value[:57] + "...")


# A clock time as trainers write it: 6:30pm, 6:30 p.m., 6pm, 18:30, 18.30.
_CLOCK_PART = r"(?P<{n}h>[0-9]{{1,2}})(?:[:.h](?P<{n}m>[0-9]{{2}}))?\s*(?P<{n}ap>[ap]\.?\s?m\.?)?"
_SESSION_TIME = re.compile(
    _CLOCK_PART.format(n="s")
    + r"(?:\s*(?:-|\u2013|\u2014|to|until)\s*"
    + _CLOCK_PART.format(n="e")
    + r")?",
    re.IGNORECASE,
)
_TIME_EXAMPLE = 'a time like 6:30pm or 18:30, or a span like "18:30-20:00"'


def _clock(hours: str, minutes: str | None, ampm: str | None) -> _dt.time | None:
    hour, minute = int(hours), int(minutes or 0)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        pm = ampm.lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return _dt.time(hour, minute)


def session_times(value: str) -> tuple[_dt.time, _dt.time | None]:
    """Start and (optional) end of a validated ``time:`` ("18:30" or "18:30-20:00")."""
    start, _, end = value.partition("-")
    return _dt.time.fromisoformat(start), _dt.time.fromisoformat(end) if end else None


def _check_time(value: str) -> str:
    match = _SESSION_TIME.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"expected {_TIME_EXAMPLE}, found {_clip(value)}")
    end_ap = match["eap"]
    # "6:30-8pm": the end's am/pm is the start's too, unless that makes no sense.
    start_ap = match["sap"] or (end_ap if match["eh"] is not None else None)
    start = _clock(match["sh"], match["sm"], start_ap)
    if start is None and match["sap"] is None and start_ap is not None:
        start = _clock(match["sh"], match["sm"], None)
    end = _clock(match["eh"], match["em"], end_ap) if match["eh"] is not None else None
    if start is None or (match["eh"] is not None and end is None):
        raise ValueError(
            f"expected {_TIME_EXAMPLE}, found {_clip(value)}, which is not a time of day"
        )
    if end is not None and end <= start:
        if start_ap is end_ap and start_ap is None and end.hour < 12 and start.hour < 12:
            end = _dt.time(end.hour + 12, end.minute)  # "6:30-8:00" in the evening
        if end <= start:
            raise ValueError(
                f"expected the end after the start, found {_clip(value)}; write it like 18:30-20:00"
            )
    text = start.strftime("%H:%M")
    return f"{text}-{end.strftime('%H:%M')}" if end is not None else text


def _time_text(value: Any) -> Any:
    # YAML 1.1 reads 18:30 unquoted as a base-60 number; the source layer keeps
    # such values as text, and JSON may give a bare hour.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24:
        return str(value)
    return value


def _check_verify_url(value: str) -> str:
    if value.count("{id}") != 1 or value.replace("{id}", "").count("{") + value.count("}") > 1:
        raise ValueError(
            "expected a web address with {id} once where the certificate's id goes, like"
            f" https://example.org/cert/{{id}}; found {_clip(value)}"
        )
    problem = url_problem(value.replace("{id}", "ID"))
    if problem is not None:
        raise ValueError(problem)
    return value


_DATE_CODES = re.compile(r"%[YmdbBeyaA%]")


def _check_date_format(value: str) -> str:
    rest = _DATE_CODES.sub("", value)
    if "%" in rest or ("%Y" not in value and "%y" not in value):
        raise ValueError(
            "expected a date format made of %Y (year), %m (month), %d (day) and separators,"
            f" like %m/%d/%Y; found {_clip(value)}"
        )
    return value


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value.strip()):
        raise ValueError(f"expected an email address like name@example.org, found {_clip(value)}")
    return value.strip()


def _to_date(value: Any) -> Any:
    # YAML and TOML give real dates; JSON can only give a string.
    if isinstance(value, _dt.datetime):
        raise ValueError(
            f"expected only a date like 2018-03-12, found a date with a time; put the time in its"
            f" own field on the next line: time: {value.strftime('%H:%M')}"
        )
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
        day, _, rest = value.strip().partition(" ")
        with contextlib.suppress(ValueError):
            _dt.date.fromisoformat(day)
            if rest.strip():
                raise ValueError(
                    f"expected only a date like 2018-03-12, found {value!r}; put the time in its"
                    f" own field on the next line: time: {rest.strip()}"
                ) from None
        raise ValueError(f"expected a date like 2018-03-12, found {value!r}")
    raise ValueError(f"expected a date like 2018-03-12, found {_describe(value)}")


def _describe(value: Any) -> str:
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


Text = Annotated[str, Field(strict=True), AfterValidator(_check_line), AfterValidator(_check_text)]
"""One line of text that must say something: titles, names, questions."""
OptText = Annotated[str, Field(strict=True), AfterValidator(_check_line)]
"""One line of text, possibly empty: source, presenter, location…"""
Prose = Annotated[str, Field(strict=True), AfterValidator(_check_prose)]
"""Paragraphs (Markdown or a notice): line breaks allowed."""
Secret = Annotated[str, Field(strict=True)]
"""A password: any characters, it is never printed."""
Url = Annotated[str, Field(strict=True), AfterValidator(_check_url)]
Date = Annotated[_dt.date, BeforeValidator(_to_date)]
Hours = Annotated[float, Field(strict=True, ge=0, le=MAX_HOURS)]
Minutes = Annotated[int, Field(strict=True, ge=0, le=MAX_MINUTES)]
Pages = Annotated[int, Field(strict=True, ge=1, le=MAX_PAGES)]
ShortName = Annotated[str, Field(strict=True), AfterValidator(_check_short_name)]
StartTime = Annotated[str, Field(strict=True), AfterValidator(_check_start)]


def _check_language(value: str) -> str:
    if not _BCP47.fullmatch(value):
        raise ValueError(f"expected a language tag like en or es-MX, found {_clip(value)}")
    return value


Language = Annotated[str, Field(strict=True), AfterValidator(_check_language)]
"""A BCP 47 language tag: ``en``, ``es``, ``es-MX``."""
SessionTime = Annotated[
    str, BeforeValidator(_time_text), Field(strict=True), AfterValidator(_check_time)
]
"""A time of day or a span (``6:30pm``, ``18:30``, ``18:30-20:00``); kept as ``HH:MM[-HH:MM]``."""
Email = Annotated[str, Field(strict=True), AfterValidator(_check_email)]
Paper = Literal["letter", "a4"]
Delivery = Literal["in_person", "virtual", "self_study"]
VerifyUrl = Annotated[str, Field(strict=True), AfterValidator(_check_verify_url)]
DateFormat = Annotated[str, Field(strict=True), AfterValidator(_check_date_format)]
Placement = Literal["end", "inline"]
ModuleMm = Annotated[float, Field(strict=True, ge=MIN_MODULE_MM, le=MAX_MODULE_MM)]
# Control characters in paths are refused by loader.check_path, with the
# other path checks, so that a path gets one message, not two.
RelPath = Annotated[str, Field(strict=True, min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # The field docstrings are read by schema.py when the schema is asked for:
        # here they would cost every load a second parse of this module's source.
        use_attribute_docstrings=False,
        str_strip_whitespace=False,
    )


class Translation(_Model):
    """The same resource in another language."""

    language: Language
    """Its language, e.g. ``es``."""
    title: Text | None = None
    """Its title in that language."""
    url: Url | None = None
    """Its web address; it gets a numbered QR code."""
    file: RelPath | None = None
    """Its file inside the packet folder, merged into the binder after the item's own."""


class _ItemBase(_Model):
    title: Text
    """Title as printed on the page and in the table of contents."""
    url: Url | None = None
    """The resource's web address (http or https). It gets a numbered QR code."""
    description: Prose | None = None
    """What the volunteer will find there and why it matters (Markdown, no raw HTML)."""
    source: OptText | None = None
    """Publisher or organization, e.g. ``The Washington Post``."""
    date: Date | None = None
    """Publication or session date (YYYY-MM-DD)."""
    minutes: Minutes | None = None
    """Running or reading time in minutes."""
    access: Prose | None = None
    """How to get in, e.g. registration steps. Printed as a visible notice."""
    file: RelPath | None = None
    """A file inside the packet folder (PDF, PNG or JPEG; .docx/.pptx/.odt through
    LibreOffice) merged into the in-service's binder."""
    length_pages: Pages | None = None
    """Length in pages (of a book or report), for page-based credit rules. Items
    with a ``file`` count that file's pages when this is not given."""
    short: ShortName | None = None
    """With the packet's ``short_links``: the name of this item's short link
    (``casa-faq`` gives ``https://example-casa.org/go/casa-faq``). Default: made
    from the title, the same on every build."""
    language: Language | None = None
    """The language of this item's text and file, when it is not the in-service's
    (a Spanish handout in an English packet): screen readers then read it right."""
    translations: Annotated[list[Translation], Field(max_length=8)] = Field(default_factory=list)
    """The same resource in other languages, each printed beside the item with its
    own code ("También en español")."""


class _FileItem(_ItemBase):
    pages: OptText | None = None
    """Pages of ``file`` to include, e.g. ``"1-3,5"``. Default: all."""
    password: Secret | None = None
    """Password that opens an encrypted PDF. Prefer ``password_env``."""
    password_env: OptText | None = None
    """Name of an environment variable holding the PDF's password."""
    tagged: Literal[False] | None = None
    """``false`` says you know this file has no accessibility tags (a scan, a
    photo, an old PDF): the build stops warning about it, and ``--strict``
    fails only on problems nobody has looked at yet."""

    @model_validator(mode="after")
    def _one_password(self) -> _FileItem:
        if self.password is not None and self.password_env is not None:
            raise ValueError("give either password or password_env, not both")
        return self


def _require_file_or_url(item: _FileItem) -> None:
    # A document found on a web page (packetgen import) has an address but no
    # file yet; one with neither would print as a title with nothing behind it.
    if item.file is None and item.url is None:
        raise ValueError("give file: (a file in the packet folder) or url: (where to get it)")


class Article(_ItemBase):
    """A news story, study or web article."""

    kind: Literal["article"]
    """Always ``article``."""
    author: OptText | None = None
    """Author's name."""
    excerpt: Prose | None = None
    """A passage quoted from the article (Markdown, no raw HTML)."""


class Recording(_ItemBase):
    """A recorded webinar or session, often behind a registration page."""

    kind: Literal["recording"]
    """Always ``recording``."""
    presenter: OptText | None = None
    """Who presents the recording."""
    start: StartTime | None = None
    """Where to start watching, as ``"1:30"`` (minutes:seconds) or ``"1:02:03"``.
    YouTube and Vimeo links open there; the page says "starts at 1:30"."""


class Handout(_FileItem):
    """A handout document merged into the binder."""

    kind: Literal["handout"]
    """Always ``handout``."""
    file: RelPath | None = None
    """The handout file inside the packet folder (PDF, PNG or JPEG; .docx/.odt
    through LibreOffice). Without it, give ``url``: the handout then prints with
    its QR code and "Not in this binder"."""

    @model_validator(mode="after")
    def _file_or_url(self) -> Handout:
        _require_file_or_url(self)
        return self


class Presentation(_FileItem):
    """A slide deck, printed one or several slides to a page."""

    kind: Literal["presentation"]
    """Always ``presentation``."""
    file: RelPath | None = None
    """The slide deck inside the packet folder (PDF; .pptx/.odp through LibreOffice).
    Without it, give ``url``: the deck then prints with its QR code and "Not in
    this binder"."""
    layout: Literal["1-up", "2-up", "3-up", "4-up", "6-up"] = "1-up"
    """Slides per page. ``3-up`` puts ruled note lines beside each slide."""

    @model_validator(mode="after")
    def _file_or_url(self) -> Presentation:
        _require_file_or_url(self)
        return self


class Film(_ItemBase):
    """A documentary or feature film."""

    kind: Literal["film"]
    """Always ``film``."""
    where_to_watch: list[Text] = Field(default_factory=list)
    """Services or media where the film can be watched, e.g. ``[Netflix, DVD]``."""


class Campaign(_ItemBase):
    """An awareness or prevention campaign."""

    kind: Literal["campaign"]
    """Always ``campaign``."""


class Link(_ItemBase):
    """A web page worth visiting."""

    kind: Literal["link"]
    """Always ``link``."""
    url: Url
    """The web address (http or https). It gets a numbered QR code."""


class Note(_ItemBase):
    """A free-text note to the reader (Markdown in ``description``)."""

    kind: Literal["note"]
    """Always ``note``."""


def _item_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("kind")
        return kind if isinstance(kind, str) else None
    return getattr(value, "kind", None)


Item = Annotated[
    Union[  # noqa: UP007 -- Annotated tagged unions read better with Union here
        Annotated[Article, Tag("article")],
        Annotated[Recording, Tag("recording")],
        Annotated[Handout, Tag("handout")],
        Annotated[Presentation, Tag("presentation")],
        Annotated[Film, Tag("film")],
        Annotated[Campaign, Tag("campaign")],
        Annotated[Link, Tag("link")],
        Annotated[Note, Tag("note")],
    ],
    Discriminator(_item_kind),
]
"""One resource in an in-service; ``kind`` chooses which fields apply."""


class SignIn(_Model):
    """A sign-in roster printed with the in-service."""

    rows: Annotated[int, Field(strict=True, ge=1, le=500)] = 20
    """Numbered rows to print (the roster runs onto more pages as needed)."""
    columns: list[Text] = Field(default_factory=list, max_length=4)
    """Extra columns after name, role and signature, e.g. ``[Case number]``."""
    in_binder: StrictBool = False
    """Also print the roster in every participant's binder. By default it is
    only in the facilitator's kit (``<id>-facilitator.pdf``)."""


class Evaluation(_Model):
    """An evaluation form printed with the in-service."""

    questions: list[Text] = Field(
        default_factory=lambda: [
            "The in-service met its stated objectives.",
            "The presenter knew the subject well.",
            "I can use what I learned in my advocacy.",
            "The materials were useful.",
        ],
        max_length=20,
    )
    """Statements rated on a five-point scale from "strongly disagree" to "strongly agree"."""
    open_questions: list[Text] = Field(
        default_factory=lambda: [
            "What was the most useful part of this in-service?",
            "What would you change, or like to learn about next?",
        ],
        max_length=8,
    )
    """Questions answered in writing, each with a ruled box."""
    url: Url | None = None
    """The online version of the form; printed with a QR code."""


class Certificate(_Model):
    """Certificates of completion for the in-service's attendees."""

    signer: Text
    """Who signs the certificates."""
    signer_title: OptText | None = None
    """The signer's role, e.g. ``Training Coordinator``."""
    signature: RelPath | None = None
    """A PNG or JPEG of the signature, inside the packet folder."""
    verify_url: VerifyUrl | None = None
    """Where anyone can check a certificate, with ``{id}`` where its id goes, e.g.
    ``https://example-casa.org/cert/{id}``. Each certificate then carries a QR
    code of its own address."""


class AgendaEntry(_Model):
    """One line of the session's agenda."""

    time: SessionTime | None = None
    """When it starts (``6:30pm``, ``18:30``) or its span (``18:30-18:45``)."""
    title: Text
    """What happens then, e.g. ``Welcome and introductions``."""
    presenter: OptText | None = None
    """Who leads this part, when it is not the in-service's presenter."""


class Contact(_Model):
    """Who volunteers ask about the in-service."""

    name: Text
    """The contact person's name."""
    role: OptText | None = None
    """Their role, e.g. ``Training Coordinator``."""
    email: Email | None = None
    """Their email address."""
    phone: OptText | None = None
    """Their phone number, as it should be printed."""


class InService(_Model):
    """One in-service training session: it becomes one binder."""

    id: Annotated[str, Field(strict=True)]
    """Short name made of a-z, 0-9 and hyphens; names the output files (``<id>.pdf``)."""
    title: Text
    """The in-service's title."""
    date: Date | None = None
    """When the in-service is (or was) held (YYYY-MM-DD)."""
    time: SessionTime | None = None
    """When it starts, or its span: ``6:30pm``, ``18:30`` or ``18:30-20:00``."""
    presenter: OptText | None = None
    """Presenter's name and role."""
    location: OptText | None = None
    """Where it is held."""
    contact: Contact | None = None
    """Who to ask about the in-service (name, and email or phone)."""
    objectives: Annotated[list[Text], Field(max_length=12)] = Field(default_factory=list)
    """What volunteers will be able to do afterwards, one line each. Printed on
    the in-service's first page; the evaluation asks about each one."""
    agenda: Annotated[list[AgendaEntry], Field(max_length=40)] = Field(default_factory=list)
    """The session's schedule: entries with ``time`` and ``title``, printed as an
    agenda on the in-service's first page."""
    hours: Hours | None = None
    """In-service credit hours a volunteer earns (at most 100)."""
    summary: Prose | None = None
    """What the in-service covers (Markdown, no raw HTML)."""
    items: list[Item] = Field(default_factory=list)
    """The resources, in the order they are printed and bound."""
    language: Language | None = None
    """The language of this in-service's pages, when it is not the packet's: a
    packet can hold an English and a Spanish in-service side by side."""
    delivery: Delivery = "in_person"
    """How the session is held: ``in_person``, ``virtual`` (live online) or
    ``self_study``; attending it counts as credit of that kind."""
    paper: Paper | None = None
    """Paper size of this in-service's binder, when it differs from the packet's."""
    theme: Annotated[str, Field(strict=True, min_length=1)] | None = None
    """Theme of this in-service's binder (e.g. ``large-print``), when it differs
    from the packet's."""
    duplex: StrictBool | None = None
    """Two-sided printing for this in-service's binder, when it differs from the packet's."""
    handout_placement: Placement | None = None
    """Where the binder puts merged files: ``end`` (after the links appendix) or
    ``inline`` (right after their item's entry). Default: the packet's."""
    signin: SignIn | None = None
    """Print a sign-in roster with the binder (``signin: {}`` for the defaults)."""
    evaluation: Evaluation | None = None
    """Print an evaluation form with the binder (``evaluation: {}`` for the defaults)."""
    credit_log: StrictBool = False
    """Print a self-study credit log for the articles, recordings and films."""
    kit_placement: Literal["end", "front"] = "end"
    """Where the roster, evaluation and credit log go: ``end`` of the binder, or
    ``front`` (right after the contents)."""
    certificate: Certificate | None = None
    """Certificates of completion (``packetgen certificates``)."""
    attendees: list[Text] | RelPath | None = None
    """Who attended: a list of names, or a CSV file in the packet folder with a
    ``name`` column (``--attendees`` on the command line overrides it)."""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.fullmatch(value):
            raise ValueError(
                "expected a short name of lowercase letters, digits and single hyphens"
                f" (like csec-understanding), found {_clip(value)}"
            )
        if len(value) > MAX_ID_CHARS:
            raise ValueError(
                f"the id is {len(value)} characters long; it names the output files, so at most"
                f" {MAX_ID_CHARS} are allowed: shorten it"
            )
        return value


class CreditRule(_Model):
    """How much in-service credit one item of a kind earns."""

    hours: Hours | None = None
    """Fixed hours per item; with ``per_pages``, the hours for each ``per_pages`` pages."""
    running_time: StrictBool = False
    """Count the item's ``minutes`` (a film's or recording's running time)."""
    per_pages: Pages | None = None
    """Pages for each ``hours`` of credit (e.g. 0.5 hours per 50 pages)."""
    cap: Hours | None = None
    """The most one item of this kind can earn, in hours."""
    cap_per_year: Hours | None = None
    """The most one volunteer can earn from items of this kind in a year, in
    hours (``packetgen hours``)."""

    @model_validator(mode="after")
    def _one_way(self) -> CreditRule:
        if self.running_time and (self.per_pages is not None or self.hours is not None):
            raise ValueError("give either running_time: true or hours (with per_pages), not both")
        if self.per_pages is not None and self.hours is None:
            raise ValueError("per_pages needs hours: the credit for each per_pages pages")
        if not self.running_time and self.hours is None:
            raise ValueError("expected hours: N, running_time: true, or per_pages with hours")
        return self


class Requirement(_Model):
    """The mix of credit a volunteer needs in a year, in hours per kind of delivery."""

    in_person: Hours | None = None
    """Hours at in-person sessions."""
    virtual: Hours | None = None
    """Hours at live online sessions."""
    self_study: Hours | None = None
    """Hours of self-study: articles read, recordings and films watched."""


class CreditPolicy(_Model):
    """The program's rules for in-service credit, per item kind."""

    article: CreditRule | None = None
    """Credit for articles."""
    recording: CreditRule | None = None
    """Credit for recordings."""
    handout: CreditRule | None = None
    """Credit for handouts."""
    presentation: CreditRule | None = None
    """Credit for slide decks."""
    film: CreditRule | None = None
    """Credit for films."""
    campaign: CreditRule | None = None
    """Credit for campaigns."""
    link: CreditRule | None = None
    """Credit for web pages."""
    note: CreditRule | None = None
    """Credit for notes."""
    round_to: Annotated[float, Field(strict=True, gt=0, le=1)] = 0.25
    """Each item's credit is rounded to the nearest multiple of this (hours)."""
    require: Requirement | None = None
    """Hours of each kind a volunteer needs in a year; ``packetgen hours`` says
    who is short of what."""


RECORD_COLUMNS = ("name", "inservice", "activity", "kind", "category", "date", "minutes", "hours")
"""The columns ``packetgen hours`` writes, by the names ``records.columns`` maps."""


class Records(_Model):
    """How ``packetgen hours`` writes its CSV, to match what the program's
    case-management system imports."""

    columns: dict[Literal[RECORD_COLUMNS], Text] = Field(default_factory=dict)  # type: ignore[valid-type]  # a Literal of a tuple's values, as pydantic reads it
    """The header to write for each column, e.g. ``{name: Volunteer, hours: Credit Hours}``;
    columns not given keep their own names."""
    date_format: DateFormat = "%Y-%m-%d"
    """How dates are written, with ``%Y`` (year), ``%m`` (month), ``%d`` (day),
    e.g. ``%m/%d/%Y`` for 04/09/2026."""


class Packet(_Model):
    """A training packet: the whole spec file."""

    title: Text
    """The packet's title, printed large on the cover."""
    subtitle: OptText | None = None
    """A line under the title."""
    organization: OptText | None = None
    """The program that hands out the packet; also the PDF's author."""
    language: Annotated[str, Field(strict=True)] = "en"
    """Language of the text as a BCP 47 tag (``en``, ``es``, ``en-US``)."""
    paper: Paper = "letter"
    """Paper size: ``letter`` or ``a4``. An in-service may set its own."""
    theme: Annotated[str, Field(strict=True, min_length=1)] = "default"
    """``default``, ``ink-saver``, ``large-print``, or a path to a theme folder.
    An in-service may set its own."""
    duplex: StrictBool = False
    """Printing on both sides: every in-service and handout starts on a right-hand page."""
    handout_placement: Placement = "end"
    """Where binders put merged files: ``end`` (after the links appendix) or
    ``inline`` (right after their item's entry). An in-service may set its own."""
    qr_error_correction: Literal["M", "Q", "H"] = "M"
    """QR error correction: ``M`` (default), ``Q`` or ``H``. Higher levels
    survive more damage; the code grows, its modules keep their size."""
    qr_module_mm: ModuleMm = 0.8
    """Printed size of one QR module (square) in millimetres; the code grows
    with its URL. 0.8 mm survives a photocopy of a photocopy with room to
    spare; below 0.7 mm codes stop scanning from copies."""
    short_links: Url | None = None
    """A web address your program controls that short links start with, like
    ``https://example-casa.org/go/``. Every QR code then carries a short link
    (small codes, easy to type) and the build writes ``short-links/``: the
    redirects to put on that site."""
    advisory: Prose | None = None
    """Content note printed in a quiet box on the cover."""
    credit: CreditPolicy | None = None
    """How items earn in-service credit; an in-service's ``hours`` wins when given."""
    strings: Annotated[dict[str, Text], Field(max_length=500)] = Field(default_factory=dict)
    """Printed texts in your own words, by their short name or their English text,
    e.g. ``{registration_required: "Sign up first"}`` (``docs/strings.md`` lists them)."""
    records: Records | None = None
    """Column names and date format of the hours records (``packetgen hours``)."""
    inservices: Annotated[list[InService], Field(min_length=1)]
    """The in-service trainings in this packet (at least one)."""

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not _BCP47.fullmatch(value):
            raise ValueError(f"expected a language tag like en or es-MX, found {_clip(value)}")
        return value

    _source: Path | None = PrivateAttr(default=None)
    _folder: Path | None = PrivateAttr(default=None)
    _views: dict[str, Packet] = PrivateAttr(default_factory=dict)
    _views_of: object = PrivateAttr(default=None)
    _positions: dict[tuple[str | int, ...], tuple[int, int]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> Packet:
        seen: set[str] = set()
        for inservice in self.inservices:
            if inservice.id in seen:
                # The loader reports this itself with the duplicate's line; the
                # distinct error type lets it skip this less precise copy.
                raise PydanticCustomError(
                    "duplicate_id",
                    "in-service id {id!r} is used more than once",
                    {"id": inservice.id},
                )
            seen.add(inservice.id)
        return self

    @property
    def source(self) -> Path | None:
        """The spec file this packet was loaded from, if any."""
        return self._source

    @property
    def folder(self) -> Path:
        """The packet folder: relative paths in the spec resolve against it."""
        if self._folder is not None:
            return self._folder
        if self._source is not None:
            return self._source.parent
        # Guessing the current directory would read whatever files sit there.
        raise PacketgenError(
            "this Packet does not know its folder, so its files cannot be found; make it with"
            " packetgen.load_packet(path) or packetgen.packet_from_data(data, folder=...)"
        )

    def for_inservice(self, inservice_id: str) -> Packet:
        """The packet as one in-service's binder sees it: that in-service's own
        ``paper``, ``theme``, ``duplex``, ``handout_placement`` and ``language`` in effect."""
        # The same object every time: stages key what they opened by the packet.
        if self._views_of is not self:  # model_copy shares private attributes
            self._views, self._views_of = {}, self
        view = self._views.get(inservice_id)
        if view is None:
            view = self._views[inservice_id] = self._view(inservice_id)
        return view

    def _view(self, inservice_id: str) -> Packet:
        inservice = next(s for s in self.inservices if s.id == inservice_id)
        settings = {
            "paper": inservice.paper or self.paper,
            "theme": inservice.theme or self.theme,
            "duplex": self.duplex if inservice.duplex is None else inservice.duplex,
            "handout_placement": self.placement(inservice),
            "language": inservice.language or self.language,
        }
        if all(getattr(self, key) == value for key, value in settings.items()):
            return self
        return self.model_copy(update=settings)

    def theme_names(self) -> list[str]:
        """The packet's theme, then any other theme an in-service asks for."""
        names = [self.theme, *(s.theme for s in self.inservices if s.theme)]
        return list(dict.fromkeys(names))

    def placement(self, inservice: InService) -> str:
        """Where ``inservice``'s binder puts merged files (its own setting or the packet's)."""
        return inservice.handout_placement or self.handout_placement

    def locate(self, *loc: str | int) -> tuple[str, int | None, int | None]:
        """(file, line, column) of a field, for messages from later pipeline stages."""
        name = str(self._source) if self._source is not None else "<packet>"
        for cut in range(len(loc), -1, -1):
            pos = self._positions.get(tuple(loc[:cut]))
            if pos is not None:
                return name, pos[0], pos[1]
        return name, None, None

    def where(self, *loc: str | int) -> str:
        """``file:line:col`` of a field, for warnings."""
        name, line, col = self.locate(*loc)
        return f"{name}:{line}:{col}" if line is not None else name

    def file_items(self) -> list[tuple[InService, Any]]:
        """Every (in-service, item) pair whose item names a file, in spec order."""
        return [(s, i) for s in self.inservices for i in s.items if i.file is not None]


def item_fields(kind: str) -> tuple[str, ...]:
    """The field names an item of ``kind`` accepts (for "did you mean")."""
    model = _KIND_MODELS.get(kind)
    names = model.model_fields if model is not None else _ItemBase.model_fields
    return tuple(names)


_KIND_MODELS: dict[str, type[BaseModel]] = {
    "article": Article,
    "recording": Recording,
    "handout": Handout,
    "presentation": Presentation,
    "film": Film,
    "campaign": Campaign,
    "link": Link,
    "note": Note,
}
