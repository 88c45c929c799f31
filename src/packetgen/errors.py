"""The one exception family of packetgen.

Every error a trainer can cause derives from :class:`PacketgenError`, so a
caller (the CLI, or a service embedding packetgen) needs a single ``except``.
Messages are written for the trainer: they name the file, the place in it and
the field, and say what was expected and what was found.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BuildError",
    "HandoutError",
    "PacketgenError",
    "Problem",
    "QRCapacityError",
    "SpecError",
]


class PacketgenError(Exception):
    """Base class of every error packetgen raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a spec, located as precisely as the source allows."""

    file: str
    """Path of the spec file as the user gave it."""
    line: int | None
    """1-based line, when known."""
    column: int | None
    """1-based column, when known."""
    field: str
    """Dotted field path such as ``inservices[0].items[2].url`` (empty for the whole file)."""
    message: str
    """What was expected and what was found."""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class SpecError(PacketgenError):
    """The packet spec is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        head = f"{len(self.problems)} problems in the packet spec:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class HandoutError(PacketgenError):
    """A handout file (PDF, image, office document) cannot be used as given."""

    def __init__(self, file: str, message: str, *, item: str | None = None) -> None:
        self.file = file
        self.item = item
        self.detail = message
        where = f"{file}: " if file else ""
        what = f"{item}: " if item else ""
        super().__init__(f"{where}{what}{message}")


class QRCapacityError(PacketgenError):
    """A URL is too long to fit in any QR code at the chosen error correction."""


class BuildError(PacketgenError):
    """Rendering or writing the outputs failed for a reason other than the spec."""
