"""NotifyIpInterfaceChange's registrations (emu/devices/nic/registrations.py): which callbacks
a change gives, the initial notification, and CancelMibChangeNotify2's barrier.

Each test runs the rule in both modes (a driver and an application share the device) where
the rule does not depend on the mode.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

import pytest

from emu.codes.netio import (
    MibAddInstance,
    MibDeleteInstance,
    MibInitialNotification,
    MibParameterNotification,
)
from emu.codes.winsock import AF_INET, AF_INET6, AF_UNSPEC
from emu.devices.nic import AdapterConfig, netio_of
from emu.win32.types import HANDLE
from tests.win32.netio.helpers import (
    MODES,
    arrive,
    leave,
    payloads,
    set_member,
    sim_in,
    sleep,
    user_sim,
)

Heard = list[tuple[int, Any]]
"""(NotificationType, (Family, InterfaceLuid, InterfaceIndex) or None) per callback."""


def recorder(heard: Heard) -> Any:
    def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
        if Row is None:
            heard.append((NotificationType, None))
        else:
            heard.append((NotificationType, (Row.Family, Row.InterfaceLuid, Row.InterfaceIndex)))

    return on_change


def monitor(family: int, heard: Heard, *, initial: bool = False, ms: int = 20) -> Any:
    """A program that registers, lets ``ms`` of the timeline pass, and cancels."""

    def body(api: Any) -> Generator[Any, None, None]:
        cell = HANDLE()
        result = yield from api.NotifyIpInterfaceChange(
            family, recorder(heard), None, initial, cell
        )
        assert result == 0
        yield from sleep(api, ms)
        assert (yield from api.CancelMibChangeNotify2(cell.value)) == 0

    return body


def identity(sim: Any, adapter: str, family: int) -> tuple[int, int, int]:
    a = netio_of(sim.k).nics.adapters[adapter]
    return (family, a.luid, a.index)


ADAPTER_EVENTS: Final = [
    pytest.param([(1, arrive("later"))], "later", MibAddInstance, id="arrive"),
    pytest.param([(1, leave("eth0"))], "eth0", MibDeleteInstance, id="leave"),
    pytest.param(
        [(1, set_member("eth0", "Connected", 0))], "eth0", MibParameterNotification, id="link"
    ),
    pytest.param(
        [(1, set_member("eth0", "NlMtu", 9000))], "eth0", MibParameterNotification, id="mtu"
    ),
    pytest.param(
        [(1, set_member("eth0", "Metric", 3))], "eth0", MibParameterNotification, id="metric"
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("world", "adapter", "type_"), ADAPTER_EVENTS)
def test_af_unspec_gets_one_callback_per_familys_row(
    mode: str, world: Any, adapter: str, type_: int
) -> None:
    # "AF_UNSPEC ... for both IPv4 and IPv6 changes": one adapter event, two callbacks.
    heard: Heard = []
    sim = sim_in(mode, monitor(AF_UNSPEC, heard), world=world)
    assert heard == [
        (type_, identity(sim, adapter, AF_INET)),
        (type_, identity(sim, adapter, AF_INET6)),
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", [AF_INET, AF_INET6])
@pytest.mark.parametrize(("world", "adapter", "type_"), ADAPTER_EVENTS)
def test_a_single_family_gets_only_its_own_rows(
    mode: str, family: int, world: Any, adapter: str, type_: int
) -> None:
    # "AF_INET ... only for IPv4 change notifications", AF_INET6 only IPv6.
    heard: Heard = []
    sim = sim_in(mode, monitor(family, heard), world=world)
    assert heard == [(type_, identity(sim, adapter, family))]


def test_an_ipv4_only_adapter_gives_an_ipv6_registration_nothing() -> None:
    heard6: Heard = []
    heard4: Heard = []
    world = [(1, leave("v4only")), (2, arrive("v4only"))]
    sim = user_sim(
        {"six": monitor(AF_INET6, heard6), "four": monitor(AF_INET, heard4)}, world=world
    )
    assert heard6 == []
    assert heard4 == [
        (MibDeleteInstance, identity(sim, "v4only", AF_INET)),
        (MibAddInstance, identity(sim, "v4only", AF_INET)),
    ]


def test_a_change_of_one_family_notifies_that_familys_registrations_only() -> None:
    heard: dict[str, Heard] = {"unspec": [], "four": [], "six": []}
    world = [(1, set_member("eth0", "NlMtu", 1400, AF_INET6))]
    user_sim(
        {
            "unspec": monitor(AF_UNSPEC, heard["unspec"]),
            "four": monitor(AF_INET, heard["four"]),
            "six": monitor(AF_INET6, heard["six"]),
        },
        world=world,
    )
    assert [len(h) for h in heard.values()] == [1, 0, 1]
    assert heard["unspec"][0][1][0] == AF_INET6


def test_nothing_is_coalesced_and_order_is_kept() -> None:
    # Two changes at one instant and a third later: three notifications per family, in order.
    heard: Heard = []
    world = [
        (1, set_member("eth0", "NlMtu", 9000, AF_INET)),
        (1, set_member("eth0", "NlMtu", 1500, AF_INET)),
        (2, leave("eth0")),
    ]
    user_sim(monitor(AF_INET, heard), world=world)
    assert [t for t, _ in heard] == [
        MibParameterNotification,
        MibParameterNotification,
        MibDeleteInstance,
    ]


def test_an_unchanged_value_notifies_nobody() -> None:
    heard: Heard = []
    user_sim(monitor(AF_UNSPEC, heard), world=[(1, set_member("eth0", "NlMtu", 1500))])
    assert heard == []


def test_each_registration_gets_its_own_notification_in_registration_order() -> None:
    heard: Heard = []

    def body(api: Any) -> Generator[Any, None, None]:
        cells = [HANDLE(), HANDLE()]
        for n, cell in enumerate(cells):
            cb = recorder(heard)
            yield from api.NotifyIpInterfaceChange(AF_INET, cb, n, False, cell)
        yield from api.Sleep(5)
        for cell in cells:
            yield from api.CancelMibChangeNotify2(cell.value)

    sim = user_sim(body, world=[(1, leave("v4only"))])
    queued = payloads(sim, "netio.queue")
    handles = [p["handle"] for p in payloads(sim, "netio.register")]
    assert [p["handle"] for p in queued] == handles
    assert len(heard) == 2
    cause = sim.events("nic.change")[0].seq
    assert [e.cause for e in sim.events("netio.queue")] == [cause, cause]


# -- the initial notification ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", [AF_UNSPEC, AF_INET, AF_INET6])
def test_initial_notification_true_gives_exactly_one_null_row_callback_first(
    mode: str, family: int
) -> None:
    # "This parameter is a NULL pointer when the MIB_NOTIFICATION_TYPE value ... is set to
    # MibInitialNotification. This can only occur if the InitialNotification parameter ... was
    # set to TRUE" (F3.7).
    heard: Heard = []
    world = [(1, arrive("later")), (2, set_member("later", "Connected", 0)), (3, leave("later"))]
    sim_in(mode, monitor(family, heard, initial=True), world=world)
    per_family = 2 if family == AF_UNSPEC else 1
    assert heard[0] == (MibInitialNotification, None)
    assert len(heard) == 1 + 3 * per_family
    assert all(row is not None and t != MibInitialNotification for t, row in heard[1:])


@pytest.mark.parametrize("mode", MODES)
def test_initial_notification_false_gives_no_initial_and_no_null_row(mode: str) -> None:
    heard: Heard = []
    world = [(1, arrive("later")), (3, leave("later"))]
    sim = sim_in(mode, monitor(AF_UNSPEC, heard, initial=False), world=world)
    assert len(heard) == 4
    assert all(row is not None and t != MibInitialNotification for t, row in heard)
    assert all(len(e.object_ids) == 2 for e in sim.events("netio.callback"))  # a row each


def test_the_initial_notification_is_queued_by_the_registration_with_no_interface() -> None:
    sim = user_sim(monitor(AF_INET, [], initial=True, ms=1))
    (queue,) = sim.events("netio.queue")
    (register,) = sim.events("netio.register")
    assert queue.cause == register.seq
    assert (queue.payload["type"], queue.payload["interface"]) == (
        "MibInitialNotification",
        "(none)",
    )
    (callback,) = sim.events("netio.callback")
    assert callback.object_ids == register.object_ids[:1]  # no row object
    assert callback.cause == queue.seq


# -- cancellation ------------------------------------------------------------------------------


def slow_monitor(log: list[Any], *, cancel_at_ms: int, hold_ms: int) -> Any:
    """Registers for AF_UNSPEC; each callback holds its worker ``hold_ms``; another thread
    cancels at ``cancel_at_ms``."""
    cells: list[HANDLE] = []

    def registrant(api: Any) -> Generator[Any, None, None]:
        cell = HANDLE()
        cells.append(cell)

        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            log.append(("start", api.k.now))
            yield from api.Sleep(hold_ms)
            log.append(("end", api.k.now))

        yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, False, cell)

    def canceller(api: Any) -> Generator[Any, None, None]:
        yield from api.Sleep(cancel_at_ms)
        log.append(("cancel", api.k.now))
        log.append(("cancelled", (yield from api.CancelMibChangeNotify2(cells[0].value))))
        log.append(("returned", api.k.now))
        yield from api.Sleep(50)  # nothing of the handle may run after the cancel returned

    return {"registrant": registrant, "canceller": canceller}


def test_cancel_waits_for_the_callback_in_flight_and_drops_the_queued_ones() -> None:
    # "Blocks until all callback have returned" (netioapi.h); "after it returns, the callback
    # will NEVER be called" (F3.11).
    log: list[Any] = []
    world = [(1, leave("eth0")), (1, arrive("later"))]  # four notifications at 1 ms
    sim = user_sim(slow_monitor(log, cancel_at_ms=2, hold_ms=10), world=world)
    ms = 10_000
    assert log == [
        ("start", 1 * ms),
        ("cancel", 2 * ms),
        ("end", 11 * ms),
        ("cancelled", 0),
        ("returned", 11 * ms),
    ]
    drops = payloads(sim, "netio.drop")
    assert [(d["interface"], d["reason"]) for d in drops] == [
        ("eth0/IPv6", "cancelled"),
        ("later/IPv4", "cancelled"),
        ("later/IPv6", "cancelled"),
    ]
    (cancel,) = sim.events("netio.cancel")
    assert (cancel.payload["dropped"], cancel.payload["waited"]) == (3, 9 * ms)
    returned = sim.events("netio.return")[-1]
    assert returned.seq < cancel.seq
    assert all(e.seq < cancel.seq for e in sim.events("netio.callback"))
    # Every queued notification was delivered or dropped (nothing lost silently).
    queued = {p["item"] for p in payloads(sim, "netio.queue")}
    called = {p["item"] for p in payloads(sim, "netio.callback")}
    dropped = {p["item"] for p in drops}
    assert called | dropped == queued and not called & dropped
    # The drops name the notification they drop as their cause.
    queue_seq = {p.seq: p.payload["item"] for p in sim.events("netio.queue")}
    assert [queue_seq[e.cause] for e in sim.events("netio.drop")] == [d["item"] for d in drops]


def test_cancel_with_nothing_running_returns_at_once() -> None:
    log: list[Any] = []
    world = [(1, leave("eth0"))]
    sim = user_sim(slow_monitor(log, cancel_at_ms=5, hold_ms=1), world=world)
    assert ("cancelled", 0) in log
    (cancel,) = sim.events("netio.cancel")
    assert (cancel.payload["dropped"], cancel.payload["waited"]) == (0, 0)


def test_no_callback_runs_for_a_change_after_the_cancel() -> None:
    log: list[Any] = []
    world = [(1, leave("eth0")), (30, arrive("eth0"))]
    sim = user_sim(slow_monitor(log, cancel_at_ms=10, hold_ms=1), world=world)
    assert [entry for entry in log if entry[0] == "start"] == [("start", 10_000), ("start", 20_000)]
    # The arrival at 30 ms concerns no registration: nothing queued for it.
    assert len(sim.events("netio.queue")) == 2


@pytest.mark.parametrize("mode", MODES)
def test_cancel_from_inside_the_callback_is_reported_and_deadlocks(mode: str) -> None:
    # "An application cannot make a call to the CancelMibChangeNotify2 function from the
    # context of the thread which is currently executing the notification callback function
    # for the same NotificationHandle ... Otherwise, the thread executing that callback will
    # result in deadlock."
    cells: list[HANDLE] = []
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            log.append("in callback")
            log.append((yield from api.CancelMibChangeNotify2(cells[0].value)))

        cell = HANDLE()
        cells.append(cell)
        yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, False, cell)
        yield from sleep(api, 5)

    sim = sim_in(mode, body, world=[(1, leave("v4only"))])
    assert log == ["in callback"]  # the cancel never returns
    assert sim.violations() == ["netio.cancel_in_callback"]
    assert sim.events("netio.return") == [] and sim.events("netio.cancel") == []
    (blocked,) = sim.events("actor.blocked")
    assert blocked.objects[0].endswith("worker 1")  # waiting for its own registration


def test_cancel_of_another_registration_from_a_callback_is_allowed() -> None:
    cells: list[HANDLE] = []
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            log.append((yield from api.CancelMibChangeNotify2(cells[1].value)))

        first, second = HANDLE(), HANDLE()
        cells.extend([first, second])
        yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, False, first)
        yield from api.NotifyIpInterfaceChange(AF_INET, recorder([]), None, False, second)
        yield from api.Sleep(5)
        yield from api.CancelMibChangeNotify2(first.value)

    sim = user_sim(body, world=[(1, leave("v4only"))])
    assert log == [0]
    assert sim.violations() == []
    assert sim.reason == "all threads done"


def test_a_cancelled_registrations_workers_exit() -> None:
    sim = user_sim(monitor(AF_UNSPEC, [], ms=1), profile="netio-overlap")
    workers = [a for a in sim.k.actors if a.name.startswith("netio ")]
    assert len(workers) == 2 and all(w.terminated for w in workers)


def test_a_registration_left_at_the_end_keeps_its_idle_worker_unreported() -> None:
    def body(api: Any) -> Generator[Any, None, None]:
        yield from api.NotifyIpInterfaceChange(AF_INET, recorder([]), None, False, HANDLE())

    sim = user_sim(body, adapters=(AdapterConfig("eth0"),))
    assert sim.reason == "all threads done"
    assert sim.events("actor.blocked") == []


def test_notifications_still_queued_at_the_end_are_reported() -> None:
    # Nothing lost silently: a callback that never returns holds the worker; what was queued
    # behind it is reported as netio.pending when the run ends.
    def body(api: Any) -> Generator[Any, None, None]:
        never = yield from api.CreateEventW(None, True, False, None)

        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            yield from api.WaitForSingleObject(never, 0xFFFFFFFF)

        yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, False, HANDLE())

    sim = user_sim(body, world=[(1, leave("eth0")), (2, arrive("later"))])
    pending = payloads(sim, "netio.pending")
    assert [(p["type"], p["interface"]) for p in pending] == [
        ("MibDeleteInstance", "eth0/IPv6"),
        ("MibAddInstance", "later/IPv4"),
        ("MibAddInstance", "later/IPv6"),
    ]
    queue_items = {e.seq: e.payload["item"] for e in sim.events("netio.queue")}
    assert [queue_items[e.cause] for e in sim.events("netio.pending")] == [
        p["item"] for p in pending
    ]
    (blocked,) = sim.events("actor.blocked")
    assert blocked.objects[0].endswith("worker 1")


def test_nothing_is_pending_when_every_notification_was_delivered() -> None:
    sim = user_sim(monitor(AF_UNSPEC, [], ms=5), world=[(1, leave("eth0"))])
    assert sim.events("netio.pending") == [] and len(sim.events("netio.callback")) == 2
