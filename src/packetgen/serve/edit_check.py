"""A spec's text checked as ``packetgen check`` checks the file, for ``packetgen edit``.

The editor checks every change before it is saved: the problems come back
each at its field (so the form can show it there) in the words ``packetgen
check`` uses, with the warnings and each in-service's credit hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packetgen.errors import PacketgenError, Problem, SpecError
from packetgen.spec._sources import SourceProblems, parse

__all__ = ["Checked", "check_text"]


@dataclass(frozen=True)
class Checked:
    """What the check says of a text: problems as the page shows them, warnings, hours."""

    problems: list[dict[str, str]]
    warnings: list[str]
    hours: dict[str, str]


def check_text(text: str, spec: Path, out: Path) -> Checked:
    """``text`` checked as if it were saved as ``spec``: the problems, each at its field,
    in the words ``packetgen check`` uses; the warnings; each in-service's hours.

    ``out`` keeps what the check learns about the handouts between calls (it
    is never the packet folder).
    """
    from packetgen.build.checkup import check
    from packetgen.spec.loader import MAX_SPEC_BYTES, validate

    name = spec.name
    size = len(text.encode("utf-8"))
    if size > MAX_SPEC_BYTES:
        message = (
            f"the file would be {size:,} bytes; a packet spec may be at most"
            f" {MAX_SPEC_BYTES:,} bytes (1 MiB)"
        )
        return Checked([{"field": "", "message": message, "text": f"{name}: {message}"}], [], {})
    try:
        doc = parse(text, name=name, fmt="yaml")
        packet = validate(doc, name=name, folder=spec.resolve().parent, source=Path(name))
    except SourceProblems as exc:
        return Checked([_problem(p) for p in exc.problems], [], {})
    except SpecError as exc:
        return Checked([_problem(p) for p in exc.problems], [], {})
    try:
        result = check(packet, out, cache=True)
    except SpecError as exc:
        return Checked([_problem(p) for p in exc.problems], [], {})
    except PacketgenError as exc:
        return Checked([{"field": "", "message": str(exc), "text": str(exc)}], [], {})
    problems = [{"field": p.field, "message": p.message, "text": p.text} for p in result.located]
    return Checked(problems, list(result.warnings), _hours(packet))


def _problem(problem: Problem) -> dict[str, str]:
    return {"field": problem.field, "message": problem.message, "text": str(problem)}


def _hours(packet: Any) -> dict[str, str]:
    from packetgen.content.credit import inservice_hours

    hours: dict[str, str] = {}
    for inservice in packet.inservices:
        try:
            found = inservice_hours(packet, inservice)
        except PacketgenError:
            continue  # the check says what is wrong with the file it counted
        if found.hours is None:
            hours[inservice.id] = "no hours set"
            continue
        words = f"{found.hours:g} hour{'' if found.hours == 1 else 's'}"
        hours[inservice.id] = words if found.given else f"{words} (by the credit policy)"
    return hours
