"""packetgen: printed training packets from a packet spec.

>>> import packetgen
>>> packet = packetgen.load_packet("packets/child-trafficking/packet.yaml")
>>> packetgen.check(packet, "out/").problems          # doctest: +SKIP
[]
>>> result = packetgen.build(packet, "out/")          # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

from packetgen._version import __version__
from packetgen.build.checkup import CheckResult, check
from packetgen.build.pipeline import BuildResult, OutputFile, build, packet_links, render_html
from packetgen.errors import (
    BuildError,
    HandoutError,
    LimitError,
    PacketgenError,
    Problem,
    QRCapacityError,
    SpecError,
)
from packetgen.spec.loader import load_packet, packet_from_data
from packetgen.spec.models import InService, Item, Packet

if TYPE_CHECKING:
    from packetgen.kit.records import AttendanceError, HoursReport, hours_records, write_hours

_RECORDS = ("AttendanceError", "HoursReport", "hours_records", "write_hours")


def __getattr__(name: str) -> Any:
    # The hours records are for after the session: importing packetgen to build
    # (every rebuild) does not load them.
    if name in _RECORDS:
        from packetgen.kit import records

        return getattr(records, name)
    raise AttributeError(f"module 'packetgen' has no attribute {name!r}")


__all__ = [
    "AttendanceError",
    "BuildError",
    "BuildResult",
    "CheckResult",
    "HandoutError",
    "HoursReport",
    "InService",
    "Item",
    "LimitError",
    "OutputFile",
    "Packet",
    "PacketgenError",
    "Problem",
    "QRCapacityError",
    "SpecError",
    "__version__",
    "build",
    "check",
    "hours_records",
    "load_packet",
    "packet_from_data",
    "packet_links",
    "render_html",
    "write_hours",
]
