"""The whole spec: a :class:`Packet` of in-services, with the packet-wide
settings each in-service may override, and where every field was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from packetgen.errors import OptionError
from packetgen.spec.models._text import BCP47, clip
from packetgen.spec.models._types import (
    ModuleMm,
    OptText,
    Paper,
    Placement,
    Prose,
    SpecModel,
    Text,
    Url,
)
from packetgen.spec.models.credit import CreditPolicy, Records
from packetgen.spec.models.inservice import InService


class Packet(SpecModel):
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
    archival: Literal["pdf/a-2b"] | None = None
    """``pdf/a-2b``: every PDF is also an archival PDF (PDF/A-2b, ISO 19005-2), for
    training records kept for years. Each merged handout must embed its fonts
    and give its colours for screens (RGB or grey, not CMYK): the build names
    any that does not."""
    records: Records | None = None
    """Column names and date format of the hours records (``packetgen hours``)."""
    inservices: Annotated[list[InService], Field(min_length=1)]
    """The in-service trainings in this packet (at least one)."""

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not BCP47.fullmatch(value):
            raise ValueError(f"expected a language tag like en or es-MX, found {clip(value)}")
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
        raise OptionError(
            "this Packet does not know its folder, so its files cannot be found; make it with"
            " packetgen.load_packet(path) or packetgen.packet_from_data(data, folder=...)"
        )

    def inservice(self, inservice_id: str) -> InService:
        """The in-service with the id ``inservice_id``.

        Raises :class:`OptionError` naming the ids the packet has when none has it.
        """
        return self.inservices[self.inservice_index(inservice_id)]

    def inservice_index(self, inservice_id: str) -> int:
        """Where the in-service with the id ``inservice_id`` is in ``inservices``
        (the ``2`` of ``inservices[2]`` in field paths and positions)."""
        for index, inservice in enumerate(self.inservices):
            if inservice.id == inservice_id:
                return index
        raise self._no_inservice(inservice_id)

    def select(self, inservice_ids: Sequence[str] | None) -> list[InService]:
        """The in-services with these ids, in the packet's order; every one when
        ``inservice_ids`` is None or empty (no ``--only``).

        Raises :class:`OptionError` for the first id the packet does not have.
        """
        if not inservice_ids:
            return list(self.inservices)
        known = {s.id for s in self.inservices}
        for inservice_id in inservice_ids:
            if inservice_id not in known:
                raise self._no_inservice(inservice_id)
        return [s for s in self.inservices if s.id in inservice_ids]

    def _no_inservice(self, inservice_id: str) -> OptionError:
        ids = ", ".join(s.id for s in self.inservices)
        return OptionError(f"no in-service with id {inservice_id!r}; the packet has: {ids}")

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
        inservice = self.inservice(inservice_id)
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
