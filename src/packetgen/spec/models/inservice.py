"""One in-service: its session details (date, time, agenda, contact), its items,
the forms printed with it (sign-in, evaluation) and its certificates.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    StrictBool,
    field_validator,
)

from packetgen.spec.models._text import MAX_ID_CHARS, SLUG, clip
from packetgen.spec.models._types import (
    Date,
    Delivery,
    Email,
    Hours,
    Language,
    OptText,
    Paper,
    Placement,
    Prose,
    RelPath,
    SessionTime,
    SpecModel,
    Text,
    Url,
    VerifyUrl,
)
from packetgen.spec.models.items import Item


class SignIn(SpecModel):
    """A sign-in roster printed with the in-service."""

    rows: Annotated[int, Field(strict=True, ge=1, le=500)] = 20
    """Numbered rows to print (the roster runs onto more pages as needed)."""
    columns: list[Text] = Field(default_factory=list, max_length=4)
    """Extra columns after name, role and signature, e.g. ``[Case number]``."""
    in_binder: StrictBool = False
    """Also print the roster in every participant's binder. By default it is
    only in the facilitator's kit (``<id>-facilitator.pdf``)."""


class Evaluation(SpecModel):
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


class Certificate(SpecModel):
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


class AgendaEntry(SpecModel):
    """One line of the session's agenda."""

    time: SessionTime | None = None
    """When it starts (``6:30pm``, ``18:30``) or its span (``18:30-18:45``)."""
    title: Text
    """What happens then, e.g. ``Welcome and introductions``."""
    presenter: OptText | None = None
    """Who leads this part, when it is not the in-service's presenter."""


class Contact(SpecModel):
    """Who volunteers ask about the in-service."""

    name: Text
    """The contact person's name."""
    role: OptText | None = None
    """Their role, e.g. ``Training Coordinator``."""
    email: Email | None = None
    """Their email address."""
    phone: OptText | None = None
    """Their phone number, as it should be printed."""


class InService(SpecModel):
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
        if not SLUG.fullmatch(value):
            raise ValueError(
                "expected a short name of lowercase letters, digits and single hyphens"
                f" (like csec-understanding), found {clip(value)}"
            )
        if len(value) > MAX_ID_CHARS:
            raise ValueError(
                f"the id is {len(value)} characters long; it names the output files, so at most"
                f" {MAX_ID_CHARS} are allowed: shorten it"
            )
        return value
