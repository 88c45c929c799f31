"""A handout's problem placed in the spec: the field that names the file, and its line.

The readers (:mod:`~packetgen.handouts.open`) know a file by its path alone; the
stages that open a packet's handouts (the binder, the page count of credit)
know which field of the spec names it, and say the problem there, as
``check`` and the editor show it.
"""

from __future__ import annotations

from packetgen.errors import HandoutError
from packetgen.spec._sources import dotted
from packetgen.spec.models import Packet

__all__ = ["located_error"]


def located_error(
    packet: Packet, loc: tuple[str | int, ...], file: str, message: str, *, item: str | None
) -> HandoutError:
    """The problem ``message`` about ``file`` (as the spec names it), placed at the
    field ``loc`` of the spec that names it (``("inservices", 0, "items", 2, "file")``).

    Its :attr:`~packetgen.errors.HandoutError.problem` has the field path, line and
    column; its message reads ``spec:line:col: field: file: item: message``.
    """
    spec, line, column = packet.locate(*loc)
    return HandoutError.located(
        file, message, item=item, spec=spec, line=line, column=column, field=dotted(loc)
    )
