"""The NIC device: network adapters, their IP interfaces, and the NETIO registrations that
report their changes (NotifyIpInterfaceChange, kernel and user mode share it).

- ``interfaces``: adapters, their IPv4/IPv6 interfaces and rows, and the changes the timeline
  makes (arrive, leave, link, MTU, metric);
- ``row``: MIB_IPINTERFACE_ROW as a traced structure;
- ``registrations``: the registrations, the notifications each change queues, cancellation;
- ``callbacks``: the worker threads the callbacks run on.
"""

from emu.devices.nic.interfaces import Adapter, AdapterConfig, IpInterface, Nics
from emu.devices.nic.registrations import NETIO_DEVICE, Netio, Registration, netio_of
from emu.devices.nic.row import MIB_IPINTERFACE_ROW

__all__ = [
    "MIB_IPINTERFACE_ROW",
    "NETIO_DEVICE",
    "Adapter",
    "AdapterConfig",
    "IpInterface",
    "Netio",
    "Nics",
    "Registration",
    "netio_of",
]
