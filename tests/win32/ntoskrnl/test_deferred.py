"""DPCs and work items through ntoskrnl."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import STATUS_SUCCESS
from emu.kernel.chooser import ChoicePoint
from emu.kernel.time import TICKS_PER_MS
from emu.win32.ntos_types import KDPC, KEVENT, KIRQL, LARGE_INTEGER, WORK_QUEUE_ITEM
from emu.win32.ntoskrnl.base import DelayedWorkQueue, NotificationEvent
from tests.kernel.test_dispatcher import Recording
from tests.support import run_driver
from tests.win32.ntoskrnl.test_events import entry
from tests.win32.ntoskrnl.test_irql import rules


def test_a_dpc_runs_at_dispatch_level_with_its_arguments_and_is_queued_once() -> None:
    log: list[Any] = []

    def driver(kapi: Any) -> Any:
        dpc = KDPC()

        def routine(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            log.append((Dpc is dpc, Context, a1, a2, (yield from kapi.KeGetCurrentIrql())))

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            yield from kapi.KeInitializeDpc(dpc, routine, "ctx")
            log.append((yield from kapi.KeInsertQueueDpc(dpc, 1, 2)))
            # "If the specified DPC object is not currently in the queue, KeInsertQueueDpc
            # queues the DPC and returns TRUE"; it is: FALSE.
            log.append((yield from kapi.KeInsertQueueDpc(dpc, 3, 4)))
            return STATUS_SUCCESS

        return DriverEntry

    sim = run_driver(driver)
    assert log == [1, 0, (True, "ctx", 1, 2, 2)]
    assert rules(sim) == []


def test_a_removed_dpc_does_not_run() -> None:
    log: list[Any] = []

    def driver(kapi: Any) -> Any:
        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            dpc = KDPC()
            yield from kapi.KeInitializeDpc(dpc, lambda *a: log.append("ran"), None)
            yield from kapi.KeInsertQueueDpc(dpc, None, None)
            log.append((yield from kapi.KeRemoveQueueDpc(dpc)))
            log.append((yield from kapi.KeRemoveQueueDpc(dpc)))
            return STATUS_SUCCESS

        return DriverEntry

    run_driver(driver)
    assert log == [1, 0]


def test_a_dpc_that_waits_lowers_or_leaks_irql_is_recorded() -> None:
    def driver(kapi: Any) -> Any:
        ev = KEVENT()

        def waits(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, LARGE_INTEGER(QuadPart=-10))

        def lowers(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            yield from kapi.KeLowerIrql(0)  # a DPC never runs below DISPATCH_LEVEL
            log.append((yield from kapi.KeGetCurrentIrql()))

        def leaks(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            yield from kapi.KeRaiseIrql(5, KIRQL())

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
            for routine in (waits, lowers, leaks):
                dpc = KDPC()
                yield from kapi.KeInitializeDpc(dpc, routine, None)
                yield from kapi.KeInsertQueueDpc(dpc, None, None)
            return STATUS_SUCCESS

        return DriverEntry

    log: list[Any] = []
    assert rules(run_driver(driver)) == [
        "kernel.wait_at_dispatch",
        "kernel.irql_below_base",
        "kernel.irql_leak",
    ]
    assert log == [2]


def test_io_work_items_run_serialized_at_passive_level_in_queue_order() -> None:
    log: list[Any] = []

    def driver(kapi: Any) -> Any:
        def worker(name: str) -> Any:
            def routine(DeviceObject: Any, Context: Any) -> Generator[Any, None, None]:
                log.append((name, "start", (yield from kapi.KeGetCurrentIrql()), Context))
                ev = KEVENT()
                yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
                yield from kapi.KeWaitForSingleObject(
                    ev, 0, 0, False, LARGE_INTEGER(QuadPart=-10_000)
                )
                log.append((name, "end"))

            return routine

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            old = KIRQL()
            yield from kapi.KeRaiseIrql(2, old)  # queueing is legal at DISPATCH_LEVEL
            for name in ("first", "second"):
                item = yield from kapi.IoAllocateWorkItem(DriverObject)
                yield from kapi.IoQueueWorkItem(item, worker(name), DelayedWorkQueue, name)
            yield from kapi.KeLowerIrql(old.value)
            return STATUS_SUCCESS

        return DriverEntry

    sim = run_driver(driver, processors=2)
    assert log == [
        ("first", "start", 0, "first"),
        ("first", "end"),
        ("second", "start", 0, "second"),
        ("second", "end"),
    ]
    assert rules(sim) == []


def test_a_work_item_that_holds_the_worker_too_long_is_a_stall_hazard() -> None:
    def driver(kapi: Any) -> Any:
        def slow(Parameter: Any) -> Generator[Any, None, None]:
            ev = KEVENT()
            yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
            timeout = LARGE_INTEGER(QuadPart=-200 * TICKS_PER_MS)
            yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, timeout)

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            item = WORK_QUEUE_ITEM()
            yield from kapi.ExInitializeWorkItem(item, slow, None)
            yield from kapi.ExQueueWorkItem(item, DelayedWorkQueue)
            return STATUS_SUCCESS

        return DriverEntry

    assert rules(run_driver(driver)) == ["kernel.worker_stall"]


def test_requeueing_or_freeing_a_queued_work_item_is_recorded() -> None:
    def driver(kapi: Any) -> Any:
        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            item = WORK_QUEUE_ITEM()
            yield from kapi.ExInitializeWorkItem(item, lambda p: None, None)
            yield from kapi.ExQueueWorkItem(item, DelayedWorkQueue)
            yield from kapi.ExQueueWorkItem(item, DelayedWorkQueue)
            io_item = yield from kapi.IoAllocateWorkItem(DriverObject)
            yield from kapi.IoQueueWorkItem(io_item, lambda d, c: None, DelayedWorkQueue, None)
            yield from kapi.IoFreeWorkItem(io_item)
            return STATUS_SUCCESS

        return DriverEntry

    assert rules(run_driver(driver)) == [
        "kernel.workitem_requeued",
        "kernel.workitem_freed_queued",
    ]


def test_queueing_a_work_item_above_dispatch_level_is_recorded() -> None:
    def body(kapi: Any) -> Generator[Any, None, None]:
        old = KIRQL()
        yield from kapi.KeRaiseIrql(5, old)
        item = WORK_QUEUE_ITEM()
        yield from kapi.ExInitializeWorkItem(item, lambda p: None, None)
        yield from kapi.ExQueueWorkItem(item, DelayedWorkQueue)
        yield from kapi.KeLowerIrql(old.value)

    assert rules(run_driver(entry(body))) == ["kernel.irql_too_high"]


def test_a_work_item_stuck_in_a_wait_is_reported_an_idle_worker_is_not() -> None:
    def driver(stuck: bool) -> Any:
        def factory(kapi: Any) -> Any:
            ev = KEVENT()

            def routine(Parameter: Any) -> Generator[Any, None, None]:
                yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, None)

            def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
                yield from kapi.KeInitializeEvent(ev, NotificationEvent, not stuck)
                item = WORK_QUEUE_ITEM()
                yield from kapi.ExInitializeWorkItem(item, routine, None)
                yield from kapi.ExQueueWorkItem(item, DelayedWorkQueue)
                return STATUS_SUCCESS

            return DriverEntry

        return factory

    done = run_driver(driver(stuck=False))
    assert (done.reason, done.events("actor.blocked")) == ("all threads done", [])
    stuck = run_driver(driver(stuck=True))
    assert stuck.reason == "quiescent"
    assert [(e.payload["state"], e.objects[0]) for e in stuck.events("actor.blocked")] == [
        ("WAITING", "DelayedWorkQueue")
    ]


class PreemptBetweenDpcs(Recording):
    """Option 1 at the scheduling point between two DPCs of one processor, else option 0."""

    def pick(self, point: ChoicePoint) -> int:
        return 1 if point.label == "dpc" else 0


def dpc_order(chooser: Recording) -> list[str]:
    log: list[str] = []

    def driver(kapi: Any) -> Any:
        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            for name, processor in (("a", 0), ("b", 0), ("c", 1)):
                dpc = KDPC()
                yield from kapi.KeInitializeDpc(dpc, lambda *args, n=name: log.append(n), None)
                yield from kapi.KeSetTargetProcessorDpc(dpc, processor)
                yield from kapi.KeInsertQueueDpc(dpc, None, None)
            return STATUS_SUCCESS

        return DriverEntry

    run_driver(driver, processors=2, chooser=chooser)
    return log


def test_dpcs_of_two_processors_interleave_between_the_dpcs_of_one() -> None:
    # "DPCs queued to different processors run independently, so two DPCs may run at once
    # (their steps interleave as the chooser decides)": between a and b (processor 0) the
    # chooser decides whether c (processor 1) runs first; one point, option 0 going on.
    canonical = Recording()
    assert dpc_order(canonical) == ["a", "b", "c"]
    assert [p.label for p in canonical.points].count("dpc") == 1
    (point,) = [p for p in canonical.points if p.label == "dpc"]
    assert point.kind == "sched" and len(point.options) == 2
    assert dpc_order(PreemptBetweenDpcs()) == ["a", "c", "b"]
