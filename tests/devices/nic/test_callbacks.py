"""The threads NETIO callbacks run on (emu/devices/nic/callbacks.py): a worker thread, never
the registering one; serialized per registration ("The invocation of the callback function
... is serialized") except under ``netio-overlap`` (F3.8); PASSIVE_LEVEL, or DISPATCH_LEVEL for
drivers under ``netio-dispatch``; the row valid only during the callback (F3.10)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

import pytest

from emu.codes.winsock import AF_INET, AF_UNSPEC
from emu.devices.nic import MIB_IPINTERFACE_ROW
from emu.devices.nic.callbacks import STALL_TICKS, NotifyWorker
from emu.kernel.chooser import RandomChooser
from emu.kernel.irql import DISPATCH_LEVEL, PASSIVE_LEVEL
from emu.kernel.time import TICKS_PER_MS
from emu.win32.ntos_types import KIRQL
from emu.win32.types import HANDLE
from tests.support import Sim
from tests.win32.netio.helpers import (
    MODES,
    arrive,
    is_kernel,
    leave,
    set_member,
    sim_in,
    sleep,
    user_sim,
)

BURST: Final = [
    (1, leave("eth0")),
    (1, arrive("later")),
    (1, set_member("v4only", "NlMtu", 9000)),
    (1, set_member("later", "Metric", 5)),
    (2, set_member("later", "Connected", 0)),
    (2, arrive("eth0")),
]
"""Eleven notifications for an AF_UNSPEC registration, most of them at one instant."""


def in_flight(sim: Sim) -> dict[int, int]:
    """The most callbacks of each registration (object id) in flight at once, from the trace."""
    running: dict[int, int] = {}
    most: dict[int, int] = {}
    for e in sim.events():
        if e.kind == "netio.callback":
            reg = e.object_ids[0]
            running[reg] = running.get(reg, 0) + 1
            most[reg] = max(most.get(reg, 0), running[reg])
        elif e.kind == "netio.return":
            running[e.object_ids[0]] -= 1
    return most


def busy_monitor(
    registrations: int = 1, *, hold_ms: int = 1, ms: int = 40, initial: bool = False
) -> Any:
    """Registers ``registrations`` times for AF_UNSPEC; each callback waits ``hold_ms``."""

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            yield from sleep(api, hold_ms)

        cells = [HANDLE() for _ in range(registrations)]
        for cell in cells:
            yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, initial, cell)
        yield from sleep(api, ms)
        for cell in cells:
            yield from api.CancelMibChangeNotify2(cell.value)

    return body


@pytest.mark.parametrize("mode", MODES)
def test_callbacks_run_on_a_worker_never_on_the_registering_thread(mode: str) -> None:
    # F3.9: "IP Helper invokes every callback ... on arbitrary OS threads".
    contexts: list[Any] = []
    registering: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            contexts.append(api.k.current)

        registering.append(api.k.current)
        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, True, cell)
        yield from sleep(api, 5)
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = sim_in(mode, body, world=[(1, leave("eth0"))])
    assert len(contexts) == 3
    assert all(isinstance(c, NotifyWorker) and c.SYSTEM for c in contexts)
    assert all(c is not registering[0] for c in contexts)
    assert len({id(c) for c in contexts}) == 1  # the registration's one worker
    worker = contexts[0]
    assert worker.name.startswith("netio 0x") and worker.name.endswith("worker 1")
    assert {e.actor_id for e in sim.events("netio.callback")} == {worker.oid}


def test_callbacks_keep_coming_after_the_registering_thread_exited() -> None:
    # Registrations last until CancelMibChangeNotify2 (F3.13); the thread needs no wait.
    heard: list[int] = []

    def registrant(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            heard.append(NotificationType)

        yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, False, HANDLE())

    sim = user_sim(registrant, world=[(3, leave("v4only"))])
    assert sim.threads["main"].terminated
    assert len(heard) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", range(12))
def test_callbacks_of_one_registration_never_overlap(mode: str, seed: int) -> None:
    # Four processors, a random schedule, two registrations, callbacks that wait: two
    # callbacks of one registration are never in flight together.
    initial = seed % 2 == 0
    sim = sim_in(
        mode,
        busy_monitor(2, hold_ms=1, initial=initial),
        processors=4,
        chooser=RandomChooser(seed),
        world=BURST,
    )
    most = in_flight(sim)
    assert len(most) == 2 and set(most.values()) == {1}
    # Every notification was delivered; without an initial notification (which holds the
    # registering thread for a while) both registrations see all eleven.
    queued = len(sim.events("netio.queue"))
    assert len(sim.events("netio.callback")) == queued
    assert queued >= 2 if initial else queued == 2 * 11


def test_callbacks_of_two_registrations_do_run_side_by_side() -> None:
    # Serialization is per registration: the other registration's worker is not held up.
    sim = user_sim(busy_monitor(2, hold_ms=3), processors=2, world=BURST)
    started = {}
    for e in sim.events():
        if e.kind == "netio.callback":
            started[e.object_ids[0]] = e.time
        elif e.kind == "netio.return" and len(started) == 2:
            break
    assert len(set(started.values())) == 1  # both registrations' callbacks began together


@pytest.mark.parametrize("mode", MODES)
def test_under_netio_overlap_two_callbacks_of_one_registration_overlap(mode: str) -> None:
    # F3.8: "MSDN says that calls to the NotifyIpInterfaceChange() callback are serialized, but
    # that's not accurate."
    overlapped = 0
    for seed in range(6):
        sim = sim_in(
            mode,
            busy_monitor(1, hold_ms=1),
            processors=2,
            chooser=RandomChooser(seed),
            world=BURST,
            profile="netio-overlap",
        )
        (most,) = in_flight(sim).values()
        assert most <= 2  # two workers
        overlapped += most == 2
        workers = {e.actor_id for e in sim.events("netio.callback")}
        assert len(workers) == 2
    assert overlapped >= 1


@pytest.mark.parametrize(
    ("mode", "profile", "irql"),
    [
        ("kernel", "default", PASSIVE_LEVEL),
        ("kernel", "netio-dispatch", DISPATCH_LEVEL),
        ("user", "default", PASSIVE_LEVEL),
        ("user", "netio-dispatch", PASSIVE_LEVEL),  # the profile is for drivers only
        ("kernel", "netio-overlap", PASSIVE_LEVEL),
    ],
)
def test_the_callbacks_irql(mode: str, profile: str, irql: int) -> None:
    levels: list[int] = []

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            if is_kernel(api):
                levels.append((yield from api.KeGetCurrentIrql()))
            else:
                levels.append(api.k.current.irql)

        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, True, cell)
        yield from sleep(api, 5)
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = sim_in(mode, body, profile=profile, world=[(1, leave("v4only"))])
    assert levels == [irql, irql]
    assert sim.violations() == []
    workers = [a for a in sim.k.actors if isinstance(a, NotifyWorker)]
    assert all(w.irql == PASSIVE_LEVEL for w in workers)  # lowered again after each callback


def test_under_netio_dispatch_a_wait_or_a_passive_call_in_the_callback_is_a_bug() -> None:
    def body(kapi: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            yield from sleep(kapi, 1)  # KeWaitForSingleObject with a timeout
            yield from kapi.GetIpInterfaceEntry(MIB_IPINTERFACE_ROW(Family=AF_INET))

        cell = HANDLE()
        yield from kapi.NotifyIpInterfaceChange(AF_INET, on_change, None, True, cell)
        yield from kapi.CancelMibChangeNotify2(cell.value)

    default = sim_in("kernel", body)
    assert default.violations() == []
    dispatch = sim_in("kernel", body, profile="netio-dispatch")
    assert dispatch.violations() == ["kernel.wait_at_dispatch", "kernel.irql_too_high"]


def test_a_callback_that_returns_at_another_irql_leaks_it() -> None:
    levels: list[int] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            levels.append((yield from kapi.KeGetCurrentIrql()))
            yield from kapi.KeRaiseIrql(DISPATCH_LEVEL, KIRQL())

        cell = HANDLE()
        yield from kapi.NotifyIpInterfaceChange(AF_INET, on_change, None, True, cell)
        yield from sleep(kapi, 5)
        yield from kapi.CancelMibChangeNotify2(cell.value)

    sim = sim_in("kernel", body, world=[(1, leave("v4only"))])
    assert sim.violations() == ["kernel.irql_leak", "kernel.irql_leak"]
    assert levels == [PASSIVE_LEVEL, PASSIVE_LEVEL]  # the next callback starts at its level


@pytest.mark.parametrize("mode", MODES)
def test_the_row_lives_only_during_the_callback(mode: str) -> None:
    # F3.10: the row is the system's memory; after the callback returns, a read is a use after
    # free (mem.stale).
    kept: list[Any] = []
    seen: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            kept.append(Row)
            seen.append(Row.InterfaceIndex)

        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, False, cell)
        yield from sleep(api, 5)
        seen.append(kept[0].InterfaceIndex)  # after the callback returned
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = sim_in(mode, body, world=[(1, leave("v4only"))])
    assert seen == [12, 12]  # the memory still reads, as a dangling pointer's would
    row_oid = sim.events("netio.callback")[0].object_ids[1]
    (end,) = [e for e in sim.events("mem.end") if e.object_ids == (row_oid,)]
    assert end.payload["reason"] == "its callback returned"
    returned = sim.events("netio.return")[0]
    assert end.seq < returned.seq
    (stale,) = sim.events("mem.stale")
    assert stale.object_ids == (row_oid,) and stale.seq > returned.seq
    assert (stale.payload["field"], stale.payload["access"]) == ("InterfaceIndex", "read")
    reads_in_callback = [
        e for e in sim.events("mem.read") if e.object_ids == (row_oid,) and e.seq < end.seq
    ]
    assert len(reads_in_callback) == 1  # the read inside the callback is not stale


def test_the_row_carries_the_identity_only() -> None:
    # F3.10: "only enough information that an application can call the GetIpInterfaceEntry".
    rows: list[dict[str, Any]] = []

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            rows.append({name: Row.peek(name) for name in MIB_IPINTERFACE_ROW._fields_})

        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, False, cell)
        yield from api.Sleep(5)
        yield from api.CancelMibChangeNotify2(cell.value)

    user_sim(body, world=[(1, set_member("v4only", "NlMtu", 9000))])
    (row,) = rows
    assert (row["Family"], row["InterfaceIndex"]) == (AF_INET, 12) and row["InterfaceLuid"]
    identity = ("Family", "InterfaceLuid", "InterfaceIndex")
    assert {v for k, v in row.items() if k not in identity} == {
        0
    }  # NlMtu is not 9000 here: re-read the entry


@pytest.mark.parametrize(("hold_ms", "stalls"), [(100, False), (101, True)])
def test_a_callback_holding_its_worker_too_long_is_a_stall(hold_ms: int, stalls: bool) -> None:
    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            yield from api.Sleep(hold_ms)

        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, True, cell)
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = user_sim(body)
    assert STALL_TICKS == 100 * TICKS_PER_MS
    assert sim.violations() == (["netio.callback_stall"] if stalls else [])
    assert sim.events("netio.return")[0].payload["ticks"] == hold_ms * TICKS_PER_MS


def test_the_callback_receives_its_caller_context() -> None:
    contexts: list[Any] = []
    marker = object()

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            contexts.append(CallerContext)

        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, on_change, marker, True, cell)
        yield from api.CancelMibChangeNotify2(cell.value)

    user_sim(body)
    assert contexts == [marker]
