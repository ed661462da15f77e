"""KeInitializeEvent, KeSetEvent, KeResetEvent, KeClearEvent, KeWaitForSingleObject."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import STATUS_SUCCESS, STATUS_TIMEOUT
from emu.win32.ntos_types import KEVENT, KIRQL, LARGE_INTEGER
from emu.win32.ntoskrnl.base import NotificationEvent, SynchronizationEvent
from tests.support import run_driver


def entry(body: Any) -> Any:
    def driver(kapi: Any) -> Any:
        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            yield from body(kapi)
            return STATUS_SUCCESS

        return DriverEntry

    return driver


def test_F5_28_event_types_and_F5_29_previous_states() -> None:
    log: list[Any] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        ev = KEVENT()
        yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
        log.append((yield from kapi.KeSetEvent(ev, 0, False)))
        log.append((yield from kapi.KeSetEvent(ev, 0, False)))
        log.append((yield from kapi.KeResetEvent(ev)))
        log.append((yield from kapi.KeResetEvent(ev)))
        log.append((yield from kapi.KeReadStateEvent(ev)))
        auto = KEVENT()
        yield from kapi.KeInitializeEvent(auto, SynchronizationEvent, True)
        log.append((yield from kapi.KeWaitForSingleObject(auto, 0, 0, False, LARGE_INTEGER())))
        log.append((yield from kapi.KeReadStateEvent(auto)))
        # EVENT_TYPE 2 does not exist (NtCreateEvent rejects it): recorded, nothing created.
        assert (NotificationEvent, SynchronizationEvent) == (0, 1)  # F5.28's EVENT_TYPE values
        yield from kapi.KeInitializeEvent(KEVENT(), 2, False)

    sim = run_driver(entry(body))
    assert log == [0, 1, 1, 0, 0, STATUS_SUCCESS, 0]
    assert [e.payload["rule"] for e in sim_violations(sim)] == ["win32.bad_argument"]


def sim_violations(sim: Any) -> list[Any]:
    return sim.events("violation")


def test_ke_wait_timeouts_are_relative_when_negative_absolute_when_positive() -> None:
    log: list[Any] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        ev = KEVENT()
        yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
        log.append(
            (yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, LARGE_INTEGER(QuadPart=-5000)))
        )
        log.append(kapi.k.now)
        log.append(
            (yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, LARGE_INTEGER(QuadPart=20_000)))
        )
        log.append(kapi.k.now)

    run_driver(entry(body))
    assert log == [STATUS_TIMEOUT, 5000, STATUS_TIMEOUT, 20_000]


def test_ke_set_event_wakes_a_kernel_waiter() -> None:
    log: list[Any] = []

    def driver(kapi: Any) -> Any:
        ev = KEVENT()

        def waiter_dpc(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            yield from kapi.KeSetEvent(ev, 0, False)

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            from emu.win32.ntos_types import KDPC

            yield from kapi.KeInitializeEvent(ev, SynchronizationEvent, False)
            dpc = KDPC()
            yield from kapi.KeInitializeDpc(dpc, waiter_dpc, None)
            yield from kapi.KeInsertQueueDpc(dpc, None, None)
            log.append((yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, None)))
            return STATUS_SUCCESS

        return DriverEntry

    run_driver(driver)
    assert log == [STATUS_SUCCESS]


def test_a_wait_at_dispatch_level_with_a_timeout_is_a_violation_performed_as_a_poll() -> None:
    log: list[Any] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        ev = KEVENT()
        yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
        old = KIRQL()
        yield from kapi.KeRaiseIrql(2, old)
        log.append((yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, None)))
        # "If *Timeout = 0, the routine returns without waiting": legal at DISPATCH_LEVEL.
        log.append((yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, LARGE_INTEGER())))
        yield from kapi.KeLowerIrql(old.value)

    sim = run_driver(entry(body))
    assert log == [STATUS_TIMEOUT, STATUS_TIMEOUT]
    assert [e.payload["rule"] for e in sim.events("violation")] == ["kernel.wait_at_dispatch"]


def test_ke_set_event_with_wait_true_needs_apc_level_or_below() -> None:
    def body(kapi: Any) -> Generator[Any, None, None]:
        ev = KEVENT()
        yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
        old = KIRQL()
        yield from kapi.KeRaiseIrql(2, old)
        yield from kapi.KeSetEvent(ev, 0, False)  # fine at DISPATCH_LEVEL
        yield from kapi.KeSetEvent(ev, 0, True)  # not fine
        yield from kapi.KeLowerIrql(old.value)

    sim = run_driver(entry(body))
    assert [e.payload["rule"] for e in sim.events("violation")] == ["kernel.irql_too_high"]
