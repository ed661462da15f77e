"""Deferred procedure calls: a DPC queue per virtual processor, run at DISPATCH_LEVEL.

KeInsertQueueDpc "queues a DPC for execution"; it returns FALSE if the DPC is already in a
queue (a DPC object is queued at most once at a time), TRUE otherwise. Each virtual processor
drains its own queue in FIFO order, one DPC at a time, at DISPATCH_LEVEL; DPCs queued to
different processors run independently, so two DPCs may run at once (their steps interleave as
the chooser decides). KeRemoveQueueDpc takes a queued DPC out before it runs.

The processor a DPC is queued to: the one set by KeSetTargetProcessorDpc, else the chooser
picks among the machine's processors (option 0: processor 0), since emu does not model which
processor a thread runs on (an assumption, in docs/rules.md).

A DPC routine is ``DeferredRoutine(Dpc, DeferredContext, SystemArgument1, SystemArgument2)``,
a generator function or a plain one; it must not wait (``kernel.wait_at_dispatch``) and must
return at DISPATCH_LEVEL (``kernel.irql_leak``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from types import GeneratorType
from typing import TYPE_CHECKING, Any

from emu.kernel.actor import PARK, Actor, ActorState, Park
from emu.kernel.apc import routine_label
from emu.kernel.chooser import SCHED, ChoicePoint
from emu.kernel.irql import DISPATCH_LEVEL, irql_name, set_irql
from emu.kernel.spinlock import orphan_spinlocks
from emu.kernel.trace import payload_value, trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

DPC_QUEUE = trace_kind(
    "dpc.queue",
    ("dpc", "routine", "processor", "queued"),
    text="queue DPC #{dpc} {routine} on processor {processor} ({queued} queued)",
    doc="KeInsertQueueDpc queued the DPC to a processor's queue (objects[0]).",
)
DPC_RUN = trace_kind(
    "dpc.run",
    ("dpc", "routine", "queued"),
    text="{o0} runs DPC #{dpc} {routine} ({queued} queued)",
    doc="The processor dequeued the DPC and calls its routine at DISPATCH_LEVEL; `cause` is "
    "the dpc.queue event.",
)
DPC_RETURN = trace_kind(
    "dpc.return",
    ("dpc", "routine"),
    text="DPC #{dpc} {routine} returns on {o0}",
    doc="The DPC routine returned.",
)
DPC_REMOVE = trace_kind(
    "dpc.remove",
    ("dpc", "routine"),
    text="DPC #{dpc} {routine} removed from {o0}'s queue",
    doc="KeRemoveQueueDpc took the DPC out of its queue before it ran.",
)


class Dpc:
    """KDPC: a routine and its context, queued at most once at a time."""

    __slots__ = ("args", "context", "number", "processor", "routine", "seq", "struct", "target")

    def __init__(
        self, k: Kernel, routine: Callable[..., Any], context: Any, struct: Any = None
    ) -> None:
        self.number = k.new_id("dpc")
        self.routine = routine
        self.context = context
        self.target: int | None = None  # KeSetTargetProcessorDpc
        self.processor: DpcProcessor | None = None  # the queue it is in, if any
        self.args: tuple[Any, Any] = (None, None)
        self.seq = -1
        self.struct = struct  # the caller's KDPC, passed back as the routine's Dpc argument


class DpcProcessor(Actor):
    """A virtual processor's DPC queue and the context that drains it at DISPATCH_LEVEL."""

    __slots__ = ("dpcs", "idle", "index")

    TYPE = "Processor"
    KIND = "processor"
    BASE_IRQL = DISPATCH_LEVEL
    SYSTEM = True

    def __init__(self, k: Kernel, index: int) -> None:
        super().__init__(k, f"cpu{index}", self._drain())
        self.index = index
        self.dpcs: deque[Dpc] = deque()
        self.idle = False

    @property
    def settled(self) -> bool:
        return self.idle

    def _drain(self) -> Generator[Park, None, None]:
        k = self.k
        while True:
            while not self.dpcs:
                self.idle = True
                k.set_state(self, ActorState.WAITING)
                yield PARK
            dpc = self.dpcs.popleft()
            dpc.processor = None
            label = routine_label(dpc.routine)
            k.emit(self.oid, DPC_RUN, (self.oid,), (dpc.number, label, len(self.dpcs)), dpc.seq)
            result = dpc.routine(dpc.struct, dpc.context, *dpc.args)
            if isinstance(result, GeneratorType):
                yield from result
            if self.irql != DISPATCH_LEVEL:
                k.violation(
                    "kernel.irql_leak",
                    f"DPC {label} returned at {irql_name(self.irql)}, not DISPATCH_LEVEL",
                    (self.oid,),
                )
                set_irql(k, self, DISPATCH_LEVEL)
            orphan_spinlocks(k, self, f"DPC {label} returned")
            k.emit(self.oid, DPC_RETURN, (self.oid,), (dpc.number, label))
            if self.dpcs and k.ready:
                yield from k.preempt("dpc", ())


class DpcQueues:
    """The DPC queues of the machine's processors, created on first use."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.processors = [DpcProcessor(k, i) for i in range(k.processors)]
        for processor in self.processors:
            k.spawn(processor)

    def insert(self, dpc: Dpc, arg1: Any, arg2: Any) -> bool:
        """KeInsertQueueDpc: FALSE if ``dpc`` is already queued."""
        if dpc.processor is not None:
            return False
        k = self.k
        if dpc.target is not None:
            index = dpc.target
        else:
            options = tuple(range(len(self.processors)))
            index = k.choose(
                ChoicePoint(SCHED, "dpc-processor", options, tuple(() for _ in options))
            )
        processor = self.processors[index]
        dpc.args = (arg1, arg2)
        dpc.processor = processor
        processor.dpcs.append(dpc)
        dpc.seq = k.emit(
            k.actor_id(),
            DPC_QUEUE,
            (processor.oid,),
            (dpc.number, payload_value(dpc.routine), index, len(processor.dpcs)),
        )
        if processor.idle:
            processor.idle = False
            k.set_state(processor, ActorState.READY)
            k.make_ready(processor)
        return True

    def remove(self, dpc: Dpc) -> bool:
        """KeRemoveQueueDpc: FALSE if ``dpc`` is not in a queue."""
        processor = dpc.processor
        if processor is None:
            return False
        processor.dpcs.remove(dpc)
        dpc.processor = None
        k = self.k
        k.emit(k.actor_id(), DPC_REMOVE, (processor.oid,), (dpc.number, routine_label(dpc.routine)))
        return True
