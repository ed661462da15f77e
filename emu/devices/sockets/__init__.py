"""Sockets and the loopback network between them: the device behind ws2_32.

``network`` (the device and its sockets' file-object callbacks), ``stream`` and ``datagram``
(the two kinds of socket), ``requests`` (overlapped receives and sends), ``peers`` (the
scenario's scripted remote hosts), ``endpoint`` (the socket object and its trace),
``readiness`` (the SOCK_NOTIFY_EVENT_* mask and the watchers that hear it change), ``base``
(addresses, ports, latency), ``actor`` (the network's own context), ``states``.
"""

from emu.devices.sockets.base import NetConfig
from emu.devices.sockets.endpoint import Socket, address_text
from emu.devices.sockets.network import NETWORK_DEVICE, Network, network_of
from emu.devices.sockets.readiness import ReadinessWatcher, readiness
from emu.devices.sockets.states import SockState

__all__ = [
    "NETWORK_DEVICE",
    "NetConfig",
    "Network",
    "ReadinessWatcher",
    "SockState",
    "Socket",
    "address_text",
    "network_of",
    "readiness",
]
