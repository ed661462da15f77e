"""Network adapters and their IP interfaces: the state NotifyIpInterfaceChange reports on.

An adapter has an IPv4 and/or an IPv6 interface; each interface is one MIB_IPINTERFACE_ROW
(Family, InterfaceLuid, InterfaceIndex, Connected, NlMtu, Metric and the other members the
device keeps, ``ROW_DEFAULTS``), keyed by (Family, InterfaceLuid) as GetIpInterfaceEntry finds
it. The adapter's NET_LUID is ``IfType << 48 | NetLuidIndex << 24`` (the NET_LUID_LH layout:
NetLuidIndex in bits 24-47, IfType in bits 48-63; IfType 6 is IF_TYPE_ETHERNET_CSMACD), its
NetLuidIndex the adapter's place in the declaration (1, 2, ...).

What changes an interface, and the notification type each change gives (MIB_NOTIFICATION_TYPE,
docs/sources.md F3.1, F3.14):

- an adapter arrives: MibAddInstance for each of its interfaces;
- an adapter leaves: MibDeleteInstance for each; GetIpInterfaceEntry then finds nothing;
- its link goes up or down (``Connected``), its MTU (``NlMtu``) or its metric (``Metric``)
  changes: MibParameterNotification for each interface the change touches.

A change that changes nothing (a link already up, the same MTU) notifies nothing and says so in
the trace (``nic.change`` with ``changed`` false). Every change is a ``nic.change`` event; the
notifications it gives are the registrations' (``emu.devices.nic.registrations``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from emu.codes.netio import (
    MibAddInstance,
    MibDeleteInstance,
    MibParameterNotification,
    family_name,
)
from emu.codes.winsock import AF_INET, AF_INET6
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

IF_TYPE_ETHERNET_CSMACD: Final = 6
FIRST_INDEX: Final = 11
"""InterfaceIndex of the first configured adapter (1 is the loopback's, not modelled)."""
DEFAULT_MTU: Final = 1500
DEFAULT_METRIC: Final = 25

ROW_DEFAULTS: Final[dict[str, int]] = {
    "MaxReassemblySize": 0,  # "currently set to zero and reserved for future use"
    "InterfaceIdentifier": 0,  # "Reserved for future use. This member is currently set to zero"
    "MinRouterAdvertisementInterval": 200,  # observed: Wine iphlpapi test_GetIpInterface
    "MaxRouterAdvertisementInterval": 600,
    "BaseReachableTime": 30000,
    "RetransmitTime": 1000,
    "ForwardingEnabled": 0,
    "WeakHostSend": 0,
    "WeakHostReceive": 0,
    "UseAutomaticMetric": 1,
    "DadTransmits": 1,
    "SitePrefixLength": 64,
    "Metric": DEFAULT_METRIC,
    "NlMtu": DEFAULT_MTU,
    "Connected": 1,
    "DisableDefaultRoutes": 0,
}
"""The members besides Family, InterfaceLuid and InterfaceIndex that the device keeps, with the
value a new interface has unless the scenario says otherwise (MIB_IPINTERFACE_ROW (MS doc);
the members no notification or client here reads, such as ZoneIndices and the offload
structures, are not modelled: an assumption, docs/rules.md)."""

IDENTITY_FIELDS: Final = ("Family", "InterfaceLuid", "InterfaceIndex")
"""The members a notification's row carries (F3.10: the others are not reliable)."""

NIC_CHANGE = trace_kind(
    "nic.change",
    ("adapter", "what", "family", "value", "changed"),
    state=("what", "value"),
    text="{adapter}: {what} -> {value} (interfaces: {family})",
    doc="An adapter arrived or left, or a member of its interface's row changed (`what`: "
    "arrive, leave, Connected, NlMtu, Metric; `family`: AF_INET, AF_INET6 or both); "
    "`changed` is false when the value was already so and nothing is notified.",
)


def net_luid(index: int, if_type: int = IF_TYPE_ETHERNET_CSMACD) -> int:
    """NET_LUID.Value of the ``index``th interface of type ``if_type``."""
    return (if_type << 48) | (index << 24)


@dataclass(frozen=True, slots=True)
class AdapterConfig:
    """An adapter as a scenario declares it."""

    name: str
    families: tuple[int, ...] = (AF_INET, AF_INET6)
    present: bool = True
    connected: bool = True
    mtu: int = DEFAULT_MTU
    metric: int = DEFAULT_METRIC
    index: int = 0
    """InterfaceIndex (0: the next free one from FIRST_INDEX)."""


class IpInterface:
    """One interface of an adapter: its row."""

    __slots__ = ("adapter", "family", "row")

    def __init__(self, adapter: Adapter, family: int, config: AdapterConfig) -> None:
        self.adapter = adapter
        self.family = family
        self.row: dict[str, int] = {
            "Family": family,
            "InterfaceLuid": adapter.luid,
            "InterfaceIndex": adapter.index,
            **ROW_DEFAULTS,
            "NlMtu": config.mtu,
            "Metric": config.metric,
            "UseAutomaticMetric": 0 if config.metric != DEFAULT_METRIC else 1,
            "Connected": int(config.connected),
        }

    @property
    def label(self) -> str:
        return f"{self.adapter.name}/{'IPv4' if self.family == AF_INET else 'IPv6'}"


class Adapter:
    """A network adapter: present or not, with one interface per family it has."""

    __slots__ = ("index", "interfaces", "luid", "name", "present")

    def __init__(self, config: AdapterConfig, index: int, number: int) -> None:
        self.name = config.name
        self.index = index
        self.luid = net_luid(number)
        self.present = config.present
        self.interfaces = {family: IpInterface(self, family, config) for family in config.families}


Notify = Callable[[IpInterface, int, int], None]
"""What the device calls for each interface a change touches: (interface, type, cause)."""


class Nics:
    """The machine's adapters, and the changes that notify the registrations."""

    def __init__(self, k: Kernel, configs: tuple[AdapterConfig, ...], notify: Notify) -> None:
        self.k = k
        self.notify = notify
        self.adapters: dict[str, Adapter] = {}
        taken = {c.index for c in configs if c.index}
        next_index = FIRST_INDEX
        for number, config in enumerate(configs, 1):
            index = config.index
            if not index:
                while next_index in taken:
                    next_index += 1
                index = next_index
                taken.add(index)
            self.adapters[config.name] = Adapter(config, index, number)

    # -- lookups (GetIpInterfaceEntry) ------------------------------------------------------------

    def find(self, family: int, luid: int, index: int) -> IpInterface | None:
        """The present interface of ``family`` with this LUID (or, without one, this index)."""
        for adapter in self.adapters.values():
            if not adapter.present:
                continue
            if (luid and adapter.luid == luid) or (not luid and adapter.index == index):
                return adapter.interfaces.get(family)
        return None

    def present_index(self, index: int) -> Adapter | None:
        """The present adapter whose interfaces have this InterfaceIndex."""
        for adapter in self.adapters.values():
            if adapter.present and adapter.index == index:
                return adapter
        return None

    def interfaces(self) -> list[IpInterface]:
        """Every present interface, adapters in declaration order, IPv4 first."""
        return [
            iface
            for adapter in self.adapters.values()
            if adapter.present
            for _, iface in sorted(adapter.interfaces.items())
        ]

    # -- changes (the timeline's nic.* actions) ---------------------------------------------------

    def arrive(self, name: str) -> str | None:
        adapter = self.adapters[name]
        if adapter.present:
            return f"{name} is already present"
        adapter.present = True
        cause = self._emit(adapter, "arrive", None, 1, True)
        for _, iface in sorted(adapter.interfaces.items()):
            self.notify(iface, MibAddInstance, cause)
        return None

    def leave(self, name: str) -> str | None:
        adapter = self.adapters[name]
        if not adapter.present:
            return f"{name} is not present"
        adapter.present = False
        cause = self._emit(adapter, "leave", None, 0, True)
        for _, iface in sorted(adapter.interfaces.items()):
            self.notify(iface, MibDeleteInstance, cause)
        return None

    def set_member(self, name: str, member: str, value: int, family: int | None) -> str | None:
        """Set ``member`` (Connected, NlMtu, Metric) of the adapter's interfaces of ``family``
        (both when None): MibParameterNotification for each one that changed."""
        adapter = self.adapters[name]
        if not adapter.present:
            return f"{name} is not present"
        touched = [
            iface
            for fam, iface in sorted(adapter.interfaces.items())
            if family is None or fam == family
        ]
        if not touched:
            return f"{name} has no {family_name(family or 0)} interface"
        changed = [iface for iface in touched if iface.row[member] != value]
        cause = self._emit(adapter, member, family, value, bool(changed))
        for iface in changed:
            iface.row[member] = value
            if member == "Metric":
                iface.row["UseAutomaticMetric"] = 0
        for iface in changed:
            self.notify(iface, MibParameterNotification, cause)
        return None

    def _emit(
        self, adapter: Adapter, what: str, family: int | None, value: Any, changed: bool
    ) -> int:
        k = self.k
        fam = "both" if family is None else family_name(family)
        return k.emit(k.actor_id(), NIC_CHANGE, (), (adapter.name, what, fam, value, changed))


__all__ = [
    "AF_INET",
    "AF_INET6",
    "IDENTITY_FIELDS",
    "ROW_DEFAULTS",
    "Adapter",
    "AdapterConfig",
    "IpInterface",
    "Nics",
    "net_luid",
]
