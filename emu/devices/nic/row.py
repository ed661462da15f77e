"""MIB_IPINTERFACE_ROW (netioapi.h): the row a NETIO callback receives and GetIpInterfaceEntry
fills, as a traced structure (``emu.kernel.memory.Struct``).

The members are the header's names, in its order, for the ones the device keeps:
Family, InterfaceLuid (NET_LUID.Value, the union's 64-bit view), InterfaceIndex,
MaxReassemblySize, ForwardingEnabled, WeakHostSend, WeakHostReceive, UseAutomaticMetric,
DadTransmits, SitePrefixLength, Metric, NlMtu, Connected, DisableDefaultRoutes. The row of a
notification is the system's memory, "valid only during the callback" (F3.10): the callback
row's lifetime ends when the callback returns, so a later read is a ``mem.stale`` (a use after
free); only Family, InterfaceLuid and InterfaceIndex of it are reliable.
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
    ForwardingEnabled: int
    WeakHostSend: int
    WeakHostReceive: int
    UseAutomaticMetric: int
    DadTransmits: int
    SitePrefixLength: int
    Metric: int
    NlMtu: int
    Connected: int
    DisableDefaultRoutes: int
