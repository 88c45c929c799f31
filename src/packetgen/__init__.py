"""packetgen: printed training packets from a packet spec.

>>> import packetgen
>>> packet = packetgen.load_packet("packets/child-trafficking/packet.yaml")
"""

from ._version import __version__
from .errors import BuildError, HandoutError, PacketgenError, Problem, QRCapacityError, SpecError
from .loader import load_packet
from .spec import InService, Item, Packet

__all__ = [
    "BuildError",
    "HandoutError",
    "InService",
    "Item",
    "Packet",
    "PacketgenError",
    "Problem",
    "QRCapacityError",
    "SpecError",
    "__version__",
    "load_packet",
]
