"""The ``nic`` device of a scenario: the machine's network adapters, and what happens to them
on the timeline.

::

    devices:
      nic:
        adapters:
          eth0: {}                                    # IPv4 and IPv6, present, link up
          wifi: {families: [AF_INET], mtu: 1400, metric: 50, connected: false}
          usb:  {present: false, index: 20}           # arrives later
    timeline:
      - {at: 1ms, nic.arrive: usb}                    # MibAddInstance per interface
      - {at: 2ms, nic.link: {adapter: eth0, connected: false}}   # MibParameterNotification
      - {at: 3ms, nic.mtu: {adapter: eth0, mtu: 9000, family: AF_INET}}
      - {at: 4ms, nic.metric: {adapter: wifi, metric: 10}}
      - {at: 5ms, nic.leave: usb}                     # MibDeleteInstance per interface
      - {at: 6ms, nic.burst: {changes: 6}}            # six changes the chooser draws
      - {at: 7ms, nic.fail_registration: no_memory}   # the next registration fails

The adapters and their rules are ``emu.devices.nic``. Each adapter's name is declared: ``$eth0``
in a step is its NET_LUID value (for ``InterfaceLuid``); ``$eth0_index`` is its
InterfaceIndex (so no adapter may be named ``eth0_index`` beside ``eth0``). A change that does
not apply when it runs (an adapter already present, a family it does not have) is a
``world.skip`` with the reason; a burst whose changes did not all apply is one with each
reason (the others took effect). A burst draws each change through
the chooser (which adapter; arrive or leave, link, MTU or metric; the new value), so
exploration covers bursts as it covers schedules. ``nic.fail_registration`` arms an injected
fault for the next NotifyIpInterfaceChange: ``no_memory`` (allocation failure) or
``invalid_handle`` (the page's "internal error"); as a ``faults:`` entry it fires with its
probability. Without a ``devices.nic`` section a scenario still has the device, without adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from emu.codes.winsock import AF_INET, AF_INET6
from emu.devices.nic import NETIO_DEVICE, AdapterConfig, Netio, netio_of
from emu.devices.nic.interfaces import DEFAULT_METRIC, DEFAULT_MTU
from emu.devices.nic.registrations import FAULTS
from emu.scenario.devices import ActionContext, ActionKind, DeviceKind, register_device
from emu.scenario.model import Action, SimContext
from emu.scenario.nodes import Map, Node, Scalar, Seq
from emu.scenario.shape import Bool, Choice, Int, ListOf, MapOf, Record, Str, did_you_mean

FAMILY_WORDS: Final = {"AF_INET": AF_INET, "AF_INET6": AF_INET6}
MTU_RANGE: Final = (68, 65535)
BURST_MTUS: Final = (1500, 1280, 9000)
BURST_METRICS: Final = (25, 5, 50)
BURST_CHANGES: Final = ("link", "mtu", "metric", "presence")

_MTU: Final = f"the NlMtu, {MTU_RANGE[0]} to {MTU_RANGE[1]}"
_METRIC: Final = "the Metric, 0 to 9999"
_FAMILY: Final = Choice(tuple(FAMILY_WORDS), "an address family")
_ADAPTER: Final = Record(
    {
        "families": ListOf(_FAMILY, low=1, high=2),
        "present": Bool(),
        "connected": Bool(),
        "mtu": Int(*MTU_RANGE, _MTU),
        "metric": Int(0, 9999, _METRIC),
        "index": Int(2, 0xFFFF, "the InterfaceIndex, 2 to 65535"),
    },
    description="an adapter (defaults: IPv4 and IPv6, present, connected, MTU 1500, metric 25)",
)
_NIC: Final = Record(
    {"adapters": MapOf(_ADAPTER, description="network adapters, by name", key="adapter name")},
    description="the machine's network adapters",
)
_NAME: Final = Str("an adapter of devices.nic.adapters")


def _int(node: Node | None, default: int) -> int:
    return int(node.value) if isinstance(node, Scalar) else default


def _bool(node: Node | None, default: bool) -> bool:
    return bool(node.value) if isinstance(node, Scalar) else default


def _declare(node: Map) -> tuple[dict[str, str], Callable[[SimContext], None]]:
    configs: list[AdapterConfig] = []
    indexes: dict[int, str] = {}
    adapters = node.get("adapters")
    if isinstance(adapters, Map):
        for name, spec in adapters.items():
            if not name.isidentifier():
                what = f"{name!r} is not an adapter name (letters, digits, _)"
                adapters.key_node(name).fail(what)
            if name.endswith("_index") and name.removesuffix("_index") in adapters.keys:
                adapters.key_node(name).fail(
                    f"{name!r} would be ${name}, which names the InterfaceIndex of the adapter "
                    f"{name.removesuffix('_index')!r}: choose another name"
                )
            assert isinstance(spec, Map)
            families_node = spec.get("families")
            families: tuple[int, ...] = (AF_INET, AF_INET6)
            if isinstance(families_node, Seq):
                words = [str(f.value) for f in families_node if isinstance(f, Scalar)]
                if len(set(words)) != len(words):
                    families_node.fail("an adapter has each family once")
                families = tuple(sorted(FAMILY_WORDS[w] for w in words))
            index_node = spec.get("index")
            index = _int(index_node, 0)
            if index and index_node is not None:
                if index in indexes:
                    index_node.fail(f"InterfaceIndex {index} is already {indexes[index]}'s")
                indexes[index] = name
            configs.append(
                AdapterConfig(
                    name=name,
                    families=families,
                    present=_bool(spec.get("present"), True),
                    connected=_bool(spec.get("connected"), True),
                    mtu=_int(spec.get("mtu"), DEFAULT_MTU),
                    metric=_int(spec.get("metric"), DEFAULT_METRIC),
                    index=index,
                )
            )
    frozen = tuple(configs)

    def setup(ctx: SimContext) -> None:
        k = ctx.k
        device = k.device(NETIO_DEVICE, lambda: Netio(k, frozen))
        for adapter in device.nics.adapters.values():
            ctx.shared[adapter.name] = adapter.luid
            ctx.shared[f"{adapter.name}_index"] = adapter.index

    names: dict[str, str] = {}
    for config in frozen:
        names[config.name] = "adapter"
        names[f"{config.name}_index"] = "adapter index"
    return names, setup


def _adapter(node: Node | None, what: str, cx: ActionContext) -> str:
    """The declared adapter ``node`` names (a load error otherwise; the shape made it given)."""
    assert node is not None
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        node.fail(f"nic.{what} names an adapter of devices.nic.adapters")
    name = node.value
    if cx.names.get(name) != "adapter":
        known = [n for n, kind in cx.names.items() if kind == "adapter"]
        hint = did_you_mean(name, known)
        node.fail(
            f"no adapter named {name!r}{hint} in devices.nic.adapters "
            f"(adapters: {', '.join(known) or 'none'})"
        )
    return name


def _presence(arrive: bool) -> Callable[[Node, ActionContext], Action]:
    def compile_action(node: Node, cx: ActionContext) -> Action:
        name = _adapter(node, "arrive" if arrive else "leave", cx)

        def run(ctx: SimContext) -> str | None:
            nics = netio_of(ctx.k).nics
            return nics.arrive(name) if arrive else nics.leave(name)

        return run

    return compile_action


def _member(what: str, key: str, member: str) -> Callable[[Node, ActionContext], Action]:
    def compile_action(node: Node, cx: ActionContext) -> Action:
        assert isinstance(node, Map)
        name = _adapter(node.get("adapter"), what, cx)
        value_node = node.get(key)
        assert value_node is not None
        value = _int(value_node, 0)
        family_node = node.get("family")
        family = FAMILY_WORDS[str(family_node.value)] if isinstance(family_node, Scalar) else None

        def run(ctx: SimContext) -> str | None:
            return netio_of(ctx.k).nics.set_member(name, member, value, family)

        return run

    return compile_action


def _burst(node: Node, cx: ActionContext) -> Action:
    assert isinstance(node, Map)
    count = _int(node.get("changes"), 1)
    known = [n for n, kind in cx.names.items() if kind == "adapter"]
    if not known:
        node.fail("nic.burst needs at least one adapter in devices.nic.adapters")
    names = tuple(known)

    def run(ctx: SimContext) -> str | None:
        k = ctx.k
        nics = netio_of(k).nics
        skipped: list[str] = []
        for _ in range(count):
            name = names[k.choose_data("nic-burst:adapter", names)]
            change = BURST_CHANGES[k.choose_data("nic-burst:change", BURST_CHANGES)]
            adapter = nics.adapters[name]
            why: str | None
            if change == "presence":
                why = nics.leave(name) if adapter.present else nics.arrive(name)
            elif not adapter.present:
                why = f"{name} is not present"
            elif change == "link":
                connected = next(iter(adapter.interfaces.values())).row["Connected"]
                why = nics.set_member(name, "Connected", 0 if connected else 1, None)
            else:
                values = BURST_MTUS if change == "mtu" else BURST_METRICS
                value = values[k.choose_data(f"nic-burst:{change}", values)]
                member = "NlMtu" if change == "mtu" else "Metric"
                why = nics.set_member(name, member, value, None)
            if why is not None:
                skipped.append(why)
        if not skipped:
            return None
        return f"{len(skipped)} of {count} changes did not apply: {'; '.join(skipped)}"

    return run


def _fail_registration(node: Node, cx: ActionContext) -> Action:
    fault = str(node.value) if isinstance(node, Scalar) else ""

    def run(ctx: SimContext) -> str | None:
        netio_of(ctx.k).faults.append(fault)
        return None

    return run


_LINK: Final = Record(
    {"adapter": _NAME, "connected": Bool()},
    required=("adapter", "connected"),
    description="an adapter's link state",
)


def _link(node: Node, cx: ActionContext) -> Action:
    assert isinstance(node, Map)
    name = _adapter(node.get("adapter"), "link", cx)
    connected = int(_bool(node.get("connected"), True))

    def run(ctx: SimContext) -> str | None:
        return netio_of(ctx.k).nics.set_member(name, "Connected", connected, None)

    return run


def _value_change(key: str, shape: Int, what: str) -> Record:
    return Record(
        {"adapter": _NAME, key: shape, "family": _FAMILY},
        required=("adapter", key),
        description=f"an adapter's new {what} (both families unless family: says one)",
    )


register_device(
    DeviceKind(
        name="nic",
        shape=_NIC,
        declare=_declare,
        actions={
            "arrive": ActionKind(
                _NAME, _presence(True), "an adapter arrives (MibAddInstance per interface)"
            ),
            "leave": ActionKind(
                _NAME, _presence(False), "an adapter leaves (MibDeleteInstance per interface)"
            ),
            "link": ActionKind(
                _LINK, _link, "an adapter's link goes up or down (Connected; MibParameter...)"
            ),
            "mtu": ActionKind(
                _value_change("mtu", Int(*MTU_RANGE, _MTU), "MTU"),
                _member("mtu", "mtu", "NlMtu"),
                "an interface's MTU changes (NlMtu; MibParameterNotification)",
            ),
            "metric": ActionKind(
                _value_change("metric", Int(0, 9999, _METRIC), "metric"),
                _member("metric", "metric", "Metric"),
                "an interface's metric changes (Metric; MibParameterNotification)",
            ),
            "burst": ActionKind(
                Record(
                    {"changes": Int(1, 1000, "how many changes, 1 to 1000")},
                    required=("changes",),
                    description="changes drawn by the chooser, all at this instant",
                ),
                _burst,
                "a burst of changes at one instant, each drawn by the chooser",
            ),
            "fail_registration": ActionKind(
                Choice(FAULTS, "the failure"),
                _fail_registration,
                "the next NotifyIpInterfaceChange fails (no_memory: allocation failure; "
                "invalid_handle: the page's internal error)",
            ),
        },
        doc="network adapters and their IPv4/IPv6 interfaces (NotifyIpInterfaceChange)",
    )
)
