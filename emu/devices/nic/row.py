"""MIB_IPINTERFACE_ROW (netioapi.h): the row a NETIO callback receives and GetIpInterfaceEntry
fills, as a traced structure (``emu.kernel.memory.Struct``).

The members are the header's names, in its order, for the ones the device keeps (F3.21):
Family, InterfaceLuid (NET_LUID.Value, the union's 64-bit view), InterfaceIndex,
MaxReassemblySize, InterfaceIdentifier, MinRouterAdvertisementInterval,
MaxRouterAdvertisementInterval, ForwardingEnabled, WeakHostSend, WeakHostReceive,
UseAutomaticMetric, DadTransmits, BaseReachableTime, RetransmitTime, SitePrefixLength, Metric,
NlMtu, Connected, DisableDefaultRoutes. A notification's row "is managed by the operating
system" (F3.10); no page says how long it stays valid, and emu ends its lifetime when the
callback returns (an assumption, docs/rules.md), so a later read is a ``mem.stale`` (a use
after free). Only its Family, InterfaceLuid and InterfaceIndex are to be used.
"""

from __future__ import annotations

from typing import ClassVar

from emu.kernel.memory import Struct


class MIB_IPINTERFACE_ROW(Struct):
    """An IP interface's row (the members the device keeps, by their header names)."""

    __slots__ = ()

    _defaults_: ClassVar[dict[str, int]] = {}

    Family: int
    InterfaceLuid: int
    InterfaceIndex: int
    MaxReassemblySize: int
    InterfaceIdentifier: int
    MinRouterAdvertisementInterval: int
    MaxRouterAdvertisementInterval: int
    ForwardingEnabled: int
    WeakHostSend: int
    WeakHostReceive: int
    UseAutomaticMetric: int
    DadTransmits: int
    BaseReachableTime: int
    RetransmitTime: int
    SitePrefixLength: int
    Metric: int
    NlMtu: int
    Connected: int
    DisableDefaultRoutes: int
