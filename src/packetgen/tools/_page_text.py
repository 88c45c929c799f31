"""Reading a resource page's prose: titles, sentences, access notes, dates, times.

Helpers of :mod:`packetgen.tools.importer`; every text they return is one the spec
accepts (one line for titles, Markdown-safe prose).
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

from packetgen.spec.models import MAX_MINUTES
from packetgen.tools._page_content import LinkSpan

_MAX_PROSE = 1500

_FILE_NOTE = re.compile(r"\s*[(\[](?:pdf|docx?|pptx?|word|powerpoint)[^)\]]{0,20}[)\]]\s*", re.I)

_ACCESS = re.compile(
    r"regist(?:er|ered|ration)|sign[\s-]?(?:up|in)|log[\s-]?in|passcode|password|"
    r"library\s+card|members?\s+only|subscription|(?:an?|free|your|own)\s+(?:\w+\s+)?account|"
    r"registr(?:o|arse|ación)|reg[ií]strate|inscripci[oó]n|contraseña|tarjeta\s+de\s+(?:la\s+)?biblioteca",
    re.IGNORECASE,
)

_HOURS_MINUTES = re.compile(
    r"(\d{1,3}(?:\.\d+)?)\s*(?:hours?|hrs?|horas?)\b(?:\s*(?:and|y)?\s*(\d{1,2})\s*(?:minutes?|mins?|minutos?)\b)?",
    re.IGNORECASE,
)

_MINUTES = re.compile(r"(\d{1,4})[\s-]*(?:minutes?|mins?|minutos?)\b", re.IGNORECASE)

_PRESENTER = re.compile(
    r"(?:presented\s+by|presenters?:|led\s+by|speakers?:|presentado\s+por|presentadora?:)\s*"
    r"([^.;\n(]{3,120}?)(?=\s+(?:on|at|in|el|en)\s+(?:\d|[A-Z][a-z]+\s+\d)|[.;\n(]|$)",
    re.IGNORECASE,
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "enero"),
            ("february", "feb", "febrero"),
            ("march", "mar", "marzo"),
            ("april", "apr", "abril"),
            ("may", "mayo"),
            ("june", "jun", "junio"),
            ("july", "jul", "julio"),
            ("august", "aug", "agosto"),
            ("september", "sep", "sept", "septiembre"),
            ("october", "oct", "octubre"),
            ("november", "nov", "noviembre"),
            ("december", "dec", "diciembre"),
        ),
        start=1,
    )
    for name in names
}

_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_DATES = (
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "mdy"),
    (
        re.compile(rf"\b(\d{{1,2}})\s+(?:de\s+)?({_MONTH})\.?,?\s+(?:de\s+)?(\d{{4}})\b", re.I),
        "dmy",
    ),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "iso"),
    # US programs write 3/12/18 for March 12.
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\b"), "us"),
)


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _clean(text: str) -> str:
    text = _one_line(unicodedata.normalize("NFC", text))
    text = _FILE_NOTE.sub(" ", text)
    text = " ".join(text.split())
    text = text.strip(" \"'\u201c\u201d\u2018\u2019\u00ab\u00bb")
    text = re.sub(r"[\s,;:\u2013\u2014-]+$", "", text)
    return re.sub(r"^[\s,;:\u2013\u2014-]+", "", text).strip(" \"'\u201c\u201d\u2018\u2019")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _prose(text: str) -> str:
    """Page text made safe as Markdown: no control characters, no link syntax."""
    text = "".join(ch if ch.isprintable() or ch in "\n" else " " for ch in text)
    text = re.sub(r"([\\\[\]<`])", r"\\\1", text.strip())
    return _cut(text, _MAX_PROSE)


def _remove(sentence: str, text: str) -> str:
    return sentence.replace(text, " ", 1) if text else sentence


def _sentence(text: str, link: LinkSpan) -> str:
    """The sentence(s) of ``text`` the link is in."""
    bounds = [0] + [
        m.end()
        for m in re.finditer(r"(?<=[.!?])\s+(?=[\"“(A-Z¿¡])|\n+", text)
        if not _ABBREVIATION.search(text, 0, m.start())
    ]
    start = max((b for b in bounds if b <= link.start), default=0)
    after = [b for b in bounds if b >= max(link.end, link.start + 1)]
    end = min(after) if after else len(text)
    return " ".join(text[start:end].split())


_TITLE_DOT = re.compile(r"\b(Dr|Mr|Mrs|Ms|Mx|Prof|Sra|Sr|Dra)\.")

# A full stop that ends these is not the end of a sentence: "Dr. Lena Ortiz".
_ABBREVIATION = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|St|Jr|Sr|No|vs|Sra|Sr|Dra)|\b[A-Z])\.$")


def _access(text: str) -> str | None:
    found = _ACCESS.search(text)
    if found is None:
        return None
    at = found.start()
    # The parenthesis that holds it, when there is one: "(registration required, …)".
    opened = text.rfind("(", 0, at)
    if opened != -1 and text.rfind(")", 0, at) < opened:
        closed = text.find(")", at)
        clause = text[opened + 1 : closed if closed != -1 else len(text)]
    else:
        # The clause: from the last ". " or ";" before it to the next one.
        start = max(text.rfind(". ", 0, at) + 1, text.rfind(";", 0, at) + 1, 0)
        ends = [e for e in (text.find(". ", at), text.find(";", at)) if e != -1]
        clause = text[start : min(ends) if ends else len(text)]
    clause = " ".join(clause.split()).strip(" .")
    return _capital(clause) + "." if clause else None


def _minutes(text: str) -> int | None:
    found = _HOURS_MINUTES.search(text)
    if found:
        minutes = round(float(found.group(1)) * 60) + int(found.group(2) or 0)
    else:
        only = _MINUTES.search(text)
        if only is None:
            return None
        minutes = int(only.group(1))
    return minutes if 0 < minutes <= MAX_MINUTES else None


def _date(text: str) -> _dt.date | None:
    for pattern, order in _DATES:
        found = pattern.search(text)
        if found is None:
            continue
        a, b, c = found.groups()
        try:
            if order == "mdy":
                return _dt.date(int(c), _MONTHS[a.lower()], int(b))
            if order == "dmy":
                return _dt.date(int(c), _MONTHS[b.lower()], int(a))
            if order == "iso":
                return _dt.date(int(a), int(b), int(c))
            year = int(c) + (2000 if len(c) == 2 else 0)
            return _dt.date(year, int(a), int(b))
        except ValueError:
            continue
    return None


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 48:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "-".join(words)[:48].strip("-")


def _language(tag: str | None) -> str | None:
    if not tag:
        return None
    tag = tag.strip()
    return tag if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", tag) else None
