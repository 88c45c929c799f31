"""The field types of the spec (a one-line text, a web address, hours…), each a
type with its checks attached, and the base every spec model shares.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from packetgen.spec.models._text import (
    MAX_HOURS,
    MAX_MINUTES,
    MAX_PAGES,
    check_email,
    check_language,
    check_line,
    check_prose,
    check_short_name,
    check_text,
    check_url,
    check_verify_url,
)
from packetgen.spec.models._times import (
    check_date_format,
    check_start,
    check_time,
    time_text,
    to_date,
)

MIN_MODULE_MM = 0.7
"""Smallest QR module (mm) that survived a photocopy of a photocopy (see README)."""
MAX_MODULE_MM = 2.0

Text = Annotated[str, Field(strict=True), AfterValidator(check_line), AfterValidator(check_text)]
"""One line of text that must say something: titles, names, questions."""
OptText = Annotated[str, Field(strict=True), AfterValidator(check_line)]
"""One line of text, possibly empty: source, presenter, location…"""
Prose = Annotated[str, Field(strict=True), AfterValidator(check_prose)]
"""Paragraphs (Markdown or a notice): line breaks allowed."""
Secret = Annotated[str, Field(strict=True)]
"""A password: any characters, it is never printed."""
Url = Annotated[str, Field(strict=True), AfterValidator(check_url)]
Date = Annotated[_dt.date, BeforeValidator(to_date)]
Hours = Annotated[float, Field(strict=True, ge=0, le=MAX_HOURS)]
Minutes = Annotated[int, Field(strict=True, ge=0, le=MAX_MINUTES)]
Pages = Annotated[int, Field(strict=True, ge=1, le=MAX_PAGES)]
ShortName = Annotated[str, Field(strict=True), AfterValidator(check_short_name)]
StartTime = Annotated[str, Field(strict=True), AfterValidator(check_start)]
Language = Annotated[str, Field(strict=True), AfterValidator(check_language)]
"""A BCP 47 language tag: ``en``, ``es``, ``es-MX``."""
SessionTime = Annotated[
    str, BeforeValidator(time_text), Field(strict=True), AfterValidator(check_time)
]
"""A time of day or a span (``6:30pm``, ``18:30``, ``18:30-20:00``); kept as ``HH:MM[-HH:MM]``."""
Email = Annotated[str, Field(strict=True), AfterValidator(check_email)]
Paper = Literal["letter", "a4"]
Delivery = Literal["in_person", "virtual", "self_study"]
VerifyUrl = Annotated[str, Field(strict=True), AfterValidator(check_verify_url)]
DateFormat = Annotated[str, Field(strict=True), AfterValidator(check_date_format)]
Placement = Literal["end", "inline"]
ModuleMm = Annotated[float, Field(strict=True, ge=MIN_MODULE_MM, le=MAX_MODULE_MM)]
# Control characters in paths are refused by loader.check_path, with the
# other path checks, so that a path gets one message, not two.
RelPath = Annotated[str, Field(strict=True, min_length=1)]


class SpecModel(BaseModel):
    """Every part of the spec: unknown fields refused, frozen once validated."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # The field docstrings are read by schema.py when the schema is asked for:
        # here they would cost every load a second parse of this module's source.
        use_attribute_docstrings=False,
        str_strip_whitespace=False,
    )
