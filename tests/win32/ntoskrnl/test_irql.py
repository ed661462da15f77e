"""KeGetCurrentIrql, KeRaiseIrql, KeLowerIrql and the spin-lock routines."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import STATUS_SUCCESS
from emu.kernel.chooser import RandomChooser
from emu.win32.ntos_types import KIRQL, KSPIN_LOCK
from tests.support import run_driver
from tests.win32.ntoskrnl.test_events import entry


def rules(sim: Any) -> list[str]:
    return [e.payload["rule"] for e in sim.events("violation")]


def test_raise_and_lower_irql() -> None:
    log: list[Any] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        log.append((yield from kapi.KeGetCurrentIrql()))
        old = KIRQL()
        yield from kapi.KeRaiseIrql(2, old)
        log.append((old.value, (yield from kapi.KeGetCurrentIrql())))
        yield from kapi.KeLowerIrql(old.value)
        log.append((yield from kapi.KeGetCurrentIrql()))

    sim = run_driver(entry(body))
    assert log == [0, (0, 2), 0]
    assert rules(sim) == []


def test_raising_to_a_lower_level_or_lowering_to_a_higher_one_is_a_bug_check() -> None:
    def body(kapi: Any) -> Generator[Any, None, None]:
        old = KIRQL()
        yield from kapi.KeRaiseIrql(2, old)
        yield from kapi.KeRaiseIrql(1, KIRQL())  # IRQL_NOT_GREATER_OR_EQUAL
        yield from kapi.KeLowerIrql(2)  # from 1 to 2: IRQL_NOT_LESS_OR_EQUAL
        yield from kapi.KeLowerIrql(0)

    sim = run_driver(entry(body))
    assert rules(sim) == ["kernel.irql_raise_lower", "kernel.irql_lower_raise"]


def test_a_spin_lock_raises_to_dispatch_and_restores_the_old_irql() -> None:
    log: list[Any] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        lock = KSPIN_LOCK()
        yield from kapi.KeInitializeSpinLock(lock)
        old = KIRQL()
        yield from kapi.KeAcquireSpinLock(lock, old)
        log.append((old.value, (yield from kapi.KeGetCurrentIrql())))
        yield from kapi.KeReleaseSpinLock(lock, old.value)
        log.append((yield from kapi.KeGetCurrentIrql()))

    sim = run_driver(entry(body))
    assert log == [(0, 2), 0]
    assert rules(sim) == []


def test_releasing_a_spin_lock_not_held_and_recursive_acquisition_are_recorded() -> None:
    def body(kapi: Any) -> Generator[Any, None, None]:
        lock = KSPIN_LOCK()
        yield from kapi.KeInitializeSpinLock(lock)
        yield from kapi.KeReleaseSpinLock(lock, 0)
        old = KIRQL()
        yield from kapi.KeAcquireSpinLock(lock, old)
        yield from kapi.KeAcquireSpinLock(lock, KIRQL())  # spins forever

    sim = run_driver(entry(body))
    assert rules(sim) == ["kernel.spinlock_not_held", "kernel.spinlock_recursive"]
    assert sim.reason == "quiescent"


def test_contexts_spinning_on_a_lock_get_it_one_at_a_time() -> None:
    order: list[str] = []

    def driver(kapi: Any) -> Any:
        lock = KSPIN_LOCK()

        def holder(name: str) -> Any:
            def routine(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
                yield from kapi.KeAcquireSpinLockAtDpcLevel(lock)
                order.append(f"{name} in")
                order.append(f"{name} out")
                yield from kapi.KeReleaseSpinLockFromDpcLevel(lock)

            return routine

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            from emu.win32.ntos_types import KDPC

            yield from kapi.KeInitializeSpinLock(lock)
            for index, name in enumerate(("a", "b")):
                dpc = KDPC()
                yield from kapi.KeInitializeDpc(dpc, holder(name), None)
                yield from kapi.KeSetTargetProcessorDpc(dpc, index)
                yield from kapi.KeInsertQueueDpc(dpc, None, None)
            return STATUS_SUCCESS

        return DriverEntry

    for seed in range(10):
        order.clear()
        sim = run_driver(driver, processors=2, chooser=RandomChooser(seed))
        assert rules(sim) == []
        # Never interleaved inside the lock.
        assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


def test_the_at_dpc_level_forms_require_dispatch_level() -> None:
    def body(kapi: Any) -> Generator[Any, None, None]:
        lock = KSPIN_LOCK()
        yield from kapi.KeInitializeSpinLock(lock)
        yield from kapi.KeAcquireSpinLockAtDpcLevel(lock)  # at PASSIVE_LEVEL
        yield from kapi.KeReleaseSpinLockFromDpcLevel(lock)

    assert rules(run_driver(entry(body))) == ["kernel.irql_too_low", "kernel.irql_too_low"]


def test_lowering_the_irql_while_holding_a_spin_lock_is_recorded_and_refused() -> None:
    log: list[Any] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        lock, other = KSPIN_LOCK(), KSPIN_LOCK()
        yield from kapi.KeInitializeSpinLock(lock)
        yield from kapi.KeInitializeSpinLock(other)
        old, old2 = KIRQL(), KIRQL()
        yield from kapi.KeAcquireSpinLock(lock, old)
        yield from kapi.KeLowerIrql(0)
        log.append((yield from kapi.KeGetCurrentIrql()))
        yield from kapi.KeAcquireSpinLock(other, old2)
        # Released out of order: restoring PASSIVE_LEVEL while `other` is still held.
        yield from kapi.KeReleaseSpinLock(lock, old.value)
        log.append((yield from kapi.KeGetCurrentIrql()))
        yield from kapi.KeReleaseSpinLock(other, old.value)
        log.append((yield from kapi.KeGetCurrentIrql()))

    sim = run_driver(entry(body))
    assert rules(sim) == ["kernel.irql_below_base", "kernel.irql_below_base"]
    assert log == [2, 2, 0]


def test_release_spin_lock_new_irql_is_a_kirql_not_above_the_current_level() -> None:
    def body(kapi: Any) -> Generator[Any, None, None]:
        lock = KSPIN_LOCK()
        yield from kapi.KeInitializeSpinLock(lock)
        old = KIRQL()
        yield from kapi.KeAcquireSpinLock(lock, old)
        yield from kapi.KeReleaseSpinLock(lock, "PASSIVE")  # not a KIRQL: refused, still held
        yield from kapi.KeReleaseSpinLock(lock, 99)
        yield from kapi.KeReleaseSpinLock(lock, 5)  # above DISPATCH_LEVEL
        yield from kapi.KeLowerIrql(old.value)

    sim = run_driver(entry(body))
    assert rules(sim) == ["win32.bad_argument", "win32.bad_argument", "kernel.irql_lower_raise"]


def test_exiting_at_raised_irql_or_holding_a_spin_lock_is_recorded() -> None:
    def body(kapi: Any) -> Generator[Any, None, None]:
        lock = KSPIN_LOCK()
        yield from kapi.KeInitializeSpinLock(lock)
        yield from kapi.KeAcquireSpinLock(lock, KIRQL())

    assert rules(run_driver(entry(body))) == ["kernel.irql_leak", "kernel.lock_orphaned"]


def test_a_context_spinning_at_the_end_is_reported_blocked() -> None:
    def driver(kapi: Any) -> Any:
        from emu.win32.ntos_types import KDPC

        lock = KSPIN_LOCK()

        def keeps(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            yield from kapi.KeAcquireSpinLockAtDpcLevel(lock)  # returns holding it

        def spins(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            yield from kapi.KeAcquireSpinLockAtDpcLevel(lock)

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            yield from kapi.KeInitializeSpinLock(lock)
            for index, routine in enumerate((keeps, spins)):
                dpc = KDPC()
                yield from kapi.KeInitializeDpc(dpc, routine, None)
                yield from kapi.KeSetTargetProcessorDpc(dpc, index)
                yield from kapi.KeInsertQueueDpc(dpc, None, None)
            return STATUS_SUCCESS

        return DriverEntry

    sim = run_driver(driver, processors=2)
    assert rules(sim) == ["kernel.lock_orphaned"]
    blocked = sim.events("actor.blocked")
    assert [(e.payload["state"], e.objects[0]) for e in blocked] == [("SPINNING", "cpu1")]
    assert sim.reason == "quiescent"
