"""What a build reports: its progress as it goes, and the outputs it wrote.

:class:`BuildResult` and :class:`OutputFile` are the public result of
:func:`packetgen.build.pipeline.build`; :class:`Reporter` counts finished
outputs for the progress callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["BuildResult", "Format", "OutputFile", "Progress", "ProgressEvent", "Reporter"]

Format = Literal["pdf", "html", "both"]


@dataclass(frozen=True)
class ProgressEvent:
    """A step of a build, for progress bars and logs."""

    message: str
    done: int
    """Outputs finished so far."""
    total: int
    """Outputs this build writes."""


Progress = Callable[[ProgressEvent], None]


class Reporter:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.done = 0
        self.total = total

    def note(self, message: str) -> None:
        if self.progress is not None:
            self.progress(ProgressEvent(message, self.done, self.total))

    def advance(self, message: str) -> None:
        self.done += 1
        self.note(message)


@dataclass(frozen=True)
class OutputFile:
    """One file a build wrote."""

    path: Path
    kind: Literal["binder", "facilitator", "certificates", "html", "book", "short-links"]
    inservice: str | None
    pages: int | None
    cached: bool = False
    """True when the output came from the build cache instead of being laid out."""


@dataclass
class BuildResult:
    """What a build produced: files, page counts, links and warnings."""

    outputs: list[OutputFile] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)
    """(number, URL) of every link, as numbered in the packet."""
    warnings: list[str] = field(default_factory=list)
    hours: dict[str, float | None] = field(default_factory=dict)
    """Credit hours of each in-service (given in the spec or computed from its policy)."""

    @property
    def rebuilt(self) -> list[OutputFile]:
        """Outputs that were laid out anew (not taken from the cache)."""
        return [o for o in self.outputs if not o.cached]

    def to_dict(self) -> dict[str, object]:
        return {
            "outputs": [
                {
                    "path": str(o.path),
                    "kind": o.kind,
                    "inservice": o.inservice,
                    "pages": o.pages,
                    "cached": o.cached,
                }
                for o in self.outputs
            ],
            "links": [{"number": n, "url": u} for n, u in self.links],
            "warnings": list(self.warnings),
            "hours": dict(self.hours),
        }
