"""packetgen: printed training packets from a packet spec.

>>> import packetgen
>>> packet = packetgen.load_packet("packets/child-trafficking/packet.yaml")
>>> packetgen.check(packet, "out/").problems          # doctest: +SKIP
[]
>>> result = packetgen.build(packet, "out/")          # doctest: +SKIP
"""

from ._version import __version__
from .build import BuildResult, OutputFile, build, packet_links, render_html
from .checkup import CheckResult, check
from .errors import (
    BuildError,
    HandoutError,
    LimitError,
    PacketgenError,
    Problem,
    QRCapacityError,
    SpecError,
)
from .loader import load_packet, packet_from_data
from .records import AttendanceError, HoursReport, hours_records, write_hours
from .spec import InService, Item, Packet

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
