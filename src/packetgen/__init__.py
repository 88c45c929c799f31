"""packetgen: printed training packets from a packet spec.

>>> import packetgen
>>> packet = packetgen.load_packet("packets/child-trafficking/packet.yaml")
>>> result = packetgen.build(packet, "out/")          # doctest: +SKIP
"""

from ._version import __version__
from .build import BuildResult, OutputFile, build, packet_links, render_html
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
from .spec import InService, Item, Packet

__all__ = [
    "BuildError",
    "BuildResult",
    "HandoutError",
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
    "load_packet",
    "packet_from_data",
    "packet_links",
    "render_html",
]
