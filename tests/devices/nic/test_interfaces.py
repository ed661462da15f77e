"""Adapters and their IP interfaces (emu/devices/nic/interfaces.py): identities, the changes the
timeline makes, what each change notifies, and the reasons a change does not apply."""

from __future__ import annotations

from typing import Any

import pytest

from emu.codes.netio import MibAddInstance, MibDeleteInstance, MibParameterNotification
from emu.codes.winsock import AF_INET, AF_INET6
from emu.devices.nic import AdapterConfig, IpInterface, Nics
from emu.devices.nic.interfaces import (
    DEFAULT_METRIC,
    DEFAULT_MTU,
    FIRST_INDEX,
    IF_TYPE_ETHERNET_CSMACD,
    ROW_DEFAULTS,
    net_luid,
)
from emu.kernel import Kernel


def nics(*configs: AdapterConfig) -> tuple[Nics, list[tuple[str, int]]]:
    heard: list[tuple[str, int]] = []

    def notify(iface: IpInterface, type_: int, cause: int) -> None:
        heard.append((iface.label, type_))

    return Nics(Kernel(), configs, notify), heard


def changes(n: Nics) -> list[dict[str, Any]]:
    return [dict(e.payload) for e in n.k.trace.view() if e.kind == "nic.change"]


def test_the_luid_is_the_net_luid_layout_of_an_ethernet_interface() -> None:
    # NET_LUID_LH: NetLuidIndex in bits 24-47, IfType in bits 48-63.
    assert net_luid(1) == (IF_TYPE_ETHERNET_CSMACD << 48) | (1 << 24)
    assert net_luid(5, 71) >> 48 == 71 and (net_luid(5, 71) >> 24) & 0xFFFFFF == 5


def test_indexes_count_from_the_first_and_skip_the_ones_declared() -> None:
    n, _ = nics(
        AdapterConfig("a"),
        AdapterConfig("b", index=FIRST_INDEX + 1),
        AdapterConfig("c"),
        AdapterConfig("d", index=40),
    )
    indexes = {name: a.index for name, a in n.adapters.items()}
    assert indexes == {"a": FIRST_INDEX, "b": FIRST_INDEX + 1, "c": FIRST_INDEX + 2, "d": 40}
    luids = [a.luid for a in n.adapters.values()]
    assert len(set(luids)) == 4 and all(luid != 0 for luid in luids)


def test_a_row_has_the_configured_members_and_the_defaults() -> None:
    n, _ = nics(
        AdapterConfig("eth0"),
        AdapterConfig("wifi", families=(AF_INET,), connected=False, mtu=1400, metric=50),
    )
    eth0 = n.adapters["eth0"]
    assert sorted(eth0.interfaces) == [AF_INET, AF_INET6]
    row = eth0.interfaces[AF_INET6].row
    assert (row["Family"], row["InterfaceLuid"], row["InterfaceIndex"]) == (
        AF_INET6,
        eth0.luid,
        eth0.index,
    )
    assert row["NlMtu"] == DEFAULT_MTU and row["Metric"] == DEFAULT_METRIC
    assert row["UseAutomaticMetric"] == 1 and row["Connected"] == 1
    wifi = n.adapters["wifi"].interfaces
    assert sorted(wifi) == [AF_INET]
    assert (wifi[AF_INET].row["NlMtu"], wifi[AF_INET].row["Metric"]) == (1400, 50)
    assert wifi[AF_INET].row["UseAutomaticMetric"] == 0  # a configured metric is not automatic
    assert wifi[AF_INET].row["Connected"] == 0
    assert set(row) == {"Family", "InterfaceLuid", "InterfaceIndex", *ROW_DEFAULTS}
    assert wifi[AF_INET].label == "wifi/IPv4" and eth0.interfaces[AF_INET6].label == "eth0/IPv6"


def test_find_uses_a_nonzero_luid_first_then_the_index_and_only_present_adapters() -> None:
    n, _ = nics(AdapterConfig("a"), AdapterConfig("b", families=(AF_INET6,), present=False))
    a, b = n.adapters["a"], n.adapters["b"]
    assert n.find(AF_INET, a.luid, 999) is a.interfaces[AF_INET]  # the index is ignored
    assert n.find(AF_INET, 0, a.index) is a.interfaces[AF_INET]
    assert n.find(AF_INET, b.luid, a.index) is None  # the LUID decides, even if absent
    assert n.find(AF_INET6, 0, b.index) is None
    assert n.present_index(b.index) is None and n.present_index(a.index) is a
    assert [i.label for i in n.interfaces()] == ["a/IPv4", "a/IPv6"]


def test_arrive_and_leave_notify_each_interface_ipv4_first() -> None:
    n, heard = nics(AdapterConfig("a", present=False))
    assert n.arrive("a") is None
    assert n.leave("a") is None
    assert heard == [
        ("a/IPv4", MibAddInstance),
        ("a/IPv6", MibAddInstance),
        ("a/IPv4", MibDeleteInstance),
        ("a/IPv6", MibDeleteInstance),
    ]
    assert [(c["what"], c["family"], c["changed"]) for c in changes(n)] == [
        ("arrive", "both", True),
        ("leave", "both", True),
    ]


def test_changes_that_do_not_apply_say_why_and_notify_nothing() -> None:
    n, heard = nics(AdapterConfig("a"), AdapterConfig("b", families=(AF_INET,), present=False))
    assert n.arrive("a") == "a is already present"
    assert n.leave("b") == "b is not present"
    assert n.set_member("b", "NlMtu", 9000, None) == "b is not present"
    n.arrive("b")
    heard.clear()
    assert n.set_member("b", "NlMtu", 9000, AF_INET6) == "b has no AF_INET6 interface"
    assert heard == []


def test_a_member_change_notifies_the_interfaces_it_changed() -> None:
    n, heard = nics(AdapterConfig("a"))
    assert n.set_member("a", "NlMtu", 9000, AF_INET) is None
    assert heard == [("a/IPv4", MibParameterNotification)]
    heard.clear()
    # Both families; IPv4 already has 9000: only IPv6 changes and is notified.
    assert n.set_member("a", "NlMtu", 9000, None) is None
    assert heard == [("a/IPv6", MibParameterNotification)]
    heard.clear()
    # Nothing changes: recorded, nothing notified.
    assert n.set_member("a", "NlMtu", 9000, None) is None
    assert heard == []
    assert [(c["what"], c["family"], c["value"], c["changed"]) for c in changes(n)] == [
        ("NlMtu", "AF_INET", 9000, True),
        ("NlMtu", "both", 9000, True),
        ("NlMtu", "both", 9000, False),
    ]


@pytest.mark.parametrize(("member", "value"), [("Connected", 0), ("Metric", 7), ("NlMtu", 1280)])
def test_link_metric_and_mtu_set_the_member_of_the_row(member: str, value: int) -> None:
    n, heard = nics(AdapterConfig("a"))
    n.set_member("a", member, value, None)
    rows = [i.row for i in n.adapters["a"].interfaces.values()]
    assert [r[member] for r in rows] == [value, value]
    assert len(heard) == 2
    if member == "Metric":  # a metric set by hand is no longer automatic
        assert [r["UseAutomaticMetric"] for r in rows] == [0, 0]
    else:
        assert [r["UseAutomaticMetric"] for r in rows] == [1, 1]
