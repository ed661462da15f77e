"""Serialized PASSIVE_LEVEL work queues on system worker threads.

A work queue runs callbacks one at a time, in the order they were queued, on a system thread at
PASSIVE_LEVEL: callbacks may wait (they are in a thread), but a callback that holds the worker
long delays everything queued behind it. A callback that runs longer than the queue's stall
threshold (virtual time, waits included) is reported as a hazard (``kernel.worker_stall``):
"Drivers must not ... hold a system worker thread for long" (System Worker Threads, MS docs).

Each queue has one worker thread, so its callbacks never overlap. IoQueueWorkItem and
ExQueueWorkItem use one such queue per QUEUE_TYPE (assumption, docs/rules.md: Windows serves a
queue type with several worker threads; one thread is the stricter model, and the subsystems
that promise serialized callbacks, such as NETIO notifications, get their own queues).

A work item is queued at most once at a time: queueing it again before its callback started is
recorded as ``kernel.workitem_requeued`` and ignored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from types import GeneratorType
from typing import TYPE_CHECKING, Any, Final

from emu.kernel.actor import PARK, ActorState, Park
from emu.kernel.apc import routine_label
from emu.kernel.irql import PASSIVE_LEVEL, irql_name, set_irql
from emu.kernel.spinlock import orphan_spinlocks
from emu.kernel.thread import Thread
from emu.kernel.time import TICKS_PER_MS
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

DEFAULT_STALL_TICKS: Final = 100 * TICKS_PER_MS

WORK_QUEUE = trace_kind(
    "work.queue",
    ("item", "routine", "queued"),
    text="queue work item #{item} {routine} on {o0} ({queued} queued)",
    doc="A callback was queued to a work queue's worker thread (objects[0]).",
)
WORK_RUN = trace_kind(
    "work.run",
    ("item", "routine", "queued"),
    text="{o0} runs work item #{item} {routine} ({queued} queued)",
    doc="The worker thread started the callback; `cause` is its work.queue event.",
)
WORK_RETURN = trace_kind(
    "work.return",
    ("item", "routine", "ticks"),
    text="work item #{item} {routine} returns after {ticks} ticks",
    doc="The callback returned; `ticks` is how long it held the worker.",
)


class WorkItem:
    """A queued callback: ``routine(*args)``."""

    __slots__ = ("args", "number", "queued", "routine", "seq")

    def __init__(self, k: Kernel, routine: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.number = k.new_id("workitem")
        self.routine = routine
        self.args = args
        self.queued = False
        self.seq = -1


class WorkerThread(Thread):
    """The system thread that serves one work queue."""

    __slots__ = ("idle", "items", "stall_ticks")

    SYSTEM = True

    def __init__(self, k: Kernel, name: str, stall_ticks: int) -> None:
        super().__init__(k, name, self._serve())
        self.items: deque[WorkItem] = deque()
        self.idle = False
        self.stall_ticks = stall_ticks

    @property
    def settled(self) -> bool:
        return self.idle

    def _serve(self) -> Generator[Park, None, None]:
        k = self.k
        while True:
            while not self.items:
                self.idle = True
                k.set_state(self, ActorState.WAITING)
                yield PARK
            item = self.items.popleft()
            item.queued = False
            label = routine_label(item.routine)
            k.emit(self.oid, WORK_RUN, (self.oid,), (item.number, label, len(self.items)), item.seq)
            started = k.now
            result = item.routine(*item.args)
            if isinstance(result, GeneratorType):
                yield from result
            held = k.now - started
            if self.irql != PASSIVE_LEVEL:
                k.violation(
                    "kernel.irql_leak",
                    f"work item {label} returned at {irql_name(self.irql)}, not PASSIVE_LEVEL",
                    (self.oid,),
                )
                set_irql(k, self, PASSIVE_LEVEL)
            orphan_spinlocks(k, self, f"work item {label} returned")
            k.emit(self.oid, WORK_RETURN, (self.oid,), (item.number, label, held))
            if held > self.stall_ticks:
                k.violation(
                    "kernel.worker_stall",
                    f"work item {label} held {self.name} for {held} ticks "
                    f"(more than {self.stall_ticks}); the callbacks queued behind it waited",
                    (self.oid,),
                )
            if self.items and k.ready:
                yield from k.preempt("work", ())

    def queue(self, item: WorkItem) -> bool:
        """Queue ``item``; False (and a violation) if it is already queued."""
        k = self.k
        if item.queued:
            k.violation(
                "kernel.workitem_requeued",
                f"work item #{item.number} queued again before its callback ran",
                (self.oid,),
            )
            return False
        item.queued = True
        self.items.append(item)
        item.seq = k.emit(
            k.actor_id(),
            WORK_QUEUE,
            (self.oid,),
            (item.number, routine_label(item.routine), len(self.items)),
        )
        if self.idle:
            self.idle = False
            k.set_state(self, ActorState.READY)
            k.make_ready(self)
        return True


def work_queue(k: Kernel, name: str, stall_ticks: int = DEFAULT_STALL_TICKS) -> WorkerThread:
    """The serialized work queue ``name`` of this simulation, created on first use."""

    def create() -> WorkerThread:
        worker = WorkerThread(k, name, stall_ticks)
        k.spawn(worker)
        return worker

    return k.device(f"workqueue:{name}", create)
