"""How the documents say things: dates, times, hours, durations, notices and questions
in the reader's language.

Plain functions of a value and the document's :class:`~packetgen.text.i18n.Strings`;
the views are built from what they return.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from packetgen.content.links import LinkRef
from packetgen.spec.models import Evaluation, session_times
from packetgen.text.i18n import N_, Strings, _locale, fill, strings_for

__all__ = [
    "DELIVERY_LABELS",
    "KIND_LABELS",
    "access_notice",
    "duration",
    "evaluation_questions",
    "file_details",
    "format_date",
    "format_hours",
    "format_time",
    "link_title",
    "printed_questions",
    "starts_at",
    "when_fact",
]

KIND_LABELS = {
    "article": N_("Article"),
    "recording": N_("Recording"),
    "handout": N_("Handout"),
    "presentation": N_("Slides"),
    "film": N_("Film"),
    "campaign": N_("Campaign"),
    "link": N_("Website"),
    "note": N_("Note"),
}
"""In English; printed through ``Strings.gettext``."""
DELIVERY_LABELS = {
    "in_person": N_("in person"),
    "virtual": N_("live online"),
    "self_study": N_("self-study"),
}
"""How an in-service's credit was earned (``delivery``), as certificates and the
attendance sheet say it: "1.5 hours of in-service credit, in person" (in English;
printed through ``Strings.gettext``)."""
# English and Spanish words of sign-up steps: a Spanish packet's notices say
# "inscríbete", "crea una cuenta", "contraseña".
_REGISTRATION = re.compile(
    r"regist|sign[ -]?up|log ?in|account|password|inscri|cuenta|contrase|iniciar sesi",
    re.IGNORECASE,
)
_OBJECTIVES_QUESTION = "The in-service met its stated objectives."
"""The default evaluation's generic question, which the objectives' own questions replace."""
_DEFAULT_QUESTIONS = frozenset(
    (
        *Evaluation.model_fields["questions"].get_default(call_default_factory=True),
        *Evaluation.model_fields["open_questions"].get_default(call_default_factory=True),
    )
)
"""The spec's default evaluation questions: these are packetgen's words, and print
in the reader's language; a trainer's own questions print as written."""
# The defaults, marked for the catalog (the spec, which holds them, stays free of i18n).
_DEFAULT_QUESTION_MESSAGES = (
    N_("The in-service met its stated objectives."),
    N_("The presenter knew the subject well."),
    N_("I can use what I learned in my advocacy."),
    N_("The materials were useful."),
    N_("What was the most useful part of this in-service?"),
    N_("What would you change, or like to learn about next?"),
)


def format_date(value: dt.date | None, lang: str) -> str | None:
    """A date as readers of ``lang`` write it: March 12, 2018; 12 de marzo de 2018."""
    if value is None:
        return None
    if _english(lang):
        return f"{value:%B} {value.day}, {value.year}"
    return strings_for(lang).date(value)


def _english(lang: str) -> bool:
    return lang.split("-")[0].lower() == "en"


def format_time(value: str | None, lang: str) -> str | None:
    """A validated ``time:`` as readers of ``lang`` write it: "6:30-8:00 pm" in English,
    "18:30-20:00" otherwise (an en dash, not a hyphen, between start and end)."""
    if value is None:
        return None
    start, end = session_times(value)
    if not _english(lang):
        return "\u2013".join(t.strftime("%H:%M") for t in (start, end) if t is not None)
    first, first_half = _twelve_hour(start)
    if end is None:
        return f"{first}{_NBSP}{first_half}"
    last, last_half = _twelve_hour(end)
    # "6:30-8:00 pm" (en dash): the half of the day is said once when both share it.
    if first_half == last_half:
        return f"{first}\u2013{last}{_NBSP}{last_half}"
    return f"{first}{_NBSP}{first_half}\u2013{last}{_NBSP}{last_half}"


# "am" and "pm" never start a line of their own.
_NBSP = "\u00a0"


def _twelve_hour(value: dt.time) -> tuple[str, str]:
    return f"{value.hour % 12 or 12}:{value.minute:02d}", "am" if value.hour < 12 else "pm"


def when_fact(date: dt.date | None, time: str | None, t: Strings) -> tuple[str, str] | None:
    """The cover's "When" line as (label, value): date and time, or whichever is given."""
    day, hours = format_date(date, t.language), format_time(time, t.language)
    if day and hours:
        return t.gettext("When"), f"{day} \u00b7 {hours}"
    if day:
        return t.gettext("Date"), day
    if hours:
        return t.gettext("Time"), hours
    return None


def access_notice(text: str | None, t: Strings) -> tuple[str | None, str]:
    """The access notice's text and heading, without the heading's words twice.

    "Registration required. Enter your details." under the heading
    "Registration required" would print the words twice: the body starts after them.
    """
    plain = t.gettext("How to get in")
    if text is None or not text.strip():
        return None, plain
    english = N_("Registration required") if _REGISTRATION.search(text) else N_("How to get in")
    heading = t.gettext(english)
    # The notice may start with the heading's words in the packet's language or
    # in English (a packet that rewords the heading with `strings:`).
    for said in dict.fromkeys((heading, english)):
        words = r"\s+".join(re.escape(word) for word in said.split())
        lead = re.match(rf"\s*{words}\b", text, re.IGNORECASE)
        if lead is not None:
            break
    else:
        return text, heading
    clause = re.match(r"\s*(?:[.:;!,\u2013\u2014-]+\s*|$)", text[lead.end() :])
    if clause is None:
        # "Registration required for members only" says more than the heading
        # would: it stays whole, under the plain heading.
        return text, plain
    rest = text[lead.end() + clause.end() :]
    return rest[:1].upper() + rest[1:], heading


def evaluation_questions(
    questions: Sequence[str], objectives: Sequence[str], t: Strings
) -> tuple[str, ...]:
    """The rated statements: one per objective in place of the generic one.

    The spec's objectives are phrases that continue "you will be able to"
    ("Recognize the signs of trafficking"), so each reads on from "I can now":
    the volunteer rates what the cover promised, in few enough words that a
    statement keeps to two lines of the form.
    """
    if not objectives:
        return printed_questions(questions, t)
    asked = tuple(
        fill(t.gettext("I can now {objective}"), objective=_continued(o)) for o in objectives
    )
    kept = [q for q in questions if q != _OBJECTIVES_QUESTION]
    at = questions.index(_OBJECTIVES_QUESTION) if _OBJECTIVES_QUESTION in questions else 0
    return (*printed_questions(kept[:at], t), *asked, *printed_questions(kept[at:], t))


def printed_questions(questions: Sequence[str], t: Strings) -> tuple[str, ...]:
    """The questions as printed: the spec's defaults in the reader's language."""
    return tuple(t.gettext(q) if q in _DEFAULT_QUESTIONS else q for q in questions)


def _continued(objective: str) -> str:
    """``objective`` in the middle of a sentence, ending with a full stop."""
    text = objective.strip().rstrip(".;")
    first, _, rest = text.partition(" ")
    # "Recognize" goes on in lower case; "CSEC" or "I" keep their capitals.
    if len(first) > 1 and first[0].isupper() and first[1:].islower():
        text = first[0].lower() + first[1:] + (" " + rest if rest else "")
    return text if text.endswith(("?", "!")) else f"{text}."


def duration(kind: str, minutes: int | None, t: Strings) -> str | None:
    """How long an item takes: "12 min read" for an article, "1 h 30 min" otherwise."""
    if minutes is None:
        return None
    if kind == "article":
        return fill(t.gettext("{minutes} min read"), minutes=minutes)
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        if rest:
            return fill(t.gettext("{hours} h {minutes} min"), hours=hours, minutes=rest)
        return fill(t.gettext("{hours} h"), hours=hours)
    return fill(t.gettext("{minutes} min"), minutes=minutes)


def format_hours(value: float, strings: Strings | None = None) -> str:
    """``1.5 hours``, ``1 hour``, ``1,5 horas``: the number and its unit never split
    over two lines."""
    t = strings or strings_for("en")
    # Catalogs choose a form by a whole number; 1.5 reads as a plural in the
    # languages packetgen speaks ("1.5 hours", "1,5 horas").
    count = int(value) if float(value).is_integer() else 2
    number = f"{value:g}" if t.english else t.number(value)
    # "1.5 / hours" split over two lines of a heading reads as two facts.
    form = t.ngettext("{count} hour", "{count} hours", count).replace("{count} ", "{count}" + _NBSP)
    return fill(form, count=number)


def starts_at(start: str | None, t: Strings) -> str | None:
    """Where to start a recording or film: "starts at 12:30"."""
    return fill(t.gettext("starts at {start}"), start=start) if start else None


def link_title(ref: LinkRef, t: Strings, inservice_id: str | None = None) -> str:
    """The items that carry the link (in the in-service at hand, when given)."""
    sources = [s for s in ref.sources if inservice_id is None or s.inservice == inservice_id]
    # The evaluation form's link is named by packetgen, not by the trainer: its
    # name is in the catalog (links.EVALUATION_FORM).
    titles = list(
        dict.fromkeys(
            t.gettext(source.item) if source.field.endswith("evaluation.url") else source.item
            for source in sources or ref.sources
        )
    )
    if len(titles) == 1:
        return titles[0]
    return fill(t.gettext("{title} (and {count} more)"), title=titles[0], count=len(titles) - 1)


def file_details(format: str, pages: int | None, size: int, t: Strings) -> str:
    """What a reader is about to open, before opening it: "PDF, 3 pages, 43 kB".

    The format is the file's own name for itself (PDF, PNG, JPEG), the same in
    every language; sizes are decimal (kB, MB), as Babel's units name them.
    """
    from babel.units import format_unit

    parts = [format]
    if pages is not None:
        parts.append(fill(t.ngettext("{count} page", "{count} pages", pages), count=pages))
    # The language's own formats, or its base language's (es-419 → es), or English.
    locale = _locale(t.language)
    if size < 1_000_000:
        # Rounded up: a 300-byte file is "1 kB", never "0 kB".
        shown = format_unit(-(-size // 1000), "digital-kilobyte", length="short", locale=locale)
    else:
        value = round(size / 1_000_000, 1)
        shown = format_unit(value, "digital-megabyte", "short", format="#,##0.#", locale=locale)
    parts.append(str(shown))
    # A number is never parted from its unit at the end of a line ("9 / kB").
    return ", ".join(part.replace(" ", _NBSP) for part in parts)
