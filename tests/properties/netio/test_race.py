"""Callbacks that overlap under profile netio-overlap (emu/properties/netio/race.py): a
callback that updates the program's state without a lock races with its twin; a lock both
hold exclusively, or an Interlocked update, does not."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

from emu.codes.winsock import AF_UNSPEC
from emu.properties.verdict import HELD, VIOLATED, verdict
from emu.win32 import CRITICAL_SECTION, LONG, SRWLOCK
from emu.win32.ntos_types import KIRQL, KSPIN_LOCK
from emu.win32.types import HANDLE
from tests.properties.netio.helpers import driver, events, ksleep, leave, messages, status, user

OVERLAP = "netio-overlap"
LEAVE = ((5, leave("eth0")),)  # two notifications at once: eth0/IPv4 and eth0/IPv6

Update = Callable[[Any, Any, Any], Generator[Any, None, None]]


def counter_app(update: Update, lock: Any = None) -> Any:
    """An application whose callback runs ``update(api, count, lock)`` and then waits 5 ms."""

    def program(api: Any) -> Generator[Any, None, None]:
        count = LONG()
        count.bind(api.k, "count")
        if isinstance(lock, CRITICAL_SECTION):
            yield from api.InitializeCriticalSection(lock)
        elif isinstance(lock, SRWLOCK):
            yield from api.InitializeSRWLock(lock)

        def on_change(context: Any, row: Any, kind: int) -> Generator[Any, None, None]:
            yield from update(api, count, lock)
            yield from api.Sleep(5)

        handle = HANDLE()
        assert (yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, 0, handle)) == 0
        yield from api.Sleep(30)
        assert (yield from api.CancelMibChangeNotify2(handle.value)) == 0

    return program


def plain(api: Any, count: Any, lock: Any) -> Generator[Any, None, None]:
    seen = count.value
    yield from api.Sleep(1)
    count.value = seen + 1


def in_section(api: Any, count: Any, lock: Any) -> Generator[Any, None, None]:
    yield from api.EnterCriticalSection(lock)
    yield from plain(api, count, lock)
    yield from api.LeaveCriticalSection(lock)


def shared(api: Any, count: Any, lock: Any) -> Generator[Any, None, None]:
    yield from api.AcquireSRWLockShared(lock)  # the bug: a reader's lock for a write
    yield from plain(api, count, lock)
    yield from api.ReleaseSRWLockShared(lock)


def interlocked(api: Any, count: Any, lock: Any) -> Generator[Any, None, None]:
    yield from api.InterlockedIncrement(count)


def test_an_unlocked_update_by_overlapping_callbacks_is_reported() -> None:
    sim = user(counter_app(plain), changes=LEAVE, profile=OVERLAP)
    found = status(sim, "netio.overlap_race")
    assert found.state == VIOLATED
    (message,) = messages(found)  # one finding per registration and field
    assert message.startswith(
        "the callbacks of registration 0x1C0A50 (AF_UNSPEC, user mode) for notifications #1 "
        "and #2 run at once and both use count.value (read by netio 0x1C0A50 worker 2 at #"
    )
    assert message.endswith(
        ", write by netio 0x1C0A50 worker 1) with no lock held by both: the callbacks are not "
        "serialized under this profile"
    )
    # The finding names the two overlapping callbacks, so a story shows where each began.
    trace = events(sim)
    related = found.findings[0].related
    assert sorted(trace[n][2] for n in related[1:]) == ["netio.callback", "netio.callback"]
    assert {trace[n][1] for n in related[1:]} == {
        e[1] for e in trace if e[2] == "netio.callback" and e[4][3] in (1, 2)
    }


@pytest.mark.parametrize(
    ("update", "lock"),
    [(in_section, CRITICAL_SECTION), (interlocked, None)],
    ids=["critical section", "interlocked"],
)
def test_a_locked_or_interlocked_update_holds(update: Update, lock: Any) -> None:
    sim = user(counter_app(update, lock() if lock else None), changes=LEAVE, profile=OVERLAP)
    found = status(sim, "netio.overlap_race")
    assert found.state == HELD, messages(found)


def test_a_shared_srw_lock_does_not_order_two_writers() -> None:
    sim = user(counter_app(shared, SRWLOCK()), changes=LEAVE, profile=OVERLAP)
    assert status(sim, "netio.overlap_race").state == VIOLATED


def test_overlap_race_applies_only_under_netio_overlap() -> None:
    sim = user(counter_app(plain), changes=LEAVE)
    assert verdict(events(sim)).status("netio.overlap_race") is None


def spin_monitor(locked: bool) -> Any:
    """A driver whose callback bumps a counter, under a spin lock or not, then waits."""

    def entry(kapi: Any, unload: list[Any]) -> Generator[Any, None, None]:
        count = LONG()
        count.bind(kapi.k, "count")
        lock = KSPIN_LOCK()
        yield from kapi.KeInitializeSpinLock(lock)

        def on_change(context: Any, row: Any, kind: int) -> Generator[Any, None, None]:
            old = KIRQL()
            if locked:
                yield from kapi.KeAcquireSpinLock(lock, old)
            count.value = count.value + 1
            if locked:
                yield from kapi.KeReleaseSpinLock(lock, old.value)
            yield from ksleep(kapi, 5)

        handle = HANDLE()
        assert (yield from kapi.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, 0, handle)) == 0
        yield from ksleep(kapi, 30)
        assert (yield from kapi.CancelMibChangeNotify2(handle.value)) == 0

    return entry


@pytest.mark.parametrize(("locked", "state"), [(False, VIOLATED), (True, HELD)])
def test_a_spin_lock_orders_a_drivers_callbacks(locked: bool, state: str) -> None:
    sim = driver(spin_monitor(locked), changes=LEAVE, profile=OVERLAP)
    found = status(sim, "netio.overlap_race")
    assert found.state == state, messages(found)
