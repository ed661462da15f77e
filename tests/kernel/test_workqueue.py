"""Serialized work queues (emu/kernel/workqueue.py): items run one at a time, in queue order,
on the queue's system thread; an item that returns holding a spin lock leaves it held for good
(kernel.lock_orphaned), as a thread's exit or a DPC's return does."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.kernel import Kernel
from emu.kernel.spinlock import SpinLock
from emu.kernel.workqueue import WorkerThread, WorkItem, work_queue


def test_an_item_that_returns_holding_a_spin_lock_orphans_it_and_the_queue_goes_on() -> None:
    k = Kernel()
    lock = SpinLock(k, "guard")
    ran: list[str] = []

    def keeps(worker: WorkerThread) -> Generator[Any, None, None]:
        yield from lock.acquire(worker)
        ran.append("keeps")  # returns without KeReleaseSpinLock

    def after(worker: WorkerThread) -> None:
        ran.append(f"after, guard held by {lock.owner.name if lock.owner else None}")

    queue = work_queue(k, "delayed")
    queue.queue(WorkItem(k, keeps, (queue,)))
    queue.queue(WorkItem(k, after, (queue,)))
    k.run()
    assert ran == ["keeps", "after, guard held by delayed"]
    violations = [e[4] for e in k.trace.events if e[2] == "violation"]
    assert [v[0] for v in violations] == ["kernel.lock_orphaned"]
    assert "work item keeps returned holding guard" in violations[0][1]
    assert queue.spinlocks == []  # reported once: the next item does not inherit the report
