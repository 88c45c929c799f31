"""The program's rules for in-service credit, the yearly requirement, and how
``packetgen hours`` writes its records.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    StrictBool,
    model_validator,
)

from packetgen.spec.models._types import (
    DateFormat,
    Hours,
    Pages,
    SpecModel,
    Text,
)


class CreditRule(SpecModel):
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


class Requirement(SpecModel):
    """The mix of credit a volunteer needs in a year, in hours per kind of delivery."""

    in_person: Hours | None = None
    """Hours at in-person sessions."""
    virtual: Hours | None = None
    """Hours at live online sessions."""
    self_study: Hours | None = None
    """Hours of self-study: articles read, recordings and films watched."""


class CreditPolicy(SpecModel):
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


class Records(SpecModel):
    """How ``packetgen hours`` writes its CSV, to match what the program's
    case-management system imports."""

    columns: dict[Literal[RECORD_COLUMNS], Text] = Field(default_factory=dict)  # type: ignore[valid-type]  # a Literal of a tuple's values, as pydantic reads it
    """The header to write for each column, e.g. ``{name: Volunteer, hours: Credit Hours}``;
    columns not given keep their own names."""
    date_format: DateFormat = "%Y-%m-%d"
    """How dates are written, with ``%Y`` (year), ``%m`` (month), ``%d`` (day),
    e.g. ``%m/%d/%Y`` for 04/09/2026."""
